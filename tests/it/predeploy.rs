//! The pre-deploy task (migrations) end to end against moto, whose one-off tasks the scenario
//! layer moves through PROVISIONING, PENDING, RUNNING and STOPPED with the exit codes asked for.

use crate::support::{Emulator, Run, deploy_dev, dev_inputs};
use serde_json::{Value, json};

const SERVICES: &str = "- shop-dev-service\n- shop-dev-worker\n- shop-dev-scheduler\n";

fn three_services() -> Emulator {
    let em = Emulator::start(&["dev"]);
    em.add_services("dev", &["shop-dev-worker", "shop-dev-scheduler"]);
    em
}

fn running_revisions(em: &Emulator) -> Vec<String> {
    SERVICES
        .lines()
        .map(|line| line.trim_start_matches("- "))
        .map(|s| {
            em.service_state("dev", s)["service"]["taskDefinition"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn services_statuses(run: &crate::support::Run) -> Vec<(String, String)> {
    serde_json::from_str::<Value>(run.output("services"))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_migration_runs_before_three_services_are_updated() {
    let em = three_services();
    // Long enough that a 1 s poll sees it running whatever the machine's load, and not listed by
    // DescribeTasks for its first 1.5 s, as ECS may do right after RunTask.
    em.task_scenario(
        "shop-dev-service",
        &json!({"duration": 3.0, "missing_for": 1.5}),
    );
    let run = deploy_dev(
        &em,
        &[
            ("services", SERVICES),
            ("environment-variables", "MIGRATE_LOCK: \"on\""),
            (
                "one-off-task",
                "container: app\ncommand: [npm, run, migrate]\n",
            ),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "deployed");
    assert_eq!(run.output("one-off-task-exit-code"), "0");
    let task_arn = run.output("one-off-task-arn");
    assert!(task_arn.contains(":task/"), "{task_arn}");
    assert!(
        services_statuses(&run).iter().all(|(_, s)| s == "deployed"),
        "{:?}",
        services_statuses(&run)
    );

    // The task ran the main service's new revision, with the command override, placed like the
    // service (Fargate, its subnets and security groups), before any service was updated.
    let calls = em.calls();
    let run_task = calls.iter().position(|c| c == "RunTask").expect("RunTask");
    let first_update = calls.iter().position(|c| c == "UpdateService").unwrap();
    assert!(run_task < first_update, "{calls:?}");
    let last_describe = calls.iter().rposition(|c| c == "DescribeTasks").unwrap();
    assert!(
        last_describe < first_update,
        "the services wait for the task to stop: {calls:?}"
    );
    let body = &em.bodies("RunTask")[0];
    let main = em.service_state("dev", "shop-dev-service");
    assert_eq!(body["taskDefinition"], main["service"]["taskDefinition"]);
    assert_eq!(
        body["overrides"],
        json!({"containerOverrides": [{"name": "app", "command": ["npm", "run", "migrate"]}]})
    );
    assert_eq!(body["launchType"], "FARGATE");
    assert_eq!(
        body["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
        main["service"]["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
    );
    assert_eq!(body["startedBy"], "ecs-ship/pre-deploy");
    assert_eq!(
        em.count("RegisterTaskDefinition"),
        3,
        "the migration reuses the main service's revision: one per family"
    );
    assert!(
        run.summary.contains("### Pre-deploy task"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("✅ exited 0"), "{}", run.summary);
    assert!(
        run.summary
            .contains("log-groups/log-group/$252Fecs$252Fshop-dev/log-events/app$252Fapp$252F"),
        "{}",
        run.summary
    );
    assert!(run.stdout.contains("RUNNING after"), "{}", run.stdout);
}

#[test]
fn a_migration_that_exits_1_leaves_every_service_alone() {
    let em = three_services();
    em.add_families("dev", &["shop-dev-migrate"]);
    em.task_scenario(
        "shop-dev-migrate",
        &json!({"exit_code": 1, "duration": 1.0}),
    );
    // The services' new task role (the preflight checks that it exists and trusts ECS tasks).
    em.aws(
        "iam",
        "create_role",
        &json!({"RoleName": "shop-dev-web", "AssumeRolePolicyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#}),
    );
    let before = running_revisions(&em);
    let run = deploy_dev(
        &em,
        &[
            ("services", SERVICES),
            (
                "one-off-task",
                "family: shop-dev-migrate\ncommand: ./migrate up",
            ),
            // For the services; the migration's own family keeps its role.
            (
                "task-settings",
                "task-role-arn: arn:aws:iam::123456789012:role/shop-dev-web",
            ),
        ],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "failed");
    assert_eq!(run.output("one-off-task-exit-code"), "1", "{}", run.stdout);
    let reason = run.output("failure-reason");
    assert!(reason.contains("`app` exited 1"), "{reason}");
    assert!(reason.contains("no service was updated"), "{reason}");
    assert_eq!(
        services_statuses(&run)
            .iter()
            .map(|(_, s)| s.as_str())
            .collect::<Vec<_>>(),
        ["not-updated", "not-updated", "not-updated"]
    );
    assert_eq!(em.count("UpdateService"), 0, "{:?}", em.calls());
    assert_eq!(
        em.count("RegisterTaskDefinition"),
        1,
        "only the migration's own revision is registered"
    );
    let registered = &em.bodies("RegisterTaskDefinition")[0];
    assert_eq!(registered["family"], "shop-dev-migrate");
    assert_eq!(
        registered["taskRoleArn"],
        "arn:aws:iam::123456789012:role/shop-dev-task"
    );
    assert!(
        registered["containerDefinitions"][0]["image"]
            .as_str()
            .unwrap()
            .contains("@sha256:"),
        "the migration runs the new image"
    );
    assert_eq!(
        em.bodies("RunTask")[0]["overrides"]["containerOverrides"][0]["command"],
        json!(["./migrate", "up"])
    );
    let after = running_revisions(&em);
    assert_eq!(before, after);
    crate::pin!("migration_exits_1", run);
    assert_eq!(
        em.parameter("/shop/dev/ecs/current-image-tag"),
        None,
        "no record"
    );
    // Where its output is: the log group and the task's stream.
    let task_id = run
        .output("one-off-task-arn")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    assert!(
        run.output("failure-reason").ends_with(&format!(
            "; no service was updated; its output is in CloudWatch Logs group `/ecs/shop-dev`, stream `app/app/{task_id}` (us-east-1)"
        )),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(
        run.stdout.matches("::error ").count(),
        1,
        "one annotation per failure: {}",
        run.stdout
    );
    assert!(
        run.summary.contains("Pre-deploy task failed"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains(&format!("app/app/{task_id}")),
        "{}",
        run.summary
    );
    shows_what_the_migration_printed(&run);
}

/// What the migration printed, in the log and the summary, its environment values masked (the
/// runner is asked to mask them first).
fn shows_what_the_migration_printed(run: &Run) {
    for shown in [
        "running migration 0042_add_orders_index",
        "ERROR: relation \"orders\" does not exist",
        "config PORT=***",
        "config LOG_LEVEL=***",
    ] {
        assert!(run.summary.contains(shown), "{shown}: {}", run.summary);
    }
    let mask = run.stdout.find("::add-mask::8080").expect(&run.stdout);
    let printed = run
        .stdout
        .find("running migration 0042_add_orders_index")
        .expect(&run.stdout);
    assert!(mask < printed, "masked before printed: {}", run.stdout);
    assert!(run.stdout.contains("config PORT=***"), "{}", run.stdout);
    assert!(!run.stdout.contains("PORT=8080"), "{}", run.stdout);
    assert!(!run.summary.contains("PORT=8080"), "{}", run.summary);
}

#[test]
fn a_migration_that_cannot_start_fails_the_deploy_and_a_dry_run_runs_nothing() {
    let em = Emulator::start(&["dev"]);
    // A dry run says what would run, and runs nothing.
    let run = deploy_dev(
        &em,
        &[
            ("one-off-task", "command: [migrate]"),
            ("command", "verify"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.summary.contains("Would run the new revision of"),
        "{}",
        run.summary
    );
    assert_eq!(em.count("RunTask") + em.count("RegisterTaskDefinition"), 0);

    em.task_scenario("shop-dev-service", &json!({"fail_to_start": true}));
    let run = deploy_dev(&em, &[("one-off-task", "command: [migrate]")]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("one-off-task-exit-code"), "");
    assert!(
        run.output("failure-reason")
            .contains("CannotPullContainerError"),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(em.count("UpdateService"), 0);

    // Outliving the timeout: `paused::a_migration_that_outlives_its_timeout_fails_the_deploy_and_touches_no_service`.
}

#[test]
fn cancelling_during_the_migration_says_it_carries_on_and_touches_no_service() {
    let em = Emulator::start(&["dev"]);
    em.task_scenario("shop-dev-service", &json!({"duration": 60}));
    let action = crate::support::ActionRun::new(
        Some(&em),
        &dev_inputs(&[("one-off-task", "command: [migrate]")]),
    );
    let (run, stopped_in) = action.cancel_after("Started task ");
    assert!(stopped_in.as_secs() < 2, "{stopped_in:?}");
    assert_eq!(run.code, 130, "{}", run.stdout);
    assert_eq!(run.output("status"), "cancelled");
    let reason = run.output("failure-reason");
    assert!(
        reason.starts_with("cancelled (SIGTERM) while the pre-deploy task arn:aws:ecs:")
            && reason.ends_with("no service was updated, and the task carries on"),
        "{reason}"
    );
    assert!(run.output("one-off-task-arn").contains(":task/"));
    assert_eq!(em.count("UpdateService"), 0);
}
