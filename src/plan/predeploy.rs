//! The pre-deploy task as a step of a deploy: planned with the services (which revision runs,
//! where, which container to watch), then registered and run before any service is updated.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;

use crate::apply::predeploy::PreDeployResult;
use crate::apply::register::Registrar;
use crate::cloud::Cloud;
use crate::console::Console;
use crate::domain::ecs::short_task_definition;
use crate::domain::taskdef;
use crate::error::{Exit, UserError};
use crate::gather::Gathered;
use crate::plan::{self, Plan, PlanInput, ResolvedTarget};
use crate::report::{Report, Status};
use crate::request::{DeployRequest, PreDeployTask};

/// The pre-deploy task, planned: which revision runs, where, and which container to watch.
pub struct PreDeployPlan {
    /// The rendered revision (the first service's when the task names no family of its own).
    rendered: serde_json::Value,
    /// Whether `rendered` differs from `live_arn` (needs registering).
    changed: bool,
    live_arn: String,
    container: String,
    placement: crate::domain::ecs::Placement,
    timeout: Duration,
    diff: crate::domain::taskdef::diff::TaskDefDiff,
    /// The service whose new revision runs, when the task names no family of its own.
    service_revision: Option<String>,
}

pub fn plan(
    req: &DeployRequest,
    task: &PreDeployTask,
    gathered: &Gathered,
    region: &str,
    plans: &[Plan],
) -> anyhow::Result<PreDeployPlan> {
    let first = &plans[0];
    let (rendered, changed, live_arn, containers, diff) = match &gathered.pre_deploy_live {
        Some(live) => {
            // Its own family gets the deploy's image, env and secrets; its roles and log
            // settings stay its own.
            let req = DeployRequest {
                logging: None,
                ..req.clone()
            };
            let resolved = plan::Resolved {
                execution_role_arn: None,
                task_role_arn: None,
                ..gathered.resolved.clone()
            };
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
                &req,
                &PlanInput {
                    resolved: &resolved,
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
    let body = taskdef::registrable(&rendered);
    let names = taskdef::container_names(&body);
    let container = match &task.container {
        Some(name) if names.contains(name) => name.clone(),
        Some(name) => {
            return Err(UserError::new(format!(
                "input `pre-deploy-task`: the task definition has no container `{name}`"
            ))
            .hint(format!("its containers: {}", names.join(", ")))
            .into());
        }
        None => containers
            .first()
            .cloned()
            .context("the pre-deploy task has no container to run")?,
    };
    let placement = crate::apply::predeploy::placement(task, &gathered.services[0]);
    let needs_network = body["networkMode"] == "awsvpc";
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

impl PreDeployPlan {
    /// What will run, one line: the family (or the service whose revision it is) and container.
    pub fn describe(&self) -> String {
        let family = self.rendered["family"].as_str().unwrap_or_default();
        match &self.service_revision {
            Some(service) => format!(
                "the new revision of `{service}` (family `{family}`), container `{}`",
                self.container
            ),
            None => format!("family `{family}`, container `{}`", self.container),
        }
    }
}

pub fn log<W: Write>(console: &mut Console<W>, pre: &PreDeployPlan, dry_run: bool) {
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
pub async fn run<C: Cloud, W: Write>(
    cloud: &C,
    registrar: &mut Registrar,
    task: &PreDeployTask,
    pre: &PreDeployPlan,
    console: &mut Console<W>,
    report: &mut Report,
) -> anyhow::Result<bool> {
    console.group("Pre-deploy task");
    let arn = if pre.changed {
        registrar.register(cloud, &pre.rendered, console).await?
    } else {
        pre.live_arn.clone()
    };
    report.pre_deploy = Some(PreDeployResult {
        task_definition_arn: arn.clone(),
        container: pre.container.clone(),
        task_arn: None,
        last_status: None,
        exit_code: None,
        task: None,
        log: None,
        succeeded: false,
        failure: None,
        duration: Duration::ZERO,
    });
    let result = report.pre_deploy.as_mut().expect("just set");
    let region = cloud.region().to_string();
    let cluster = report.cluster.clone().unwrap_or_default();
    crate::apply::predeploy::run(
        cloud,
        task,
        &crate::apply::predeploy::Prepared {
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
    // The log stream is in the message itself (and so in `failure-reason`), not only the hint.
    let (output, hint) = match &result.log {
        Some(log) => (
            format!(
                "; its output is in CloudWatch Logs group `{}`{} ({})",
                log.group,
                log.stream
                    .as_ref()
                    .map_or(String::new(), |s| format!(", stream `{s}`")),
                log.region
            ),
            "read the task's output in CloudWatch Logs (linked in the step summary); the services still run their previous revisions".to_string(),
        ),
        None => (
            String::new(),
            "the task definition has no awslogs configuration for this container; look at the task in the ECS console".into(),
        ),
    };
    console.line(&format!("Pre-deploy task failed: {why}"));
    report.fail(
        "Pre-deploy task failed",
        format!("{why}; no service was updated{output}"),
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
