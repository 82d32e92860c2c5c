//! Putting a service back on an earlier task definition: after a failed deploy (the rollback
//! policy, here), and on demand ([`command`], `ecs-ship rollback`).
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
//! - someone else's deployment superseded ours, or the service is gone: leave it alone;
//! - a service whose rollout completed is rolled back too (the deploy failed as a whole).
//!
//! What became of each rollback is kept beside why the deploy failed: completed, failed,
//! started but not verified, or not started at all, with where the service stands now.

pub mod command;

use std::io::Write;

use crate::cloud::{self, Cloud, ServiceUpdate};
use crate::console::Console;
use crate::domain::ecs::{DeploymentTarget, RolloutState, ServiceState, short_task_definition};
use crate::report::{Report, RollbackState, Status};
use crate::watch::{self, Cause, Ecs, Limits, Outcome, Verdict, Watched};

/// A deployment a deploy started, and how it ended.
#[derive(Debug, Clone)]
pub struct Started {
    /// The service's index in the report.
    pub index: usize,
    pub cluster: String,
    /// Our deployment; its `previous` is what a rollback goes back to.
    pub target: DeploymentTarget,
    pub outcome: Outcome,
}

/// A rollback being waited for.
struct Pending {
    index: usize,
    watched: Watched,
    by: &'static str,
}

/// After a deploy failed: the rollback policy for every service it started (see the module
/// docs), then a wait for all the rollbacks together. Never fails: what could not be done is
/// reported.
pub async fn after_failure<C: Cloud, W: Write>(
    cloud: &C,
    started: &[Started],
    limits: Limits,
    console: &mut Console<W>,
    report: &mut Report,
) {
    let mut pending = Vec::new();
    for s in started {
        if let Some(p) = begin(cloud, s, console, report).await {
            pending.push(p);
        }
    }
    if !pending.is_empty() {
        wait_for_rollbacks(cloud, &pending, limits, console, report).await;
    }
    conclude(started, report);
}

/// Starts (or adopts) the rollback of one service, or says why there is none.
async fn begin<C: Cloud, W: Write>(
    cloud: &C,
    s: &Started,
    console: &mut Console<W>,
    report: &mut Report,
) -> Option<Pending> {
    let name = &s.outcome.last_state.name;
    let cause = match &s.outcome.verdict {
        Verdict::Completed => None,
        Verdict::Failed { cause, .. } => Some(cause),
    };
    if matches!(cause, Some(Cause::Superseded { .. } | Cause::ServiceGone)) {
        console.line(&format!(
            "Not rolling back {name}: it is not ours any more."
        ));
        report.services[s.index].now = Some(s.outcome.where_it_stands());
        return None;
    }
    let Some(previous) = s.target.previous.clone() else {
        console.line(&format!(
            "Not rolling back {name}: what it ran before is not known."
        ));
        report.services[s.index].now = Some(s.outcome.where_it_stands());
        return None;
    };
    if previous == s.target.task_definition {
        console.line(&format!(
            "Not rolling back {name}: the deployment ran the same revision as before."
        ));
        report.services[s.index].now = Some(s.outcome.where_it_stands());
        return None;
    }
    console.group(&format!(
        "Roll back {name} to {}",
        short_task_definition(&previous)
    ));
    note_rollback(report, s.index, &previous);
    let pending = if let Some(Cause::RolledBack { deployment }) = cause {
        let pending = adopt(s, deployment, previous);
        console.line(&format!(
            "{} already rolled back (deployment {deployment}); waiting for it",
            pending.by
        ));
        pending
    } else {
        match start(cloud, &s.cluster, &s.outcome.last_state, &previous, console).await {
            Ok((target, state)) => Pending {
                index: s.index,
                by: "ecs-ship",
                watched: Watched {
                    cluster: s.cluster.clone(),
                    initial: state,
                    target,
                },
            },
            Err(err) => {
                console.line(&format!(
                    "The rollback of {name} could not be started: {err:#}"
                ));
                let result = &mut report.services[s.index];
                result.rollback_state = Some(RollbackState::NotStarted(format!("{err:#}")));
                result.now = Some(s.outcome.where_it_stands());
                if s.index == 0 {
                    report.rolled_back_by = Some("ecs-ship".into());
                }
                return None;
            }
        }
    };
    if pending.index == 0 {
        report.rolled_back_by = Some(pending.by.to_string());
        report.rollback_rollout = Some(crate::apply::rollout(
            &pending.watched.initial,
            &pending.watched.target,
        ));
    } else {
        report
            .rolled_back_by
            .get_or_insert_with(|| pending.by.to_string());
    }
    Some(pending)
}

/// The rollback ECS's circuit breaker (or someone) already started, to be waited for.
fn adopt(s: &Started, deployment: &str, previous: String) -> Pending {
    let ours_failed = s
        .outcome
        .last_state
        .deployment(&s.target.deployment_id)
        .is_some_and(|d| d.rollout_state == Some(RolloutState::Failed));
    Pending {
        index: s.index,
        by: if ours_failed {
            "ECS (circuit breaker)"
        } else {
            "another deployment"
        },
        watched: Watched {
            cluster: s.cluster.clone(),
            initial: s.outcome.last_state.clone(),
            target: DeploymentTarget {
                deployment_id: deployment.to_string(),
                task_definition: previous,
                previous: Some(s.target.task_definition.clone()),
            },
        },
    }
}

fn note_rollback(report: &mut Report, index: usize, to: &str) {
    report.services[index].rollback_task_definition_arn = Some(to.to_string());
    if index == 0 {
        report.rollback_task_definition_arn = Some(to.to_string());
    }
}

/// Waits for the rollbacks together and records what became of each.
async fn wait_for_rollbacks<C: Cloud, W: Write>(
    cloud: &C,
    pending: &[Pending],
    limits: Limits,
    console: &mut Console<W>,
    report: &mut Report,
) {
    console.group("Wait for the rollback");
    let items: Vec<Watched> = pending.iter().map(|p| p.watched.clone()).collect();
    let outcomes = watch::watch(&mut Ecs(cloud), &items, limits, console).await;
    for (p, outcome) in pending.iter().zip(&outcomes) {
        let rollout = crate::apply::rollout(&outcome.last_state, &p.watched.target);
        if p.index == 0 {
            report.rollback_rollout = Some(rollout);
        }
        let result = &mut report.services[p.index];
        result.now = Some(outcome.where_it_stands());
        result.rollback_state = Some(match &outcome.verdict {
            Verdict::Completed => RollbackState::Completed,
            Verdict::Failed {
                reason,
                cause: Cause::Unreadable,
            } => RollbackState::Unverified(format!(
                "deployment {} was started, but {reason}",
                p.watched.target.deployment_id
            )),
            Verdict::Failed { reason, .. } => RollbackState::Failed(reason.clone()),
        });
    }
}

/// The run's status and message from what became of the rollbacks: `rolled-back` only when every
/// service of the deploy is back on its previous revision, verified; otherwise `failed`, with a
/// clause for each rollback that did not complete.
fn conclude(started: &[Started], report: &mut Report) {
    let mut clauses = Vec::new();
    let mut all_back = true;
    for s in started {
        let result = &mut report.services[s.index];
        let to = result
            .rollback_task_definition_arn
            .as_deref()
            .map(short_task_definition)
            .unwrap_or_default()
            .to_string();
        let state = result.rollback_state.clone();
        match state {
            Some(RollbackState::Completed) => result.status = Status::RolledBack,
            Some(other) => {
                all_back = false;
                result.status = Status::Failed;
                clauses.push(match other {
                    RollbackState::NotStarted(why) => format!(
                        "the rollback of {} to {to} could not be started: {why}",
                        result.service
                    ),
                    RollbackState::Unverified(why) => format!(
                        "the rollback of {} to {to} could not be verified: {why}",
                        result.service
                    ),
                    RollbackState::Failed(why) => format!(
                        "the rollback of {} to {to} also failed: {why}",
                        result.service
                    ),
                    RollbackState::Completed => unreachable!("matched above"),
                });
            }
            None => all_back = false,
        }
    }
    report.rollback_state = report
        .services
        .first()
        .and_then(|s| s.rollback_state.clone());
    if all_back && !started.is_empty() {
        report.status = Status::RolledBack;
    } else if let Some(failure) = &mut report.failure {
        if !clauses.is_empty() {
            failure.message = format!("{}; {}", failure.message, clauses.join("; "));
        }
    }
}

/// With `rollback: false`: nothing is undone, and the report says where each service stands.
pub fn note_where_they_stand(started: &[Started], report: &mut Report) {
    for s in started {
        report.services[s.index].now = Some(s.outcome.where_it_stands());
    }
}

/// Updates the service to `to` and returns the deployment that started. An update whose answer
/// was lost is found by reading the service.
async fn start<C: Cloud, W: Write>(
    cloud: &C,
    cluster: &str,
    now: &ServiceState,
    to: &str,
    console: &mut Console<W>,
) -> anyhow::Result<(DeploymentTarget, ServiceState)> {
    let update = ServiceUpdate {
        task_definition: Some(to.to_string()),
        ..ServiceUpdate::default()
    };
    let updated = cloud::update_service(cloud, cluster, now, &update, Some(to))
        .await
        .map_err(|failed| failed.error)?;
    let target = crate::domain::ecs::started_deployment(now, &updated, to).ok_or_else(|| {
        anyhow::anyhow!(
            "the update started no deployment of {} (the service {})",
            short_task_definition(to),
            crate::domain::ecs::where_it_stands(&updated)
        )
    })?;
    crate::progress::wrote(format!(
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
    Ok((target, updated))
}
