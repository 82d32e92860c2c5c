//! Turning raw inputs into a [`DeployRequest`] that cannot be invalid.
//!
//! Everything a user can get wrong is checked here, before any AWS client exists: the production
//! gate, every name, number and boolean, the env/secret maps and the template file. Each error
//! names the input and the value (never the value of an env var or secret) and carries a hint.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::cli::{DeployArgs, PRODUCTION_CONFIRMATION};
use crate::error::UserError;
use crate::image::{self, ImageRef, RepositoryRef};
use crate::maps::parse_map;

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
    pub environment: String,
    pub image: ImageSpec,
    pub repository: Option<RepositoryRef>,
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub containers: Vec<String>,
    pub family: Option<String>,
    /// With `{environment}` already replaced, no trailing `/`.
    pub ssm_prefix: Option<String>,
    pub template: Option<Template>,
    pub environment_variables: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
    pub logging: Option<LogSettings>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub wait: bool,
    pub timeout: Duration,
    pub desired_count: Option<i32>,
    pub force_new_deployment: bool,
    pub dry_run: bool,
    pub pin_image_digest: bool,
    pub region: Option<String>,
}

/// `None` for an absent or blank input: the runner sets every declared input, empty when unset.
fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn invalid(input: &str, value: &str, why: &str) -> UserError {
    UserError::new(format!(
        "input `{input}` has an invalid value `{}`: {why}",
        printable(value)
    ))
}

/// A value as it may be quoted in an error: one line, control characters shown escaped.
fn printable(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(200)
        .flat_map(char::escape_default)
        .collect();
    if value.chars().count() > 200 {
        out.push('…');
    }
    out
}

fn parse_bool(input: &str, value: &str) -> Result<bool, UserError> {
    // The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them.
    match value.trim() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        other => Err(invalid(input, other, "expected `true` or `false`")),
    }
}

/// Splits a list input on commas and newlines, dropping blanks.
fn parse_list(value: Option<&String>) -> Vec<String> {
    given(value).map_or_else(Vec::new, |v| {
        v.split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// ECS names: up to 255 letters, digits, `-` and `_`; ARNs are accepted as they are.
fn ecs_name(input: &str, value: Option<&String>) -> Result<Option<String>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    let ok = if value.starts_with("arn:") {
        !value.chars().any(char::is_whitespace)
    } else {
        value.len() <= 255
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if ok {
        Ok(Some(value.to_string()))
    } else {
        Err(invalid(
            input,
            value,
            "use letters, digits, `-` and `_` (at most 255), or an ARN",
        ))
    }
}

fn role_arn(input: &str, value: Option<&String>) -> Result<Option<String>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    if is_role_arn(value) {
        Ok(Some(value.to_string()))
    } else {
        Err(invalid(
            input,
            value,
            "expected an IAM role ARN like `arn:aws:iam::123456789012:role/name`",
        ))
    }
}

pub fn is_role_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
        && !value.chars().any(char::is_whitespace)
}

fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

fn region(input: &str, value: Option<&String>) -> Result<Option<String>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    if is_region(value) {
        Ok(Some(value.to_string()))
    } else {
        Err(invalid(
            input,
            value,
            "expected an AWS region like `us-east-1`",
        ))
    }
}

fn whole_number(
    input: &str,
    value: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, UserError> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            invalid(
                input,
                value,
                &format!(
                    "expected a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// A positive number of minutes, decimals allowed (`0.5` is 30 s), at most 6 hours.
fn minutes(input: &str, value: &str) -> Result<Duration, UserError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|m| m.is_finite() && *m > 0.0 && *m <= 360.0)
        .map(|m| Duration::from_secs_f64(m * 60.0))
        .ok_or_else(|| {
            invalid(
                input,
                value,
                "expected a number of minutes above 0 and at most 360, e.g. `15` or `0.5`",
            )
        })
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn is_environment_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl DeployArgs {
    /// Validates every input. The first problem found is returned, naming the input.
    pub fn validate(&self) -> Result<DeployRequest, UserError> {
        let environment = given(self.environment.as_ref()).ok_or_else(|| {
            UserError::new("input `environment` is required")
                .hint("set `environment` to the target environment, e.g. `dev` or `production`")
        })?;
        if !is_environment_name(environment) {
            return Err(invalid(
                "environment",
                environment,
                "use letters, digits, `_`, `.` and `-` (at most 64)",
            ));
        }
        self.check_production_gate(environment)?;

        let image = self.image_spec()?;
        let repository = given(self.repository.as_ref())
            .map(|r| RepositoryRef::parse(r).map_err(|why| invalid("repository", r, &why)))
            .transpose()?;

        let containers = parse_list(self.container.as_ref());
        if let Some(bad) = containers.iter().find(|c| {
            !c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        }) {
            return Err(invalid(
                "container",
                bad,
                "container names use letters, digits, `-` and `_`",
            ));
        }
        let family = given(self.task_definition_family.as_ref());
        if let Some(f) = family {
            if f.len() > 255
                || !f
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    "task-definition-family",
                    f,
                    "use letters, digits, `-` and `_` (at most 255)",
                ));
            }
        }

        let (environment_variables, secrets) = self.maps()?;

        let logging = self.logging()?;
        let region = region("aws-region", self.aws_region.as_ref())?;
        let timeout = minutes("timeout-minutes", &self.timeout_minutes)?;
        let desired_count = given(self.desired_count.as_ref())
            .map(|v| {
                whole_number("desired-count", v, 0..=5000)
                    .map(|n| i32::try_from(n).expect("range fits i32"))
            })
            .transpose()?;

        Ok(DeployRequest {
            environment: environment.to_string(),
            image,
            repository,
            cluster: ecs_name("cluster", self.cluster.as_ref())?,
            service: ecs_name("service", self.service.as_ref())?,
            containers,
            family: family.map(str::to_string),
            ssm_prefix: self.ssm_prefix(environment)?,
            template: self.template()?,
            environment_variables,
            secrets,
            logging,
            execution_role_arn: role_arn("execution-role-arn", self.execution_role_arn.as_ref())?,
            task_role_arn: role_arn("task-role-arn", self.task_role_arn.as_ref())?,
            wait: parse_bool("wait", &self.wait)?,
            timeout,
            desired_count,
            force_new_deployment: parse_bool("force-new-deployment", &self.force_new_deployment)?,
            dry_run: parse_bool("dry-run", &self.dry_run)?,
            pin_image_digest: parse_bool("pin-image-digest", &self.pin_image_digest)?,
            region,
        })
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
        if let Some((name, _)) = environment_variables.iter().find(|(n, _)| !is_env_name(n)) {
            return Err(invalid(
                "environment-variables",
                name,
                "variable names start with a letter or `_`, then letters, digits, `_`, `.`, `-`",
            ));
        }
        let secrets = parse_map("secrets", self.secrets.as_deref().unwrap_or(""))?;
        for (name, value_from) in &secrets {
            if !is_env_name(name) {
                return Err(invalid(
                    "secrets",
                    name,
                    "secret names start with a letter or `_`, then letters, digits, `_`, `.`, `-`",
                ));
            }
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

    fn check_production_gate(&self, environment: &str) -> Result<(), UserError> {
        let gated = parse_list(Some(&self.production_environments));
        if !gated.iter().any(|p| p.eq_ignore_ascii_case(environment)) {
            return Ok(());
        }
        let hint = format!(
            "set input `confirm-production` to exactly `{PRODUCTION_CONFIRMATION}` (e.g. from a workflow_dispatch text input)"
        );
        match self.confirm_production.as_deref() {
            Some(text) if text == PRODUCTION_CONFIRMATION => Ok(()),
            None | Some("") => Err(UserError::new(format!("environment `{environment}` is a production environment and `confirm-production` is empty")).hint(hint)),
            Some(text) => Err(UserError::new(format!(
                "environment `{environment}` is a production environment and `confirm-production` is `{}`, not `{PRODUCTION_CONFIRMATION}`",
                printable(text)
            ))
            .hint(hint)),
        }
    }

    fn ssm_prefix(&self, environment: &str) -> Result<Option<String>, UserError> {
        let Some(raw) = given(self.ssm_prefix.as_ref()) else {
            return Ok(None);
        };
        let prefix = raw.replace("{environment}", environment);
        let prefix = prefix.trim_end_matches('/');
        let ok = prefix.starts_with('/')
            && prefix.len() > 1
            && !prefix.contains("//")
            && prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '.' | '-'));
        if ok {
            Ok(Some(prefix.to_string()))
        } else {
            Err(invalid(
                "ssm-prefix",
                raw,
                "expected a parameter path like `/app/{environment}/ecs`",
            ))
        }
    }

    fn template(&self) -> Result<Option<Template>, UserError> {
        let Some(path) = given(self.task_definition.as_ref()) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|err| {
            UserError::new(format!(
                "input `task-definition`: cannot read `{}`: {err}",
                printable(path)
            ))
            .hint("the path is relative to the working directory (the checkout in Actions)")
        })?;
        let document: Value = if std::path::Path::new(path)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{')
        {
            serde_json::from_str(&text).map_err(|err| {
                UserError::new(format!(
                    "input `task-definition`: `{}` is not valid JSON: {err}",
                    printable(path)
                ))
            })?
        } else {
            serde_yaml::from_str(&text).map_err(|err| {
                UserError::new(format!(
                    "input `task-definition`: `{}` is not valid YAML: {err}",
                    printable(path)
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
#[path = "request_tests.rs"]
mod tests;
