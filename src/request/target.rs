//! The inputs every command shares: which environment and service, the production gate, and
//! how to wait. The production gate is the first check of all.

use std::time::Duration;

use super::parse::{
    ecs_name, given, invalid, is_environment_name, minutes, parse_list, region, whole_number,
};
use crate::domain::run_options::WaitUntil;
use crate::error::UserError;
use crate::input::args::TargetArgs;
use crate::input::cli::PRODUCTION_CONFIRMATION;
use crate::request::gate::{Destination, Gate, how_it_differs};
use crate::request::problems::Problems;

/// Which service, in which environment, and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub environment: String,
    /// Whether the deploy goes to production, as far as the inputs tell (the gate was passed);
    /// the reads can still find a production target (see [`crate::request::gate`]).
    pub production: bool,
    /// The production gate, for the checks after the reads.
    pub gate: Gate,
    pub cluster: Option<String>,
    pub service: Option<String>,
    /// With `{environment}` already replaced, no trailing `/`.
    pub ssm_prefix: Option<String>,
    pub wait: bool,
    pub wait_until: WaitUntil,
    pub timeout: Duration,
    pub max_task_failures: u32,
    /// Last lines of a failed task's log to show (0: none).
    pub task_logs_lines: u16,
    pub region: Option<String>,
}

/// What `wait` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Deployed,
    Paused,
    None,
}

impl TargetArgs {
    /// Validates the shared inputs; the production gate comes before anything else.
    pub fn validate(&self) -> Result<Target, UserError> {
        self.validate_all().map_err(UserError::many)
    }

    /// [`Self::validate`], every problem found: the production gate's refusal alone (it comes
    /// before anything else), or every other mistake at once.
    pub fn validate_all(&self) -> Result<Target, Vec<UserError>> {
        let environment = given(self.environment.as_ref()).ok_or_else(|| {
            UserError::new("input `environment` is required")
                .hint("set `environment` to the target environment, e.g. `dev` or `production`")
        });
        let environment = environment.and_then(|environment| {
            if is_environment_name(environment) {
                Ok(environment)
            } else {
                Err(invalid(
                    "environment",
                    environment,
                    "use letters, digits, `_`, `.` and `-` (at most 64)",
                ))
            }
        });
        let gate = self.gate().map_err(|err| vec![err])?;
        let by_name = match environment {
            Ok(environment) => check_environment(&gate, environment).map_err(|err| vec![err])?,
            Err(_) => false,
        };
        let mut p = Problems::default();
        let environment = p.option(environment);
        let wait = p.option(self.wait());
        let max_task_failures = p.take(whole_number(
            "max-task-failures",
            &self.max_task_failures,
            0..=100,
        ));
        let cluster = p.option(ecs_name("cluster", self.cluster.as_ref()));
        let service = p.option(ecs_name("service", self.service.as_ref()));
        let ssm_prefix = environment.and_then(|e| p.option(self.ssm_prefix(e)));
        // What the inputs already name is checked before any AWS call: a refusal alone.
        let by_target = gate
            .check(&Destination {
                ssm_prefix: ssm_prefix.clone().flatten().as_deref(),
                cluster: cluster.clone().flatten().as_deref(),
                cluster_tags: &[],
                services: service
                    .iter()
                    .flatten()
                    .map(|s| (s.as_str(), &[][..]))
                    .collect(),
                ssm_clusters: None,
            })
            .map_err(|err| vec![err])?;
        let timeout = p.option(minutes("time-limit-minutes", &self.timeout_minutes));
        let task_logs_lines = p.take(whole_number(
            "task-log-lines",
            &self.task_logs_lines,
            0..=200,
        ));
        let region = p.take(region("region", self.region.as_ref()));
        let (
            Some(environment),
            Some(wait),
            Some(cluster),
            Some(service),
            Some(ssm_prefix),
            Some(timeout),
        ) = (environment, wait, cluster, service, ssm_prefix, timeout)
        else {
            return Err(p.into_result(|| ()).expect_err("a check failed"));
        };
        p.into_result(|| Target {
            environment: environment.to_string(),
            production: by_name || by_target,
            gate,
            cluster,
            service,
            ssm_prefix,
            wait: wait != Wait::None,
            wait_until: if wait == Wait::Paused {
                WaitUntil::Paused
            } else {
                WaitUntil::Deployed
            },
            timeout,
            max_task_failures: u32::try_from(max_task_failures).expect("range fits u32"),
            task_logs_lines: u16::try_from(task_logs_lines).expect("range fits u16"),
            region,
        })
    }

    /// `wait`: `deployed` (or `true`), `paused`, or `none` (or `false`).
    fn wait(&self) -> Result<Wait, UserError> {
        Ok(match self.wait.trim() {
            "deployed" | "true" => Wait::Deployed,
            "paused" => Wait::Paused,
            "none" | "false" => Wait::None,
            other => {
                return Err(invalid(
                    "wait",
                    other,
                    "expected `deployed`, `paused` or `none`",
                ));
            }
        })
    }

    /// The gate's settings; a list with no names in it is a mistake, never "no gate".
    fn gate(&self) -> Result<Gate, UserError> {
        let mut names = parse_list(Some(&self.production_environments));
        names.extend(self.production_from_config.iter().cloned());
        if names.is_empty() {
            return Err(UserError::new("input `production-environments` names no environment")
                .hint("name at least one (the default is `production`): the production gate cannot be turned off"));
        }
        let tag_keys = parse_list(Some(&self.environment_tag_keys));
        if tag_keys.is_empty() {
            return Err(UserError::new("input `environment-tag-keys` names no tag key")
                .hint("name at least one (the default is `environment, env, stage`): the production gate reads them on the cluster and services"));
        }
        if let Some(bad) = tag_keys
            .iter()
            .find(|k| k.chars().count() > 128 || k.chars().any(char::is_control))
        {
            return Err(invalid(
                "environment-tag-keys",
                bad,
                "tag keys have at most 128 characters",
            ));
        }
        Ok(Gate {
            names,
            confirmation: self.confirm_production.clone(),
            tag_keys,
            listed: self.listed_production.clone(),
        })
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
}

/// Whether `environment` is a production one; an error unless it is confirmed. The first check of
/// all.
fn check_environment(gate: &Gate, environment: &str) -> Result<bool, UserError> {
    if !gate
        .names
        .iter()
        .any(|p| p.eq_ignore_ascii_case(environment))
    {
        return Ok(false);
    }
    let hint = format!(
        "set input `confirm-production` to exactly `{PRODUCTION_CONFIRMATION}` (e.g. from a workflow_dispatch text input)"
    );
    match gate.confirmation.as_deref() {
        _ if gate.confirmed() => Ok(true),
        None | Some("") => Err(UserError::new(format!(
            "environment `{environment}` is a production environment and `confirm-production` is empty"
        ))
        .hint(hint)),
        Some(text) => Err(UserError::new(format!(
            "environment `{environment}` is a production environment and `confirm-production` is not `{PRODUCTION_CONFIRMATION}` ({})",
            how_it_differs(text, PRODUCTION_CONFIRMATION)
        ))
        .hint(hint)),
    }
}
