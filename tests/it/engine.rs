//! ECS's own deployment engine as the deploy sees it, against the model on a paused clock: the
//! verdict from the service deployment (bake time, alarms, blue/green stages), ECS's rollbacks
//! reported and never repeated, and the fallback to `DescribeServices` where service deployments
//! cannot be read.

use std::time::Duration;

use ecs_ship::cloud::AwsError;
use ecs_ship::domain::deployment::ServiceDeploymentStatus;
use ecs_ship::report::Status;

use crate::model::{Model, Scenario, Strategy};
use crate::paused::{deploy, output, revision, summary};

fn baking(seconds: f64) -> Strategy {
    Strategy {
        bake: seconds,
        ..Strategy::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_deploy_is_deployed_only_after_ecs_baked_it() {
    let model = Model::new(&["api"]);
    model.strategy("api", baking(120.0));
    let (_, report, log, took) = deploy(&model, &[("service", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took >= Duration::from_secs_f64(120.5) && took <= Duration::from_secs_f64(122.5),
        "the rollout completes at 0.5 s, bake time ends 120 s later: {took:?}"
    );
    assert!(
        log.contains("service deployment IN_PROGRESS, stage BAKE_TIME"),
        "{log}"
    );
    assert!(log.contains("baking; about 2m left"), "{log}");
    assert!(log.contains("still baking; about 59s left"), "{log}");
    let records = model.service_deployments("api");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, ServiceDeploymentStatus::Successful);
    let summary = summary(&report);
    let id = records[0].arn.rsplit('/').next().unwrap();
    assert!(
        summary.contains(&format!(
            "| ECS deployment | SUCCESSFUL (ROLLING, bake time 2 min), service deployment {id} |"
        )),
        "{summary}"
    );
    let services: serde_json::Value = serde_json::from_str(&output(&report, "services")).unwrap();
    assert_eq!(
        services[0]["service-deployment-arn"],
        records[0].arn.as_str()
    );
}

#[tokio::test(start_paused = true)]
async fn an_alarm_during_bake_time_is_ecs_rollback_reported_and_not_repeated() {
    for rollback in ["true", "false"] {
        let model = Model::new(&["api"]);
        model.strategy(
            "api",
            Strategy {
                bake: 300.0,
                alarm: Some((30.0, "api-5xx")),
                ..Strategy::default()
            },
        );
        let (_, report, log, took) =
            deploy(&model, &[("service", "api"), ("rollback", rollback)]).await;
        assert_eq!(report.exit as i32, 3, "{log}");
        assert_eq!(
            output(&report, "status"),
            "rolled-back",
            "rollback: {rollback}: ECS rolled it back whatever our policy says"
        );
        assert_eq!(
            revision(&output(&report, "rollback-task-definition-arn")),
            "1"
        );
        let reason = output(&report, "failure-reason");
        assert!(
            reason.starts_with("deployment ecs-svc/")
                && reason.contains(
                    "failed and ECS rolled it back: CloudWatch alarm api-5xx is in ALARM; alarms in ALARM: api-5xx"
                ),
            "{reason}"
        );
        assert_eq!(
            model.calls("UpdateService").len(),
            1,
            "ECS rolled back; we did not update again"
        );
        assert_eq!(model.running("api"), "api:1");
        assert!(
            took >= Duration::from_secs_f64(32.5) && took <= Duration::from_secs_f64(34.5),
            "the alarm goes off 30 s into bake time, ECS's rollback ends 2 s later: {took:?}"
        );
        let summary = summary(&report);
        assert!(
            summary.contains(
                "| Rolled back to | api:1 by ECS (CloudWatch alarms), COMPLETED running 2/2 |"
            ) && summary.contains(
                "| ECS deployment | ROLLBACK_SUCCESSFUL (ROLLING, bake time 5 min, alarms api-5xx)"
            ),
            "{summary}"
        );
        assert!(
            log.contains("ECS (CloudWatch alarms) rolled back api: the rollback completed")
                && !log.contains("Not rolling back")
                && !log.contains("== Roll back"),
            "ECS's rollback is said, not ours: {log}"
        );
        assert!(
            !log.contains("service deployment ROLLBACK_IN_PROGRESS, stage BAKE_TIME (at")
                || !log.contains("baking; about 4m"),
            "no bake time while ECS rolls back: {log}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_blue_green_deployment_logs_each_lifecycle_stage_in_order() {
    let model = Model::new(&["api"]);
    model.strategy(
        "api",
        Strategy {
            blue_green: true,
            bake: 60.0,
            alarm: None,
        },
    );
    model.scenario("api", &[Scenario::Complete { delay: 14.0 }]);
    let (_, report, log, took) = deploy(&model, &[("service", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(took >= Duration::from_secs(74), "{took:?}");
    let stages = [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
    ];
    let mut from = 0;
    for stage in stages {
        let line = format!("service deployment IN_PROGRESS, stage {stage} (at ");
        let at = log[from..]
            .find(&line)
            .unwrap_or_else(|| panic!("{stage} after the stage before: {log}"));
        from += at + line.len();
    }
    assert!(log.contains("service deployment SUCCESSFUL"), "{log}");
    assert!(
        summary(&report).contains("| ECS deployment | SUCCESSFUL (BLUE_GREEN, bake time 1 min)"),
        "{}",
        summary(&report)
    );
}

#[tokio::test(start_paused = true)]
async fn a_service_deployment_the_update_does_not_name_is_found_by_when_it_was_created() {
    let model = Model::new(&["api"]);
    model.without_current_service_deployment();
    model.strategy("api", baking(60.0));
    let (_, report, log, took) = deploy(&model, &[("service", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took >= Duration::from_secs_f64(60.5),
        "bake time was seen: {took:?}"
    );
    assert_eq!(
        model.calls("ListServiceDeployments").len(),
        1,
        "looked up once, then read by ARN"
    );
    assert!(!log.contains("cannot be used"), "{log}");
}

#[tokio::test(start_paused = true)]
async fn without_permission_for_service_deployments_the_deploy_still_succeeds_and_says_why() {
    let model = Model::new(&["api"]);
    model.strategy("api", baking(60.0));
    model.fault(
        "DescribeServiceDeployments",
        0,
        &AwsError::service(
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: ecs:DescribeServiceDeployments",
        ),
        10_000,
    );
    let (_, report, log, took) = deploy(&model, &[("service", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took < Duration::from_secs(3),
        "judged from the rollout alone: {took:?}"
    );
    assert_eq!(model.calls("DescribeServiceDeployments").len(), 1);
    assert_eq!(
        log.matches("ECS's service deployment cannot be used")
            .count(),
        1,
        "{log}"
    );
    let summary = summary(&report);
    assert!(
        summary.contains("> ⚠️ api: ECS's service deployment could not be used (")
            && summary.contains("AccessDeniedException")
            && summary.contains("the verdict is from DescribeServices alone (bake time, alarms and lifecycle hooks were not seen)"),
        "{summary}"
    );
    assert!(!summary.contains("| ECS deployment |"), "{summary}");
}

#[tokio::test(start_paused = true)]
async fn service_deployments_failing_for_a_while_are_waited_out() {
    let model = Model::new(&["api"]);
    model.strategy("api", baking(30.0));
    model.fault(
        "DescribeServiceDeployments",
        0,
        &AwsError::service("ServerException", "Service Unavailable (injected)"),
        2,
    );
    let (_, report, log, took) = deploy(&model, &[("service", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took >= Duration::from_secs_f64(30.5),
        "bake time was seen: {took:?}"
    );
    assert!(
        !log.contains("cannot be used"),
        "two failed reads are not three: {log}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_deploy_that_switches_to_blue_green_with_bake_time_waits_for_it() {
    let model = Model::new(&["api"]);
    model.scenario("api", &[Scenario::Complete { delay: 7.0 }]);
    let (_, report, log, took) = deploy(
        &model,
        &[
            ("service", "api"),
            ("deployment-strategy", "blue-green"),
            ("bake-time-minutes", "2"),
        ],
    )
    .await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took >= Duration::from_secs(120),
        "ECS bakes the new revision for 2 min: {took:?}"
    );
    assert!(
        log.contains(
            "Rollout settings: strategy: (unset) → BLUE_GREEN; bake time: (unset) → 2 min"
        ),
        "{log}"
    );
    assert!(log.contains("stage TEST_TRAFFIC_SHIFT"), "{log}");
    let summary = summary(&report);
    assert!(
        summary.contains(
            "| Rollout settings | strategy: (unset) → BLUE_GREEN; bake time: (unset) → 2 min |"
        ) && summary.contains("| ECS deployment | SUCCESSFUL (BLUE_GREEN, bake time 2 min)"),
        "{summary}"
    );
    assert_eq!(
        model.calls("UpdateService").len(),
        1,
        "settings ride on the deploy's update"
    );
}
