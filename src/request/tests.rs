use std::time::Duration;

use super::*;
use crate::domain::deployment_settings::{Alarms, Tenths};
use crate::domain::run_options::OnCancel;
use crate::domain::states::DeploymentStrategy;
use crate::input::args::DeployArgs;
use crate::request::EnvironmentMode;

/// Validation of the step's inputs, as a run without a config file does it.
trait Validate {
    fn validate(&self) -> Result<DeployRequest, UserError>;
}

impl Validate for DeployArgs {
    fn validate(&self) -> Result<DeployRequest, UserError> {
        deploy(&DeployInputs::from_args(self.clone()))
    }
}

fn args() -> DeployArgs {
    crate::input::cli::test_deploy_args("v1")
}

fn err(args: &DeployArgs) -> String {
    args.validate().unwrap_err().message
}

#[test]
fn minimal_inputs_give_defaults() {
    let req = args().validate().unwrap();
    assert_eq!(req.target.environment, "dev");
    assert_eq!(req.image, ImageSpec::Tag("v1".into()));
    assert!(
        req.target.wait && !req.verify_only && !req.force_new_deployment && req.pin_image_digest
    );
    assert_eq!(req.target.timeout, Duration::from_mins(15));
    assert_eq!(req.desired_count, None);
}

#[test]
fn environment_is_required_and_blank_counts_as_missing() {
    let mut a = args();
    a.target.environment = Some("  ".into());
    assert_eq!(err(&a), "input `environment` is required");
}

#[test]
fn production_needs_the_exact_confirmation_text() {
    let mut a = args();
    a.target.environment = Some("production".into());
    assert_eq!(
        err(&a),
        "environment `production` is a production environment and `confirm-production` is empty"
    );
    a.target.confirm_production = Some("deploy to production".into());
    assert!(
        err(&a).ends_with("is not `DEPLOY TO PRODUCTION` (it differs in letter case)"),
        "{}",
        err(&a)
    );
    for (given, why) in [
        (" DEPLOY TO PRODUCTION", "it has spaces around it"),
        (
            "DEPLOY TO PR\u{41e}DUCTION",
            "character 13 is U+041E, not `O`",
        ),
        (
            "DEPLOY TO PRODUCTION\u{200b}",
            "it is longer: 21 characters",
        ),
        (
            "DEPLOY\u{a0}TO PRODUCTION",
            "character 7 is U+00A0, not ` `",
        ),
        ("DEPLOY TO PROD", "it is shorter: 14 characters"),
        ("hunter2", "it differs at character 1"),
    ] {
        a.target.confirm_production = Some(given.into());
        assert!(
            err(&a).ends_with(&format!("({why})")),
            "{given:?}: {}",
            err(&a)
        );
    }
    a.target.confirm_production = Some("DEPLOY TO PRODUCTION".into());
    assert!(a.validate().is_ok());
}

#[test]
fn production_list_is_configurable_and_case_insensitive() {
    let mut a = args();
    a.target.environment = Some("Prod-EU".into());
    a.target.production_environments = "production,\nprod-eu".into();
    assert!(err(&a).contains("production environment"));
    a.target.environment = Some("staging".into());
    assert!(a.validate().is_ok());
}

#[test]
fn production_gate_comes_before_any_other_check() {
    let mut a = args();
    a.target.environment = Some("production".into());
    a.target.timeout_minutes = "soon".into();
    assert!(err(&a).contains("production environment"));
}

#[test]
fn image_tag_and_image_are_exclusive_and_one_is_required() {
    let mut a = args();
    a.image = Some("api:v2".into());
    assert_eq!(err(&a), "inputs `image-tag` and `image` are both set");
    a.image_tag = None;
    a.image = None;
    assert_eq!(err(&a), "no image given: set input `image-tag` or `image`");
    a.image = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v2".into());
    let ImageSpec::Reference(r) = a.validate().unwrap().image else {
        panic!("reference expected")
    };
    assert_eq!(r.tag.as_deref(), Some("v2"));
}

#[test]
fn hostile_tag_is_refused_without_echoing_it() {
    let mut a = args();
    a.image_tag = Some("v1\n::error::pwned".into());
    let message = err(&a);
    assert!(
        message.starts_with(
            "input `image-tag` is invalid (it contains a line break at character 3): "
        ),
        "{message}"
    );
    assert!(!message.contains('\n') && !message.contains("pwned"));
    a.image_tag = Some("v1\u{430}".into());
    assert!(
        err(&a).starts_with(
            "input `image-tag` is invalid (it contains the non-ASCII character `\u{430}` (U+0430) at character 3)"
        ),
        "{}",
        err(&a)
    );
}

#[test]
fn numbers_and_booleans_name_the_input() {
    let mut a = args();
    a.target.timeout_minutes = "0".into();
    assert_eq!(
        err(&a),
        "input `time-limit-minutes` is invalid: expected a number of minutes above 0 and at most 360, e.g. `15` or `0.5`"
    );
    a.target.timeout_minutes = "NaN".into();
    assert!(err(&a).starts_with("input `time-limit-minutes`"));
    a.target.timeout_minutes = "0.5".into();
    assert_eq!(
        a.validate().unwrap().target.timeout,
        Duration::from_secs(30)
    );
    let mut a = args();
    a.desired_count = Some("-1".into());
    assert!(
        err(&a).starts_with(
            "input `service-settings.desired-count` is invalid: expected a whole number"
        )
    );
    let mut a = args();
    a.target.wait = "yes".into();
    assert_eq!(
        err(&a),
        "input `wait` is invalid: expected `deployed`, `paused` or `none`"
    );
    for (wait, waits, until) in [
        (
            "deployed",
            true,
            crate::domain::run_options::WaitUntil::Deployed,
        ),
        (
            "true",
            true,
            crate::domain::run_options::WaitUntil::Deployed,
        ),
        (
            "paused",
            true,
            crate::domain::run_options::WaitUntil::Paused,
        ),
        (
            "none",
            false,
            crate::domain::run_options::WaitUntil::Deployed,
        ),
        (
            "false",
            false,
            crate::domain::run_options::WaitUntil::Deployed,
        ),
    ] {
        a.target.wait = wait.into();
        let req = a.validate().unwrap();
        assert_eq!(
            (req.target.wait, req.target.wait_until),
            (waits, until),
            "{wait}"
        );
    }
}

#[test]
fn ssm_prefix_gets_the_environment_and_loses_its_trailing_slash() {
    let mut a = args();
    a.target.ssm_prefix = Some("/shop/{environment}/ecs/".into());
    assert_eq!(
        a.validate().unwrap().target.ssm_prefix.as_deref(),
        Some("/shop/dev/ecs")
    );
    a.target.ssm_prefix = Some("shop/ecs".into());
    assert!(err(&a).starts_with("input `ssm-prefix`"));
}

#[test]
fn env_and_secret_maps_are_parsed_and_checked() {
    let mut a = args();
    a.environment_variables = Some(r#"{"PORT": 8080}"#.into());
    a.secrets =
        Some("DB_PASSWORD: arn:aws:secretsmanager:us-east-1:123456789012:secret:db\n".into());
    let req = a.validate().unwrap();
    assert_eq!(
        req.environment_variables,
        vec![("PORT".to_string(), "8080".to_string())]
    );
    assert_eq!(req.secrets[0].0, "DB_PASSWORD");

    a.environment_variables = Some(r#"{"DB_PASSWORD": "x"}"#.into());
    assert_eq!(
        err(&a),
        "`DB_PASSWORD` is in both `environment-variables` and `secrets`"
    );
    a.environment_variables = Some(r#"{"1BAD": "x"}"#.into());
    assert!(
        err(&a).starts_with("input `environment-variables`: the name `1BAD` is invalid"),
        "{}",
        err(&a)
    );
    // A name that is not plain, but reads as a name, is named (escaped, shortened).
    a.environment_variables = Some(r#"{"OK": "1", "FÖO!": "x"}"#.into());
    assert_eq!(
        err(&a),
        "input `environment-variables`: the name `F\\u{d6}O!` is invalid (it contains the non-ASCII character `Ö` (U+00D6) at character 2): variable names start with a letter or `_`, then letters, digits, `_`, `.`, `-`"
    );
    let long = format!(r#"{{"{}!": "x"}}"#, "A".repeat(100));
    a.environment_variables = Some(long);
    assert!(
        err(&a).starts_with(&format!(
            "input `environment-variables`: the name `{}…` is invalid",
            "A".repeat(40)
        )),
        "{}",
        err(&a)
    );
    a.environment_variables = Some(r#"{"A": "#.into());
    assert!(err(&a).starts_with("input `environment-variables` is not a valid JSON object"));
}

#[test]
fn secret_values_are_references_and_never_echoed() {
    let mut a = args();
    a.secrets = Some(r#"{"API_KEY": "my secret value"}"#.into());
    let message = err(&a);
    assert!(
        message.contains("`API_KEY`") && !message.contains("my secret value"),
        "{message}"
    );
}

#[test]
fn roles_regions_and_log_settings_are_checked() {
    let mut a = args();
    a.execution_role_arn = Some("arn:aws:iam::123456789012:role/exec".into());
    a.log_group = Some("/ecs/api".into());
    a.log_stream_prefix = Some("api".into());
    a.target.region = Some("eu-central-1".into());
    let req = a.validate().unwrap();
    assert_eq!(req.logging.unwrap().group, "/ecs/api");
    assert_eq!(req.target.region.as_deref(), Some("eu-central-1"));

    a.task_role_arn = Some("role/task".into());
    assert_eq!(
        err(&a),
        "input `task-settings.task-role-arn` is invalid: expected an IAM role ARN like `arn:aws:iam::123456789012:role/name`"
    );
    let mut a = args();
    a.log_region = Some("us-east-1".into());
    assert_eq!(
        err(&a),
        "`awslogs.region` and `awslogs.stream-prefix` need `awslogs.group`"
    );
    let mut a = args();
    a.target.region = Some("mars".into());
    assert!(err(&a).starts_with("input `region`"));
}

#[test]
fn names_are_checked_and_containers_split() {
    let mut a = args();
    a.container = Some("web, sidecar\nworker".into());
    assert_eq!(
        a.validate().unwrap().containers,
        ["web", "sidecar", "worker"]
    );
    a.target.cluster = Some("my cluster".into());
    assert!(
        err(&a).starts_with("input `cluster` is invalid (it contains a space at character 3)"),
        "{}",
        err(&a)
    );
    a.target.cluster = Some("arn:aws:ecs:us-east-1:123456789012:cluster/main".into());
    assert!(a.validate().is_ok());
}

#[test]
fn template_file_is_read_as_json_or_yaml_and_must_have_containers() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("td.yaml");
    std::fs::write(
        &yaml,
        "family: api\ncontainerDefinitions:\n  - name: web\n    image: nginx\n",
    )
    .unwrap();
    let mut a = args();
    a.target.workspace = Some(dir.path().display().to_string());
    a.task_definition = Some("td.yaml".into());
    let template = a.validate().unwrap().template.unwrap();
    assert_eq!(template.document["containerDefinitions"][0]["name"], "web");

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"family": "api"}"#).unwrap();
    a.task_definition = Some(bad.to_string_lossy().into_owned());
    assert!(err(&a).contains("has no `containerDefinitions` list"));
    a.task_definition = Some(
        dir.path()
            .join("missing.json")
            .to_string_lossy()
            .into_owned(),
    );
    assert!(err(&a).ends_with("was not found"), "{}", err(&a));
    a.task_definition = Some("/etc/passwd".into());
    assert!(err(&a).contains("is outside the workspace"), "{}", err(&a));
    std::fs::write(dir.path().join("bad.yaml"), "family: [S3CR3T\n").unwrap();
    a.task_definition = Some("bad.yaml".into());
    assert!(
        err(&a).starts_with("input `template`: `bad.yaml` is not valid YAML: ")
            && !err(&a).contains("S3CR3T"),
        "{}",
        err(&a)
    );
}

#[test]
fn strategy_inputs_are_checked_and_unchanged_when_not_given() {
    let req = args().validate().unwrap();
    assert!(req.settings.is_empty(), "nothing given, nothing changed");
    let mut a = args();
    a.deployment_strategy = Some("blue-green".into());
    a.bake_time_minutes = Some("15".into());
    a.alarms = Some("api-5xx\napi-latency,".into());
    let req = a.validate().unwrap();
    assert_eq!(req.settings.strategy, Some(DeploymentStrategy::BlueGreen));
    assert_eq!(req.settings.bake_time_minutes, Some(15));
    assert_eq!(
        req.settings.alarms,
        Some(Alarms {
            names: vec!["api-5xx".into(), "api-latency".into()],
            enable: true,
            rollback: true
        })
    );
    let mut a = args();
    a.alarms = Some("none".into());
    assert_eq!(
        a.validate().unwrap().settings.alarms,
        Some(Alarms::default())
    );
}

/// Sets one input of the arguments.
type SetInput = fn(&mut DeployArgs, String);

#[test]
fn strategy_inputs_out_of_range_name_the_input_not_the_value() {
    let cases: &[(SetInput, &str, &str)] = &[
        (
            |a, v| a.deployment_strategy = Some(v),
            "BLUE_GREEN",
            "input `deployment.strategy` is invalid: expected `rolling`, `blue-green`, `linear` or `canary`",
        ),
        (
            |a, v| a.bake_time_minutes = Some(v),
            "1441",
            "input `deployment.bake-time-minutes` is invalid: expected a whole number from 0 to 1440",
        ),
        (
            |a, v| a.canary_percent = Some(v),
            "0.05",
            "input `deployment.canary-percent` is invalid: expected a percentage from 0.1 to 100 in steps of 0.1, e.g. `10` or `12.5`",
        ),
        (
            |a, v| a.canary_percent = Some(v),
            "100.1",
            "input `deployment.canary-percent` is invalid: expected a percentage from 0.1 to 100",
        ),
        (
            |a, v| a.canary_percent = Some(v),
            "1e1",
            "input `deployment.canary-percent` is invalid",
        ),
        (
            |a, v| a.canary_percent = Some(v),
            "-5",
            "input `deployment.canary-percent` is invalid",
        ),
        (
            |a, v| a.linear_step_percent = Some(v),
            "2.9",
            "input `deployment.linear-step-percent` is invalid: expected a percentage from 3 to 100",
        ),
        (
            |a, v| a.linear_step_percent = Some(v),
            "12.55",
            "input `deployment.linear-step-percent` is invalid",
        ),
        (
            |a, v| a.canary_bake_minutes = Some(v),
            "-1",
            "input `deployment.canary-bake-minutes` is invalid",
        ),
        (
            |a, v| a.linear_step_bake_minutes = Some(v),
            "2000",
            "input `deployment.linear-step-bake-minutes` is invalid",
        ),
        (
            |a, v| a.alarms = Some(v),
            "a,\u{202e}b",
            "input `alarms` is invalid",
        ),
        (
            |a, v| a.alarms = Some(v),
            "a,b,a",
            "input `alarms` names the same alarm twice",
        ),
    ];
    for (set, value, expected) in cases {
        let mut a = args();
        set(&mut a, (*value).to_string());
        let message = err(&a);
        assert!(message.starts_with(expected), "{value:?}: {message}");
        assert!(
            !message.contains(value) || value.len() < 3,
            "the value is not echoed: {message}"
        );
    }
    let mut a = args();
    a.canary_percent = Some("12.5".into());
    assert_eq!(
        a.validate().unwrap().settings.canary.percent,
        Some(Tenths(125))
    );
    a.deployment_strategy = Some("linear".into());
    assert_eq!(
        err(&a),
        "inputs `deployment.canary-percent` and `deployment.canary-bake-minutes` are for the `canary` strategy, and `deployment.strategy` is `linear`"
    );
}

#[test]
fn on_cancel_is_leave_by_default_or_rollback() {
    assert_eq!(args().validate().unwrap().on_cancel, OnCancel::Leave);
    let mut a = args();
    a.on_cancel = "rollback".into();
    assert_eq!(a.validate().unwrap().on_cancel, OnCancel::Rollback);
    a.on_cancel = "abort".into();
    assert_eq!(
        err(&a),
        "input `on-cancel` is invalid: expected `leave` or `rollback`"
    );
}

#[test]
fn removals_and_environment_mode_are_checked_before_any_aws_call() {
    let req = args().validate().unwrap();
    assert_eq!(req.environment_mode, EnvironmentMode::Merge);
    assert!(req.remove_environment_variables.is_empty() && req.remove_secrets.is_empty());
    let mut a = args();
    a.remove_environment_variables = Some("OLD_FLAG,\nLEGACY_URL".into());
    a.remove_secrets = Some("OLD_TOKEN".into());
    let req = a.validate().unwrap();
    assert_eq!(req.remove_environment_variables, ["OLD_FLAG", "LEGACY_URL"]);
    assert_eq!(req.remove_secrets, ["OLD_TOKEN"]);
    a.environment_mode = "replace".into();
    assert_eq!(
        err(&a),
        "input `environment-variables` takes a variable out (a null value), and `environment-mode` is `replace`"
    );
    let mut a = args();
    a.environment_mode = "overwrite".into();
    assert_eq!(
        err(&a),
        "input `environment-mode` is invalid: expected `merge` or `replace`"
    );
    let mut a = args();
    a.remove_environment_variables = Some("1BAD".into());
    assert!(
        err(&a).starts_with("input `environment-variables`"),
        "{}",
        err(&a)
    );
}

#[test]
fn container_command_is_a_list_or_a_line_split_as_a_shell_would() {
    let command = |value: &str| {
        let mut a = args();
        a.container_command = Some(value.into());
        a.validate().map(|r| r.container_command)
    };
    assert_eq!(args().validate().unwrap().container_command, None);
    assert_eq!(
        command("npm run start -- --port 8080").unwrap(),
        Some(vec![
            "npm".into(),
            "run".into(),
            "start".into(),
            "--".into(),
            "--port".into(),
            "8080".into()
        ])
    );
    assert_eq!(
        command(r#"sh -c 'echo "$HOME" && exec app' "#).unwrap(),
        Some(vec![
            "sh".into(),
            "-c".into(),
            r#"echo "$HOME" && exec app"#.into()
        ]),
        "quotes group, nothing is expanded"
    );
    assert_eq!(
        command(r#"["node", "server.js", "--flag=a b"]"#).unwrap(),
        Some(vec!["node".into(), "server.js".into(), "--flag=a b".into()])
    );
    assert_eq!(
        command("[sleep, 30]").unwrap(),
        Some(vec!["sleep".into(), "30".into()]),
        "a YAML list's numbers are their text"
    );
    for (bad, why) in [
        ("npm run 'start", "its quotes are not closed"),
        ("[[nested], x]", "expected a list of strings"),
        ("[\"\"]", "expected a program and its arguments"),
        ("[]", "expected a program and its arguments"),
    ] {
        let message = command(bad).unwrap_err().message;
        assert!(
            message.starts_with("input `container-command` is invalid") && message.contains(why),
            "{bad}: {message}"
        );
    }
}

#[test]
fn environment_files_are_s3_object_arns_of_env_files() {
    let mut a = args();
    a.environment_files =
        Some("arn:aws:s3:::app-config/prod/app.env\narn:aws-cn:s3:::cfg/x.env".into());
    assert_eq!(a.validate().unwrap().environment_files.len(), 2);
    for bad in [
        "s3://app-config/prod/app.env",
        "arn:aws:s3:::app-config/prod/app.txt",
        "arn:aws:s3:::bucket-only",
        "arn:aws:s3:::app-config/prod/app.env\u{200b}",
    ] {
        let mut a = args();
        a.environment_files = Some(bad.into());
        assert!(
            err(&a).starts_with("input `environment-files` is invalid"),
            "{bad:?}: {}",
            err(&a)
        );
    }
    let mut a = args();
    a.environment_files = Some("arn:aws:s3:::b/a.env,arn:aws:s3:::b/a.env".into());
    assert_eq!(err(&a), "input `environment-files` names a file twice");
    let mut a = args();
    a.environment_files = Some(
        (0..11)
            .map(|i| format!("arn:aws:s3:::b/{i}.env"))
            .collect::<Vec<_>>()
            .join(","),
    );
    assert!(err(&a).contains("more than 10 files"));
}

#[test]
fn images_are_tags_or_references_with_a_tag_or_digest() {
    let images = |value: &str| {
        let mut a = args();
        a.images = Some(value.into());
        a.validate().map(|r| r.images)
    };
    let parsed = images("log-router: v3\nenvoy: public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29\nworker: team/worker@sha256:0123456789012345678901234567890123456789012345678901234567890123").unwrap();
    assert_eq!(
        parsed[0],
        ("log-router".into(), ImageSpec::Tag("v3".into()))
    );
    assert!(matches!(&parsed[1].1, ImageSpec::Reference(r) if r.tag.as_deref() == Some("v1.29")));
    assert!(matches!(&parsed[2].1, ImageSpec::Reference(r) if r.digest.is_some()));
    for (bad, why) in [
        (
            "sidecar: team/worker",
            "is not a reference with a tag or digest",
        ),
        (
            "sidecar: \"bad tag\"",
            "input `container-images` is invalid",
        ),
        ("\"bad name\": v1", "input `container-images`"),
    ] {
        let message = images(bad).unwrap_err().message;
        assert!(message.contains(why), "{bad}: {message}");
    }
}

#[test]
fn an_existing_revision_is_deployed_alone() {
    let mut a = args();
    a.task_definition_arn = Some("api:7".into());
    assert_eq!(err(&a), "inputs `revision` and `image-tag` are both set");
    a.image_tag = None;
    let req = a.validate().unwrap();
    assert_eq!(req.image, ImageSpec::Revision("api:7".into()));
    assert!(!req.allow_family_change);
    a.environment_variables = Some("A: b".into());
    assert_eq!(
        err(&a),
        "inputs `revision` and `environment-variables` are both set"
    );
    let mut a = args();
    a.image_tag = None;
    a.task_definition_arn = Some("api:latest\n::error::x".into());
    assert!(err(&a).starts_with("input `revision` is invalid"));
}
