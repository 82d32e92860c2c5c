//! Deciding what a deploy will do, from the request and the gathered state. Pure: no I/O.
//!
//! [`plan`] renders the task definition, compares it with the live one and returns a [`Plan`]:
//! the value `verify` prints and [`crate::command::deploy`] applies; [`predeploy`] plans the one-off
//! task run before the services.

pub mod predeploy;

use serde::Serialize;
use serde_json::Value;

use crate::domain::deployment_settings::{DeploymentSettings, strategy_input};
use crate::domain::run_options::WaitUntil;
use crate::domain::service::ServiceState;
use crate::domain::states::DeploymentStrategy;
use crate::domain::taskdef::diff::{TaskDefDiff, diff};
use crate::domain::taskdef::{self, AwsLogs, Changes};
use crate::error::UserError;
use crate::gather::resolve::{Resolved, ResolvedImage, ResolvedTarget};
use crate::input::maps::merged;
use crate::request::{DeployRequest, EnvironmentMode};

/// What a deploy will do. Printed by `verify`, applied by [`crate::command::deploy`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub containers: Vec<String>,
    pub image: ResolvedImage,
    pub image_reference: String,
    pub live_task_definition_arn: String,
    pub rendered: Value,
    pub diff: TaskDefDiff,
    /// Whether a new revision is needed.
    pub changed: bool,
    pub desired_count: Option<i32>,
    pub current_desired_count: i32,
    pub force_new_deployment: bool,
    /// The full rollout settings to set, when they differ from the service's.
    pub settings: Option<DeploymentSettings>,
    /// What those settings change, one line each (`strategy: ROLLING → BLUE_GREEN`).
    pub settings_changes: Vec<String>,
    /// `revision`: the existing revision deployed as it is (nothing registered).
    pub existing: Option<String>,
    /// The service's lifecycle hooks (infrastructure: shown, never changed).
    pub lifecycle_hooks: Vec<String>,
}

impl Plan {
    /// The plan's revision (what the pre-deploy task runs when it names no family of its own).
    pub fn revision(&self) -> Revision {
        Revision {
            family: self.family.clone(),
            containers: self.containers.clone(),
            image_reference: self.image_reference.clone(),
            rendered: self.rendered.clone(),
            diff: self.diff.clone(),
            changed: self.changed,
        }
    }

    /// Whether the service needs an `UpdateService` call at all.
    pub fn updates_service(&self) -> bool {
        self.changed
            || self.force_new_deployment
            || self.settings.is_some()
            || self
                .desired_count
                .is_some_and(|n| n != self.current_desired_count)
    }

    /// Whether the update starts a new deployment (a new task definition or a forced one).
    pub fn starts_deployment(&self) -> bool {
        self.changed || self.force_new_deployment
    }
}

/// Everything [`plan`] reads besides the request.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub resolved: &'a Resolved,
    /// Which of the resolved services this plan is for.
    pub target: &'a ResolvedTarget,
    pub region: &'a str,
    /// The service's live task definition, as `DescribeTaskDefinition` returned it.
    pub live: &'a Value,
    /// The service as `DescribeServices` showed it.
    pub service: &'a ServiceState,
    pub image: &'a ResolvedImage,
    /// `container-images`: other containers' images, resolved.
    pub other_images: &'a [(String, ResolvedImage)],
    /// `revision`: the revision to deploy as it is, as described.
    pub existing: Option<&'a Value>,
}

/// Tag keys ecs-ship writes on the revisions it registers (see `revision-tags`).
pub const PREVIOUS_TAG: &str = "ecs-ship:previous-task-definition";
pub const IMAGE_TAG_TAG: &str = "ecs-ship:image-tag";

/// A rendered revision of one family, compared with the live one.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub family: String,
    pub containers: Vec<String>,
    pub image_reference: String,
    pub rendered: Value,
    pub diff: TaskDefDiff,
    /// Whether it differs from the live one (a new revision is needed).
    pub changed: bool,
}

/// Renders `base` (a template or the live task definition) with the deploy's changes for
/// `target`'s containers and compares the result with `live`. `previous` is the revision the new
/// one replaces, for the `revision-tags` tag.
pub fn revision(
    req: &DeployRequest,
    input: &PlanInput<'_>,
    base: &Value,
    previous: &str,
) -> Result<Revision, UserError> {
    let names = taskdef::container_names(&taskdef::registrable(base));
    let containers = select_containers(&input.target.containers, base, &input.image.repository)?;
    if let Some((container, _)) = input
        .other_images
        .iter()
        .find(|(c, _)| containers.contains(c))
    {
        return Err(UserError::new(format!(
            "input `container-images` names container `{container}`, which gets the deploy's image"
        ))
        .hint("`container-images` is for the other containers; the deploy's own image comes from `image-tag` or `image`"));
    }
    let image_reference = input.image.reference(req.pin_image_digest);
    let changes = Changes {
        family: input.target.family.clone(),
        containers: containers.clone(),
        image: image_reference.clone(),
        environment: merged(
            &req.environment_variables,
            &input.target.environment_variables,
        ),
        secrets: merged(&req.secrets, &input.target.secrets),
        replace_environment: req.environment_mode == EnvironmentMode::Replace,
        remove_environment: req.remove_environment_variables.clone(),
        remove_secrets: req.remove_secrets.clone(),
        docker_labels: req.docker_labels.clone(),
        images: input
            .other_images
            .iter()
            .map(|(container, image)| (container.clone(), image.reference(req.pin_image_digest)))
            .collect(),
        command: req.container_command.clone(),
        environment_files: req.environment_files.clone(),
        cpu: req.cpu,
        memory: req.memory,
        logs: req.logging.as_ref().map(|l| AwsLogs {
            group: l.group.clone(),
            region: l.region.clone().unwrap_or_else(|| input.region.to_string()),
            stream_prefix: l.stream_prefix.clone(),
        }),
        execution_role_arn: input.resolved.execution_role_arn.clone(),
        task_role_arn: input.resolved.task_role_arn.clone(),
    };
    let mut rendered = taskdef::render(base, &changes)
        .map_err(|why| UserError::new(why).hint(taskdef::containers_hint(&names)))?;
    fargate_size(req, &rendered)?;
    let family = rendered["family"].as_str().unwrap_or_default().to_string();
    if family.is_empty() {
        return Err(UserError::new("the task definition has no `family`")
            .hint("set input `family`, or the template's `family`"));
    }
    if req.tag_revisions {
        taskdef::set_tag(&mut rendered, PREVIOUS_TAG, previous);
        if let Some(tag) = &input.image.tag {
            taskdef::set_tag(&mut rendered, IMAGE_TAG_TAG, tag);
        }
    }
    let live_normal = taskdef::normalized(input.live);
    let new_normal = taskdef::normalized(&rendered);
    Ok(Revision {
        family,
        containers,
        image_reference,
        diff: diff(&live_normal, &new_normal),
        changed: live_normal != new_normal,
        rendered,
    })
}

/// Renders the new task definition and compares it with the live one.
pub fn plan(req: &DeployRequest, input: &PlanInput<'_>) -> Result<Plan, UserError> {
    let base = req.template.as_ref().map_or(input.live, |t| &t.document);
    let (revision, existing) = match input.existing {
        Some(described) => {
            let (revision, arn) = as_it_is(req, input, described)?;
            (revision, Some(arn))
        }
        None => (
            revision(req, input, base, &input.service.task_definition)?,
            None,
        ),
    };
    let settings = rollout_settings(req, input.service)?;
    Ok(Plan {
        cluster: input.resolved.cluster.clone(),
        service: input.target.service.clone(),
        family: revision.family,
        containers: revision.containers,
        image: input.image.clone(),
        image_reference: revision.image_reference,
        live_task_definition_arn: input.service.task_definition.clone(),
        diff: revision.diff,
        changed: revision.changed,
        rendered: revision.rendered,
        desired_count: req.desired_count,
        current_desired_count: input.service.desired,
        force_new_deployment: req.force_new_deployment,
        settings_changes: settings
            .as_ref()
            .map(|to| input.service.settings.changes(to))
            .unwrap_or_default(),
        settings,
        lifecycle_hooks: input.service.settings.lifecycle_hooks.clone(),
        existing,
    })
}

/// `revision`: the revision as it is, compared with the live one; of the service's
/// family unless `allow-family-change`. With it, its ARN.
fn as_it_is(
    req: &DeployRequest,
    input: &PlanInput<'_>,
    described: &Value,
) -> Result<(Revision, String), UserError> {
    let arn = described["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (family, live_family) = (
        crate::domain::arn::family_of(&arn),
        crate::domain::arn::family_of(&input.service.task_definition),
    );
    if family != live_family && !req.allow_family_change {
        return Err(UserError::new(format!(
            "`revision` is of family `{family}`, but service `{}` runs family `{live_family}`",
            input.service.name
        ))
        .hint("deploy a revision of the service's family; set `allow-family-change: true` if another family is really meant"));
    }
    let rendered = taskdef::registrable(described);
    let live_normal = taskdef::normalized(input.live);
    let new_normal = taskdef::normalized(&rendered);
    let revision = Revision {
        family: family.to_string(),
        containers: taskdef::container_names(&rendered),
        image_reference: input.image.reference(false),
        diff: diff(&live_normal, &new_normal),
        changed: arn != input.service.task_definition,
        rendered,
    };
    Ok((revision, arn))
}

/// With `task-settings` `cpu` or `memory` given, a task that requires Fargate must come out a Fargate size (the
/// other value is the task definition's own).
fn fargate_size(req: &DeployRequest, rendered: &Value) -> Result<(), UserError> {
    if req.cpu.is_none() && req.memory.is_none() || !taskdef::requires_fargate(rendered) {
        return Ok(());
    }
    let size = |field: &str| {
        rendered[field]
            .as_str()
            .and_then(|v| v.trim().parse::<u32>().ok())
    };
    let (Some(cpu), Some(memory)) = (size("cpu"), size("memory")) else {
        return Err(UserError::new(
            "inputs `task-settings.cpu` and `task-settings.memory`: a Fargate task needs both, and the task definition lacks one",
        )
        .hint("give both `task-settings.cpu` and `task-settings.memory`"));
    };
    taskdef::fargate_size(cpu, memory).map_err(|why| {
        UserError::new(format!(
            "inputs `task-settings.cpu` and `task-settings.memory`: CPU {cpu} with memory {memory} is not a Fargate size"
        ))
        .hint(why)
    })
}

/// The merged rollout settings to send, when the request changes any; a grace period needs a
/// load balancer.
fn rollout_settings(
    req: &DeployRequest,
    service: &ServiceState,
) -> Result<Option<DeploymentSettings>, UserError> {
    if req.settings.health_check_grace_period.is_some() && !service.load_balanced {
        return Err(UserError::new(format!(
            "input `service-settings.health-check-grace-period` needs a load balancer, and service `{}` has none",
            service.name
        ))
        .hint("remove `service-settings.health-check-grace-period`; ECS only uses it for load-balanced services"));
    }
    let merged = service.settings.merged(&req.settings);
    if let Some(strategy) = req.settings.strategy.as_ref().filter(|s| {
        matches!(
            s,
            DeploymentStrategy::BlueGreen | DeploymentStrategy::Linear | DeploymentStrategy::Canary
        )
    }) && let Some(target_group) = service.without_advanced.first()
    {
        // ECS refuses the update; found here, nothing is registered first.
        return Err(UserError::new(format!(
            "input `deployment.strategy` is `{}`, and service `{}`'s load balancer (target group `{}`) has no advanced configuration",
            strategy_input(strategy),
            service.name,
            crate::domain::arn::target_group_name(target_group)
        ))
        .hint("blue/green, linear and canary shift traffic through the load balancer's advanced configuration (an alternate target group, the listener rules and a role): add it to the service in your infrastructure, or keep `rolling`"));
    }
    if req.target.wait_until == WaitUntil::Paused && !merged.has_pause_hook() {
        return Err(UserError::new(format!(
            "input `wait` is `paused`, and service `{}` has no PAUSE lifecycle hook to pause at",
            service.name
        ))
        .hint("add a PAUSE hook to the service's deployment configuration (infrastructure), or wait until `deployed`"));
    }
    for (inputs, step, wanted) in [
        (
            "`deployment.canary-percent` and `deployment.canary-bake-minutes`",
            req.settings.canary,
            DeploymentStrategy::Canary,
        ),
        (
            "`deployment.linear-step-percent` and `deployment.linear-step-bake-minutes`",
            req.settings.linear,
            DeploymentStrategy::Linear,
        ),
    ] {
        if step.is_set() && merged.strategy.as_ref() != Some(&wanted) {
            return Err(UserError::new(format!(
                "inputs {inputs} are for the `{}` strategy, and service `{}` uses {}",
                strategy_input(&wanted),
                service.name,
                merged.strategy.as_ref().map_or(
                    "the default (`rolling`)".to_string(),
                    |s| format!("`{}`", strategy_input(s))
                )
            ))
            .hint(format!(
                "set `deployment.strategy: {}` too, or remove them",
                strategy_input(&wanted)
            )));
        }
    }
    Ok((!req.settings.is_empty() && merged != service.settings).then_some(merged))
}

/// The containers to update: the named ones (which must exist), else those running an image from
/// the target repository.
fn select_containers(
    requested: &[String],
    base: &Value,
    repository: &str,
) -> Result<Vec<String>, UserError> {
    let names = taskdef::container_names(&taskdef::registrable(base));
    if !requested.is_empty() {
        if let Some(missing) = requested.iter().find(|n| !names.contains(n)) {
            return Err(UserError::new(format!(
                "the task definition has no container `{missing}`"
            ))
            .hint(taskdef::containers_hint(&names)));
        }
        return Ok(requested.to_vec());
    }
    let body = taskdef::registrable(base);
    let matching: Vec<String> = names
        .iter()
        .filter(|n| {
            taskdef::container_image(&body, n)
                .is_some_and(|image| crate::domain::image::repository_of(image) == repository)
        })
        .cloned()
        .collect();
    if matching.is_empty() {
        let images: Vec<String> = names
            .iter()
            .map(|n| {
                format!(
                    "`{n}` (`{}`)",
                    taskdef::container_image(&body, n)
                        .map_or("", crate::domain::image::repository_of)
                )
            })
            .collect();
        return Err(UserError::new(format!(
            "no container runs an image from `{repository}`: {}",
            images.join(", ")
        ))
        .hint("set input `container` to the container(s) to update"));
    }
    Ok(matching)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
