//! A command's settings as text, after the places that give them were combined (see
//! [`crate::input::layers`]): one field per setting (a mapping's fields each their own), the
//! built-in default filled in. [`crate::request`] validates them. The structured settings are
//! also parsed, in [`crate::input::DeployInputs`].

/// Settings every command takes: which service, the production gate, and how to wait.
#[derive(Debug, Clone, Default)]
pub struct TargetArgs {
    pub environment: Option<String>,
    pub config: Option<String>,
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub ssm_prefix: Option<String>,
    pub production_environments: String,
    pub confirm_production: Option<String>,
    pub environment_tag_keys: String,

    /// What the config file lists under its production environments.
    pub listed_production: crate::input::config::Listed,

    /// The config file's production environments.
    pub production_from_config: Vec<String>,

    /// Where each setting given came from, `(key, label)`, to name it in errors.
    pub origins: Vec<(String, String)>,
    /// Names given in the wrong place (renamed, or set once per repository), reported with
    /// every other mistake.
    pub problems: Vec<crate::error::UserError>,
    pub wait: String,
    pub timeout_minutes: String,
    pub max_task_failures: String,
    pub task_logs_lines: String,
    pub region: Option<String>,
    pub workspace: Option<String>,
}

/// A deploy's settings (`verify`'s too).
#[derive(Debug, Clone, Default)]
#[allow(clippy::struct_field_names)]
pub struct DeployArgs {
    pub target: TargetArgs,
    pub services: Option<String>,
    pub pre_deploy_task: Option<String>,
    pub image_tag: Option<String>,
    pub image: Option<String>,
    pub repository: Option<String>,
    pub container: Option<String>,
    pub task_definition_family: Option<String>,
    pub task_definition: Option<String>,
    pub environment_variables: Option<String>,
    pub secrets: Option<String>,
    pub log_group: Option<String>,
    pub log_region: Option<String>,
    pub log_stream_prefix: Option<String>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
    pub desired_count: Option<String>,
    pub force_new_deployment: String,

    pub preflight: String,

    /// `verify`: only check.
    pub verify_only: bool,
    /// `run-task`: run the one-off task alone; no service is updated.
    pub run_task: bool,
    pub pin_image_digest: String,
    pub on_failure: String,
    pub on_cancel: String,
    pub circuit_breaker: Option<String>,
    pub maximum_percent: Option<String>,
    pub minimum_healthy_percent: Option<String>,
    pub health_check_grace_period: Option<String>,
    pub deployment_strategy: Option<String>,
    pub bake_time_minutes: Option<String>,
    pub canary_percent: Option<String>,
    pub canary_bake_minutes: Option<String>,
    pub linear_step_percent: Option<String>,
    pub linear_step_bake_minutes: Option<String>,
    pub alarms: Option<String>,
    pub propagate_tags: Option<String>,
    pub enable_ecs_managed_tags: Option<String>,
    pub enable_execute_command: Option<String>,
    pub environment_files: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub environment_file: Option<String>,
    pub container_command: Option<String>,

    /// `revision`.
    pub task_definition_arn: Option<String>,
    pub allow_family_change: String,
    pub images: Option<String>,
    pub docker_labels: Option<String>,
    pub environment_mode: String,
    pub remove_environment_variables: Option<String>,
    pub remove_secrets: Option<String>,
    pub record_deployment: String,
    pub fallback_image: Option<String>,
    pub keep_revisions: Option<String>,
    /// `schedules`: `follow`, or the rules and schedules to move.
    pub schedules: Option<String>,
    pub promote_tag: Option<String>,
    pub github_deployment: String,
    pub github_token: Option<String>,
    pub environment_url: Option<String>,
    pub tag_revisions: String,
}

/// The inputs of a rollback.
#[derive(Debug, Clone, Default)]
pub struct RollbackArgs {
    pub target: TargetArgs,

    /// `revision`: where to go back to.
    pub to: Option<String>,
    pub allow_family_change: String,
    pub service_deployment_arn: Option<String>,
    pub hook_id: Option<String>,
}

/// The inputs of `continue`.
#[derive(Debug, Clone, Default)]
pub struct ContinueArgs {
    pub target: TargetArgs,
    pub service_deployment_arn: Option<String>,
    pub hook_id: Option<String>,
}
