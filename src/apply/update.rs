//! One service's update: read once more when its registration took a while, `UpdateService`
//! within the deploy's deadline, and what it started (our deployment, or nothing).

use std::io::Write;
use std::time::SystemTime;

use tokio::time::Instant;

use super::{Update, reread};
use crate::cloud::{self, ServiceUpdate, UpdateFailed};
use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::service::{ServiceState, started_deployment, where_it_stands};
use crate::domain::watched::{ServiceDeploymentRef, Watched};
use crate::gather::Reads;
use crate::plan::Plan;
use crate::progress::Progress;

/// After this long since the services were read again, a service is read once more right before
/// its update (its registration waited on AWS's throttle, and someone may have deployed since).
const RECHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// The service as it is right before its update: as read before the registrations, or, when
/// they took a while, read once more (someone may have deployed meanwhile); or why it is not to
/// be updated (the deadline, a change, a read that failed).
async fn as_it_is_now<'a, C: Reads>(
    cloud: &C,
    plan: &Plan,
    before: &'a ServiceState,
    reread_at: Instant,
    deadline: Instant,
) -> Result<std::borrow::Cow<'a, ServiceState>, String> {
    if Instant::now() >= deadline {
        return Err("`time-limit-minutes` was reached before it could be updated".into());
    }
    if reread_at.elapsed() < RECHECK_AFTER {
        return Ok(std::borrow::Cow::Borrowed(before));
    }
    match tokio::time::timeout_at(deadline, reread(cloud, std::slice::from_ref(plan))).await {
        Ok(Ok(mut now)) => Ok(std::borrow::Cow::Owned(now.remove(0))),
        Ok(Err(err)) => Err(format!("{err:#}")),
        Err(_) => Err(
            "reading it again before its update did not finish before `time-limit-minutes` was reached"
                .into(),
        ),
    }
}

/// Updates one service to `arn` (when its plan updates it), reading it once more first when its
/// registration took a while. An update whose answer was lost is found by reading the service.
#[allow(clippy::too_many_arguments)]
pub(super) async fn update_one<C: Reads, W: Write>(
    cloud: &C,
    plan: &Plan,
    before: &ServiceState,
    arn: &str,
    reread_at: Instant,
    index: usize,
    console: &Console<W>,
    progress: &Progress,
    deadline: Instant,
) -> Update {
    if !plan.updates_service() {
        return Update::Skipped;
    }
    let service = &plan.service;
    let before = match as_it_is_now(cloud, plan, before, reread_at, deadline).await {
        Ok(before) => before,
        Err(error) => {
            return Update::Failed {
                error,
                now: format!("{} (not updated)", where_it_stands(before)),
            };
        }
    };
    let before = &*before;
    let update = ServiceUpdate {
        task_definition: plan.starts_deployment().then(|| arn.to_string()),
        desired_count: plan.desired_count,
        force_new_deployment: plan.force_new_deployment,
        settings: plan.settings.clone(),
    };
    let wanted = plan.starts_deployment().then_some(arn);
    let sent = SystemTime::now();
    let answer = tokio::time::timeout_at(
        deadline,
        cloud::update_service(cloud, &plan.cluster, before, &update, wanted),
    )
    .await
    .unwrap_or_else(|_| {
        Err(UpdateFailed {
            error: anyhow::anyhow!(
                "UpdateService did not answer before `time-limit-minutes` was reached"
            ),
            known_not_updated: false,
        })
    });
    match answer {
        Ok(updated) => {
            progress.wrote(format!(
                "updated service `{service}`{}",
                updated.primary().map_or(String::new(), |p| format!(
                    " (deployment {} of `{}`)",
                    p.id,
                    short_task_definition(&p.task_definition)
                ))
            ));
            console.line(&format!(
                "Updated service {service}{}",
                plan.desired_count
                    .map_or(String::new(), |n| format!(" (desired count {n})"))
            ));
            let update = started(&plan.cluster, plan, before, updated, arn, sent);
            if let Update::Started { watched } = &update {
                progress.note(|r| {
                    r.in_flight.insert(index, (**watched).clone());
                });
                if let Some(replaced) = watched
                    .target
                    .previous
                    .as_deref()
                    .filter(|r| *r != plan.live_task_definition_arn)
                {
                    console.warning(
                        "Service changed",
                        &crate::domain::service::changed_under_us(
                            service,
                            &plan.live_task_definition_arn,
                            replaced,
                        ),
                    );
                }
            }
            update
        }
        Err(failed) => {
            console.line(&format!("Updating {service} failed: {:#}", failed.error));
            failed_update(&failed, before)
        }
    }
}

/// A failed update, saying whether the service is known to be as it was.
fn failed_update(failed: &UpdateFailed, before: &ServiceState) -> Update {
    let now = if failed.known_not_updated {
        format!("{} (not updated)", where_it_stands(before))
    } else {
        format!(
            "unknown: the update may or may not have happened; before it, the service {}",
            where_it_stands(before)
        )
    };
    Update::Failed {
        error: format!("{:#}", failed.error),
        now,
    }
}

/// What an update that answered started: our deployment, or nothing (as planned, or not).
fn started(
    cluster: &str,
    plan: &Plan,
    before: &ServiceState,
    updated: ServiceState,
    arn: &str,
    sent: SystemTime,
) -> Update {
    if !plan.starts_deployment() {
        return Update::Updated;
    }
    let Some(target) = started_deployment(before, &updated, arn) else {
        return Update::NoDeployment {
            why: format!(
                "the update started no new deployment of {} (the service {})",
                short_task_definition(arn),
                where_it_stands(&updated)
            ),
        };
    };
    Update::Started {
        watched: Box::new(Watched {
            cluster: cluster.to_string(),
            service_deployment: ServiceDeploymentRef::after_update(before, &updated, sent),
            initial: updated,
            target,
        }),
    }
}
