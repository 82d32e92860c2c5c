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
use crate::gate::Destination;
use crate::gather::read_ssm;
use crate::model::{ServiceState, short_task_definition};
use crate::plan::{PREVIOUS_TAG, resolve_service};
use crate::report::{Report, ServiceResult, Status};
use crate::request::RollbackRequest;
use crate::taskdef;
use crate::watch::{self, Ecs, Limits, Outcome, Target, Verdict, Watched};

/// A deployment a deploy started, and how it ended.
#[derive(Debug, Clone)]
pub struct Started {
    /// The service's index in the report.
    pub index: usize,
    /// The service before the deploy (its task definition is what we go back to).
    pub before: ServiceState,
    pub target: Target,
    pub outcome: Outcome,
}

/// After a deploy failed: put every service it changed back on the revision it ran before (all or
/// nothing), reporting and waiting for ECS's own circuit-breaker rollback where there was one
/// instead of doing a second; then wait for all of them together.
pub async fn after_failure<W: Write>(
    clients: &Clients,
    cluster: &str,
    started: &[Started],
    limits: Limits,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut watched: Vec<(usize, Watched)> = Vec::new();
    for s in started {
        let previous = &s.before.task_definition;
        if *previous == s.target.task_definition {
            console.line(&format!(
                "Not rolling back {}: the deployment ran the same revision as before.",
                s.before.name
            ));
            continue;
        }
        console.group(&format!(
            "Roll back {} to {}",
            s.before.name,
            short_task_definition(previous)
        ));
        let by = if let Some(deployment) =
            watch::rolled_back_by_ecs(&s.outcome.last_state, &s.target, previous)
        {
            console.line(&format!(
                "ECS's circuit breaker already rolled back (deployment {}); waiting for it",
                deployment.id
            ));
            let target = Target {
                deployment_id: deployment.id.clone(),
                task_definition: previous.clone(),
            };
            watched.push((
                s.index,
                Watched {
                    cluster: cluster.to_string(),
                    initial: s.outcome.last_state.clone(),
                    target,
                },
            ));
            "ECS (circuit breaker)"
        } else {
            let (target, state) =
                start(clients, cluster, &s.outcome.last_state, previous, console).await?;
            watched.push((
                s.index,
                Watched {
                    cluster: cluster.to_string(),
                    initial: state,
                    target,
                },
            ));
            "ecs-ship"
        };
        let result = &mut report.services[s.index];
        result.rollback_task_definition_arn = Some(previous.clone());
        if s.index == 0 {
            report.rollback_task_definition_arn = Some(previous.clone());
            report.rolled_back_by = Some(by.to_string());
        } else {
            report.rolled_back_by.get_or_insert_with(|| by.to_string());
        }
    }
    if watched.is_empty() {
        return Ok(());
    }
    console.group("Wait for the rollback");
    let items: Vec<Watched> = watched.iter().map(|(_, w)| w.clone()).collect();
    let outcomes = watch::watch(&mut Ecs(&clients.ecs), &items, limits, console).await?;
    let mut rollback_failures = Vec::new();
    for ((i, w), outcome) in watched.iter().zip(&outcomes) {
        let rollout = crate::apply::rollout(&outcome.last_state, &w.target);
        if *i == 0 {
            report.rollback_rollout = Some(rollout.clone());
        }
        let result = &mut report.services[*i];
        match &outcome.verdict {
            Verdict::Completed => result.status = Status::RolledBack,
            Verdict::Failed { reason } => {
                result.status = Status::Failed;
                rollback_failures.push(format!(
                    "the rollback of {} to {} also failed: {reason}",
                    result.service,
                    short_task_definition(&w.target.task_definition)
                ));
            }
        }
    }
    if rollback_failures.is_empty() {
        console.line(&format!(
            "Rolled back: {}",
            watched
                .iter()
                .map(|(i, _)| report.services[*i].service.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        report.status = Status::RolledBack;
    } else if let Some(failure) = &mut report.failure {
        failure.message = format!("{}; {}", failure.message, rollback_failures.join("; "));
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

/// The revision the service's current one replaced, as `tag-revisions` recorded it.
async fn recorded_previous(clients: &Clients, now: &ServiceState) -> anyhow::Result<String> {
    let current = aws::ecs::describe_task_definition(&clients.ecs, &now.task_definition).await?;
    taskdef::tag(&current, PREVIOUS_TAG).map(str::to_string).ok_or_else(|| {
                UserError::new(format!("{} does not record the revision it replaced", short_task_definition(&now.task_definition)))
                    .hint(format!("set input `to` to the task definition to go back to; only revisions ecs-ship registered (with `tag-revisions`) carry the `{PREVIOUS_TAG}` tag"))
            }).map_err(anyhow::Error::new)
}

/// The production gate on the service and its cluster (tags, the config file's lists).
async fn check_production_target<W: Write>(
    clients: &Clients,
    req: &RollbackRequest,
    cluster: &str,
    now: &ServiceState,
    console: &mut Console<W>,
    report: &mut Report,
) -> Result<(), UserError> {
    let (cluster_tags, warning) =
        crate::gather::readable_tags(aws::ecs::cluster_tags(&clients.ecs, cluster).await);
    if let Some(warning) = warning {
        console.warning("Cluster tags", &warning);
        report.warnings.push(warning);
    }
    req.target.gate.check(&Destination {
        ssm_prefix: req.target.ssm_prefix.as_deref(),
        cluster: Some(cluster),
        cluster_tags: &cluster_tags,
        services: vec![(now.name.as_str(), now.tags.as_slice())],
    })?;
    Ok(())
}

/// An explicit `to` of another family is refused unless allowed; the revision ecs-ship recorded
/// as the one the current replaced is what the service really ran, and needs no such check.
fn check_family(req: &RollbackRequest, now: &ServiceState, to: &str) -> Result<(), UserError> {
    let (from_family, to_family) = (
        aws::ecs::family_of(&now.task_definition),
        aws::ecs::family_of(to),
    );
    if req.to.is_some() && from_family != to_family && !req.allow_family_change {
        return Err(UserError::new(format!(
            "`to` is a revision of family `{to_family}`, but service `{}` runs family `{from_family}`",
            now.name
        ))
        .hint("a rollback goes back to an earlier revision of the same family; set `allow-family-change: true` if another family is really meant"));
    }
    Ok(())
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
    check_production_target(&clients, req, &cluster, &now, console, report).await?;
    let to = match &req.to {
        Some(to) => to.clone(),
        None => recorded_previous(&clients, &now).await?,
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
    check_family(req, &now, &to)?;
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
    report.rollback_rollout = Some(crate::apply::rollout(&updated, &target));
    if !req.target.wait {
        report.succeed(Status::Started);
        return Ok(());
    }
    let limits = Limits {
        timeout: req.target.timeout,
        max_task_failures: req.target.max_task_failures,
    };
    let outcome = wait(&clients, &cluster, updated, &target, limits, console).await?;
    report.rollback_rollout = Some(crate::apply::rollout(&outcome.last_state, &target));
    report.services = vec![ServiceResult {
        service: service.clone(),
        previous_task_definition_arn: now.task_definition.clone(),
        task_definition_arn: Some(to.clone()),
        changed: false,
        status: if outcome.verdict == Verdict::Completed {
            Status::RolledBack
        } else {
            Status::Failed
        },
        rollout: report.rollback_rollout.clone(),
        rollback_task_definition_arn: Some(to.clone()),
        failure: match &outcome.verdict {
            Verdict::Failed { reason } => Some(reason.clone()),
            Verdict::Completed => None,
        },
    }];
    match &outcome.verdict {
        Verdict::Completed => report.succeed(Status::RolledBack),
        Verdict::Failed { reason } => {
            let reason = reason.clone();
            crate::apply::explain_failure(&clients, std::slice::from_ref(&outcome), report).await;
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
