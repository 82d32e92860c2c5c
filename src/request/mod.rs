//! Turning raw inputs into requests that cannot be invalid.
//!
//! Everything a user can get wrong is checked here, before any AWS client exists: the production
//! gate (first of all), every name, number and boolean, the env/secret maps and the template
//! file. Each error names the input and the value (never the value of an env var or secret) and
//! carries a hint.

mod deploy;
pub mod gate;
mod parse;
pub(crate) mod predeploy;
mod problems;
pub(crate) mod services;
mod target;

pub use crate::cloud::HookAction;
pub use crate::domain::arn::ServiceDeploymentArn;
use crate::domain::deployment_settings::DeploymentSettings;
use crate::domain::image::{ImageRef, RepositoryRef};
use crate::domain::names::is_ecs_name;
use crate::domain::run_options::OnCancel;
use crate::error::UserError;
pub use crate::input::NamedValues;
use crate::input::args::RollbackArgs;
use crate::input::services::ServiceSpec;
use crate::input::template::Template;
use crate::input::{DeployInputs, Inputs};
use parse::{given, invalid, parse_bool};
pub use predeploy::PreDeployTask;
pub use target::Target;

/// A validated command.
#[derive(Debug, Clone)]
pub enum Request {
    Deploy(Box<DeployRequest>),
    Rollback(Box<RollbackRequest>),
    /// Act on a service deployment: continue it at its PAUSE hook, or roll it back.
    Resume(Box<ResumeRequest>),
}

impl Request {
    /// The AWS Region asked for (none: the SDK's own chain decides).
    pub fn region(&self) -> Option<&str> {
        match self {
            Request::Deploy(r) => r.target.region.as_deref(),
            Request::Rollback(r) => r.target.region.as_deref(),
            Request::Resume(r) => r.target.region.as_deref(),
        }
    }
}

/// `err`, naming where the setting came from instead of "input `x`" when it was not an action
/// input: "input `deployment.bake-time-minutes` is invalid" becomes
/// "`environments.dev.deployment.bake-time-minutes` in config file `.github/ecs-ship.yml` is
/// invalid", or "`deployment.bake-time-minutes` in `--deployment` is invalid" on the command line.
pub fn name_origin(mut err: UserError, origins: &[(String, String)]) -> UserError {
    for (key, label) in origins {
        let input = format!("input `{key}`");
        if *label == input {
            continue;
        }
        for quoted in [input, format!("`{key}`")] {
            if err.message.contains(&quoted) {
                err.message = err.message.replacen(&quoted, label, 1);
                return err;
            }
        }
    }
    err
}

/// Checks a command's inputs. Every problem found is returned at once (names given in the wrong
/// place first), each naming the input and where it was given; a refusal by the production gate
/// comes before anything else is looked at.
pub fn validate(inputs: &Inputs) -> Result<Request, UserError> {
    let target = match inputs {
        Inputs::Deploy(inputs) => &inputs.args.target,
        Inputs::Rollback(args) => &args.target,
        Inputs::Continue(args) => &args.target,
    };
    let mut problems = target.problems.clone();
    match checked(inputs) {
        Ok(request) if problems.is_empty() => return Ok(request),
        Ok(_) => {}
        Err(err) => problems.extend(err.each()),
    }
    Err(UserError::many(
        problems
            .into_iter()
            .map(|err| name_origin(err, &target.origins))
            .collect(),
    ))
}

fn checked(inputs: &Inputs) -> Result<Request, UserError> {
    Ok(match inputs {
        Inputs::Deploy(inputs) => Request::Deploy(Box::new(deploy(inputs)?)),
        Inputs::Rollback(args) if given(args.service_deployment_arn.as_ref()).is_some() => {
            if given(args.to.as_ref()).is_some() {
                return Err(UserError::new(
                    "inputs `revision` and `service-deployment-arn` are both set",
                )
                .hint("give `revision` to put the service on a revision, or `service-deployment-arn` to roll back that deployment"));
            }
            Request::Resume(Box::new(resume(
                &args.target,
                args.service_deployment_arn.as_ref(),
                args.hook_id.as_ref(),
                HookAction::Rollback,
            )?))
        }
        Inputs::Rollback(args) => Request::Rollback(Box::new(rollback(args)?)),
        Inputs::Continue(args) => Request::Resume(Box::new(resume(
            &args.target,
            args.service_deployment_arn.as_ref(),
            args.hook_id.as_ref(),
            HookAction::Continue,
        )?)),
    })
}

/// A service deployment to act on, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeRequest {
    /// The service deployment's cluster and service, region from its ARN (the gate passed).
    pub target: Target,
    pub deployment: ServiceDeploymentArn,
    /// The hook expected to be awaiting action.
    pub hook_id: Option<String>,
    pub action: HookAction,
}

/// Checks `continue` (or `rollback` with `service-deployment-arn`): the gate first, then the ARN,
/// which must agree with `cluster`, `service` and `region` when they are given; the gate is
/// checked again with the ARN's cluster and service.
pub fn resume(
    args: &crate::input::args::TargetArgs,
    arn: Option<&String>,
    hook_id: Option<&String>,
    action: HookAction,
) -> Result<ResumeRequest, UserError> {
    let mut target = args.validate()?;
    let value = given(arn).ok_or_else(|| {
        UserError::new("input `service-deployment-arn` is required")
            .hint("pass the `service-deployment-arn` output of the deploy that paused")
    })?;
    let deployment = ServiceDeploymentArn::parse(value).ok_or_else(|| {
        invalid(
            "service-deployment-arn",
            value,
            "expected `arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>`",
        )
    })?;
    for (input, given_name, from_arn) in [
        ("cluster", target.cluster.as_deref(), &deployment.cluster),
        ("service", target.service.as_deref(), &deployment.service),
        ("region", target.region.as_deref(), &deployment.region),
    ] {
        if given_name.is_some_and(|g| crate::domain::arn::name_of(g) != from_arn) {
            return Err(UserError::new(format!(
                "input `{input}` names another {} than `service-deployment-arn`",
                input.trim_start_matches("aws-")
            ))
            .hint(format!(
                "remove `{input}`; the service deployment's ARN says where it is"
            )));
        }
    }
    target.cluster = Some(deployment.cluster.clone());
    target.service = Some(deployment.service.clone());
    target.region = Some(deployment.region.clone());
    target.production |= target.gate.check(&gate::Destination {
        ssm_prefix: None,
        cluster: Some(&deployment.cluster),
        cluster_tags: &[],
        services: vec![(deployment.service.as_str(), &[][..])],
        ssm_clusters: None,
    })?;
    let hook_id = given(hook_id)
        .map(|id| {
            if is_ecs_name(id) {
                Ok(id.to_string())
            } else {
                Err(invalid(
                    "hook-id",
                    id,
                    "expected the `hook-id` output of the deploy that paused",
                ))
            }
        })
        .transpose()?;
    Ok(ResumeRequest {
        target,
        deployment,
        hook_id,
        action,
    })
}

/// Checks a deploy's inputs.
pub fn deploy(inputs: &DeployInputs) -> Result<DeployRequest, UserError> {
    deploy::validate(inputs)
}

/// Checks a rollback's inputs.
pub fn rollback(args: &RollbackArgs) -> Result<RollbackRequest, UserError> {
    let target = args.target.validate()?;
    if given(args.hook_id.as_ref()).is_some() {
        return Err(
            UserError::new("input `hook-id` needs `service-deployment-arn`")
                .hint("`hook-id` names the PAUSE hook of the service deployment to roll back"),
        );
    }
    let to = given(args.to.as_ref())
        .map(|to| {
            if crate::domain::arn::is_task_definition_ref(to) {
                Ok(to.to_string())
            } else {
                Err(invalid(
                    "revision",
                    to,
                    "expected a task definition ARN or `family:revision`",
                ))
            }
        })
        .transpose()?;
    Ok(RollbackRequest {
        target,
        to,
        allow_family_change: parse_bool("allow-family-change", &args.allow_family_change)?,
    })
}

/// How `environment-variables` meet the containers' environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EnvironmentMode {
    /// Set the given variables, keep the others.
    #[default]
    Merge,
    /// The containers end with exactly the given variables.
    Replace,
}

/// What to deploy: a tag in the target repository, a full reference, or an existing revision
/// as it is (`revision`: its own images).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSpec {
    Tag(String),
    Reference(ImageRef),
    /// A task definition ARN or `family:revision`, deployed without render or registration.
    Revision(String),
}

impl ImageSpec {
    /// The tag asked for (none for a full reference without one).
    pub fn tag(&self) -> Option<String> {
        match self {
            Self::Tag(tag) => Some(tag.clone()),
            Self::Reference(r) => r.tag.clone(),
            Self::Revision(_) => None,
        }
    }
}

/// Log settings asked for; the region falls back to the deploy's region when rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub group: String,
    pub region: Option<String>,
    pub stream_prefix: Option<String>,
}

/// A validated deploy request. Nothing after this sees raw input strings.
/// (The flags mirror the action's boolean inputs one to one, hence the allow.)
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq)]
pub struct DeployRequest {
    pub target: Target,
    /// From the `services` input; empty means the one service of `service` (or SSM).
    pub services: Vec<ServiceSpec>,
    /// Run to the end, successfully, before any service is updated.
    pub pre_deploy: Option<PreDeployTask>,
    pub image: ImageSpec,
    pub repository: Option<RepositoryRef>,
    pub containers: Vec<String>,
    pub family: Option<String>,
    pub template: Option<Template>,
    pub environment_variables: NamedValues,
    pub secrets: NamedValues,
    /// Merge the variables into the containers' environment, or replace it with them.
    pub environment_mode: EnvironmentMode,
    /// Names taken out of the containers' environment and secrets.
    pub remove_environment_variables: Vec<String>,
    pub remove_secrets: Vec<String>,
    /// Docker labels merged into the target containers.
    pub docker_labels: NamedValues,
    /// Other containers' images: container name and image.
    pub images: Vec<(String, ImageSpec)>,
    /// The command the target containers run, when given.
    pub container_command: Option<Vec<String>>,
    /// S3 object ARNs of environment files for the target containers.
    pub environment_files: Vec<String>,
    /// With `revision`: a revision of another family than the service runs may be
    /// deployed.
    pub allow_family_change: bool,
    /// Task-level CPU units and memory (MiB), when given.
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub logging: Option<LogSettings>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub desired_count: Option<i32>,
    pub force_new_deployment: bool,
    /// `verify`: gather, plan and run the preflight; change nothing.
    pub verify_only: bool,
    /// `run-task`: the one-off task runs alone; no service is registered for or updated.
    pub run_task: bool,
    /// Check what the new task definitions need before any write.
    pub preflight: bool,
    pub pin_image_digest: bool,
    pub rollback: bool,
    /// What a cancelled run does to the rollouts in flight.
    pub on_cancel: OnCancel,
    /// Rollout settings to set; empty leaves the service's as they are.
    pub settings: DeploymentSettings,
    pub tag_revisions: bool,
    pub record_deployment: bool,
    /// Deployed instead when the repository is empty.
    pub fallback_image: Option<ImageRef>,
    /// Revisions to keep per family; `None` keeps all.
    pub keep_revisions: Option<usize>,
    /// `schedules`: the scheduled jobs that follow a verified deploy.
    pub schedules: Option<crate::domain::run_options::SchedulesToMove>,
    /// With `{environment}` replaced.
    pub promote_tag: Option<String>,
    /// GitHub Deployments, when asked for.
    pub github: Option<GitHubRequest>,
}

/// A secret that never prints (`Debug` shows `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// GitHub Deployments settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubRequest {
    pub token: Secret,
    /// Post statuses to this deployment instead of creating one.
    pub deployment_id: Option<u64>,
    pub environment_url: Option<String>,
}

/// A validated rollback request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackRequest {
    pub target: Target,
    /// The task definition to go back to (ARN or `family:revision`); `None`: the recorded one.
    pub to: Option<String>,
    /// Whether `revision` may be of another family than the service runs.
    pub allow_family_change: bool,
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
