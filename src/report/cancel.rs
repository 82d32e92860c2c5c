//! What a cancelled run says: what it was doing, and what carries on without it.

use crate::domain::arn::short_task_definition;
use crate::domain::states::RolloutState;
use crate::error::Exit;

use super::{Report, Status};

/// Marks the run cancelled by `signal`, saying what it was doing.
pub fn cancelled(report: &mut Report, signal: &str) {
    let message = cancel_message(signal, report);
    report.fail("Cancelled", message, None, Exit::Cancelled);
    report.status = Status::Cancelled;
}

/// What a cancelled run was doing, and what carries on without it.
fn cancel_message(signal: &str, report: &Report) -> String {
    let had_failed = report
        .failure
        .as_ref()
        .map_or(String::new(), |f| format!("; before it, {}", f.message));
    if let (Some(to), Some(arn)) = (
        &report.rollback_task_definition_arn,
        &report.rollback_through,
    ) {
        let asked = match report.rolled_back_by {
            Some(crate::domain::outcome::RolledBackBy::EcsShip) | None => " (asked by ecs-ship)",
            Some(_) => "",
        };
        return format!(
            "cancelled ({signal}) while ECS rolled back service deployment {arn} to {}{asked}; ECS carries on with it{had_failed}",
            short_task_definition(to)
        );
    }
    if let (Some(to), Some(r)) = (
        &report.rollback_task_definition_arn,
        &report.rollback_rollout,
    ) {
        let by = report
            .rolled_back_by
            .map_or("ecs-ship", crate::domain::outcome::RolledBackBy::as_str);
        return format!(
            "cancelled ({signal}) while waiting for the rollback to {} by {by} (deployment {} {} running {}/{}); ECS carries on with it{had_failed}",
            short_task_definition(to),
            r.deployment_id,
            r.state.as_ref().map_or("-", RolloutState::as_str),
            r.running,
            r.desired
        );
    }
    let pre_deploy_running = report
        .pre_deploy
        .as_ref()
        .filter(|p| !p.succeeded)
        .and_then(|p| p.task_arn.as_deref());
    // The first service's rollout, or the first one started (or waited for) at all.
    let rollout = report
        .rollout
        .as_ref()
        .or_else(|| report.services.iter().find_map(|s| s.rollout.as_ref()));
    // A deploy with nothing to change registered nothing: its revision is the live one.
    let registered = report
        .task_definition_arn
        .as_ref()
        .filter(|_| report.changed);
    match (rollout, pre_deploy_running, registered) {
        (Some(r), _, _) => format!(
            "cancelled ({signal}) while waiting for deployment {} ({} running {}/{}); ECS carries on with it",
            r.deployment_id,
            r.state.as_ref().map_or("-", RolloutState::as_str),
            r.running,
            r.desired
        ),
        (None, Some(task), _) => format!(
            "cancelled ({signal}) while the pre-deploy task {task} ran; no service was updated, and the task carries on"
        ),
        (None, None, Some(arn)) => format!("cancelled ({signal}) after registering {arn}"),
        (None, None, None) => format!("cancelled ({signal}) before any change"),
    }
}
