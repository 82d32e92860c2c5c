//! Rollout outcomes end to end: the real binary against moto with the scenario layer making
//! deployments complete, fail, crash-loop or hang the way ECS does.

use std::time::Duration;

use crate::support::{ActionRun, Emulator, deploy_dev, dev_inputs, revision, run_action};
use serde_json::json;

const PREFIX: &str = crate::support::SSM_PREFIX;
const CLUSTER: &str = "shop-dev";
const SERVICE: &str = "shop-dev-service";

#[test]
fn fast_rollback_settings_go_in_the_same_update() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(
        &em,
        &[(
            "deployment",
            "circuit-breaker: true\nmaximum-percent: 200\nminimum-healthy-percent: 100",
        )],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let update = em.bodies("UpdateService").pop().unwrap();
    assert_eq!(
        update["deploymentConfiguration"],
        json!({"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": true, "rollback": true}})
    );
    assert_eq!(
        update["taskDefinition"],
        run.output("task-definition-arn"),
        "one UpdateService call carries both"
    );
    let run = deploy_dev(
        &em,
        &[("service-settings", "health-check-grace-period: 60")],
    );
    assert_eq!(run.code, 2, "no load balancer: refused before any write");
    assert!(
        run.stdout.contains("needs a load balancer"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_rollback_command_goes_back_to_the_recorded_previous_revision() {
    let em = Emulator::start(&["dev"]);
    let first = deploy_dev(&em, &[]);
    assert_eq!(first.output("status"), "deployed");
    let run = run_action(
        Some(&em),
        &[
            ("command", "rollback"),
            ("environment", "dev"),
            ("ssm-prefix", PREFIX),
            ("image-tag", "ignored"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("status"), "rolled-back");
    assert_eq!(revision(run.output("rollback-task-definition-arn")), "1");
    assert_eq!(revision(run.output("previous-task-definition-arn")), "2");
    assert_eq!(em.running("dev", SERVICE), "1");
    assert!(
        run.summary
            .starts_with("## ↩️ Rolled back shop-dev-service in dev"),
        "{}",
        run.summary
    );
    crate::pin!("rollback_command", run);

    // Revision 1 was registered by the seed, not by ecs-ship: it records nothing to go back to.
    let run = run_action(
        Some(&em),
        &[
            ("command", "rollback"),
            ("environment", "dev"),
            ("ssm-prefix", PREFIX),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("shop-dev-service:1 does not record the revision it replaced"),
        "{}",
        run.stdout
    );
    // An explicit `to` works anyway.
    let run = run_action(
        Some(&em),
        &[
            ("command", "rollback"),
            ("environment", "dev"),
            ("ssm-prefix", PREFIX),
            ("revision", "shop-dev-service:2"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(em.running("dev", SERVICE), "2");
}

#[test]
fn cancelling_while_waiting_writes_outputs_and_summary_and_exits_non_zero() {
    let em = Emulator::start(&["dev"]);
    em.scenario(CLUSTER, SERVICE, "hang", 0.0);
    let action = ActionRun::new(Some(&em), &dev_inputs(&[]));
    let (run, stopped_in) = action.cancel_after("::group::Wait for deployment ecs-svc/");
    assert!(
        stopped_in < Duration::from_secs(2),
        "stopped promptly ({stopped_in:?})"
    );
    assert_eq!(run.code, 130, "{}", run.stdout);
    assert_eq!(run.output("status"), "cancelled");
    assert!(
        run.output("failure-reason")
            .starts_with("cancelled (SIGTERM) while waiting for deployment ecs-svc/"),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(
        revision(run.output("task-definition-arn")),
        "2",
        "what was registered is reported"
    );
    assert!(run.summary.contains("was cancelled"), "{}", run.summary);
}

#[test]
fn progress_is_one_line_per_change_with_elapsed_time() {
    let em = Emulator::start(&["dev"]);
    em.scenario(CLUSTER, SERVICE, "complete", 2.5);
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let progress: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("s] shop-dev-service: running"))
        .collect();
    assert!(
        (2..=3).contains(&progress.len()),
        "one line per change, not per poll: {progress:#?}"
    );
    assert!(
        progress
            .last()
            .unwrap()
            .ends_with("running 2/2 pending 0 rollout COMPLETED"),
        "{progress:#?}"
    );
}

#[test]
fn tasks_failing_load_balancer_health_checks_show_their_target_health() {
    let em = Emulator::start_with(&[], &["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.2, "interval": 1.2, "health": true}),
    );
    let run = deploy_dev(
        &em,
        &[("service-settings", "health-check-grace-period: 30")],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert!(
        run.output("failure-reason")
            .contains("Task failed ELB health checks"),
        "{}",
        run.output("failure-reason")
    );
    assert!(
        run.summary.contains("### Load balancer targets"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("(failed task) | unhealthy | Target.ResponseCodeMismatch: Health checks failed with these codes: [502]"), "{}", run.summary);
    assert!(
        !run.summary.contains("10.0.1.10"),
        "healthy targets of other tasks are left out"
    );
    assert!(
        run.stdout.contains("::group::Load balancer targets"),
        "{}",
        run.stdout
    );
    assert_eq!(
        em.bodies("UpdateService")[0]["healthCheckGracePeriodSeconds"],
        30,
        "accepted for a load-balanced service"
    );
}

#[test]
fn on_cancel_rollback_stops_the_service_deployment_with_a_rollback_before_exiting() {
    let em = Emulator::start(&["dev"]);
    em.scenario(CLUSTER, SERVICE, "hang", 0.0);
    let action = ActionRun::new(Some(&em), &dev_inputs(&[("on-cancel", "rollback")]));
    let (run, stopped_in) = action.cancel_after("::group::Wait for deployment ecs-svc/");
    assert!(
        stopped_in < Duration::from_secs(5),
        "within the runner's grace period ({stopped_in:?})"
    );
    assert_eq!(run.code, 130, "{}", run.stdout);
    assert_eq!(run.output("status"), "cancelled");
    let reason = run.output("failure-reason");
    assert!(
        reason.starts_with("cancelled (SIGTERM) while waiting for deployment ecs-svc/")
            && reason.contains("; on-cancel rollback: shop-dev-service: stopped service deployment arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-dev/shop-dev-service/")
            && reason.ends_with("with a rollback (ECS puts shop-dev-service:1 back)")
            && !reason.contains("ECS carries on"),
        "{reason}"
    );
    assert_eq!(revision(run.output("rollback-task-definition-arn")), "1");
    assert_eq!(em.count("StopServiceDeployment"), 1);
    assert_eq!(
        em.count("UpdateService"),
        1,
        "ECS rolls back, not another update"
    );
    // ECS's rollback completes 2 s later.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while em.running("dev", SERVICE) != "1" {
        assert!(
            std::time::Instant::now() < deadline,
            "ECS put revision 1 back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn on_cancel_rollback_updates_back_when_the_service_deployment_cannot_be_stopped_and_never_hangs() {
    let em = Emulator::start(&["dev"]);
    em.scenario(CLUSTER, SERVICE, "hang", 0.0);
    // Stopping is denied, then (for the second run) held for 30 s.
    em.fault("StopServiceDeployment", "denied", &json!({"times": 1}));
    let action = ActionRun::new(Some(&em), &dev_inputs(&[("on-cancel", "rollback")]));
    let (run, stopped_in) = action.cancel_after("::group::Wait for deployment ecs-svc/");
    assert!(stopped_in < Duration::from_secs(5), "{stopped_in:?}");
    let reason = run.output("failure-reason");
    assert!(
        reason.contains("; on-cancel rollback: shop-dev-service: updated back to shop-dev-service:1 (deployment ecs-svc/"),
        "{reason}"
    );
    assert_eq!(
        em.count("UpdateService"),
        2,
        "the deploy's, and the one back"
    );
    assert_eq!(em.running("dev", SERVICE), "1");

    em.scenario(CLUSTER, SERVICE, "hang", 0.0);
    em.fault(
        "StopServiceDeployment",
        "stall",
        &json!({"times": 1, "seconds": 30}),
    );
    let action = ActionRun::new(
        Some(&em),
        &dev_inputs(&[
            ("on-cancel", "rollback"),
            ("environment-variables", "ROUND: \"2\""),
        ]),
    );
    let (run, stopped_in) = action.cancel_after("::group::Wait for deployment ecs-svc/");
    assert!(
        stopped_in < Duration::from_secs(6),
        "a held call does not hold the exit: {stopped_in:?}"
    );
    assert_eq!(run.code, 130, "{}", run.stdout);
    assert!(
        run.output("failure-reason")
            .contains("shop-dev-service: not rolled back: AWS did not answer within 4 s"),
        "{}",
        run.output("failure-reason")
    );
}
