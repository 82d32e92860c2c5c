//! The rollback command (`ecs-ship rollback`, `command: rollback`): put a service back on the
//! revision its current one replaced (as `tag-revisions` recorded it) or on `to`, and wait.

use std::io::Write;

use anyhow::Context;

use crate::cloud::{self, Cloud, ServiceUpdate};
use crate::console::Console;
use crate::domain::ecs::{DeploymentTarget, ServiceState, short_task_definition};
use crate::domain::taskdef;
use crate::error::{Exit, UserError};
use crate::gather::read_ssm;
use crate::gather::resolve::resolve_service;
use crate::plan::PREVIOUS_TAG;
use crate::report::{Report, RollbackState, ServiceResult, Status};
use crate::request::RollbackRequest;
use crate::request::gate::Destination;
use crate::watch::{self, Cause, Ecs, Limits, Live, Outcome, Verdict, Watched};

async fn wait<C: Cloud, W: Write>(
    cloud: &C,
    cluster: &str,
    initial: ServiceState,
    target: &DeploymentTarget,
    limits: Limits,
    console: &mut Console<W>,
) -> Outcome {
    let watched = [Watched {
        cluster: cluster.to_string(),
        initial,
        target: target.clone(),
    }];
    watch::watch(&mut Ecs(cloud), &watched, limits, console)
        .await
        .pop()
        .expect("one outcome per watched service")
}

/// The revision the service's current one replaced, as `tag-revisions` recorded it.
async fn recorded_previous<C: Cloud>(cloud: &C, now: &ServiceState) -> anyhow::Result<String> {
    let current = cloud.describe_task_definition(&now.task_definition).await?;
    taskdef::tag(&current, PREVIOUS_TAG).map(str::to_string).ok_or_else(|| {
                UserError::new(format!("{} does not record the revision it replaced", short_task_definition(&now.task_definition)))
                    .hint(format!("set input `to` to the task definition to go back to; only revisions ecs-ship registered (with `tag-revisions`) carry the `{PREVIOUS_TAG}` tag"))
            }).map_err(anyhow::Error::new)
}

/// The production gate on the service and its cluster (tags, the config file's lists).
async fn check_production_target<C: Cloud, W: Write>(
    cloud: &C,
    req: &RollbackRequest,
    cluster: &str,
    now: &ServiceState,
    console: &mut Console<W>,
    report: &mut Report,
) -> Result<(), UserError> {
    let (cluster_tags, warning) = crate::gather::readable_tags(cloud.cluster_tags(cluster).await);
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
        crate::domain::arn::family_of(&now.task_definition),
        crate::domain::arn::family_of(to),
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
pub async fn run<C: Cloud, W: Write>(
    cloud: anyhow::Result<&C>,
    req: &RollbackRequest,
    console: &mut Console<W>,
    report: &mut Report,
) {
    if let Err(err) = run_steps(cloud, req, console, report).await {
        let title = if report.rollback_task_definition_arn.is_some() {
            "Rollback failed"
        } else {
            "Rollback refused"
        };
        report.fail_with(title, &err);
    }
}

async fn run_steps<C: Cloud, W: Write>(
    cloud: anyhow::Result<&C>,
    req: &RollbackRequest,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    console.group("Read SSM and ECS");
    let cloud = cloud?;
    report.region = Some(cloud.region().to_string());
    let ssm = match &req.target.ssm_prefix {
        Some(prefix) => Some(read_ssm(cloud, prefix).await?),
        None => None,
    };
    let (cluster, service) = resolve_service(&req.target, ssm.as_ref())?;
    report.cluster = Some(cluster.clone());
    report.service = Some(service.clone());
    let now = cloud::describe_active(cloud, &cluster, std::slice::from_ref(&service))
        .await?
        .pop()
        .context("DescribeServices returned no service")?;
    report.previous_task_definition_arn = Some(now.task_definition.clone());
    check_production_target(cloud, req, &cluster, &now, console, report).await?;
    let to = match &req.to {
        Some(to) => to.clone(),
        None => recorded_previous(cloud, &now).await?,
    };
    // Resolve `family:revision` to an ARN, and make sure it exists.
    let described = cloud.describe_task_definition(&to).await.map_err(|err| {
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
    let limits = Limits::of(&req.target);
    if to == now.task_definition {
        return already_there(cloud, req, &cluster, now, limits, console, report).await;
    }
    roll_back_to(cloud, req, &cluster, &now, &to, limits, console, report).await
}

/// Updates the service to `to`, waits, and reports what became of it.
#[allow(clippy::too_many_arguments)]
async fn roll_back_to<C: Cloud, W: Write>(
    cloud: &C,
    req: &RollbackRequest,
    cluster: &str,
    now: &ServiceState,
    to: &str,
    limits: Limits,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let service = &now.name;
    let to = to.to_string();
    console.group(&format!("Roll back to {}", short_task_definition(&to)));
    let update = ServiceUpdate {
        task_definition: Some(to.clone()),
        ..ServiceUpdate::default()
    };
    let updated = cloud::update_service(cloud, cluster, now, &update, Some(&to))
        .await
        .map_err(|failed| failed.error)?;
    let target = crate::domain::ecs::started_deployment(now, &updated, &to).with_context(|| {
        format!(
            "the update started no deployment of {} (the service {})",
            short_task_definition(&to),
            crate::domain::ecs::where_it_stands(&updated)
        )
    })?;
    crate::progress::wrote(format!(
        "rolled service `{service}` back to `{}` (deployment {})",
        short_task_definition(&to),
        target.deployment_id
    ));
    console.line(&format!(
        "Updated service {service} to {} (deployment {})",
        short_task_definition(&to),
        target.deployment_id
    ));
    report.rollback_task_definition_arn = Some(to.clone());
    report.task_definition_arn = Some(to.clone());
    report.rolled_back_by = Some("ecs-ship".into());
    report.rollback_rollout = Some(crate::apply::rollout(&updated, &target));
    if !req.target.wait {
        report.succeed(Status::Started);
        return Ok(());
    }
    let outcome = wait(cloud, cluster, updated, &target, limits, console).await;
    report.rollback_rollout = Some(crate::apply::rollout(&outcome.last_state, &target));
    let mut result = ServiceResult::planned(service, &now.task_definition, false);
    result.task_definition_arn = Some(to.clone());
    result.rollout.clone_from(&report.rollback_rollout);
    result.rollback_task_definition_arn = Some(to.clone());
    result.now = Some(outcome.where_it_stands());
    match &outcome.verdict {
        Verdict::Completed => {
            result.status = Status::RolledBack;
            result.rollback_state = Some(RollbackState::Completed);
            report.services = vec![result];
            report.rollback_state = Some(RollbackState::Completed);
            report.succeed(Status::RolledBack);
        }
        Verdict::Failed { reason, cause } => {
            let state = if *cause == Cause::Unreadable {
                RollbackState::Unverified(format!(
                    "deployment {} was started, but {reason}",
                    target.deployment_id
                ))
            } else {
                RollbackState::Failed(reason.clone())
            };
            result.status = Status::Failed;
            result.failure = Some(reason.clone());
            result.rollback_state = Some(state.clone());
            report.services = vec![result];
            report.rollback_state = Some(state);
            crate::apply::explain_failure(cloud, std::slice::from_ref(&outcome), report).await;
            report.fail(
                "Rollback failed",
                reason.clone(),
                Some("see the stopped tasks and service events in the step summary".into()),
                Exit::DeployFailed,
            );
        }
    }
    Ok(())
}

/// The service already runs the revision to go back to: its live deployment decides. Completed
/// is `unchanged`; a rollout in progress is waited for; a failed one fails the command.
async fn already_there<C: Cloud, W: Write>(
    cloud: &C,
    req: &RollbackRequest,
    cluster: &str,
    now: ServiceState,
    limits: Limits,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    report.task_definition_arn = Some(now.task_definition.clone());
    match watch::live(&now) {
        Live::Healthy => {
            console
                .line("The service already runs that revision, and it is healthy: nothing to do.");
            report.succeed(Status::Unchanged);
        }
        Live::Failed(why) => report.fail(
            "Rollback failed",
            format!("the service already runs that revision, but {why}"),
            Some("deploy a working revision, or roll back to another with `to`".into()),
            Exit::DeployFailed,
        ),
        Live::InProgress(_) if !req.target.wait => {
            console.line("The service already runs that revision; its rollout is still in progress (not waited for).");
            report.succeed(Status::Unchanged);
        }
        Live::InProgress(target) => {
            console.line(&format!(
                "The service already runs that revision; waiting for its rollout (deployment {})",
                target.deployment_id
            ));
            let outcome = wait(cloud, cluster, now, &target, limits, console).await;
            match outcome.verdict {
                Verdict::Completed => report.succeed(Status::Unchanged),
                Verdict::Failed { reason, .. } => report.fail(
                    "Rollback failed",
                    format!("the service already runs that revision, but its rollout did not complete: {reason}"),
                    Some("see the service events in the step summary".into()),
                    Exit::DeployFailed,
                ),
            }
        }
    }
    Ok(())
}
