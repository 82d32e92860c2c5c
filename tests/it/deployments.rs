//! ECS's service deployments as the emulator records them, read through ecs-ship's own SDK code
//! (`aws::deployments`) and judged by `domain::deployment::standing`: the wire format, the
//! conversion and the mapping together.

use std::time::{Duration, SystemTime};

use ecs_ship::aws::deployments::{describe_service_deployments, list_service_deployments};
use ecs_ship::domain::deployment::{Standing, standing};
use serde_json::json;

use crate::support::{Emulator, deploy_dev};

const CLUSTER: &str = "bellyfed-dev";
const SERVICE: &str = "bellyfed-dev-service";

fn client(em: &Emulator) -> aws_sdk_ecs::Client {
    let config = aws_sdk_ecs::Config::builder()
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
        let arns = list_service_deployments(&client, CLUSTER, SERVICE, after)
            .await
            .unwrap();
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
            .contains(":service-deployment/bellyfed-dev/bellyfed-dev-service/")
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
            SystemTime::now() + Duration::from_secs(60),
        ))
        .unwrap();
    assert!(later.is_empty());
}

#[test]
fn a_circuit_breaker_rollback_is_a_rolled_back_service_deployment_with_why() {
    let em = Emulator::start(&["dev"]);
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
