//! Acting on a service deployment ECS is running: `continue` moves one paused at a PAUSE
//! lifecycle hook on (`ContinueServiceDeployment` CONTINUE); `rollback` with
//! `service-deployment-arn` rolls it back, at its hook (`ContinueServiceDeployment` ROLLBACK) or
//! in progress (`StopServiceDeployment` ROLLBACK). Then the verdict is waited for as a deploy
//! waits, from ECS's record of the deployment.
//!
//! Safe to run twice (a re-run job): a deployment already past its hook is only waited for; one
//! ECS already finished is reported as it ended. A `hook-id` that is not the hook awaiting action
//! is refused before any write, so an approval cannot move on a pause it was not given for.

use std::io::Write;

use anyhow::Context;

use crate::cloud::{self, Cloud, HookAction, StopType};
use crate::console::Console;
use crate::domain::deployment::{ServiceDeployment, Standing, standing};
use crate::domain::service::{DeploymentTarget, ServiceState};
use crate::domain::watched::{ServiceDeploymentRef, Watched};
use crate::error::UserError;
use crate::progress::Progress;

use super::{Command, Ending, With};
use crate::request::ResumeRequest;
use crate::watch::diagnose::{Explanation, explain};
use crate::watch::{self, Ecs, Limits, Outcome, Verdict};

/// What the command did to the service deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    /// `ContinueServiceDeployment` at this hook.
    AtHook { hook: String, action: HookAction },
    /// `StopServiceDeployment` ROLLBACK (it was in progress, not paused).
    Stopped,
    /// Nothing to do: why (past its hook already, ECS rolling it back, or over).
    Nothing(String),
}

/// What the command did, as far as it got.
#[derive(Debug, Default)]
pub struct ResumeRun {
    pub warnings: Vec<String>,
    /// The service deployment as first read.
    pub before: Option<ServiceDeployment>,
    /// The service as first read.
    pub service: Option<ServiceState>,
    pub acted: Option<Acted>,
    /// How its verdict came out, when waited for.
    pub outcome: Option<Outcome>,
    pub explanation: Option<Explanation>,
    /// Where it ran, and what ended it early.
    pub ending: Ending,
}

/// `continue`, or `rollback` of a service deployment.
pub struct Resume<'a> {
    pub req: &'a ResumeRequest,
}

impl Command for Resume<'_> {
    type Record = ResumeRun;

    fn record(&self) -> ResumeRun {
        ResumeRun::default()
    }

    fn ending(record: &mut ResumeRun) -> &mut Ending {
        &mut record.ending
    }

    fn opening(&self) -> String {
        format!("Read service deployment {}", self.req.deployment.id)
    }

    async fn steps<C: Cloud, W: Write>(
        &self,
        cloud: &C,
        with: &With<'_, W>,
        run: &mut ResumeRun,
    ) -> anyhow::Result<()> {
        steps(cloud, self.req, with.console, with.progress, run).await
    }
}

async fn steps<C: Cloud, W: Write>(
    cloud: &C,
    req: &ResumeRequest,
    console: &Console<W>,
    progress: &Progress,
    run: &mut ResumeRun,
) -> anyhow::Result<()> {
    let d = &req.deployment;
    let (found, now) = futures::future::join(
        cloud.describe_service_deployments(std::slice::from_ref(&d.arn)),
        cloud::describe_active(cloud, &d.cluster, std::slice::from_ref(&d.service)),
    )
    .await;
    let before = found?.into_iter().next().ok_or_else(|| {
        UserError::new(format!(
            "service deployment `{}` of service `{}` was not found",
            d.id, d.service
        ))
        .hint("check `service-deployment-arn` and the region; ECS keeps service deployments for 90 days")
    })?;
    let now = now?.pop().context("DescribeServices returned no service")?;
    run.before = Some(before.clone());
    run.service = Some(now.clone());
    super::rollback::check_production_target(
        cloud,
        &req.target,
        &d.cluster,
        &now,
        console,
        &mut run.warnings,
    )
    .await?;
    let acted = act(cloud, req, &before, console, progress).await?;
    run.acted = Some(acted);
    if !req.target.wait {
        return Ok(());
    }
    let watched = Watched {
        cluster: d.cluster.clone(),
        target: primary_target(&now),
        initial: now,
        service_deployment: ServiceDeploymentRef::Known(d.arn.clone()),
    };
    let limits = Limits::of(&req.target);
    console.group(&format!(
        "Wait for service deployment {} (timeout {})",
        d.id,
        crate::text::human_duration(limits.timeout)
    ));
    let outcome = watch::watch(&Ecs(cloud), &[watched], limits, console)
        .await
        .pop()
        .context("one outcome per watched service")?;
    if matches!(outcome.verdict, Verdict::Failed { .. }) {
        run.explanation = explain(cloud, std::slice::from_ref(&outcome), limits.log_lines).await;
    }
    run.outcome = Some(outcome);
    Ok(())
}

/// Continues, rolls back or stops the deployment as asked and as it stands; a `hook-id` that is
/// not the hook awaiting action is refused first.
async fn act<C: Cloud, W: Write>(
    cloud: &C,
    req: &ResumeRequest,
    sd: &ServiceDeployment,
    console: &Console<W>,
    progress: &Progress,
) -> anyhow::Result<Acted> {
    let arn = &req.deployment.arn;
    let standing = standing(sd);
    if let (Some(wanted), Standing::AwaitingAction { hook, .. }) = (&req.hook_id, &standing)
        && *wanted != hook.id
    {
        return Err(UserError::new(format!(
                "service deployment `{}` waits at hook `{}`, not at the `hook-id` given",
                req.deployment.id, hook.id
            ))
            .hint("the deployment paused again after the approval was asked for: check it, then continue with its current `hook-id`")
            .into());
    }
    let acted = match (&standing, req.action) {
        (Standing::AwaitingAction { hook, .. }, action) => {
            cloud::continue_service_deployment(cloud, arn, &hook.id, action).await?;
            progress.wrote(format!(
                "{} service deployment {arn} at hook {}",
                action.as_str(),
                hook.id
            ));
            Acted::AtHook {
                hook: hook.id.clone(),
                action,
            }
        }
        (Standing::Underway { .. }, HookAction::Rollback) => {
            cloud::stop_service_deployment(cloud, arn, StopType::Rollback).await?;
            progress.wrote(format!("stopped service deployment {arn} with a rollback"));
            Acted::Stopped
        }
        (Standing::Deployed, HookAction::Rollback) => {
            return Err(UserError::new(format!(
                "service deployment `{}` is already SUCCESSFUL: there is no deployment in progress to roll back",
                req.deployment.id
            ))
            .hint("to put the service back on the revision before it, use `command: rollback` without `service-deployment-arn`")
            .into());
        }
        (Standing::Underway { stage }, HookAction::Continue) => Acted::Nothing(format!(
            "it is not paused ({}{}): waiting for its verdict",
            sd.status,
            stage
                .as_ref()
                .map_or(String::new(), |s| format!(" in stage {s}"))
        )),
        (Standing::RollingBack { why }, _) => Acted::Nothing(format!(
            "ECS is rolling it back ({why}): waiting for the end"
        )),
        (_, _) => Acted::Nothing(format!("ECS is done with it ({})", sd.status)),
    };
    match &acted {
        Acted::AtHook { hook, action } => console.line(&format!(
            "{} service deployment {} at hook {hook}",
            match action {
                HookAction::Continue => "Continued",
                HookAction::Rollback => "Rolled back",
            },
            req.deployment.id
        )),
        Acted::Stopped => console.line(&format!(
            "Stopped service deployment {} with a rollback",
            req.deployment.id
        )),
        Acted::Nothing(why) => console.line(&format!("Nothing to do: {why}")),
    }
    Ok(acted)
}

/// The deployment `DescribeServices` shows rolling out: the service's PRIMARY one.
pub fn primary_target(state: &ServiceState) -> DeploymentTarget {
    let primary = state.primary();
    DeploymentTarget {
        deployment_id: primary.map_or_else(String::new, |p| p.id.clone()),
        task_definition: primary.map_or_else(
            || state.task_definition.clone(),
            |p| p.task_definition.clone(),
        ),
        previous: state
            .deployments
            .iter()
            .find(|d| {
                primary.is_some_and(|p| p.id != d.id && p.task_definition != d.task_definition)
            })
            .map(|d| d.task_definition.clone()),
    }
}
