//! The command line, built from the settings' declaration ([`crate::input::settings`]): one
//! subcommand per command, one option per setting the command line may give, grouped in `--help`
//! as the action's inputs are grouped. What it is given becomes a [`Layer`].

use std::ffi::OsString;
use std::fmt::Write as _;

use clap::{Arg, ArgAction, ArgMatches};

use crate::error::UserError;
use crate::input::layers::{Layer, Origin, Value, add_mapping_text};
use crate::input::settings::{self, RENAMED, Setting, Shape};

/// The exact text that confirms a production deploy.
pub const PRODUCTION_CONFIRMATION: &str = "DEPLOY TO PRODUCTION";

/// The commands, as the action's `command` input and the CLI's subcommands name them.
pub const COMMANDS: [(&str, &str); 5] = [
    (
        "deploy",
        "Deploy an image to ECS services: check it in ECR, render and register the task definition, update the services and wait for a verdict",
    ),
    (
        "verify",
        "Check a deploy without making it: render as `deploy` does, show the task-definition diff, run the preflight and say every problem found. Changes nothing",
    ),
    (
        "run-task",
        "Run a one-off task (`--one-off-task`) in the revision a deploy would register (registered only when it differs) or in its own family, with the service's network, and wait until it stops: its essential containers' exit codes are the result. No service is updated",
    ),
    (
        "rollback",
        "Put a service back on the revision it ran before (or on `--revision`), and wait; or, with `--service-deployment-arn`, roll that deployment back",
    ),
    (
        "continue",
        "Continue a service deployment paused at a PAUSE lifecycle hook, and wait for its verdict",
    ),
];

/// The whole command line.
pub fn command() -> clap::Command {
    let mut cli = clap::Command::new("ecs-ship")
        .version(env!("CARGO_PKG_VERSION"))
        .about(
            "Ship application code to AWS ECS: check the image in ECR, render the task definition, \
             update the service and wait for a real verdict",
        )
        .subcommand_required(true)
        .arg_required_else_help(true);
    for (name, about) in COMMANDS {
        cli = cli.subcommand(subcommand(name, about));
    }
    cli
}

fn subcommand(name: &'static str, about: &'static str) -> clap::Command {
    let mut sub = clap::Command::new(name).about(about);
    for group in settings::Group::ALL {
        for setting in settings::of(name).filter(|s| s.group == group && s.places.cli) {
            if setting.name == "command" {
                continue;
            }
            sub = sub.arg(option(setting));
        }
    }
    // The old names, hidden: refused with their replacement instead of clap's "unexpected".
    for old in RENAMED {
        if settings::find(old.old).is_none() {
            sub = sub.arg(
                Arg::new(old.old)
                    .long(old.old)
                    .hide(true)
                    .num_args(0..=1)
                    .action(ArgAction::Append),
            );
        }
    }
    sub
}

fn option(setting: &'static Setting) -> Arg {
    let mut help = setting.help.to_string();
    for field in settings::fields(setting) {
        let _ = write!(help, "\n  {}: {}", field.name, field.help);
    }
    if let Some(default) = setting.default.filter(|d| !d.starts_with("${{")) {
        let _ = write!(help, " [default: {default}]");
    }
    // `-h` shows the first sentence; `--help` all of it, a mapping's fields included.
    let short = first_sentence(setting.help);
    let mut arg = Arg::new(setting.name)
        .long(setting.name)
        .value_name(setting.value_name)
        .help(short.to_string())
        .long_help(help)
        .help_heading(setting.group.title())
        .action(ArgAction::Set);
    if setting.kind == Shape::Bool {
        arg = arg.num_args(0..=1).default_missing_value("true");
    }
    if setting.name == "github-token" {
        arg = arg.env("GITHUB_TOKEN").hide_env_values(true);
    }
    arg
}

/// A message written for a step's inputs, as the command line says it: "input `image-tag`"
/// becomes "`--image-tag`" (a mapping's field "`strategy` in `--deployment`"), and a hint's
/// workflow expression (`${{ github.sha }}`) is left out.
pub fn speak_cli(text: &str) -> String {
    let mut out = text.to_string();
    for setting in settings::SETTINGS {
        for field in settings::fields(setting) {
            out = out.replace(
                &format!("input `{}.{}`", setting.name, field.name),
                &format!("`{}` in `--{}`", field.name, setting.name),
            );
        }
        out = out
            .replace(
                &format!("inputs `{}`", setting.name),
                &format!("`--{}`", setting.name),
            )
            .replace(
                &format!("input `{}`", setting.name),
                &format!("`--{}`", setting.name),
            );
    }
    out.replace(" (e.g. from a workflow_dispatch text input)", "")
        .replace(
            "e.g. `image-tag: sha-${{ github.sha }}`",
            "e.g. `--image-tag sha-0a1b2c3`",
        )
}

/// Up to the first full stop that ends a sentence (not the one of "e.g."), without it.
fn first_sentence(text: &str) -> &str {
    let mut from = 0;
    while let Some(at) = text[from..].find(". ").map(|i| i + from) {
        if !text[..at].ends_with("e.g") && !text[..at].ends_with("i.e") {
            return &text[..at];
        }
        from = at + 2;
    }
    text.trim_end_matches('.')
}

/// The command line, read: the command's name and what it gives. Usage errors (an unknown option,
/// `--help`) are clap's own, printed by clap, and exit.
pub fn read(args: Vec<OsString>) -> (String, Layer, Vec<UserError>) {
    let matches = command().get_matches_from(args);
    let (name, sub) = matches.subcommand().expect("a subcommand is required");
    let (layer, problems) = layer(name, sub);
    (name.to_string(), layer, problems)
}

/// What a subcommand's options give.
fn layer(command: &str, matches: &ArgMatches) -> (Layer, Vec<UserError>) {
    let mut layer = Layer::default();
    let mut problems = Vec::new();
    for setting in settings::of(command).filter(|s| s.places.cli && s.name != "command") {
        let Some(value) = matches.get_one::<String>(setting.name) else {
            continue;
        };
        if matches!(setting.kind, Shape::Mapping(_)) {
            add_mapping_text(&mut layer, setting, value, &Origin::Cli, &mut problems);
        } else {
            layer.set(setting.name, Value::Text(value.clone()), Origin::Cli);
        }
    }
    for old in RENAMED {
        if settings::find(old.old).is_none() && matches.contains_id(old.old) {
            problems.push(
                UserError::new(format!("`--{}` was renamed", old.old))
                    .hint(format!("use {}", old.instead)),
            );
        }
    }
    (layer, problems)
}

/// Settings as the CLI parses `deploy --environment dev --image-tag <tag>`, for tests.
#[cfg(test)]
pub(crate) fn test_deploy_args(image_tag: &str) -> crate::input::args::DeployArgs {
    let step = crate::input::read_from(
        |_| None,
        [
            "ecs-ship",
            "deploy",
            "--environment",
            "dev",
            "--image-tag",
            image_tag,
        ]
        .map(OsString::from)
        .to_vec(),
    );
    match crate::input::load(step.command.expect("read")) {
        Ok(crate::input::Inputs::Deploy(inputs)) => inputs.args,
        _ => unreachable!("deploy parsed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(given: &[&str]) -> (String, Layer, Vec<UserError>) {
        let mut line = vec!["ecs-ship"];
        line.extend_from_slice(given);
        read(line.into_iter().map(OsString::from).collect())
    }

    fn text(layer: &Layer, key: &str) -> Option<String> {
        layer.get(key).and_then(|g| g.value.text())
    }

    #[test]
    fn short_help_is_the_first_sentence() {
        assert_eq!(first_sentence("One (e.g. `x`). Two."), "One (e.g. `x`)");
        assert_eq!(first_sentence("Only one."), "Only one");
    }

    #[test]
    fn messages_speak_cli_on_the_command_line() {
        assert_eq!(
            speak_cli("no image given: set input `image-tag` or `image`"),
            "no image given: set `--image-tag` or `image`"
        );
        assert_eq!(
            speak_cli("input `deployment.strategy` is invalid"),
            "`strategy` in `--deployment` is invalid"
        );
        assert_eq!(
            speak_cli("inputs `revision` and `image-tag` are both set"),
            "`--revision` and `image-tag` are both set"
        );
        assert!(!speak_cli("e.g. `image-tag: sha-${{ github.sha }}`").contains("${{"));
    }

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn boolean_flags_work_bare_and_with_a_value() {
        let (name, layer, problems) =
            parse(&["deploy", "--force-new-deployment", "--preflight", "false"]);
        assert_eq!(name, "deploy");
        assert!(problems.is_empty());
        assert_eq!(
            text(&layer, "force-new-deployment").as_deref(),
            Some("true")
        );
        assert_eq!(text(&layer, "preflight").as_deref(), Some("false"));
        assert_eq!(
            text(&layer, "pin-image-digest"),
            None,
            "not given: no value at all"
        );
    }

    #[test]
    fn a_mapping_option_gives_its_fields() {
        let (_, layer, problems) = parse(&[
            "deploy",
            "--deployment",
            "{strategy: canary, canary-percent: 10}",
        ]);
        assert!(problems.is_empty());
        assert_eq!(
            text(&layer, "deployment.strategy").as_deref(),
            Some("canary")
        );
        assert_eq!(
            text(&layer, "deployment.canary-percent").as_deref(),
            Some("10")
        );
    }

    #[test]
    fn an_old_name_is_refused_with_its_replacement() {
        let (_, _, problems) = parse(&["deploy", "--timeout-minutes", "5", "--dry-run"]);
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            ["`--dry-run` was renamed", "`--timeout-minutes` was renamed"]
        );
        assert!(
            problems[1]
                .hint
                .as_deref()
                .unwrap()
                .contains("`time-limit-minutes`")
        );
    }

    #[test]
    fn rollback_takes_the_target_and_revision_but_no_image() {
        let rollback = command();
        let rollback = rollback.find_subcommand("rollback").unwrap();
        let names: Vec<&str> = rollback
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long())
            .collect();
        assert!(names.contains(&"ssm-prefix") && names.contains(&"revision"));
        assert!(!names.contains(&"image-tag"));
    }
}
