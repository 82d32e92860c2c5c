use super::*;
use crate::domain::service::{Deployment, ServiceEvent};
use crate::domain::task::ContainerExit;

const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3";
const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";

fn target() -> DeploymentTarget {
    DeploymentTarget {
        deployment_id: "ecs-svc/new".into(),
        task_definition: NEW.into(),
        previous: Some(OLD.into()),
    }
}

fn dep(id: &str, status: &str, td: &str, running: i32, rollout: &str) -> Deployment {
    Deployment {
        id: id.into(),
        status: status.into(),
        task_definition: td.into(),
        desired: 2,
        running,
        pending: 2 - running,
        rollout_state: (!rollout.is_empty()).then(|| rollout.into()),
        ..Deployment::default()
    }
}

fn service(deployments: Vec<Deployment>) -> ServiceState {
    ServiceState {
        name: "api".into(),
        desired: 2,
        deployments,
        ..ServiceState::default()
    }
}

fn crashed(n: usize) -> Vec<StoppedTask> {
    (0..n)
        .map(|i| StoppedTask {
            arn: format!("arn:aws:ecs:us-east-1:123456789012:task/main/t{i}"),
            started_by: "ecs-svc/new".into(),
            stop_code: Some("EssentialContainerExited".into()),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: vec![ContainerExit {
                name: "app".into(),
                exit_code: Some(1),
                reason: None,
            }],
            ..StoppedTask::default()
        })
        .collect()
}

fn verdict(s: &ServiceState, failures: &[StoppedTask]) -> Option<Verdict> {
    assess(s, &target(), failures, 3, None)
}

#[test]
fn in_progress_rollout_has_no_verdict_yet() {
    let s = service(vec![
        dep("ecs-svc/new", "PRIMARY", NEW, 1, "IN_PROGRESS"),
        dep("ecs-svc/old", "ACTIVE", OLD, 2, "COMPLETED"),
    ]);
    assert_eq!(verdict(&s, &[]), None);
    assert_eq!(
        progress_line(&s, &target()),
        "running 1/2 pending 1 rollout IN_PROGRESS"
    );
}

#[test]
fn completed_primary_with_all_running_is_success() {
    let s = service(vec![dep("ecs-svc/new", "PRIMARY", NEW, 2, "COMPLETED")]);
    assert_eq!(verdict(&s, &[]), Some(Verdict::Completed));
    assert_eq!(
        verdict(&s, &crashed(5)),
        Some(Verdict::Completed),
        "earlier flaky starts do not undo a completed rollout"
    );
}

#[test]
fn completed_but_not_all_running_is_not_yet_success() {
    let s = service(vec![dep("ecs-svc/new", "PRIMARY", NEW, 1, "COMPLETED")]);
    assert_eq!(verdict(&s, &[]), None);
}

#[test]
fn failed_rollout_is_failure_with_the_reason() {
    let mut failed = dep("ecs-svc/new", "PRIMARY", NEW, 0, "FAILED");
    failed.rollout_state_reason =
        Some("ECS deployment circuit breaker: tasks failed to start.".into());
    let Some(Verdict::Failed { reason, cause }) = verdict(&service(vec![failed]), &[]) else {
        panic!("failure expected")
    };
    assert_eq!(
        reason,
        "deployment ecs-svc/new failed: ECS deployment circuit breaker: tasks failed to start."
    );
    assert_eq!(
        cause,
        Cause::Rollout,
        "our deployment is still PRIMARY: ours to roll back"
    );
}

#[test]
fn a_stable_service_after_rollback_is_failure_not_success() {
    // The circuit breaker rolled back: the old revision is PRIMARY, COMPLETED and fully running.
    let mut s = service(vec![dep(
        "ecs-svc/rollback",
        "PRIMARY",
        OLD,
        2,
        "COMPLETED",
    )]);
    s.events = vec![ServiceEvent {
        id: "e1".into(),
        created_at: String::new(),
        message: "(service api) deployment ecs-svc/new deployment failed: tasks failed to start."
            .into(),
    }];
    let Some(Verdict::Failed { reason, cause }) = verdict(&s, &[]) else {
        panic!("failure expected")
    };
    assert!(reason.starts_with("deployment ecs-svc/new is gone; deployment ecs-svc/rollback of api:3 replaced it, the service runs it again (rolled back): (service api) deployment ecs-svc/new deployment failed"), "{reason}");
    assert_eq!(
        cause,
        Cause::RolledBack {
            deployment: "ecs-svc/rollback".into()
        }
    );

    let s = service(vec![
        dep("ecs-svc/rollback", "PRIMARY", OLD, 1, "IN_PROGRESS"),
        dep("ecs-svc/new", "ACTIVE", NEW, 0, "IN_PROGRESS"),
    ]);
    let Some(Verdict::Failed { reason, cause }) = verdict(&s, &[]) else {
        panic!("failure expected")
    };
    assert_eq!(
        reason,
        "deployment ecs-svc/new was replaced; deployment ecs-svc/rollback of api:3 replaced it, the service runs it again (rolled back)"
    );
    assert!(!cause.ours_to_roll_back());
}

#[test]
fn another_revisions_deployment_supersedes_ours_and_is_left_alone() {
    let newer = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:5";
    for ours in [
        dep("ecs-svc/new", "ACTIVE", NEW, 1, "IN_PROGRESS"),
        dep("ecs-svc/new", "ACTIVE", NEW, 0, "FAILED"),
    ] {
        let s = service(vec![
            dep("ecs-svc/other", "PRIMARY", newer, 0, "IN_PROGRESS"),
            ours,
        ]);
        let Some(Verdict::Failed { reason, cause }) = verdict(&s, &[]) else {
            panic!("failure expected")
        };
        assert!(
            reason.contains(
                ": superseded by deployment ecs-svc/other running api:5 (another deploy or the console); ecs-ship leaves the service to it"
            ),
            "{reason}"
        );
        assert_eq!(
            cause,
            Cause::Superseded {
                deployment: "ecs-svc/other".into(),
                task_definition: newer.into()
            }
        );
        assert!(!cause.ours_to_roll_back());
    }
    // Someone redeploying our own revision is someone else's deployment too.
    let s = service(vec![dep(
        "ecs-svc/forced",
        "PRIMARY",
        NEW,
        0,
        "IN_PROGRESS",
    )]);
    assert!(matches!(
        verdict(&s, &[]),
        Some(Verdict::Failed {
            cause: Cause::Superseded { .. },
            ..
        })
    ));
}

#[test]
fn when_stopped_tasks_cannot_be_read_ecss_count_decides_the_crash_loop() {
    let mut ours = dep("ecs-svc/new", "PRIMARY", NEW, 0, "IN_PROGRESS");
    ours.failed_tasks = 3;
    let s = service(vec![
        ours,
        dep("ecs-svc/old", "ACTIVE", OLD, 2, "COMPLETED"),
    ]);
    assert_eq!(verdict(&s, &[]), None, "the tasks read fine: they decide");
    let Some(Verdict::Failed { reason, cause }) = assess(
        &s,
        &target(),
        &[],
        3,
        Some("AccessDeniedException: not authorized"),
    ) else {
        panic!("failure expected")
    };
    assert_eq!(
        reason,
        "3 tasks of deployment ecs-svc/new stopped (ECS's count; why they stopped could not be read: AccessDeniedException: not authorized)"
    );
    assert_eq!(cause, Cause::Rollout);
}

#[test]
fn no_ecs_rollback_while_our_deployment_is_primary() {
    let s = service(vec![
        dep("ecs-svc/new", "PRIMARY", NEW, 0, "FAILED"),
        dep("ecs-svc/old", "ACTIVE", OLD, 2, "COMPLETED"),
    ]);
    assert!(matches!(
        verdict(&s, &[]),
        Some(Verdict::Failed {
            cause: Cause::Rollout,
            ..
        })
    ));
}

#[test]
fn a_crash_loop_fails_at_the_third_failed_task_without_a_circuit_breaker() {
    let s = service(vec![
        dep("ecs-svc/new", "PRIMARY", NEW, 0, "IN_PROGRESS"),
        dep("ecs-svc/old", "ACTIVE", OLD, 2, "COMPLETED"),
    ]);
    assert_eq!(verdict(&s, &crashed(2)), None);
    let Some(Verdict::Failed { reason, cause }) = verdict(&s, &crashed(3)) else {
        panic!("failure expected")
    };
    assert_eq!(
        reason,
        "3 tasks of deployment ecs-svc/new stopped; the last one, task t0: Essential container in task exited [EssentialContainerExited]; app exited 1"
    );
    assert_eq!(cause, Cause::Rollout);
    assert_eq!(
        assess(&s, &target(), &crashed(9), 0, None),
        None,
        "0 turns the task-failure check off"
    );
}

#[test]
fn without_rollout_state_success_needs_old_deployments_drained() {
    let s = service(vec![
        dep("ecs-svc/new", "PRIMARY", NEW, 2, ""),
        dep("ecs-svc/old", "ACTIVE", OLD, 1, ""),
    ]);
    assert_eq!(verdict(&s, &[]), None);
    let s = service(vec![dep("ecs-svc/new", "PRIMARY", NEW, 2, "")]);
    assert_eq!(verdict(&s, &[]), Some(Verdict::Completed));
}

#[test]
fn the_started_deployment_is_a_new_primary_of_our_revision() {
    let before = service(vec![dep("d1", "PRIMARY", OLD, 2, "COMPLETED")]);
    let after = service(vec![
        dep("d2", "PRIMARY", NEW, 0, "IN_PROGRESS"),
        dep("d1", "ACTIVE", OLD, 2, "COMPLETED"),
    ]);
    assert_eq!(
        crate::domain::service::started_deployment(&before, &after, NEW)
            .unwrap()
            .deployment_id,
        "d2"
    );
    assert!(
        crate::domain::service::started_deployment(&before, &before, OLD).is_none(),
        "no new deployment"
    );
    assert!(
        crate::domain::service::started_deployment(&before, &after, "td:9").is_none(),
        "not our revision"
    );
}
