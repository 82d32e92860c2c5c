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
pub mod task_logs;

use std::io::Write;
use std::time::SystemTime;

use tokio::time::Instant;

use futures::future::join_all;

use crate::cloud::{self, Cloud, ServiceUpdate, UpdateFailed};
use crate::console::Console;
use crate::domain::ecs::{
    ServiceDeploymentRef, ServiceState, Watched, short_task_definition, started_deployment,
    where_it_stands,
};
use crate::plan::Plan;
use crate::progress::Progress;
use register::Registrar;

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

/// What shipping did: the revision each plan deploys, one [`Update`] per plan, and the first
/// registration that failed.
#[derive(Debug, Default)]
pub struct Shipped {
    /// The task definition each plan deploys (the live one when unchanged, or not registered).
    pub arns: Vec<String>,
    pub updates: Vec<Update>,
    /// The first registration that failed, as AWS answered.
    pub registration_error: Option<anyhow::Error>,
}

/// After this long since the services were read again, a service is read once more right before
/// its update (its registration waited on AWS's throttle, and someone may have deployed since).
const RECHECK_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Registers each distinct revision and updates each service as soon as its revision is
/// registered: no barrier across services. Registrations run at AWS's real limits (see
/// [`register`]); a service whose revision could not be registered is not updated, and the
/// others go on (the deploy then fails as a whole, and the rollback policy puts them back).
#[allow(clippy::too_many_arguments)]
pub async fn ship_all<C: Cloud, W: Write>(
    cloud: &C,
    registrar: &Registrar,
    plans: &[Plan],
    befores: &[ServiceState],
    console: &Console<W>,
    progress: &Progress,
    deadline: Instant,
) -> Shipped {
    let reread_at = Instant::now();
    let groups = registrations(plans);
    let groups: Vec<(Option<&serde_json::Value>, Vec<usize>)> = groups
        .iter()
        .map(|(body, members)| (body.as_ref(), members.clone()))
        .collect();
    let console = &console;
    let shipped = join_all(groups.iter().map(|(rendered, members)| async move {
        let arn = if let Some(body) = rendered {
            let say = |line: String| console.line(&line);
            match registrar.register(cloud, body, progress, &say).await {
                Ok(r) => {
                    if r.new {
                        console.line(&registered_line(&r));
                    }
                    r.arn
                }
                Err(err) => return (members.clone(), None, Err(err)),
            }
        } else {
            // Unchanged, or an existing revision deployed as it is.
            let plan = &plans[members[0]];
            plan.existing
                .clone()
                .unwrap_or_else(|| plan.live_task_definition_arn.clone())
        };
        progress.note(|r| {
            for i in members {
                r.deploys.insert(*i, arn.clone());
            }
        });
        let updates = join_all(members.iter().map(|i| {
            update_one(
                cloud,
                &plans[*i],
                &befores[*i],
                &arn,
                reread_at,
                *i,
                console,
                progress,
                deadline,
            )
        }))
        .await;
        (members.clone(), Some(arn), Ok(updates))
    }))
    .await;
    let mut out = Shipped {
        arns: plans
            .iter()
            .map(|p| p.live_task_definition_arn.clone())
            .collect(),
        updates: vec![Update::Skipped; plans.len()],
        registration_error: None,
    };
    for (members, arn, result) in shipped {
        match result {
            Ok(updates) => {
                for (i, update) in members.iter().zip(updates) {
                    out.arns[*i].clone_from(arn.as_ref().expect("registered"));
                    out.updates[*i] = update;
                }
            }
            Err(err) => {
                for i in &members {
                    console.line(&format!(
                        "Registering the revision of {} failed: {err:#}",
                        plans[*i].service
                    ));
                    out.updates[*i] = Update::Failed {
                        error: format!("registering its task definition failed: {err:#}"),
                        now: format!("{} (not updated)", where_it_stands(&befores[*i])),
                    };
                }
                out.registration_error.get_or_insert(err);
            }
        }
    }
    out
}

/// The revisions to register, each with the plans that deploy it (`None`: plans that register
/// nothing, one group each). Plans whose rendered revisions differ only in the revision each
/// replaced (services of one family deployed at different times) share one revision: it records
/// the revision it replaced when they all replaced the same one, and none otherwise (the
/// `rollback` command then needs `to` for them).
fn registrations(plans: &[Plan]) -> Vec<(Option<serde_json::Value>, Vec<usize>)> {
    let mut groups: Vec<(Option<serde_json::Value>, Vec<usize>)> = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        // A revision deployed as it is (`task-definition-arn`) is not registered.
        let registers = plan.changed && plan.existing.is_none();
        let shared = registers.then(|| register::without_previous(&plan.rendered));
        match groups.iter_mut().find(|(body, _)| {
            shared.is_some() && body.as_ref().map(register::without_previous) == shared
        }) {
            Some((body, members)) => {
                members.push(i);
                let replaced = |body: &serde_json::Value| {
                    crate::domain::taskdef::tag(body, crate::plan::PREVIOUS_TAG).map(str::to_string)
                };
                if let Some(body) = body.as_mut()
                    && replaced(body) != replaced(&plan.rendered)
                {
                    *body = register::without_previous(body);
                }
            }
            None => groups.push((registers.then(|| plan.rendered.clone()), vec![i])),
        }
    }
    groups
}

/// `Registered api:4`, with how often AWS throttled it first.
fn registered_line(r: &register::Registered) -> String {
    format!(
        "Registered {}{}",
        short_task_definition(&r.arn),
        match r.throttled {
            0 => String::new(),
            n => format!(
                " (throttled {n} time{} first)",
                if n == 1 { "" } else { "s" }
            ),
        }
    )
}

/// The service as it is right before its update: as read before the registrations, or, when
/// they took a while, read once more (someone may have deployed meanwhile); or why it is not to
/// be updated (the deadline, a change, a read that failed).
async fn as_it_is_now<'a, C: Cloud>(
    cloud: &C,
    plan: &Plan,
    before: &'a ServiceState,
    reread_at: Instant,
    deadline: Instant,
) -> Result<std::borrow::Cow<'a, ServiceState>, String> {
    if Instant::now() >= deadline {
        return Err("`timeout-minutes` was reached before it could be updated".into());
    }
    if reread_at.elapsed() < RECHECK_AFTER {
        return Ok(std::borrow::Cow::Borrowed(before));
    }
    match tokio::time::timeout_at(deadline, reread(cloud, std::slice::from_ref(plan))).await {
        Ok(Ok(mut now)) => Ok(std::borrow::Cow::Owned(now.remove(0))),
        Ok(Err(err)) => Err(format!("{err:#}")),
        Err(_) => Err(
            "reading it again before its update did not finish before `timeout-minutes` was reached"
                .into(),
        ),
    }
}

/// Updates one service to `arn` (when its plan updates it), reading it once more first when its
/// registration took a while. An update whose answer was lost is found by reading the service.
#[allow(clippy::too_many_arguments)]
async fn update_one<C: Cloud, W: Write>(
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
                "UpdateService did not answer before `timeout-minutes` was reached"
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
                        &crate::domain::ecs::changed_under_us(
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
