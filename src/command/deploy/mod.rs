//! Running a deploy: gather, plan (and show the plan), then apply it stage by stage, and after a
//! verified success write the record and clean up. One service or several: each gets its own
//! plan; the pre-deploy task is planned with them.
//!
//! Each stage returns a value, and [`Deploy`] keeps them in a [`DeployRun`] that the report is
//! built from. A signal ends the run between stages or inside one; what a stage in flight had
//! already done comes from the [`Progress`] record.

mod judge;
pub(super) mod show;

use show::{log_gathered, log_plan};

use std::io::Write;

use serde_json::Value;
use tokio::time::Instant;

use super::{Command, Ending, With};
use crate::apply::cleanup::{self, Cleaned};
use crate::apply::predeploy::run_planned;
use crate::apply::record::{self, AfterSuccess, Delivered, DeliveredService};
use crate::apply::register::Registrar;
use crate::apply::{Shipping, ToWatch, Update, reread, ship_all};
use crate::cloud::Cloud;
use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::run_options::OnCancel;
use crate::domain::service::ServiceState;
use crate::domain::watched::ServiceDeploymentRef;
use crate::error::UserError;
use crate::gather::{Gathered, gather};
use crate::github::Payload;
use crate::input::action_env::RunContext;
use crate::plan::predeploy::{self, PreDeployPlan};
use crate::plan::{Plan, PlanInput, plan};
use crate::preflight::Preflight;
use crate::progress::{Progress, Record};
use crate::request::DeployRequest;
use crate::request::gate::Destination;
use crate::rollback::cancel::{self, CancelRollback};
use crate::watch::{self, Live, Watched};

pub use judge::Judged;

/// What a deploy did, stage by stage, as far as it got.
#[derive(Debug, Default)]
pub struct DeployRun {
    /// The tag asked for (none for a full reference without one).
    pub image_tag: Option<String>,
    pub gathered: Option<Gathered>,
    /// One plan per service, in the request's order.
    pub plans: Vec<Plan>,
    /// What the pre-deploy task will run (shown even when nothing runs).
    pub pre_deploy_planned: Option<String>,
    /// `verify`: the rendered task definitions, values hidden.
    pub rendered: Option<Vec<Value>>,
    /// What the preflight found, when it ran.
    pub preflight: Option<Preflight>,
    /// `verify`: the checks ran and found nothing that stops a deploy.
    pub verified: bool,
    /// `run-task`: the one-off task ran alone (its run is in `progress`).
    pub task_alone: bool,
    /// `run-task` cancelled with `on-cancel: rollback`: whether `StopTask` was asked (or why not).
    pub stopped_on_cancel: Option<Result<(), String>>,
    /// Nothing to change: what the live deployments said.
    pub unchanged: Option<Unchanged>,
    /// What the updates did, once they all answered.
    pub updates: Option<Vec<Update>>,
    /// `wait` was off: the updates started and nobody watched.
    pub not_waited: bool,
    /// The watch, and after a failure its explanation and the rollbacks.
    pub judged: Option<Judged>,
    pub after_success: Option<AfterSuccess>,
    pub cleaned: Option<Cleaned>,
    /// `schedules`: the scheduled jobs moved to the new revisions.
    pub schedules: Option<crate::apply::schedules::Followed>,
    /// Where it ran, and what ended it early.
    pub ending: Ending,
    /// What `on-cancel: rollback` did to each rollout in flight, by service index.
    pub cancel_rollbacks: Vec<(usize, CancelRollback)>,
    /// What must survive a cancel, noted by the stages as they go: the writes, the revision each
    /// service is to run (as registration reached it, then as shipping ended), the pre-deploy
    /// task (as far as it got, `ended` once its verdict is in), the rollbacks started and the
    /// rollouts in flight.
    pub progress: Record,
}

/// Nothing to change: each service's live deployment decides.
#[derive(Debug, Default)]
pub struct Unchanged {
    /// Services whose live deployment failed.
    pub failed: Vec<LiveFailure>,
    /// Rollouts still in progress, when waited for.
    pub judged: Option<Judged>,
}

/// A service whose live deployment failed, with nothing to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFailure {
    /// The service's index in the deploy.
    pub index: usize,
    pub why: String,
    /// Where it stands.
    pub now: String,
}

/// The deploy command: gather, plan, apply, judge (see the module docs).
pub struct Deploy<'a> {
    pub req: &'a DeployRequest,
}

impl Command for Deploy<'_> {
    type Record = DeployRun;

    fn record(&self) -> DeployRun {
        DeployRun {
            image_tag: self.req.image.tag(),
            ..DeployRun::default()
        }
    }

    fn ending(record: &mut DeployRun) -> &mut Ending {
        &mut record.ending
    }

    fn opening(&self) -> String {
        "Read SSM, ECS and ECR".into()
    }

    async fn steps<C: Cloud, W: Write>(
        &self,
        cloud: &C,
        with: &With<'_, W>,
        run: &mut DeployRun,
    ) -> anyhow::Result<()> {
        steps(cloud, self.req, with, run).await
    }

    /// `on-cancel: rollback`.
    async fn cancelled<C: Cloud, W: Write>(
        &self,
        cloud: &C,
        with: &With<'_, W>,
        run: &mut DeployRun,
    ) {
        if self.req.on_cancel == OnCancel::Rollback {
            run.cancel_rollbacks = roll_back_on_cancel(cloud, with.console, with.progress).await;
        }
    }

    fn keep(&self, run: &mut DeployRun, progress: Record) {
        run.progress = progress;
    }
}

/// `on-cancel: rollback`: the rollouts in flight (not those a rollback already covers) are
/// rolled back, within the runner's grace period.
async fn roll_back_on_cancel<C: Cloud, W: Write>(
    cloud: &C,
    console: &Console<W>,
    progress: &Progress,
) -> Vec<(usize, CancelRollback)> {
    let record = progress.snapshot();
    let in_flight: Vec<(usize, Watched)> = record
        .in_flight
        .into_iter()
        .filter(|(i, _)| !record.rollbacks.contains_key(i))
        .collect();
    if in_flight.is_empty() {
        return Vec::new();
    }
    console.group("Roll back on cancel");
    let done = cancel::roll_back_in_flight(cloud, &in_flight, progress).await;
    cancel::say(&done, &in_flight, console);
    done
}

async fn steps<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    with: &With<'_, W>,
    run: &mut DeployRun,
) -> anyhow::Result<()> {
    let (console, progress) = (with.console, with.progress);
    // `time-limit-minutes` bounds the run, from here to the verdict (a pre-deploy task's own time
    // aside): every read, retry and wait stops at this deadline.
    let deadline = Instant::now() + req.target.timeout;
    let planned = prepare_by(cloud, req, console, run, deadline).await?;
    let plans = &planned.plans;
    if !plans.iter().any(Plan::updates_service) {
        console.line("Nothing changed: no revision registered, no service touched (set `force-new-deployment` to redeploy anyway).");
        if with.github.is_some() {
            console.line("No GitHub deployment recorded: nothing was deployed.");
        }
        let unchanged = run.unchanged.insert(Unchanged::default());
        return judge_unchanged(
            cloud,
            req,
            &planned.gathered,
            console,
            progress,
            unchanged,
            deadline,
        )
        .await;
    }
    if let Some(github) = with.github {
        github.borrow_mut().start(&Payload {
            image: plans[0].image_reference.clone(),
            digest: plans[0].image.digest.clone(),
            services: plans.iter().map(|p| p.service.clone()).collect(),
            production: planned.production,
        });
    }
    apply_planned(
        cloud,
        req,
        with.context,
        console,
        progress,
        &planned,
        run,
        deadline,
    )
    .await
}

/// [`prepare`], by `deadline`.
pub(super) async fn prepare_by<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    console: &Console<W>,
    run: &mut DeployRun,
    deadline: Instant,
) -> anyhow::Result<Planned> {
    tokio::time::timeout_at(deadline, prepare(cloud, req, console, run))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "reading and checking the services did not finish within `time-limit-minutes` ({}): AWS did not answer in time; nothing was changed",
                crate::text::human_duration(req.target.timeout)
            )
        })?
}

/// What was gathered and planned, before any write.
pub(super) struct Planned {
    pub(super) gathered: Gathered,
    pub(super) plans: Vec<Plan>,
    pub(super) pre_deploy: Option<PreDeployPlan>,
    /// The production gate's verdict on the real target (names from SSM, tags).
    production: bool,
    /// The services as they are right before the writes, when no pre-deploy task runs between
    /// the checks and the writes (read beside the preflight, or the first read when there is no
    /// preflight); otherwise they are read again after that task.
    befores: Option<Vec<ServiceState>>,
}

/// Gathers, checks the production gate on the real target, and plans (logging each step).
async fn prepare<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    console: &Console<W>,
    run: &mut DeployRun,
) -> anyhow::Result<Planned> {
    let gathered = gather(cloud, req).await?;
    run.gathered = Some(gathered.clone());
    log_gathered(console, &gathered);
    let production = req.target.production | is_production_target(req, &gathered)?;
    let plans = plan_all(req, &gathered, cloud.region())?;
    run.plans.clone_from(&plans);
    for plan in &plans {
        log_plan(console, plan, plans.len() > 1);
    }
    let pre_deploy = req
        .pre_deploy
        .as_ref()
        .map(|task| predeploy::plan(req, task, &gathered, cloud.region(), &plans))
        .transpose()?;
    if let Some(pre) = &pre_deploy {
        predeploy::log(console, pre, req.verify_only);
        run.pre_deploy_planned = Some(pre.describe());
    }
    // What will run is checked: a deploy that changes nothing runs no task.
    let starts = req.verify_only || req.run_task || plans.iter().any(Plan::updates_service);
    let checking = req.preflight && starts;
    // The services are read again right before the writes, so that a deploy made meanwhile is
    // not undone. With no pre-deploy task in between (a migration can take minutes) that read is
    // made beside the preflight's, one round trip fewer; with no preflight either, nothing
    // waited on AWS since the services were read, and that read is the one.
    let writes = !req.verify_only
        && !req.run_task
        && pre_deploy.is_none()
        && plans.iter().any(Plan::updates_service);
    let checks = async {
        if checking {
            Some(
                Box::pin(preflight(
                    cloud,
                    req,
                    &gathered,
                    &plans,
                    pre_deploy.as_ref(),
                ))
                .await,
            )
        } else {
            None
        }
    };
    let again = async {
        match (writes, checking) {
            (true, true) => Some(reread(cloud, &plans).await),
            (true, false) => Some(Ok(gathered.services.clone())),
            (false, _) => None,
        }
    };
    let (found, befores) = tokio::join!(checks, again);
    if let Some(found) = found {
        show::log_preflight(console, &found);
        let stop = preflight_error(&found);
        run.preflight = Some(found);
        if let Some(err) = stop {
            return Err(err.into());
        }
    }
    let befores = befores.transpose()?;
    Ok(Planned {
        gathered,
        plans,
        pre_deploy,
        production,
        befores,
    })
}

/// The writes: the pre-deploy task, registrations, updates, the verdict (and rollback), and
/// after a verified success the record and the clean-up. All by `deadline`, moved on by the time
/// the pre-deploy task took (it has its own).
#[allow(clippy::too_many_arguments)]
async fn apply_planned<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    ctx: &RunContext,
    console: &Console<W>,
    progress: &Progress,
    planned: &Planned,
    run: &mut DeployRun,
    mut deadline: Instant,
) -> anyhow::Result<()> {
    let plans = &planned.plans;
    let registrar = Registrar::new(deadline);
    if let (Some(task), Some(pre)) = (&req.pre_deploy, &planned.pre_deploy) {
        let cluster = &planned.gathered.resolved.cluster;
        let started = Instant::now();
        let task_run =
            run_planned(cloud, &registrar, task, pre, cluster, console, progress).await?;
        registrar.extend(started.elapsed());
        deadline += started.elapsed();
        // The task's run is in the progress record (as far as it got, or ended).
        if !task_run.succeeded {
            return Ok(());
        }
    }
    console.group("Deploy");
    // Nothing was written to the services yet: one changed meanwhile stops the run here.
    let reread_after_task;
    let befores = if let Some(befores) = &planned.befores {
        befores
    } else {
        reread_after_task = tokio::time::timeout_at(deadline, reread(cloud, plans))
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "reading the services again before updating them did not finish within `time-limit-minutes` ({}): no service was updated",
                    crate::text::human_duration(req.target.timeout)
                )
            })??;
        &reread_after_task
    };
    let (done, outcomes) = ship_and_watch(
        &Shipping {
            cloud,
            registrar: &registrar,
            befores,
            console,
            progress,
            deadline,
        },
        req,
        plans,
    )
    .await;
    let (arns, updates) = (done.arns, done.updates);
    run.updates = Some(updates.clone());
    let watched = Update::watched(&updates);
    let errors = Update::errors(&updates, plans);
    if !errors.is_empty() && watched.is_empty() {
        // One service, not updated because its revision could not be registered: AWS's own
        // error ends the run.
        if let Some(err) = done.registration_error.filter(|_| errors.len() == 1) {
            return Err(err);
        }
        anyhow::bail!("updating services failed: {}", errors.join("; "));
    }
    if !req.target.wait && errors.is_empty() {
        console.line("Started (not waiting: `wait` is false).");
        run.not_waited = true;
        return Ok(());
    }
    let judged = run.judged.insert(Judged::new(watched, errors));
    let verdict = match outcomes {
        Some(outcomes) => {
            // In the order of the deployments watched.
            let mut by_index: std::collections::BTreeMap<usize, watch::Outcome> =
                outcomes.into_iter().collect();
            let outcomes = judged
                .watched
                .iter()
                .filter_map(|(i, _)| by_index.remove(i))
                .collect();
            judge::after_watch(cloud, req, console, progress, judged, outcomes).await
        }
        // Not waiting, and something failed: the rest is judged all the same.
        None => judge::judge(cloud, req, console, progress, judged, deadline).await,
    };
    if !verdict {
        return Ok(());
    }
    if judged.paused() {
        // Not deployed yet: the record, the promotion tag and the clean-up wait for the end.
        judged.images = Some(judge::images(cloud, judged, console).await);
        console.line("Paused at a lifecycle hook: `command: continue` (or `rollback`) with `service-deployment-arn` moves it on.");
        return Ok(());
    }
    let names: Vec<&str> = plans.iter().map(|p| p.service.as_str()).collect();
    console.line(&format!("Deployed: {}", names.join(", ")));
    let shipped = shipped(req, &planned.gathered, plans, &arns);
    let (images, after, cleaned, schedules) =
        after_deployed(cloud, req, ctx, console, progress, &shipped, judged).await;
    judged.images = Some(images);
    run.after_success = Some(after);
    run.cleaned = cleaned;
    run.schedules = schedules;
    Ok(())
}

/// After a verified success, all at once: the digests ECS resolved (for the summary), the record
/// and the promotion tag, the clean-up, and the scheduled jobs that follow.
async fn after_deployed<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    ctx: &RunContext,
    console: &Console<W>,
    progress: &Progress,
    shipped: &Delivered,
    judged: &Judged,
) -> (
    watch::digests::Digests,
    AfterSuccess,
    Option<Cleaned>,
    Option<crate::apply::schedules::Followed>,
) {
    let cleaning = async {
        match req.keep_revisions {
            Some(keep) => {
                Some(cleanup::run(cloud, keep, &shipped.services, console, progress).await)
            }
            None => None,
        }
    };
    let following = async {
        match &req.schedules {
            Some(which) => {
                Some(crate::apply::schedules::follow(cloud, which, shipped, console).await)
            }
            None => None,
        }
    };
    tokio::join!(
        judge::images(cloud, judged, console),
        record::after_success(cloud, req, ctx, shipped, console, progress),
        cleaning,
        following
    )
}

/// Ships the plans and, when the deploy waits, watches each deployment from its own update while
/// the others ship: what shipping did, and each watched deployment's outcome by service index.
async fn ship_and_watch<C: Cloud, W: Write>(
    shipping: &Shipping<'_, C, W>,
    req: &DeployRequest,
    plans: &[Plan],
) -> (crate::apply::Shipped, Option<Vec<(usize, watch::Outcome)>>) {
    let failed = std::sync::atomic::AtomicBool::new(false);
    let (started, incoming) = if req.target.wait {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        (Some(sender), Some(receiver))
    } else {
        (None, None)
    };
    let ship = async {
        let to_watch = ToWatch {
            started,
            failed: &failed,
        };
        // Dropping `to_watch` when done tells the watch no more deployments will start.
        ship_all(shipping, plans, &to_watch).await
    };
    let watching = async {
        match incoming {
            Some(incoming) => Some(
                watch::watch_incoming(
                    &watch::Ecs(shipping.cloud),
                    incoming,
                    judge::watch_limits(req, shipping.deadline),
                    shipping.console,
                    &failed,
                )
                .await,
            ),
            None => None,
        }
    };
    tokio::join!(ship, watching)
}

/// The preflight of what the deploy would start: each new revision once (all of them for
/// `verify`), and the pre-deploy task's.
async fn preflight<C: Cloud>(
    cloud: &C,
    req: &DeployRequest,
    gathered: &Gathered,
    plans: &[Plan],
    pre_deploy: Option<&PreDeployPlan>,
) -> Preflight {
    let labels: Vec<String> = plans
        .iter()
        .map(|p| format!("service `{}`", p.service))
        .collect();
    let mut subjects: Vec<crate::preflight::Subject<'_>> = Vec::new();
    for (plan, label) in plans.iter().zip(&labels) {
        // `run-task` starts no service: only the task is checked.
        let starts = !req.run_task && (req.verify_only || plan.starts_deployment());
        if starts && !subjects.iter().any(|s| *s.task_definition == plan.rendered) {
            subjects.push(crate::preflight::Subject {
                label,
                task_definition: &plan.rendered,
            });
        }
    }
    if let Some(pre) = pre_deploy.filter(|pre| {
        // The task runs a service's new revision: already checked.
        !subjects.iter().any(|s| *s.task_definition == pre.rendered)
    }) {
        subjects.push(crate::preflight::Subject {
            label: "the pre-deploy task",
            task_definition: &pre.rendered,
        });
    }
    let mut images_checked = std::collections::HashSet::new();
    let resolved =
        std::iter::once(&gathered.image).chain(gathered.other_images.iter().map(|(_, i)| i));
    for image in resolved.filter(|i| i.verified) {
        images_checked.insert(image.reference(true));
        images_checked.insert(image.reference(false));
    }
    let account = plans
        .first()
        .and_then(|p| p.live_task_definition_arn.split(':').nth(4))
        .unwrap_or_default();
    crate::preflight::run(
        cloud,
        &subjects,
        &crate::preflight::Account {
            region: cloud.region(),
            id: account,
            images_checked: &images_checked,
        },
    )
    .await
}

/// The problems the preflight found, as the one error that stops the deploy.
fn preflight_error(found: &Preflight) -> Option<UserError> {
    let n = found.problems.len();
    if n == 0 {
        return None;
    }
    let list: Vec<String> = found.problems.iter().map(|p| format!("- {p}")).collect();
    Some(
        UserError::new(format!(
            "the preflight found {n} problem{} that would stop the new tasks from starting (nothing was changed):\n{}",
            if n == 1 { "" } else { "s" },
            list.join("\n")
        ))
        .hint(format!(
            "fix {} and run again (`command: verify` checks without deploying); `preflight: false` skips the checks",
            if n == 1 { "it" } else { "them" }
        )),
    )
}

/// One plan per service.
fn plan_all(req: &DeployRequest, gathered: &Gathered, region: &str) -> anyhow::Result<Vec<Plan>> {
    gathered
        .resolved
        .targets
        .iter()
        .zip(gathered.services.iter().zip(&gathered.lives))
        .map(|(target, (service, live))| {
            plan(
                req,
                &PlanInput {
                    resolved: &gathered.resolved,
                    target,
                    region,
                    live,
                    service,
                    image: &gathered.image,
                    other_images: &gathered.other_images,
                    existing: gathered.existing.as_ref(),
                },
            )
        })
        .collect::<Result<Vec<Plan>, _>>()
        .map_err(anyhow::Error::from)
}

/// What a verified deploy shipped, for the record and the clean-up.
fn shipped(req: &DeployRequest, gathered: &Gathered, plans: &[Plan], arns: &[String]) -> Delivered {
    Delivered {
        environment: req.target.environment.clone(),
        image: plans[0].image_reference.clone(),
        image_tag: req.image.tag(),
        image_digest: plans[0].image.digest.clone(),
        cluster: gathered.resolved.cluster.clone(),
        services: plans
            .iter()
            .zip(arns)
            .map(|(plan, arn)| DeliveredService {
                service: plan.service.clone(),
                task_definition_arn: arn.clone(),
                previous_task_definition_arn: plan.live_task_definition_arn.clone(),
            })
            .collect(),
    }
}

/// Nothing to change is a success only for a healthy service: each service's live deployment
/// decides. Completed is `unchanged`; a rollout still in progress (an earlier run cancelled, say)
/// is waited for and judged like a deploy, rollback policy included; a failed one fails the run.
async fn judge_unchanged<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    gathered: &Gathered,
    console: &Console<W>,
    progress: &Progress,
    unchanged: &mut Unchanged,
    deadline: Instant,
) -> anyhow::Result<()> {
    let mut watched = Vec::new();
    for (i, state) in gathered.services.iter().enumerate() {
        match watch::live(state) {
            Live::Healthy => {}
            Live::Failed(why) => {
                unchanged.failed.push(LiveFailure {
                    index: i,
                    why,
                    now: crate::domain::service::where_it_stands(state),
                });
            }
            Live::InProgress(target) => {
                console.line(&format!(
                    "{}: its deployment {} of {} is still rolling out",
                    state.name,
                    target.deployment_id,
                    short_task_definition(&target.task_definition)
                ));
                watched.push((
                    i,
                    Watched {
                        cluster: gathered.resolved.cluster.clone(),
                        initial: state.clone(),
                        target,
                        service_deployment: ServiceDeploymentRef::current(state),
                    },
                ));
            }
        }
    }
    if !unchanged.failed.is_empty() || watched.is_empty() || !req.target.wait {
        return Ok(());
    }
    let judged = unchanged.judged.insert(Judged::new(watched, Vec::new()));
    if judge::judge(cloud, req, console, progress, judged, deadline).await {
        judged.images = Some(judge::images(cloud, judged, console).await);
        console.line("The rollout in progress completed: nothing else to change.");
    }
    Ok(())
}

fn is_production_target(req: &DeployRequest, gathered: &Gathered) -> Result<bool, UserError> {
    req.target.gate.check(&Destination {
        ssm_prefix: req.target.ssm_prefix.as_deref(),
        cluster: Some(&gathered.resolved.cluster),
        cluster_tags: &gathered.cluster_tags,
        services: gathered
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.tags.as_slice()))
            .collect(),
        ssm_clusters: Some(&gathered.ssm_clusters),
    })
}
