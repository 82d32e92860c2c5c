//! Applying the plans: the AWS writes of a deploy. Register (paced), run the pre-deploy task,
//! read the services again, update them concurrently, watch them together, and on a failure
//! explain it and apply the rollback policy (all or nothing).
//!
//! After the first `UpdateService` an AWS error is part of the outcome, never the end of the run:
//! an update whose answer was lost is found by reading the service; a rollout whose verdict cannot
//! be read is a failed rollout (the rollback policy applies); a failed rollback keeps the cause of
//! the failure beside what happened to the rollback.

pub mod cleanup;
pub mod predeploy;
pub mod record;
pub mod register;

use std::io::Write;

use futures::future::join_all;

use crate::apply::register::{Registrar, register_all};
use crate::cloud::{self, Cloud, ServiceUpdate, UpdateFailed};
use crate::console::Console;
use crate::domain::ecs::DeploymentTarget;
use crate::domain::ecs::{ServiceState, short_task_definition};
use crate::error::Exit;
use crate::plan::Plan;
use crate::plan::predeploy::PreDeployPlan;
use crate::report::{Report, Rollout, Status};
use crate::request::DeployRequest;
use crate::rollback::{self, Started};
use crate::watch::diagnose;
use crate::watch::{self, Ecs, Limits, Verdict, Watched};

/// Registers the revisions (after the pre-deploy task, when there is one), updates the services
/// concurrently, waits for a verdict on each, and applies the rollback policy on a failure.
pub async fn apply<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    plans: &[Plan],
    pre_deploy: Option<&PreDeployPlan>,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut registrar = Registrar::default();
    if let (Some(task), Some(pre)) = (&req.pre_deploy, pre_deploy) {
        if !crate::plan::predeploy::run(cloud, &mut registrar, task, pre, console, report).await? {
            return Ok(());
        }
    }
    console.group("Deploy");
    let arns = register_all(cloud, &mut registrar, plans, console, report).await?;
    // A migration can take minutes: what the services run now is what a rollback goes back to,
    // and a service someone else changed meanwhile is not ours to overwrite.
    let befores = reread(cloud, plans).await?;
    unchanged_since_planned(plans, &befores)?;
    let (watched, update_errors) = update_all(cloud, plans, &befores, &arns, console, report).await;
    report.rollout.clone_from(&report.services[0].rollout);
    if !update_errors.is_empty() && watched.is_empty() {
        anyhow::bail!("updating services failed: {}", update_errors.join("; "));
    }
    if !req.target.wait && update_errors.is_empty() {
        console.line("Started (not waiting: `wait` is false).");
        report.succeed(if watched.is_empty() {
            Status::Unchanged
        } else {
            Status::Started
        });
        return Ok(());
    }
    let names: Vec<&str> = plans.iter().map(|p| p.service.as_str()).collect();
    if judge(cloud, req, &names, &watched, update_errors, console, report).await {
        console.line(&format!("Deployed: {}", names.join(", ")));
        report.succeed(Status::Deployed);
    }
    Ok(())
}

/// Watches the started rollouts, records each verdict, and on a failure explains it, fails the
/// run (exit 3) and applies the rollback policy. `earlier` are failures already known (updates
/// that failed). Returns whether every rollout completed.
pub async fn judge<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    names: &[&str],
    watched: &[(usize, Watched)],
    earlier: Vec<String>,
    console: &mut Console<W>,
    report: &mut Report,
) -> bool {
    let limits = Limits::of(&req.target);
    let outcomes = wait_for(cloud, watched, limits, console).await;
    let mut failures = earlier;
    failures.extend(record_verdicts(names, watched, &outcomes, report));
    report.rollout.clone_from(&report.services[0].rollout);
    if failures.is_empty() {
        return true;
    }
    explain_failure(cloud, &outcomes, report).await;
    let message = if names.len() > 1 {
        format!(
            "{} of {} services failed: {}",
            failures.len(),
            names.len(),
            failures.join("; ")
        )
    } else {
        failures.join("; ")
    };
    report.fail(
        "Rollout failed",
        message,
        Some("see the stopped tasks and service events in the step summary".into()),
        Exit::DeployFailed,
    );
    let started: Vec<Started> = watched
        .iter()
        .zip(&outcomes)
        .map(|((i, w), outcome)| Started {
            index: *i,
            cluster: w.cluster.clone(),
            target: w.target.clone(),
            outcome: outcome.clone(),
        })
        .collect();
    if req.rollback {
        rollback::after_failure(cloud, &started, limits, console, report).await;
    } else {
        console.line("Not rolling back: `rollback` is false.");
        rollback::note_where_they_stand(&started, report);
    }
    false
}

/// Watches the started deployments together until each has a verdict.
async fn wait_for<C: Cloud, W: Write>(
    cloud: &C,
    watched: &[(usize, Watched)],
    limits: Limits,
    console: &mut Console<W>,
) -> Vec<watch::Outcome> {
    let items: Vec<Watched> = watched.iter().map(|(_, w)| w.clone()).collect();
    let deployments: Vec<&str> = items
        .iter()
        .map(|w| w.target.deployment_id.as_str())
        .collect();
    console.group(&format!(
        "Wait for deployment{} {} (timeout {})",
        if deployments.len() > 1 { "s" } else { "" },
        deployments.join(", "),
        watch::human_duration(limits.timeout)
    ));
    if items.is_empty() {
        return Vec::new();
    }
    watch::watch(&mut Ecs(cloud), &items, limits, console).await
}

/// Records each watched service's verdict; returns the failures, one line each.
fn record_verdicts(
    names: &[&str],
    watched: &[(usize, Watched)],
    outcomes: &[watch::Outcome],
    report: &mut Report,
) -> Vec<String> {
    let mut failures = Vec::new();
    for ((i, w), outcome) in watched.iter().zip(outcomes) {
        let result = &mut report.services[*i];
        result.rollout = Some(rollout(&outcome.last_state, &w.target));
        if let Verdict::Failed { reason, .. } = &outcome.verdict {
            result.status = Status::Failed;
            result.failure = Some(reason.clone());
            result.now = Some(outcome.where_it_stands());
            failures.push(if names.len() > 1 {
                format!("{}: {reason}", names[*i])
            } else {
                reason.clone()
            });
        } else {
            result.status = Status::Deployed;
        }
    }
    failures
}

/// The services as they are right before the update, in the plans' order.
async fn reread<C: Cloud>(cloud: &C, plans: &[Plan]) -> anyhow::Result<Vec<ServiceState>> {
    let names: Vec<String> = plans.iter().map(|p| p.service.clone()).collect();
    crate::gather::describe_all(cloud, &plans[0].cluster, &names)
        .await
        .map_err(|err| err.context("reading the services again before updating them"))
}

/// Refuses to update when a service no longer runs the revision this deploy was planned against:
/// someone deployed meanwhile, and our render would undo their change.
fn unchanged_since_planned(plans: &[Plan], befores: &[ServiceState]) -> anyhow::Result<()> {
    for (plan, now) in plans.iter().zip(befores) {
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
    Ok(())
}

/// Updates the services that need it, concurrently. Returns the deployments to watch (with the
/// service's index) and the updates that failed. An update whose answer was lost is found by
/// reading the service: if it shows our new deployment, it is watched like any other.
async fn update_all<C: Cloud, W: Write>(
    cloud: &C,
    plans: &[Plan],
    befores: &[ServiceState],
    arns: &[String],
    console: &mut Console<W>,
    report: &mut Report,
) -> (Vec<(usize, Watched)>, Vec<String>) {
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
                (
                    i,
                    cloud::update_service(cloud, cluster, &befores[i], &update, wanted).await,
                )
            }),
    )
    .await;
    let mut watched = Vec::new();
    let mut errors = Vec::new();
    for (i, result) in results {
        let service = &plans[i].service;
        let updated = match result {
            Ok(updated) => updated,
            Err(UpdateFailed {
                error,
                known_not_updated,
            }) => {
                console.line(&format!("Updating {service} failed: {error:#}"));
                report.services[i].status = Status::Failed;
                report.services[i].failure = Some(format!("{error:#}"));
                report.services[i].now = Some(if known_not_updated {
                    format!(
                        "{} (not updated)",
                        crate::domain::ecs::where_it_stands(&befores[i])
                    )
                } else {
                    format!(
                        "unknown: the update may or may not have happened; before it, the service {}",
                        crate::domain::ecs::where_it_stands(&befores[i])
                    )
                });
                errors.push(format!("{service}: {error:#}"));
                continue;
            }
        };
        crate::progress::wrote(format!(
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
        if !plans[i].starts_deployment() {
            continue;
        }
        let Some(target) = crate::domain::ecs::started_deployment(&befores[i], &updated, &arns[i])
        else {
            let why = format!(
                "the update started no new deployment of {} (the service {})",
                short_task_definition(&arns[i]),
                crate::domain::ecs::where_it_stands(&updated)
            );
            report.services[i].status = Status::Failed;
            report.services[i].failure = Some(why.clone());
            errors.push(format!("{service}: {why}"));
            continue;
        };
        report.services[i].rollout = Some(rollout(&updated, &target));
        report.services[i].status = Status::Started;
        watched.push((
            i,
            Watched {
                cluster: cluster.clone(),
                initial: updated,
                target,
            },
        ));
    }
    (watched, errors)
}

/// Why it failed: the first failed service's stopped tasks, target health and events.
pub async fn explain_failure<C: Cloud>(
    cloud: &C,
    outcomes: &[watch::Outcome],
    report: &mut Report,
) {
    if let Some(outcome) = outcomes.iter().find(|o| o.verdict != Verdict::Completed) {
        report.failed_tasks.clone_from(&outcome.failures);
        report.events = outcome.last_state.events.iter().take(10).cloned().collect();
        let (targets, warnings) =
            diagnose::target_health(cloud, &outcome.last_state, &outcome.failures).await;
        report.target_health = targets;
        report.warnings.extend(warnings);
    }
}

/// Where a deployment stands, for the report.
pub fn rollout(state: &ServiceState, target: &DeploymentTarget) -> Rollout {
    let ours = state.deployment(&target.deployment_id);
    Rollout {
        deployment_id: target.deployment_id.clone(),
        state: ours.and_then(|d| d.rollout_state.clone()),
        running: ours.map_or(state.running, |d| d.running),
        desired: ours.map_or(state.desired, |d| d.desired),
    }
}
