//! Putting a service back on an earlier task definition: after a failed deploy, and on demand
//! (`ecs-ship rollback`, seed 001's "update the service with the previous task definition").
//!
//! The target is always an exact revision: the one the service ran before the deploy, or the one
//! recorded in the current revision's `ecs-ship:previous-task-definition` tag, or `--to`. Never
//! "the next lower revision", which may be a revision that was never deployed.

use std::io::Write;

use anyhow::Context;

use crate::aws::{self, Clients, ecs::ServiceUpdate};
use crate::console::Console;
use crate::error::{Exit, UserError};
use crate::gather::read_ssm;
use crate::model::{ServiceState, short_task_definition};
use crate::plan::{PREVIOUS_TAG, resolve_service};
use crate::report::{Report, Status};
use crate::request::RollbackRequest;
use crate::taskdef;
use crate::watch::{self, Ecs, Limits, Outcome, Target, Verdict, Watched};

/// After our deployment failed: report ECS's own rollback when its circuit breaker already did
/// one, else update the service back to `before`'s task definition; wait for either.
#[allow(clippy::too_many_arguments)]
pub async fn after_failure<W: Write>(
    clients: &Clients,
    cluster: &str,
    before: &ServiceState,
    ours: &Target,
    outcome: &Outcome,
    limits: Limits,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let previous = &before.task_definition;
    if *previous == ours.task_definition {
        console.line("Not rolling back: the failed deployment ran the same revision as before.");
        return Ok(());
    }
    console.group(&format!("Roll back to {}", short_task_definition(previous)));
    let (target, state) =
        if let Some(deployment) = watch::rolled_back_by_ecs(&outcome.last_state, ours, previous) {
            console.line(&format!(
                "ECS's circuit breaker already rolled back (deployment {}); waiting for it",
                deployment.id
            ));
            report.rolled_back_by = Some("ECS (circuit breaker)".into());
            (
                Target {
                    deployment_id: deployment.id.clone(),
                    task_definition: previous.clone(),
                },
                outcome.last_state.clone(),
            )
        } else {
            report.rolled_back_by = Some("ecs-ship".into());
            start(clients, cluster, &outcome.last_state, previous, console).await?
        };
    report.rollback_task_definition_arn = Some(previous.clone());
    let result = wait(clients, cluster, state, &target, limits, console).await?;
    report.rollback_rollout = Some(crate::deploy::rollout(&result.last_state, &target));
    match result.verdict {
        Verdict::Completed => {
            console.line(&format!(
                "Rolled back: {} runs {} again",
                before.name,
                short_task_definition(previous)
            ));
            report.status = Status::RolledBack;
        }
        Verdict::Failed { reason } => {
            if let Some(failure) = &mut report.failure {
                failure.message = format!(
                    "{}; the rollback to {} also failed: {reason}",
                    failure.message,
                    short_task_definition(previous)
                );
            }
        }
    }
    Ok(())
}

/// Updates the service to `to` and returns the deployment that started.
async fn start<W: Write>(
    clients: &Clients,
    cluster: &str,
    now: &ServiceState,
    to: &str,
    console: &mut Console<W>,
) -> anyhow::Result<(Target, ServiceState)> {
    let update = ServiceUpdate {
        task_definition: Some(to.to_string()),
        ..ServiceUpdate::default()
    };
    let updated = aws::ecs::update_service(&clients.ecs, cluster, &now.name, &update).await?;
    let target = watch::started_deployment(now, &updated, to).with_context(|| {
        format!(
            "rolling back `{}`: the update started no deployment of {}",
            now.name,
            short_task_definition(to)
        )
    })?;
    console.line(&format!(
        "Updated service {} to {} (deployment {})",
        now.name,
        short_task_definition(to),
        target.deployment_id
    ));
    Ok((target, updated))
}

async fn wait<W: Write>(
    clients: &Clients,
    cluster: &str,
    initial: ServiceState,
    target: &Target,
    limits: Limits,
    console: &mut Console<W>,
) -> anyhow::Result<Outcome> {
    let watched = [Watched {
        cluster: cluster.to_string(),
        initial,
        target: target.clone(),
    }];
    Ok(
        watch::watch(&mut Ecs(&clients.ecs), &watched, limits, console)
            .await?
            .pop()
            .expect("one outcome per watched service"),
    )
}

/// The rollback command: back to `--to`, or to the revision the current one replaced.
pub async fn run<W: Write>(req: &RollbackRequest, console: &mut Console<W>, report: &mut Report) {
    if let Err(err) = run_steps(req, console, report).await {
        let title = if report.rollback_task_definition_arn.is_some() {
            "Rollback failed"
        } else {
            "Rollback refused"
        };
        report.fail_with(title, &err);
    }
}

async fn run_steps<W: Write>(
    req: &RollbackRequest,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    console.group("Read SSM and ECS");
    let clients = Clients::load(req.target.region.as_deref()).await?;
    report.region = Some(clients.region.clone());
    let ssm = match &req.target.ssm_prefix {
        Some(prefix) => Some(read_ssm(&clients, prefix).await?),
        None => None,
    };
    let (cluster, service) = resolve_service(&req.target, ssm.as_ref())?;
    report.cluster = Some(cluster.clone());
    report.service = Some(service.clone());
    let now = aws::ecs::describe_services(&clients.ecs, &cluster, std::slice::from_ref(&service))
        .await?
        .pop()
        .context("DescribeServices returned no service")?;
    report.previous_task_definition_arn = Some(now.task_definition.clone());
    let to = if let Some(to) = &req.to {
        to.clone()
    } else {
        let current =
            aws::ecs::describe_task_definition(&clients.ecs, &now.task_definition).await?;
        taskdef::tag(&current, PREVIOUS_TAG).map(str::to_string).ok_or_else(|| {
                UserError::new(format!("{} does not record the revision it replaced", short_task_definition(&now.task_definition)))
                    .hint(format!("set input `to` to the task definition to go back to; only revisions ecs-ship registered (with `tag-revisions`) carry the `{PREVIOUS_TAG}` tag"))
            })?
    };
    // Resolve `family:revision` to an ARN, and make sure it exists.
    let described = aws::ecs::describe_task_definition(&clients.ecs, &to)
        .await
        .map_err(|err| {
            anyhow::Error::new(
                UserError::new(format!("task definition `{to}` could not be read"))
                    .hint(format!("check input `to`: {err:#}")),
            )
        })?;
    let to = described["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .context("the task definition has no ARN")?
        .to_string();
    console.line(&format!(
        "Service {service} runs {}; rolling back to {}",
        short_task_definition(&now.task_definition),
        short_task_definition(&to)
    ));
    if to == now.task_definition {
        console.line("The service already runs that revision: nothing to do.");
        report.task_definition_arn = Some(to);
        report.succeed(Status::Unchanged);
        return Ok(());
    }
    console.group(&format!("Roll back to {}", short_task_definition(&to)));
    let (target, updated) = start(&clients, &cluster, &now, &to, console).await?;
    report.rollback_task_definition_arn = Some(to.clone());
    report.task_definition_arn = Some(to.clone());
    report.rolled_back_by = Some("ecs-ship".into());
    report.rollback_rollout = Some(crate::deploy::rollout(&updated, &target));
    if !req.target.wait {
        report.succeed(Status::Started);
        return Ok(());
    }
    let limits = Limits {
        timeout: req.target.timeout,
        max_task_failures: req.target.max_task_failures,
    };
    let outcome = wait(&clients, &cluster, updated, &target, limits, console).await?;
    report.rollback_rollout = Some(crate::deploy::rollout(&outcome.last_state, &target));
    match outcome.verdict {
        Verdict::Completed => report.succeed(Status::RolledBack),
        Verdict::Failed { reason } => {
            report.failed_tasks.clone_from(&outcome.failures);
            report.events = outcome.last_state.events.iter().take(10).cloned().collect();
            let (targets, warnings) =
                crate::diagnose::target_health(&clients, &outcome.last_state, &outcome.failures)
                    .await;
            report.target_health = targets;
            report.warnings.extend(warnings);
            report.fail(
                "Rollback failed",
                reason,
                Some("see the stopped tasks and service events in the step summary".into()),
                Exit::DeployFailed,
            );
        }
    }
    Ok(())
}
