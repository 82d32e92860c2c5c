//! The one module that reads the process environment for Actions mode.
//!
//! The runner passes each declared input as `INPUT_<NAME>`: upper-cased, spaces turned into `_`,
//! hyphens kept (`image-tag` → `INPUT_IMAGE-TAG`). Every declared input is set, empty when not
//! given, so empty means "not given". The inputs are turned into the same argument list the CLI
//! takes and parsed by the same clap definition, so both modes share one set of names and defaults.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

use crate::error::UserError;
use crate::input::cli::{COMMAND_INPUT, Cli, Command, inputs_of};

/// The environment variable the runner uses for an input.
pub fn input_variable(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// Reads the command and its inputs from `INPUT_*` variables through `env`. Input `command`
/// (`deploy`, the default, `verify`, `rollback` or `continue`) picks the command; inputs of the other
/// commands are ignored.
pub fn read_inputs(env: impl Fn(&str) -> Option<String>) -> Result<Command, UserError> {
    let command = env(&input_variable(COMMAND_INPUT))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "deploy".into());
    if !["deploy", "rollback", "continue", "verify"].contains(&command.as_str()) {
        return Err(UserError::new(format!(
            "input `command` is invalid{}: expected `deploy`, `verify`, `rollback` or `continue`",
            crate::text::problem(&command).map_or_else(String::new, |p| format!(" ({p})"))
        )));
    }
    let mut command_line: Vec<OsString> = vec!["ecs-ship".into(), command.clone().into()];
    for (name, _) in inputs_of(&command) {
        if let Some(value) = env(&input_variable(&name)).filter(|v| !v.trim().is_empty()) {
            command_line.push(format!("--{name}={value}").into());
        }
    }
    let mut cli = Cli::try_parse_from(command_line)
        .map_err(|err| UserError::new(format!("reading the action's inputs: {}", err.kind())))?;
    // Files are read from the checkout the runner mounted, never from where a step says.
    let workspace = env("GITHUB_WORKSPACE").filter(|w| !w.trim().is_empty());
    match &mut cli.command {
        Command::Deploy(args) | Command::Verify(args) => args.target.workspace = workspace,
        Command::Rollback(args) => args.target.workspace = workspace,
        Command::Continue(args) => args.target.workspace = workspace,
    }
    Ok(cli.command)
}

/// Whether to run in Actions mode: inside a runner, with no command-line arguments.
pub fn is_actions_mode(env: impl Fn(&str) -> Option<String>, arg_count: usize) -> bool {
    arg_count <= 1 && env("GITHUB_ACTIONS").as_deref() == Some("true")
}

/// What the run knows about the workflow run it is part of (for the deployment record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunContext {
    pub git_sha: Option<String>,
    pub repository: Option<String>,
    /// `GITHUB_API_URL` (GitHub Enterprise Server has its own).
    pub api_url: Option<String>,
    /// `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}[/attempts/N]`.
    pub run_url: Option<String>,
}

impl RunContext {
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| env(name).filter(|v| !v.is_empty());
        let run_url = match (
            get("GITHUB_SERVER_URL"),
            get("GITHUB_REPOSITORY"),
            get("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repo), Some(run)) => Some(match get("GITHUB_RUN_ATTEMPT") {
                Some(attempt) => format!("{server}/{repo}/actions/runs/{run}/attempts/{attempt}"),
                None => format!("{server}/{repo}/actions/runs/{run}"),
            }),
            _ => None,
        };
        Self {
            git_sha: get("GITHUB_SHA"),
            repository: get("GITHUB_REPOSITORY"),
            api_url: get("GITHUB_API_URL"),
            run_url,
        }
    }
}

/// The runner's file-command paths, when set.
#[derive(Debug, Clone, Default)]
pub struct RunnerFiles {
    pub output: Option<PathBuf>,
    pub summary: Option<PathBuf>,
}

impl RunnerFiles {
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Self {
        let path = |name: &str| env(name).filter(|p| !p.is_empty()).map(PathBuf::from);
        Self {
            output: path("GITHUB_OUTPUT"),
            summary: path("GITHUB_STEP_SUMMARY"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn input_names_keep_hyphens() {
        assert_eq!(input_variable("image-tag"), "INPUT_IMAGE-TAG");
        assert_eq!(input_variable("odd name"), "INPUT_ODD_NAME");
    }

    #[test]
    fn inputs_are_read_with_hyphens_and_empty_means_default() {
        let Command::Deploy(args) = read_inputs(env(&[
            ("INPUT_ENVIRONMENT", "dev"),
            ("INPUT_IMAGE-TAG", "v2"),
            ("INPUT_WAIT", ""),
            ("INPUT_TIMEOUT-MINUTES", ""),
            ("INPUT_DRY-RUN", "true"),
            (
                "INPUT_ENVIRONMENT-VARIABLES",
                "{\"A\": \"--flag-like value\"}",
            ),
            (
                "INPUT_IMAGE_TAG",
                "ignored: underscores are not the runner's form",
            ),
        ]))
        .unwrap() else {
            panic!("deploy expected")
        };
        assert_eq!(args.target.environment.as_deref(), Some("dev"));
        assert_eq!(args.image_tag.as_deref(), Some("v2"));
        assert_eq!(
            (
                args.target.wait.as_str(),
                args.target.timeout_minutes.as_str(),
                args.dry_run.as_str()
            ),
            ("true", "15", "true")
        );
        assert_eq!(
            args.environment_variables.as_deref(),
            Some("{\"A\": \"--flag-like value\"}")
        );
    }

    #[test]
    fn values_starting_with_dashes_or_holding_newlines_survive() {
        let Command::Deploy(args) =
            read_inputs(env(&[("INPUT_CONFIRM-PRODUCTION", "--x\ny")])).unwrap()
        else {
            panic!("deploy expected")
        };
        assert_eq!(args.target.confirm_production.as_deref(), Some("--x\ny"));
    }

    #[test]
    fn the_command_input_picks_rollback_and_ignores_deploy_only_inputs() {
        let Command::Rollback(args) = read_inputs(env(&[
            ("INPUT_COMMAND", "rollback"),
            ("INPUT_ENVIRONMENT", "dev"),
            ("INPUT_IMAGE-TAG", "v2"),
            ("INPUT_TO", "api:3"),
        ]))
        .unwrap() else {
            panic!("rollback expected")
        };
        assert_eq!(
            (args.target.environment.as_deref(), args.to.as_deref()),
            (Some("dev"), Some("api:3"))
        );
        let err = read_inputs(env(&[("INPUT_COMMAND", "destroy")])).unwrap_err();
        assert_eq!(
            err.message,
            "input `command` is invalid: expected `deploy`, `verify`, `rollback` or `continue`"
        );
    }

    #[test]
    fn the_command_input_verify_takes_the_deploy_inputs() {
        let Command::Verify(args) = read_inputs(env(&[
            ("INPUT_COMMAND", "verify"),
            ("INPUT_ENVIRONMENT", "dev"),
            ("INPUT_IMAGE-TAG", "v2"),
            ("INPUT_TASK-LOGS-LINES", "5"),
        ]))
        .unwrap() else {
            panic!("verify expected")
        };
        assert_eq!(
            (
                args.target.environment.as_deref(),
                args.image_tag.as_deref(),
                args.target.task_logs_lines.as_str()
            ),
            (Some("dev"), Some("v2"), "5")
        );
    }

    #[test]
    fn the_run_url_is_built_from_the_runner_variables() {
        let ctx = RunContext::from_env(env(&[
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/api"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_SHA", "abc"),
        ]));
        assert_eq!(
            ctx.run_url.as_deref(),
            Some("https://github.com/acme/api/actions/runs/42/attempts/2")
        );
        assert_eq!(ctx.git_sha.as_deref(), Some("abc"));
        assert_eq!(RunContext::from_env(env(&[])), RunContext::default());
    }

    #[test]
    fn actions_mode_needs_the_runner_and_no_arguments() {
        assert!(is_actions_mode(env(&[("GITHUB_ACTIONS", "true")]), 1));
        assert!(!is_actions_mode(env(&[("GITHUB_ACTIONS", "true")]), 3));
        assert!(!is_actions_mode(env(&[]), 1));
    }
}
