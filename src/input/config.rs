//! The config file (setting `config`, e.g. `.github/ecs-ship.yml`): where each environment lives
//! and how it deploys, so a workflow step needs only `environment` and `image-tag`.
//!
//! ```yaml
//! defaults:                    # optional; every environment starts from these
//!   ssm-prefix: /app/{environment}/ecs
//!   time-limit-minutes: 20
//!   keep-revisions: 10
//! environments:
//!   dev:
//!     services: [api, worker]
//!   production:
//!     production: true         # needs `confirm-production`
//!     cluster: app-prod
//!     one-off-task: { command: [npm, run, migrate] }
//!     deployment: { strategy: canary, canary-percent: 10 }
//! ```
//!
//! Keys are the settings' own names (those a file may hold: see
//! [`crate::input::settings`]). Each section becomes a [`Layer`]; [`crate::input::layers`] says
//! how they combine with the step's. `production` can only add the confirmation gate, never take
//! it away. A key that is not a setting, was renamed, or is a step's own choice is a problem
//! naming its path (`environments.dev.servics`), reported with every other.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_yaml::Value as Yaml;

use crate::error::UserError;
use crate::input::layers::{Layer, Origin, Value, add_mapping};
use crate::input::maps::{OneOrMany, Pairs, YamlScalar};
use crate::input::predeploy::PreDeployInput;
use crate::input::services::OneOrList;
use crate::input::settings::{self, Shape};
use crate::input::workspace::Workspace;
use crate::text::{first_duplicate, plain_name, printable, split_list};

/// Targets the config file lists under its production environments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    pub clusters: Vec<ListedTarget>,
    /// A service is only production in its own cluster: every environment may have a `web`.
    pub services: Vec<ListedService>,
    pub ssm_prefixes: Vec<ListedTarget>,
}

/// A service a production environment lists, and where its cluster is known from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedService {
    pub name: String,
    pub environment: String,
    pub cluster: ClusterOf,
}

/// Where the cluster of a listed production service comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterOf {
    /// The environment's `cluster` (or the file's default).
    Named(String),
    /// The SSM parameter that names it: the environment's `ssm-prefix` + `/cluster-name`, read
    /// before any write.
    Ssm(String),
    /// The environment names neither: the service name alone decides.
    Unknown,
}

/// A cluster, service or SSM prefix, and the production environment that lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedTarget {
    pub name: String,
    pub environment: String,
}

impl ListedTarget {
    pub fn new(name: impl Into<String>, environment: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            environment: environment.into(),
        }
    }
}

/// One section of the file, each key as written: scalars keep their text (`1.10` stays `1.10`),
/// maps keep their pairs (a null value takes a name out), lists and mappings stay YAML.
#[derive(Debug, Clone, Default)]
struct Section {
    entries: Vec<(String, Value)>,
    /// Keys that are no setting a file may hold, in order.
    unknown: Vec<String>,
}

impl<'de> Deserialize<'de> for Section {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SectionVisitor;
        impl<'de> Visitor<'de> for SectionVisitor {
            type Value = Section;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping of settings")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Section, E> {
                Ok(Section::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Section, A::Error> {
                let mut section = Section::default();
                while let Some(key) = map.next_key::<String>()? {
                    let Some(setting) = settings::find(&key).filter(|s| s.places.file) else {
                        map.next_value::<de::IgnoredAny>()?;
                        section.unknown.push(key);
                        continue;
                    };
                    let value = match (setting.name, setting.kind) {
                        ("services", _) => match map.next_value::<OneOrList>()? {
                            OneOrList::One(name) => Value::Text(name),
                            OneOrList::List(specs) => Value::Services(specs),
                        },
                        ("one-off-task", _) => Value::Task(map.next_value::<PreDeployInput>()?),
                        (_, Shape::Text | Shape::Bool) => match map.next_value::<YamlScalar>()? {
                            YamlScalar(Some(text)) => Value::Text(text),
                            YamlScalar(None) => {
                                return Err(de::Error::custom(format!(
                                    "`{key}` needs a value (it is empty)"
                                )));
                            }
                        },
                        (_, Shape::List) => Value::Text(
                            map.next_value::<OneOrMany>()?
                                .into_vec(|t| vec![t.to_string()])
                                .join("\n"),
                        ),
                        (_, Shape::Command) => match map.next_value::<OneOrMany>()? {
                            OneOrMany::One(line) => Value::Text(line),
                            OneOrMany::Many(args) => Value::Args(args),
                        },
                        (_, Shape::Map) => {
                            let Pairs(pairs) = map.next_value::<Pairs<YamlScalar>>()?;
                            Value::Pairs(
                                pairs.into_iter().map(|(n, YamlScalar(v))| (n, v)).collect(),
                            )
                        }
                        (_, Shape::Yaml | Shape::Mapping(_)) => {
                            Value::Yaml(map.next_value::<Yaml>()?)
                        }
                    };
                    section.entries.push((key, value));
                }
                Ok(section)
            }
        }
        deserializer.deserialize_any(SectionVisitor)
    }
}

impl Section {
    fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key)
            .and_then(Value::text)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// The section as a layer, given from `origin`; problems (unknown keys, mappings that are
    /// not) added to `problems`.
    fn layer(&self, origin: &Origin, problems: &mut Vec<UserError>) -> Layer {
        let mut layer = Layer::default();
        for key in &self.unknown {
            problems.push(unknown_key(key, origin));
        }
        for (key, value) in &self.entries {
            let Some(setting) = settings::find(key) else {
                continue;
            };
            match (setting.kind, value) {
                (Shape::Mapping(_), Value::Yaml(yaml)) => {
                    add_mapping(&mut layer, setting, yaml, origin, problems);
                }
                _ => layer.set(key.clone(), value.clone(), origin.clone()),
            }
        }
        layer
    }
}

/// A key the file may not hold: renamed, a step's own choice, or no setting at all.
fn unknown_key(key: &str, origin: &Origin) -> UserError {
    let label = origin.label(key);
    if let Some(renamed) = settings::renamed(key) {
        return UserError::new(format!("{label} was renamed"))
            .hint(format!("use {}", renamed.instead));
    }
    if settings::find(key).is_some() {
        return UserError::new(format!(
            "{label} cannot be set in the config file: it is a step's own choice"
        ))
        .hint(format!(
            "give it as the step's input `{key}` (on the command line, `--{key}`)"
        ));
    }
    let keys: Vec<String> = file_keys().iter().map(|k| format!("`{k}`")).collect();
    UserError::new(format!("{label} is not a setting"))
        .hint(format!("an environment takes {}", keys.join(", ")))
}

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Section,
    environments: Pairs<Section>,
}

/// What the file says for one run.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The environment's own section.
    pub environment: Layer,
    /// The file's `defaults`.
    pub defaults: Layer,
    /// Every environment the file (or `production-environments`) makes a production one.
    pub production: Vec<String>,
    /// What those environments list, for the gate's check of the target.
    pub listed: Listed,
}

/// Reads the file at `path` (in `workspace`) for `environment`. `given_production` is the
/// step's `production-environments`, when it gives one. Problems with single keys are added to
/// `problems`; a file that cannot be read or parsed, or has no such environment, is an error.
pub fn load(
    path: &str,
    workspace: Option<&str>,
    environment: &str,
    given_production: Option<&str>,
    problems: &mut Vec<UserError>,
) -> Result<Loaded, UserError> {
    let text = Workspace::resolve(workspace)?.read("config", path)?;
    let file = parse(&text).map_err(|why| {
        UserError::new(format!("config file `{}`: {why}", printable(path))).hint(format!(
            "keys are `defaults` and `environments`; an environment takes {}",
            file_keys()
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let Pairs(environments) = file.environments;
    let Some((_, own)) = environments.iter().find(|(name, _)| name == environment) else {
        return Err(UserError::new(format!(
            "config file `{}` has no environment `{}`",
            printable(path),
            printable(environment)
        ))
        .hint(format!(
            "it describes: {}",
            environments
                .iter()
                .map(|(n, _)| printable(n))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let origin = |section: String| Origin::File {
        path: path.to_string(),
        section,
    };
    let defaults_layer = file.defaults.layer(&origin("defaults".into()), problems);
    // Every environment's keys are checked, not only the one deployed: a mistake anywhere in the
    // file is found by the first run that reads it.
    let mut environment_layer = Layer::default();
    for (name, section) in &environments {
        let layer = section.layer(
            &origin(format!("environments.{}", printable(name))),
            problems,
        );
        if name == environment {
            environment_layer = layer;
        }
    }
    // `production-environments` as the run resolves it (the step, the environment's section,
    // the defaults); given empty, it names none (and validation says so).
    let given = given_production
        .map(str::to_string)
        .or_else(|| own.get("production-environments").and_then(Value::text))
        .or_else(|| {
            file.defaults
                .get("production-environments")
                .and_then(Value::text)
        })
        .map_or_else(|| vec!["production".to_string()], |t| split_list(&t));
    let is_production = |name: &str, section: &Section| {
        let marked = section
            .text("production")
            .or_else(|| file.defaults.text("production"))
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        marked || given.iter().any(|g| g.eq_ignore_ascii_case(name))
    };
    let production: Vec<(&String, &Section)> = environments
        .iter()
        .filter(|(name, section)| is_production(name, section))
        .map(|(name, section)| (name, section))
        .collect();
    Ok(Loaded {
        listed: listed(&production, own, &file.defaults),
        production: production.iter().map(|(n, _)| (*n).clone()).collect(),
        environment: environment_layer,
        defaults: defaults_layer,
    })
}

/// What the production environments name: clusters (unless the deploy's own environment names the
/// same one: a shared cluster), services and SSM prefixes; each from its section, else the
/// file's defaults.
fn listed(production: &[(&String, &Section)], own: &Section, defaults: &Section) -> Listed {
    let text = |s: &Section, key: &str| s.text(key).or_else(|| defaults.text(key));
    let own_cluster = text(own, "cluster");
    let mut listed = Listed::default();
    for (env, s) in production {
        let env = (*env).clone();
        if let Some(cluster) = text(s, "cluster").filter(|c| Some(c) != own_cluster.as_ref()) {
            listed.clusters.push(ListedTarget::new(cluster, &env));
        }
        let prefix = text(s, "ssm-prefix").map(|p| {
            p.replace("{environment}", &env)
                .trim_end_matches('/')
                .to_string()
        });
        let cluster = match (text(s, "cluster"), &prefix) {
            (Some(cluster), _) => ClusterOf::Named(cluster),
            (None, Some(prefix)) => ClusterOf::Ssm(format!("{prefix}/cluster-name")),
            (None, None) => ClusterOf::Unknown,
        };
        let services: Vec<String> = match s.get("services").or_else(|| defaults.get("services")) {
            Some(Value::Services(services)) => {
                services.iter().map(|spec| spec.service.clone()).collect()
            }
            Some(Value::Text(name)) => vec![name.trim().to_string()],
            _ => Vec::new(),
        };
        for service in services {
            listed.services.push(ListedService {
                name: service,
                environment: env.clone(),
                cluster: cluster.clone(),
            });
        }
        if let Some(prefix) = prefix {
            listed.ssm_prefixes.push(ListedTarget::new(prefix, &env));
        }
    }
    listed
}

/// Parses the file; an error names the key's path and line.
fn parse(text: &str) -> Result<File, String> {
    let mut file: File =
        serde_yaml::from_str(text).map_err(|err| crate::input::parse_error::yaml(&err))?;
    // A map's values were read as written, and `~` reads as the text `~` that way: the file
    // read as YAML values tells which are null.
    let tree: Yaml = serde_yaml::from_str(text).unwrap_or(Yaml::Null);
    nulls_from(&mut file.defaults, &tree["defaults"]);
    for (name, section) in &mut file.environments.0 {
        nulls_from(section, &tree["environments"][name.as_str()]);
    }
    let Pairs(environments) = &file.environments;
    if let Some(name) = first_duplicate(environments.iter().map(|(n, _)| n)) {
        return Err(format!(
            "environment `{}` is described twice",
            printable(name)
        ));
    }
    let described = std::iter::once(("defaults".to_string(), &file.defaults)).chain(
        environments
            .iter()
            .map(|(name, s)| (format!("environments.{}", printable(name)), s)),
    );
    for (path, section) in described {
        for (key, value) in &section.entries {
            if let Value::Pairs(pairs) = value
                && let Some(name) = first_duplicate(pairs.iter().map(|(n, _)| n))
            {
                let which =
                    plain_name(name).map_or_else(|| "a name".to_string(), |n| format!("`{n}`"));
                return Err(format!("{path}.{key} names {which} twice"));
            }
        }
    }
    Ok(file)
}

/// Marks the map values `tree` (the section read as YAML values) says are null.
fn nulls_from(section: &mut Section, tree: &Yaml) {
    for (key, value) in &mut section.entries {
        if let Value::Pairs(pairs) = value {
            for (name, value) in pairs.iter_mut() {
                if tree[key.as_str()]
                    .as_mapping()
                    .and_then(|m| m.get(name.as_str()))
                    .is_some_and(Yaml::is_null)
                {
                    *value = None;
                }
            }
        }
    }
}

/// The keys an environment (or `defaults`) may set, in the order documented.
pub fn file_keys() -> Vec<&'static str> {
    settings::SETTINGS
        .iter()
        .filter(|s| s.places.file)
        .map(|s| s.name)
        .collect()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
