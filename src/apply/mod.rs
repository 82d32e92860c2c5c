//! The AWS writes of a deploy, each returning what it did: register the revisions (paced), run
//! the pre-deploy task ([`predeploy`]), read the services again, update them concurrently; after
//! a verified success, the record and promotion tag ([`record`]) and the clean-up ([`cleanup`]).
//!
//! After the first `UpdateService` an AWS error is part of the outcome, never the end of the run:
//! an update whose answer was lost is found by reading the service, and a failed update says
//! whether the service is known to be unchanged.

pub mod cleanup;
pub mod predeploy;
pub mod record;
pub mod register;

use std::io::Write;
use std::time::SystemTime;

use futures::future::join_all;

use crate::cloud::{self, Cloud, ServiceUpdate, UpdateFailed};
use crate::console::Console;
use crate::domain::ecs::{
    ServiceDeploymentRef, ServiceState, Watched, short_task_definition, started_deployment,
    where_it_stands,
};
use crate::plan::Plan;
use crate::progress::Progress;

/// What the update did to one service.
#[derive(Debug, Clone)]
pub enum Update {
    /// The plan leaves the service alone.
    Skipped,
    /// Updated (the desired count, say) without starting a deployment, as planned.
    Updated,
    /// The update failed; `now` says whether the service is known to be unchanged.
    Failed { error: String, now: String },
    /// The update answered, but no deployment of our revision started.
    NoDeployment { why: String },
    /// Our deployment started (where it stood then: `Rollout::of` its `initial` state).
    Started { watched: Box<Watched> },
}

impl Update {
    /// The deployments started, with their service's index.
    pub fn watched(updates: &[Update]) -> Vec<(usize, Watched)> {
        updates
            .iter()
            .enumerate()
            .filter_map(|(i, u)| match u {
                Update::Started { watched, .. } => Some((i, (**watched).clone())),
                _ => None,
            })
            .collect()
    }

    /// The updates that failed, one line each (`service: why`).
    pub fn errors(updates: &[Update], plans: &[Plan]) -> Vec<String> {
        updates
            .iter()
            .zip(plans)
            .filter_map(|(u, plan)| match u {
                Update::Failed { error: why, .. } | Update::NoDeployment { why } => {
                    Some(format!("{}: {why}", plan.service))
                }
                _ => None,
            })
            .collect()
    }
}

/// The services as they are right before the update, in the plans' order. Refuses when a service
/// no longer runs the revision this deploy was planned against: someone deployed meanwhile (a
/// migration can take minutes), and our render would undo their change; what a service runs now
/// is what a rollback goes back to.
pub async fn reread<C: Cloud>(cloud: &C, plans: &[Plan]) -> anyhow::Result<Vec<ServiceState>> {
    let names: Vec<String> = plans.iter().map(|p| p.service.clone()).collect();
    let befores = crate::gather::describe_all(cloud, &plans[0].cluster, &names)
        .await
        .map_err(|err| err.context("reading the services again before updating them"))?;
    for (plan, now) in plans.iter().zip(&befores) {
        // Not a user error (exit 1): revisions were registered, a migration may have run.
        if now.task_definition != plan.live_task_definition_arn {
            anyhow::bail!(
                "service `{}` changed while this deploy ran: it runs {} now, not {} it was planned against, so no service was updated (another deploy or the console updated it; run the deploy again to build on what runs now)",
                plan.service,
                short_task_definition(&now.task_definition),
                short_task_definition(&plan.live_task_definition_arn)
            );
        }
    }
    Ok(befores)
}

/// Updates the services that need it, concurrently; one [`Update`] per plan. An update whose
/// answer was lost is found by reading the service: if it shows our new deployment, it is
/// watched like any other.
pub async fn update_all<C: Cloud, W: Write>(
    cloud: &C,
    plans: &[Plan],
    befores: &[ServiceState],
    arns: &[String],
    console: &mut Console<W>,
    progress: &Progress,
) -> Vec<Update> {
    let cluster = &plans[0].cluster;
    let results = join_all(
        plans
            .iter()
            .zip(arns)
            .enumerate()
            .filter(|(_, (p, _))| p.updates_service())
            .map(|(i, (plan, arn))| async move {
                let update = ServiceUpdate {
                    task_definition: plan.starts_deployment().then(|| arn.clone()),
                    desired_count: plan.desired_count,
                    force_new_deployment: plan.force_new_deployment,
                    settings: plan.settings.clone(),
                };
                let wanted = plan.starts_deployment().then_some(arn.as_str());
                let sent = SystemTime::now();
                let result =
                    cloud::update_service(cloud, cluster, &befores[i], &update, wanted).await;
                (i, sent, result)
            }),
    )
    .await;
    let mut done = vec![Update::Skipped; plans.len()];
    for (i, sent, result) in results {
        let service = &plans[i].service;
        let update = match result {
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
                    plans[i]
                        .desired_count
                        .map_or(String::new(), |n| format!(" (desired count {n})"))
                ));
                let update = started(cluster, &plans[i], &befores[i], updated, &arns[i], sent);
                if let Update::Started { watched } = &update {
                    progress.note(|r| {
                        r.in_flight.insert(i, (**watched).clone());
                    });
                }
                update
            }
            Err(failed) => {
                console.line(&format!("Updating {service} failed: {:#}", failed.error));
                failed_update(&failed, &befores[i])
            }
        };
        done[i] = update;
    }
    done
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
