//! Every setting, given in each place it may be given, arrives from the highest one: the step's
//! input (or CLI option) > the file's environment section > the file's `defaults` > the built-in
//! default; and a place a setting may not be given in is refused, naming it.

use std::ffi::OsString;
use std::fmt::Write as _;

use crate::input::layers::Origin;
use crate::input::settings::{SETTINGS, Setting, Shape};
use crate::input::{Inputs, action_env, load, read_from};

/// A value each place can hold for `setting` (or a field of it), valid YAML for its kind.
fn value(setting: &Setting, place: &str) -> String {
    match setting.kind {
        Shape::Map => format!("{{NAME_{place}: x}}"),
        Shape::Yaml
        | Shape::Text
        | Shape::Bool
        | Shape::List
        | Shape::Command
        | Shape::Mapping(_) => {
            format!("v-{place}")
        }
    }
}

/// The keys a setting resolves under: its name, or each field of a mapping.
fn keys(setting: &Setting) -> Vec<(String, Option<&'static str>)> {
    match setting.kind {
        Shape::Mapping(fields) => fields
            .iter()
            .map(|f| (format!("{}.{}", setting.name, f.name), Some(f.name)))
            .collect(),
        _ => vec![(setting.name.to_string(), None)],
    }
}

/// `name: value` for the file (a mapping setting's field as a nested mapping).
fn file_line(setting: &Setting, field: Option<&str>, value: &str) -> String {
    match field {
        Some(field) => format!("{}: {{{field}: {value}}}", setting.name),
        None => format!("{}: {value}", setting.name),
    }
}

/// The text a step gives (an input or an option).
fn step_text(field: Option<&str>, value: &str) -> String {
    match field {
        Some(field) => format!("{field}: {value}"),
        None => value.to_string(),
    }
}

fn origin_of(
    setting: &Setting,
    field: Option<&str>,
    key: &str,
    step: Option<&str>,
    env: Option<&str>,
    defaults: Option<&str>,
    actions: bool,
) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("defaults:\n");
    if let Some(v) = defaults {
        let _ = writeln!(text, "  {}", file_line(setting, field, v));
    }
    text.push_str("environments:\n  dev:\n");
    if let Some(v) = env {
        let _ = writeln!(text, "    {}", file_line(setting, field, v));
    } else {
        text.push_str("    {}\n");
    }
    std::fs::write(dir.path().join("f.yml"), &text).unwrap();
    let workspace = dir.path().to_str().unwrap().to_string();
    let command = if setting.commands.includes("deploy") {
        "deploy"
    } else {
        "rollback"
    };
    let given = step.map(|v| step_text(field, v));
    let read = if actions {
        read_from(
            |name| match name {
                "GITHUB_ACTIONS" => Some("true".into()),
                "GITHUB_WORKSPACE" => Some(workspace.clone()),
                "INPUT_COMMAND" => Some(command.into()),
                "INPUT_ENVIRONMENT" => Some("dev".into()),
                "INPUT_CONFIG" => Some("f.yml".into()),
                _ if name == action_env::input_variable(setting.name) => given.clone(),
                _ => None,
            },
            vec!["ecs-ship".into()],
        )
    } else {
        let mut args: Vec<OsString> = [
            "ecs-ship",
            command,
            "--environment",
            "dev",
            "--config",
            "f.yml",
            "--workspace",
            &workspace,
        ]
        .map(OsString::from)
        .to_vec();
        if let Some(v) = &given {
            args.push(format!("--{}={v}", setting.name).into());
        }
        read_from(|_| None, args)
    };
    let inputs =
        load(read.command.unwrap()).unwrap_or_else(|e| panic!("{key}: {}\n{text}", e.message));
    let target = match &inputs {
        Inputs::Deploy(inputs) => &inputs.args.target,
        Inputs::Rollback(args) => &args.target,
        Inputs::Continue(args) => &args.target,
    };
    assert!(target.problems.is_empty(), "{key}: {:?}", target.problems);
    target
        .origins
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, label)| label.clone())
}

#[test]
fn every_setting_comes_from_the_highest_place_that_gives_it() {
    let file = |section: &str| Origin::File {
        path: "f.yml".into(),
        section: section.into(),
    };
    let label = |origin: Origin, key: &str| Some(origin.label(key));
    let mut checked = 0;
    // Given by every run here (or not a value at all): `command`, `environment`, `config`,
    // `workspace`; `production` marks an environment of the file.
    let always = [
        "command",
        "environment",
        "config",
        "workspace",
        "production",
    ];
    for setting in SETTINGS.iter().filter(|s| !always.contains(&s.name)) {
        for (key, field) in keys(setting) {
            let v = |place: &str| value(setting, place);
            let (step, env, defaults) = (v("step"), v("env"), v("defaults"));
            let places = setting.places;
            for actions in [true, false] {
                let step_given = if actions { places.action } else { places.cli };
                let step_origin = if actions { Origin::Input } else { Origin::Cli };
                if places.file {
                    let all = origin_of(
                        setting,
                        field,
                        &key,
                        step_given.then_some(step.as_str()),
                        Some(&env),
                        Some(&defaults),
                        actions,
                    );
                    let expected = if step_given {
                        step_origin.clone()
                    } else {
                        file("environments.dev")
                    };
                    assert_eq!(all, label(expected, &key), "{key}: everywhere ({actions})");
                    let file_only = origin_of(
                        setting,
                        field,
                        &key,
                        None,
                        Some(&env),
                        Some(&defaults),
                        actions,
                    );
                    assert_eq!(
                        file_only,
                        label(file("environments.dev"), &key),
                        "{key}: the environment over the defaults"
                    );
                    let defaults_only =
                        origin_of(setting, field, &key, None, None, Some(&defaults), actions);
                    assert_eq!(
                        defaults_only,
                        label(file("defaults"), &key),
                        "{key}: the file's defaults"
                    );
                }
                if step_given {
                    // Given the built-in default, the step still wins over the file.
                    let builtin = setting
                        .default
                        .filter(|d| !d.starts_with("${{") && field.is_none());
                    let given = builtin.map_or_else(|| step.clone(), str::to_string);
                    let file_value = places.file.then_some(env.as_str());
                    let origin = origin_of(
                        setting,
                        field,
                        &key,
                        Some(&given),
                        file_value,
                        None,
                        actions,
                    );
                    assert_eq!(
                        origin,
                        label(step_origin, &key),
                        "{key}: the step's value, even the default"
                    );
                }
                let from_environment =
                    setting.name == "github-token" && std::env::var_os("GITHUB_TOKEN").is_some();
                if !from_environment {
                    let none = origin_of(setting, field, &key, None, None, None, actions);
                    assert_eq!(none, None, "{key}: nothing given: the built-in default");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 80, "{checked} settings and fields checked");
}
