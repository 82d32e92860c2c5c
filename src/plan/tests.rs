use super::*;
use crate::domain::deployment_settings::{
    Alarms, CircuitBreaker, DeploymentSettings, Tenths, TrafficStep,
};
use crate::domain::image::{EcrRepository, ImageRef};
use crate::domain::service::ServiceState;
use crate::domain::states::DeploymentStrategy;
use crate::gather::resolve::*;
use crate::request::ImageSpec;
use serde_json::json;

const REPO: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api";
const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn request() -> DeployRequest {
    crate::request::deploy(&crate::input::DeployInputs::from_args(
        crate::input::cli::test_deploy_args("v2"),
    ))
    .unwrap()
}

fn ssm(pairs: &[(&str, &str)]) -> SsmValues {
    SsmValues {
        prefix: "/app/dev/ecs".into(),
        values: pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
    }
}

fn live() -> Value {
    json!({"taskDefinition": {
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3", "family": "api", "revision": 3,
    "containerDefinitions": [
        {"name": "web", "image": format!("{REPO}:v1"), "environment": [{"name": "PORT", "value": "8080"}]},
        {"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"}
    ]}})
}

fn resolved() -> Resolved {
    let mut req = request();
    req.target.cluster = Some("main".into());
    req.target.service = Some("api".into());
    resolve(&req, None).unwrap()
}

fn image(tag: &str) -> ResolvedImage {
    ResolvedImage {
        repository: REPO.into(),
        tag: Some(tag.into()),
        digest: Some(DIGEST.into()),
        verified: true,
    }
}

fn service() -> ServiceState {
    ServiceState {
        name: "api".into(),
        task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3".into(),
        desired: 2,
        ..ServiceState::default()
    }
}

fn plan_for(req: &DeployRequest, img: &ResolvedImage) -> Result<Plan, UserError> {
    plan_with(req, img, &service())
}

fn plan_with(
    req: &DeployRequest,
    img: &ResolvedImage,
    service: &ServiceState,
) -> Result<Plan, UserError> {
    let live = live();
    let resolved = resolved();
    plan(
        req,
        &PlanInput {
            target: &resolved.targets[0],
            resolved: &resolved,
            region: "us-east-1",
            live: &live,
            service,
            image: img,
            other_images: &[],
            existing: None,
        },
    )
}

#[test]
fn inputs_win_over_ssm_values() {
    let mut req = request();
    req.target.cluster = Some("from-input".into());
    let values = ssm(&[
        ("cluster-name", "from-ssm"),
        ("service-name", "svc"),
        ("container-name", "web, worker"),
        ("repository-uri", REPO),
    ]);
    let r = resolve(&req, Some(&values)).unwrap();
    assert_eq!(
        (r.cluster.as_str(), r.targets[0].service.as_str()),
        ("from-input", "svc")
    );
    assert_eq!(r.targets[0].containers, ["web", "worker"]);
    assert_eq!(r.repository.unwrap().name(), "api");
}

#[test]
fn a_missing_name_names_both_places() {
    let err = resolve(&request(), Some(&ssm(&[("service-name", "svc")]))).unwrap_err();
    assert_eq!(
        err.message,
        "no cluster given: input `cluster` is empty and SSM parameter `/app/dev/ecs/cluster-name` does not exist"
    );
    let err = resolve(&request(), None).unwrap_err();
    assert_eq!(err.message, "no cluster given: input `cluster` is empty");
    assert!(err.hint.unwrap().contains("`ssm-prefix`"));
}

#[test]
fn bad_ssm_values_are_user_errors_naming_the_parameter() {
    let values = ssm(&[
        ("cluster-name", "c"),
        ("service-name", "s"),
        ("task-role-arn", "not-an-arn"),
    ]);
    let err = resolve(&request(), Some(&values)).unwrap_err();
    assert!(
        err.message
            .starts_with("SSM parameter `/app/dev/ecs/task-role-arn` is invalid"),
        "{}",
        err.message
    );
}

#[test]
fn repository_comes_from_the_only_or_named_container() {
    let mut r = resolved();
    r.targets[0].containers = vec!["web".into()];
    let source = repository_source(&request(), &r, Some(&live()))
        .unwrap()
        .unwrap();
    assert_eq!(
        source,
        RepositorySource::EcrUri(EcrRepository::parse_uri(REPO).unwrap())
    );
    let source = repository_source(&request(), &resolved(), Some(&live()))
        .unwrap()
        .unwrap();
    assert_eq!(
        source,
        RepositorySource::EcrUri(EcrRepository::parse_uri(REPO).unwrap()),
        "the only ECR repository in use"
    );
    let mut two = live();
    two["taskDefinition"]["containerDefinitions"][1]["image"] =
        json!("123456789012.dkr.ecr.us-east-1.amazonaws.com/other:1");
    let err = repository_source(&request(), &resolved(), Some(&two)).unwrap_err();
    assert!(
        err.message
            .contains("has 2 containers (web, log-router) and 2 ECR repositories"),
        "{}",
        err.message
    );
    assert_eq!(
        repository_source(&request(), &resolved(), None).unwrap(),
        None,
        "needs the task definition first"
    );
}

#[test]
fn a_non_ecr_current_image_needs_the_repository_input() {
    let mut r = resolved();
    r.targets[0].containers = vec!["log-router".into()];
    let err = repository_source(&request(), &r, Some(&live())).unwrap_err();
    assert!(err.message.contains("is not in ECR"));
}

#[test]
fn image_input_outside_ecr_is_external() {
    let mut req = request();
    req.image = ImageSpec::Reference(ImageRef::parse("ghcr.io/org/api:v2").unwrap());
    assert!(matches!(
        repository_source(&req, &resolved(), None).unwrap(),
        Some(RepositorySource::External(_))
    ));
}

#[test]
fn containers_default_to_those_running_the_repository() {
    let p = plan_for(&request(), &image("v2")).unwrap();
    assert_eq!(p.containers, ["web"]);
    assert_eq!(p.image_reference, format!("{REPO}@{DIGEST}"));
    assert_eq!(
        p.rendered["containerDefinitions"][0]["image"],
        format!("{REPO}@{DIGEST}")
    );
    assert_eq!(
        p.rendered["containerDefinitions"][1]["image"],
        "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    );
    assert!(p.changed && p.updates_service() && p.starts_deployment());
    assert_eq!(p.family, "api");
}

#[test]
fn pinning_can_be_turned_off() {
    let mut req = request();
    req.pin_image_digest = false;
    assert_eq!(
        plan_for(&req, &image("v2")).unwrap().image_reference,
        format!("{REPO}:v2")
    );
}

#[test]
fn same_image_and_env_is_unchanged_and_needs_no_update() {
    let img = ResolvedImage {
        digest: None,
        ..image("v1")
    };
    let mut req = request();
    req.pin_image_digest = false;
    req.environment_variables = vec![("PORT".into(), "8080".into())];
    let p = plan_for(&req, &img).unwrap();
    assert!(!p.changed && p.diff.is_empty() && !p.updates_service());
    req.force_new_deployment = true;
    assert!(plan_for(&req, &img).unwrap().starts_deployment());
    req.force_new_deployment = false;
    req.desired_count = Some(3);
    let p = plan_for(&req, &img).unwrap();
    assert!(p.updates_service() && !p.starts_deployment());
}

#[test]
fn env_changes_show_in_the_diff_by_name() {
    let mut req = request();
    req.environment_variables = vec![("PORT".into(), "9090".into()), ("NEW".into(), "x".into())];
    let d = plan_for(&req, &image("v2")).unwrap().diff;
    assert_eq!(d.environment.changed, ["web/PORT"]);
    assert_eq!(d.environment.added, ["web/NEW"]);
}

#[test]
fn a_named_container_that_does_not_exist_is_an_error() {
    let mut req = request();
    req.containers = vec!["nope".into()];
    let live = live();
    let mut r = resolved();
    r.targets[0].containers = vec!["nope".into()];
    let err = plan(
        &req,
        &PlanInput {
            resolved: &r,
            target: &r.targets[0],
            region: "us-east-1",
            live: &live,
            service: &service(),
            image: &image("v2"),
            other_images: &[],
            existing: None,
        },
    )
    .unwrap_err();
    assert_eq!(err.message, "the task definition has no container `nope`");
    assert_eq!(err.hint.unwrap(), "its containers are: `web`, `log-router`");
}

#[test]
fn no_matching_container_lists_what_runs() {
    let other = ResolvedImage {
        repository: "123456789012.dkr.ecr.us-east-1.amazonaws.com/other".into(),
        ..image("v2")
    };
    let err = plan_for(&request(), &other).unwrap_err();
    assert!(
        err.message.starts_with(
            "no container runs an image from `123456789012.dkr.ecr.us-east-1.amazonaws.com/other`"
        ),
        "{}",
        err.message
    );
}

#[test]
fn new_revisions_record_what_they_replace_without_counting_as_a_change() {
    let img = ResolvedImage {
        digest: None,
        ..image("v1")
    };
    let mut req = request();
    req.pin_image_digest = false;
    let p = plan_for(&req, &img).unwrap();
    assert!(!p.changed, "the own tags alone are no change");
    assert_eq!(
        taskdef::tag(&p.rendered, PREVIOUS_TAG),
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:3")
    );
    assert_eq!(taskdef::tag(&p.rendered, IMAGE_TAG_TAG), Some("v1"));
    req.tag_revisions = false;
    assert_eq!(
        taskdef::tag(&plan_for(&req, &img).unwrap().rendered, PREVIOUS_TAG),
        None
    );
}

#[test]
fn rollout_settings_merge_with_the_services_and_only_count_when_they_differ() {
    let img = ResolvedImage {
        digest: None,
        ..image("v1")
    };
    let mut req = request();
    req.pin_image_digest = false;
    req.settings = DeploymentSettings {
        circuit_breaker: Some(CircuitBreaker {
            enable: true,
            rollback: true,
        }),
        minimum_healthy_percent: Some(100),
        ..DeploymentSettings::default()
    };
    let mut svc = service();
    svc.settings = DeploymentSettings {
        maximum_percent: Some(200),
        minimum_healthy_percent: Some(50),
        ..DeploymentSettings::default()
    };
    let p = plan_with(&req, &img, &svc).unwrap();
    assert_eq!(
        p.settings,
        Some(DeploymentSettings {
            maximum_percent: Some(200),
            minimum_healthy_percent: Some(100),
            circuit_breaker: Some(CircuitBreaker {
                enable: true,
                rollback: true,
            }),
            ..DeploymentSettings::default()
        })
    );
    assert_eq!(
        p.settings_changes,
        [
            "circuit breaker: (unset) → on with rollback",
            "minimum healthy percent: 50 % → 100 %"
        ]
    );
    assert!(
        p.updates_service() && !p.starts_deployment(),
        "settings alone update the service without a new deployment"
    );
    svc.settings = p.settings.clone().unwrap();
    assert_eq!(
        plan_with(&req, &img, &svc).unwrap().settings,
        None,
        "already set: nothing to send"
    );
}

#[test]
fn a_grace_period_needs_a_load_balancer() {
    let mut req = request();
    req.settings.health_check_grace_period = Some(60);
    let err = plan_for(&req, &image("v2")).unwrap_err();
    assert_eq!(
        err.message,
        "input `service-settings.health-check-grace-period` needs a load balancer, and service `api` has none"
    );
    let mut svc = service();
    svc.load_balanced = true;
    assert!(plan_with(&req, &image("v2"), &svc).is_ok());
}

#[test]
fn several_services_share_the_cluster_and_add_their_own_variables() {
    let mut req = request();
    req.target.cluster = Some("main".into());
    req.environment_variables = vec![
        ("LOG_LEVEL".into(), "info".into()),
        ("ROLE".into(), "shared".into()),
    ];
    req.services = crate::input::services::parse(
        "- api\n- service: worker\n  container: app\n  environment-variables:\n    ROLE: worker\n",
    )
    .unwrap();
    let r = resolve(&req, None).unwrap();
    let names: Vec<&str> = r.targets.iter().map(|t| t.service.as_str()).collect();
    assert_eq!((r.cluster.as_str(), names), ("main", vec!["api", "worker"]));
    assert_eq!(r.targets[1].containers, ["app"]);
    let live = live();
    let mut worker = r.targets[1].clone();
    worker.containers = vec!["web".into()];
    let p = plan(
        &req,
        &PlanInput {
            resolved: &r,
            target: &worker,
            region: "us-east-1",
            live: &live,
            service: &service(),
            image: &image("v2"),
            other_images: &[],
            existing: None,
        },
    )
    .unwrap();
    let env = &p.rendered["containerDefinitions"][0]["environment"];
    assert!(
        env.as_array()
            .unwrap()
            .contains(&json!({"name": "ROLE", "value": "worker"})),
        "{env}"
    );
    assert!(
        env.as_array()
            .unwrap()
            .contains(&json!({"name": "LOG_LEVEL", "value": "info"})),
        "{env}"
    );
    assert_eq!(p.service, "worker");
}

#[test]
fn several_services_still_need_a_cluster() {
    let mut req = request();
    req.services = crate::input::services::parse("- api\n").unwrap();
    assert_eq!(
        resolve(&req, None).unwrap_err().message,
        "no cluster given: input `cluster` is empty"
    );
}

#[test]
fn strategy_settings_merge_step_by_step_and_keep_the_services_hooks() {
    let img = image("v2");
    let mut svc = service();
    svc.settings = DeploymentSettings {
        strategy: Some(DeploymentStrategy::Canary),
        bake_time_minutes: Some(10),
        canary: TrafficStep {
            percent: Some(Tenths(50)),
            bake_minutes: Some(10),
        },
        lifecycle_hooks: vec!["PAUSE at POST_TEST_TRAFFIC_SHIFT".into()],
        ..DeploymentSettings::default()
    };
    let mut req = request();
    req.settings.canary.percent = Some(Tenths(125));
    req.settings.alarms = Some(Alarms {
        names: vec!["api-5xx".into()],
        enable: true,
        rollback: true,
    });
    let p = plan_with(&req, &img, &svc).unwrap();
    let settings = p.settings.unwrap();
    assert_eq!(
        settings.canary,
        TrafficStep {
            percent: Some(Tenths(125)),
            bake_minutes: Some(10)
        },
        "the canary's bake time stays the service's"
    );
    assert_eq!(settings.strategy, Some(DeploymentStrategy::Canary));
    assert_eq!(settings.bake_time_minutes, Some(10));
    assert_eq!(settings.lifecycle_hooks, svc.settings.lifecycle_hooks);
    assert_eq!(
        p.settings_changes,
        [
            "canary traffic: 5 % → 12.5 %",
            "alarms: (unset) → api-5xx (roll back)"
        ]
    );
    assert_eq!(p.lifecycle_hooks, ["PAUSE at POST_TEST_TRAFFIC_SHIFT"]);
}

#[test]
fn canary_or_linear_inputs_need_that_strategy_on_the_service() {
    let mut req = request();
    req.settings.linear.bake_minutes = Some(3);
    let err = plan_for(&req, &image("v2")).unwrap_err();
    assert_eq!(
        err.message,
        "inputs `deployment.linear-step-percent` and `deployment.linear-step-bake-minutes` are for the `linear` strategy, and service `api` uses the default (`rolling`)"
    );
    assert_eq!(
        err.hint.as_deref(),
        Some("set `deployment.strategy: linear` too, or remove them")
    );
    let mut svc = service();
    svc.settings.strategy = Some(DeploymentStrategy::Linear);
    assert!(plan_with(&req, &image("v2"), &svc).is_ok());
    svc.settings.strategy = Some(DeploymentStrategy::BlueGreen);
    let err = plan_with(&req, &image("v2"), &svc).unwrap_err();
    assert!(
        err.message.ends_with("service `api` uses `blue-green`"),
        "{}",
        err.message
    );
    // Switching the strategy in the same deploy is fine.
    req.settings.strategy = Some(DeploymentStrategy::Linear);
    assert!(plan_with(&req, &image("v2"), &svc).is_ok());
}
