//! The pre-deploy task as a step of a deploy: planned with the services (which revision runs,
//! where, which container to watch), then registered and run before any service is updated.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;

use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::service::{AwsVpc, Placement, ServiceState};
use crate::domain::taskdef;
use crate::error::UserError;
use crate::gather::Gathered;
use crate::plan::{self, Plan, PlanInput, ResolvedTarget};
use crate::request::{DeployRequest, PreDeployTask};

/// The pre-deploy task, planned: which revision runs, where, and which container to watch.
pub struct PreDeployPlan {
    /// The rendered revision (the first service's when the task names no family of its own).
    pub rendered: serde_json::Value,
    /// Whether `rendered` differs from `live_arn` (needs registering).
    pub changed: bool,
    pub live_arn: String,
    pub container: String,
    pub placement: crate::domain::service::Placement,
    pub timeout: Duration,
    pub diff: crate::domain::taskdef::diff::TaskDefDiff,
    /// The service whose new revision runs, when the task names no family of its own.
    pub service_revision: Option<String>,
    /// After a failure, this many last lines of its log are shown (`task-log-lines`).
    pub log_lines: u16,
    /// What the log calls it: `Task` (`run-task`) or `Pre-deploy task`.
    pub label: &'static str,
}

pub fn plan(
    req: &DeployRequest,
    task: &PreDeployTask,
    gathered: &Gathered,
    region: &str,
    plans: &[Plan],
) -> anyhow::Result<PreDeployPlan> {
    let first = &plans[0];
    let (revision, live_arn) = match &gathered.pre_deploy_live {
        Some(live) => own_family(req, task, gathered, region, first, live)?,
        None => (first.revision(), first.live_task_definition_arn.clone()),
    };
    let plan::Revision {
        rendered,
        changed,
        containers,
        diff,
        ..
    } = revision;
    let body = taskdef::registrable(&rendered);
    let names = taskdef::container_names(&body);
    let container = match &task.container {
        Some(name) if names.contains(name) => name.clone(),
        Some(name) => {
            return Err(UserError::new(format!(
                "input `one-off-task`: the task definition has no container `{name}`"
            ))
            .hint(format!("its containers: {}", names.join(", ")))
            .into());
        }
        None => containers
            .first()
            .cloned()
            .context("the pre-deploy task has no container to run")?,
    };
    let placement = placement(task, &gathered.services[0]);
    let needs_network = body["networkMode"] == "awsvpc";
    if needs_network && placement.network.is_none() {
        return Err(UserError::new(format!(
            "the pre-deploy task uses `awsvpc` networking, but service `{}` has no network configuration to copy",
            first.service
        ))
        .hint("give `subnets` and `security-groups` in `one-off-task`")
        .into());
    }
    Ok(PreDeployPlan {
        label: if req.run_task {
            "Task"
        } else {
            "Pre-deploy task"
        },
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
        log_lines: req.target.task_logs_lines,
    })
}

/// The task's own family rendered: it gets the deploy's image, env and secrets; its roles and
/// log settings stay its own. With the live revision's ARN.
fn own_family(
    req: &DeployRequest,
    task: &PreDeployTask,
    gathered: &Gathered,
    region: &str,
    first: &Plan,
    live: &serde_json::Value,
) -> anyhow::Result<(plan::Revision, String)> {
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
            // Its own family's containers are its own: `container-images` is for the services' revision.
            other_images: &[],
            existing: None,
        },
        live,
        &live_arn,
    )?;
    Ok((revision, live_arn))
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

pub fn log<W: Write>(console: &Console<W>, pre: &PreDeployPlan, verify: bool) {
    let family = pre.rendered["family"].as_str().unwrap_or_default();
    console.group(&format!(
        "{}: family {family}, container {}{}",
        pre.label,
        pre.container,
        if verify { " (verify: not run)" } else { "" }
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

/// The placement: the service's, with given subnets, security groups and public IP replacing its.
pub fn placement(task: &PreDeployTask, service: &ServiceState) -> Placement {
    let mut placement = service.placement.clone();
    if task.subnets.is_some() || task.security_groups.is_some() || task.assign_public_ip.is_some() {
        let base = placement.network.take().unwrap_or_default();
        placement.network = Some(AwsVpc {
            subnets: task.subnets.clone().unwrap_or(base.subnets),
            security_groups: task.security_groups.clone().unwrap_or(base.security_groups),
            assign_public_ip: task.assign_public_ip.unwrap_or(base.assign_public_ip),
        });
    }
    placement
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_network_settings_replace_the_services() {
        let service = ServiceState {
            placement: Placement {
                launch_type: Some("FARGATE".into()),
                network: Some(AwsVpc {
                    subnets: vec!["subnet-a".into()],
                    security_groups: vec!["sg-a".into()],
                    assign_public_ip: false,
                }),
                ..Placement::default()
            },
            ..ServiceState::default()
        };
        let same = placement(&PreDeployTask::default(), &service);
        assert_eq!(same, service.placement);
        let task = PreDeployTask {
            security_groups: Some(vec!["sg-migrate".into()]),
            ..PreDeployTask::default()
        };
        let changed = placement(&task, &service);
        assert_eq!(
            changed.network,
            Some(AwsVpc {
                subnets: vec!["subnet-a".into()],
                security_groups: vec!["sg-migrate".into()],
                assign_public_ip: false
            })
        );
        assert_eq!(changed.launch_type.as_deref(), Some("FARGATE"));
    }
}
