//! ECS's service deployments as the emulator records them, read through ecs-ship's own SDK code
//! (`aws::deployments`) and judged by `domain::deployment::standing`: the wire format, the
//! conversion and the mapping together; and the binary judging deploys by them (bake time, an
//! alarm that rolls back, a deploy role without the permission).

use std::time::{Duration, SystemTime};

use ecs_ship::aws::deployments::{describe_service_deployments, list_service_deployments};
use ecs_ship::domain::deployment::{Standing, standing};
use serde_json::json;

use crate::support::{Emulator, deploy_dev};

const CLUSTER: &str = "shop-dev";
const SERVICE: &str = "shop-dev-service";

fn client(em: &Emulator) -> aws_sdk_ecs::Client {
    let config = aws_sdk_ecs::Config::builder()
        .http_client(ecs_ship::aws::http_client())
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new("us-east-1"))
        .endpoint_url(em.endpoint())
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    aws_sdk_ecs::Client::from_conf(config)
}

/// The newest service deployment of the service created after `after`, and how it stands.
fn newest(
    em: &Emulator,
    after: SystemTime,
) -> (
    usize,
    Standing,
    ecs_ship::domain::deployment::ServiceDeployment,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = client(em);
        let arns: Vec<String> = list_service_deployments(&client, CLUSTER, SERVICE, after)
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.arn)
            .collect();
        let described = describe_service_deployments(&client, &arns[..1])
            .await
            .unwrap();
        let deployment = described.into_iter().next().unwrap();
        (arns.len(), standing(&deployment), deployment)
    })
}

#[test]
fn a_completed_rollout_is_a_successful_service_deployment() {
    let em = Emulator::start(&["dev"]);
    let before = SystemTime::now() - Duration::from_secs(1);
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let (count, standing, deployment) = newest(&em, before);
    assert_eq!(count, 1, "one service deployment per rollout");
    assert_eq!(standing, Standing::Deployed);
    assert!(
        deployment
            .arn
            .contains(":service-deployment/shop-dev/shop-dev-service/")
    );
    assert!(deployment.target_revision.is_some());
    assert_eq!(deployment.source_revisions.len(), 1);
    assert!(deployment.finished_at.is_some());
    // Created after now: none.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let later = runtime
        .block_on(list_service_deployments(
            &client(&em),
            CLUSTER,
            SERVICE,
            SystemTime::now() + Duration::from_mins(1),
        ))
        .unwrap();
    assert!(later.is_empty());
}

#[test]
fn a_circuit_breaker_rollback_is_a_rolled_back_service_deployment_with_why() {
    let em = Emulator::start(&["dev"]);
    em.circuit_breaker(CLUSTER, SERVICE);
    em.scenario(CLUSTER, SERVICE, "fail", 0.8);
    let before = SystemTime::now() - Duration::from_secs(1);
    let run = deploy_dev(&em, &[("max-task-failures", "0")]);
    assert_eq!(run.output("status"), "rolled-back", "{}", run.stdout);
    let (_, standing, _) = newest(&em, before);
    assert_eq!(
        standing,
        Standing::RolledBack {
            why: "ECS deployment circuit breaker: tasks failed to start.; circuit breaker: 3 failed tasks (threshold 3)"
                .into()
        }
    );
}

#[test]
fn a_rollout_in_progress_is_an_underway_service_deployment() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(CLUSTER, SERVICE, &json!({"outcome": "hang"}));
    let before = SystemTime::now() - Duration::from_secs(1);
    let run = deploy_dev(&em, &[("wait", "false")]);
    assert_eq!(run.output("status"), "started", "{}", run.stdout);
    let (_, standing, _) = newest(&em, before);
    assert_eq!(standing, Standing::Underway { stage: None });
}

#[test]
fn the_binary_waits_for_bake_time_and_reports_ecs_deployment() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "complete", "delay": 0.5, "bake": 2.5}),
    );
    let started = std::time::Instant::now();
    let run = deploy_dev(&em, &[]);
    let took = started.elapsed();
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    assert!(
        took >= Duration::from_secs(3),
        "deployed only after bake time (0.5 s rollout + 2.5 s bake): {took:?}"
    );
    assert!(
        run.stdout
            .contains("shop-dev-service: service deployment IN_PROGRESS, stage BAKE_TIME (at "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("service deployment SUCCESSFUL"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains(
            "| ECS deployment | SUCCESSFUL (ROLLING, bake time 1 min), service deployment "
        ),
        "{}",
        run.summary
    );
    // The update's answer names the service deployment: no lookup by time.
    assert_eq!(em.count("ListServiceDeployments"), 0);
    assert!(em.count("DescribeServiceDeployments") >= 3);
}

#[test]
fn an_alarm_in_bake_time_is_rolled_back_by_ecs_and_the_binary_does_not_roll_back_again() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "complete", "delay": 0.5, "bake": 60, "alarm": {"at": 1.0, "name": "api-5xx"}}),
    );
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "rolled-back", "{}", run.stdout);
    assert!(
        run.output("failure-reason")
            .contains("failed and ECS rolled it back: CloudWatch alarm api-5xx is in ALARM; alarms in ALARM: api-5xx"),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(em.count("UpdateService"), 1, "ECS rolled back, not us");
    assert!(
        run.summary.contains("by ECS (CloudWatch alarms)"),
        "{}",
        run.summary
    );
    assert_eq!(
        em.running("dev", SERVICE),
        "1",
        "the service runs revision 1 again"
    );
}

#[test]
fn a_deploy_role_without_service_deployment_permissions_still_deploys_and_says_so() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "complete", "delay": 0.5, "bake": 60}),
    );
    em.fault(
        "DescribeServiceDeployments",
        "denied",
        &json!({"times": -1}),
    );
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    assert_eq!(
        run.stdout
            .matches("ECS's service deployment of shop-dev-service cannot be used (")
            .count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        run.summary
            .contains("the verdict is from DescribeServices alone"),
        "{}",
        run.summary
    );
}

#[test]
fn strategy_inputs_are_sent_with_the_services_own_deployment_configuration_kept() {
    let em = Emulator::start(&["dev"]);
    // The infrastructure gave the service a PAUSE hook and its own rollout percentages.
    with_pause_hook(&em, Some((200, 100)));
    em.reset_calls();
    let run = deploy_dev(
        &em,
        &[(
            "deployment",
            "strategy: canary\ncanary-percent: 12.5\nbake-time-minutes: 5\nalarms: api-5xx, api-latency",
        )],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let update = &em.bodies("UpdateService")[0]["deploymentConfiguration"];
    assert_eq!(update["strategy"], "CANARY", "{update}");
    assert_eq!(update["bakeTimeInMinutes"], 5, "{update}");
    assert_eq!(
        update["canaryConfiguration"]["canaryPercent"], 12.5,
        "{update}"
    );
    assert_eq!(
        update["alarms"],
        json!({"alarmNames": ["api-5xx", "api-latency"], "enable": true, "rollback": true}),
        "{update}"
    );
    assert_eq!(
        update["maximumPercent"], 200,
        "the service's own settings stay: {update}"
    );
    assert_eq!(
        update["lifecycleHooks"][0]["targetType"], "PAUSE",
        "the service's lifecycle hooks stay: {update}"
    );
    assert!(
        run.stdout.contains("Rollout settings: strategy: (unset) → CANARY; bake time: (unset) → 5 min; canary traffic: (unset) → 12.5 %; alarms: (unset) → api-5xx, api-latency (roll back)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "Lifecycle hooks (as the service has them, unchanged): PAUSE at POST_TEST_TRAFFIC_SHIFT"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.summary
            .contains("| Rollout settings | strategy: (unset) → CANARY;"),
        "{}",
        run.summary
    );
}

/// Gives the service a PAUSE lifecycle hook at `POST_TEST_TRAFFIC_SHIFT` (and maximum and
/// minimum healthy percents, when given), as the infrastructure would.
pub(crate) fn with_pause_hook(em: &Emulator, percents: Option<(i32, i32)>) {
    use aws_sdk_ecs::types::{
        DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookStage,
        DeploymentLifecycleHookTargetType,
    };
    let hook = DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::Pause)
        .lifecycle_stages(DeploymentLifecycleHookStage::PostTestTrafficShift)
        .build();
    let configuration = DeploymentConfiguration::builder()
        .set_maximum_percent(percents.map(|p| p.0))
        .set_minimum_healthy_percent(percents.map(|p| p.1))
        .lifecycle_hooks(hook)
        .build();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        client(em)
            .update_service()
            .cluster(CLUSTER)
            .service(SERVICE)
            .deployment_configuration(configuration)
            .send()
            .await
            .unwrap();
    });
}

#[test]
fn the_binary_pauses_at_the_hook_then_continue_deploys_and_rollback_rolls_back() {
    let em = Emulator::start(&["dev"]);
    with_pause_hook(&em, None);
    // Revision 2 is approved; revision 3 (a new variable) is rejected and ECS puts 2 back.
    for (command, status, variables, running) in [
        ("continue", "deployed", "", "2"),
        ("rollback", "rolled-back", "ROUND: \"2\"", "2"),
    ] {
        em.scenario_with(
            CLUSTER,
            SERVICE,
            &json!({"outcome": "complete", "delay": 1.0, "pause": true}),
        );
        let run = deploy_dev(
            &em,
            &[("wait", "paused"), ("environment-variables", variables)],
        );
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert_eq!(run.output("status"), "paused", "{}", run.stdout);
        assert_eq!(run.output("lifecycle-stage"), "POST_TEST_TRAFFIC_SHIFT");
        let arn = run.output("service-deployment-arn").to_string();
        let hook = run.output("hook-id").to_string();
        assert!(hook.starts_with("hook-"), "{hook}");
        assert!(
            run.summary.contains("| Paused at | hook"),
            "{}",
            run.summary
        );
        let run = crate::support::run_action(
            Some(&em),
            &[
                ("command", command),
                ("environment", "dev"),
                ("service-deployment-arn", &arn),
                ("hook-id", &hook),
            ],
        );
        assert_eq!(run.code, 0, "{command}: {}", run.stdout);
        assert_eq!(run.output("status"), status, "{command}: {}", run.stdout);
        assert_eq!(em.running("dev", SERVICE), running, "{command}");
    }
    assert_eq!(em.count("ContinueServiceDeployment"), 2);
}

#[test]
fn the_summary_shows_the_digest_ecs_resolved_for_each_container() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let digest = run.output("image-digest").to_string();
    assert!(digest.starts_with("sha256:"), "{digest}");
    assert!(
        run.summary.contains("### Images ECS runs")
            && run
                .summary
                .contains(&format!("| app | {digest} | as checked in ECR |")),
        "{}",
        run.summary
    );
    assert_eq!(em.count("DescribeServiceRevisions"), 1);
}
