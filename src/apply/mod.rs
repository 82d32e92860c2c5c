//! The AWS writes of a deploy, each returning what it did: run the pre-deploy task
//! ([`predeploy`]), read the services again, then register each revision and update its services
//! as soon as it is registered ([`ship_all`], [`register`]); after a verified success, the record
//! and promotion tag ([`record`]) and the clean-up ([`cleanup`]).
//!
//! After the first `UpdateService` an AWS error is part of the outcome, never the end of the run:
//! an update whose answer was lost is found by reading the service, and a failed update says
//! whether the service is known to be unchanged.

pub mod cleanup;
pub mod predeploy;
pub mod record;
pub mod register;
pub mod schedules;
mod ship;
mod update;

pub use ship::{BURST, Shipped, Shipping, ToWatch, ship_all};

use crate::domain::arn::short_task_definition;
use crate::domain::service::ServiceState;
use crate::domain::watched::Watched;
use crate::gather::Reads;
use crate::plan::Plan;

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
    /// Not updated, on purpose: the deploy had already failed (a revision could not be
    /// registered, or a rollout failed), and updating it would only mean rolling it back.
    Held { why: String },
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
pub async fn reread<C: Reads>(cloud: &C, plans: &[Plan]) -> anyhow::Result<Vec<ServiceState>> {
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
