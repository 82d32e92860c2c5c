//! The rollback command (`ecs-ship rollback`, `command: rollback`): put a service back on the
//! revision its current one replaced (as `revision-tags` recorded it) or on `revision`, and wait.

use std::io::Write;

use anyhow::Context;

use crate::cloud::{self, Cloud};
use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::outcome::RolledBackBy;
use crate::domain::outcome::{RollbackState, Rollout};
use crate::domain::service::ServiceState;
use crate::domain::taskdef;
use crate::domain::watched::ServiceDeploymentRef;
use crate::error::UserError;
use crate::gather::read_ssm;
use crate::gather::resolve::resolve_service;
use crate::plan::PREVIOUS_TAG;
use crate::progress::{Progress, Record as ProgressRecord, RollbackStarted};

use super::{Command, Ending, With};
use crate::request::RollbackRequest;
use crate::request::gate::Destination;
use crate::watch::diagnose::{Explanation, explain};
use crate::watch::{self, Ecs, Limits, Live, Outcome, Verdict, Watched};

async fn wait<C: Cloud, W: Write>(
    cloud: &C,
    watched: Watched,
    limits: Limits,
    console: &Console<W>,
) -> Outcome {
    watch::watch(&Ecs(cloud), &[watched], limits, console)
        .await
        .pop()
        .expect("one outcome per watched service")
}

/// The revision the service's current one replaced, as `revision-tags` recorded it.
async fn recorded_previous<C: Cloud>(cloud: &C, now: &ServiceState) -> anyhow::Result<String> {
    let current = cloud.describe_task_definition(&now.task_definition).await?;
    taskdef::tag(&current, PREVIOUS_TAG).map(str::to_string).ok_or_else(|| {
                UserError::new(format!("{} does not record the revision it replaced", short_task_definition(&now.task_definition)))
                    .hint(format!("set input `revision` to the task definition to go back to; only revisions ecs-ship registered (with `revision-tags`) carry the `{PREVIOUS_TAG}` tag"))
            }).map_err(anyhow::Error::new)
}

/// The production gate on the service and its cluster (tags, the config file's lists).
pub(crate) async fn check_production_target<C: Cloud, W: Write>(
    cloud: &C,
    target: &crate::request::Target,
    cluster: &str,
    now: &ServiceState,
    console: &Console<W>,
    warnings: &mut Vec<String>,
) -> Result<(), UserError> {
    let (tags, ssm_clusters) = tokio::join!(
        cloud.cluster_tags(cluster),
        crate::gather::read_ssm_clusters(cloud, &target.gate)
    );
    let (cluster_tags, warning) = crate::gather::readable_tags(tags);
    if let Some(warning) = warning {
        console.warning("Cluster tags", &warning);
        warnings.push(warning);
    }
    let to = Destination {
        ssm_prefix: target.ssm_prefix.as_deref(),
        cluster: Some(cluster),
        cluster_tags: &cluster_tags,
        services: vec![(now.name.as_str(), now.tags.as_slice())],
        ssm_clusters: Some(&ssm_clusters),
    };
    for warning in target.gate.not_compared(&to) {
        console.warning("Production gate", &warning);
        warnings.push(warning);
    }
    target.gate.check(&to)?;
    Ok(())
}

/// An explicit `revision` of another family is refused unless allowed; the revision ecs-ship recorded
/// as the one the current replaced is what the service really ran, and needs no such check.
fn check_family(req: &RollbackRequest, now: &ServiceState, to: &str) -> Result<(), UserError> {
    let (from_family, to_family) = (
        crate::domain::arn::family_of(&now.task_definition),
        crate::domain::arn::family_of(to),
    );
    if req.to.is_some() && from_family != to_family && !req.allow_family_change {
        return Err(UserError::new(format!(
            "`revision` is of family `{to_family}`, but service `{}` runs family `{from_family}`",
            now.name
        ))
        .hint("a rollback goes back to an earlier revision of the same family; set `allow-family-change: true` if another family is really meant"));
    }
    Ok(())
}

/// What the rollback command did, as far as it got.
#[derive(Debug, Default)]
pub struct RollbackRun {
    pub cluster: Option<String>,
    pub service: Option<String>,
    /// What the service ran when the command began.
    pub previous: Option<String>,
    pub warnings: Vec<String>,
    /// The service already ran the revision to go back to.
    pub already_there: Option<AlreadyThere>,
    /// The rollback the update started: to which revision, and where it stood then.
    pub started: Option<RollbackStarted>,
    /// How the rollback ended, when it was waited for.
    pub waited: Option<RollbackWaited>,
    /// Where it ran, and what ended it early.
    pub ending: Ending,
}

/// The service already runs the revision to go back to; what its live deployment said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlreadyThere {
    pub task_definition: String,
    pub verdict: There,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum There {
    Healthy,
    /// Its live deployment failed.
    Failed(String),
    /// Still rolling out, and `wait` is off.
    NotWaited,
    /// Its rollout completed while we waited.
    Completed,
    /// Its rollout did not complete.
    RolloutFailed(String),
}

/// How the rollback's rollout ended.
#[derive(Debug, Clone)]
pub struct RollbackWaited {
    pub rollout: Rollout,
    pub now: String,
    pub state: RollbackState,
    /// Why it failed, and what the service said.
    pub failure: Option<(String, Option<Explanation>)>,
}

/// The rollback command: back to `revision`, or to the revision the current one replaced.
pub struct Rollback<'a> {
    pub req: &'a RollbackRequest,
}

impl Command for Rollback<'_> {
    type Record = RollbackRun;

    fn record(&self) -> RollbackRun {
        RollbackRun::default()
    }

    fn ending(record: &mut RollbackRun) -> &mut Ending {
        &mut record.ending
    }

    fn opening(&self) -> String {
        "Read SSM and ECS".into()
    }

    async fn steps<C: Cloud, W: Write>(
        &self,
        cloud: &C,
        with: &With<'_, W>,
        run: &mut RollbackRun,
    ) -> anyhow::Result<()> {
        steps(cloud, self.req, with.console, with.progress, run).await
    }

    /// The rollback the update started, whether the run ended or was cancelled.
    fn keep(&self, run: &mut RollbackRun, mut progress: ProgressRecord) {
        run.started = progress.rollbacks.remove(&0);
    }
}

async fn steps<C: Cloud, W: Write>(
    cloud: &C,
    req: &RollbackRequest,
    console: &Console<W>,
    progress: &Progress,
    run: &mut RollbackRun,
) -> anyhow::Result<()> {
    let ssm = match &req.target.ssm_prefix {
        Some(prefix) => Some(read_ssm(cloud, prefix).await?),
        None => None,
    };
    let (cluster, service) = resolve_service(&req.target, ssm.as_ref())?;
    run.cluster = Some(cluster.clone());
    run.service = Some(service.clone());
    let now = cloud::describe_active(cloud, &cluster, std::slice::from_ref(&service))
        .await?
        .pop()
        .context("DescribeServices returned no service")?;
    run.previous = Some(now.task_definition.clone());
    check_production_target(
        cloud,
        &req.target,
        &cluster,
        &now,
        console,
        &mut run.warnings,
    )
    .await?;
    let to = target_revision(cloud, req, &now).await?;
    console.line(&format!(
        "Service {service} runs {}; rolling back to {}",
        short_task_definition(&now.task_definition),
        short_task_definition(&to)
    ));
    let limits = Limits::of(&req.target);
    if to == now.task_definition {
        run.already_there = Some(already_there(cloud, req, &cluster, now, limits, console).await);
        return Ok(());
    }
    console.group(&format!("Roll back to {}", short_task_definition(&to)));
    let watched = crate::rollback::start(cloud, &cluster, &now, &to, console, progress).await?;
    let started = RollbackStarted {
        to,
        by: RolledBackBy::EcsShip,
        rollout: Rollout::of(&watched.initial, &watched.target),
        through: None,
    };
    // Kept where a cancel finds it; the record takes it from there (`keep`).
    progress.note(|r| {
        r.rollbacks.insert(0, started);
    });
    if req.target.wait {
        run.waited = Some(wait_for_rollback(cloud, watched, limits, console).await);
    }
    Ok(())
}

/// The revision to go back to, as an ARN: `revision` (which must exist, and be of the service's family
/// unless allowed), or the one the current revision recorded.
async fn target_revision<C: Cloud>(
    cloud: &C,
    req: &RollbackRequest,
    now: &ServiceState,
) -> anyhow::Result<String> {
    let to = match &req.to {
        Some(to) => to.clone(),
        None => recorded_previous(cloud, now).await?,
    };
    // Resolve `family:revision` to an ARN, and make sure it exists.
    let described = cloud.describe_task_definition(&to).await.map_err(|err| {
        anyhow::Error::new(
            UserError::new(format!("task definition `{to}` could not be read"))
                .hint(format!("check input `revision`: {err:#}")),
        )
    })?;
    let to = described["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .context("the task definition has no ARN")?
        .to_string();
    check_family(req, now, &to)?;
    Ok(to)
}

/// Waits for the rollback's rollout and says how it ended.
async fn wait_for_rollback<C: Cloud, W: Write>(
    cloud: &C,
    watched: Watched,
    limits: Limits,
    console: &Console<W>,
) -> RollbackWaited {
    let target = watched.target.clone();
    let target = &target;
    let outcome = wait(cloud, watched, limits, console).await;
    let failure = match &outcome.verdict {
        Verdict::Completed => None,
        Verdict::Paused { .. } => Some((
            format!(
                "the rollback's deployment is {}",
                outcome.verdict.paused_line().unwrap_or_default()
            ),
            None,
        )),
        Verdict::Failed { reason, .. } => Some((
            reason.clone(),
            explain(cloud, std::slice::from_ref(&outcome), limits.log_lines).await,
        )),
    };
    RollbackWaited {
        rollout: Rollout::of(&outcome.last_state, target),
        now: outcome.where_it_stands(),
        state: crate::rollback::rollback_state(&outcome, target),
        failure,
    }
}

/// The service already runs the revision to go back to: its live deployment decides. Completed
/// is `unchanged`; a rollout in progress is waited for; a failed one fails the command.
async fn already_there<C: Cloud, W: Write>(
    cloud: &C,
    req: &RollbackRequest,
    cluster: &str,
    now: ServiceState,
    limits: Limits,
    console: &Console<W>,
) -> AlreadyThere {
    let task_definition = now.task_definition.clone();
    let verdict = match watch::live(&now) {
        Live::Healthy => {
            console
                .line("The service already runs that revision, and it is healthy: nothing to do.");
            There::Healthy
        }
        Live::Failed(why) => There::Failed(why),
        Live::InProgress(_) if !req.target.wait => {
            console.line("The service already runs that revision; its rollout is still in progress (not waited for).");
            There::NotWaited
        }
        Live::InProgress(target) => {
            console.line(&format!(
                "The service already runs that revision; waiting for its rollout (deployment {})",
                target.deployment_id
            ));
            let watched = Watched {
                cluster: cluster.to_string(),
                service_deployment: ServiceDeploymentRef::current(&now),
                initial: now,
                target,
            };
            let outcome = wait(cloud, watched, limits, console).await;
            match &outcome.verdict {
                Verdict::Completed => There::Completed,
                Verdict::Paused { .. } => There::RolloutFailed(format!(
                    "its rollout is {}",
                    outcome.verdict.paused_line().unwrap_or_default()
                )),
                Verdict::Failed { reason, .. } => There::RolloutFailed(reason.clone()),
            }
        }
    };
    AlreadyThere {
        task_definition,
        verdict,
    }
}
