//! Running a deploy: gather, plan, apply, watch, and roll back on failure, filling a [`Report`]
//! as it goes.
//!
//! The report is the caller's, so a cancelled run (the future dropped mid-wait) still reports what
//! was registered and which deployment was started.

use std::io::Write;

use crate::aws::{self, Clients, ecs::ServiceUpdate};
use crate::console::Console;
use crate::diagnose;
use crate::error::Exit;
use crate::gather::{Gathered, gather};
use crate::model::{ServiceState, short_task_definition};
use crate::plan::{Plan, PlanInput, plan};
use crate::report::{Report, Rollout, Status};
use crate::request::{DeployRequest, ImageSpec};
use crate::rollback;
use crate::taskdef;
use crate::watch::{self, Ecs, Limits, Target, Verdict, Watched};

/// Runs a validated deploy request to the end, filling `report`.
pub async fn run<W: Write>(req: &DeployRequest, console: &mut Console<W>, report: &mut Report) {
    report.image_tag = match &req.image {
        ImageSpec::Tag(tag) => Some(tag.clone()),
        ImageSpec::Reference(r) => r.tag.clone(),
    };
    if let Err(err) = run_steps(req, console, report).await {
        let title = if report.task_definition_arn.is_some() {
            "Deploy failed"
        } else {
            "Deploy refused"
        };
        report.fail_with(title, &err);
    }
}

async fn run_steps<W: Write>(
    req: &DeployRequest,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    console.group("Read SSM, ECS and ECR");
    let clients = Clients::load(req.target.region.as_deref()).await?;
    report.region = Some(clients.region.clone());
    let gathered = gather(&clients, req).await?;
    report.cluster = Some(gathered.resolved.cluster.clone());
    report.service = Some(gathered.resolved.service.clone());
    report.previous_task_definition_arn = Some(gathered.service.task_definition.clone());
    report.warnings.extend(gathered.warnings.iter().cloned());
    log_gathered(console, &gathered);

    let plan = plan(
        req,
        &PlanInput {
            resolved: &gathered.resolved,
            region: &clients.region,
            live: &gathered.live,
            service: &gathered.service,
            image: &gathered.image,
        },
    )?;
    report.image = Some(plan.image_reference.clone());
    report.image_digest.clone_from(&plan.image.digest);
    report.image_verified = plan.image.verified;
    report.containers.clone_from(&plan.containers);
    report.changed = plan.changed;
    report.diff = Some(plan.diff.clone());
    log_plan(console, &plan);

    if req.dry_run {
        let shown = taskdef::redacted(&plan.rendered);
        console.group("Rendered task definition (dry run, environment values hidden)");
        console.block(
            &serde_json::to_string_pretty(&shown)?
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
        report.rendered = Some(shown);
        report.succeed(Status::DryRun);
        return Ok(());
    }
    if !plan.updates_service() {
        console.line("Nothing changed: no revision registered, the service is left alone (set `force-new-deployment` to redeploy anyway).");
        report.task_definition_arn = Some(plan.live_task_definition_arn.clone());
        report.succeed(Status::Unchanged);
        return Ok(());
    }
    apply(&clients, req, &plan, &gathered.service, console, report).await
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
    console.line(&format!(
        "Service {} in cluster {}: {} running {}/{}",
        g.service.name,
        g.resolved.cluster,
        short_task_definition(&g.service.task_definition),
        g.service.running,
        g.service.desired
    ));
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
        console.warning("Image not checked", warning);
    }
}

fn log_plan<W: Write>(console: &mut Console<W>, plan: &Plan) {
    console.group(&format!(
        "Plan: family {} containers {}",
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

async fn apply<W: Write>(
    clients: &Clients,
    req: &DeployRequest,
    plan: &Plan,
    before: &ServiceState,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<()> {
    console.group("Deploy");
    let task_definition = if plan.changed {
        let arn = aws::ecs::register_task_definition(&clients.ecs, &plan.rendered).await?;
        console.line(&format!("Registered {}", short_task_definition(&arn)));
        arn
    } else {
        plan.live_task_definition_arn.clone()
    };
    report.task_definition_arn = Some(task_definition.clone());
    let update = ServiceUpdate {
        task_definition: plan.starts_deployment().then(|| task_definition.clone()),
        desired_count: plan.desired_count,
        force_new_deployment: plan.force_new_deployment,
        settings: plan.settings.clone(),
    };
    let updated =
        aws::ecs::update_service(&clients.ecs, &plan.cluster, &plan.service, &update).await?;
    console.line(&format!(
        "Updated service {}{}",
        plan.service,
        plan.desired_count
            .map_or(String::new(), |n| format!(" (desired count {n})"))
    ));
    if !plan.starts_deployment() {
        report.succeed(Status::Unchanged);
        return Ok(());
    }
    let Some(target) = watch::started_deployment(before, &updated, &task_definition) else {
        anyhow::bail!(
            "the service update started no new deployment of {}",
            short_task_definition(&task_definition)
        );
    };
    report.rollout = Some(rollout(&updated, &target));
    if !req.target.wait {
        console.line(&format!(
            "Started deployment {} (not waiting: `wait` is false)",
            target.deployment_id
        ));
        report.succeed(Status::Started);
        return Ok(());
    }
    let limits = Limits {
        timeout: req.target.timeout,
        max_task_failures: req.target.max_task_failures,
    };
    console.group(&format!(
        "Wait for deployment {} (timeout {})",
        target.deployment_id,
        watch::human_duration(limits.timeout)
    ));
    let watched = [Watched {
        cluster: plan.cluster.clone(),
        initial: updated.clone(),
        target: target.clone(),
    }];
    let outcome = watch::watch(&mut Ecs(&clients.ecs), &watched, limits, console)
        .await?
        .pop()
        .expect("one outcome per watched service");
    report.rollout = Some(rollout(&outcome.last_state, &target));
    let reason = match &outcome.verdict {
        Verdict::Completed => {
            console.line(&format!(
                "Deployment {} completed: {} is running {}",
                target.deployment_id,
                plan.service,
                short_task_definition(&task_definition)
            ));
            report.succeed(Status::Deployed);
            return Ok(());
        }
        Verdict::Failed { reason } => reason.clone(),
    };
    report.failed_tasks.clone_from(&outcome.failures);
    report.events = outcome.last_state.events.iter().take(10).cloned().collect();
    let (targets, warnings) =
        diagnose::target_health(clients, &outcome.last_state, &outcome.failures).await;
    report.target_health = targets;
    report.warnings.extend(warnings);
    let hint = "see the stopped tasks and service events in the step summary".to_string();
    report.fail("Rollout failed", reason, Some(hint), Exit::DeployFailed);
    if req.rollback {
        rollback::after_failure(
            clients,
            &plan.cluster,
            before,
            &target,
            &outcome,
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
