//! `on-cancel: rollback`: when the job is cancelled (SIGTERM, SIGINT) while rollouts it started
//! are in flight, roll each back before exiting, within the runner's grace period.
//!
//! A rollout whose service deployment is known is stopped with a rollback
//! (`StopServiceDeployment` ROLLBACK: ECS puts the source revision back, whatever the strategy).
//! Where that is not possible (no service deployment known, the call denied, or ECS says it is no
//! longer in progress), the service is updated back to the revision it ran before, as the
//! rollback after a failure does. All at once, each bounded by [`BUDGET`]: the process exits
//! within the runner's grace period whatever AWS does.

use std::io::Write;
use std::time::Duration;

use futures::future::join_all;

use crate::cloud::{ServiceDeployments, Services, StopType};
use crate::console::{Console, Mode};
use crate::domain::arn::short_task_definition;
use crate::domain::watched::{ServiceDeploymentRef, Watched};
use crate::progress::Progress;

/// How long the rollbacks on cancel may take together (the runner's grace period is longer).
pub const BUDGET: Duration = Duration::from_secs(4);

/// What was done for one rollout in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelRollback {
    /// Its service deployment was stopped with a rollback: ECS puts `to` back.
    Stopped { arn: String, to: Option<String> },
    /// The service was updated back to `to` (deployment `deployment`).
    Updated { to: String, deployment: String },
    /// Nothing could be done: why (the service is where the rollout left it).
    Failed(String),
}

impl CancelRollback {
    /// One line for the report.
    pub fn describe(&self) -> String {
        match self {
            Self::Stopped { arn, to } => format!(
                "stopped service deployment {arn} with a rollback{}",
                to.as_deref().map_or(String::new(), |to| format!(
                    " (ECS puts {} back)",
                    short_task_definition(to)
                ))
            ),
            Self::Updated { to, deployment } => format!(
                "updated back to {} (deployment {deployment})",
                short_task_definition(to)
            ),
            Self::Failed(why) => format!("not rolled back: {why}"),
        }
    }
}

/// Rolls back every rollout in flight, concurrently, within [`BUDGET`]; what was done for each
/// service (by index).
pub async fn roll_back_in_flight<C: ServiceDeployments + Services>(
    cloud: &C,
    in_flight: &[(usize, Watched)],
    progress: &Progress,
) -> Vec<(usize, CancelRollback)> {
    join_all(in_flight.iter().map(|(i, watched)| async move {
        let done = tokio::time::timeout(BUDGET, roll_back(cloud, watched, progress))
            .await
            .unwrap_or_else(|_| {
                CancelRollback::Failed(format!("AWS did not answer within {} s", BUDGET.as_secs()))
            });
        (*i, done)
    }))
    .await
}

async fn roll_back<C: ServiceDeployments + Services>(
    cloud: &C,
    w: &Watched,
    progress: &Progress,
) -> CancelRollback {
    let name = &w.initial.name;
    let mut stop_failed = None;
    if let ServiceDeploymentRef::Known(arn) = &w.service_deployment {
        match crate::cloud::stop_service_deployment(cloud, arn, StopType::Rollback).await {
            Ok(()) => {
                progress.wrote(format!(
                    "stopped service deployment {arn} of `{name}` with a rollback (on cancel)"
                ));
                return CancelRollback::Stopped {
                    arn: arn.clone(),
                    to: w.target.previous.clone(),
                };
            }
            Err(err) => stop_failed = Some(format!("{err:#}")),
        }
    }
    let Some(to) = w.target.previous.clone() else {
        return CancelRollback::Failed(
            stop_failed.unwrap_or_else(|| "what it ran before is not known".into()),
        );
    };
    // The update's own log lines go nowhere: the run is ending, the report says what was done.
    let quiet = Console::new(std::io::sink(), Mode::Human);
    match crate::rollback::start(cloud, &w.cluster, &w.initial, &to, &quiet, progress).await {
        Ok(back) => CancelRollback::Updated {
            to,
            deployment: back.target.deployment_id,
        },
        Err(err) => CancelRollback::Failed(match stop_failed {
            Some(stop) => {
                format!("stopping it failed ({stop}), and so did the update back ({err:#})")
            }
            None => format!("{err:#}"),
        }),
    }
}

/// Says what was done, one line per service.
pub fn say<W: Write>(
    done: &[(usize, CancelRollback)],
    in_flight: &[(usize, Watched)],
    console: &Console<W>,
) {
    for (i, what) in done {
        if let Some((_, w)) = in_flight.iter().find(|(j, _)| j == i) {
            console.line(&format!(
                "On cancel, {}: {}",
                w.initial.name,
                what.describe()
            ));
        }
    }
}
