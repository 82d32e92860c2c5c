//! Running a deploy: gather, plan, apply, watch, and roll back on failure, filling a [`Report`]
//! as it goes. One service or several: each gets its own plan, each distinct revision is
//! registered once (paced to stay under `RegisterTaskDefinition`'s ~1 call/s), the services are
//! updated concurrently and watched together, and a failure rolls back every service that was
//! changed (all or nothing).
//!
//! The report is the caller's, so a cancelled run (the future dropped mid-wait) still reports what
//! was registered and which deployments were started.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use futures::future::join_all;
use tokio::time::Instant;

use crate::action_env::RunContext;
use crate::aws::{self, Clients, ecs::ServiceUpdate};
use crate::console::Console;
use crate::diagnose;
use crate::error::Exit;
use crate::error::UserError;
use crate::gather::{Gathered, gather};
use crate::github::{Payload, Tracker};
use crate::model::{ServiceState, short_task_definition};
use crate::plan::{self, Plan, PlanInput, ResolvedTarget, plan};
use crate::predeploy::{self, PreDeployResult};
use crate::report::{Report, Rollout, ServiceResult, Status};
use crate::request::{DeployRequest, ImageSpec, PreDeployTask};
use crate::rollback::{self, Started};
use crate::taskdef;
use crate::watch::{self, Ecs, Limits, Target, Verdict, Watched};

/// `RegisterTaskDefinition` allows about one call a second sustained.
pub const REGISTER_PACE: Duration = Duration::from_millis(1100);

/// Runs a validated deploy request to the end, filling `report`.
pub async fn run<W: Write>(
    req: &DeployRequest,
    ctx: &RunContext,
    console: &mut Console<W>,
    report: &mut Report,
    github: Option<&mut Tracker>,
) {
    report.image_tag = match &req.image {
        ImageSpec::Tag(tag) => Some(tag.clone()),
        ImageSpec::Reference(r) => r.tag.clone(),
    };
    if let Err(err) = run_steps(req, ctx, console, report, github).await {
        let title = if report.task_definition_arn.is_some() {
            "Deploy failed"
        } else {
            "Deploy refused"
        };
        report.fail_with(title, &err);
        for service in &mut report.services {
            if service.task_definition_arn.is_none() {
                service.status = Status::NotUpdated;
            } else if matches!(service.status, Status::Started | Status::DryRun) {
                service.status = Status::Failed;
            }
        }
    }
}

async fn run_steps<W: Write>(
    req: &DeployRequest,
    ctx: &RunContext,
    console: &mut Console<W>,
    report: &mut Report,
    github: Option<&mut Tracker>,
) -> anyhow::Result<()> {
    console.group("Read SSM, ECS and ECR");
    let clients = Clients::load(req.target.region.as_deref()).await?;
    report.region = Some(clients.region.clone());
    let gathered = gather(&clients, req).await?;
    report.cluster = Some(gathered.resolved.cluster.clone());
    report.service = Some(
        gathered
            .resolved
            .targets
            .iter()
            .map(|t| t.service.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    report.previous_task_definition_arn = Some(gathered.services[0].task_definition.clone());
    report.warnings.extend(gathered.warnings.iter().cloned());
    log_gathered(console, &gathered);

    let plans = gathered
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
                    region: &clients.region,
                    live,
                    service,
                    image: &gathered.image,
                },
            )
        })
        .collect::<Result<Vec<Plan>, _>>()?;
    let first = &plans[0];
    report.image = Some(first.image_reference.clone());
    report.image_digest.clone_from(&first.image.digest);
    report.image_verified = first.image.verified;
    report.containers.clone_from(&first.containers);
    report.log_group = first.containers.first().and_then(|container| {
        predeploy::log_location(&first.rendered, container, None, &clients.region)
            .map(|log| (log.group, log.region))
    });
    report.changed = plans.iter().any(|p| p.changed);
    report.diff = Some(first.diff.clone());
    report.services = plans.iter().map(service_result).collect();
    for plan in &plans {
        log_plan(console, plan, plans.len() > 1);
    }
    let pre_deploy = req
        .pre_deploy
        .as_ref()
        .map(|task| plan_pre_deploy(req, task, &gathered, &clients.region, &plans))
        .transpose()?;
    if let Some(pre) = &pre_deploy {
        log_pre_deploy(console, pre, req.dry_run);
    }

    if req.dry_run {
        return show_dry_run(&plans, console, report);
    }
    if !plans.iter().any(Plan::updates_service) {
        console.line("Nothing changed: no revision registered, no service touched (set `force-new-deployment` to redeploy anyway).");
        if github.is_some() {
            console.line("No GitHub deployment recorded: nothing was deployed.");
        }
        report.task_definition_arn = Some(first.live_task_definition_arn.clone());
        for (service, plan) in report.services.iter_mut().zip(&plans) {
            service.task_definition_arn = Some(plan.live_task_definition_arn.clone());
        }
        report.succeed(Status::Unchanged);
        return Ok(());
    }
    if let Some(github) = github {
        github.start(&Payload {
            image: first.image_reference.clone(),
            digest: first.image.digest.clone(),
            services: plans.iter().map(|p| p.service.clone()).collect(),
            production: req.target.production,
        });
    }
    apply(
        &clients,
        req,
        &plans,
        pre_deploy.as_ref(),
        &gathered.services,
        console,
        report,
    )
    .await?;
    crate::record::after_success(&clients, req, ctx, console, report).await;
    if let Some(keep) = req.keep_revisions {
        crate::cleanup::run(&clients, keep, console, report).await;
    }
    Ok(())
}

/// A dry run shows each rendered task definition (values hidden) and changes nothing.
fn show_dry_run<W: Write>(
    plans: &[Plan],
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    for plan in plans {
        let shown = taskdef::redacted(&plan.rendered);
        console.group(&format!(
            "Rendered task definition for {} (dry run, environment values hidden)",
            plan.service
        ));
        console.block(
            &serde_json::to_string_pretty(&shown)?
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
        report.rendered.get_or_insert(shown);
    }
    report
        .services
        .iter_mut()
        .for_each(|s| s.status = Status::DryRun);
    report.succeed(Status::DryRun);
    Ok(())
}

fn service_result(plan: &Plan) -> ServiceResult {
    ServiceResult {
        service: plan.service.clone(),
        previous_task_definition_arn: plan.live_task_definition_arn.clone(),
        task_definition_arn: None,
        changed: plan.changed,
        status: Status::Unchanged,
        rollout: None,
        rollback_task_definition_arn: None,
        failure: None,
    }
}

fn log_gathered<W: Write>(console: &mut Console<W>, g: &Gathered) {
    if let Some(ssm) = &g.ssm {
        let found: Vec<&str> = ssm.values.keys().map(String::as_str).collect();
        console.line(&format!(
            "SSM {}: found {}",
            ssm.prefix,
            if found.is_empty() {
                "nothing".into()
            } else {
                found.join(", ")
            }
        ));
    }
    for service in &g.services {
        console.line(&format!(
            "Service {} in cluster {}: {} running {}/{}",
            service.name,
            g.resolved.cluster,
            short_task_definition(&service.task_definition),
            service.running,
            service.desired
        ));
    }
    let digest = g.image.digest.as_deref().unwrap_or("(no digest)");
    let state = if g.image.verified {
        "found in ECR"
    } else {
        "not checked (outside ECR)"
    };
    console.line(&format!(
        "Image {}:{} {state}: {digest}",
        g.image.repository,
        g.image.tag.as_deref().unwrap_or("")
    ));
    for warning in &g.warnings {
        console.warning("Image", warning);
    }
}

fn log_plan<W: Write>(console: &mut Console<W>, plan: &Plan, name_service: bool) {
    let service = if name_service {
        format!("{}: ", plan.service)
    } else {
        String::new()
    };
    console.group(&format!(
        "Plan: {service}family {} containers {}",
        plan.family,
        plan.containers.join(", ")
    ));
    if plan.diff.is_empty() {
        console.line("The rendered task definition is the same as the live one.");
    } else {
        console.block(&plan.diff.lines());
    }
    if let Some(settings) = &plan.settings {
        console.line(&format!("Rollout settings to set: {settings:?}"));
    }
}

/// The pre-deploy task, planned: which revision runs, where, and which container to watch.
struct PreDeployPlan {
    /// The rendered revision (the first service's when the task names no family of its own).
    rendered: serde_json::Value,
    /// Whether `rendered` differs from `live_arn` (needs registering).
    changed: bool,
    live_arn: String,
    container: String,
    placement: crate::model::Placement,
    timeout: Duration,
    diff: crate::diff::TaskDefDiff,
    /// The service whose new revision runs, when the task names no family of its own.
    service_revision: Option<String>,
}

fn plan_pre_deploy(
    req: &DeployRequest,
    task: &PreDeployTask,
    gathered: &Gathered,
    region: &str,
    plans: &[Plan],
) -> anyhow::Result<PreDeployPlan> {
    let first = &plans[0];
    let (rendered, changed, live_arn, containers, diff) = match &gathered.pre_deploy_live {
        Some(live) => {
            let target = ResolvedTarget {
                service: first.service.clone(),
                family: None,
                containers: task.container.iter().cloned().collect(),
                ..ResolvedTarget::default()
            };
            let live_arn = taskdef::registrable(live)["taskDefinitionArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let revision = plan::revision(
                req,
                &PlanInput {
                    resolved: &gathered.resolved,
                    target: &target,
                    region,
                    live,
                    service: &gathered.services[0],
                    image: &gathered.image,
                },
                live,
                &live_arn,
            )?;
            (
                revision.rendered,
                revision.changed,
                live_arn,
                revision.containers,
                revision.diff,
            )
        }
        None => (
            first.rendered.clone(),
            first.changed,
            first.live_task_definition_arn.clone(),
            first.containers.clone(),
            first.diff.clone(),
        ),
    };
    let container = match &task.container {
        Some(name) if taskdef::container_names(&taskdef::registrable(&rendered)).contains(name) => {
            name.clone()
        }
        Some(name) => {
            return Err(UserError::new(format!(
                "input `pre-deploy-task`: the task definition has no container `{name}`"
            ))
            .hint(format!(
                "its containers: {}",
                taskdef::container_names(&taskdef::registrable(&rendered)).join(", ")
            ))
            .into());
        }
        None => containers
            .first()
            .cloned()
            .context("the pre-deploy task has no container to run")?,
    };
    let placement = predeploy::placement(task, &gathered.services[0]);
    let needs_network = taskdef::registrable(&rendered)["networkMode"] == "awsvpc";
    if needs_network && placement.network.is_none() {
        return Err(UserError::new(format!(
            "the pre-deploy task uses `awsvpc` networking, but service `{}` has no network configuration to copy",
            first.service
        ))
        .hint("give `subnets` and `security-groups` in `pre-deploy-task`")
        .into());
    }
    Ok(PreDeployPlan {
        rendered,
        changed,
        live_arn,
        container,
        placement,
        timeout: task.timeout.unwrap_or(req.target.timeout),
        diff,
        service_revision: gathered
            .pre_deploy_live
            .is_none()
            .then(|| first.service.clone()),
    })
}

fn log_pre_deploy<W: Write>(console: &mut Console<W>, pre: &PreDeployPlan, dry_run: bool) {
    let family = pre.rendered["family"].as_str().unwrap_or_default();
    console.group(&format!(
        "Pre-deploy task: family {family}, container {}{}",
        pre.container,
        if dry_run { " (dry run: not run)" } else { "" }
    ));
    if let Some(service) = &pre.service_revision {
        console.line(&format!(
            "Runs the revision planned for {service}{}.",
            if pre.changed { " (above)" } else { "" }
        ));
    } else if pre.changed {
        if pre.diff.is_empty() {
            console.line("A new revision is needed.");
        } else {
            console.block(&pre.diff.lines());
        }
    } else {
        console.line(&format!(
            "Runs {} as it is.",
            short_task_definition(&pre.live_arn)
        ));
    }
}

/// Registers and runs the pre-deploy task; `false` when it failed (the report says why and no
/// service was touched).
async fn run_pre_deploy<W: Write>(
    clients: &Clients,
    registrar: &mut Registrar,
    task: &PreDeployTask,
    pre: &PreDeployPlan,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<bool> {
    console.group("Pre-deploy task");
    let arn = if pre.changed {
        registrar.register(clients, &pre.rendered, console).await?
    } else {
        pre.live_arn.clone()
    };
    report.pre_deploy = Some(PreDeployResult {
        task_definition_arn: arn.clone(),
        container: pre.container.clone(),
        task_arn: None,
        last_status: String::new(),
        exit_code: None,
        task: None,
        log: None,
        succeeded: false,
        failure: None,
        duration: Duration::ZERO,
    });
    let result = report.pre_deploy.as_mut().expect("just set");
    let region = clients.region.clone();
    let cluster = report.cluster.clone().unwrap_or_default();
    predeploy::run(
        clients,
        task,
        &predeploy::Prepared {
            cluster: &cluster,
            task_definition_arn: arn,
            rendered: &pre.rendered,
            container: pre.container.clone(),
            placement: pre.placement.clone(),
            region: &region,
            timeout: pre.timeout,
        },
        console,
        result,
    )
    .await?;
    if result.succeeded {
        return Ok(true);
    }
    let why = result.failure.clone().unwrap_or_default();
    let hint = match &result.log {
        Some(log) => format!(
            "its output is in CloudWatch Logs group `{}`{} ({})",
            log.group,
            log.stream
                .as_ref()
                .map_or(String::new(), |s| format!(", stream `{s}`")),
            log.region
        ),
        None => "the task definition has no awslogs configuration for this container; look at the task in the ECS console".into(),
    };
    console.error("Pre-deploy task failed", &why);
    report.fail(
        "Pre-deploy task failed",
        format!("{why}; no service was updated"),
        Some(hint),
        Exit::DeployFailed,
    );
    for service in &mut report.services {
        service.status = Status::NotUpdated;
        service.task_definition_arn = Some(service.previous_task_definition_arn.clone());
    }
    report
        .task_definition_arn
        .clone_from(&report.previous_task_definition_arn);
    Ok(false)
}

/// Registers each distinct rendered revision once, paced to stay under AWS's throttle.
#[derive(Default)]
struct Registrar {
    registered: Vec<(serde_json::Value, String)>,
    last: Option<Instant>,
}

impl Registrar {
    /// The ARN of `rendered`, registering it unless it already was.
    async fn register<W: Write>(
        &mut self,
        clients: &Clients,
        rendered: &serde_json::Value,
        console: &mut Console<W>,
    ) -> anyhow::Result<String> {
        if let Some((_, arn)) = self.registered.iter().find(|(r, _)| r == rendered) {
            return Ok(arn.clone());
        }
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + REGISTER_PACE).await;
        }
        self.last = Some(Instant::now());
        let arn = aws::ecs::register_task_definition(&clients.ecs, rendered).await?;
        console.line(&format!("Registered {}", short_task_definition(&arn)));
        self.registered.push((rendered.clone(), arn.clone()));
        Ok(arn)
    }
}

/// Registers each distinct revision once, paced; returns the task definition each plan deploys.
async fn register_all<W: Write>(
    clients: &Clients,
    registrar: &mut Registrar,
    plans: &[Plan],
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<Vec<String>> {
    let mut arns = Vec::with_capacity(plans.len());
    for (i, plan) in plans.iter().enumerate() {
        let arn = if plan.changed {
            registrar.register(clients, &plan.rendered, console).await?
        } else {
            plan.live_task_definition_arn.clone()
        };
        report.services[i].task_definition_arn = Some(arn.clone());
        if i == 0 {
            report.task_definition_arn = Some(arn.clone());
        }
        arns.push(arn);
    }
    Ok(arns)
}

async fn apply<W: Write>(
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
        if !run_pre_deploy(clients, &mut registrar, task, pre, console, report).await? {
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
                console.error(&format!("Updating {service} failed"), &format!("{err:#}"));
                report.services[i].status = Status::Failed;
                report.services[i].failure = Some(format!("{err:#}"));
                errors.push(format!("{service}: {err:#}"));
                continue;
            }
        };
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
