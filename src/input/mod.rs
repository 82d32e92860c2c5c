//! Where inputs come from: the command line or the runner's `INPUT_*` variables, the config
//! file, and the files inputs name. The only reader of the process environment and of files.
//!
//! The result is [`Inputs`]: each scalar input as text (the config file's value filled in where
//! the step left one unset), and each structured input (`services`, `pre-deploy-task`, the two
//! maps, the template file) parsed once, into its own type. A structured input that does not
//! parse keeps its error, for [`crate::request`] to raise in its turn: the production gate is
//! checked before anything else, whatever else is wrong.

pub mod action_env;
pub mod cli;
pub mod config;
mod defaults;
pub mod dotenv;
pub mod maps;
pub mod parse_error;
pub mod predeploy;
pub mod services;
pub mod template;
pub mod workspace;

use crate::error::UserError;
use crate::text::split_list;
use cli::{Cli, Command, ContinueArgs, DeployArgs, RollbackArgs};
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
    /// The command and its inputs, or why the runner's inputs could not be read.
    pub command: Result<Command, UserError>,
    /// `environment` as given (blank when it was not), for the report of any outcome.
    pub environment: String,
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
        action_env::read_inputs(&env)
    } else {
        Ok(<Cli as clap::Parser>::parse_from(args).command)
    };
    let environment = match &command {
        Ok(Command::Deploy(args) | Command::Verify(args)) => args.target.environment.clone(),
        Ok(Command::Rollback(args)) => args.target.environment.clone(),
        Ok(Command::Continue(args)) => args.target.environment.clone(),
        Err(_) => env(&action_env::input_variable("environment")),
    };
    Given {
        actions,
        command,
        environment: environment.unwrap_or_default().trim().to_string(),
    }
}

/// A command's inputs with the config file merged in.
#[derive(Debug, Clone)]
pub enum Inputs {
    Deploy(Box<DeployInputs>),
    Rollback(Box<RollbackArgs>),
    Continue(Box<ContinueArgs>),
}

/// Loads the config file (when `config` is given) into the command's inputs. An unreadable or
/// invalid file is an error here; the inputs themselves are checked by [`crate::request`].
pub fn load(command: Command) -> Result<Inputs, UserError> {
    Ok(match command {
        Command::Deploy(args) => Inputs::Deploy(Box::new(config::merge_deploy(*args)?)),
        Command::Verify(mut args) => {
            args.verify_only = true;
            Inputs::Deploy(Box::new(config::merge_deploy(*args)?))
        }
        Command::Rollback(mut args) => {
            config::merge_rollback(&mut args.target)?;
            Inputs::Rollback(args)
        }
        Command::Continue(mut args) => {
            config::merge_rollback(&mut args.target)?;
            Inputs::Continue(args)
        }
    })
}

/// A deploy's inputs: scalars as text, structured inputs parsed.
#[derive(Debug, Clone)]
pub struct DeployInputs {
    /// Every input as text. The structured ones are parsed into the fields below, which are the
    /// ones to read (they also hold what the config file gives).
    pub args: DeployArgs,
    pub services: Parsed<Vec<ServiceSpec>>,
    /// The `container` list.
    pub containers: Vec<String>,
    pub pre_deploy_task: Parsed<Option<PreDeployInput>>,
    pub environment_variables: Parsed<NamedValues>,
    pub secrets: Parsed<NamedValues>,
    pub docker_labels: Parsed<NamedValues>,
    /// `images`: container name → image, as written.
    pub images: Parsed<NamedValues>,
    /// The `task-definition` file, read and parsed.
    pub template: Parsed<Option<Template>>,
}

/// `environment-file`'s variables (read from the workspace) under `environment-variables`'s.
fn environment(args: &DeployArgs) -> Parsed<NamedValues> {
    let given = maps::parse_map(
        "environment-variables",
        args.environment_variables.as_deref().unwrap_or(""),
    )?;
    let Some(path) = args
        .environment_file
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    else {
        return Ok(given);
    };
    let workspace = Workspace::resolve(args.target.workspace.as_deref())?;
    let text = workspace.read("environment-file", path)?;
    let from_file = dotenv::parse(&crate::text::printable(path), &text)?;
    Ok(maps::merged(&from_file, &given))
}

impl DeployInputs {
    /// The inputs as the step gave them, without a config file.
    pub fn from_args(args: DeployArgs) -> Self {
        let text = |value: &Option<String>| value.as_deref().unwrap_or("").to_string();
        let template = match args
            .task_definition
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => Ok(None),
            Some(path) => Workspace::resolve(args.target.workspace.as_deref())
                .and_then(|workspace| template::read(&workspace, path))
                .map(Some),
        };
        Self {
            services: services::parse(&text(&args.services)),
            containers: split_list(&text(&args.container)),
            pre_deploy_task: predeploy::parse(&text(&args.pre_deploy_task)),
            environment_variables: environment(&args),
            secrets: maps::parse_map("secrets", &text(&args.secrets)),
            docker_labels: maps::parse_map("docker-labels", &text(&args.docker_labels)),
            images: maps::parse_map("images", &text(&args.images)),
            template,
            args,
        }
    }
}
