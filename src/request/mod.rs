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
pub(crate) mod services;
mod target;

use crate::domain::ecs::DeploymentSettings;
use crate::domain::image::{ImageRef, RepositoryRef};
use crate::error::UserError;
pub use crate::input::NamedValues;
use crate::input::cli::RollbackArgs;
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
}

/// Checks a command's inputs. The first problem found is returned, naming the input; the
/// production gate is the first check of all.
pub fn validate(inputs: &Inputs) -> Result<Request, UserError> {
    Ok(match inputs {
        Inputs::Deploy(inputs) => Request::Deploy(Box::new(deploy(inputs)?)),
        Inputs::Rollback(args) => Request::Rollback(Box::new(rollback(args)?)),
    })
}

/// Checks a deploy's inputs.
pub fn deploy(inputs: &DeployInputs) -> Result<DeployRequest, UserError> {
    deploy::validate(inputs)
}

/// Checks a rollback's inputs.
pub fn rollback(args: &RollbackArgs) -> Result<RollbackRequest, UserError> {
    let target = args.target.validate()?;
    let to = given(args.to.as_ref())
        .map(|to| {
            if crate::domain::arn::is_task_definition_ref(to) {
                Ok(to.to_string())
            } else {
                Err(invalid(
                    "to",
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

/// What to deploy: a tag in the target repository, or a full reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSpec {
    Tag(String),
    Reference(ImageRef),
}

impl ImageSpec {
    /// The tag asked for (none for a full reference without one).
    pub fn tag(&self) -> Option<String> {
        match self {
            Self::Tag(tag) => Some(tag.clone()),
            Self::Reference(r) => r.tag.clone(),
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
    pub logging: Option<LogSettings>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub desired_count: Option<i32>,
    pub force_new_deployment: bool,
    pub dry_run: bool,
    pub pin_image_digest: bool,
    pub rollback: bool,
    /// Rollout settings to set; empty leaves the service's as they are.
    pub settings: DeploymentSettings,
    pub tag_revisions: bool,
    pub record_deployment: bool,
    /// Deployed instead when the repository is empty.
    pub fallback_image: Option<ImageRef>,
    /// Revisions to keep per family; `None` keeps all.
    pub keep_revisions: Option<usize>,
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
    /// Whether `to` may be of another family than the service runs.
    pub allow_family_change: bool,
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
