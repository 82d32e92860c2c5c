//! Waiting for a rollout and deciding its verdict.
//!
//! [`assess`] is pure: given a service as `DescribeServices` shows it and the deployment we
//! started, it says whether the deploy succeeded, failed, or is still going. Success means the
//! service's PRIMARY deployment is ours, runs our task definition, and is COMPLETED with running =
//! desired: "the service is stable" is not enough, since after a circuit-breaker rollback the
//! service is stable again on the *old* revision. [`wait`] polls until a verdict or the timeout.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::console::Console;
use crate::model::{ServiceState, short_task_definition};

/// The deployment a deploy started.
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

/// The verdict on a rollout, or `None` while it is still going.
pub fn assess(state: &ServiceState, target: &Target) -> Option<Verdict> {
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
    done.then_some(Verdict::Completed)
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

/// How long to sleep before the next poll: quick while things change, slower when they do not.
pub fn next_interval(unchanged_polls: u32) -> Duration {
    match unchanged_polls {
        0..=4 => Duration::from_secs(1),
        5..=14 => Duration::from_secs(2),
        _ => Duration::from_secs(3),
    }
}

/// What [`wait`] saw.
#[derive(Debug, Clone)]
pub struct WaitResult {
    pub verdict: Verdict,
    pub last_state: ServiceState,
}

/// Polls the service until [`assess`] gives a verdict or `timeout` passes, printing one line per
/// change and each new service event.
pub async fn wait<W: Write>(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    initial: &ServiceState,
    target: &Target,
    timeout: Duration,
    console: &mut Console<W>,
) -> anyhow::Result<WaitResult> {
    let started = Instant::now();
    let mut seen_events: HashSet<String> = initial.events.iter().map(|e| e.id.clone()).collect();
    let mut last_line = String::new();
    let mut unchanged = 0;
    let mut state = initial.clone();
    loop {
        if let Some(verdict) = assess(&state, target) {
            return Ok(WaitResult {
                verdict,
                last_state: state,
            });
        }
        if started.elapsed() >= timeout {
            let reason = format!(
                "timed out after {} waiting for deployment {} ({})",
                human_duration(timeout),
                target.deployment_id,
                progress_line(&state, target)
            );
            return Ok(WaitResult {
                verdict: Verdict::Failed { reason },
                last_state: state,
            });
        }
        tokio::time::sleep(next_interval(unchanged).min(timeout.saturating_sub(started.elapsed())))
            .await;
        state =
            crate::aws::ecs::describe_services(ecs, cluster, std::slice::from_ref(&initial.name))
                .await?
                .pop()
                .ok_or_else(|| {
                    anyhow::anyhow!("service `{}` disappeared while waiting", initial.name)
                })?;
        let elapsed = format!("[{:>5.1}s]", started.elapsed().as_secs_f64());
        let line = progress_line(&state, target);
        let mut changed = line != last_line;
        if changed {
            console.line(&format!("{elapsed} {}: {line}", initial.name));
            last_line = line;
        }
        for event in state
            .events
            .iter()
            .rev()
            .filter(|e| !seen_events.contains(&e.id))
        {
            console.line(&format!("{elapsed} event: {}", event.message));
            changed = true;
        }
        seen_events.extend(state.events.iter().map(|e| e.id.clone()));
        unchanged = if changed { 0 } else { unchanged + 1 };
    }
}

/// `90s` → `1m 30s`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m {s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Deployment;

    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3";
    const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";

    fn target() -> Target {
        Target {
            deployment_id: "ecs-svc/new".into(),
            task_definition: NEW.into(),
        }
    }

    fn dep(id: &str, status: &str, td: &str, running: i32, rollout: &str) -> Deployment {
        Deployment {
            id: id.into(),
            status: status.into(),
            task_definition: td.into(),
            desired: 2,
            running,
            pending: 2 - running,
            rollout_state: (!rollout.is_empty()).then(|| rollout.into()),
            ..Deployment::default()
        }
    }

    fn service(deployments: Vec<Deployment>) -> ServiceState {
        ServiceState {
            name: "api".into(),
            desired: 2,
            deployments,
            ..ServiceState::default()
        }
    }

    #[test]
    fn in_progress_rollout_has_no_verdict_yet() {
        let s = service(vec![
            dep("ecs-svc/new", "PRIMARY", NEW, 1, "IN_PROGRESS"),
            dep("ecs-svc/old", "ACTIVE", OLD, 2, "COMPLETED"),
        ]);
        assert_eq!(assess(&s, &target()), None);
        assert_eq!(
            progress_line(&s, &target()),
            "running 1/2 pending 1 rollout IN_PROGRESS"
        );
    }

    #[test]
    fn completed_primary_with_all_running_is_success() {
        let s = service(vec![dep("ecs-svc/new", "PRIMARY", NEW, 2, "COMPLETED")]);
        assert_eq!(assess(&s, &target()), Some(Verdict::Completed));
    }

    #[test]
    fn completed_but_not_all_running_is_not_yet_success() {
        let s = service(vec![dep("ecs-svc/new", "PRIMARY", NEW, 1, "COMPLETED")]);
        assert_eq!(assess(&s, &target()), None);
    }

    #[test]
    fn failed_rollout_is_failure_with_the_reason() {
        let mut failed = dep("ecs-svc/new", "PRIMARY", NEW, 0, "FAILED");
        failed.rollout_state_reason =
            Some("ECS deployment circuit breaker: tasks failed to start.".into());
        let Some(Verdict::Failed { reason }) = assess(&service(vec![failed]), &target()) else {
            panic!("failure expected")
        };
        assert_eq!(
            reason,
            "deployment ecs-svc/new failed: ECS deployment circuit breaker: tasks failed to start."
        );
    }

    #[test]
    fn a_stable_service_after_rollback_is_failure_not_success() {
        // The circuit breaker rolled back: the old revision is PRIMARY, COMPLETED and fully running.
        let s = service(vec![dep(
            "ecs-svc/rollback",
            "PRIMARY",
            OLD,
            2,
            "COMPLETED",
        )]);
        let Some(Verdict::Failed { reason }) = assess(&s, &target()) else {
            panic!("failure expected")
        };
        assert!(
            reason.contains("is gone and the service now runs api:3"),
            "{reason}"
        );
        let mut s = service(vec![dep(
            "ecs-svc/rollback",
            "PRIMARY",
            OLD,
            2,
            "COMPLETED",
        )]);
        s.events = vec![crate::model::ServiceEvent {
            id: "e1".into(),
            created_at: String::new(),
            message:
                "(service api) deployment ecs-svc/new deployment failed: tasks failed to start."
                    .into(),
        }];
        let Some(Verdict::Failed { reason }) = assess(&s, &target()) else {
            panic!("failure expected")
        };
        assert!(reason.ends_with("(rolled back or replaced): (service api) deployment ecs-svc/new deployment failed: tasks failed to start."), "{reason}");
        let s = service(vec![
            dep("ecs-svc/rollback", "PRIMARY", OLD, 1, "IN_PROGRESS"),
            dep("ecs-svc/new", "ACTIVE", NEW, 0, "IN_PROGRESS"),
        ]);
        let Some(Verdict::Failed { reason }) = assess(&s, &target()) else {
            panic!("failure expected")
        };
        assert!(
            reason.contains("was replaced by ecs-svc/rollback running api:3"),
            "{reason}"
        );
    }

    #[test]
    fn without_rollout_state_success_needs_old_deployments_drained() {
        let s = service(vec![
            dep("ecs-svc/new", "PRIMARY", NEW, 2, ""),
            dep("ecs-svc/old", "ACTIVE", OLD, 1, ""),
        ]);
        assert_eq!(assess(&s, &target()), None);
        let s = service(vec![dep("ecs-svc/new", "PRIMARY", NEW, 2, "")]);
        assert_eq!(assess(&s, &target()), Some(Verdict::Completed));
    }

    #[test]
    fn polling_slows_down_when_nothing_changes() {
        assert_eq!(next_interval(0), Duration::from_secs(1));
        assert_eq!(next_interval(5), Duration::from_secs(2));
        assert_eq!(next_interval(100), Duration::from_secs(3));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_secs(45)), "45s");
        assert_eq!(human_duration(Duration::from_secs(900)), "15m");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m 30s");
    }
}
