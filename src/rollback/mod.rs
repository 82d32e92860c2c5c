//! Putting a service back on an earlier task definition: after a failed deploy (the rollback
//! policy, here), and on demand (the `rollback` command, in [`crate::command::rollback`]).
//!
//! The target is always an exact revision: the one the service ran just before our update (read
//! again right before it), or the one recorded in the current revision's
//! `ecs-ship:previous-task-definition` tag, or `--to`. Never "the next lower revision", which may
//! be a revision that was never deployed.
//!
//! The policy after a failure, per service of the deploy (all or nothing):
//! - our own rollout failed, or its verdict could not be had: roll back, then verify;
//! - ECS's circuit breaker (or someone) already put the previous revision back: report it and
//!   wait for it, never a second rollback on top;
//! - ECS rolled back its service deployment (circuit breaker, alarms, a hook): the watch already
//!   waited for that rollback to end; report how it went, never a second rollback on top;
//! - ECS stopped the deployment without a rollback (someone asked it to): leave it alone;
//! - someone else's deployment superseded ours, or the service is gone: leave it alone;
//! - a service whose rollout completed is rolled back too (the deploy failed as a whole).
//!
//! What became of each rollback is kept beside why the deploy failed: completed, failed,
//! started but not verified, or not started at all, with where the service stands now.

pub mod cancel;

use std::io::Write;

use crate::cloud::{self, ServiceDeployments, ServiceUpdate, Services, Tasks};
use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::deployment::{HookStatus, Standing, standing};
use crate::domain::outcome::{RollbackState, RolledBackBy, Rollout};
use crate::domain::service::{DeploymentTarget, ServiceState};
use crate::domain::states::RolloutState;
use crate::domain::watched::ServiceDeploymentRef;
use crate::progress::{Progress, RollbackStarted};
use crate::watch::{self, Cause, Ecs, Limits, Outcome, Verdict, Watched};

/// A deployment a deploy started, and how it ended.
#[derive(Debug, Clone)]
pub struct Started {
    /// The service's index in the deploy.
    pub index: usize,
    pub cluster: String,
    /// Our deployment; its `previous` is what a rollback goes back to.
    pub target: DeploymentTarget,
    pub outcome: Outcome,
}

/// How the rollback of one service began.
#[derive(Debug, Clone)]
pub enum Begun {
    /// Not rolled back (not ours any more, nothing known to go back to); where it stands.
    Left { now: String },
    /// The update that would start it failed; where the failed rollout left the service.
    NotStarted {
        to: String,
        why: String,
        now: String,
    },
    /// Started by us, or already under way (ECS's circuit breaker): to be waited for. It goes
    /// back to `to`; `through`: the service deployment ECS rolls back when we asked ECS to (its
    /// record judges it, `watched` being our failed deployment).
    Pending {
        by: RolledBackBy,
        watched: Box<Watched>,
        to: String,
        through: Option<String>,
    },
    /// ECS rolled back its service deployment, and the watch saw it end (or the wait end).
    Ended {
        started: RollbackStarted,
        now: String,
        state: RollbackState,
    },
}

impl Begun {
    /// The rollback under way: to which revision, by whom, and where it stood when it began.
    pub fn under_way(&self) -> Option<RollbackStarted> {
        match self {
            Self::Pending {
                by,
                watched,
                to,
                through,
            } => Some(RollbackStarted {
                to: to.clone(),
                by: *by,
                rollout: match through {
                    // The deployment ECS starts to roll back is not known yet.
                    Some(_) => Rollout {
                        deployment_id: String::new(),
                        state: None,
                        running: watched.initial.running,
                        desired: watched.initial.desired,
                    },
                    None => Rollout::of(&watched.initial, &watched.target),
                },
                through: through.clone(),
            }),
            Self::Ended { started, .. } => Some(started.clone()),
            Self::Left { .. } | Self::NotStarted { .. } => None,
        }
    }
}

/// What became of a rollback that was waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waited {
    pub index: usize,
    pub rollout: Rollout,
    /// Where the service stands now.
    pub now: String,
    pub state: RollbackState,
}

/// After a deploy failed: the rollback policy for every service it started (see the module
/// docs), one [`Begun`] each, with its service's index. Never fails: what could not be done is
/// in the result.
pub async fn begin_all<C: ServiceDeployments + Services, W: Write>(
    cloud: &C,
    started: &[Started],
    console: &Console<W>,
    progress: &Progress,
) -> Vec<(usize, Begun)> {
    let mut begun = Vec::with_capacity(started.len());
    for s in started {
        let b = begin(cloud, s, console, progress).await;
        if let Some(started) = b.under_way() {
            progress.note(|r| {
                r.rollbacks.insert(s.index, started);
            });
        }
        begun.push((s.index, b));
    }
    begun
}

/// Starts (or adopts) the rollback of one service, or says why there is none.
async fn begin<C: ServiceDeployments + Services, W: Write>(
    cloud: &C,
    s: &Started,
    console: &Console<W>,
    progress: &Progress,
) -> Begun {
    let name = &s.outcome.last_state.name;
    let cause = match &s.outcome.verdict {
        Verdict::Completed => None,
        Verdict::Paused {
            service_deployment,
            hook,
            ..
        } => {
            return at_hook(cloud, s, service_deployment, &hook.id, console, progress).await;
        }
        Verdict::Failed { cause, .. } => Some(cause),
    };
    let previous = match to_go_back_to(s, cause) {
        Ok(previous) => previous,
        Err(why) => {
            console.line(&format!("Not rolling back {name}: {why}"));
            return Begun::Left {
                now: s.outcome.where_it_stands(),
            };
        }
    };
    if let Some(Cause::EcsRollback { state, .. }) = cause {
        let by = s
            .outcome
            .service_deployment
            .as_ref()
            .map_or(RolledBackBy::Ecs, who_rolled_back);
        console.line(&format!(
            "{} rolled back {name}: {}",
            by.as_str(),
            match state {
                RollbackState::Completed => "the rollback completed".to_string(),
                RollbackState::Failed(why) => format!("the rollback failed: {why}"),
                RollbackState::Unverified(why) | RollbackState::NotStarted(why) => why.clone(),
            }
        ));
        return Begun::Ended {
            started: RollbackStarted {
                to: previous,
                by,
                rollout: primary_rollout(&s.outcome.last_state),
                // Already ended when the watch saw it: nothing under way to name.
                through: None,
            },
            now: s.outcome.where_it_stands(),
            state: state.clone(),
        };
    }
    console.group(&format!(
        "Roll back {name} to {}",
        short_task_definition(&previous)
    ));
    if let Some(Cause::RolledBack { deployment }) = cause {
        let (by, watched) = adopt(s, deployment, previous);
        console.line(&format!(
            "{} already rolled back (deployment {deployment}); waiting for it",
            by.as_str()
        ));
        return pending(by, watched);
    }
    if let Some((service_deployment, hook)) = ecs_owns_rollback(s) {
        match through_ecs(cloud, s, service_deployment, hook, console, progress).await {
            Ok(begun) => return begun,
            Err(why) => console.line(&format!(
                "ECS did not roll the deployment back ({why}); updating the service back instead"
            )),
        }
    }
    match start(
        cloud,
        &s.cluster,
        &s.outcome.last_state,
        &previous,
        console,
        progress,
    )
    .await
    {
        Ok(watched) => pending(RolledBackBy::EcsShip, watched),
        Err(err) => {
            console.line(&format!(
                "The rollback of {name} could not be started: {err:#}"
            ));
            Begun::NotStarted {
                to: previous,
                why: format!("{err:#}"),
                now: s.outcome.where_it_stands(),
            }
        }
    }
}

/// The revision to go back to, or why there is none to go back to.
fn to_go_back_to(s: &Started, cause: Option<&Cause>) -> Result<String, &'static str> {
    if matches!(cause, Some(Cause::Superseded { .. } | Cause::ServiceGone)) {
        return Err("it is not ours any more.");
    }
    if matches!(cause, Some(Cause::Stopped { .. })) {
        return Err(
            "ECS stopped its deployment without a rollback (someone asked it to); it is left as ECS left it.",
        );
    }
    let Some(previous) = s.target.previous.clone() else {
        return Err("what it ran before is not known.");
    };
    if previous == s.target.task_definition {
        return Err("the deployment ran the same revision as before.");
    }
    Ok(previous)
}

fn pending(by: RolledBackBy, watched: Watched) -> Begun {
    Begun::Pending {
        by,
        to: watched.target.task_definition.clone(),
        through: None,
        watched: Box::new(watched),
    }
}

/// The rollback ECS's circuit breaker (or someone) already started, to be waited for.
fn adopt(s: &Started, deployment: &str, previous: String) -> (RolledBackBy, Watched) {
    let ours_failed = s
        .outcome
        .last_state
        .deployment(&s.target.deployment_id)
        .is_some_and(|d| d.rollout_state == Some(RolloutState::Failed));
    let by = if ours_failed {
        RolledBackBy::CircuitBreaker
    } else {
        RolledBackBy::AnotherDeployment
    };
    let watched = Watched {
        cluster: s.cluster.clone(),
        initial: s.outcome.last_state.clone(),
        target: DeploymentTarget {
            deployment_id: deployment.to_string(),
            task_definition: previous,
            previous: Some(s.target.task_definition.clone()),
        },
        service_deployment: ServiceDeploymentRef::Unknown,
    };
    (by, watched)
}

/// Where the service's PRIMARY deployment stands (after ECS's rollback, the rollback's).
fn primary_rollout(state: &ServiceState) -> Rollout {
    match state.primary() {
        Some(p) => Rollout {
            deployment_id: p.id.clone(),
            state: p.rollout_state.clone(),
            running: p.running,
            desired: p.desired,
        },
        None => Rollout {
            deployment_id: String::new(),
            state: None,
            running: state.running,
            desired: state.desired,
        },
    }
}

/// Who rolled back a service deployment, from what it says.
fn who_rolled_back(sd: &crate::domain::deployment::ServiceDeployment) -> RolledBackBy {
    if !sd.triggered_alarms.is_empty() {
        RolledBackBy::Alarms
    } else if sd
        .circuit_breaker
        .is_some_and(|c| c.threshold > 0 && c.failed >= c.threshold)
    {
        RolledBackBy::CircuitBreaker
    } else {
        RolledBackBy::Ecs
    }
}

/// Waits for the pending rollbacks together; what became of each (those ECS ended, as the watch
/// saw them).
pub async fn wait_all<C: ServiceDeployments + Services + Tasks, W: Write>(
    cloud: &C,
    begun: &[(usize, Begun)],
    limits: Limits,
    console: &Console<W>,
) -> Vec<Waited> {
    let pending: Vec<(usize, &Watched, bool)> = begun
        .iter()
        .filter_map(|(i, b)| match b {
            Begun::Pending {
                watched, through, ..
            } => Some((*i, &**watched, through.is_some())),
            _ => None,
        })
        .collect();
    let mut waited: Vec<Waited> = begun
        .iter()
        .filter_map(|(index, b)| match b {
            Begun::Ended {
                started,
                now,
                state,
            } => Some(Waited {
                index: *index,
                rollout: started.rollout.clone(),
                now: now.clone(),
                state: state.clone(),
            }),
            _ => None,
        })
        .collect();
    if pending.is_empty() {
        return waited;
    }
    console.group("Wait for the rollback");
    let items: Vec<Watched> = pending.iter().map(|(_, w, _)| (*w).clone()).collect();
    let outcomes = watch::watch(&Ecs(cloud), &items, limits, console).await;
    waited.extend(
        pending
            .iter()
            .zip(&outcomes)
            .map(|((index, watched, through_ecs), outcome)| Waited {
                index: *index,
                // ECS's own rollback deployment is the service's PRIMARY one by then.
                rollout: if *through_ecs {
                    primary_rollout(&outcome.last_state)
                } else {
                    Rollout::of(&outcome.last_state, &watched.target)
                },
                now: outcome.where_it_stands(),
                state: rollback_state(outcome, &watched.target),
            }),
    );
    waited.sort_by_key(|w| w.index);
    waited
}

/// Rolls back a deployment paused at its PAUSE hook (the deploy failed elsewhere): ECS rolls it
/// back (`ContinueServiceDeployment` ROLLBACK), and ECS's record says how that went.
async fn at_hook<C: ServiceDeployments, W: Write>(
    cloud: &C,
    s: &Started,
    service_deployment: &str,
    hook_id: &str,
    console: &Console<W>,
    progress: &Progress,
) -> Begun {
    let name = &s.outcome.last_state.name;
    console.group(&format!("Roll back {name} at its lifecycle hook"));
    through_ecs(
        cloud,
        s,
        service_deployment,
        Some(hook_id),
        console,
        progress,
    )
    .await
    .unwrap_or_else(|why| {
        console.line(&format!(
            "The rollback of {name} could not be started: {why}"
        ));
        Begun::NotStarted {
            to: s.target.previous.clone().unwrap_or_default(),
            why,
            now: s.outcome.where_it_stands(),
        }
    })
}

/// The service deployment ECS should roll back itself, when ours failed: one that waits at a
/// PAUSE hook, or one whose strategy owns rollback (blue/green, linear, canary: an update to the
/// old revision would start a second deployment on top). Its ARN and the hook awaiting action.
fn ecs_owns_rollback(s: &Started) -> Option<(&str, Option<&str>)> {
    let sd = s.outcome.service_deployment.as_ref()?;
    let hook = match standing(sd) {
        Standing::AwaitingAction { .. } => sd
            .hooks
            .iter()
            .find(|h| h.status == HookStatus::AwaitingAction)
            .map(|h| h.id.as_str()),
        Standing::Underway { .. } => None,
        _ => return None,
    };
    let strategy_owns = sd
        .strategy
        .as_deref()
        .is_some_and(|s| ["BLUE_GREEN", "LINEAR", "CANARY"].contains(&s));
    (strategy_owns || hook.is_some()).then_some((sd.arn.as_str(), hook))
}

/// Asks ECS to roll the deployment back: at its hook (`ContinueServiceDeployment` ROLLBACK) or
/// in progress (`StopServiceDeployment` ROLLBACK); the rollback to wait for, or why ECS refused.
async fn through_ecs<C: ServiceDeployments, W: Write>(
    cloud: &C,
    s: &Started,
    service_deployment: &str,
    hook_id: Option<&str>,
    console: &Console<W>,
    progress: &Progress,
) -> Result<Begun, String> {
    let name = &s.outcome.last_state.name;
    let asked = match hook_id {
        Some(hook) => cloud::continue_service_deployment(
            cloud,
            service_deployment,
            hook,
            cloud::HookAction::Rollback,
        )
        .await
        .map(|()| format!("at hook {hook}")),
        None => {
            cloud::stop_service_deployment(cloud, service_deployment, cloud::StopType::Rollback)
                .await
                .map(|()| "by stopping it".to_string())
        }
    }
    .map_err(|err| format!("{err:#}"))?;
    progress.wrote(format!(
        "rolled back service deployment {service_deployment} of `{name}` {asked}"
    ));
    console.line(&format!(
        "Rolled back {name}'s deployment {asked}; ECS puts the previous revision back"
    ));
    Ok(Begun::Pending {
        by: RolledBackBy::EcsShip,
        to: s.target.previous.clone().unwrap_or_default(),
        through: Some(service_deployment.to_string()),
        watched: Box::new(Watched {
            cluster: s.cluster.clone(),
            initial: s.outcome.last_state.clone(),
            target: s.target.clone(),
            service_deployment: ServiceDeploymentRef::Known(service_deployment.to_string()),
        }),
    })
}

/// What became of a rollback, from the outcome of watching it.
pub fn rollback_state(outcome: &Outcome, target: &DeploymentTarget) -> RollbackState {
    match &outcome.verdict {
        Verdict::Completed => RollbackState::Completed,
        // ECS rolled back the deployment we asked it to (at its hook): its record says how.
        Verdict::Failed {
            cause: Cause::EcsRollback { state, .. },
            ..
        } => state.clone(),
        Verdict::Paused { .. } => RollbackState::Unverified(format!(
            "deployment {} is {}",
            target.deployment_id,
            outcome.verdict.paused_line().unwrap_or_default()
        )),
        Verdict::Failed {
            reason,
            cause: Cause::Unreadable,
        } => RollbackState::Unverified(format!(
            "deployment {} was started, but {reason}",
            target.deployment_id
        )),
        Verdict::Failed { reason, .. } => RollbackState::Failed(reason.clone()),
    }
}

/// Updates the service to `to` and returns the deployment that started, to be watched. An update
/// whose answer was lost is found by reading the service.
pub(crate) async fn start<C: Services, W: Write>(
    cloud: &C,
    cluster: &str,
    now: &ServiceState,
    to: &str,
    console: &Console<W>,
    progress: &Progress,
) -> anyhow::Result<Watched> {
    let update = ServiceUpdate {
        task_definition: Some(to.to_string()),
        ..ServiceUpdate::default()
    };
    let sent = std::time::SystemTime::now();
    let updated = cloud::update_service(cloud, cluster, now, &update, Some(to))
        .await
        .map_err(|failed| failed.error)?;
    let target =
        crate::domain::service::started_deployment(now, &updated, to).ok_or_else(|| {
            anyhow::anyhow!(
                "the update started no deployment of {} (the service {})",
                short_task_definition(to),
                crate::domain::service::where_it_stands(&updated)
            )
        })?;
    progress.wrote(format!(
        "rolled service `{}` back to `{}` (deployment {})",
        now.name,
        short_task_definition(to),
        target.deployment_id
    ));
    console.line(&format!(
        "Updated service {} to {} (deployment {})",
        now.name,
        short_task_definition(to),
        target.deployment_id
    ));
    Ok(Watched {
        cluster: cluster.to_string(),
        service_deployment: ServiceDeploymentRef::after_update(now, &updated, sent),
        initial: updated,
        target,
    })
}
