//! The one module that reads the process environment for Actions mode.
//!
//! The runner passes each declared input as `INPUT_<NAME>`: upper-cased, spaces turned into `_`,
//! hyphens kept (`image-tag` → `INPUT_IMAGE-TAG`). Every declared input is set, empty when not
//! given, so empty means "not given" (action.yml declares no defaults, so an input the step leaves
//! out arrives empty and the config file's value applies). What the step gives becomes a
//! [`Layer`]; an input an earlier version took, or one that belongs in the config file, is a
//! problem naming its replacement.

use std::path::PathBuf;

use crate::error::UserError;
use crate::input::layers::{Layer, Origin, Value, add_mapping_text};
use crate::input::settings::{self, RENAMED, Shape};

/// The input that picks the command in Actions mode (the CLI uses subcommands instead).
pub const COMMAND_INPUT: &str = "command";

/// The environment variable the runner uses for an input.
pub fn input_variable(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// Reads the command and what the step gives through `env`. Input `command` (`deploy`, the
/// default, `verify`, `run-task`, `rollback` or `continue`) picks the command; inputs of the other commands
/// are ignored.
pub fn read_inputs(
    env: impl Fn(&str) -> Option<String>,
) -> Result<(String, Layer, Vec<UserError>), UserError> {
    let given = |name: &str| env(&input_variable(name)).filter(|v| !v.trim().is_empty());
    let command = given(COMMAND_INPUT).map_or_else(|| "deploy".into(), |c| c.trim().to_string());
    if !crate::input::cli::COMMANDS
        .iter()
        .any(|(name, _)| *name == command)
    {
        return Err(UserError::new(format!(
            "input `command` is invalid{}: expected `deploy`, `verify`, `run-task`, `rollback` or `continue`",
            crate::text::problem(&command).map_or_else(String::new, |p| format!(" ({p})"))
        )));
    }
    let mut layer = Layer::default();
    let mut problems = Vec::new();
    for setting in settings::of(&command).filter(|s| s.places.action && s.name != COMMAND_INPUT) {
        let Some(value) = given(setting.name) else {
            continue;
        };
        if matches!(setting.kind, Shape::Mapping(_)) {
            add_mapping_text(&mut layer, setting, &value, &Origin::Input, &mut problems);
        } else {
            layer.set(setting.name, Value::Text(value), Origin::Input);
        }
    }
    // The runner passes a `with:` key action.yml does not declare too: it warns "Unexpected
    // input(s)" and hands every evaluated input to the handler (actions/runner,
    // src/Runner.Worker/ActionRunner.cs), which sets `INPUT_<NAME>` for each.
    for old in RENAMED.iter().filter(|r| settings::find(r.old).is_none()) {
        if given(old.old).is_some() {
            problems.push(
                UserError::new(format!("input `{}` was renamed", old.old))
                    .hint(format!("use {}", old.instead)),
            );
        }
    }
    for setting in settings::SETTINGS
        .iter()
        .filter(|s| !s.places.action && s.places.file)
    {
        if given(setting.name).is_some() {
            problems.push(
                UserError::new(format!(
                    "input `{}` is set once per repository, in the config file, not by a step",
                    setting.name
                ))
                .hint(format!(
                    "set `{}` under `defaults` (or an environment) of the file `config` names",
                    setting.name
                )),
            );
        }
    }
    Ok((command, layer, problems))
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

    fn text(layer: &Layer, key: &str) -> Option<String> {
        layer.get(key).and_then(|g| g.value.text())
    }

    #[test]
    fn inputs_are_read_with_hyphens_and_empty_means_not_given() {
        let (command, layer, problems) = read_inputs(env(&[
            ("INPUT_ENVIRONMENT", "dev"),
            ("INPUT_IMAGE-TAG", "v2"),
            ("INPUT_WAIT", ""),
            ("INPUT_TIME-LIMIT-MINUTES", " "),
            ("INPUT_DEPLOYMENT", "strategy: canary"),
            (
                "INPUT_ENVIRONMENT-VARIABLES",
                "{\"A\": \"--flag-like value\"}",
            ),
            (
                "INPUT_IMAGE_TAG",
                "ignored: underscores are not the runner's form",
            ),
        ]))
        .unwrap();
        assert_eq!(command, "deploy");
        assert!(problems.is_empty());
        assert_eq!(text(&layer, "environment").as_deref(), Some("dev"));
        assert_eq!(text(&layer, "image-tag").as_deref(), Some("v2"));
        assert_eq!(
            (text(&layer, "wait"), text(&layer, "time-limit-minutes")),
            (None, None)
        );
        assert_eq!(
            text(&layer, "deployment.strategy").as_deref(),
            Some("canary")
        );
        assert_eq!(
            text(&layer, "environment-variables").as_deref(),
            Some("{\"A\": \"--flag-like value\"}")
        );
    }

    #[test]
    fn values_starting_with_dashes_or_holding_newlines_survive() {
        let (_, layer, _) = read_inputs(env(&[("INPUT_CONFIRM-PRODUCTION", "--x\ny")])).unwrap();
        assert_eq!(
            text(&layer, "confirm-production").as_deref(),
            Some("--x\ny")
        );
    }

    #[test]
    fn the_command_input_picks_rollback_and_ignores_deploy_only_inputs() {
        let (command, layer, _) = read_inputs(env(&[
            ("INPUT_COMMAND", "rollback"),
            ("INPUT_ENVIRONMENT", "dev"),
            ("INPUT_IMAGE-TAG", "v2"),
            ("INPUT_REVISION", "api:3"),
        ]))
        .unwrap();
        assert_eq!(command, "rollback");
        assert_eq!(text(&layer, "revision").as_deref(), Some("api:3"));
        assert_eq!(text(&layer, "image-tag"), None);
        let err = read_inputs(env(&[("INPUT_COMMAND", "destroy")])).unwrap_err();
        assert_eq!(
            err.message,
            "input `command` is invalid: expected `deploy`, `verify`, `run-task`, `rollback` or `continue`"
        );
    }

    #[test]
    fn old_inputs_and_repository_settings_are_refused_by_name() {
        let (_, _, problems) = read_inputs(env(&[
            ("INPUT_TIMEOUT-MINUTES", "5"),
            ("INPUT_KEEP-REVISIONS", "3"),
            ("INPUT_TASK-DEFINITION-ARN", "api:3"),
        ]))
        .unwrap();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "input `task-definition-arn` was renamed",
                "input `timeout-minutes` was renamed",
                "input `keep-revisions` is set once per repository, in the config file, not by a step",
            ]
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
