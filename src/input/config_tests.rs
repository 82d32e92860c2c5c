use super::*;
use crate::input::{DeployInputs, Inputs, load, read_from};

const FILE: &str = "\
defaults:
  ssm-prefix: /shop/{environment}/ecs
  time-limit-minutes: 20
  environment-variables:
    LOG_LEVEL: info
    RATIO: 1.10
environments:
  dev:
    services:
      - shop-dev-service
      - service: shop-dev-worker
        environment-variables: { ROLE: worker }
    one-off-task:
      command: [npm, run, migrate]
  production:
    production: true
    environment-url: https://shop.example
    github-deployment: true
    cluster: shop-prod
    services: shop-prod-service
    container: [app, sidecar]
    time-limit-minutes: 30
    environment-variables:
      LOG_LEVEL: warn
";

fn write(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

/// The step's command line, with `config` and the workspace it is in.
fn argv(command: &str, config: &str, extra: &[&str]) -> Vec<std::ffi::OsString> {
    let dir = std::path::Path::new(config)
        .parent()
        .filter(|d| d.is_dir())
        .map_or_else(|| ".".to_string(), |d| d.display().to_string());
    let mut argv = vec!["ecs-ship", command, "--config", config, "--workspace", &dir];
    argv.extend_from_slice(extra);
    argv.into_iter().map(std::ffi::OsString::from).collect()
}

/// What a run loads from the command line and the file at `config`.
fn loaded(command: &str, config: &str, extra: &[&str]) -> Result<Inputs, UserError> {
    load(read_from(|_| None, argv(command, config, extra)).command?)
}

fn deployed(config: &str, extra: &[&str]) -> Result<DeployInputs, UserError> {
    match loaded("deploy", config, extra)? {
        Inputs::Deploy(inputs) => Ok(*inputs),
        _ => unreachable!("deploy"),
    }
}

/// Validation, as a run does it after the merge.
trait Validate {
    fn validate(&self) -> Result<crate::request::DeployRequest, UserError>;
}

impl Validate for DeployInputs {
    fn validate(&self) -> Result<crate::request::DeployRequest, UserError> {
        match crate::request::validate(&Inputs::Deploy(Box::new(self.clone())))? {
            crate::request::Request::Deploy(request) => Ok(*request),
            _ => unreachable!("a deploy"),
        }
    }
}

fn applied(text: &str, extra: &[&str]) -> Result<DeployInputs, UserError> {
    let file = write(text);
    deployed(file.path().to_str().unwrap(), extra)
}

/// The file applies, and validation refuses the result.
fn refused(text: &str, extra: &[&str]) -> UserError {
    applied(text, extra).unwrap().validate().unwrap_err()
}

#[test]
fn an_environment_gets_its_settings_over_the_defaults() {
    let args = applied(FILE, &["--environment", "dev", "--image-tag", "v2"]).unwrap();
    assert_eq!(
        args.args.target.ssm_prefix.as_deref(),
        Some("/shop/{environment}/ecs")
    );
    assert_eq!(args.args.target.timeout_minutes, "20");
    let req = args.validate().unwrap();
    assert_eq!(req.services.len(), 2);
    assert_eq!(
        req.services[1].environment_variables,
        [("ROLE".to_string(), "worker".to_string())]
    );
    assert_eq!(
        req.environment_variables,
        [
            ("LOG_LEVEL".to_string(), "info".to_string()),
            ("RATIO".to_string(), "1.10".to_string())
        ],
        "values keep their text through the file"
    );
    assert_eq!(req.pre_deploy.unwrap().command, ["npm", "run", "migrate"]);
    assert_eq!(req.target.environment, "dev");
}

#[test]
fn the_files_lists_and_task_are_what_the_inputs_would_give() {
    let services = "- api\n- service: worker\n  container: [app, sidecar]\n  family: w\n  environment-variables: {RATIO: 1.10}\n  secrets: {T: arn:aws:ssm:us-east-1:1:parameter/t}\n";
    let task = "command: [npm, run, migrate]\ntime-limit-minutes: 2\n";
    let indent =
        |text: &str, by: &str| text.lines().flat_map(|l| [by, l, "\n"]).collect::<String>();
    let file = format!(
        "environments:\n  dev:\n    services:\n{}    one-off-task:\n{}",
        indent(services, "      "),
        indent(task, "      ")
    );
    let from_file = applied(&file, &["--environment", "dev", "--image-tag", "v2"]).unwrap();
    let services_flag = format!("--services={services}");
    let task_flag = format!("--one-off-task={task}");
    let Inputs::Deploy(step) = load(
        read_from(
            |_| None,
            [
                "ecs-ship",
                "deploy",
                "--environment",
                "dev",
                "--image-tag",
                "v2",
                &services_flag,
                &task_flag,
            ]
            .map(std::ffi::OsString::from)
            .to_vec(),
        )
        .command
        .unwrap(),
    )
    .unwrap() else {
        unreachable!()
    };
    assert_eq!(from_file.services.unwrap(), step.services.unwrap());
    assert_eq!(
        from_file.pre_deploy_task.unwrap(),
        step.pre_deploy_task.unwrap()
    );
}

#[test]
fn inputs_that_are_given_win_and_maps_merge_by_name() {
    let args = applied(
        FILE,
        &[
            "--environment",
            "production",
            "--confirm-production",
            "DEPLOY TO PRODUCTION",
            "--image-tag",
            "v2",
            "--cluster",
            "other",
            "--environment-variables",
            "RATIO: 2\nEXTRA: x",
            "--github-token",
            "ghs_x",
        ],
    )
    .unwrap();
    let req = args.validate().unwrap();
    assert_eq!(req.target.cluster.as_deref(), Some("other"));
    assert_eq!(req.target.service.as_deref(), Some("shop-prod-service"));
    assert_eq!(req.containers, ["app", "sidecar"]);
    let github = req
        .github
        .as_ref()
        .expect("github-deployment from the file");
    assert_eq!(
        github.environment_url.as_deref(),
        Some("https://shop.example")
    );
    assert_eq!(req.target.timeout, std::time::Duration::from_mins(30));
    assert_eq!(
        req.environment_variables,
        [
            ("LOG_LEVEL".to_string(), "warn".to_string()),
            ("RATIO".to_string(), "2".to_string()),
            ("EXTRA".to_string(), "x".to_string())
        ]
    );
}

#[test]
fn an_input_given_wins_over_the_file_even_when_it_equals_the_default() {
    let args = applied(FILE, &["--environment", "dev", "--image-tag", "v2"]).unwrap();
    assert_eq!(
        args.args.target.timeout_minutes, "20",
        "the file's defaults"
    );
    let args = applied(
        FILE,
        &[
            "--environment",
            "dev",
            "--image-tag",
            "v2",
            "--time-limit-minutes",
            "15",
        ],
    )
    .unwrap();
    assert_eq!(
        args.args.target.timeout_minutes, "15",
        "the built-in default, given"
    );
    let args = applied(FILE, &["--environment", "production", "--image-tag", "v2"]).unwrap();
    assert_eq!(
        args.args.target.timeout_minutes, "30",
        "the environment over the defaults"
    );
}

#[test]
fn a_service_given_as_input_replaces_the_files_list() {
    let args = applied(
        FILE,
        &[
            "--environment",
            "dev",
            "--image-tag",
            "v2",
            "--services",
            "solo",
        ],
    )
    .unwrap();
    let req = args.validate().unwrap();
    assert!(req.services.is_empty());
    assert_eq!(req.target.service.as_deref(), Some("solo"));
}

#[test]
fn the_file_can_add_the_production_gate() {
    let err = refused(FILE, &["--environment", "production", "--image-tag", "v2"]);
    assert!(err.message.contains("production"), "{}", err.message);
    let text = FILE.replace(
        "production: true",
        "production: true\n  prod-eu:\n    production: true",
    );
    let err = refused(&text, &["--environment", "prod-eu", "--image-tag", "v2"]);
    assert!(
        err.message.contains("confirm-production"),
        "{}",
        err.message
    );
}

#[test]
fn the_file_cannot_remove_the_production_gate() {
    let text = FILE.replace("production: true", "production: false");
    let err = refused(&text, &["--environment", "production", "--image-tag", "v2"]);
    assert!(
        err.message.contains("confirm-production"),
        "{}",
        err.message
    );
}

#[test]
fn unknown_and_renamed_keys_are_all_reported_with_their_path() {
    let text = FILE
        .replace("    cluster: shop-prod", "    clustr: shop-prod")
        .replace("time-limit-minutes: 20", "timeout-minutes: 20")
        .replace(
            "    github-deployment: true",
            "    github-deployment: true\n    confirm-production: x",
        );
    let err = refused(&text, &["--environment", "dev", "--image-tag", "v2"]);
    let lines: Vec<&str> = err.message.lines().collect();
    assert_eq!(lines[0], "3 problems with the settings:", "{}", err.message);
    assert!(
        lines[1].starts_with("- `defaults.timeout-minutes` in config file `"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("was renamed (hint: use `time-limit-minutes`"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("`environments.production.confirm-production` in config file")
            && lines[2].contains("cannot be set in the config file"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains("`environments.production.clustr` in config file")
            && lines[3].contains("is not a setting"),
        "{}",
        lines[3]
    );
    let text = FILE.replace(
        "        environment-variables: { ROLE: worker }",
        "        envs: { ROLE: worker }",
    );
    let err = applied(&text, &["--environment", "dev", "--image-tag", "v2"]).unwrap_err();
    assert!(
        err.message.contains("environments.dev.services[1]")
            && err.message.contains("unknown field `envs`"),
        "{}",
        err.message
    );
    let text = FILE.replace(
        "      command: [npm, run, migrate]",
        "      comand: [npm, run, migrate]",
    );
    let err = applied(&text, &["--environment", "dev", "--image-tag", "v2"]).unwrap_err();
    assert!(
        err.message
            .ends_with("environments.dev.one-off-task: unknown field `comand` at line 14 column 7"),
        "{}",
        err.message
    );
    let err = applied(
        "environment:\n  dev: {}\n",
        &["--environment", "dev", "--image-tag", "v2"],
    )
    .unwrap_err();
    assert!(
        err.message.contains("unknown field `environment`"),
        "{}",
        err.message
    );
}

#[test]
fn a_missing_environment_or_file_is_a_clear_error() {
    let err = applied(FILE, &["--environment", "staging", "--image-tag", "v2"]).unwrap_err();
    assert!(
        err.message.contains("has no environment `staging`"),
        "{}",
        err.message
    );
    assert_eq!(err.hint.as_deref(), Some("it describes: dev, production"));
    let err = deployed("/nonexistent/ecs-ship.yml", &["--environment", "dev"]).unwrap_err();
    assert_eq!(
        err.message,
        "input `config`: `/nonexistent/ecs-ship.yml` was not found"
    );
}

#[test]
fn rollback_takes_where_and_how_to_wait() {
    let file = write(FILE);
    let Inputs::Rollback(args) = loaded(
        "rollback",
        file.path().to_str().unwrap(),
        &["--environment", "production"],
    )
    .unwrap() else {
        unreachable!()
    };
    assert_eq!(args.target.cluster.as_deref(), Some("shop-prod"));
    assert_eq!(args.target.service.as_deref(), Some("shop-prod-service"));
    assert!(
        crate::request::rollback(&args)
            .unwrap_err()
            .message
            .contains("production")
    );
}

#[test]
fn the_example_config_file_is_valid_for_each_of_its_environments() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ecs-ship.yml");
    for environment in ["dev", "staging", "production"] {
        let req = deployed(
            path,
            &[
                "--environment",
                environment,
                "--image-tag",
                "sha-0a1b2c3",
                "--confirm-production",
                "DEPLOY TO PRODUCTION",
            ],
        )
        .unwrap_or_else(|e| panic!("{environment}: {}", e.message))
        .validate()
        .unwrap_or_else(|e| panic!("{environment}: {}", e.message));
        assert!(req.services.len() >= 2, "{environment}");
        assert_eq!(req.target.production, environment == "production");
    }
}

#[test]
fn production_environments_list_their_targets_for_the_gate() {
    let args = applied(FILE, &["--environment", "dev", "--image-tag", "v2"]).unwrap();
    let listed = &args.args.target.listed_production;
    assert_eq!(
        listed.clusters,
        [ListedTarget::new("shop-prod", "production")]
    );
    assert_eq!(
        listed.services,
        [ListedService {
            name: "shop-prod-service".into(),
            environment: "production".into(),
            cluster: ClusterOf::Named("shop-prod".into()),
        }]
    );
    // A dev step aimed at the production service in its cluster is refused before any AWS call.
    let err = refused(
        FILE,
        &[
            "--environment",
            "dev",
            "--image-tag",
            "v2",
            "--services",
            "shop-prod-service",
            "--cluster",
            "shop-prod",
        ],
    );
    assert_eq!(
        err.message,
        "service `shop-prod-service` in cluster `shop-prod` belongs to production environment `production` in the config file, and `confirm-production` is empty"
    );
    // The same name in dev's cluster (named by dev's SSM prefix) is decided once that is read.
    applied(
        FILE,
        &[
            "--environment",
            "dev",
            "--image-tag",
            "v2",
            "--services",
            "shop-prod-service",
        ],
    )
    .unwrap()
    .validate()
    .unwrap();
    // A production environment that names its cluster only through its SSM prefix.
    let by_prefix = "defaults:\n  ssm-prefix: /app/{environment}/ecs\nenvironments:\n  dev:\n    services: web\n  production:\n    production: true\n    services: [web, worker]\n";
    let args = applied(by_prefix, &["--environment", "dev", "--image-tag", "v2"]).unwrap();
    assert_eq!(
        args.args.target.listed_production.services,
        ["web", "worker"].map(|name| ListedService {
            name: name.into(),
            environment: "production".into(),
            cluster: ClusterOf::Ssm("/app/production/ecs/cluster-name".into()),
        })
    );
    args.validate().unwrap();
    // A cluster the file gives both environments is shared, not a production target; the
    // environments `production-environments` names list theirs too.
    let shared = "defaults:\n  cluster: shared\nenvironments:\n  dev: {}\n  prod:\n    ssm-prefix: /x/{environment}\n";
    let args = applied(
        shared,
        &[
            "--environment",
            "dev",
            "--image-tag",
            "v2",
            "--production-environments",
            "prod",
        ],
    )
    .unwrap();
    assert!(args.args.target.listed_production.clusters.is_empty());
    assert_eq!(
        args.args.target.listed_production.ssm_prefixes,
        [ListedTarget::new("/x/prod", "prod")]
    );
}

#[test]
fn a_map_in_the_file_that_names_a_variable_twice_is_an_error() {
    let file = "environments:\n  dev:\n    services: api\n    environment-variables:\n      A: one\n      A: two\n";
    let err = applied(file, &["--environment", "dev", "--image-tag", "v2"]).unwrap_err();
    assert!(
        err.message
            .contains("environments.dev.environment-variables")
            && err.message.contains("names `A` twice"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("one") && !err.message.contains("two"));
    let file = "environments:\n  dev:\n    services:\n      - service: api\n        secrets: {T: arn:a, T: arn:b}\n";
    let err = refused(file, &["--environment", "dev", "--image-tag", "v2"]);
    assert_eq!(err.message, "`services[0]`.secrets names `T` twice");
}

#[test]
fn docker_labels_in_the_file_merge_by_name_with_the_input() {
    let file = "defaults:\n  docker-labels:\n    com.example.team: payments\n    com.example.tier: 2\nenvironments:\n  dev:\n    docker-labels: { com.example.tier: 1 }\n";
    let inputs = applied(
        file,
        &[
            "--environment",
            "dev",
            "--docker-labels",
            "com.example.owner: ops",
        ],
    )
    .unwrap();
    let mut labels = inputs.docker_labels.unwrap();
    labels.sort();
    assert_eq!(
        labels,
        [
            ("com.example.owner".to_string(), "ops".to_string()),
            ("com.example.team".to_string(), "payments".to_string()),
            ("com.example.tier".to_string(), "1".to_string()),
        ]
    );
}
