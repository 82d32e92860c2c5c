//! Where settings come from: the command line or the runner's `INPUT_*` variables, the config
//! file, and the files settings name. The only reader of the process environment and of files.
//!
//! Every setting is declared once, in [`settings`]. Each place that gives settings becomes a
//! [`layers::Layer`]; [`load`] combines them with one precedence (see [`layers`]) and turns the
//! result into the command's [`Inputs`]: each scalar setting as text in [`args`], each structured
//! one (`services`, `one-off-task`, the maps, the commands, the template file) parsed into its
//! own type. A structured setting that does not parse keeps its error, for [`crate::request`] to
//! raise in its turn: the production gate is checked before anything else, whatever else is wrong.

pub mod action_env;
pub mod args;
pub mod cli;
pub mod command_line;
pub mod config;
pub mod dotenv;
pub mod layers;
pub mod maps;
pub mod parse_error;
pub mod predeploy;
pub mod services;
pub mod settings;
pub mod template;
pub mod workspace;

use crate::error::UserError;
use crate::text::split_list;
use args::{ContinueArgs, DeployArgs, RollbackArgs, TargetArgs};
use layers::{Combined, Layer, Value, resolve};
use predeploy::PreDeployInput;
use services::ServiceSpec;
use template::Template;
use workspace::Workspace;

/// A structured input, parsed, or why it could not be.
pub type Parsed<T> = Result<T, UserError>;

/// Name/value pairs in input order (environment variables, secrets).
pub type NamedValues = Vec<(String, String)>;

/// What a run was given, before anything is checked.
pub struct Given {
    /// Actions mode (inside a runner, no command-line arguments) rather than a terminal.
    pub actions: bool,
    /// The command and what the step gave, or why the runner's inputs could not be read.
    pub command: Result<Step, UserError>,
    /// `environment` as given (blank when it was not), for the report of any outcome.
    pub environment: String,
}

/// The command and the settings the step (or the command line) gave.
#[derive(Debug, Clone)]
pub struct Step {
    /// `deploy`, `verify`, `run-task`, `rollback` or `continue`.
    pub command: String,
    pub layer: Layer,
    /// Names given that are not settings here (renamed, or set once per repository).
    pub problems: Vec<UserError>,
    /// Where files are read from: `GITHUB_WORKSPACE` in Actions, `--workspace` on the CLI.
    pub workspace: Option<String>,
}

/// Reads the command: from `INPUT_*` through `env` in Actions mode, else from the command line
/// (where clap prints its own usage errors and exits).
pub fn read(env: impl Fn(&str) -> Option<String>) -> Given {
    read_from(env, std::env::args_os().collect())
}

/// [`read`] with the command line given (`args[0]` is the program).
pub fn read_from(env: impl Fn(&str) -> Option<String>, args: Vec<std::ffi::OsString>) -> Given {
    let actions = action_env::is_actions_mode(&env, args.len());
    let command = if actions {
        action_env::read_inputs(&env).map(|(command, layer, problems)| Step {
            command,
            layer,
            problems,
            // Files are read from the checkout the runner mounted, never from where a step says.
            workspace: env("GITHUB_WORKSPACE").filter(|w| !w.trim().is_empty()),
        })
    } else {
        let (command, layer, problems) = cli::read(args);
        let workspace = text(&layer, "workspace");
        Ok(Step {
            command,
            layer,
            problems,
            workspace,
        })
    };
    let environment = match &command {
        Ok(step) => text(&step.layer, "environment"),
        Err(_) => env(&action_env::input_variable("environment")),
    };
    Given {
        actions,
        command,
        environment: environment.unwrap_or_default().trim().to_string(),
    }
}

fn text(layer: &Layer, key: &str) -> Option<String> {
    layer
        .get(key)
        .and_then(|g| g.value.text())
        .filter(|t| !t.trim().is_empty())
}

/// A command's inputs with the config file merged in.
#[derive(Debug, Clone)]
pub enum Inputs {
    Deploy(Box<DeployInputs>),
    Rollback(Box<RollbackArgs>),
    Continue(Box<ContinueArgs>),
}

/// Combines what the step gave with the config file (when `config` is given) and the built-in
/// defaults, into the command's inputs. Names given in the wrong place, and a file that cannot be
/// read, are errors here, all at once; the values themselves are checked by [`crate::request`].
pub fn load(step: Step) -> Result<Inputs, UserError> {
    let Step {
        command,
        layer,
        mut problems,
        workspace,
    } = step;
    let environment = text(&layer, "environment")
        .map(|e| e.trim().to_string())
        .filter(|e| crate::domain::names::is_environment_name(e));
    let loaded = match (text(&layer, "config"), environment) {
        (Some(path), Some(environment)) => Some(config::load(
            path.trim(),
            workspace.as_deref(),
            &environment,
            text(&layer, "production-environments").as_deref(),
            &mut problems,
        )?),
        // Validation refuses a missing or malformed `environment`.
        _ => None,
    };
    let (own, defaults) = loaded
        .as_ref()
        .map(|l| (l.environment.clone(), l.defaults.clone()))
        .unwrap_or_default();
    let resolved = resolve(&[&layer, &own, &defaults]);
    let (service, services) = services_of(&resolved);
    let mut target = target_args(&resolved, workspace, service);
    target.problems = problems;
    if let Some(loaded) = loaded {
        target.production_from_config = loaded.production;
        target.listed_production = loaded.listed;
    }
    Ok(match command.as_str() {
        "rollback" => Inputs::Rollback(Box::new(RollbackArgs {
            to: resolved.text("revision"),
            allow_family_change: resolved.text("allow-family-change").unwrap_or_default(),
            service_deployment_arn: resolved.text("service-deployment-arn"),
            hook_id: resolved.text("hook-id"),
            target,
        })),
        "continue" => Inputs::Continue(Box::new(ContinueArgs {
            service_deployment_arn: resolved.text("service-deployment-arn"),
            hook_id: resolved.text("hook-id"),
            target,
        })),
        verify_or_deploy => Inputs::Deploy(Box::new(DeployInputs::resolved(
            &resolved,
            target,
            services,
            verify_or_deploy,
        ))),
    })
}

/// `services`: one service (a name or ARN) for the target, or a list.
fn services_of(r: &Combined) -> (Option<String>, Parsed<Vec<ServiceSpec>>) {
    match r.get("services").map(|g| &g.value) {
        Some(Value::Services(list)) => (None, Ok(list.clone())),
        Some(Value::Text(text)) => match services::parse_setting(text) {
            Ok(services::OneOrList::One(name)) => (Some(name), Ok(Vec::new())),
            Ok(services::OneOrList::List(list)) => (None, Ok(list)),
            Err(err) => (None, Err(err)),
        },
        _ => (None, Ok(Vec::new())),
    }
}

fn target_args(r: &Combined, workspace: Option<String>, service: Option<String>) -> TargetArgs {
    let text = |key: &str| r.text(key).unwrap_or_default();
    TargetArgs {
        environment: r.text("environment"),
        config: r.text("config"),
        cluster: r.text("cluster"),
        service,
        ssm_prefix: r.text("ssm-prefix"),
        production_environments: text("production-environments"),
        confirm_production: r.text("confirm-production"),
        environment_tag_keys: text("environment-tag-keys"),
        listed_production: config::Listed::default(),
        production_from_config: Vec::new(),
        origins: r.origins(),
        wait: text("wait"),
        timeout_minutes: text("time-limit-minutes"),
        max_task_failures: text("max-task-failures"),
        task_logs_lines: text("task-log-lines"),
        region: r.text("region"),
        workspace,
        problems: Vec::new(),
    }
}

/// A deploy's inputs: scalars as text, structured inputs parsed.
#[derive(Debug, Clone)]
pub struct DeployInputs {
    /// Every setting as text. The structured ones are parsed into the fields below, which are
    /// the ones to read.
    pub args: DeployArgs,
    pub services: Parsed<Vec<ServiceSpec>>,
    /// The `container` list.
    pub containers: Vec<String>,
    pub pre_deploy_task: Parsed<Option<PreDeployInput>>,
    /// `environment-variables` over `dotenv-file`'s; the names a null value takes out are in
    /// `args.remove_environment_variables`.
    pub environment_variables: Parsed<NamedValues>,
    pub secrets: Parsed<NamedValues>,
    pub docker_labels: Parsed<NamedValues>,
    /// `container-images`: container name → image, as written.
    pub images: Parsed<NamedValues>,
    /// `container-command`, split.
    pub container_command: Parsed<Option<Vec<String>>>,
    /// The `template` file, read and parsed.
    pub template: Parsed<Option<Template>>,
}

/// A map setting: each layer's pairs, lowest first, merged by name (the higher layer winning a
/// name); a null value takes the name out (and out of every lower layer). The pairs set, and the
/// names taken out.
fn merged_map(r: &Combined, key: &str) -> Parsed<(NamedValues, Vec<String>)> {
    let mut merged: Vec<(String, Option<String>)> = Vec::new();
    for given in r.map_layers(key) {
        let pairs = match &given.value {
            Value::Pairs(pairs) => pairs.clone(),
            Value::Text(text) => maps::parse_map_nullable(&given.origin.label(key), text)?,
            _ => Vec::new(),
        };
        merged.retain(|(name, _)| !pairs.iter().any(|(n, _)| n == name));
        merged.extend(pairs);
    }
    let removed = merged
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| n.clone())
        .collect();
    let set = merged
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
        .collect();
    Ok((set, removed))
}

/// A map setting where a null value means nothing (`container-images`, `docker-labels`): refused.
fn plain_map(r: &Combined, key: &str) -> Parsed<NamedValues> {
    let (set, removed) = merged_map(r, key)?;
    if let Some(name) = removed.first() {
        let which = crate::text::plain_name(name)
            .map_or_else(|| "a name".to_string(), |n| format!("`{n}`"));
        return Err(
            UserError::new(format!("`{key}`: the value of {which} is empty"))
                .hint("give each name a value"),
        );
    }
    Ok(set)
}

/// `dotenv-file`'s variables (read from the workspace) under `environment-variables`'s.
fn environment(r: &Combined, workspace: Option<&str>) -> Parsed<(NamedValues, Vec<String>)> {
    let (given, removed) = merged_map(r, "environment-variables")?;
    let Some(path) = r.text("dotenv-file").filter(|p| !p.trim().is_empty()) else {
        return Ok((given, removed));
    };
    let path = path.trim();
    let text = Workspace::resolve(workspace)?.read("dotenv-file", path)?;
    let from_file = dotenv::parse(&crate::text::printable(path), &text)?;
    let from_file: NamedValues = from_file
        .into_iter()
        .filter(|(n, _)| !removed.contains(n))
        .collect();
    Ok((maps::merged(&from_file, &given), removed))
}

/// A command setting: a list as given in the file, or text in the command grammar.
fn command(r: &Combined, key: &str) -> Parsed<Option<Vec<String>>> {
    let Some(given) = r.get(key) else {
        return Ok(None);
    };
    let label = given.origin.label(key);
    match &given.value {
        Value::Args(args) => command_line::check(&label, "", args.clone()).map(Some),
        Value::Text(text) if text.trim().is_empty() => Ok(None),
        Value::Text(text) => command_line::parse(&label, text).map(Some),
        _ => Ok(None),
    }
}

impl DeployInputs {
    /// A deploy's inputs from the combined settings.
    fn resolved(
        r: &Combined,
        target: TargetArgs,
        services: Parsed<Vec<ServiceSpec>>,
        name: &str,
    ) -> Self {
        let workspace = target.workspace.clone();
        let template = match r.text("template").filter(|p| !p.trim().is_empty()) {
            None => Ok(None),
            Some(path) => Workspace::resolve(workspace.as_deref())
                .and_then(|workspace| template::read(&workspace, path.trim()))
                .map(Some),
        };
        let pre_deploy_task = match r.get("one-off-task").map(|g| &g.value) {
            Some(Value::Task(task)) => Ok(Some(task.clone())),
            Some(Value::Text(text)) => predeploy::parse(text),
            _ => Ok(None),
        };
        let environment = environment(r, workspace.as_deref());
        let secrets = merged_map(r, "secrets");
        let removed = |m: &Parsed<(NamedValues, Vec<String>)>| {
            m.as_ref()
                .ok()
                .map(|(_, removed)| removed.join("\n"))
                .filter(|t| !t.is_empty())
        };
        let mut args = deploy_args(
            r,
            target,
            name == "verify",
            removed(&environment),
            removed(&secrets),
        );
        args.run_task = name == "run-task";
        Self {
            services,
            containers: split_list(&r.text("container").unwrap_or_default()),
            pre_deploy_task,
            environment_variables: environment.map(|(set, _)| set),
            secrets: secrets.map(|(set, _)| set),
            docker_labels: plain_map(r, "docker-labels"),
            images: plain_map(r, "container-images"),
            container_command: command(r, "container-command"),
            template,
            args,
        }
    }
}

/// The deploy's settings as text.
fn deploy_args(
    r: &Combined,
    target: TargetArgs,
    verify_only: bool,
    remove_environment_variables: Option<String>,
    remove_secrets: Option<String>,
) -> DeployArgs {
    let t = |key: &str| r.text(key);
    let s = |key: &str| r.text(key).unwrap_or_default();
    let map_given = |key: &str| r.map_layers(key).last().and_then(|g| g.value.text());
    DeployArgs {
        target,
        services: t("services"),
        pre_deploy_task: t("one-off-task"),
        image_tag: t("image-tag"),
        image: t("image"),
        repository: t("repository"),
        container: t("container"),
        task_definition_family: t("family"),
        task_definition: t("template"),
        environment_variables: map_given("environment-variables"),
        secrets: map_given("secrets"),
        log_group: t("awslogs.group"),
        log_region: t("awslogs.region"),
        log_stream_prefix: t("awslogs.stream-prefix"),
        execution_role_arn: t("task-settings.execution-role-arn"),
        task_role_arn: t("task-settings.task-role-arn"),
        desired_count: t("service-settings.desired-count"),
        force_new_deployment: s("force-new-deployment"),
        preflight: s("preflight"),
        verify_only,
        run_task: false,
        pin_image_digest: s("pin-image-digest"),
        on_failure: s("on-failure"),
        on_cancel: s("on-cancel"),
        circuit_breaker: t("deployment.circuit-breaker"),
        maximum_percent: t("deployment.maximum-percent"),
        minimum_healthy_percent: t("deployment.minimum-healthy-percent"),
        health_check_grace_period: t("service-settings.health-check-grace-period"),
        deployment_strategy: t("deployment.strategy"),
        bake_time_minutes: t("deployment.bake-time-minutes"),
        canary_percent: t("deployment.canary-percent"),
        canary_bake_minutes: t("deployment.canary-bake-minutes"),
        linear_step_percent: t("deployment.linear-step-percent"),
        linear_step_bake_minutes: t("deployment.linear-step-bake-minutes"),
        alarms: t("deployment.alarms"),
        propagate_tags: t("service-settings.propagate-tags"),
        enable_ecs_managed_tags: t("service-settings.ecs-managed-tags"),
        enable_execute_command: t("service-settings.execute-command"),
        environment_files: t("environment-files"),
        cpu: t("task-settings.cpu"),
        memory: t("task-settings.memory"),
        environment_file: t("dotenv-file"),
        container_command: t("container-command"),
        task_definition_arn: t("revision"),
        allow_family_change: s("allow-family-change"),
        images: map_given("container-images"),
        docker_labels: map_given("docker-labels"),
        environment_mode: s("environment-mode"),
        remove_environment_variables,
        remove_secrets,
        record_deployment: s("record-deployment"),
        fallback_image: t("fallback-image"),
        keep_revisions: t("keep-revisions"),
        schedules: t("schedules"),
        promote_tag: t("promote-tag"),
        github_deployment: s("github-deployment"),
        github_token: t("github-token"),
        environment_url: t("environment-url"),
        tag_revisions: s("revision-tags"),
    }
}

#[cfg(test)]
#[path = "precedence_tests.rs"]
mod precedence_tests;

#[cfg(test)]
impl DeployInputs {
    /// The inputs a step gives as `args`' text, without a config file (for tests that build
    /// the text by hand).
    pub(crate) fn from_args(args: DeployArgs) -> Self {
        let text = |value: &Option<String>| value.as_deref().unwrap_or("").to_string();
        let map = |key: &str, value: &Option<String>| {
            maps::parse_map_nullable(&format!("input `{key}`"), &text(value)).map(|pairs| {
                pairs
                    .into_iter()
                    .filter_map(|(n, v)| v.map(|v| (n, v)))
                    .collect::<NamedValues>()
            })
        };
        Self {
            services: services::parse(&text(&args.services)),
            containers: split_list(&text(&args.container)),
            pre_deploy_task: predeploy::parse(&text(&args.pre_deploy_task)),
            environment_variables: map("environment-variables", &args.environment_variables),
            secrets: map("secrets", &args.secrets),
            docker_labels: maps::parse_map("docker-labels", &text(&args.docker_labels)),
            images: maps::parse_map("container-images", &text(&args.images)),
            container_command: args
                .container_command
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| command_line::parse("input `container-command`", c))
                .transpose(),
            template: args
                .task_definition
                .as_deref()
                .filter(|p| !p.trim().is_empty())
                .map(|path| {
                    Workspace::resolve(args.target.workspace.as_deref())
                        .and_then(|workspace| template::read(&workspace, path.trim()))
                })
                .transpose(),
            args,
        }
    }
}
