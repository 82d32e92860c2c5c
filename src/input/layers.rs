//! Settings as each place gives them, and the one rule that combines them.
//!
//! Each place (the action's inputs, the command line, the config file's `defaults`, its
//! environment's section) becomes a [`Layer`]: the settings it gives, by key, each with where it
//! came from. A mapping setting's fields are keys of their own (`deployment.strategy`), so a step
//! may set one field and the file another. [`resolve`] combines the layers with one precedence,
//! highest first: **given (input or option) > the environment's section > the file's `defaults` >
//! the built-in default**. Maps (`environment-variables`, `secrets`, `images`, `docker-labels`)
//! merge by name, the higher layer winning each name; every other setting comes whole from the
//! highest layer that gives it. Nothing compares a value with its default: a step that gives
//! `time-limit-minutes: 15` beats a file's 30 even though 15 is the default.

use std::collections::BTreeMap;

use serde_yaml::Value as Yaml;

use crate::error::UserError;
use crate::input::predeploy::PreDeployInput;
use crate::input::services::ServiceSpec;
use crate::input::settings::{self, Setting, Shape};
use crate::text::printable;

/// Where a setting came from, to name it in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An action input.
    Input,
    /// A command-line option.
    Cli,
    /// The config file: its path and the section (`defaults`, `environments.dev`).
    File { path: String, section: String },
}

impl Origin {
    /// How an error names `key` given here: input `x`, `--x`, or the file's key path.
    pub fn label(&self, key: &str) -> String {
        let key = printable(key);
        match self {
            Self::Input => format!("input `{key}`"),
            Self::Cli => match key.split_once('.') {
                Some((mapping, field)) => format!("`{field}` in `--{mapping}`"),
                None => format!("`--{key}`"),
            },
            Self::File { path, section } => {
                format!("`{section}.{key}` in config file `{}`", printable(path))
            }
        }
    }
}

/// A value as given: text (an input, an option, a file's scalar as written); or, from the
/// config file, already in its type: a mapping's field as YAML, a map's pairs (a null value takes
/// the name out), the services, the pre-deploy task, a command's arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Yaml(Yaml),
    Pairs(Vec<(String, Option<String>)>),
    Services(Vec<ServiceSpec>),
    Task(PreDeployInput),
    Args(Vec<String>),
}

impl Value {
    /// The value as one line of text: text as given, a YAML scalar as written (`1.10` stays
    /// `1.10`), a YAML list as its items joined by newlines (the list grammar of text inputs).
    /// `None` for a mapping, or a list holding one.
    pub fn text(&self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text.clone()),
            Self::Yaml(yaml) => yaml_text(yaml),
            // Stand-ins that say it was given; the value itself is read in its type.
            Self::Pairs(pairs) => Some(
                pairs
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Self::Services(services) => Some(
                services
                    .iter()
                    .map(|s| s.service.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Self::Task(_) => Some("one-off-task".to_string()),
            Self::Args(args) => Some(args.join(" ")),
        }
    }
}

fn yaml_text(yaml: &Yaml) -> Option<String> {
    match yaml {
        Yaml::Null => Some(String::new()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::String(s) => Some(s.clone()),
        Yaml::Sequence(items) => items
            .iter()
            .map(|item| match item {
                Yaml::Sequence(_) | Yaml::Mapping(_) => None,
                other => yaml_text(other),
            })
            .collect::<Option<Vec<_>>>()
            .map(|items| items.join("\n")),
        Yaml::Mapping(_) | Yaml::Tagged(_) => None,
    }
}

/// A setting as one place gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced {
    pub value: Value,
    pub origin: Origin,
}

/// The settings one place gives, by key (`name`, or `mapping.field`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer(pub BTreeMap<String, Sourced>);

impl Layer {
    pub fn set(&mut self, key: impl Into<String>, value: Value, origin: Origin) {
        self.0.insert(key.into(), Sourced { value, origin });
    }

    pub fn get(&self, key: &str) -> Option<&Sourced> {
        self.0.get(key)
    }
}

/// Adds mapping setting `setting`'s fields, given as `yaml` from `origin`, to `layer`; unknown
/// fields are problems. `label` names the mapping in them.
pub fn add_mapping(
    layer: &mut Layer,
    setting: &Setting,
    yaml: &Yaml,
    origin: &Origin,
    problems: &mut Vec<UserError>,
) {
    let label = origin.label(setting.name);
    let Yaml::Mapping(mapping) = yaml else {
        if !yaml.is_null() {
            problems.push(
                UserError::new(format!("{label} is not a mapping")).hint(format!(
                    "write it as YAML `field: value` lines; its fields are {}",
                    field_names(setting)
                )),
            );
        }
        return;
    };
    for (key, value) in mapping {
        let Some(field) = key
            .as_str()
            .and_then(|k| settings::fields(setting).iter().find(|f| f.name == k))
        else {
            let message = match key.as_str().and_then(crate::text::plain_name) {
                Some(k) => format!("{label} has no field `{k}`"),
                None => format!("{label} has a field that is none of its own"),
            };
            problems.push(
                UserError::new(message).hint(format!("its fields are {}", field_names(setting))),
            );
            continue;
        };
        let value = Value::Yaml(value.clone());
        if value.text().is_none() {
            problems.push(
                UserError::new(format!(
                    "{} is not a single value",
                    origin.label(&format!("{}.{}", setting.name, field.name))
                ))
                .hint(format!("`{}`: {}", field.name, field.help)),
            );
            continue;
        }
        layer.set(
            format!("{}.{}", setting.name, field.name),
            value,
            origin.clone(),
        );
    }
}

/// Parses a mapping setting given as text (an input, an option) into `layer`.
pub fn add_mapping_text(
    layer: &mut Layer,
    setting: &Setting,
    text: &str,
    origin: &Origin,
    problems: &mut Vec<UserError>,
) {
    match serde_yaml::from_str::<Yaml>(text) {
        Ok(yaml) => add_mapping(layer, setting, &yaml, origin, problems),
        Err(err) => problems.push(
            UserError::new(format!(
                "{} is not a YAML mapping: {}",
                origin.label(setting.name),
                crate::input::parse_error::yaml(&err)
            ))
            .hint(format!(
                "write it as `field: value` lines (or `{{field: value, ...}}`); its fields are {}",
                field_names(setting)
            )),
        ),
    }
}

fn field_names(setting: &Setting) -> String {
    settings::fields(setting)
        .iter()
        .map(|f| format!("`{}`", f.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The settings of one run, combined: the highest layer's value for each key, maps merged by
/// name (see the module's documentation).
#[derive(Debug, Clone, Default)]
pub struct Combined {
    values: BTreeMap<String, Sourced>,
    /// Map settings: each layer's map, lowest first, to merge by name.
    maps: BTreeMap<String, Vec<Sourced>>,
}

/// Combines `layers`, highest precedence first.
pub fn resolve(layers: &[&Layer]) -> Combined {
    let mut resolved = Combined::default();
    for layer in layers.iter().rev() {
        for (key, given) in &layer.0 {
            let is_map = settings::find(key).is_some_and(|s| s.kind == Shape::Map);
            if is_map {
                resolved
                    .maps
                    .entry(key.clone())
                    .or_default()
                    .push(given.clone());
            } else {
                resolved.values.insert(key.clone(), given.clone());
            }
        }
    }
    resolved
}

impl Combined {
    /// The value given for `key`, from the highest layer that gives it.
    pub fn get(&self, key: &str) -> Option<&Sourced> {
        self.values.get(key)
    }

    /// The text given for `key`, else its built-in default (not one only the runner resolves,
    /// like `${{ github.token }}`).
    pub fn text(&self, key: &str) -> Option<String> {
        match self.get(key) {
            Some(given) => given.value.text(),
            None => settings::find(key)
                .and_then(|s| s.default)
                .filter(|d| !d.starts_with("${{"))
                .map(str::to_string),
        }
    }

    /// A map setting's layers, lowest first.
    pub fn map_layers(&self, key: &str) -> &[Sourced] {
        self.maps.get(key).map_or(&[], Vec::as_slice)
    }

    /// Where each given setting came from, for naming it in errors: `(key, label)`.
    pub fn origins(&self) -> Vec<(String, String)> {
        let mut origins: Vec<(String, String)> = self
            .values
            .iter()
            .map(|(key, given)| (key.clone(), given.origin.label(key)))
            .collect();
        for (key, layers) in &self.maps {
            if let Some(top) = layers.last() {
                origins.push((key.clone(), top.origin.label(key)));
            }
        }
        origins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(layer: &mut Layer, key: &str, value: &str, origin: &Origin) {
        layer.set(key, Value::Text(value.into()), origin.clone());
    }

    #[test]
    fn the_step_beats_the_environment_which_beats_the_defaults_which_beat_the_built_in() {
        let file = |section: &str| Origin::File {
            path: "ecs-ship.yml".into(),
            section: section.into(),
        };
        let (mut step, mut env, mut defaults) =
            (Layer::default(), Layer::default(), Layer::default());
        // The step gives the built-in default; it still wins over both sections of the file.
        text(&mut step, "time-limit-minutes", "15", &Origin::Input);
        text(
            &mut env,
            "time-limit-minutes",
            "30",
            &file("environments.dev"),
        );
        text(&mut defaults, "time-limit-minutes", "45", &file("defaults"));
        text(&mut env, "on-cancel", "rollback", &file("environments.dev"));
        text(&mut defaults, "on-cancel", "leave", &file("defaults"));
        text(&mut defaults, "family", "api", &file("defaults"));
        let resolved = resolve(&[&step, &env, &defaults]);
        assert_eq!(resolved.text("time-limit-minutes").as_deref(), Some("15"));
        assert_eq!(resolved.text("on-cancel").as_deref(), Some("rollback"));
        assert_eq!(resolved.text("family").as_deref(), Some("api"));
        assert_eq!(
            resolved.text("on-failure").as_deref(),
            Some("rollback"),
            "built in"
        );
        assert_eq!(resolved.text("image-tag"), None);
        assert_eq!(
            resolved.get("family").unwrap().origin.label("family"),
            "`defaults.family` in config file `ecs-ship.yml`"
        );
    }

    #[test]
    fn mapping_fields_are_settings_of_their_own() {
        let setting = settings::find("deployment").unwrap();
        let mut problems = Vec::new();
        let mut step = Layer::default();
        add_mapping_text(
            &mut step,
            setting,
            "strategy: canary",
            &Origin::Input,
            &mut problems,
        );
        let mut file = Layer::default();
        let origin = Origin::File {
            path: "f.yml".into(),
            section: "defaults".into(),
        };
        add_mapping_text(
            &mut file,
            setting,
            "{strategy: linear, bake-time-minutes: 5, stratgy: x}",
            &origin,
            &mut problems,
        );
        let resolved = resolve(&[&step, &file]);
        assert_eq!(
            resolved.text("deployment.strategy").as_deref(),
            Some("canary")
        );
        assert_eq!(
            resolved.text("deployment.bake-time-minutes").as_deref(),
            Some("5")
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].message,
            "`defaults.deployment` in config file `f.yml` has no field `stratgy`"
        );
        let mut problems = Vec::new();
        let mut layer = Layer::default();
        let settings = settings::find("task-settings").unwrap();
        add_mapping_text(
            &mut layer,
            settings,
            "cpu: {a: 1}\n\"x\\u001b\": 1",
            &Origin::Cli,
            &mut problems,
        );
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`cpu` in `--task-settings` is not a single value",
                "`--task-settings` has a field that is none of its own"
            ]
        );
        assert!(layer.get("task-settings.cpu").is_none());
        assert_eq!(
            Origin::Cli.label("deployment.strategy"),
            "`strategy` in `--deployment`"
        );
    }

    #[test]
    fn yaml_lists_read_as_the_list_grammar_and_scalars_as_written() {
        let yaml: Yaml = serde_yaml::from_str("[a, b]").unwrap();
        assert_eq!(Value::Yaml(yaml).text().as_deref(), Some("a\nb"));
        let yaml: Yaml = serde_yaml::from_str("[200, true]").unwrap();
        assert_eq!(Value::Yaml(yaml).text().as_deref(), Some("200\ntrue"));
        let yaml: Yaml = serde_yaml::from_str("{a: 1}").unwrap();
        assert_eq!(Value::Yaml(yaml).text(), None);
    }
}
