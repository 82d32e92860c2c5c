//! Turning raw inputs into requests that cannot be invalid.
//!
//! Everything a user can get wrong is checked here, before any AWS client exists: the production
//! gate (first of all), every name, number and boolean, the env/secret maps and the template
//! file. Each error names the input and the value (never the value of an env var or secret) and
//! carries a hint.

pub mod gate;
mod parse;
mod predeploy;
mod target;

use std::path::PathBuf;

use serde_json::Value;

use crate::domain::ecs::{CircuitBreaker, DeploymentSettings};
use crate::domain::image::{self, ImageRef, RepositoryRef};
use crate::error::UserError;
use crate::input::cli::{DeployArgs, RollbackArgs};
use crate::input::maps::parse_map;
use crate::input::services::{ServiceSpec, parse_services};
pub(crate) use parse::is_environment_name;
use parse::{check_names, given, invalid, parse_bool, parse_list, region, role_arn, whole_number};
pub use parse::{is_ecs_name, is_role_arn, plain_name, printable, problem, split_list};
pub use predeploy::{PreDeployTask, parse_pre_deploy_task};
pub use target::Target;

/// What to deploy: a tag in the target repository, or a full reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSpec {
    Tag(String),
    Reference(ImageRef),
}

/// A task definition template read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub path: PathBuf,
    pub document: Value,
}

/// Log settings asked for; the region falls back to the deploy's region when rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub group: String,
    pub region: Option<String>,
    pub stream_prefix: Option<String>,
}

/// Name/value pairs in input order (environment variables, secrets).
pub type NamedValues = Vec<(String, String)>;

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

impl RollbackArgs {
    pub fn validate(&self) -> Result<RollbackRequest, UserError> {
        let target = self.target.validate()?;
        let to = given(self.to.as_ref())
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
            allow_family_change: parse_bool("allow-family-change", &self.allow_family_change)?,
        })
    }
}

impl DeployArgs {
    /// Validates every input. The first problem found is returned, naming the input.
    pub fn validate(&self) -> Result<DeployRequest, UserError> {
        let mut target = self.target.validate()?;
        let services = self.services(&target)?;
        // The services listed are part of where the deploy goes, before any AWS call too.
        target.production |= target.gate.check(&crate::request::gate::Destination {
            ssm_prefix: target.ssm_prefix.as_deref(),
            cluster: target.cluster.as_deref(),
            cluster_tags: &[],
            services: services
                .iter()
                .map(|s| (s.service.as_str(), &[][..]))
                .collect(),
        })?;
        let image = self.image_spec()?;
        let repository = given(self.repository.as_ref())
            .map(|r| RepositoryRef::parse(r).map_err(|why| invalid("repository", r, &why)))
            .transpose()?;
        let containers = parse_list(self.container.as_ref());
        if let Some(bad) = containers.iter().find(|c| !is_ecs_name(c)) {
            return Err(invalid(
                "container",
                bad,
                "container names use letters, digits, `-` and `_`",
            ));
        }
        let family = given(self.task_definition_family.as_ref());
        if let Some(f) = family {
            if !is_ecs_name(f) {
                return Err(invalid(
                    "task-definition-family",
                    f,
                    "use letters, digits, `-` and `_` (at most 255)",
                ));
            }
        }
        let (environment_variables, secrets) = self.maps()?;
        let desired_count = given(self.desired_count.as_ref())
            .map(|v| {
                whole_number("desired-count", v, 0..=5000)
                    .map(|n| i32::try_from(n).expect("range fits i32"))
            })
            .transpose()?;
        Ok(DeployRequest {
            services,
            pre_deploy: predeploy::parse_pre_deploy_task(
                self.pre_deploy_task.as_deref().unwrap_or(""),
            )?,
            image,
            repository,
            containers,
            family: family.map(str::to_string),
            template: self.template()?,
            environment_variables,
            secrets,
            logging: self.logging()?,
            execution_role_arn: role_arn("execution-role-arn", self.execution_role_arn.as_ref())?,
            task_role_arn: role_arn("task-role-arn", self.task_role_arn.as_ref())?,
            desired_count,
            force_new_deployment: parse_bool("force-new-deployment", &self.force_new_deployment)?,
            dry_run: parse_bool("dry-run", &self.dry_run)?,
            pin_image_digest: parse_bool("pin-image-digest", &self.pin_image_digest)?,
            rollback: parse_bool("rollback", &self.rollback)?,
            settings: self.settings()?,
            tag_revisions: parse_bool("tag-revisions", &self.tag_revisions)?,
            record_deployment: parse_bool("record-deployment", &self.record_deployment)?,
            fallback_image: given(self.fallback_image.as_ref())
                .map(|r| ImageRef::parse(r).map_err(|why| invalid("fallback-image", r, &why)))
                .transpose()?,
            keep_revisions: given(self.keep_revisions.as_ref())
                .map(|v| {
                    whole_number("keep-revisions", v, 1..=1000)
                        .map(|n| usize::try_from(n).expect("positive"))
                })
                .transpose()?,
            github: self.github()?,
            promote_tag: given(self.promote_tag.as_ref())
                .map(|t| {
                    let tag = t.replace("{environment}", &target.environment);
                    if image::is_tag(&tag) {
                        Ok(tag)
                    } else {
                        Err(invalid("promote-tag", &tag, image::TAG_RULE))
                    }
                })
                .transpose()?,
            target,
        })
    }

    fn github(&self) -> Result<Option<GitHubRequest>, UserError> {
        let create = parse_bool("github-deployment", &self.github_deployment)?;
        let deployment_id = given(self.github_deployment_id.as_ref())
            .map(|id| {
                id.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    invalid(
                        "github-deployment-id",
                        id,
                        "expected a deployment id (a number)",
                    )
                })
            })
            .transpose()?;
        let environment_url = given(self.environment_url.as_ref())
            .map(|url| {
                let ok = (url.starts_with("https://") || url.starts_with("http://"))
                    && url.len() <= 2000
                    && !url.chars().any(|c| c.is_whitespace() || c.is_control());
                if ok {
                    Ok(url.to_string())
                } else {
                    Err(invalid("environment-url", url, "expected an http(s) URL"))
                }
            })
            .transpose()?;
        if !create && deployment_id.is_none() {
            return Ok(None);
        }
        let token = given(self.github_token.as_ref()).ok_or_else(|| {
            UserError::new("`github-deployment` needs a token, and `github-token` is empty")
                .hint("the action passes the job's token by default; give the job `permissions: deployments: write`")
        })?;
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UserError::new(
                "input `github-token` is not a token (it has spaces or control characters)",
            ));
        }
        Ok(Some(GitHubRequest {
            token: Secret(token.to_string()),
            deployment_id,
            environment_url,
        }))
    }

    fn services(&self, target: &Target) -> Result<Vec<ServiceSpec>, UserError> {
        let services = parse_services(self.services.as_deref().unwrap_or(""))?;
        if !services.is_empty() && target.service.is_some() {
            return Err(
                UserError::new("inputs `service` and `services` are both set")
                    .hint("list every service in `services`, or give one `service`"),
            );
        }
        for spec in &services {
            check_names("services", "variable", &spec.environment_variables)?;
            check_names("services", "variable", &spec.secrets)?;
        }
        Ok(services)
    }

    fn settings(&self) -> Result<DeploymentSettings, UserError> {
        let number =
            |input: &str, value: Option<&String>, range| -> Result<Option<i32>, UserError> {
                given(value)
                    .map(|v| {
                        whole_number(input, v, range)
                            .map(|n| i32::try_from(n).expect("range fits i32"))
                    })
                    .transpose()
            };
        let settings = DeploymentSettings {
            maximum_percent: number("maximum-percent", self.maximum_percent.as_ref(), 100..=200)?,
            minimum_healthy_percent: number(
                "minimum-healthy-percent",
                self.minimum_healthy_percent.as_ref(),
                0..=100,
            )?,
            circuit_breaker: given(self.circuit_breaker.as_ref())
                .map(|v| {
                    parse_bool("circuit-breaker", v).map(|on| CircuitBreaker {
                        enable: on,
                        rollback: on,
                    })
                })
                .transpose()?,
            health_check_grace_period: number(
                "health-check-grace-period",
                self.health_check_grace_period.as_ref(),
                0..=2_147_483_647,
            )?,
        };
        Ok(settings)
    }

    fn image_spec(&self) -> Result<ImageSpec, UserError> {
        Ok(
            match (given(self.image_tag.as_ref()), given(self.image.as_ref())) {
                (Some(_), Some(_)) => {
                    return Err(
                        UserError::new("inputs `image-tag` and `image` are both set").hint(
                            "give only one: a tag in the repository, or a full image reference",
                        ),
                    );
                }
                (None, None) => {
                    return Err(
                        UserError::new("no image given: set input `image-tag` or `image`")
                            .hint("e.g. `image-tag: sha-${{ github.sha }}`"),
                    );
                }
                (Some(tag), None) if image::is_tag(tag) => ImageSpec::Tag(tag.to_string()),
                (Some(tag), None) => return Err(invalid("image-tag", tag, image::TAG_RULE)),
                (None, Some(reference)) => ImageSpec::Reference(
                    ImageRef::parse(reference).map_err(|why| invalid("image", reference, &why))?,
                ),
            },
        )
    }

    fn maps(&self) -> Result<(NamedValues, NamedValues), UserError> {
        let environment_variables = parse_map(
            "environment-variables",
            self.environment_variables.as_deref().unwrap_or(""),
        )?;
        check_names("environment-variables", "variable", &environment_variables)?;
        let secrets = parse_map("secrets", self.secrets.as_deref().unwrap_or(""))?;
        check_names("secrets", "secret", &secrets)?;
        for (name, value_from) in &secrets {
            if value_from.is_empty() || value_from.chars().any(char::is_whitespace) {
                return Err(UserError::new(format!("input `secrets`: `{name}` must name a Secrets Manager secret or SSM parameter ARN"))
                    .hint("values are `valueFrom` references like `arn:aws:secretsmanager:<region>:<account>:secret:<name>`, never the secret itself"));
            }
        }
        if let Some((name, _)) = environment_variables
            .iter()
            .find(|(n, _)| secrets.iter().any(|(s, _)| s == n))
        {
            return Err(UserError::new(format!(
                "`{name}` is in both `environment-variables` and `secrets`"
            ))
            .hint("ECS refuses a name that is both; keep it in one map"));
        }
        Ok((environment_variables, secrets))
    }

    fn template(&self) -> Result<Option<Template>, UserError> {
        let Some(path) = given(self.task_definition.as_ref()) else {
            return Ok(None);
        };
        let text = crate::input::workspace::Workspace::resolve(self.target.workspace.as_deref())?
            .read("task-definition", path)?;
        let document: Value = if std::path::Path::new(path)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{')
        {
            serde_json::from_str(&text).map_err(|err| {
                UserError::new(format!(
                    "input `task-definition`: `{}` is not valid JSON: {}",
                    printable(path),
                    crate::input::parse_error::json(&err)
                ))
            })?
        } else {
            serde_yaml::from_str(&text).map_err(|err| {
                UserError::new(format!(
                    "input `task-definition`: `{}` is not valid YAML: {}",
                    printable(path),
                    crate::input::parse_error::yaml(&err)
                ))
            })?
        };
        let body = document.get("taskDefinition").unwrap_or(&document);
        if !body
            .get("containerDefinitions")
            .is_some_and(Value::is_array)
        {
            return Err(UserError::new(format!(
                "input `task-definition`: `{}` has no `containerDefinitions` list",
                printable(path)
            ))
            .hint("use AWS's field names, as `aws ecs describe-task-definition` prints them"));
        }
        Ok(Some(Template {
            path: PathBuf::from(path),
            document,
        }))
    }

    fn logging(&self) -> Result<Option<LogSettings>, UserError> {
        let group = given(self.log_group.as_ref());
        let log_region = region("log-region", self.log_region.as_ref())?;
        let prefix = given(self.log_stream_prefix.as_ref());
        let Some(group) = group else {
            if log_region.is_some() || prefix.is_some() {
                return Err(UserError::new(
                    "`log-region` and `log-stream-prefix` need `log-group`",
                )
                .hint("set `log-group` to the CloudWatch log group"));
            }
            return Ok(None);
        };
        if group.len() > 512
            || !group
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.' | '#'))
        {
            return Err(invalid(
                "log-group",
                group,
                "log group names use letters, digits, `_`, `-`, `/`, `.` and `#`",
            ));
        }
        if let Some(p) = prefix {
            if p.contains(':') || p.contains('*') || p.chars().any(char::is_whitespace) {
                return Err(invalid("log-stream-prefix", p, "no `:`, `*` or spaces"));
            }
        }
        Ok(Some(LogSettings {
            group: group.to_string(),
            region: log_region,
            stream_prefix: prefix.map(str::to_string),
        }))
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
