//! A deploy's inputs, checked, into a [`DeployRequest`].

use super::parse::{
    check_names, given, invalid, parse_bool, parse_list, region, role_arn, whole_number,
};
use super::{
    DeployRequest, EnvironmentMode, GitHubRequest, ImageSpec, LogSettings, NamedValues, Secret,
    predeploy, services,
};
use crate::domain::deployment_settings::{
    Alarms, CircuitBreaker, DeploymentSettings, Tenths, TrafficStep, strategy_input,
};
use crate::domain::image::{self, ImageRef, RepositoryRef};
use crate::domain::names::is_ecs_name;
use crate::domain::run_options::OnCancel;
use crate::domain::states::DeploymentStrategy;
use crate::error::UserError;
use crate::input::DeployInputs;
use crate::input::args::DeployArgs;
use crate::input::services::ServiceSpec;
use crate::request::Target;
use crate::request::problems::Problems;

/// Validates every input; every problem found is returned at once, each naming its input.
pub fn validate(inputs: &DeployInputs) -> Result<DeployRequest, UserError> {
    validate_all(inputs).map_err(UserError::many)
}

/// [`validate`], its problems one by one.
pub fn validate_all(inputs: &DeployInputs) -> Result<DeployRequest, Vec<UserError>> {
    let args = &inputs.args;
    let mut p = Problems::default();
    let destination = p.option_all(destination(inputs));
    let image = p.option(match given(args.task_definition_arn.as_ref()) {
        Some(revision) => existing_revision(inputs, revision),
        None => image_spec(args),
    });
    let repository = p.take(repository(args));
    let containers = p.take(names(inputs));
    let maps = p.option(maps(inputs));
    let (environment_variables, secrets) = maps.clone().unwrap_or_default();
    let (environment_mode, remove_environment_variables, remove_secrets) = p.take(removals(args));
    if environment_mode == EnvironmentMode::Replace && maps.is_some() {
        let services = destination.as_ref().map_or(&[][..], |(_, s)| s.as_slice());
        p.take(empty_replacement(inputs, services, &environment_variables));
    }
    let desired_count = p.take(desired_count(args));
    let pre_deploy = p.take(pre_deploy(inputs, args.run_task));
    let template = p.take(inputs.template.clone());
    let docker_labels = p.take(docker_labels(inputs));
    let images = p.take(images(inputs));
    let container_command = p.take(inputs.container_command.clone());
    let environment_files = p.take(environment_files(args.environment_files.as_ref()));
    let allow_family_change = p.take(parse_bool("allow-family-change", &args.allow_family_change));
    let (cpu, memory) = p.take(task_size(args));
    let logging = p.take(logging(args));
    let execution_role_arn = p.take(role_arn(
        "task-settings.execution-role-arn",
        args.execution_role_arn.as_ref(),
    ));
    let task_role_arn = p.take(role_arn(
        "task-settings.task-role-arn",
        args.task_role_arn.as_ref(),
    ));
    let force_new_deployment = p.take(parse_bool(
        "force-new-deployment",
        &args.force_new_deployment,
    ));
    let preflight = args.verify_only || p.take(parse_bool("preflight", &args.preflight));
    let pin_image_digest = p.take(parse_bool("pin-image-digest", &args.pin_image_digest));
    let rollback = p.take(on_failure(args));
    let on_cancel = p.take(on_cancel(args));
    let settings = p.take(settings(args));
    let tag_revisions = p.take(parse_bool("revision-tags", &args.tag_revisions));
    let record_deployment = p.take(parse_bool("record-deployment", &args.record_deployment));
    let (fallback_image, keep_revisions) = p.take(bootstrap_and_clean_up(args));
    let schedules = p.take(schedules(args));
    let github = p.take(github(args));
    let promote_tag = destination
        .as_ref()
        .and_then(|(target, _)| p.option(promote_tag(args, &target.environment)))
        .flatten();
    let (Some((target, services)), Some(image)) = (destination, image) else {
        return Err(p.into_result(|| ()).expect_err("a check failed"));
    };
    p.into_result(|| DeployRequest {
        services,
        pre_deploy,
        image,
        repository,
        containers,
        family: given(args.task_definition_family.as_ref()).map(str::to_string),
        template,
        environment_variables,
        environment_mode,
        remove_environment_variables,
        remove_secrets,
        docker_labels,
        images,
        container_command,
        environment_files,
        allow_family_change,
        cpu,
        memory,
        secrets,
        logging,
        execution_role_arn,
        task_role_arn,
        desired_count,
        force_new_deployment,
        verify_only: args.verify_only,
        run_task: args.run_task,
        preflight,
        pin_image_digest,
        rollback,
        on_cancel,
        settings,
        tag_revisions,
        record_deployment,
        fallback_image,
        keep_revisions,
        schedules,
        github,
        promote_tag,
        target,
    })
}

fn repository(args: &DeployArgs) -> Result<Option<RepositoryRef>, UserError> {
    given(args.repository.as_ref())
        .map(|r| RepositoryRef::parse(r).map_err(|why| invalid("repository", r, &why)))
        .transpose()
}

/// `one-off-task`, which `run-task` needs.
fn pre_deploy(
    inputs: &DeployInputs,
    run_task: bool,
) -> Result<Option<predeploy::PreDeployTask>, UserError> {
    if run_task && matches!(inputs.pre_deploy_task, Ok(None)) {
        return Err(UserError::new(
            "`run-task` needs input `one-off-task`: the task to run",
        )
        .hint("give `one-off-task` a `command` (it runs in the service's new revision) or a `family`, e.g. `one-off-task: {command: [./backfill.sh]}`"));
    }
    inputs
        .pre_deploy_task
        .clone()
        .and_then(|task| task.as_ref().map(predeploy::validate).transpose())
}

fn desired_count(args: &DeployArgs) -> Result<Option<i32>, UserError> {
    given(args.desired_count.as_ref())
        .map(|v| {
            whole_number("service-settings.desired-count", v, 0..=5000)
                .map(|n| i32::try_from(n).expect("range fits i32"))
        })
        .transpose()
}

/// `fallback-image` and `keep-revisions`.
fn bootstrap_and_clean_up(
    args: &DeployArgs,
) -> Result<(Option<ImageRef>, Option<usize>), UserError> {
    let fallback = given(args.fallback_image.as_ref())
        .map(|r| ImageRef::parse(r).map_err(|why| invalid("fallback-image", r, &why)))
        .transpose()?;
    let keep = given(args.keep_revisions.as_ref())
        .map(|v| {
            whole_number("keep-revisions", v, 1..=1000)
                .map(|n| usize::try_from(n).expect("positive"))
        })
        .transpose()?;
    Ok((fallback, keep))
}

/// `schedules`: `follow`, or names of rules (EventBridge: letters, digits, `.`, `-`, `_`, at most
/// 64) and schedules (`group/name`, the same characters).
fn schedules(
    args: &DeployArgs,
) -> Result<Option<crate::domain::run_options::SchedulesToMove>, UserError> {
    use crate::domain::run_options::SchedulesToMove;
    let Some(given) = given(args.schedules.as_ref()) else {
        return Ok(None);
    };
    if given.trim() == "follow" {
        return Ok(Some(SchedulesToMove::Follow));
    }
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 64
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    let names = crate::text::split_list(given);
    for (i, name) in names.iter().enumerate() {
        let ok = match name.split_once('/') {
            Some((group, schedule)) => part(group) && part(schedule),
            None => part(name),
        };
        if !ok {
            return Err(UserError::new(format!(
                "input `schedules` is invalid: name {} is not a rule or schedule name",
                i + 1
            ))
            .hint("give `follow`, or names of EventBridge rules and Scheduler schedules (`group/name`): letters, digits, `.`, `-`, `_`, at most 64 each"));
        }
    }
    if names.is_empty() {
        return Ok(None);
    }
    Ok(Some(SchedulesToMove::Named(names)))
}

/// `task-settings`' `cpu` and `memory`, each in ECS's range.
fn task_size(args: &DeployArgs) -> Result<(Option<u32>, Option<u32>), UserError> {
    let size = |input: &str, value: Option<&String>, range| {
        given(value)
            .map(|v| {
                whole_number(input, v, range).map(|n| u32::try_from(n).expect("range fits u32"))
            })
            .transpose()
    };
    Ok((
        size("task-settings.cpu", args.cpu.as_ref(), 128..=16_384)?,
        size("task-settings.memory", args.memory.as_ref(), 128..=122_880)?,
    ))
}

/// `on-cancel`: `leave` or `rollback`.
fn on_cancel(args: &DeployArgs) -> Result<OnCancel, UserError> {
    match args.on_cancel.trim() {
        "leave" => Ok(OnCancel::Leave),
        "rollback" => Ok(OnCancel::Rollback),
        other => Err(invalid(
            "on-cancel",
            other,
            "expected `leave` or `rollback`",
        )),
    }
}

/// Where the deploy goes: the target (the production gate first of all), then the services
/// listed, which the gate checks too, before any AWS call.
fn destination(inputs: &DeployInputs) -> Result<(Target, Vec<ServiceSpec>), Vec<UserError>> {
    let target = inputs.args.target.validate_all();
    let services = inputs.services.clone().and_then(|services| {
        services::check(&services)?;
        services::check_variable_names(&services)?;
        Ok(services)
    });
    let (mut target, services) = match (target, services) {
        (Ok(target), Ok(services)) => (target, services),
        (target, services) => {
            let mut errors = target.err().unwrap_or_default();
            errors.extend(services.err());
            return Err(errors);
        }
    };
    target.production |= target
        .gate
        .check(&crate::request::gate::Destination {
            ssm_prefix: target.ssm_prefix.as_deref(),
            cluster: target.cluster.as_deref(),
            cluster_tags: &[],
            services: services
                .iter()
                .map(|s| (s.service.as_str(), &[][..]))
                .collect(),
            ssm_clusters: None,
        })
        .map_err(|err| vec![err])?;
    Ok((target, services))
}

/// The `container` list and the `family`, both ECS names.
fn names(inputs: &DeployInputs) -> Result<Vec<String>, UserError> {
    if let Some(bad) = inputs.containers.iter().find(|c| !is_ecs_name(c)) {
        return Err(invalid(
            "container",
            bad,
            "container names use letters, digits, `-` and `_`",
        ));
    }
    if let Some(f) = given(inputs.args.task_definition_family.as_ref())
        && !is_ecs_name(f)
    {
        return Err(invalid(
            "family",
            f,
            "use letters, digits, `-` and `_` (at most 255)",
        ));
    }
    Ok(inputs.containers.clone())
}

fn maps(inputs: &DeployInputs) -> Result<(NamedValues, NamedValues), UserError> {
    let environment_variables = inputs.environment_variables.clone()?;
    check_names("environment-variables", "variable", &environment_variables)?;
    if let Some((name, _)) = environment_variables.iter().find(|(_, v)| v.contains('\0')) {
        return Err(UserError::new(format!(
            "input `environment-variables`: the value of {} has a NUL character, which no environment variable can hold",
            crate::text::plain_name(name)
                .map_or_else(|| "a variable".to_string(), |n| format!("`{n}`"))
        )));
    }
    let secrets = inputs.secrets.clone()?;
    check_names("secrets", "secret", &secrets)?;
    for (name, value_from) in &secrets {
        if value_from.is_empty()
            || value_from
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(UserError::new(format!("input `secrets`: `{name}` must name a Secrets Manager secret or SSM parameter ARN"))
                .hint("values are `valueFrom` references like `arn:aws:secretsmanager:<region>:<account>:secret:<name>`, never the secret itself"));
        }
    }
    if let Some((name, _)) = environment_variables
        .iter()
        .find(|(n, _)| secrets.iter().any(|(s, _)| s == n))
    {
        return Err(UserError::new(format!(
            "`{name}` is in both `environment-variables` and `secrets`"
        ))
        .hint("ECS refuses a name that is both; keep it in one map"));
    }
    Ok((environment_variables, secrets))
}

/// `environment-files`: S3 object ARNs of `.env` files (ECS reads them with the execution
/// role), at most 10 (ECS's limit per container), none twice.
fn environment_files(value: Option<&String>) -> Result<Vec<String>, UserError> {
    let arns = parse_list(value);
    for arn in &arns {
        let object = ["arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"]
            .iter()
            .find_map(|prefix| arn.strip_prefix(prefix));
        let ok = object.is_some_and(|o| {
            o.split_once('/').is_some_and(|(bucket, key)| {
                !bucket.is_empty()
                    && std::path::Path::new(key)
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("env"))
                    && key.len() > 4
            })
        }) && !arn
            .chars()
            .any(|c| c.is_whitespace() || crate::text::is_hidden(c));
        if !ok {
            return Err(invalid(
                "environment-files",
                arn,
                "expected S3 object ARNs of `.env` files, like `arn:aws:s3:::bucket/app/prod.env`",
            ));
        }
        // S3's limits: a bucket name of 3 to 63 characters, an object key of at most 1,024 bytes.
        if let Some((bucket, key)) = object.and_then(|o| o.split_once('/'))
            && (bucket.len() > 63 || key.len() > 1024)
        {
            return Err(UserError::new(format!(
                "input `environment-files`: an ARN is {} bytes long, longer than S3 allows (buckets have at most 63 characters, keys at most 1,024 bytes)",
                arn.len()
            ))
            .hint("give each `.env` file's S3 object ARN, comma or newline separated"));
        }
    }
    if arns.len() > 10 {
        return Err(UserError::new(
            "input `environment-files` names more than 10 files (ECS's limit per container)",
        ));
    }
    if crate::text::first_duplicate(arns.iter().map(String::as_str)).is_some() {
        return Err(UserError::new(
            "input `environment-files` names a file twice",
        ));
    }
    Ok(arns)
}

/// `container-images`: container names, each with a tag (no `:`, `@` or `/`) or an image reference.
fn images(inputs: &DeployInputs) -> Result<Vec<(String, ImageSpec)>, UserError> {
    inputs
        .images
        .clone()?
        .into_iter()
        .map(|(container, value)| {
            if !is_ecs_name(&container) {
                return Err(super::parse::invalid_name(
                    "container-images",
                    &container,
                    "container names use letters, digits, `-` and `_` (at most 255)",
                ));
            }
            let spec = if value.contains([':', '@', '/']) {
                ImageSpec::Reference(
                    ImageRef::parse(&value)
                        .ok()
                        .filter(|r| r.tag.is_some() || r.digest.is_some())
                        .ok_or_else(|| {
                            invalid(
                                "container-images",
                                &value,
                                &format!("the image of `{container}` is not a reference with a tag or digest"),
                            )
                        })?,
                )
            } else if image::is_tag(&value) {
                ImageSpec::Tag(value)
            } else {
                return Err(invalid("container-images", &value, image::TAG_RULE));
            };
            Ok((container, spec))
        })
        .collect()
}

/// `docker-labels`: keys that print as they read (no control or invisible characters), at most
/// 255 characters; any value.
fn docker_labels(inputs: &DeployInputs) -> Result<NamedValues, UserError> {
    let labels = inputs.docker_labels.clone()?;
    for (key, _) in &labels {
        if key.is_empty() || key.chars().count() > 255 || key.chars().any(crate::text::is_hidden) {
            return Err(super::parse::invalid_name(
                "docker-labels",
                key,
                "label keys are 1 to 255 characters without control or invisible ones",
            ));
        }
    }
    Ok(labels)
}

/// `environment-mode`, and the names a null value in `environment-variables` or `secrets` takes
/// out: variable names, and no removal under `replace` (which already leaves only the given
/// variables). A name is set or taken out, never both: each map holds it once.
fn removals(args: &DeployArgs) -> Result<(EnvironmentMode, Vec<String>, Vec<String>), UserError> {
    let mode = match args.environment_mode.trim() {
        "merge" => EnvironmentMode::Merge,
        "replace" => EnvironmentMode::Replace,
        other => {
            return Err(invalid(
                "environment-mode",
                other,
                "expected `merge` or `replace`",
            ));
        }
    };
    let list = |input: &str, value: Option<&String>| {
        let names = parse_list(value);
        let pairs: Vec<(String, String)> =
            names.iter().map(|n| (n.clone(), String::new())).collect();
        check_names(input, "variable", &pairs)?;
        Ok::<_, UserError>(names)
    };
    let remove_env = list(
        "environment-variables",
        args.remove_environment_variables.as_ref(),
    )?;
    let remove_secrets = list("secrets", args.remove_secrets.as_ref())?;
    if mode == EnvironmentMode::Replace && !remove_env.is_empty() {
        return Err(UserError::new(
            "input `environment-variables` takes a variable out (a null value), and `environment-mode` is `replace`",
        )
        .hint("`replace` already leaves only the variables given; drop the null values, or use `merge`"));
    }
    Ok((mode, remove_env, remove_secrets))
}

/// `environment-mode: replace` with no variable given from anywhere (a secret that expanded to
/// empty, say) would deploy containers with no environment at all: refused, unless the input
/// says it is meant with an empty mapping (`{}`) or environment files replace it.
fn empty_replacement(
    inputs: &DeployInputs,
    services: &[ServiceSpec],
    environment_variables: &NamedValues,
) -> Result<(), UserError> {
    let args = &inputs.args;
    let explicit_empty = given(args.environment_variables.as_ref())
        .is_some_and(|v| v.chars().filter(|c| !c.is_whitespace()).eq("{}".chars()));
    let nothing = environment_variables.is_empty()
        && services.iter().all(|s| s.environment_variables.is_empty())
        && given(args.environment_files.as_ref()).is_none();
    if nothing && !explicit_empty {
        return Err(UserError::new(
            "input `environment-mode` is `replace`, and no environment variable is given: every variable would be removed",
        )
        .hint("give the variables (`environment-variables`, `dotenv-file`), or `environment-variables: {}` if the containers are really to have none"));
    }
    Ok(())
}

/// `promote-tag`, with `{environment}` replaced.
fn promote_tag(args: &DeployArgs, environment: &str) -> Result<Option<String>, UserError> {
    given(args.promote_tag.as_ref())
        .map(|t| {
            let tag = t.replace("{environment}", environment);
            if image::is_tag(&tag) {
                Ok(tag)
            } else {
                Err(invalid("promote-tag", &tag, image::TAG_RULE))
            }
        })
        .transpose()
}

fn github(args: &DeployArgs) -> Result<Option<GitHubRequest>, UserError> {
    let (create, deployment_id) = match args.github_deployment.trim() {
        "true" => (true, None),
        "false" | "" => (false, None),
        id => match id.parse::<u64>().ok().filter(|n| *n > 0) {
            Some(id) => (false, Some(id)),
            None => {
                return Err(invalid(
                    "github-deployment",
                    id,
                    "expected `true`, `false` or a deployment id (a number)",
                ));
            }
        },
    };
    let environment_url = given(args.environment_url.as_ref())
        .map(|url| {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 2000
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                Ok(url.to_string())
            } else {
                Err(invalid("environment-url", url, "expected an http(s) URL"))
            }
        })
        .transpose()?;
    if !create && deployment_id.is_none() {
        return Ok(None);
    }
    let token = given(args.github_token.as_ref()).ok_or_else(|| {
        UserError::new("`github-deployment` needs a token, and `github-token` is empty")
            .hint("the action passes the job's token by default; give the job `permissions: deployments: write`")
    })?;
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UserError::new(
            "input `github-token` is not a token (it has spaces or control characters)",
        ));
    }
    Ok(Some(GitHubRequest {
        token: Secret(token.to_string()),
        deployment_id,
        environment_url,
    }))
}

/// `on-failure`: whether to roll back a failed rollout ECS has not rolled back already.
fn on_failure(args: &DeployArgs) -> Result<bool, UserError> {
    match args.on_failure.trim() {
        "rollback" => Ok(true),
        "leave" => Ok(false),
        other => Err(invalid(
            "on-failure",
            other,
            "expected `rollback` or `leave`",
        )),
    }
}

/// The canary's and the linear steps' settings.
fn traffic_steps(args: &DeployArgs) -> Result<(TrafficStep, TrafficStep), UserError> {
    let minutes = |input: &str, value: Option<&String>| -> Result<Option<i32>, UserError> {
        given(value)
            .map(|v| {
                whole_number(input, v, 0..=1440).map(|n| i32::try_from(n).expect("range fits i32"))
            })
            .transpose()
    };
    Ok((
        TrafficStep {
            percent: tenths(
                "deployment.canary-percent",
                args.canary_percent.as_ref(),
                1..=1000,
            )?,
            bake_minutes: minutes(
                "deployment.canary-bake-minutes",
                args.canary_bake_minutes.as_ref(),
            )?,
        },
        TrafficStep {
            percent: tenths(
                "deployment.linear-step-percent",
                args.linear_step_percent.as_ref(),
                30..=1000,
            )?,
            bake_minutes: minutes(
                "deployment.linear-step-bake-minutes",
                args.linear_step_bake_minutes.as_ref(),
            )?,
        },
    ))
}

fn settings(args: &DeployArgs) -> Result<DeploymentSettings, UserError> {
    let (canary, linear) = traffic_steps(args)?;
    let number = |input: &str, value: Option<&String>, range| -> Result<Option<i32>, UserError> {
        given(value)
            .map(|v| {
                whole_number(input, v, range).map(|n| i32::try_from(n).expect("range fits i32"))
            })
            .transpose()
    };
    let settings = DeploymentSettings {
        maximum_percent: number(
            "deployment.maximum-percent",
            args.maximum_percent.as_ref(),
            100..=200,
        )?,
        minimum_healthy_percent: number(
            "deployment.minimum-healthy-percent",
            args.minimum_healthy_percent.as_ref(),
            0..=100,
        )?,
        circuit_breaker: given(args.circuit_breaker.as_ref())
            .map(|v| {
                parse_bool("deployment.circuit-breaker", v).map(|on| CircuitBreaker {
                    enable: on,
                    rollback: on,
                })
            })
            .transpose()?,
        health_check_grace_period: number(
            "service-settings.health-check-grace-period",
            args.health_check_grace_period.as_ref(),
            0..=2_147_483_647,
        )?,
        strategy: given(args.deployment_strategy.as_ref())
            .map(strategy)
            .transpose()?,
        bake_time_minutes: number(
            "deployment.bake-time-minutes",
            args.bake_time_minutes.as_ref(),
            0..=1440,
        )?,
        canary,
        linear,
        alarms: alarms(args.alarms.as_ref())?,
        lifecycle_hooks: Vec::new(),
        propagate_tags: given(args.propagate_tags.as_ref())
            .map(|v| match v.to_ascii_uppercase().as_str() {
                p @ ("TASK_DEFINITION" | "SERVICE" | "NONE") => Ok(p.to_string()),
                _ => Err(invalid(
                    "service-settings.propagate-tags",
                    v,
                    "expected `TASK_DEFINITION`, `SERVICE` or `NONE`",
                )),
            })
            .transpose()?,
        enable_ecs_managed_tags: given(args.enable_ecs_managed_tags.as_ref())
            .map(|v| parse_bool("service-settings.ecs-managed-tags", v))
            .transpose()?,
        enable_execute_command: given(args.enable_execute_command.as_ref())
            .map(|v| parse_bool("service-settings.execute-command", v))
            .transpose()?,
    };
    for (inputs, step, wanted) in [
        (
            "`deployment.canary-percent` and `deployment.canary-bake-minutes`",
            settings.canary,
            DeploymentStrategy::Canary,
        ),
        (
            "`deployment.linear-step-percent` and `deployment.linear-step-bake-minutes`",
            settings.linear,
            DeploymentStrategy::Linear,
        ),
    ] {
        if let Some(strategy) = settings
            .strategy
            .as_ref()
            .filter(|s| step.is_set() && **s != wanted)
        {
            return Err(UserError::new(format!(
                "inputs {inputs} are for the `{}` strategy, and `deployment.strategy` is `{}`",
                strategy_input(&wanted),
                strategy_input(strategy)
            ))
            .hint("remove them, or set `deployment.strategy` to match"));
        }
    }
    Ok(settings)
}

/// `deployment.strategy`: `rolling`, `blue-green`, `linear` or `canary`.
fn strategy(value: &str) -> Result<DeploymentStrategy, UserError> {
    match value {
        "rolling" => Ok(DeploymentStrategy::Rolling),
        "blue-green" => Ok(DeploymentStrategy::BlueGreen),
        "linear" => Ok(DeploymentStrategy::Linear),
        "canary" => Ok(DeploymentStrategy::Canary),
        other => Err(invalid(
            "deployment.strategy",
            other,
            "expected `rolling`, `blue-green`, `linear` or `canary`",
        )),
    }
}

/// A percentage in tenths (`12.5`), within `range` (in tenths).
fn tenths(
    input: &str,
    value: Option<&String>,
    range: std::ops::RangeInclusive<u16>,
) -> Result<Option<Tenths>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    let (whole, tenth) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    let parsed = (digits(whole, 3) && digits(tenth, 1))
        .then(|| {
            whole
                .parse::<u16>()
                .ok()?
                .checked_mul(10)?
                .checked_add(tenth.parse::<u16>().ok()?)
        })
        .flatten()
        .filter(|t| range.contains(t));
    match parsed {
        Some(t) => Ok(Some(Tenths(t))),
        None => Err(invalid(
            input,
            value,
            &format!(
                "expected a percentage from {} to {} in steps of 0.1, e.g. `10` or `12.5`",
                Tenths(*range.start()),
                Tenths(*range.end())
            ),
        )),
    }
}

/// `alarms`: CloudWatch alarm names (comma or newline separated), or `none` to turn alarm-based
/// rollback off.
fn alarms(value: Option<&String>) -> Result<Option<Alarms>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    if value == "none" {
        return Ok(Some(Alarms::default()));
    }
    let names = crate::text::split_list(value);
    if names.iter().any(|n| n == "none") {
        // `none` beside names would be sent as an alarm called `none`.
        return Err(
            UserError::new("input `alarms` names `none` beside alarm names").hint(
                "`none` alone turns alarm-based rollback off; otherwise list only the alarms",
            ),
        );
    }
    for name in &names {
        if name.chars().count() > 255 || name.chars().any(crate::text::is_hidden) {
            return Err(invalid(
                "alarms",
                name,
                "expected CloudWatch alarm names of at most 255 characters, comma or newline separated",
            ));
        }
    }
    if crate::text::first_duplicate(names.iter().map(String::as_str)).is_some() {
        return Err(UserError::new("input `alarms` names the same alarm twice"));
    }
    Ok(Some(Alarms {
        names,
        enable: true,
        rollback: true,
    }))
}

/// `revision`: a revision deployed as it is, so no input that would change or
/// re-register it may be given beside it.
fn existing_revision(inputs: &DeployInputs, revision: &str) -> Result<ImageSpec, UserError> {
    let args = &inputs.args;
    if !crate::domain::arn::is_task_definition_ref(revision) {
        return Err(invalid(
            "revision",
            revision,
            "expected a task definition ARN or `family:revision`",
        ));
    }
    let set = |value: Option<&String>| given(value).is_some();
    let maps_given = |parsed: &crate::input::Parsed<NamedValues>| {
        parsed.as_ref().map_or(true, |m| !m.is_empty())
    };
    let beside = [
        ("image-tag", set(args.image_tag.as_ref())),
        ("image", set(args.image.as_ref())),
        ("container-images", maps_given(&inputs.images)),
        ("template", set(args.task_definition.as_ref())),
        ("family", set(args.task_definition_family.as_ref())),
        ("container", set(args.container.as_ref())),
        // Before `environment-variables`: the file's variables are merged into that map.
        ("dotenv-file", set(args.environment_file.as_ref())),
        (
            "environment-variables",
            maps_given(&inputs.environment_variables),
        ),
        ("secrets", maps_given(&inputs.secrets)),
        ("environment-files", set(args.environment_files.as_ref())),
        (
            "environment-variables",
            set(args.remove_environment_variables.as_ref()),
        ),
        ("secrets", set(args.remove_secrets.as_ref())),
        ("docker-labels", maps_given(&inputs.docker_labels)),
        ("container-command", set(args.container_command.as_ref())),
        ("task-settings.cpu", set(args.cpu.as_ref())),
        ("task-settings.memory", set(args.memory.as_ref())),
        ("awslogs.group", set(args.log_group.as_ref())),
        ("execution-role-arn", set(args.execution_role_arn.as_ref())),
        ("task-role-arn", set(args.task_role_arn.as_ref())),
        ("one-off-task", set(args.pre_deploy_task.as_ref())),
        ("fallback-image", set(args.fallback_image.as_ref())),
        ("promote-tag", set(args.promote_tag.as_ref())),
    ];
    if let Some((input, _)) = beside.iter().find(|(_, given)| *given) {
        return Err(UserError::new(format!(
            "inputs `revision` and `{input}` are both set"
        ))
        .hint("`revision` deploys that revision exactly as it is: render a new one instead, or remove the other input"));
    }
    Ok(ImageSpec::Revision(revision.to_string()))
}

fn image_spec(args: &DeployArgs) -> Result<ImageSpec, UserError> {
    Ok(
        match (given(args.image_tag.as_ref()), given(args.image.as_ref())) {
            (Some(_), Some(_)) => {
                return Err(
                    UserError::new("inputs `image-tag` and `image` are both set")
                        .hint("give only one: a tag in the repository, or a full image reference"),
                );
            }
            (None, None) => {
                return Err(
                    UserError::new("no image given: set input `image-tag` or `image`")
                        .hint("e.g. `image-tag: sha-${{ github.sha }}`"),
                );
            }
            (Some(tag), None) if image::is_tag(tag) => ImageSpec::Tag(tag.to_string()),
            (Some(tag), None) => return Err(invalid("image-tag", tag, image::TAG_RULE)),
            (None, Some(reference)) => ImageSpec::Reference(
                ImageRef::parse(reference).map_err(|why| invalid("image", reference, &why))?,
            ),
        },
    )
}

fn logging(args: &DeployArgs) -> Result<Option<LogSettings>, UserError> {
    let group = given(args.log_group.as_ref());
    let log_region = region("awslogs.region", args.log_region.as_ref())?;
    let prefix = given(args.log_stream_prefix.as_ref());
    let Some(group) = group else {
        if log_region.is_some() || prefix.is_some() {
            return Err(UserError::new(
                "`awslogs.region` and `awslogs.stream-prefix` need `awslogs.group`",
            )
            .hint("set `awslogs.group` to the CloudWatch log group"));
        }
        return Ok(None);
    };
    if group.len() > 512
        || !group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.' | '#'))
    {
        return Err(invalid(
            "awslogs.group",
            group,
            "log group names use letters, digits, `_`, `-`, `/`, `.` and `#`",
        ));
    }
    if let Some(p) = prefix
        && (p.contains(':') || p.contains('*') || p.chars().any(char::is_whitespace))
    {
        return Err(invalid("awslogs.stream-prefix", p, "no `:`, `*` or spaces"));
    }
    Ok(Some(LogSettings {
        group: group.to_string(),
        region: log_region,
        stream_prefix: prefix.map(str::to_string),
    }))
}
