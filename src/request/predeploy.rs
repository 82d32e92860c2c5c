//! The `one-off-task` input: a one-off task (migrations) run before any service is updated.
//!
//! Either a task-definition family name, or a mapping:
//!
//! ```yaml
//! family: api-migrate          # default: the (first) service's own task definition
//! container: app               # default: the first container the deploy updates
//! command: [npm, run, migrate] # or "npm run migrate", split as a shell would; default: the image's
//! subnets: [subnet-0abc]       # default: the service's awsvpc network configuration
//! security-groups: [sg-0abc]
//! assign-public-ip: false
//! time-limit-minutes: 10       # default: the deploy's `time-limit-minutes`
//! ```

use std::time::Duration;

use super::parse::{invalid, is_ecs_name, minutes};
use crate::error::UserError;
use crate::input::maps::OneOrMany;
use crate::input::predeploy::PreDeployInput;

/// A validated pre-deploy task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreDeployTask {
    /// The family to run (rendered with the deploy's image, env and secrets); `None`: the first
    /// service's new revision.
    pub family: Option<String>,
    /// The container whose command is overridden and whose exit code is reported.
    pub container: Option<String>,
    /// Exec-form command; empty keeps the image's.
    pub command: Vec<String>,
    pub subnets: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    pub assign_public_ip: Option<bool>,
    pub timeout: Option<Duration>,
}

const INPUT: &str = "one-off-task";

/// Validates the task as the step or the config file gave it.
pub fn validate(input: &PreDeployInput) -> Result<PreDeployTask, UserError> {
    let raw = match input {
        PreDeployInput::Family(family) => {
            return Ok(PreDeployTask {
                family: Some(family.clone()),
                ..PreDeployTask::default()
            });
        }
        PreDeployInput::Mapping(raw) => raw.clone(),
    };
    let field = |key: &str| format!("{INPUT}.{key}");
    if let Some(family) = raw.family.as_deref().filter(|f| !is_ecs_name(f)) {
        return Err(invalid(
            &field("family"),
            family,
            "use letters, digits, `-` and `_` (at most 255)",
        ));
    }
    if let Some(container) = raw.container.as_deref().filter(|c| !is_ecs_name(c)) {
        return Err(invalid(
            &field("container"),
            container,
            "container names use letters, digits, `-` and `_`",
        ));
    }
    let label = format!("`command` of input `{INPUT}`");
    let command = match raw.command {
        None => Vec::new(),
        Some(OneOrMany::One(line)) => crate::input::command_line::parse(&label, &line)?,
        Some(OneOrMany::Many(args)) => crate::input::command_line::check(&label, "", args)?,
    };
    if raw.family.is_none() && command.is_empty() {
        return Err(UserError::new(format!(
            "input `{INPUT}` names neither a `family` nor a `command`"
        ))
        .hint("without either it would start another copy of the service; give the migration's `command` (or its own `family`)"));
    }
    let (subnets, security_groups) = network(raw.subnets, raw.security_groups)?;
    let timeout = raw
        .time_limit_minutes
        .map(|v| {
            let text = match &v {
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::String(s) => s.clone(),
                _ => String::new(),
            };
            minutes(&field("time-limit-minutes"), &text)
        })
        .transpose()?;
    Ok(PreDeployTask {
        family: raw.family,
        container: raw.container,
        command,
        subnets,
        security_groups,
        assign_public_ip: raw.assign_public_ip,
        timeout,
    })
}

/// Subnet or security group IDs, when given.
type Ids = Option<Vec<String>>;

/// The given subnets and security groups, checked: IDs of the right kind, and not an empty
/// list of subnets (which would leave the task nowhere to run).
fn network(
    subnets: Option<OneOrMany>,
    security_groups: Option<OneOrMany>,
) -> Result<(Ids, Ids), UserError> {
    let field = |key: &str| format!("{INPUT}.{key}");
    let split = |s: &str| crate::text::split_list(s);
    let subnets = subnets.map(|s| s.into_vec(split));
    if let Some(bad) = subnets
        .iter()
        .flatten()
        .find(|s| !s.starts_with("subnet-") || !is_ecs_name(s))
    {
        return Err(invalid(
            &field("subnets"),
            bad,
            "expected subnet IDs like `subnet-0abc`",
        ));
    }
    let security_groups = security_groups.map(|s| s.into_vec(split));
    if let Some(bad) = security_groups
        .iter()
        .flatten()
        .find(|s| !s.starts_with("sg-") || !is_ecs_name(s))
    {
        return Err(invalid(
            &field("security-groups"),
            bad,
            "expected security group IDs like `sg-0abc`",
        ));
    }
    if subnets.as_ref().is_some_and(Vec::is_empty) {
        return Err(
            UserError::new(format!("input `{INPUT}`: `subnets` is empty"))
                .hint("name at least one subnet, or leave `subnets` out to use the service's"),
        );
    }
    Ok((subnets, security_groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::input::predeploy::parse as read;

    fn parse_pre_deploy_task(text: &str) -> Result<Option<PreDeployTask>, UserError> {
        read(text)?.as_ref().map(validate).transpose()
    }

    fn parse(text: &str) -> PreDeployTask {
        parse_pre_deploy_task(text).unwrap().unwrap()
    }

    fn error(text: &str) -> String {
        let err = parse_pre_deploy_task(text).unwrap_err();
        format!("{} | {}", err.message, err.hint.unwrap_or_default())
    }

    #[test]
    fn a_bare_name_is_a_family_and_blank_is_none() {
        assert_eq!(parse_pre_deploy_task("  \n").unwrap(), None);
        assert_eq!(parse("api-migrate").family.as_deref(), Some("api-migrate"));
    }

    #[test]
    fn a_mapping_sets_every_field() {
        let task = parse(
            "family: api-migrate\ncontainer: app\ncommand: [npm, run, migrate]\n\
             subnets: subnet-1a, subnet-1b\nsecurity-groups: [sg-1]\nassign-public-ip: true\n\
             time-limit-minutes: 2.5\n",
        );
        assert_eq!(
            task,
            PreDeployTask {
                family: Some("api-migrate".into()),
                container: Some("app".into()),
                command: vec!["npm".into(), "run".into(), "migrate".into()],
                subnets: Some(vec!["subnet-1a".into(), "subnet-1b".into()]),
                security_groups: Some(vec!["sg-1".into()]),
                assign_public_ip: Some(true),
                timeout: Some(Duration::from_secs(150)),
            }
        );
    }

    #[test]
    fn a_command_string_splits_as_container_command_does() {
        assert_eq!(
            parse("command: npm run  migrate").command,
            ["npm", "run", "migrate"]
        );
        assert_eq!(
            parse("command: sh -c 'a && b'").command,
            ["sh", "-c", "a && b"]
        );
        assert!(error("command: sh -c 'a && b").contains("quotes are not closed"));
        assert_eq!(
            parse(r#"command: ["sh", "-c", "a && b"]"#).command,
            ["sh", "-c", "a && b"]
        );
    }

    #[test]
    fn mistakes_name_the_field() {
        assert!(error("comand: [x]").contains("unknown field `comand`"));
        assert!(error("container: app").contains("names neither a `family` nor a `command`"));
        assert!(error("command: [x]\nsubnets: [vpc-1]").contains("`one-off-task.subnets`"));
        assert!(
            error("command: [x]\nsecurity-groups: sg-1, bad")
                .starts_with("input `one-off-task.security-groups` is invalid: expected")
        );
        assert!(error("family: 'a b'").contains("`one-off-task.family`"));
        assert!(error("command: [x]\ntime-limit-minutes: soon").contains("time-limit-minutes"));
    }
}
