//! The command line, and the single list of deploy inputs.
//!
//! [`DeployArgs`] is the one place the inputs are declared: the CLI flags come from it, Actions mode
//! reads `INPUT_*` for each of its long names (see [`crate::action_env`]), and a test checks that
//! `action.yml` and the README declare exactly the same names and defaults.
//! Every value stays a string here; [`crate::request`] turns them into a validated request.

use clap::{Args, Parser, Subcommand};

/// The exact text that confirms a production deploy.
pub const PRODUCTION_CONFIRMATION: &str = "DEPLOY TO PRODUCTION";

#[derive(Debug, Parser)]
#[command(
    name = "ecs-ship",
    version,
    about = "Ship application code to AWS ECS: check the image in ECR, render the task definition, \
             update the service and wait for a real verdict",
    long_about = None,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploy an image to an ECS service.
    Deploy(Box<DeployArgs>),
}

/// The inputs of a deploy. Kebab-case long names are the action's input names.
#[derive(Debug, Clone, Default, Args)]
#[allow(clippy::struct_field_names)]
pub struct DeployArgs {
    /// Target environment name (dev, staging, production, ...). Required.
    #[arg(long, value_name = "NAME")]
    pub environment: Option<String>,

    /// Image tag to deploy from the ECR repository. Give this or `image`.
    #[arg(long, value_name = "TAG")]
    pub image_tag: Option<String>,

    /// Full image reference (`repo:tag` or `repo@sha256:...`) instead of `image-tag`.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// ECR repository name or URI. Default: SSM `repository-uri`, else the repository of the target
    /// container's current image.
    #[arg(long, value_name = "NAME|URI")]
    pub repository: Option<String>,

    /// ECS cluster name or ARN. Default: SSM `cluster-name`.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// ECS service name or ARN. Default: SSM `service-name`.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Container name(s) to update, comma or newline separated. Default: SSM `container-name`, else
    /// every container whose image is in the target repository.
    #[arg(long, value_name = "NAMES")]
    pub container: Option<String>,

    /// Task definition family to register into. Default: SSM `task-definition-family`, else the
    /// family of the service's current task definition.
    #[arg(long, value_name = "FAMILY")]
    pub task_definition_family: Option<String>,

    /// SSM Parameter Store prefix holding the names, e.g. `/app/{environment}/ecs`
    /// (`{environment}` is replaced). Explicit inputs win over its values.
    #[arg(long, value_name = "PREFIX")]
    pub ssm_prefix: Option<String>,

    /// Path to a task definition template (JSON or YAML, AWS field names). Default: the service's
    /// live task definition.
    #[arg(long, value_name = "PATH")]
    pub task_definition: Option<String>,

    /// Environment variables to set, NAME to value, as a JSON object or YAML mapping.
    #[arg(long, value_name = "MAP")]
    pub environment_variables: Option<String>,

    /// Secrets to set, NAME to Secrets Manager or SSM parameter ARN, as a JSON object or YAML mapping.
    #[arg(long, value_name = "MAP")]
    pub secrets: Option<String>,

    /// CloudWatch log group for an `awslogs` log configuration on the target containers.
    #[arg(long, value_name = "GROUP")]
    pub log_group: Option<String>,

    /// Region of the log group. Default: the deploy's region. Needs `log-group`.
    #[arg(long, value_name = "REGION")]
    pub log_region: Option<String>,

    /// `awslogs` stream prefix. Default: the current prefix, else `ecs`. Needs `log-group`.
    #[arg(long, value_name = "PREFIX")]
    pub log_stream_prefix: Option<String>,

    /// Task execution role ARN to set. Default: SSM `execution-role-arn`, else unchanged.
    #[arg(long, value_name = "ARN")]
    pub execution_role_arn: Option<String>,

    /// Task role ARN to set. Default: SSM `task-role-arn`, else unchanged.
    #[arg(long, value_name = "ARN")]
    pub task_role_arn: Option<String>,

    /// Environments that need `confirm-production`, comma or newline separated (case-insensitive).
    #[arg(long, value_name = "NAMES", default_value = "production")]
    pub production_environments: String,

    /// Must be exactly `DEPLOY TO PRODUCTION` to deploy to a production environment.
    #[arg(long, value_name = "TEXT")]
    pub confirm_production: Option<String>,

    /// Wait for the rollout and fail the step when it fails.
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub wait: String,

    /// How long to wait for the rollout, in minutes (decimals allowed: `0.5` is 30 seconds).
    #[arg(long, value_name = "MINUTES", default_value = "15")]
    pub timeout_minutes: String,

    /// Desired task count to set on the service. Default: unchanged.
    #[arg(long, value_name = "COUNT")]
    pub desired_count: Option<String>,

    /// Start a new deployment even when the task definition did not change.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub force_new_deployment: String,

    /// Render and diff the task definition, write outputs, change nothing.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub dry_run: String,

    /// Pin the image by digest (`repo@sha256:...`) in the task definition.
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub pin_image_digest: String,

    /// AWS region. Default: `AWS_REGION` / `AWS_DEFAULT_REGION` / the AWS profile.
    #[arg(long, value_name = "REGION")]
    pub aws_region: Option<String>,
}

/// The deploy command's clap definition, for reading inputs by name and for the drift test.
pub fn deploy_command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
        .find_subcommand("deploy")
        .cloned()
        .expect("deploy subcommand is declared")
}

/// Every deploy input: its kebab-case name and its default, if any.
pub fn deploy_inputs() -> Vec<(String, Option<String>)> {
    deploy_command()
        .get_arguments()
        .filter_map(|arg| {
            let name = arg.get_long()?.to_string();
            let default = arg
                .get_default_values()
                .first()
                .map(|v| v.to_string_lossy().into_owned());
            Some((name, default))
        })
        .filter(|(name, _)| name != "help")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn boolean_flags_work_bare_and_with_a_value() {
        let cli =
            Cli::try_parse_from(["ecs-ship", "deploy", "--dry-run", "--wait", "false"]).unwrap();
        let Command::Deploy(args) = cli.command;
        assert_eq!(args.dry_run, "true");
        assert_eq!(args.wait, "false");
        assert_eq!(args.pin_image_digest, "true");
    }

    #[test]
    fn inputs_list_has_kebab_names_and_defaults() {
        let inputs = deploy_inputs();
        assert!(inputs.contains(&("image-tag".to_string(), None)));
        assert!(inputs.contains(&("timeout-minutes".to_string(), Some("15".to_string()))));
        assert!(!inputs.iter().any(|(name, _)| name == "help"));
    }
}
