//! AWS faults and a world that changes under the deploy, end to end: the real binary against the
//! emulator, whose front injects faults per operation (5xx, throttling, access denied, client
//! errors, lost answers, reset connections, stalls), while the scenario layer moves rollouts. Each
//! case checks that the run ends safe (no unchecked revision left live, no lost cause) and that
//! its outputs and summary say truly what state the service is in.

use std::time::{Duration, Instant};

use crate::support::{ActionRun, Emulator, deploy_dev, dev_inputs, revision};
use serde_json::json;

const CLUSTER: &str = "shop-dev";
const SERVICE: &str = "shop-dev-service";

#[test]
fn stopped_tasks_that_cannot_be_read_still_fail_a_health_check_crash_loop_and_roll_back() {
    let em = Emulator::start_with(&[], &["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.2, "interval": 0.5, "health": true}),
    );
    em.fault("ListTasks", "denied", &json!({"times": -1}));
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "rolled-back");
    let reason = run.output("failure-reason");
    assert!(
        reason.contains("tasks of deployment ecs-svc/")
            && reason.contains("(ECS's count; why they stopped could not be read: listing stopped tasks of deployment"),
        "{reason}"
    );
    assert!(
        run.stdout
            .contains("stopped tasks could not be read (listing stopped tasks"),
        "{}",
        run.stdout
    );
    assert_eq!(em.running("dev", SERVICE), "1");
}

#[test]
fn a_rollback_ecs_refuses_keeps_the_cause_and_says_where_the_service_is() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.2, "interval": 0.4}),
    );
    // ECS refuses the rollback's update (the revision went INACTIVE, say).
    em.fault(
        "UpdateService",
        "client",
        &json!({"after": 1, "times": -1, "message": "TaskDefinition is inactive"}),
    );
    let run = deploy_dev(&em, &[]);
    assert_eq!(
        run.code, 3,
        "the rollout failed: exit 3, not 1\n{}",
        run.stdout
    );
    assert_eq!(run.output("status"), "failed");
    let reason = run.output("failure-reason");
    assert!(
        reason.contains(" tasks of deployment ecs-svc/")
            && reason.contains(
                "; the rollback of shop-dev-service to shop-dev-service:1 could not be started: "
            )
            && reason.ends_with("ClientException: TaskDefinition is inactive"),
        "{reason}"
    );
    assert_eq!(revision(run.output("rollback-task-definition-arn")), "1");
    assert_eq!(revision(run.output("task-definition-arn")), "2");
    assert!(
        run.summary
            .contains("| Rollback | to shop-dev-service:1 could not be started: ")
            && run
                .summary
                .contains("| Service now | runs shop-dev-service:2 (deployment ecs-svc/"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .starts_with("## ❌ Deploy shop-dev-service to dev failed"),
        "{}",
        run.summary
    );
}

#[test]
fn an_unchanged_deploy_judges_the_rollout_still_in_progress() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.1, "interval": 0.3}),
    );
    // A deploy that did not wait (or was cancelled): its rollout then crash-loops.
    let first = deploy_dev(&em, &[("wait", "false")]);
    assert_eq!(first.output("status"), "started");
    std::thread::sleep(Duration::from_millis(1500));
    // The same inputs again: nothing to change, but the service is not healthy.
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("changed"), "false");
    assert_eq!(run.output("status"), "rolled-back");
    assert!(
        run.stdout
            .contains("shop-dev-service: its deployment ecs-svc/"),
        "{}",
        run.stdout
    );
    assert_eq!(
        em.count("RegisterTaskDefinition"),
        1,
        "the second run registered nothing"
    );
    assert_eq!(em.running("dev", SERVICE), "1");

    // And a healthy service is `unchanged`, exit 0.
    let run = deploy_dev(&em, &[("image-tag", "v1"), ("pin-image-digest", "false")]);
    let again = deploy_dev(&em, &[("image-tag", "v1"), ("pin-image-digest", "false")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!((again.code, again.output("status")), (0, "unchanged"));
}

#[test]
fn cancelling_an_unchanged_deploy_says_which_rollout_it_waited_for_not_a_registration() {
    let em = Emulator::start(&["dev"]);
    em.scenario(CLUSTER, SERVICE, "hang", 0.0);
    let first = deploy_dev(&em, &[("wait", "false")]);
    assert_eq!(first.output("status"), "started");
    // The same inputs again: nothing to change, and the rollout is still in progress.
    let (run, _) = ActionRun::new(Some(&em), &dev_inputs(&[])).cancel_after("Wait for deployment");
    assert_eq!(run.output("status"), "cancelled", "{}", run.stdout);
    let reason = run.output("failure-reason");
    assert!(
        reason.starts_with("cancelled (SIGTERM) while waiting for deployment ecs-svc/")
            && !reason.contains("registering"),
        "{reason}"
    );
    assert_eq!(
        em.count("RegisterTaskDefinition"),
        1,
        "the second run registered nothing"
    );
}

#[test]
fn a_hung_call_cannot_hold_the_verdict_past_the_deadline() {
    let em = Emulator::start(&["dev"]);
    em.scenario(CLUSTER, SERVICE, "hang", 0.0);
    // The first read after the update is held for 150 s.
    em.fault(
        "DescribeServices",
        "stall",
        &json!({"after": 2, "times": 1, "seconds": 150}),
    );
    let started = Instant::now();
    let run = deploy_dev(&em, &[("time-limit-minutes", "0.1")]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "verdict after {took:?}");
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "rolled-back");
    let reason = run.output("failure-reason");
    assert!(
        reason.contains("DescribeServices did not answer before the deadline")
            || reason.starts_with("timed out after 6s"),
        "{reason}"
    );
}

#[test]
fn cancelling_during_the_rollback_says_the_rollback_is_under_way() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.1, "interval": 0.3,
                "then": {"outcome": "hang"}}),
    );
    let action = ActionRun::new(Some(&em), &dev_inputs(&[]));
    let (run, stopped_in) = action.cancel_after("Wait for the rollback");
    assert!(stopped_in < Duration::from_secs(2), "{stopped_in:?}");
    assert_eq!(run.code, 130, "{}", run.stdout);
    assert_eq!(run.output("status"), "cancelled");
    let reason = run.output("failure-reason");
    assert!(
        reason.starts_with(
            "cancelled (SIGTERM) while waiting for the rollback to shop-dev-service:1 by ecs-ship (deployment ecs-svc/"
        ) && reason.contains("; ECS carries on with it; before it, ")
            && reason.contains("tasks of deployment"),
        "{reason}"
    );
    assert_eq!(revision(run.output("rollback-task-definition-arn")), "1");
}

#[test]
fn two_deploys_at_once_the_superseded_one_fails_and_touches_nothing() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(CLUSTER, SERVICE, &json!({"outcome": "hang"}));
    let first = ActionRun::new(Some(&em), &dev_inputs(&[("time-limit-minutes", "1")]));
    let mut running = first.spawn();
    running.wait_for("Wait for deployment");
    // Someone else deploys other settings to the same service meanwhile.
    let second = deploy_dev(&em, &[("environment-variables", "ROLE: second")]);
    let first = running.finish();
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert_eq!(second.output("status"), "deployed");
    assert_eq!(first.code, 3, "{}", first.stdout);
    assert_eq!(first.output("status"), "failed");
    let reason = first.output("failure-reason");
    assert!(
        reason.contains("superseded by deployment ecs-svc/")
            && reason.contains("running shop-dev-service:3"),
        "{reason}"
    );
    assert_eq!(first.output("rollback-task-definition-arn"), "");
    assert_eq!(
        em.count("UpdateService"),
        2,
        "one update each; nobody rolled the other back"
    );
    assert_eq!(em.running("dev", SERVICE), "3");
}

#[test]
fn a_service_deleted_during_the_watch_fails_with_3_not_2() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(CLUSTER, SERVICE, &json!({"outcome": "hang"}));
    let action = ActionRun::new(Some(&em), &dev_inputs(&[("time-limit-minutes", "1")]));
    let mut running = action.spawn();
    running.wait_for("Wait for deployment");
    em.delete_service(CLUSTER, SERVICE);
    let run = running.finish();
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "failed");
    assert!(
        run.output("failure-reason")
            .starts_with("service `shop-dev-service` was deleted (or is no longer ACTIVE)"),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(em.count("UpdateService"), 1, "nothing to roll back");
}

#[test]
fn an_update_whose_answer_is_lost_is_found_and_watched() {
    let em = Emulator::start(&["dev"]);
    // Every attempt of the update is made, and every answer is lost.
    em.fault("UpdateService", "lose", &json!({"times": 6}));
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("status"), "deployed");
    assert!(em.faulted().iter().any(|(op, _)| op == "UpdateService"));
    assert_eq!(em.running("dev", SERVICE), "2");
}

/// A deploy with the first call of every operation failing as `kind` says still ends started.
fn transient_faults_at_every_operation_still_end_in_a_deploy(kind: &str) {
    let em = Emulator::start(&["dev"]);
    let ops = [
        "GetParameters",
        "DescribeImages",
        "DescribeServices",
        "DescribeClusters",
        "DescribeTaskDefinition",
        "RegisterTaskDefinition",
        "UpdateService",
    ];
    for op in ops {
        em.fault(op, kind, &json!({"times": 1}));
    }
    let run = deploy_dev(&em, &[("environment-variables", "T: 1"), ("wait", "false")]);
    assert_eq!(
        (run.code, run.output("status")),
        (0, "started"),
        "{kind}: {}",
        run.stdout
    );
    let faulted: Vec<String> = em
        .faulted()
        .into_iter()
        .filter(|(_, k)| k == kind)
        .map(|(op, _)| op)
        .collect();
    for op in ops {
        assert!(
            faulted.iter().any(|f| f == op),
            "{op} got no {kind}: {faulted:?}"
        );
    }
}

#[test]
fn a_500_at_every_operation_still_ends_in_a_deploy() {
    transient_faults_at_every_operation_still_end_in_a_deploy("500");
}

#[test]
fn throttling_at_every_operation_still_ends_in_a_deploy() {
    transient_faults_at_every_operation_still_end_in_a_deploy("throttle");
}

#[test]
fn a_reset_connection_at_every_operation_still_ends_in_a_deploy() {
    transient_faults_at_every_operation_still_end_in_a_deploy("reset");
}

#[test]
fn a_lost_answer_at_every_operation_still_ends_in_a_deploy() {
    transient_faults_at_every_operation_still_end_in_a_deploy("lose");
}

#[test]
fn keep_revisions_never_deregisters_what_another_service_runs() {
    let em = Emulator::start(&["dev"]);
    let first = em.env("dev", "taskDefinitionArn");
    em.add_services_running("dev", &["shop-dev-other"], &first);
    for value in ["A: 1", "A: 2"] {
        let run = deploy_dev(
            &em,
            &[("environment-variables", value), ("keep-revisions", "1")],
        );
        assert_eq!(run.code, 0, "{}", run.stdout);
        std::thread::sleep(Duration::from_millis(1100));
    }
    // Revision 1 runs in another service; 2 is the rollback target of 3.
    assert_eq!(em.count("DeregisterTaskDefinition"), 0, "{:?}", em.calls());
    let arns = em.state("dev")["taskDefinitionArns"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(arns, 3);
}

/// ECS refusing an update (a client error) is its answer: the service was not updated, and the
/// failure is ECS's own error, with no read to guess from.
#[test]
fn an_update_ecs_refuses_is_said_with_its_error_and_the_service_not_updated() {
    let em = Emulator::start(&["dev"]);
    em.fault(
        "UpdateService",
        "client",
        &json!({"message": "TaskDefinition is inactive"}),
    );
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.output("status"), "failed");
    let reason = run.output("failure-reason");
    assert!(
        reason.starts_with("updating services failed: shop-dev-service: ")
            && reason.ends_with("ClientException: TaskDefinition is inactive"),
        "{reason}"
    );
    assert!(
        run.summary
            .contains("| Service now | runs shop-dev-service:1 (deployment"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("(not updated)"), "{}", run.summary);
    assert_eq!(em.count("UpdateService"), 1, "{:?}", em.calls());
}

#[test]
fn a_failed_update_that_cannot_be_checked_says_the_state_is_unknown() {
    let em = Emulator::start(&["dev"]);
    // No answer comes through (every attempt a 500): the update may or may not have happened.
    em.fault("UpdateService", "500", &json!({"times": -1}));
    // The reads before the update go through; the one that would tell whether it happened fails.
    em.fault(
        "DescribeServices",
        "denied",
        &json!({"after": 2, "times": -1}),
    );
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.output("status"), "failed");
    let reason = run.output("failure-reason");
    assert!(
        reason.starts_with("updating services failed: shop-dev-service: and the service could not be read to tell whether the update happened"),
        "{reason}"
    );
    assert!(
        run.summary
            .contains("| Service now | unknown: the update may or may not have happened; before it, the service runs shop-dev-service:1"),
        "{}",
        run.summary
    );
}

/// A read that hangs before any write (the first read of the service, or the read right before
/// the update, made beside the preflight when no pre-deploy task runs) is abandoned at
/// `time-limit-minutes`, not waited out past it: nothing is changed.
#[test]
fn a_stalled_first_read_ends_at_timeout_minutes() {
    stalled_read_before_any_write(0);
}

#[test]
fn a_stalled_read_before_the_update_ends_at_timeout_minutes() {
    stalled_read_before_any_write(1);
}

/// The `after`-th `DescribeServices` hangs for 25 s with a 6 s time limit.
fn stalled_read_before_any_write(after: u32) {
    {
        let said =
            "reading and checking the services did not finish within `time-limit-minutes` (6s)";
        let em = Emulator::start(&["dev"]);
        em.fault(
            "DescribeServices",
            "stall",
            &json!({"after": after, "times": 1, "seconds": 25}),
        );
        let started = std::time::Instant::now();
        let run = deploy_dev(
            &em,
            &[
                ("time-limit-minutes", "0.1"),
                ("environment-variables", "X: 1"),
            ],
        );
        let took = started.elapsed();
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(
            run.output("failure-reason").starts_with(said),
            "{}",
            run.output("failure-reason")
        );
        assert!(
            took < Duration::from_secs(9),
            "abandoned at the deadline: {took:?}"
        );
        assert!(em.writes().is_empty(), "{:?}", em.writes());
    }
}
