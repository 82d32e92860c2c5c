//! Running a deploy: gather, plan (and show the plan), then [`crate::apply`] it, and after a
//! verified success write the record and clean up, filling a [`Report`] as it goes. One service
//! or several: each gets its own plan; the pre-deploy task is planned with them.
//!
//! The report is the caller's, so a cancelled run (the future dropped mid-wait) still reports what
//! was registered and which deployments were started.

use std::io::Write;

use crate::cloud::Cloud;
use crate::console::Console;
use crate::domain::ecs::short_task_definition;
use crate::domain::taskdef;
use crate::error::{Exit, UserError};
use crate::gather::{Gathered, gather};
use crate::github::{Payload, Tracker};
use crate::input::action_env::RunContext;
use crate::plan::predeploy;
use crate::plan::{Plan, PlanInput, plan};
use crate::report::{Report, ServiceResult, Status};
use crate::request::gate::Destination;
use crate::request::{DeployRequest, ImageSpec};
use crate::watch::{self, Live, Watched};

/// Runs a validated deploy request to the end, filling `report`.
pub async fn run<C: Cloud, W: Write>(
    cloud: anyhow::Result<&C>,
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
    if let Err(err) = run_steps(cloud, req, ctx, console, report, github).await {
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

async fn run_steps<C: Cloud, W: Write>(
    cloud: anyhow::Result<&C>,
    req: &DeployRequest,
    ctx: &RunContext,
    console: &mut Console<W>,
    report: &mut Report,
    github: Option<&mut Tracker>,
) -> anyhow::Result<()> {
    console.group("Read SSM, ECS and ECR");
    let cloud = cloud?;
    report.region = Some(cloud.region().to_string());
    let gathered = gather(cloud, req).await?;
    note_gathered(report, &gathered);
    log_gathered(console, &gathered);
    let production = req.target.production | is_production_target(req, &gathered)?;

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
                    region: cloud.region(),
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
        crate::apply::predeploy::log_location(&first.rendered, container, None, cloud.region())
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
        .map(|task| predeploy::plan(req, task, &gathered, cloud.region(), &plans))
        .transpose()?;
    if let Some(pre) = &pre_deploy {
        predeploy::log(console, pre, req.dry_run);
        report.pre_deploy_planned = Some(pre.describe());
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
        unchanged(cloud, req, &plans, &gathered, console, report).await;
        return Ok(());
    }
    if let Some(github) = github {
        github.start(&Payload {
            image: first.image_reference.clone(),
            digest: first.image.digest.clone(),
            services: plans.iter().map(|p| p.service.clone()).collect(),
            production,
        });
    }
    crate::apply::apply(cloud, req, &plans, pre_deploy.as_ref(), console, report).await?;
    crate::apply::record::after_success(cloud, req, ctx, console, report).await;
    if let Some(keep) = req.keep_revisions {
        crate::apply::cleanup::run(cloud, keep, console, report).await;
    }
    Ok(())
}

/// Nothing to change is a success only for a healthy service: each service's live deployment
/// decides. Completed is `unchanged`; a rollout still in progress (an earlier run cancelled, say)
/// is waited for and judged like a deploy, rollback policy included; a failed one fails the run.
async fn unchanged<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    plans: &[Plan],
    gathered: &Gathered,
    console: &mut Console<W>,
    report: &mut Report,
) {
    let mut failed = Vec::new();
    let mut watched = Vec::new();
    for (i, state) in gathered.services.iter().enumerate() {
        match watch::live(state) {
            Live::Healthy => {}
            Live::Failed(why) => {
                report.services[i].status = Status::Failed;
                report.services[i].failure = Some(why.clone());
                report.services[i].now = Some(crate::domain::ecs::where_it_stands(state));
                failed.push(format!("{}: {why}", state.name));
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
                    },
                ));
            }
        }
    }
    if !failed.is_empty() {
        report.fail(
            "Deploy failed",
            format!("nothing to change, but {}", failed.join("; ")),
            Some("the revision it runs does not work: fix the image or settings and deploy again, or roll back (`command: rollback`)".into()),
            Exit::DeployFailed,
        );
        return;
    }
    if watched.is_empty() || !req.target.wait {
        report.succeed(Status::Unchanged);
        return;
    }
    let names: Vec<&str> = plans.iter().map(|p| p.service.as_str()).collect();
    if crate::apply::judge(cloud, req, &names, &watched, Vec::new(), console, report).await {
        console.line("The rollout in progress completed: nothing else to change.");
        report.succeed(Status::Unchanged);
    }
}

/// Where the deploy really goes is known once gathered (names from SSM, tags): the production
/// gate again, before any write.
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
    })
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
    ServiceResult::planned(&plan.service, &plan.live_task_definition_arn, plan.changed)
}

fn note_gathered(report: &mut Report, gathered: &Gathered) {
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
