//! Applying the plans: the AWS writes of a deploy. Register (paced), run the pre-deploy task,
//! update the services concurrently, watch them together, and on a failure explain it and roll
//! back every service that was changed (all or nothing).

use std::io::Write;

use futures::future::join_all;

use crate::aws::{self, Clients, ecs::ServiceUpdate};
use crate::console::Console;
use crate::diagnose;
use crate::error::Exit;
use crate::model::{ServiceState, short_task_definition};
use crate::plan::Plan;
use crate::predeploy::step::{self, PreDeployPlan};
use crate::register::{Registrar, register_all};
use crate::report::{Report, Rollout, Status};
use crate::request::DeployRequest;
use crate::rollback::{self, Started};
use crate::watch::{self, Ecs, Limits, Target, Verdict, Watched};

/// Registers the revisions (after the pre-deploy task, when there is one), updates the services
/// concurrently, waits for a verdict on each, and rolls every changed service back on a failure.
pub async fn apply<W: Write>(
    clients: &Clients,
    req: &DeployRequest,
    plans: &[Plan],
    pre_deploy: Option<&PreDeployPlan>,
    befores: &[ServiceState],
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut registrar = Registrar::default();
    if let (Some(task), Some(pre)) = (&req.pre_deploy, pre_deploy) {
        if !step::run(clients, &mut registrar, task, pre, console, report).await? {
            return Ok(());
        }
    }
    console.group("Deploy");
    let arns = register_all(clients, &mut registrar, plans, console, report).await?;
    let (watched, update_errors) =
        update_all(clients, plans, befores, &arns, console, report).await?;
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
    let limits = Limits {
        timeout: req.target.timeout,
        max_task_failures: req.target.max_task_failures,
    };
    let outcomes = wait_for(clients, &watched, limits, console).await?;
    let mut failures = update_errors;
    failures.extend(record_verdicts(plans, &watched, &outcomes, report));
    report.rollout.clone_from(&report.services[0].rollout);
    if failures.is_empty() {
        console.line(&format!(
            "Deployed: {}",
            plans
                .iter()
                .map(|p| p.service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        report.succeed(Status::Deployed);
        return Ok(());
    }
    explain_failure(clients, &outcomes, report).await;
    let message = if plans.len() > 1 {
        format!(
            "{} of {} services failed: {}",
            failures.len(),
            plans.len(),
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
    if req.rollback {
        let started: Vec<Started> = watched
            .iter()
            .zip(&outcomes)
            .map(|((i, w), outcome)| Started {
                index: *i,
                before: befores[*i].clone(),
                target: w.target.clone(),
                outcome: outcome.clone(),
            })
            .collect();
        rollback::after_failure(
            clients,
            &plans[0].cluster,
            &started,
            limits,
            console,
            report,
        )
        .await?;
    } else {
        console.line("Not rolling back: `rollback` is false.");
    }
    Ok(())
}

/// Watches the started deployments together until each has a verdict.
async fn wait_for<W: Write>(
    clients: &Clients,
    watched: &[(usize, Watched)],
    limits: Limits,
    console: &mut Console<W>,
) -> anyhow::Result<Vec<watch::Outcome>> {
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
    let outcomes = if items.is_empty() {
        Vec::new()
    } else {
        watch::watch(&mut Ecs(&clients.ecs), &items, limits, console).await?
    };
    Ok(outcomes)
}

/// Records each watched service's verdict; returns the failures, one line each.
fn record_verdicts(
    plans: &[Plan],
    watched: &[(usize, Watched)],
    outcomes: &[watch::Outcome],
    report: &mut Report,
) -> Vec<String> {
    let mut failures = Vec::new();
    for ((i, w), outcome) in watched.iter().zip(outcomes) {
        let result = &mut report.services[*i];
        result.rollout = Some(rollout(&outcome.last_state, &w.target));
        if let Verdict::Failed { reason } = &outcome.verdict {
            result.status = Status::Failed;
            result.failure = Some(reason.clone());
            failures.push(if plans.len() > 1 {
                format!("{}: {reason}", plans[*i].service)
            } else {
                reason.clone()
            });
        } else {
            result.status = Status::Deployed;
        }
    }
    failures
}

/// Updates the services that need it, concurrently. Returns the deployments to watch (with the
/// service's index) and the updates that failed.
async fn update_all<W: Write>(
    clients: &Clients,
    plans: &[Plan],
    befores: &[ServiceState],
    arns: &[String],
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<(Vec<(usize, Watched)>, Vec<String>)> {
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
                (
                    i,
                    aws::ecs::update_service(&clients.ecs, cluster, &plan.service, &update).await,
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
            Err(err) => {
                console.line(&format!("Updating {service} failed: {err:#}"));
                report.services[i].status = Status::Failed;
                report.services[i].failure = Some(format!("{err:#}"));
                errors.push(format!("{service}: {err:#}"));
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
        let target =
            watch::started_deployment(&befores[i], &updated, &arns[i]).ok_or_else(|| {
                anyhow::anyhow!(
                    "the update of `{service}` started no new deployment of {}",
                    short_task_definition(&arns[i])
                )
            })?;
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
    Ok((watched, errors))
}

/// Why it failed: the first failed service's stopped tasks, target health and events.
pub async fn explain_failure(clients: &Clients, outcomes: &[watch::Outcome], report: &mut Report) {
    if let Some(outcome) = outcomes.iter().find(|o| o.verdict != Verdict::Completed) {
        report.failed_tasks.clone_from(&outcome.failures);
        report.events = outcome.last_state.events.iter().take(10).cloned().collect();
        let (targets, warnings) =
            diagnose::target_health(clients, &outcome.last_state, &outcome.failures).await;
        report.target_health = targets;
        report.warnings.extend(warnings);
    }
}

/// Where a deployment stands, for the report.
pub fn rollout(state: &ServiceState, target: &Target) -> Rollout {
    let ours = state.deployment(&target.deployment_id);
    Rollout {
        deployment_id: target.deployment_id.clone(),
        state: ours.and_then(|d| d.rollout_state.clone()),
        running: ours.map_or(state.running, |d| d.running),
        desired: ours.map_or(state.desired, |d| d.desired),
    }
}
