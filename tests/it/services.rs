//! Several services in one deploy, end to end against moto with the scenario layer.

use std::time::Duration;

use crate::support::{Emulator, deploy_dev, revision, run_action};
use serde_json::{Value, json};

const MAIN: &str = "shop-dev-service";

fn services_output(run: &crate::support::Run) -> Vec<Value> {
    serde_json::from_str::<Value>(run.output("services"))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn three_services_get_the_same_image_and_their_own_variables() {
    let em = Emulator::start(&["dev"]);
    em.add_services("dev", &["shop-dev-worker", "shop-dev-scheduler"]);
    let services = "- shop-dev-service\n- service: shop-dev-worker\n  environment-variables:\n    ROLE: worker\n- shop-dev-scheduler\n";
    let run = deploy_dev(
        &em,
        &[
            ("services", services),
            ("environment-variables", "ROLE: web"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("status"), "deployed");
    let out = services_output(&run);
    assert_eq!(
        out.iter()
            .map(|s| (
                s["service"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            ("shop-dev-service", "deployed"),
            ("shop-dev-worker", "deployed"),
            ("shop-dev-scheduler", "deployed")
        ]
    );
    for name in ["shop-dev-service", "shop-dev-worker", "shop-dev-scheduler"] {
        assert_eq!(
            em.running("dev", name),
            "2",
            "{name} runs its family's new revision"
        );
        let live = &em.service_state("dev", name)["live"]["taskDefinition"];
        assert!(
            live["containerDefinitions"][0]["image"]
                .as_str()
                .unwrap()
                .contains("@sha256:"),
            "{name}"
        );
        let role = live["containerDefinitions"][0]["environment"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "ROLE")
            .unwrap()["value"]
            .clone();
        assert_eq!(
            role,
            if name == "shop-dev-worker" {
                "worker"
            } else {
                "web"
            },
            "{name}"
        );
    }
    assert_eq!(
        run.output("task-definition-arn"),
        out[0]["task-definition-arn"].as_str().unwrap(),
        "single outputs describe the first"
    );
    assert!(
        run.summary.contains("## ✅ Deployed 3 services to dev"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("| [shop-dev-worker](https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/shop-dev/services/shop-dev-worker/health?region=us-east-1) | shop-dev-worker:1 → [shop-dev-worker:2](https://us-east-1.console.aws.amazon.com/ecs/v2/task-definitions/shop-dev-worker/2/containers?region=us-east-1) |"), "{}", run.summary);
    assert_eq!(em.count("UpdateService"), 3);
}

#[test]
fn one_failing_service_rolls_every_changed_service_back() {
    let em = Emulator::start(&["dev"]);
    em.add_services("dev", &["shop-dev-worker", "shop-dev-scheduler"]);
    em.scenario_with(
        "shop-dev",
        "shop-dev-worker",
        &json!({"outcome": "crash", "delay": 0.2, "interval": 1.0}),
    );
    let services = "[shop-dev-service, shop-dev-worker, shop-dev-scheduler]";
    let run = deploy_dev(&em, &[("services", services)]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "rolled-back");
    assert!(
        run.output("failure-reason")
            .starts_with("1 of 3 services failed: shop-dev-worker: "),
        "{}",
        run.output("failure-reason")
    );
    let out = services_output(&run);
    for s in &out {
        assert_eq!(s["status"], "rolled-back", "{s}");
        assert_eq!(
            revision(s["rollback-task-definition-arn"].as_str().unwrap()),
            "1",
            "{s}"
        );
    }
    assert!(
        out[1]["failure-reason"]
            .as_str()
            .unwrap()
            .contains("tasks of deployment")
    );
    assert_eq!(
        out[0]["failure-reason"], "",
        "the healthy ones did not fail themselves"
    );
    for name in [MAIN, "shop-dev-worker", "shop-dev-scheduler"] {
        assert_eq!(
            em.running("dev", name),
            "1",
            "{name} is back on its previous revision"
        );
    }
    assert!(
        run.summary.contains("| [shop-dev-scheduler]("),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("rolled-back to shop-dev-scheduler:1"),
        "{}",
        run.summary
    );
    for record in ["current-image-tag", "deployment"] {
        assert_eq!(
            em.parameter(&format!("/shop/dev/ecs/{record}")),
            None,
            "a rolled-back deploy leaves the record untouched"
        );
    }
}

/// Registers `families` at once straight through the SDK (no retries), as another deploy in the
/// account would; what each got.
fn register_at_once(em: &Emulator, families: &[String]) -> Vec<Result<(), Option<String>>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = aws_sdk_ecs::Config::builder()
            .http_client(ecs_ship::aws::http_client())
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .endpoint_url(em.endpoint())
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled())
            .build();
        let ecs = aws_sdk_ecs::Client::from_conf(config);
        let container = aws_sdk_ecs::types::ContainerDefinition::builder()
            .name("app")
            .image("nginx:1")
            .memory(64)
            .build();
        futures::future::join_all(families.iter().map(|family| {
            ecs.register_task_definition()
                .family(family)
                .container_definitions(container.clone())
                .send()
        }))
        .await
        .into_iter()
        .map(|r| {
            r.map(|_| ()).map_err(|e| {
                e.as_service_error()
                    .and_then(aws_sdk_ecs::error::ProvideErrorMetadata::code)
                    .map(str::to_string)
            })
        })
        .collect()
    })
}

#[test]
fn the_emulator_throttles_registrations_past_the_burst_and_refuses_two_into_one_family() {
    // Guards the tests of registration at AWS's limits: a burst of 20, then throttled.
    let em = Emulator::start(&["dev"]);
    let families: Vec<String> = (0..25).map(|i| format!("f{i}")).collect();
    let results = register_at_once(&em, &families);
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(
        (20..=21).contains(&ok),
        "the burst goes through: {results:?}"
    );
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|code| code.as_deref() == Some("ThrottlingException")),
        "{results:?}"
    );
    // Two registrations into one family at once: one is refused.
    std::thread::sleep(Duration::from_secs(3));
    let results = register_at_once(&em, &["same".to_string(), "same".to_string()]);
    assert!(
        results.iter().any(Result::is_ok)
            && results
                .iter()
                .any(|r| *r == Err(Some("ClientException".into()))),
        "{results:?}"
    );
}

#[test]
fn the_old_service_input_is_refused_naming_services() {
    let run = run_action(
        None,
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("services", "api"),
        ],
    );
    assert!(
        run.stdout.contains("no cluster given") && !run.stdout.contains("renamed"),
        "one name is one service: {}",
        run.stdout
    );
    let mut action =
        crate::support::ActionRun::new(None, &[("environment", "dev"), ("image-tag", "v2")]);
    action = action.env("INPUT_SERVICE", "api");
    let run = action.run();
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains(
            "input `service` was renamed%0Ahint: use `services` (one name or ARN, or a list)"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_deploy_while_another_drained_the_bucket_is_throttled_then_retried_not_failed() {
    let em = Emulator::start(&["dev"]);
    // Another deploy in the account just used the whole burst.
    let others: Vec<String> = (0..20).map(|i| format!("other{i}")).collect();
    assert!(register_at_once(&em, &others).iter().all(Result::is_ok));
    em.reset_calls();
    let run = deploy_dev(&em, &[("wait", "false")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let registers: Vec<Value> = em
        .calls_detailed()
        .into_iter()
        .filter(|c| c["op"] == "RegisterTaskDefinition")
        .collect();
    assert!(
        registers.iter().any(|c| c["throttled"] == true),
        "the bucket was empty: {registers:?}"
    );
    assert_eq!(
        registers.iter().filter(|c| c["throttled"] == false).count(),
        1,
        "registered in the end"
    );
    assert_eq!(em.running("dev", "shop-dev-service"), "2");
}
