//! The step summary: GitHub-flavoured Markdown a reviewer reads at a glance.
//!
//! Every string that came from a user or from AWS goes through [`markdown::inert`] (here as
//! `text` for prose and `code` for identifiers, both also bounded in length), so a hostile tag,
//! name or event renders as plain text: no line break, heading, link, image, HTML or table syntax
//! survives. Lists are capped, and [`fit`] keeps the whole under the runner's 1 MiB limit (a
//! larger summary is dropped whole by the runner, not cut).

use std::fmt::Write as _;

use super::markdown::{self, inert, inert_lines};
use super::{Kind, Report, RollbackState, Status};
use crate::domain::ecs::short_task_definition;
use crate::domain::ecs::{RolloutState, TaskStatus};
use crate::domain::taskdef::diff::NameChanges;
use crate::text::{floor_boundary, shorten};

/// The runner drops a summary over 1 MiB; stay well below it.
pub const MAX_SUMMARY_BYTES: usize = 1_000_000;
const MAX_EVENTS: usize = 10;
const MAX_TASKS: usize = 5;
const MAX_DIFF_LINES: usize = 400;
const MAX_LINE_CHARS: usize = 300;
const MAX_PROSE_CHARS: usize = 4000;

/// Untrusted prose (messages, reasons, events), inert and bounded.
fn text(s: &str) -> String {
    inert(&shorten(s, MAX_PROSE_CHARS))
}

/// An untrusted identifier in monospace, inert and bounded.
fn code(s: &str) -> String {
    markdown::code(&shorten(s, MAX_LINE_CHARS))
}

fn status_text(status: Option<&TaskStatus>) -> &str {
    status.map_or("-", TaskStatus::as_str)
}

fn short_digest(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}", hex.chars().take(12).collect::<String>())
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let target = if report.services.len() > 1 {
        format!(" {} services", report.services.len())
    } else {
        report
            .service
            .as_deref()
            .map_or(String::new(), |s| format!(" {}", code(s)))
    };
    let env = code(&report.environment);
    let heading = match (report.kind, report.status) {
        (Kind::Rollback, Status::RolledBack) => format!("↩️ Rolled back{target} in {env}"),
        (Kind::Rollback, Status::Failed) => format!("❌ Rollback of{target} in {env} failed"),
        (_, Status::Deployed) => format!("✅ Deployed{target} to {env}"),
        (_, Status::Started) => format!("🚀 Started deploying{target} to {env} (not waited for)"),
        (_, Status::Unchanged) => format!("⏸️ No change for{target} in {env}"),
        (_, Status::DryRun) => format!("🔍 Dry run for{target} in {env}"),
        (_, Status::RolledBack) => format!("↩️ Deploy{target} to {env} failed and was rolled back"),
        (_, Status::Cancelled) => format!("⏹️ Deploy{target} to {env} was cancelled"),
        (_, Status::Failed | Status::NotUpdated) => format!("❌ Deploy{target} to {env} failed"),
    };
    let _ = writeln!(
        md,
        "## {heading} ({})\n",
        crate::text::human_duration(report.duration)
    );

    if let Some(failure) = &report.failure {
        let _ = writeln!(
            md,
            "**{}:** {}\n",
            text(&failure.title),
            text(&failure.message)
        );
        if let Some(hint) = &failure.hint {
            let _ = writeln!(md, "> hint: {}\n", text(hint));
        }
    }

    write_table(&mut md, report);
    write_pre_deploy(&mut md, report);
    write_services(&mut md, report);

    for warning in &report.warnings {
        let _ = writeln!(md, "\n> ⚠️ {}", text(warning));
    }
    write_changes(&mut md, report);
    write_failed_tasks(&mut md, report);
    write_target_health(&mut md, report);
    write_events(&mut md, report);
    if let Some(rendered) = &report.rendered {
        let json = serde_json::to_string_pretty(rendered).unwrap_or_default();
        let _ = writeln!(
            md,
            "\n<details><summary>Rendered task definition (environment values hidden)</summary>\n\n<pre>\n{}\n</pre>\n</details>",
            inert_lines(&json)
        );
    }
    fit(md, MAX_SUMMARY_BYTES)
}

fn write_table(md: &mut String, report: &Report) {
    let _ = writeln!(md, "| | |\n|---|---|");
    let mut row = |label: &str, value: String| {
        let _ = writeln!(md, "| {label} | {value} |");
    };
    row("Environment", code(&report.environment));
    if let Some(cluster) = &report.cluster {
        row("Cluster", code(cluster));
    }
    if let Some(service) = &report.service {
        row("Service", code(service));
    }
    if let Some(region) = &report.region {
        row("Region", code(region));
    }
    if let Some(image) = image_cell(report) {
        row("Image", image);
    }
    if !report.containers.is_empty() {
        row(
            "Containers",
            report
                .containers
                .iter()
                .map(|c| code(c))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(revisions) = revision_cell(report) {
        row("Task definition", revisions);
    }
    if let Some(rollout) = &report.rollout {
        row(
            "Rollout",
            format!(
                "{} running {}/{}, deployment {}",
                code(rollout.state.as_ref().map_or("-", RolloutState::as_str)),
                rollout.running,
                rollout.desired,
                code(&rollout.deployment_id)
            ),
        );
    }
    if let Some(arn) = &report.rollback_task_definition_arn {
        let by = report
            .rolled_back_by
            .as_deref()
            .map_or(String::new(), |by| format!(" by {}", text(by)));
        let state = report.rollback_rollout.as_ref().map_or(String::new(), |r| {
            format!(
                ", {} running {}/{}",
                code(r.state.as_ref().map_or("-", RolloutState::as_str)),
                r.running,
                r.desired
            )
        });
        let to = code(short_task_definition(arn));
        match &report.rollback_state {
            None | Some(RollbackState::Completed) => {
                row("Rolled back to", format!("{to}{by}{state}"));
            }
            Some(RollbackState::Unverified(why)) => row(
                "Rollback",
                format!(
                    "to {to}{by}{state}, started but not verified: {}",
                    text(why)
                ),
            ),
            Some(RollbackState::Failed(why)) => row(
                "Rollback",
                format!("to {to}{by}{state} failed: {}", text(why)),
            ),
            Some(RollbackState::NotStarted(why)) => row(
                "Rollback",
                format!("to {to} could not be started: {}", text(why)),
            ),
        }
    }
    if let [service] = report.services.as_slice() {
        if let Some(now) = &service.now {
            row("Service now", text(now));
        }
    }
    if let Some(links) = console_links(report) {
        row("AWS console", links);
    }
    if let Some(id) = report.github_deployment_id {
        row("GitHub deployment", code(&id.to_string()));
    }
    row("Result", code(report.status.as_str()));
    row(
        "Duration",
        format!("{:.1} s", report.duration.as_secs_f64()),
    );
}

fn write_services(md: &mut String, report: &Report) {
    if report.services.len() < 2 {
        return;
    }
    let _ = writeln!(
        md,
        "\n### Services\n\n| Service | Task definition | Rollout | Result |\n|---|---|---|---|"
    );
    for s in &report.services {
        let old = short_task_definition(&s.previous_task_definition_arn);
        // The revision the service ends on links to the console.
        let linked = |arn: &str| match &report.region {
            Some(region) => link(
                &code(short_task_definition(arn)),
                &super::links::task_definition(region, arn),
            ),
            None => code(short_task_definition(arn)),
        };
        let revisions = match s.task_definition_arn.as_deref() {
            Some(new) if short_task_definition(new) != old => {
                format!("{} → {}", code(old), linked(new))
            }
            _ => format!("{} (unchanged)", linked(&s.previous_task_definition_arn)),
        };
        let rollout = s.rollout.as_ref().map_or("-".to_string(), |r| {
            format!(
                "{} {}/{}",
                code(r.state.as_ref().map_or("-", RolloutState::as_str)),
                r.running,
                r.desired
            )
        });
        let mut result = code(s.status.as_str());
        if let Some(arn) = &s.rollback_task_definition_arn {
            let what = match &s.rollback_state {
                None | Some(RollbackState::Completed) => "to",
                Some(RollbackState::Unverified(_)) => "(rollback not verified) to",
                Some(RollbackState::Failed(_)) => "(rollback failed) to",
                Some(RollbackState::NotStarted(_)) => "(rollback not started) to",
            };
            let _ = write!(result, " {what} {}", code(short_task_definition(arn)));
        }
        if let Some(why) = &s.failure {
            let _ = write!(result, ": {}", text(&shorten(why, MAX_LINE_CHARS)));
        }
        if let Some(now) = &s.now {
            let _ = write!(result, "; now {}", text(&shorten(now, MAX_LINE_CHARS)));
        }
        let service = match (&report.region, &report.cluster) {
            (Some(region), Some(cluster)) => link(
                &code(&s.service),
                &super::links::service(region, cluster, &s.service),
            ),
            _ => code(&s.service),
        };
        let _ = writeln!(md, "| {service} | {revisions} | {rollout} | {result} |");
    }
}

/// A Markdown link whose text is escaped and whose URL is ours (percent-encoded names).
fn link(label: &str, url: &str) -> String {
    format!("[{label}]({})", url.replace(['(', ')', ' '], ""))
}

/// Links to the service (one service), the deployed revision and its log group.
fn console_links(report: &Report) -> Option<String> {
    let region = report.region.as_deref()?;
    let mut links = Vec::new();
    if let (Some(cluster), [service]) = (&report.cluster, report.services.as_slice()) {
        links.push(link(
            "service",
            &super::links::service(region, cluster, &service.service),
        ));
    } else if let (Some(cluster), Some(service), true) =
        (&report.cluster, &report.service, report.services.is_empty())
    {
        links.push(link(
            "service",
            &super::links::service(region, cluster, service),
        ));
    }
    if let Some(arn) = report
        .task_definition_arn
        .as_ref()
        .or(report.previous_task_definition_arn.as_ref())
    {
        links.push(link(
            "task definition",
            &super::links::task_definition(region, arn),
        ));
    }
    if let Some((group, log_region)) = &report.log_group {
        links.push(link("logs", &super::links::logs(log_region, group, None)));
    }
    (!links.is_empty()).then(|| links.join(" · "))
}

fn write_pre_deploy(md: &mut String, report: &Report) {
    let Some(task) = &report.pre_deploy else {
        if let (Some(planned), Status::DryRun) = (&report.pre_deploy_planned, report.status) {
            let _ = writeln!(
                md,
                "\n### Pre-deploy task\n\nWould run {} before any service is updated (a dry run runs nothing).",
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
        "\n### Pre-deploy task\n\n| | |\n|---|---|\n| Task definition | {} |\n| Container | {} |\n| Result | {verdict} |",
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

fn image_cell(report: &Report) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(tag) = &report.image_tag {
        parts.push(format!("tag {}", code(tag)));
    }
    if let Some(digest) = &report.image_digest {
        parts.push(format!("digest {}", code(&short_digest(digest))));
    }
    if parts.is_empty() {
        parts.push(code(report.image.as_deref()?));
    }
    if report.image.is_some() && !report.image_verified {
        parts.push("(not checked: outside ECR)".into());
    }
    Some(parts.join(" · "))
}

fn revision_cell(report: &Report) -> Option<String> {
    let old = report
        .previous_task_definition_arn
        .as_deref()
        .map(short_task_definition);
    let new = report
        .task_definition_arn
        .as_deref()
        .map(short_task_definition);
    Some(match (old, new) {
        (Some(old), Some(new)) if old != new => format!("{} → {}", code(old), code(new)),
        (Some(old), _) if report.status == Status::DryRun && report.changed => {
            format!("{} → (new revision)", code(old))
        }
        (Some(old), _) => format!("{} (unchanged)", code(old)),
        (None, Some(new)) => code(new),
        (None, None) => return None,
    })
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

fn write_changes(md: &mut String, report: &Report) {
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

fn write_failed_tasks(md: &mut String, report: &Report) {
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

fn write_target_health(md: &mut String, report: &Report) {
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

fn write_events(md: &mut String, report: &Report) {
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

/// Cuts Markdown to at most `limit` bytes at a line boundary, closing an open `<pre>` and
/// `<details>`, with a note that it was cut. Never cuts inside a character, an entity or a tag.
pub fn fit(md: String, limit: usize) -> String {
    const NOTE: &str = "\n\n_Summary truncated to stay under GitHub's 1 MiB limit._\n";
    if md.len() <= limit {
        return md;
    }
    let budget = floor_boundary(&md, limit.saturating_sub(NOTE.len() + 64));
    // At the last line end; on one line longer than the budget, at a character before any
    // unfinished `&#…;` or `<…>`, so nothing half-written can swallow what follows.
    let head = &md[..budget];
    let cut = head.rfind('\n').unwrap_or_else(|| {
        head.rfind(['&', '<'])
            .filter(|i| !head[*i..].contains([';', '>']))
            .unwrap_or(budget)
    });
    let mut out = md[..cut].to_string();
    let open = |tag: &str| {
        out.matches(&format!("<{tag}"))
            .count()
            .saturating_sub(out.matches(&format!("</{tag}>")).count())
    };
    let (pre, details) = (open("pre"), open("details"));
    out.push_str(&"\n</pre>".repeat(pre));
    out.push_str(&"\n</details>".repeat(details));
    out.push_str(NOTE);
    out
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
