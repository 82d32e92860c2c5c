//! The verdict in the log: the failure with its hint, what stopped and why (tasks, load
//! balancer targets, service events), the rollback, and one result line.

use std::io::Write;

use crate::console::Console;
use crate::domain::arn::short_task_definition;

use super::{Report, Status};

/// Prints the end of a run: on a failure, why (annotation) and the evidence; then the result.
pub fn verdict<W: Write>(report: &Report, console: &Console<W>) {
    console.end_group();
    if report.failure.is_some() {
        failure(report, console);
    }
    console.line(&format!(
        "Result: {} in {:.1}s{}",
        report.status.as_str(),
        report.duration.as_secs_f64(),
        report
            .task_definition_arn
            .as_deref()
            .map_or(String::new(), |arn| format!(
                " ({})",
                short_task_definition(arn)
            ))
    ));
}

fn failure<W: Write>(report: &Report, console: &Console<W>) {
    let Some(failure) = &report.failure else {
        return;
    };
    let message = match &failure.hint {
        Some(hint) => format!("{}\nhint: {hint}", failure.message),
        None => failure.message.clone(),
    };
    console.error(&failure.title, &message);
    evidence(report, console);
    if let Some(arn) = &report.rollback_task_definition_arn {
        let outcome = if report.status == Status::RolledBack {
            "rolled back"
        } else {
            "rollback attempted"
        };
        console.end_group();
        console.line(&format!("{outcome} to {}", short_task_definition(arn)));
    }
    console.end_group();
}

/// Stopped tasks, unhealthy load balancer targets and the last service events.
fn evidence<W: Write>(report: &Report, console: &Console<W>) {
    if !report.failed_tasks.is_empty() {
        console.group("Stopped tasks");
        for task in report.failed_tasks.iter().take(5) {
            console.line(&format!("task {}: {}", task.id(), task.cause()));
        }
    }
    task_logs(report, console);
    if !report.target_health.is_empty() {
        console.group("Load balancer targets");
        for t in report.target_health.iter().take(10) {
            let why = [t.reason.as_deref(), t.description.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            console.line(&format!(
                "{} {}{} {} {why}",
                t.target_group,
                t.target,
                if t.ours { " (failed task)" } else { "" },
                t.state
            ));
        }
    }
    if !report.events.is_empty() {
        console.group("Last service events");
        for event in report.events.iter().take(10) {
            console.line(&format!("{} {}", event.created_at, event.message));
        }
    }
}

/// What the failed tasks printed last: the runner is told to mask the environment values first,
/// and the lines (already masked by us) print fenced, so none of them is a workflow command.
fn task_logs<W: Write>(report: &Report, console: &Console<W>) {
    if report.task_logs.logs.is_empty() {
        return;
    }
    console.add_masks(&report.task_logs.masks);
    for log in &report.task_logs.logs {
        console.group(&format!(
            "Last lines of {} in task {}{}",
            log.container,
            log.task_id,
            log.stream
                .as_ref()
                .map_or(String::new(), |s| format!(" ({} {s})", log.group))
        ));
        match &log.unread {
            Some(why) => console.line(&format!("(no lines: {why})")),
            None => console.block(&log.lines),
        }
    }
}
