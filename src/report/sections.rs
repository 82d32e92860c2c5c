//! The step summary's sections below its table: the pre-deploy task, the changes, and for a
//! failure the stopped tasks, load balancer targets and service events.

use std::fmt::Write as _;

use super::cells::{
    MAX_DIFF_LINES, MAX_EVENTS, MAX_LINE_CHARS, MAX_TASKS, code, link, status_text, text,
};
use super::markdown::{inert, inert_lines};
use super::{Report, Status};
use crate::domain::arn::short_task_definition;
use crate::domain::taskdef::diff::NameChanges;
use crate::text::shorten;

pub(super) fn write_pre_deploy(md: &mut String, report: &Report) {
    let Some(task) = &report.pre_deploy else {
        if let (Some(planned), Status::Verified) = (&report.pre_deploy_planned, report.status) {
            let _ = writeln!(
                md,
                "\n### Pre-deploy task\n\nWould run {} before any service is updated (`verify` runs nothing).",
                text(planned)
            );
        }
        return;
    };
    let region = report.region.as_deref().unwrap_or("us-east-1");
    let verdict = if task.succeeded {
        "✅ exited 0".to_string()
    } else if let Some(why) = &task.failure {
        format!("❌ {}", text(&shorten(why, MAX_LINE_CHARS)))
    } else {
        format!("⏹️ {}", code(status_text(task.last_status.as_ref())))
    };
    let _ = writeln!(
        md,
        "\n### {}\n\n| | |\n|---|---|\n| Task definition | {} |\n| Container | {} |\n| Result | {verdict} |",
        if report.kind == super::Kind::RunTask {
            "Task"
        } else {
            "Pre-deploy task"
        },
        link(
            &code(short_task_definition(&task.task_definition_arn)),
            &super::links::task_definition(region, &task.task_definition_arn)
        ),
        code(&task.container),
    );
    if let (Some(arn), Some(cluster)) = (&task.task_arn, &report.cluster) {
        let id = crate::domain::arn::name_of(arn);
        let _ = writeln!(
            md,
            "| Task | {} ({} after {:.0} s) |",
            link(&code(id), &super::links::task(region, cluster, arn)),
            code(status_text(task.last_status.as_ref())),
            task.duration.as_secs_f64()
        );
    }
    if let Some(log) = &task.log {
        let shown = match &log.stream {
            Some(stream) => format!("{} / {}", code(&log.group), code(stream)),
            None => code(&log.group),
        };
        let _ = writeln!(
            md,
            "| Output | {} |",
            link(
                &shown,
                &super::links::logs(&log.region, &log.group, log.stream.as_deref())
            )
        );
    }
}

fn names_line(label: &str, names: &NameChanges) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let list = |what: &str, items: &[String]| {
        (!items.is_empty()).then(|| {
            format!(
                "{what} {}",
                items.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ")
            )
        })
    };
    let parts: Vec<String> = [
        list("added", &names.added),
        list("changed", &names.changed),
        list("removed", &names.removed),
    ]
    .into_iter()
    .flatten()
    .collect();
    Some(format!(
        "- **{label}:** {} (values never shown)",
        parts.join("; ")
    ))
}

pub(super) fn write_changes(md: &mut String, report: &Report) {
    let Some(diff) = &report.diff else { return };
    let _ = writeln!(md, "\n### Changes\n");
    if diff.is_empty() {
        let _ = writeln!(md, "The task definition is the same as the live one.");
        return;
    }
    for line in [
        names_line("Environment variables", &diff.environment),
        names_line("Secrets", &diff.secrets),
    ]
    .into_iter()
    .flatten()
    {
        let _ = writeln!(md, "{line}");
    }
    if !diff.fields.is_empty() {
        let lines = diff.lines();
        let field_lines: Vec<String> = lines
            .iter()
            .take(diff.fields.len().min(MAX_DIFF_LINES))
            .map(|l| inert(&shorten(l, MAX_LINE_CHARS)))
            .collect();
        let more = diff.fields.len().saturating_sub(MAX_DIFF_LINES);
        let _ = writeln!(
            md,
            "\n<details><summary>Task definition diff ({} field{})</summary>\n\n<pre>\n{}{}\n</pre>\n</details>",
            diff.fields.len(),
            if diff.fields.len() == 1 { "" } else { "s" },
            field_lines.join("\n"),
            if more > 0 {
                format!("\n… and {more} more")
            } else {
                String::new()
            }
        );
    }
}

/// The scheduled jobs moved to the new revisions (`schedules`), before → after.
pub(super) fn write_schedules_moved(md: &mut String, report: &Report) {
    if report.schedules_moved.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Scheduled jobs moved\n\n| Job | Kind | Revision |\n|---|---|---|"
    );
    for moved in &report.schedules_moved {
        let _ = writeln!(
            md,
            "| {} | {} | {} → {} |",
            code(&moved.name),
            moved.kind,
            code(short_task_definition(&moved.from)),
            code(short_task_definition(&moved.to))
        );
    }
}

pub(super) fn write_failed_tasks(md: &mut String, report: &Report) {
    if report.failed_tasks.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Stopped tasks\n\n| Task | Stopped at (UTC) | Why |\n|---|---|---|"
    );
    for task in report.failed_tasks.iter().take(MAX_TASKS) {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            code(task.id()),
            text(task.stopped_at.as_deref().unwrap_or("")),
            text(&shorten(&task.cause(), MAX_LINE_CHARS))
        );
    }
}

/// What the failed tasks printed last, each container's lines in a block (inert: no Markdown or
/// HTML in them renders), newest failure first.
pub(super) fn write_task_logs(md: &mut String, report: &Report) {
    if report.task_logs.logs.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### What the failed tasks printed last\n");
    for log in &report.task_logs.logs {
        let place = log.stream.as_ref().map_or(String::new(), |stream| {
            format!(" ({} / {})", code(&log.group), code(stream))
        });
        let _ = writeln!(
            md,
            "**{}** in task {}{place}:\n",
            code(&log.container),
            code(&log.task_id)
        );
        match &log.unread {
            Some(why) => {
                let _ = writeln!(md, "_No lines: {}_\n", text(why));
            }
            None => {
                let _ = writeln!(
                    md,
                    "<pre>\n{}\n</pre>\n",
                    inert_lines(&log.lines.join("\n"))
                );
            }
        }
    }
}

pub(super) fn write_target_health(md: &mut String, report: &Report) {
    if report.target_health.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Load balancer targets\n\n| Target group | Target | State | Why |\n|---|---|---|---|"
    );
    for t in report.target_health.iter().take(MAX_TASKS * 2) {
        let target = format!(
            "{}{}{}",
            code(&t.target),
            t.port.map_or(String::new(), |p| format!(":{p}")),
            if t.ours { " (failed task)" } else { "" }
        );
        let why = [t.reason.as_deref(), t.description.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        let _ = writeln!(
            md,
            "| {} | {target} | {} | {} |",
            code(&t.target_group),
            code(&t.state),
            text(&why)
        );
    }
}

pub(super) fn write_events(md: &mut String, report: &Report) {
    let failed = matches!(
        report.status,
        Status::Failed | Status::RolledBack | Status::Cancelled
    );
    if report.events.is_empty() || !failed {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Last service events\n\n| Time (UTC) | Event |\n|---|---|"
    );
    for event in report.events.iter().take(MAX_EVENTS) {
        let _ = writeln!(
            md,
            "| {} | {} |",
            text(&event.created_at),
            text(&shorten(&event.message, MAX_LINE_CHARS))
        );
    }
}
