//! The verdict on one service's rollout. Pure: service and task shapes in, verdict out.
//!
//! Success means the service's PRIMARY deployment is ours, runs our task definition, and is
//! COMPLETED with running = desired: "the service is stable" is not enough, since after a
//! circuit-breaker rollback the service is stable again on the *old* revision. Failure is called
//! as early as the evidence allows, and says whose move it was ([`Cause`]): our rollout failed
//! (FAILED, a crash loop), ECS put the previous revision back, someone else's deployment replaced
//! ours, or the service went away. Only the first is ours to roll back.

use crate::domain::arn::short_task_definition;
use crate::domain::deployment::{Hook, LifecycleStage};
use crate::domain::outcome::RollbackState;
use crate::domain::service::{Deployment, DeploymentTarget, ServiceState};
use crate::domain::states::{DeploymentStatus, RolloutState};
use crate::domain::task::StoppedTask;

/// How a rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Completed,
    /// It waits at a PAUSE lifecycle hook (`wait: paused`): neither done nor failed.
    Paused {
        service_deployment: String,
        stage: Option<LifecycleStage>,
        hook: Hook,
    },
    Failed {
        reason: String,
        cause: Cause,
    },
}

impl Verdict {
    /// Whether the wait ended well: completed, or paused at a PAUSE hook as asked.
    pub fn is_good(&self) -> bool {
        matches!(self, Self::Completed | Self::Paused { .. })
    }

    /// One line for a pause: where, at which hook, until when.
    pub fn paused_line(&self) -> Option<String> {
        match self {
            Self::Paused { stage, hook, .. } => Some(crate::watch::service_deployments::paused(
                hook,
                stage.as_ref(),
            )),
            _ => None,
        }
    }

    /// Whether ECS rolled the deployment back itself (its service deployment says so).
    pub fn is_ecs_rollback(&self) -> bool {
        matches!(
            self,
            Self::Failed {
                cause: Cause::EcsRollback { .. },
                ..
            }
        )
    }
}

/// Why a rollout did not complete, and so what is ours to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// Our rollout failed: FAILED, a crash loop, the wrong revision.
    Rollout,
    /// No verdict within the time allowed.
    TimedOut,
    /// The service could not be read (long enough, or with an error that will not go away) to
    /// tell how the rollout went.
    Unreadable,
    /// The service runs the revision it ran before again, in deployment `deployment` (ECS's
    /// circuit breaker, or someone rolling back).
    RolledBack { deployment: String },
    /// Another deployment of another revision replaced ours (another deploy, the console).
    Superseded {
        deployment: String,
        task_definition: String,
    },
    /// The service was deleted, or is no longer ACTIVE.
    ServiceGone,
    /// ECS rolled the deployment back itself (its service deployment: circuit breaker, alarms,
    /// a lifecycle hook), and the watch saw how far that went.
    EcsRollback {
        service_deployment: String,
        state: RollbackState,
    },
    /// ECS stopped the deployment without rolling back (someone asked it to, or a newer
    /// deployment replaced it).
    Stopped { service_deployment: String },
    /// What was asked cannot be told (`wait: paused` without ECS's service deployments):
    /// the service is left as it is.
    NotJudged,
}

impl Cause {
    /// Whether ecs-ship should put the service back itself (`rollback: true`): only when the
    /// failure is of our own rollout, never over ECS's rollback or someone else's deployment.
    pub fn ours_to_roll_back(&self) -> bool {
        matches!(self, Self::Rollout | Self::TimedOut | Self::Unreadable)
    }
}

fn failed(reason: String, cause: Cause) -> Verdict {
    Verdict::Failed { reason, cause }
}

/// The verdict on a rollout, or `None` while it is still going. `failures` are the stopped
/// tasks of our deployment that count as failures, newest first. `tasks_unreadable` says why
/// they could not be read; then ECS's own count of failed tasks stands in for them.
pub fn assess(
    state: &ServiceState,
    target: &DeploymentTarget,
    failures: &[StoppedTask],
    max_task_failures: u32,
    tasks_unreadable: Option<&str>,
) -> Option<Verdict> {
    let Some(ours) = state.deployment(&target.deployment_id) else {
        return Some(replaced(state, target, "is gone"));
    };
    let ours_failed = ours.rollout_state == Some(RolloutState::Failed);
    if ours.status != DeploymentStatus::Primary || ours_failed {
        let other_primary = state.primary().is_some_and(|p| p.id != ours.id);
        if other_primary {
            let why = ours
                .rollout_state_reason
                .as_deref()
                .filter(|_| ours_failed)
                .map_or_else(|| "was replaced".to_string(), |r| format!("failed: {r};"));
            return Some(replaced(state, target, &why));
        }
    }
    if ours_failed {
        let why = ours
            .rollout_state_reason
            .clone()
            .unwrap_or_else(|| "no reason given".into());
        return Some(failed(
            format!("deployment {} failed: {why}", ours.id),
            Cause::Rollout,
        ));
    }
    if ours.task_definition != target.task_definition {
        return Some(failed(
            format!(
                "deployment {} runs {}, not {}",
                ours.id,
                short_task_definition(&ours.task_definition),
                short_task_definition(&target.task_definition)
            ),
            Cause::Rollout,
        ));
    }
    let steady = ours.running == ours.desired && ours.pending == 0;
    let done = match &ours.rollout_state {
        Some(RolloutState::Completed) => steady,
        Some(_) => false,
        // No rollout state (older deployment controllers): only our deployment left, all running.
        None => steady && state.deployments.len() == 1,
    };
    if done {
        return Some(Verdict::Completed);
    }
    too_many_failures(ours, failures, max_task_failures, tasks_unreadable)
}

/// The rollout's failed tasks reached `max_task_failures` (0: off): ours as read, or ECS's count
/// when why they stopped could not be read.
fn too_many_failures(
    ours: &Deployment,
    failures: &[StoppedTask],
    max_task_failures: u32,
    tasks_unreadable: Option<&str>,
) -> Option<Verdict> {
    let ecs_count = usize::try_from(ours.failed_tasks).unwrap_or(0);
    let counted = match tasks_unreadable {
        Some(_) => failures.len().max(ecs_count),
        None => failures.len(),
    };
    if max_task_failures > 0 && counted >= max_task_failures as usize {
        let last = match (failures.first(), tasks_unreadable) {
            (Some(t), _) => format!("; the last one, task {}: {}", t.id(), t.cause()),
            (None, Some(why)) => {
                format!(" (ECS's count; why they stopped could not be read: {why})")
            }
            (None, None) => String::new(),
        };
        return Some(failed(
            format!("{counted} tasks of deployment {} stopped{last}", ours.id),
            Cause::Rollout,
        ));
    }
    None
}

/// Our deployment is no longer the service's: say by whom. When the new PRIMARY runs the
/// revision the service ran before, that is a rollback (ECS's circuit breaker or a person);
/// another revision is someone else's deploy.
fn replaced(state: &ServiceState, target: &DeploymentTarget, what: &str) -> Verdict {
    let Some(primary) = state.primary() else {
        return failed(
            format!(
                "deployment {} {what} and the service has no deployment",
                target.deployment_id
            ),
            Cause::ServiceGone,
        );
    };
    // ECS drops a rolled-back deployment from the list once drained; its events keep the why.
    let event = state
        .events
        .iter()
        .find(|e| e.message.contains(&target.deployment_id))
        .map_or(String::new(), |e| format!(": {}", e.message));
    let now = short_task_definition(&primary.task_definition);
    let is_previous = target
        .previous
        .as_deref()
        .is_some_and(|p| p == primary.task_definition);
    let what = what.trim_end_matches(';');
    if is_previous || target.previous.is_none() && primary.task_definition != target.task_definition
    {
        let how = if is_previous {
            "the service runs it again (rolled back)"
        } else {
            "(rolled back or replaced)"
        };
        return failed(
            format!(
                "deployment {} {what}; deployment {} of {now} replaced it, {how}{event}",
                target.deployment_id, primary.id
            ),
            Cause::RolledBack {
                deployment: primary.id.clone(),
            },
        );
    }
    failed(
        format!(
            "deployment {} {what}: superseded by deployment {} running {now} (another deploy or the console); ecs-ship leaves the service to it{event}",
            target.deployment_id, primary.id
        ),
        Cause::Superseded {
            deployment: primary.id.clone(),
            task_definition: primary.task_definition.clone(),
        },
    )
}

/// A service a run leaves as it is (nothing to change): its PRIMARY deployment decides whether
/// that is a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// Completed, every task running.
    Healthy,
    /// Still rolling out (or short of tasks): to be waited for and judged like a deploy.
    InProgress(DeploymentTarget),
    /// Failed, or no deployment to speak of: why.
    Failed(String),
}

/// What the service's PRIMARY deployment says. A rollout in progress is judged like our own: its
/// `previous` is the revision of the newest other deployment, the one it is replacing.
pub fn live(state: &ServiceState) -> Live {
    let Some(primary) = state.primary() else {
        return Live::Failed(format!(
            "service `{}` has no PRIMARY deployment",
            state.name
        ));
    };
    if primary.rollout_state == Some(RolloutState::Failed) {
        return Live::Failed(format!(
            "its deployment {} of {} failed: {}",
            primary.id,
            short_task_definition(&primary.task_definition),
            primary
                .rollout_state_reason
                .as_deref()
                .unwrap_or("no reason given")
        ));
    }
    let steady = primary.running == primary.desired && primary.pending == 0;
    let done = match &primary.rollout_state {
        Some(RolloutState::Completed) => steady,
        Some(_) => false,
        None => steady && state.deployments.len() == 1,
    };
    if done {
        return Live::Healthy;
    }
    Live::InProgress(DeploymentTarget {
        deployment_id: primary.id.clone(),
        task_definition: primary.task_definition.clone(),
        previous: state
            .deployments
            .iter()
            .find(|d| d.id != primary.id && d.task_definition != primary.task_definition)
            .map(|d| d.task_definition.clone()),
    })
}

/// One line describing where a rollout stands.
pub fn progress_line(state: &ServiceState, target: &DeploymentTarget) -> String {
    match state.deployment(&target.deployment_id) {
        Some(d) => format!(
            "running {}/{} pending {} rollout {}{}",
            d.running,
            d.desired,
            d.pending,
            d.rollout_state.as_ref().map_or("-", RolloutState::as_str),
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
