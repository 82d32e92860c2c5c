//! The command line, and the single list of deploy inputs.
//!
//! [`DeployArgs`] is the one place the inputs are declared: the CLI flags come from it, Actions mode
//! reads `INPUT_*` for each of its long names (see [`crate::input::action_env`]), and a test checks that
//! `action.yml` and the README declare exactly the same names and defaults.
//! Every value stays a string here; [`crate::input`] parses the structured ones and
//! `crate::request` turns them all into a validated request.

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
    /// Roll a service back to the task definition it ran before (or to `--to`), and wait; or,
    /// with `--service-deployment-arn`, roll that deployment back (at its PAUSE hook, or stopping
    /// it), and wait.
    Rollback(Box<RollbackArgs>),
    /// Continue a service deployment paused at a PAUSE lifecycle hook, and wait for its verdict.
    Continue(Box<ContinueArgs>),
    /// Check a deploy without making it: read and render as `deploy` does, then run the
    /// preflight (secrets, parameters, roles, log groups, images, the execution role's
    /// permissions) and say every problem found. Changes nothing.
    Verify(Box<DeployArgs>),
}

/// Inputs every command takes: which service, the production gate, and how to wait.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Target environment name (dev, staging, production, ...). Required.
    #[arg(long, value_name = "NAME")]
    pub environment: Option<String>,

    /// A YAML file describing environments (e.g. `.github/ecs-ship.yml`): cluster, services,
    /// containers, SSM prefix, pre-deploy task, production gate. Inputs given win over it.
    #[arg(long, value_name = "PATH")]
    pub config: Option<String>,

    /// ECS cluster name or ARN. Default: SSM `cluster-name`.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// ECS service name or ARN. Default: SSM `service-name`.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// SSM Parameter Store prefix holding the names, e.g. `/app/{environment}/ecs`
    /// (`{environment}` is replaced). Explicit inputs win over its values.
    #[arg(long, value_name = "PREFIX")]
    pub ssm_prefix: Option<String>,

    /// Environments that need `confirm-production`, comma or newline separated (case-insensitive).
    #[arg(long, value_name = "NAMES", default_value = "production")]
    pub production_environments: String,

    /// Must be exactly `DEPLOY TO PRODUCTION` to deploy to a production environment.
    #[arg(long, value_name = "TEXT")]
    pub confirm_production: Option<String>,

    /// Tag keys that name a cluster's or service's environment, comma or newline separated: a
    /// target tagged with a production environment needs `confirm-production` whatever
    /// `environment` says.
    #[arg(long, value_name = "KEYS", default_value = "environment, env, stage")]
    pub environment_tag_keys: String,

    /// Clusters, services and SSM prefixes the config file lists under production environments
    /// (filled from the file, not an input).
    #[arg(skip)]
    pub listed_production: crate::input::config::Listed,

    /// The config file's production environments, added to `production-environments` (filled
    /// from the file, not an input).
    #[arg(skip)]
    pub production_from_config: Vec<String>,

    /// The inputs the config file gave, each with where it says so (`environments.dev.x` in
    /// config file `f`), so an error about one names the file and key (filled from the file, not
    /// an input).
    #[arg(skip)]
    pub from_config: Vec<(String, String)>,

    /// Wait for the rollout and fail the step when it fails.
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub wait: String,

    /// Wait until the deployment is `deployed` (ECS's service deployment SUCCESSFUL, bake time
    /// over), or until it is `paused` at a PAUSE lifecycle hook awaiting action (the step then
    /// succeeds with `service-deployment-arn` and `hook-id`; `command: continue` moves it on).
    #[arg(long, value_name = "WHEN", default_value = "deployed")]
    pub wait_until: String,

    /// How long the deploy may take, in minutes (decimals allowed: `0.5` is 30 seconds): from
    /// the start of the run to its verdict, a pre-deploy task's own time aside. Every read, retry
    /// and wait stops there; a rollback after a failure gets as long again.
    #[arg(long, value_name = "MINUTES", default_value = "15")]
    pub timeout_minutes: String,

    /// Fail the rollout once this many tasks of the new deployment have stopped with a failure
    /// (even without a circuit breaker); 0 turns the check off.
    #[arg(long, value_name = "COUNT", default_value = "3")]
    pub max_task_failures: String,

    /// When tasks of the new deployment (or the pre-deploy task, or a rollback) fail, show this many last lines
    /// of each failed essential container's awslogs stream (at most 3 tasks), environment values
    /// and secret references masked; 0 turns it off. At most 200.
    #[arg(long, value_name = "LINES", default_value = "30")]
    pub task_logs_lines: String,

    /// AWS region. Default: `AWS_REGION` / `AWS_DEFAULT_REGION` / the AWS profile.
    #[arg(long, value_name = "REGION")]
    pub aws_region: Option<String>,

    /// CLI only: the directory `config` and `task-definition` must be inside (after following
    /// symlinks). Default: the current directory; in Actions, `GITHUB_WORKSPACE`.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<String>,
}

/// The inputs of a deploy. Kebab-case long names are the action's input names.
#[derive(Debug, Clone, Default, Args)]
#[allow(clippy::struct_field_names)]
pub struct DeployArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Several services to deploy the same image to, instead of `service`: a YAML list of names or
    /// of `{service, container, task-definition-family, environment-variables, secrets}`.
    #[arg(long, value_name = "LIST")]
    pub services: Option<String>,

    /// A one-off task run before any service is updated (migrations): a task-definition family, or
    /// a YAML mapping of `family`, `container`, `command`, `subnets`, `security-groups`,
    /// `assign-public-ip`, `timeout-minutes`. It gets the deploy's image, env and secrets; the
    /// services are updated only when its essential containers exit 0.
    #[arg(long, value_name = "TASK")]
    pub pre_deploy_task: Option<String>,

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

    /// Container name(s) to update, comma or newline separated. Default: SSM `container-name`, else
    /// every container whose image is in the target repository.
    #[arg(long, value_name = "NAMES")]
    pub container: Option<String>,

    /// Task definition family to register into. Default: SSM `task-definition-family`, else the
    /// family of the service's current task definition.
    #[arg(long, value_name = "FAMILY")]
    pub task_definition_family: Option<String>,

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

    /// Desired task count to set on the service. Default: unchanged.
    #[arg(long, value_name = "COUNT")]
    pub desired_count: Option<String>,

    /// Start a new deployment even when the task definition did not change.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub force_new_deployment: String,

    /// Render and diff the task definition, write outputs, change nothing.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub dry_run: String,

    /// Before any write, check what the new task definitions need: secrets and parameters exist
    /// (never read), roles exist and trust ECS tasks, awslogs log groups exist, images are in
    /// ECR, and (where IAM's policy simulator may be called) the execution role may use them.
    /// A problem found stops the deploy; what cannot be checked is a warning.
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub preflight: String,

    /// `verify`: only check (set by the subcommand, not an input).
    #[arg(skip)]
    pub verify_only: bool,

    /// Pin the image by digest (`repo@sha256:...`) in the task definition.
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub pin_image_digest: String,

    /// When the rollout fails and ECS has not rolled back already, put the service back on the
    /// exact task definition it ran before, and wait for that too.
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub rollback: String,

    /// What a cancelled job (SIGTERM, SIGINT) does to the rollouts it started and has no verdict
    /// on yet: `leave` them to ECS, or `rollback` (stop each service deployment with a rollback,
    /// or update the service back to the revision it ran before) before exiting, within 4 s.
    #[arg(long, value_name = "WHAT", default_value = "leave")]
    pub on_cancel: String,

    /// Set the deployment circuit breaker (`true`: enabled with rollback; `false`: off) in the same
    /// update. Default: unchanged.
    #[arg(long, value_name = "BOOL")]
    pub circuit_breaker: Option<String>,

    /// Set the service's `maximumPercent` in the same update. Default: unchanged.
    #[arg(long, value_name = "PERCENT")]
    pub maximum_percent: Option<String>,

    /// Set the service's `minimumHealthyPercent` in the same update. Default: unchanged.
    #[arg(long, value_name = "PERCENT")]
    pub minimum_healthy_percent: Option<String>,

    /// Set the load balancer health check grace period, in seconds, in the same update. Default:
    /// unchanged.
    #[arg(long, value_name = "SECONDS")]
    pub health_check_grace_period: Option<String>,

    /// Set the service's deployment strategy in the same update: `rolling`, `blue-green`,
    /// `linear` or `canary`. Default: unchanged.
    #[arg(long, value_name = "STRATEGY")]
    pub deployment_strategy: Option<String>,

    /// Set how long ECS bakes a new revision (both revisions running, alarms watched) before the
    /// deployment is successful, 0-1440 minutes. Default: unchanged.
    #[arg(long, value_name = "MINUTES")]
    pub bake_time_minutes: Option<String>,

    /// Set the share of production traffic the canary step shifts, 0.1-100 %. Default: unchanged.
    #[arg(long, value_name = "PERCENT")]
    pub canary_percent: Option<String>,

    /// Set how long ECS bakes the canary step before shifting the rest, 0-1440 minutes. Default:
    /// unchanged.
    #[arg(long, value_name = "MINUTES")]
    pub canary_bake_minutes: Option<String>,

    /// Set the share of production traffic each linear step shifts, 3-100 %. Default: unchanged.
    #[arg(long, value_name = "PERCENT")]
    pub linear_step_percent: Option<String>,

    /// Set how long ECS bakes between linear steps, 0-1440 minutes. Default: unchanged.
    #[arg(long, value_name = "MINUTES")]
    pub linear_step_bake_minutes: Option<String>,

    /// CloudWatch alarm names (comma or newline separated) that fail and roll back a deployment,
    /// set in the same update; `none` turns alarm-based rollback off. Default: unchanged.
    #[arg(long, value_name = "NAMES")]
    pub alarms: Option<String>,

    /// Set which tags ECS copies onto the service's tasks: `TASK_DEFINITION`, `SERVICE` or `NONE`
    /// (tasks started after the update). Default: unchanged.
    #[arg(long, value_name = "FROM")]
    pub propagate_tags: Option<String>,

    /// Turn ECS managed tags on the service's tasks on or off (tasks started after the update).
    /// Default: unchanged.
    #[arg(long, value_name = "BOOL")]
    pub enable_ecs_managed_tags: Option<String>,

    /// Turn ECS Exec on or off for the service's tasks (tasks started after the update; the task
    /// role needs the SSM messages permissions). Default: unchanged.
    #[arg(long, value_name = "BOOL")]
    pub enable_execute_command: Option<String>,

    /// S3 object ARNs of `.env` files for the target containers (`environmentFiles`; ECS reads
    /// them with the execution role), comma or newline separated: added to the containers' own,
    /// or with `environment-mode: replace`, replacing them.
    #[arg(long, value_name = "ARNS")]
    pub environment_files: Option<String>,

    /// The task's CPU units (task level; `1024` is one vCPU). A Fargate task must come out a
    /// Fargate size with the memory. Default: unchanged.
    #[arg(long, value_name = "UNITS")]
    pub cpu: Option<String>,

    /// The task's memory in MiB (task level). Default: unchanged.
    #[arg(long, value_name = "MIB")]
    pub memory: Option<String>,

    /// A dotenv file in the workspace (`KEY=value` lines, `#` comments, quotes, `export `; nothing
    /// expanded) whose variables are merged like `environment-variables`, which win over it.
    #[arg(long, value_name = "PATH")]
    pub environment_file: Option<String>,

    /// The command the target containers run instead of the image's: a JSON/YAML list
    /// (`["npm", "start"]`), or a string split into arguments as a shell would, without a shell
    /// (`npm run start -- --port 8080`). (`command` picks the action's command.) Default: unchanged.
    #[arg(long, value_name = "COMMAND")]
    pub container_command: Option<String>,

    /// Deploy this existing revision (ARN or `family:revision`) exactly as it is: no render and
    /// no registration. It must be ACTIVE, of the service's family (unless
    /// `allow-family-change`), and its ECR images must exist. Promote what passed in staging.
    #[arg(long, value_name = "ARN")]
    pub task_definition_arn: Option<String>,

    /// Allow `task-definition-arn` (or the rollback's `to`) to be a revision of another family
    /// than the service runs (refused otherwise, so a production revision cannot land on a dev
    /// service by a slip).
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub allow_family_change: String,

    /// Other containers' images, deployed in the same revision: a JSON object or YAML mapping of
    /// container name to a tag in the deploy's repository (`v2`), an ECR repository of the
    /// account and region with a tag or digest (`log-router:v3`), or a full reference. Each is
    /// checked in ECR and pinned by digest like the deploy's image.
    #[arg(long, value_name = "MAP")]
    pub images: Option<String>,

    /// Docker labels for the target containers, merged by name: a JSON object or YAML mapping
    /// (`com.example.team: payments`).
    #[arg(long, value_name = "MAP")]
    pub docker_labels: Option<String>,

    /// How `environment-variables` meet the containers' environment: `merge` (set them, keep the
    /// others) or `replace` (the containers end with exactly the given variables; secrets are
    /// merged either way).
    #[arg(long, value_name = "MODE", default_value = "merge")]
    pub environment_mode: String,

    /// Variable names to take out of the containers' environment, comma or newline separated.
    #[arg(long, value_name = "NAMES")]
    pub remove_environment_variables: Option<String>,

    /// Secret names to take out of the containers' secrets, comma or newline separated.
    #[arg(long, value_name = "NAMES")]
    pub remove_secrets: Option<String>,

    /// After a verified success, write the deployment record under `ssm-prefix`
    /// (`current-image-tag` and a JSON `deployment`).
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub record_deployment: String,

    /// An image to deploy instead when the ECR repository has no images at all (bootstrapping a new
    /// environment); never used otherwise, and said loudly in the summary.
    #[arg(long, value_name = "REF")]
    pub fallback_image: Option<String>,

    /// After a verified success, deregister revisions of each deployed family beyond the newest N
    /// (never one a service, running task or scheduled job uses, or the rollback target; at most
    /// 20 per run). Default: keep all.
    #[arg(long, value_name = "N")]
    pub keep_revisions: Option<String>,

    /// After a verified success, add this tag to the deployed image in ECR (same manifest), e.g.
    /// `{environment}-latest` (`{environment}` is replaced).
    #[arg(long, value_name = "TAG")]
    pub promote_tag: Option<String>,

    /// Create a GitHub deployment for the commit in `environment` and post its statuses (off by
    /// default: a job with `environment:` already creates one). Needs `github-token` with
    /// `deployments: write`.
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub github_deployment: String,

    /// Post statuses to this existing GitHub deployment instead of creating one.
    #[arg(long, value_name = "ID")]
    pub github_deployment_id: Option<String>,

    /// Token for the GitHub API (`github-deployment`). The action passes the job's token; the CLI
    /// reads `GITHUB_TOKEN`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GITHUB_TOKEN",
        hide_env_values = true
    )]
    pub github_token: Option<String>,

    /// The URL the GitHub deployment links to (the environment's site).
    #[arg(long, value_name = "URL")]
    pub environment_url: Option<String>,

    /// Tag new revisions with the image tag and the revision they replace (needs
    /// `ecs:TagResource`); the rollback command reads the latter.
    #[arg(long, value_name = "BOOL", default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    pub tag_revisions: String,
}

/// The inputs of a rollback.
#[derive(Debug, Clone, Default, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Rollback: the task definition to go back to (ARN or `family:revision`). Default: the revision
    /// the current one replaced, as recorded by ecs-ship's `tag-revisions`.
    #[arg(long, value_name = "ARN")]
    pub to: Option<String>,

    /// Rollback: allow `to` to be a revision of another family than the service runs (refused
    /// otherwise, so a production revision cannot land on a dev service by a slip).
    #[arg(long, value_name = "BOOL", default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub allow_family_change: String,

    /// Rollback and continue: the service deployment to act on (the `service-deployment-arn`
    /// output of a deploy with `wait-until: paused`). Rollback rolls it back: at its PAUSE hook
    /// (`ContinueServiceDeployment` ROLLBACK) or, in progress, by stopping it
    /// (`StopServiceDeployment` ROLLBACK).
    #[arg(long, value_name = "ARN")]
    pub service_deployment_arn: Option<String>,

    /// Rollback and continue: the PAUSE hook expected to be awaiting action (the `hook-id`
    /// output); refused when the deployment waits at another one.
    #[arg(long, value_name = "ID")]
    pub hook_id: Option<String>,
}

/// The inputs of `continue`.
#[derive(Debug, Clone, Default, Args)]
pub struct ContinueArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Rollback and continue: the service deployment to act on (the `service-deployment-arn`
    /// output of a deploy with `wait-until: paused`). Rollback rolls it back: at its PAUSE hook
    /// (`ContinueServiceDeployment` ROLLBACK) or, in progress, by stopping it
    /// (`StopServiceDeployment` ROLLBACK).
    #[arg(long, value_name = "ARN")]
    pub service_deployment_arn: Option<String>,

    /// Rollback and continue: the PAUSE hook expected to be awaiting action (the `hook-id`
    /// output); refused when the deployment waits at another one.
    #[arg(long, value_name = "ID")]
    pub hook_id: Option<String>,
}

/// The input that picks the command in Actions mode (the CLI uses subcommands instead).
pub const COMMAND_INPUT: &str = "command";

/// A subcommand's clap definition, for reading inputs by name and for the drift test.
pub fn subcommand(name: &str) -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
        .find_subcommand(name)
        .cloned()
        .unwrap_or_else(|| panic!("subcommand `{name}` is declared"))
}

/// Options of the CLI that are not action inputs: in Actions the runner decides them
/// (`workspace` is `GITHUB_WORKSPACE`; a step must not be able to widen it).
pub const CLI_ONLY: &[&str] = &["help", "workspace"];

/// A subcommand's inputs: kebab-case names and defaults, in declaration order.
pub fn inputs_of(command: &str) -> Vec<(String, Option<String>)> {
    subcommand(command)
        .get_arguments()
        .filter_map(|arg| {
            let name = arg.get_long()?.to_string();
            let default = arg
                .get_default_values()
                .first()
                .map(|v| v.to_string_lossy().into_owned());
            Some((name, default))
        })
        .filter(|(name, _)| !CLI_ONLY.contains(&name.as_str()))
        .collect()
}

/// Every input of every command, each once, in declaration order.
pub fn all_inputs() -> Vec<(String, Option<String>)> {
    let mut all = inputs_of("deploy");
    for input in inputs_of("rollback")
        .into_iter()
        .chain(inputs_of("continue"))
    {
        if !all.iter().any(|(name, _)| *name == input.0) {
            all.push(input);
        }
    }
    all
}

/// Deploy arguments as the CLI parses `deploy --environment dev --image-tag <tag>`, for tests.
#[cfg(test)]
pub(crate) fn test_deploy_args(image_tag: &str) -> DeployArgs {
    use clap::Parser;
    let cli = Cli::parse_from([
        "ecs-ship",
        "deploy",
        "--environment",
        "dev",
        "--image-tag",
        image_tag,
    ]);
    let Command::Deploy(args) = cli.command else {
        unreachable!("deploy parsed")
    };
    *args
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
        let Command::Deploy(args) = cli.command else {
            panic!("deploy expected")
        };
        assert_eq!(args.dry_run, "true");
        assert_eq!(args.target.wait, "false");
        assert_eq!(args.pin_image_digest, "true");
    }

    #[test]
    fn inputs_list_has_kebab_names_and_defaults() {
        let inputs = inputs_of("deploy");
        assert!(inputs.contains(&("image-tag".to_string(), None)));
        assert!(inputs.contains(&("timeout-minutes".to_string(), Some("15".to_string()))));
        assert!(!inputs.iter().any(|(name, _)| name == "help"));
        assert_eq!(inputs[0].0, "environment", "target inputs come first");
    }

    #[test]
    fn rollback_shares_the_target_inputs_and_adds_to() {
        let rollback: Vec<String> = inputs_of("rollback").into_iter().map(|(n, _)| n).collect();
        assert!(
            rollback.contains(&"ssm-prefix".to_string()) && rollback.contains(&"to".to_string())
        );
        assert!(!rollback.contains(&"image-tag".to_string()));
        let all: Vec<String> = all_inputs().into_iter().map(|(n, _)| n).collect();
        assert_eq!(all.iter().filter(|n| *n == "environment").count(), 1);
        assert!(all.contains(&"to".to_string()) && all.contains(&"image-tag".to_string()));
    }
}
