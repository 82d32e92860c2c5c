//! The verdict on one service's rollout. Pure: service and task shapes in, verdict out.
//!
//! Success means the service's PRIMARY deployment is ours, runs our task definition, and is
//! COMPLETED with running = desired: "the service is stable" is not enough, since after a
//! circuit-breaker rollback the service is stable again on the *old* revision. Failure is called
//! as early as the evidence allows: a FAILED rollout, our deployment replaced or gone, or
//! `max_task_failures` tasks of our deployment stopped for a reason that is a failure.

use crate::model::{ServiceState, StoppedTask, short_task_definition};

/// The deployment a deploy (or a rollback) started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub deployment_id: String,
    pub task_definition: String,
}

/// How a rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Completed,
    Failed { reason: String },
}

/// The verdict on a rollout, or `None` while it is still going. `failures` are the stopped
/// tasks of our deployment that count as failures, newest first.
pub fn assess(
    state: &ServiceState,
    target: &Target,
    failures: &[StoppedTask],
    max_task_failures: u32,
) -> Option<Verdict> {
    let failed = |reason: String| Some(Verdict::Failed { reason });
    let Some(ours) = state.deployment(&target.deployment_id) else {
        let now = state.primary().map_or_else(
            || "no deployment".to_string(),
            |p| short_task_definition(&p.task_definition).to_string(),
        );
        // ECS drops a rolled-back deployment from the list once drained; its events keep the why.
        let why = state
            .events
            .iter()
            .find(|e| e.message.contains(&target.deployment_id))
            .map_or(String::new(), |e| format!(": {}", e.message));
        return failed(format!(
            "deployment {} is gone and the service now runs {now} (rolled back or replaced){why}",
            target.deployment_id
        ));
    };
    if ours.rollout_state.as_deref() == Some("FAILED") {
        let why = ours
            .rollout_state_reason
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        return failed(format!("deployment {} failed: {why}", ours.id));
    }
    if ours.status != "PRIMARY" {
        let by = state.primary().map_or_else(String::new, |p| {
            format!(
                " by {} running {}",
                p.id,
                short_task_definition(&p.task_definition)
            )
        });
        return failed(format!(
            "deployment {} was replaced{by} (a rollback or another deploy)",
            ours.id
        ));
    }
    if ours.task_definition != target.task_definition {
        return failed(format!(
            "deployment {} runs {}, not {}",
            ours.id,
            short_task_definition(&ours.task_definition),
            short_task_definition(&target.task_definition)
        ));
    }
    let steady = ours.running == ours.desired && ours.pending == 0;
    let done = match ours.rollout_state.as_deref() {
        Some("COMPLETED") => steady,
        Some(_) => false,
        // No rollout state (older deployment controllers): only our deployment left, all running.
        None => steady && state.deployments.len() == 1,
    };
    if done {
        return Some(Verdict::Completed);
    }
    if max_task_failures > 0 && failures.len() >= max_task_failures as usize {
        let last = failures.first().map_or_else(String::new, |t| {
            format!("; the last one, task {}: {}", t.id(), t.cause())
        });
        return failed(format!(
            "{} tasks of deployment {} stopped{last}",
            failures.len(),
            ours.id
        ));
    }
    None
}

/// The deployment an update started: a PRIMARY deployment of `task_definition` that was not
/// there before (a forced deployment of the same revision gets a new id).
pub fn started_deployment(
    before: &ServiceState,
    after: &ServiceState,
    task_definition: &str,
) -> Option<Target> {
    let primary = after.primary()?;
    let is_new = before.deployment(&primary.id).is_none();
    (is_new && primary.task_definition == task_definition).then(|| Target {
        deployment_id: primary.id.clone(),
        task_definition: task_definition.to_string(),
    })
}

/// The deployment that rolled the service back to `previous`, when ECS (its circuit breaker) or
/// someone else already did.
pub fn rolled_back_by_ecs<'a>(
    state: &'a ServiceState,
    target: &Target,
    previous: &str,
) -> Option<&'a crate::model::Deployment> {
    state
        .primary()
        .filter(|p| p.id != target.deployment_id && p.task_definition == previous)
}

/// One line describing where a rollout stands.
pub fn progress_line(state: &ServiceState, target: &Target) -> String {
    match state.deployment(&target.deployment_id) {
        Some(d) => format!(
            "running {}/{} pending {} rollout {}{}",
            d.running,
            d.desired,
            d.pending,
            d.rollout_state.as_deref().unwrap_or("-"),
            if d.failed_tasks > 0 {
                format!(" failed tasks {}", d.failed_tasks)
            } else {
                String::new()
            }
        ),
        None => format!(
            "running {}/{} (our deployment is gone)",
            state.running, state.desired
        ),
    }
}

#[cfg(test)]
#[path = "verdict_tests.rs"]
mod tests;
