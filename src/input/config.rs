//! The config file (input `config`, e.g. `.github/ecs-ship.yml`): where each environment lives,
//! so a workflow step needs only `environment` and `image-tag`.
//!
//! ```yaml
//! defaults:                    # optional; every environment starts from these
//!   ssm-prefix: /bellyfed/{environment}/ecs
//!   timeout-minutes: 20
//! environments:
//!   dev:
//!     services: [api, worker]
//!   production:
//!     production: true         # needs `confirm-production`
//!     cluster: bellyfed-prod
//!     pre-deploy-task: { command: [npm, run, migrate] }
//! ```
//!
//! Keys are the action's own input names (the ones that describe *where* and *how*, not what one
//! run ships), plus `production`. Values are applied before validation, as if they were inputs:
//! an input that is given (and not just left at its default) wins over the file; maps
//! (`environment-variables`, `secrets`) merge by name, the input's values winning. `production`
//! can only add the confirmation gate, never take it away. Unknown keys are an error naming their
//! path (`environments.dev.servics`).

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::error::UserError;
use crate::input::DeployInputs;
use crate::input::cli::{DeployArgs, TargetArgs};
use crate::input::defaults::Defaults;
use crate::input::maps::{OneOrMany, Pairs, YamlScalar, merged, scalar_pairs};
use crate::input::predeploy::PreDeployInput;
use crate::input::services::Item;
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

/// A scalar as written (`1.10` stays `1.10`, `true` stays `true`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match YamlScalar::deserialize(deserializer)? {
            YamlScalar(Some(text)) => Ok(Self(text)),
            YamlScalar(None) => Err(de::Error::custom("a value is needed here (it is empty)")),
        }
    }
}

/// `container-command` in the file: a list of arguments, or a string split as a shell would;
/// kept as the input's text (a list as JSON) and parsed with the input.
#[derive(Debug, Clone)]
struct CommandText(String);

impl<'de> Deserialize<'de> for CommandText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Line(String),
            Args(Vec<String>),
        }
        Ok(Self(match Either::deserialize(deserializer)? {
            Either::Line(line) => line,
            Either::Args(args) => serde_json::to_string(&args).map_err(de::Error::custom)?,
        }))
    }
}

/// A map of scalars, in order, values as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Map(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = Pairs::<YamlScalar>::deserialize(deserializer)?;
        scalar_pairs(Some(pairs), "map")
            .map(Map)
            .map_err(de::Error::custom)
    }
}

/// Declares the settings an environment may hold: the text ones map one to one onto inputs.
macro_rules! settings {
    (
        target: [$($t:ident = $tname:literal),* $(,)?],
        deploy: [$($d:ident = $dname:literal),* $(,)?],
    ) => {
        /// What the file says about one environment (or the defaults).
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        struct Settings {
            production: Option<bool>,
            services: Option<Vec<Item>>,
            container: Option<OneOrMany>,
            environment_variables: Option<Map>,
            secrets: Option<Map>,
            docker_labels: Option<Map>,
            images: Option<Map>,
            container_command: Option<CommandText>,
            pre_deploy_task: Option<PreDeployInput>,
            $($t: Option<Text>,)*
            $($d: Option<Text>,)*
        }

        impl Settings {
            /// `self` over `base`: each key set here wins; maps merge by name.
            fn over(self, base: Self) -> Self {
                Self {
                    production: self.production.or(base.production),
                    services: self.services.or(base.services),
                    container: self.container.or(base.container),
                    environment_variables: merge_maps(base.environment_variables, self.environment_variables),
                    secrets: merge_maps(base.secrets, self.secrets),
                    docker_labels: merge_maps(base.docker_labels, self.docker_labels),
                    images: merge_maps(base.images, self.images),
                    container_command: self.container_command.or(base.container_command),
                    pre_deploy_task: self.pre_deploy_task.or(base.pre_deploy_task),
                    $($t: self.$t.or(base.$t),)*
                    $($d: self.$d.or(base.$d),)*
                }
            }

            /// Fills the shared inputs the step left unset; the names of those it filled.
            fn apply_target(&self, args: &mut TargetArgs, defaults: &Defaults) -> Vec<&'static str> {
                let mut filled = Vec::new();
                $(
                    if let Some(Text(value)) = &self.$t
                        && defaults.fill(&mut args.$t, $tname, value)
                    {
                        filled.push($tname);
                    }
                )*
                filled
            }

            /// Fills the deploy's inputs the step left unset; the names of those it filled.
            fn apply_deploy(&self, args: &mut DeployArgs, defaults: &Defaults) -> Vec<&'static str> {
                let mut filled = Vec::new();
                $(
                    if let Some(Text(value)) = &self.$d
                        && defaults.fill(&mut args.$d, $dname, value)
                    {
                        filled.push($dname);
                    }
                )*
                filled
            }

            /// The keys set in this section.
            fn set_keys(&self) -> Vec<&'static str> {
                let mut keys = Vec::new();
                $(if self.$t.is_some() { keys.push($tname); })*
                $(if self.$d.is_some() { keys.push($dname); })*
                keys
            }

            /// The input names a file may set, for the documentation and the drift test.
            fn keys() -> Vec<&'static str> {
                let mut keys = vec!["production", "services", "container", "environment-variables", "secrets", "docker-labels", "images", "container-command", "pre-deploy-task"];
                keys.extend([$($tname,)* $($dname,)*]);
                keys
            }
        }
    };
}

settings! {
    target: [
        cluster = "cluster",
        service = "service",
        ssm_prefix = "ssm-prefix",
        aws_region = "aws-region",
        wait = "wait",
        wait_until = "wait-until",
        timeout_minutes = "timeout-minutes",
        max_task_failures = "max-task-failures",
        task_logs_lines = "task-logs-lines",
    ],
    deploy: [
        repository = "repository",
        task_definition_family = "task-definition-family",
        task_definition = "task-definition",
        log_group = "log-group",
        log_region = "log-region",
        log_stream_prefix = "log-stream-prefix",
        execution_role_arn = "execution-role-arn",
        task_role_arn = "task-role-arn",
        desired_count = "desired-count",
        task_definition_arn = "task-definition-arn",
        allow_family_change = "allow-family-change",
        cpu = "cpu",
        memory = "memory",
        environment_file = "environment-file",
        environment_files = "environment-files",
        propagate_tags = "propagate-tags",
        enable_ecs_managed_tags = "enable-ecs-managed-tags",
        enable_execute_command = "enable-execute-command",
        environment_mode = "environment-mode",
        remove_environment_variables = "remove-environment-variables",
        remove_secrets = "remove-secrets",
        pin_image_digest = "pin-image-digest",
        preflight = "preflight",
        rollback = "rollback",
        on_cancel = "on-cancel",
        circuit_breaker = "circuit-breaker",
        maximum_percent = "maximum-percent",
        minimum_healthy_percent = "minimum-healthy-percent",
        health_check_grace_period = "health-check-grace-period",
        deployment_strategy = "deployment-strategy",
        bake_time_minutes = "bake-time-minutes",
        canary_percent = "canary-percent",
        canary_bake_minutes = "canary-bake-minutes",
        linear_step_percent = "linear-step-percent",
        linear_step_bake_minutes = "linear-step-bake-minutes",
        alarms = "alarms",
        record_deployment = "record-deployment",
        fallback_image = "fallback-image",
        keep_revisions = "keep-revisions",
        promote_tag = "promote-tag",
        tag_revisions = "tag-revisions",
        github_deployment = "github-deployment",
        environment_url = "environment-url",
    ],
}

fn merge_maps(base: Option<Map>, top: Option<Map>) -> Option<Map> {
    match (base, top) {
        (None, top) => top,
        (base, None) => base,
        (Some(Map(base)), Some(Map(top))) => Some(Map(merged(&base, &top))),
    }
}

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Settings,
    environments: Pairs<Settings>,
}

/// What the file says for one run: the environment's settings (defaults included), and what it
/// lists under its production environments (for the production gate).
struct Loaded {
    settings: Settings,
    /// Every environment the file or `production-environments` makes a production one.
    production: Vec<String>,
    listed: Listed,
    /// The file's path as given, the environment, and the keys its own section sets (the others
    /// come from `defaults`): where each value came from, for errors.
    path: String,
    environment: String,
    own_keys: Vec<&'static str>,
}

impl Loaded {
    /// Where the file gives `key`: `` `environments.dev.key` in config file `path` ``.
    fn origin(&self, key: &str) -> String {
        let section = if self.own_keys.contains(&key) {
            format!("environments.{}", printable(&self.environment))
        } else {
            "defaults".to_string()
        };
        format!(
            "`{section}.{key}` in config file `{}`",
            printable(&self.path)
        )
    }

    /// Records, for each input the file filled, where it came from.
    fn note_filled(&self, args: &mut TargetArgs, filled: &[&'static str]) {
        for key in filled {
            args.from_config
                .push(((*key).to_string(), self.origin(key)));
        }
    }
}

/// The settings for `environment`, defaults included. `None` when no `config` input is given.
fn load(target: &TargetArgs) -> Result<Option<Loaded>, UserError> {
    let Some(path) = target
        .config
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return Ok(None);
    };
    let Some(environment) = target
        .environment
        .as_deref()
        .map(str::trim)
        .filter(|e| crate::domain::ecs::is_environment_name(e))
    else {
        return Ok(None); // validation refuses a missing or malformed `environment`
    };
    let text = Workspace::resolve(target.workspace.as_deref())?.read("config", path)?;
    let file = parse(&text).map_err(|why| {
        UserError::new(format!("config file `{}`: {why}", printable(path))).hint(format!(
            "keys are `defaults` and `environments`; an environment takes {}",
            Settings::keys()
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let Pairs(environments) = file.environments;
    let names: Vec<String> = environments.iter().map(|(n, _)| n.clone()).collect();
    let merged: Vec<(String, Settings)> = environments
        .into_iter()
        .map(|(name, settings)| (name, settings.over(file.defaults.clone())))
        .collect();
    let own_keys = environments_own_keys(&text, environment);
    let Some((_, settings)) = merged.iter().find(|(name, _)| name == environment) else {
        return Err(UserError::new(format!(
            "config file `{}` has no environment `{}`",
            printable(path),
            printable(environment)
        ))
        .hint(format!("it describes: {}", names.join(", "))));
    };
    let given = split_list(&target.production_environments);
    let production: Vec<&(String, Settings)> = merged
        .iter()
        .filter(|(name, s)| {
            s.production == Some(true) || given.iter().any(|g| g.eq_ignore_ascii_case(name))
        })
        .collect();
    Ok(Some(Loaded {
        settings: settings.clone(),
        production: production.iter().map(|(n, _)| n.clone()).collect(),
        listed: listed(&production, settings),
        path: path.to_string(),
        environment: environment.to_string(),
        own_keys,
    }))
}

/// The keys the environment's own section of the file sets (parsed again on its own: the
/// merged settings no longer tell).
fn environments_own_keys(text: &str, environment: &str) -> Vec<&'static str> {
    parse(text)
        .ok()
        .and_then(|file| {
            let Pairs(environments) = file.environments;
            environments
                .into_iter()
                .find(|(name, _)| name == environment)
                .map(|(_, own)| own.set_keys())
        })
        .unwrap_or_default()
}

/// What the production environments name: clusters (unless the deploy's own environment names the
/// same one: a shared cluster), services and SSM prefixes.
fn listed(production: &[&(String, Settings)], own: &Settings) -> Listed {
    let text = |t: &Option<Text>| t.as_ref().map(|Text(v)| v.trim().to_string());
    let own_cluster = text(&own.cluster);
    let mut listed = Listed::default();
    for (env, s) in production {
        if let Some(cluster) = text(&s.cluster).filter(|c| Some(c) != own_cluster.as_ref()) {
            listed.clusters.push(ListedTarget::new(cluster, env));
        }
        let prefix = text(&s.ssm_prefix).map(|p| {
            p.replace("{environment}", env)
                .trim_end_matches('/')
                .to_string()
        });
        let cluster = match (text(&s.cluster), &prefix) {
            (Some(cluster), _) => ClusterOf::Named(cluster),
            (None, Some(prefix)) => ClusterOf::Ssm(format!("{prefix}/cluster-name")),
            (None, None) => ClusterOf::Unknown,
        };
        let services = s
            .services
            .iter()
            .flatten()
            .map(|Item(spec)| spec.service.clone());
        for service in text(&s.service).into_iter().chain(services) {
            listed.services.push(ListedService {
                name: service,
                environment: env.clone(),
                cluster: cluster.clone(),
            });
        }
        if let Some(prefix) = prefix {
            listed.ssm_prefixes.push(ListedTarget::new(prefix, env));
        }
    }
    listed
}

/// Parses the file; an error names the key's path and line.
fn parse(text: &str) -> Result<File, String> {
    let file: File =
        serde_yaml::from_str(text).map_err(|err| crate::input::parse_error::yaml(&err))?;
    let Pairs(environments) = &file.environments;
    if let Some(name) = first_duplicate(environments.iter().map(|(n, _)| n)) {
        return Err(format!("environment `{name}` is described twice"));
    }
    let described = std::iter::once(("defaults".to_string(), &file.defaults)).chain(
        environments
            .iter()
            .map(|(name, s)| (format!("environments.{}", printable(name)), s)),
    );
    for (path, settings) in described {
        for (key, map) in [
            ("environment-variables", &settings.environment_variables),
            ("secrets", &settings.secrets),
        ] {
            let names = map
                .iter()
                .flat_map(|Map(pairs)| pairs.iter().map(|(n, _)| n));
            if let Some(name) = first_duplicate(names) {
                let which =
                    plain_name(name).map_or_else(|| "a name".to_string(), |n| format!("`{n}`"));
                return Err(format!("{path}.{key} names {which} twice"));
            }
        }
    }
    Ok(file)
}

/// Fills the shared inputs (and the production gate) from the file: the file's production
/// environments join `production-environments` (they can only add to the gate), and what they
/// list is kept for the gate's check of the target.
fn apply_target(args: &mut TargetArgs, loaded: &Loaded, command: &str) {
    let defaults = Defaults::new(command);
    let filled = loaded.settings.apply_target(args, &defaults);
    loaded.note_filled(args, &filled);
    args.production_from_config.clone_from(&loaded.production);
    args.listed_production = loaded.listed.clone();
}

/// `err`, naming the config file and key instead of the input when the file gave it: "input
/// `bake-time-minutes` is invalid" becomes "`environments.dev.bake-time-minutes` in config file
/// `.github/ecs-ship.yml` is invalid".
pub fn name_origin(mut err: UserError, from_config: &[(String, String)]) -> UserError {
    for (input, origin) in from_config {
        for quoted in [format!("input `{input}`"), format!("`{input}`")] {
            if err.message.contains(&quoted) {
                err.message = err.message.replacen(&quoted, origin, 1);
                return err;
            }
        }
    }
    err
}

/// A deploy's inputs, with the file (when `config` is given) merged in: its scalars fill the
/// inputs the step left unset, its lists and task replace empty ones, and its maps merge with
/// the step's by name (the step's values winning).
pub fn merge_deploy(mut args: DeployArgs) -> Result<DeployInputs, UserError> {
    let Some(mut loaded) = load(&args.target)? else {
        return Ok(DeployInputs::from_args(args));
    };
    let blank = |v: Option<&String>| v.is_none_or(|s| s.trim().is_empty());
    if !blank(args.target.service.as_ref()) || !blank(args.services.as_ref()) {
        // The step names its service(s): the file's do not apply.
        loaded.settings.service = None;
        loaded.settings.services = None;
    }
    apply_target(&mut args.target, &loaded, "deploy");
    let defaults = Defaults::new("deploy");
    let filled = loaded.settings.apply_deploy(&mut args, &defaults);
    loaded.note_filled(&mut args.target, &filled);
    let settings = loaded.settings;
    let mut inputs = DeployInputs::from_args(args);
    let unset = |name: &str, value: &Option<String>| {
        defaults.left_unset(name, value.as_deref().unwrap_or(""))
    };
    if let Some(items) = settings.services {
        inputs.services = Ok(items.into_iter().map(|Item(spec)| spec).collect());
    }
    if let Some(names) = settings.container
        && unset("container", &inputs.args.container)
    {
        inputs.containers = names.into_vec(split_list);
    }
    if let Some(task) = settings.pre_deploy_task
        && unset("pre-deploy-task", &inputs.args.pre_deploy_task)
    {
        inputs.pre_deploy_task = Ok(Some(task));
    }
    if let Some(Map(from_file)) = settings.environment_variables {
        inputs.environment_variables = inputs
            .environment_variables
            .map(|given| merged(&from_file, &given));
    }
    if let Some(Map(from_file)) = settings.secrets {
        inputs.secrets = inputs.secrets.map(|given| merged(&from_file, &given));
    }
    if let Some(CommandText(command)) = settings.container_command
        && unset("container-command", &inputs.args.container_command)
    {
        inputs.args.container_command = Some(command);
    }
    if let Some(Map(from_file)) = settings.images {
        inputs.images = inputs.images.map(|given| merged(&from_file, &given));
    }
    if let Some(Map(from_file)) = settings.docker_labels {
        inputs.docker_labels = inputs.docker_labels.map(|given| merged(&from_file, &given));
    }
    Ok(inputs)
}

/// A rollback's inputs, with the file (when `config` is given) merged in: only where the service
/// is and how to wait.
pub fn merge_rollback(args: &mut TargetArgs) -> Result<(), UserError> {
    if let Some(loaded) = load(args)? {
        apply_target(args, &loaded, "rollback");
    }
    Ok(())
}

/// The keys an environment may set, in the order documented.
pub fn keys() -> Vec<&'static str> {
    Settings::keys()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
