use std::time::Duration;

use super::*;
use crate::diff::{FieldChange, Kind, TaskDefDiff};
use crate::error::Exit;
use crate::model::ServiceEvent;
use crate::report::{Kind as RunKind, Rollout};

fn deployed() -> Report {
    let mut r = Report::new("staging");
    r.succeed(Status::Deployed);
    r.region = Some("us-east-1".into());
    r.cluster = Some("main".into());
    r.service = Some("api".into());
    r.image_tag = Some("sha-0a1b2c3".into());
    r.image = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945".into());
    r.image_digest =
        Some("sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945".into());
    r.image_verified = true;
    r.containers = vec!["web".into()];
    r.previous_task_definition_arn =
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:3".into());
    r.task_definition_arn = Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:4".into());
    r.changed = true;
    r.diff = Some(TaskDefDiff {
        fields: vec![FieldChange {
            path: "containerDefinitions[web].image".into(),
            kind: Kind::Changed,
            old: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1".into()),
            new: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:4f53cd…".into()),
        }],
        environment: NameChanges {
            added: vec!["FEATURE_X".into()],
            changed: vec!["LOG_LEVEL".into()],
            removed: vec![],
        },
        secrets: NameChanges {
            added: vec!["DB_PASSWORD".into()],
            ..NameChanges::default()
        },
    });
    r.rollout = Some(Rollout {
        deployment_id: "ecs-svc/123".into(),
        state: Some("COMPLETED".into()),
        running: 2,
        desired: 2,
    });
    r.log_group = Some(("/ecs/api".into(), "us-east-1".into()));
    r.duration = Duration::from_millis(42_300);
    r
}

#[test]
fn deployed_summary() {
    insta::assert_snapshot!(render(&deployed()));
}

#[test]
fn failed_summary_leads_with_the_cause_and_shows_events() {
    let mut r = deployed();
    r.fail(
        "Rollout failed",
        "deployment ecs-svc/123 failed: ECS deployment circuit breaker: tasks failed to start."
            .into(),
        Some("see the stopped tasks".into()),
        Exit::DeployFailed,
    );
    r.rollout = Some(Rollout {
        deployment_id: "ecs-svc/123".into(),
        state: Some("FAILED".into()),
        running: 0,
        desired: 2,
    });
    r.events = vec![
        ServiceEvent {
            id: "2".into(),
            created_at: "2026-11-23T10:00:05Z".into(),
            message: "(service api) rolling back to deployment ecs-svc/122.".into(),
        },
        ServiceEvent {
            id: "1".into(),
            created_at: "2026-11-23T10:00:01Z".into(),
            message:
                "(service api) deployment ecs-svc/123 deployment failed: tasks failed to start."
                    .into(),
        },
    ];
    insta::assert_snapshot!(render(&r));
}

#[test]
fn hostile_strings_cannot_break_the_table_or_inject_html() {
    let mut r = Report::new("dev");
    r.fail(
        "Invalid input",
        "input `image-tag` has an invalid value `x|y<script>alert(1)</script>\n## pwned`".into(),
        None,
        Exit::UserError,
    );
    r.service = Some("a|b<img src=x>".into());
    r.events = vec![ServiceEvent {
        id: "1".into(),
        created_at: "t".into(),
        message: "evil | cell\n| new | row |".into(),
    }];
    let md = render(&r);
    assert!(!md.contains("<script>") && !md.contains("<img"), "{md}");
    assert!(!md.contains("\n## pwned"));
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(
            line.matches(" | ").count() + 2,
            line.matches('|').count(),
            "cell pipes escaped: {line}"
        );
    }
}

#[test]
fn env_values_never_appear_only_names() {
    let md = render(&deployed());
    assert!(md.contains("added <code>FEATURE_X</code>; changed <code>LOG_LEVEL</code>"));
    assert!(md.contains("(values never shown)"));
}

#[test]
fn unchanged_and_dry_run_headings() {
    let mut r = deployed();
    r.succeed(Status::Unchanged);
    r.changed = false;
    r.task_definition_arn = r.previous_task_definition_arn.clone();
    r.diff = Some(TaskDefDiff::default());
    let md = render(&r);
    assert!(md.starts_with("## ⏸️ No change for <code>api</code> in <code>staging</code>"));
    assert!(md.contains("<code>api:3</code> (unchanged)"));
    assert!(md.contains("The task definition is the same as the live one."));
    r.succeed(Status::DryRun);
    r.changed = true;
    r.task_definition_arn = None;
    assert!(render(&r).contains("<code>api:3</code> → (new revision)"));
}

#[test]
fn huge_summaries_are_cut_to_valid_markdown_under_the_limit() {
    let big = format!(
        "## x\n\n<details><summary>d</summary>\n\n<pre>\n{}",
        "line of text\n".repeat(200_000)
    );
    let out = fit(big, MAX_SUMMARY_BYTES);
    assert!(out.len() <= MAX_SUMMARY_BYTES);
    assert!(
        out.ends_with(
            "</pre>\n</details>\n\n_Summary truncated to stay under GitHub's 1 MiB limit._\n"
        ),
        "{}",
        &out[out.len() - 120..]
    );
    let small = "## ok\n".to_string();
    assert_eq!(fit(small.clone(), MAX_SUMMARY_BYTES), small);
}

#[test]
fn a_huge_diff_is_capped() {
    let mut r = deployed();
    let diff = r.diff.as_mut().unwrap();
    diff.fields = (0..5000)
        .map(|i| FieldChange {
            path: format!("f{i}"),
            kind: Kind::Changed,
            old: Some("a".repeat(2000)),
            new: Some("b".repeat(2000)),
        })
        .collect();
    let md = render(&r);
    assert!(md.len() < 200_000, "{}", md.len());
    assert!(md.contains("… and 4600 more"));
}

#[test]
fn rolled_back_summary_names_the_revision_who_and_why_tasks_stopped() {
    use crate::model::{ContainerExit, StoppedTask};
    let mut r = deployed();
    r.fail(
        "Rollout failed",
        "3 tasks of deployment ecs-svc/123 stopped".into(),
        None,
        Exit::DeployFailed,
    );
    r.status = Status::RolledBack;
    r.rollback_task_definition_arn =
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:3".into());
    r.rolled_back_by = Some("ecs-ship".into());
    r.rollback_rollout = Some(Rollout {
        deployment_id: "ecs-svc/124".into(),
        state: Some("COMPLETED".into()),
        running: 2,
        desired: 2,
    });
    r.failed_tasks = vec![StoppedTask {
        arn: "arn:aws:ecs:us-east-1:123456789012:task/main/0f1e2d3c".into(),
        stop_code: Some("EssentialContainerExited".into()),
        stopped_reason: Some("Essential container in task exited".into()),
        stopped_at: Some("2026-11-23T10:00:03Z".into()),
        containers: vec![ContainerExit {
            name: "app".into(),
            exit_code: Some(1),
            reason: None,
        }],
        ..StoppedTask::default()
    }];
    insta::assert_snapshot!(render(&r));
}

#[test]
fn rollback_command_and_cancel_headings() {
    let mut r = deployed();
    r.kind = RunKind::Rollback;
    r.succeed(Status::RolledBack);
    assert!(render(&r).starts_with("## ↩️ Rolled back <code>api</code> in <code>staging</code>"));
    r.kind = RunKind::Deploy;
    r.fail(
        "Cancelled",
        "cancelled while waiting".into(),
        None,
        Exit::Cancelled,
    );
    r.status = Status::Cancelled;
    assert!(
        render(&r)
            .starts_with("## ⏹️ Deploy <code>api</code> to <code>staging</code> was cancelled")
    );
}

#[test]
fn a_dry_run_says_which_pre_deploy_task_would_run() {
    let mut r = deployed();
    r.succeed(Status::DryRun);
    r.pre_deploy_planned = Some("family `api-migrate`, container `app`".into());
    let md = render(&r);
    assert!(
        md.contains("### Pre-deploy task\n\nWould run family \\`api-migrate\\`, container \\`app\\` before any service is updated (a dry run runs nothing)."),
        "{md}"
    );
    r.succeed(Status::Deployed);
    assert!(
        !render(&r).contains("Would run"),
        "only a dry run says what would run"
    );
}

#[test]
fn a_failed_migration_shows_the_task_its_logs_and_services_left_alone() {
    use crate::predeploy::{LogLocation, PreDeployResult};
    use crate::report::ServiceResult;
    let mut r = deployed();
    r.service = Some("api, worker, scheduler".into());
    r.fail(
        "Pre-deploy task failed",
        "`app` exited 1 (Essential container in task exited [EssentialContainerExited]); no service was updated".into(),
        Some("its output is in CloudWatch Logs group `/ecs/api`, stream `app/app/abc123` (us-east-1)".into()),
        Exit::DeployFailed,
    );
    r.rollout = None;
    r.task_definition_arn
        .clone_from(&r.previous_task_definition_arn);
    r.services = ["api", "worker", "scheduler"]
        .iter()
        .enumerate()
        .map(|(i, name)| ServiceResult {
            service: (*name).into(),
            previous_task_definition_arn: format!(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/{name}:{}",
                i + 3
            ),
            task_definition_arn: None,
            changed: true,
            status: Status::NotUpdated,
            rollout: None,
            rollback_task_definition_arn: None,
            failure: None,
        })
        .collect();
    r.pre_deploy = Some(PreDeployResult {
        task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api-migrate:7"
            .into(),
        container: "app".into(),
        task_arn: Some("arn:aws:ecs:us-east-1:123456789012:task/main/abc123".into()),
        last_status: "STOPPED".into(),
        exit_code: Some(1),
        task: None,
        log: Some(LogLocation {
            group: "/ecs/api".into(),
            region: "us-east-1".into(),
            stream: Some("app/app/abc123".into()),
        }),
        succeeded: false,
        failure: Some(
            "`app` exited 1 (Essential container in task exited [EssentialContainerExited])".into(),
        ),
        duration: Duration::from_secs(14),
    });
    insta::assert_snapshot!(render(&r));
}
