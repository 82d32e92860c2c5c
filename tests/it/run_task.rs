//! `command: run-task` end to end: the one-off task alone, rendered and registered as a deploy
//! would (only when it differs), run with the service's network, waited for until it stops; its
//! exit code is the result. No service is touched.

use crate::support::{ActionRun, Emulator, dev_inputs, revision, run_action};
use serde_json::json;

const FAMILY: &str = "shop-dev-service";
const TASK: &str = "command: [./backfill.sh, --all]";

fn run_task(em: &Emulator, more: &[(&str, &str)]) -> crate::support::Run {
    run_this(em, TASK, more)
}

/// `command: run-task` of `task` in the seeded `dev` (tag `v2`), then `more`.
fn run_this(em: &Emulator, task: &str, more: &[(&str, &str)]) -> crate::support::Run {
    let mut inputs = vec![("command", "run-task"), ("one-off-task", task)];
    inputs.extend_from_slice(more);
    run_action(Some(em), &dev_inputs(&inputs))
}

#[test]
fn a_task_that_exits_0_completes_and_no_service_is_touched() {
    let em = Emulator::start(&["dev"]);
    em.task_scenario(FAMILY, &json!({"exit_code": 0, "duration": 0.5}));
    let run = run_task(&em, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "completed");
    assert_eq!(run.output("one-off-task-exit-code"), "0");
    assert!(run.output("one-off-task-arn").contains(":task/shop-dev/"));
    assert_eq!(revision(run.output("task-definition-arn")), "2");
    assert_eq!(run.output("services"), "[]");
    assert_eq!(
        em.writes(),
        ["RegisterTaskDefinition", "RunTask"],
        "the new image's revision, registered; no service updated, no record"
    );
    let sent = &em.bodies("RunTask")[0];
    assert_eq!(
        sent["overrides"]["containerOverrides"][0]["command"],
        json!(["./backfill.sh", "--all"])
    );
    assert_eq!(
        sent["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], "DISABLED",
        "the service's network: {sent}"
    );
    assert_eq!(
        em.running("dev", FAMILY),
        "1",
        "the service still runs revision 1"
    );
    assert!(
        run.summary
            .starts_with("## ✅ Ran shop-dev-service:2 in dev: it exited 0"),
        "{}",
        run.summary
    );
    crate::pin!("run_task_exits_0", run);
}

#[test]
fn a_task_that_exits_3_fails_the_step_with_its_last_lines() {
    let em = Emulator::start(&["dev"]);
    em.task_scenario(FAMILY, &json!({"exit_code": 3, "duration": 0.5}));
    let run = run_task(&em, &[]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "failed");
    assert_eq!(run.output("one-off-task-exit-code"), "3");
    let reason = run.output("failure-reason");
    assert!(reason.contains("`app` exited 3"), "{reason}");
    assert!(!reason.contains("no service was updated"), "{reason}");
    assert!(
        run.stdout.contains("::error title=Task failed::"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("What the failed tasks printed last")
            || run.summary.contains("printed last"),
        "{}",
        run.summary
    );
    assert_eq!(em.count("UpdateService"), 0);
    crate::pin!("run_task_exits_3", run);
}

#[test]
fn a_task_that_never_starts_fails_with_ecss_reason() {
    let em = Emulator::start(&["dev"]);
    em.task_scenario(FAMILY, &json!({"fail_to_start": true}));
    let run = run_task(&em, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "failed");
    assert_eq!(run.output("one-off-task-exit-code"), "");
    assert!(
        run.output("failure-reason")
            .contains("CannotPullContainerError"),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(em.count("UpdateService"), 0);
}

#[test]
fn a_task_that_outlives_its_time_limit_fails_and_says_it_may_still_run() {
    let em = Emulator::start(&["dev"]);
    em.task_scenario(FAMILY, &json!({"duration": 60}));
    let run = run_this(
        &em,
        "command: [./backfill.sh]\ntime-limit-minutes: 0.05",
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "failed");
    let reason = run.output("failure-reason");
    assert!(
        reason.contains("still running") || reason.contains("may still"),
        "{reason}"
    );
    assert_eq!(em.count("UpdateService"), 0);
}

#[test]
fn an_unchanged_render_runs_the_live_revision_without_registering() {
    let em = Emulator::start(&["dev"]);
    em.task_scenario(FAMILY, &json!({"exit_code": 0, "duration": 0.3}));
    let run = run_action(
        Some(&em),
        &[
            ("command", "run-task"),
            ("one-off-task", TASK),
            ("environment", "dev"),
            ("ssm-prefix", crate::support::SSM_PREFIX),
            ("image-tag", "v1"),
            ("pin-image-digest", "false"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(em.writes(), ["RunTask"], "{:?}", em.calls());
    assert_eq!(revision(run.output("task-definition-arn")), "1");
}

#[test]
fn cancelling_leaves_the_task_running_unless_on_cancel_says_stop() {
    let em = Emulator::start(&["dev"]);
    em.task_scenario(FAMILY, &json!({"duration": 60}));
    let inputs = dev_inputs(&[("command", "run-task"), ("one-off-task", TASK)]);
    let (run, stopped_in) = ActionRun::new(Some(&em), &inputs).cancel_after("Started task ");
    assert!(stopped_in.as_secs() < 2, "{stopped_in:?}");
    assert_eq!(run.code, 130, "{}", run.stdout);
    assert_eq!(run.output("status"), "cancelled");
    let reason = run.output("failure-reason");
    assert!(
        reason.contains("it carries on (`on-cancel: rollback` stops it)"),
        "{reason}"
    );
    assert_eq!(em.count("StopTask"), 0);

    em.task_scenario(FAMILY, &json!({"duration": 60}));
    let inputs = dev_inputs(&[
        ("command", "run-task"),
        ("one-off-task", TASK),
        ("on-cancel", "rollback"),
    ]);
    let (run, stopped_in) = ActionRun::new(Some(&em), &inputs).cancel_after("Started task ");
    assert!(stopped_in.as_secs() < 5, "{stopped_in:?}");
    assert_eq!(run.code, 130, "{}", run.stdout);
    let reason = run.output("failure-reason");
    assert!(
        reason.contains("ecs-ship asked ECS to stop it (on-cancel: rollback)"),
        "{reason}"
    );
    assert_eq!(em.count("StopTask"), 1);
    let arn = run.output("one-off-task-arn").to_string();
    let task = &em.aws(
        "ecs",
        "describe_tasks",
        &json!({"cluster": "shop-dev", "tasks": [arn]}),
    )["tasks"][0];
    assert_eq!(task["lastStatus"], "STOPPED", "{task}");
    assert_eq!(task["stopCode"], "UserInitiated", "{task}");
}
