//! The inputs every command shares: which environment and service, the production gate, and
//! how to wait. The production gate is the first check of all.

use std::time::Duration;

use super::parse::{
    ecs_name, given, invalid, is_environment_name, minutes, parse_bool, parse_list, region,
    whole_number,
};
use crate::cli::{PRODUCTION_CONFIRMATION, TargetArgs};
use crate::error::UserError;

/// Which service, in which environment, and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub environment: String,
    /// Whether the environment is a production one (the gate was passed).
    pub production: bool,
    pub cluster: Option<String>,
    pub service: Option<String>,
    /// With `{environment}` already replaced, no trailing `/`.
    pub ssm_prefix: Option<String>,
    pub wait: bool,
    pub timeout: Duration,
    pub max_task_failures: u32,
    pub region: Option<String>,
}

impl TargetArgs {
    /// Validates the shared inputs; the production gate comes before anything else.
    pub fn validate(&self) -> Result<Target, UserError> {
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
        let production = self.check_production_gate(environment)?;
        let max_task_failures =
            whole_number("max-task-failures", &self.max_task_failures, 0..=100)?;
        Ok(Target {
            environment: environment.to_string(),
            production,
            cluster: ecs_name("cluster", self.cluster.as_ref())?,
            service: ecs_name("service", self.service.as_ref())?,
            ssm_prefix: self.ssm_prefix(environment)?,
            wait: parse_bool("wait", &self.wait)?,
            timeout: minutes("timeout-minutes", &self.timeout_minutes)?,
            max_task_failures: u32::try_from(max_task_failures).expect("range fits u32"),
            region: region("aws-region", self.aws_region.as_ref())?,
        })
    }

    /// Whether `environment` is a production one; an error unless it is confirmed.
    fn check_production_gate(&self, environment: &str) -> Result<bool, UserError> {
        let gated = parse_list(Some(&self.production_environments));
        if !gated.iter().any(|p| p.eq_ignore_ascii_case(environment)) {
            return Ok(false);
        }
        let hint = format!(
            "set input `confirm-production` to exactly `{PRODUCTION_CONFIRMATION}` (e.g. from a workflow_dispatch text input)"
        );
        match self.confirm_production.as_deref() {
            Some(text) if text == PRODUCTION_CONFIRMATION => Ok(true),
            None | Some("") => Err(UserError::new(format!("environment `{environment}` is a production environment and `confirm-production` is empty")).hint(hint)),
            Some(text) => Err(UserError::new(format!(
                "environment `{environment}` is a production environment and `confirm-production` is not `{PRODUCTION_CONFIRMATION}` ({})",
                how_it_differs(text, PRODUCTION_CONFIRMATION)
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
}

/// How `given` differs from `expected`, without quoting `given`: a near miss (spaces, letter case,
/// a lookalike character) is named so it can be fixed.
pub(crate) fn how_it_differs(given: &str, expected: &str) -> String {
    if given.trim() == expected {
        return "it has spaces around it".into();
    }
    if given.eq_ignore_ascii_case(expected) {
        return "it differs in letter case".into();
    }
    let mut wanted = expected.chars();
    for (i, c) in given.chars().enumerate() {
        match wanted.next() {
            Some(w) if w == c => {}
            Some(w) if !c.is_ascii() || crate::report::markdown::is_hidden(c) => {
                return format!("character {} is U+{:04X}, not `{w}`", i + 1, u32::from(c));
            }
            Some(_) => return format!("it differs at character {}", i + 1),
            None => return format!("it is longer: {} characters", given.chars().count()),
        }
    }
    format!("it is shorter: {} characters", given.chars().count())
}
