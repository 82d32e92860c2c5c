//! ECS's own deployment engine as the deploy sees it, against the model on a paused clock: the
//! verdict from the service deployment (bake time, alarms, blue/green stages), ECS's rollbacks
//! reported and never repeated, and the fallback to `DescribeServices` where service deployments
//! cannot be read.

use std::time::Duration;

use ecs_ship::cloud::AwsError;
use ecs_ship::domain::deployment::ServiceDeploymentStatus;
use ecs_ship::report::Status;

use ecs_ship::console::{Console, Mode};
use ecs_ship::progress::Progress;
use ecs_ship::report::Report;
use ecs_ship::request::Request;
use tokio::time::Instant;

use crate::model::{Model, Scenario, Strategy};
use crate::paused::{deploy, output, revision, summary, validated};

/// A blue/green service with a PAUSE hook at `POST_TEST_TRAFFIC_SHIFT` and a minute of bake
/// time; its rollouts take 7 s, so the pause comes at 4 s.
fn paused_service() -> Model {
    let model = Model::new(&["api"]);
    model.strategy(
        "api",
        Strategy {
            blue_green: true,
            bake: 60.0,
            pause: true,
            ..Strategy::default()
        },
    );
    model.scenario(
        "api",
        &[
            Scenario::Complete { delay: 7.0 },
            Scenario::Complete { delay: 7.0 },
        ],
    );
    model
}

/// Runs `continue` (or `rollback` with `service-deployment-arn`) against the model; its report,
/// log and how long it took.
async fn resume(model: &Model, inputs: &[(&str, &str)]) -> (Report, String, Duration) {
    let Request::Resume(req) = validated(inputs) else {
        panic!("a resume request")
    };
    let started = Instant::now();
    let mut log = Vec::new();
    let run = {
        let console = Console::new(&mut log, Mode::Human);
        let with = ecs_ship::command::With {
            console: &console,
            progress: &Progress::default(),
            context: &ecs_ship::input::action_env::RunContext::default(),
            github: None,
        };
        ecs_ship::command::run(
            &ecs_ship::command::resume::Resume { req: &req },
            Ok(model),
            &with,
            std::future::pending(),
        )
        .await
    };
    let report = ecs_ship::report::resume::build(&run, &req);
    (report, String::from_utf8(log).unwrap(), started.elapsed())
}

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
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
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

/// On a terminal, a wait of minutes is one status line per service, redrawn in place (rollout,
/// ECS's stage and bake time left, time watched), not a line per change; events still print.
#[tokio::test(start_paused = true)]
async fn on_a_terminal_the_wait_is_one_status_line_redrawn_in_place() {
    let model = Model::new(&["api"]);
    model.strategy("api", baking(120.0));
    let (_, report, log, _) = crate::paused::deploy_on(&model, &[("services", "api")], true).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        log.contains("api: 2/2 running · COMPLETED · BAKE_TIME 1m 59s left · 2s\n"),
        "{log}"
    );
    assert!(log.contains("\x1b[1F\x1b[J"), "redrawn in place: {log}");
    assert!(
        !log.contains("api: running 2/2 pending 0 rollout COMPLETED"),
        "no line per change: {log}"
    );
    assert!(
        log.ends_with("\x1b[1F\x1b[JDeployed: api\n") || log.contains("\x1b[JDeployed: api"),
        "the status lines end with the wait: {log}"
    );
    let (_, _, plain, _) = {
        let model = Model::new(&["api"]);
        model.strategy("api", baking(120.0));
        crate::paused::deploy_on(&model, &[("services", "api")], false).await
    };
    assert!(!plain.contains('\x1b'), "plain lines elsewhere: {plain}");
    assert!(
        plain.contains("api: running 2/2 pending 0 rollout COMPLETED"),
        "{plain}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_alarm_during_bake_time_is_ecs_rollback_reported_and_not_repeated() {
    for on_failure in ["rollback", "leave"] {
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
            deploy(&model, &[("services", "api"), ("on-failure", on_failure)]).await;
        assert_eq!(report.exit as i32, 3, "{log}");
        assert_eq!(
            output(&report, "status"),
            "rolled-back",
            "on-failure: {on_failure}: ECS rolled it back whatever our policy says"
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
            ..Strategy::default()
        },
    );
    model.scenario("api", &[Scenario::Complete { delay: 14.0 }]);
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
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
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
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

/// The update's answer names no service deployment, and one created a second before the update
/// (within the clock skew allowed) has already ended: it is not ours, and ours, still baking, is
/// waited for. (`ListServiceDeployments` documents no order: the unit test of `ours` lists both.)
#[tokio::test(start_paused = true)]
async fn a_service_deployment_that_ended_just_before_the_update_is_not_taken_for_ours() {
    let model = Model::new(&["api"]);
    model.without_current_service_deployment();
    model.strategy("api", baking(60.0));
    model.finished_deployment_before("api", Duration::from_secs(1));
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took >= Duration::from_secs_f64(60.5),
        "ours was waited for through its bake time: {took:?}\n{log}"
    );
    let ours = model.service_deployments("api").pop().unwrap();
    assert_eq!(ours.status, ServiceDeploymentStatus::Successful);
    assert_eq!(output(&report, "service-deployment-arn"), ours.arn, "{log}");
    assert_eq!(
        model.calls("DescribeServiceRevisions").len(),
        2,
        "the look-up, then the digests"
    );
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
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took < Duration::from_secs(3),
        "judged from the rollout alone: {took:?}"
    );
    assert_eq!(model.calls("DescribeServiceDeployments").len(), 1);
    assert_eq!(log.matches("cannot be used (").count(), 1, "{log}");
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
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
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
            ("services", "api"),
            ("deployment", "strategy: blue-green\nbake-time-minutes: 2"),
        ],
    )
    .await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        took >= Duration::from_mins(2),
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

#[tokio::test(start_paused = true)]
async fn a_deploy_waiting_until_paused_ends_at_the_hook_with_what_continue_needs() {
    let model = paused_service();
    let (_, report, log, took) = deploy(&model, &[("services", "api"), ("wait", "paused")]).await;
    assert_eq!(report.status, Status::Paused, "{log}");
    assert_eq!(report.exit as i32, 0);
    assert!(
        took >= Duration::from_secs(4) && took <= Duration::from_secs(6),
        "the pause comes 4 s into the rollout: {took:?}"
    );
    let records = model.service_deployments("api");
    let arn = &records[0].arn;
    assert_eq!(output(&report, "status"), "paused");
    assert_eq!(&output(&report, "service-deployment-arn"), arn);
    assert_eq!(
        output(&report, "lifecycle-stage"),
        "POST_TEST_TRAFFIC_SHIFT"
    );
    let hook = output(&report, "hook-id");
    assert_eq!(hook, records[0].hooks[0].id);
    assert!(
        log.contains(
            "Lifecycle hooks (as the service has them, unchanged): PAUSE at POST_TEST_TRAFFIC_SHIFT"
        ),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "paused in stage POST_TEST_TRAFFIC_SHIFT by lifecycle hook {hook}, awaiting action until "
        )),
        "{log}"
    );
    let summary = summary(&report);
    assert!(
        summary.contains("## ⏸️ Deploy api to dev paused at a lifecycle hook")
            && summary.contains(&format!(
                "| Paused at | hook {hook} in stage POST_TEST_TRAFFIC_SHIFT, awaiting action until "
            ))
            && summary.contains("(then ROLLBACK); `command: continue`")
            && summary.contains("| Lifecycle hooks | PAUSE at POST_TEST_TRAFFIC_SHIFT |"),
        "{summary}"
    );
    assert_eq!(
        model.calls("PutParameter").len(),
        0,
        "not deployed yet: no deployment record"
    );
    assert_eq!(
        report.github_state(),
        None,
        "the GitHub deployment stays in progress"
    );

    // The approval: continue at that hook, and wait until deployed (after bake time).
    let (report, log, took) = resume(
        &model,
        &[
            ("command", "continue"),
            ("service-deployment-arn", arn),
            ("hook-id", &hook),
        ],
    )
    .await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    let id = arn.rsplit('/').next().unwrap();
    assert!(
        log.contains(&format!("Continued service deployment {id} at hook {hook}")),
        "{log}"
    );
    assert!(
        took >= Duration::from_secs(63),
        "the rest of the rollout (3 s) and bake time (60 s): {took:?}"
    );
    assert_eq!(model.calls("ContinueServiceDeployment").len(), 1);
    assert_eq!(model.running("api"), "api:2");

    // A re-run of the approval job acts on nothing and reports the verdict.
    let (report, log, _) = resume(
        &model,
        &[
            ("command", "continue"),
            ("service-deployment-arn", arn),
            ("hook-id", &hook),
        ],
    )
    .await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        log.contains("Nothing to do: ECS is done with it (SUCCESSFUL)"),
        "{log}"
    );
    assert_eq!(model.calls("ContinueServiceDeployment").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_rejected_approval_rolls_the_paused_deployment_back() {
    let model = paused_service();
    let (_, report, log, _) = deploy(&model, &[("services", "api"), ("wait", "paused")]).await;
    assert_eq!(report.status, Status::Paused, "{log}");
    let arn = output(&report, "service-deployment-arn");
    let hook = output(&report, "hook-id");
    let (report, log, _) = resume(
        &model,
        &[
            ("command", "rollback"),
            ("service-deployment-arn", &arn),
            ("hook-id", &hook),
        ],
    )
    .await;
    assert_eq!(report.status, Status::RolledBack, "{log}");
    assert_eq!(report.exit as i32, 0, "the rollback asked for succeeded");
    assert_eq!(output(&report, "status"), "rolled-back");
    let id = arn.rsplit('/').next().unwrap();
    assert!(
        log.contains(&format!(
            "Rolled back service deployment {id} at hook {hook}"
        )),
        "{log}"
    );
    assert_eq!(model.running("api"), "api:1");
    assert_eq!(
        model.calls("UpdateService").len(),
        1,
        "ECS rolled back; no update of ours"
    );
    let summary = summary(&report);
    assert!(
        summary.contains("## ↩️ Rolled back api in dev")
            && summary.contains("| ECS deployment | ROLLBACK_SUCCESSFUL")
            && summary.contains("| Rolled back to | api:1 by ecs-ship"),
        "{summary}"
    );
}

#[tokio::test(start_paused = true)]
async fn continue_refuses_another_hook_before_any_write() {
    let model = paused_service();
    let (_, report, log, _) = deploy(&model, &[("services", "api"), ("wait", "paused")]).await;
    assert_eq!(report.status, Status::Paused, "{log}");
    let arn = output(&report, "service-deployment-arn");
    let (report, log, _) = resume(
        &model,
        &[
            ("command", "continue"),
            ("service-deployment-arn", &arn),
            ("hook-id", "hook-from-another-pause"),
        ],
    )
    .await;
    assert_eq!(report.exit as i32, 2, "{log}");
    let reason = output(&report, "failure-reason");
    assert!(
        reason.contains("waits at hook `hook-") && reason.ends_with("not at the `hook-id` given"),
        "{reason}"
    );
    assert_eq!(model.calls("ContinueServiceDeployment").len(), 0);
}

#[tokio::test(start_paused = true)]
async fn waiting_until_paused_needs_a_pause_hook_and_says_so_before_any_write() {
    let model = Model::new(&["api"]);
    let (_, report, log, _) = deploy(&model, &[("services", "api"), ("wait", "paused")]).await;
    assert_eq!(report.exit as i32, 2, "{log}");
    assert_eq!(
        output(&report, "failure-reason"),
        "input `wait` is `paused`, and service `api` has no PAUSE lifecycle hook to pause at"
    );
    assert!(model.calls("RegisterTaskDefinition").is_empty());
    assert!(model.calls("UpdateService").is_empty());
}

#[tokio::test(start_paused = true)]
async fn rollback_of_a_deployment_in_progress_stops_it_with_a_rollback() {
    let model = Model::new(&["api"]);
    model.scenario("api", &[Scenario::Hang]);
    let (_, report, log, _) = deploy(&model, &[("services", "api"), ("wait", "false")]).await;
    assert_eq!(report.status, Status::Started, "{log}");
    let arn = output(&report, "service-deployment-arn");
    assert!(arn.contains(":service-deployment/main/api/"), "{arn}");
    let (report, log, _) = resume(
        &model,
        &[("command", "rollback"), ("service-deployment-arn", &arn)],
    )
    .await;
    assert_eq!(report.status, Status::RolledBack, "{log}");
    assert_eq!(model.calls("StopServiceDeployment").len(), 1);
    assert_eq!(model.running("api"), "api:1");
}

#[tokio::test(start_paused = true)]
async fn the_summary_shows_the_digest_ecs_runs_and_warns_when_the_tag_moved() {
    let model = Model::new(&["api"]);
    let (_, report, log, _) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    let pinned = format!("sha256:{}", "1".repeat(64));
    let shown = summary(&report);
    assert!(
        shown.contains("### Images ECS runs")
            && shown.contains(&format!("| app | {pinned} | as checked in ECR |")),
        "{shown}"
    );
    assert_eq!(model.calls("DescribeServiceRevisions").len(), 1);

    // Without the digest pinned, ECS resolves the tag when the deployment starts: a tag pushed
    // again after ecs-ship checked it is said.
    let model = Model::new(&["api"]);
    let moved = format!("sha256:{}", "9".repeat(64));
    model.move_tag_after_check(&moved);
    let (_, report, log, _) = deploy(
        &model,
        &[("services", "api"), ("pin-image-digest", "false")],
    )
    .await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    let summary = summary(&report);
    assert!(
        summary.contains(&format!(
            "| app | {moved} | ⚠️ not the digest checked in ECR ({pinned}) |"
        )) && summary.contains(&format!(
            "> ⚠️ api/app: ECS runs {moved}, not the digest ecs-ship checked in ECR ({pinned})"
        )),
        "{summary}"
    );
}

#[tokio::test(start_paused = true)]
async fn when_the_strategy_owns_rollback_a_failed_deploy_is_rolled_back_by_ecs_not_by_an_update() {
    // Blue/green that never finishes: at the timeout ECS is asked to roll it back.
    let model = Model::new(&["api"]);
    model.strategy(
        "api",
        Strategy {
            blue_green: true,
            ..Strategy::default()
        },
    );
    model.scenario("api", &[Scenario::Hang]);
    let (_, report, log, _) = deploy(
        &model,
        &[("services", "api"), ("time-limit-minutes", "0.1")],
    )
    .await;
    assert_eq!(output(&report, "status"), "rolled-back", "{log}");
    assert!(
        log.contains("Rolled back api's deployment by stopping it"),
        "{log}"
    );
    assert_eq!(model.calls("StopServiceDeployment").len(), 1);
    assert_eq!(
        model.calls("UpdateService").len(),
        1,
        "no update on top of ECS"
    );
    assert_eq!(model.running("api"), "api:1");

    // Paused at its hook while the deploy waits until deployed: rolled back at the hook.
    let model = paused_service();
    let (_, report, log, _) = deploy(
        &model,
        &[("services", "api"), ("time-limit-minutes", "0.2")],
    )
    .await;
    assert_eq!(output(&report, "status"), "rolled-back", "{log}");
    assert!(
        log.contains("Rolled back api's deployment at hook "),
        "{log}"
    );
    assert_eq!(model.calls("ContinueServiceDeployment").len(), 1);
    assert_eq!(model.calls("UpdateService").len(), 1);
    assert_eq!(model.running("api"), "api:1");
}

#[tokio::test(start_paused = true)]
async fn service_deployments_denied_for_many_services_are_said_once() {
    let names = ["api", "worker", "scheduler"];
    let model = Model::new(&names);
    model.fault(
        "DescribeServiceDeployments",
        0,
        &AwsError::service("AccessDeniedException", "not authorized"),
        10_000,
    );
    let (_, report, log, _) =
        deploy(&model, &[("services", "- api\n- worker\n- scheduler\n")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert_eq!(log.matches("cannot be used (").count(), 1, "{log}");
    assert!(
        log.contains("ECS's service deployments of api, worker, scheduler cannot be used (")
            && log.contains("AccessDeniedException: not authorized); judging the rollouts from DescribeServices alone"),
        "{log}"
    );
    assert_eq!(
        model.calls("DescribeServiceDeployments").len(),
        1,
        "one batched call, denied once"
    );
    let summary = summary(&report);
    assert_eq!(summary.matches("could not be used").count(), 1, "{summary}");
}

#[tokio::test(start_paused = true)]
async fn a_continue_or_stop_whose_answer_was_lost_is_found_done_by_reading_the_deployment() {
    let model = paused_service();
    let (_, report, log, _) = deploy(&model, &[("services", "api"), ("wait", "paused")]).await;
    assert_eq!(report.status, Status::Paused, "{log}");
    let arn = output(&report, "service-deployment-arn");
    let hook = output(&report, "hook-id");
    model.lose_next_answer("ContinueServiceDeployment");
    let (report, log, _) = resume(
        &model,
        &[
            ("command", "continue"),
            ("service-deployment-arn", &arn),
            ("hook-id", &hook),
        ],
    )
    .await;
    assert_eq!(report.status, Status::Deployed, "the hook moved on: {log}");
    assert_eq!(model.calls("ContinueServiceDeployment").len(), 1);

    let model = Model::new(&["api"]);
    model.scenario("api", &[Scenario::Hang]);
    let (_, report, log, _) = deploy(&model, &[("services", "api"), ("wait", "false")]).await;
    assert_eq!(report.status, Status::Started, "{log}");
    let arn = output(&report, "service-deployment-arn");
    model.lose_next_answer("StopServiceDeployment");
    let (report, log, _) = resume(
        &model,
        &[("command", "rollback"), ("service-deployment-arn", &arn)],
    )
    .await;
    assert_eq!(
        report.status,
        Status::RolledBack,
        "it is rolling back: {log}"
    );
    assert_eq!(model.calls("UpdateService").len(), 1, "no second rollback");
    assert_eq!(model.running("api"), "api:1");
}

#[tokio::test(start_paused = true)]
async fn digests_that_do_not_come_hold_the_verdict_ten_seconds_at_most() {
    let model = Model::new(&["api"]);
    model.hang_next("DescribeServiceRevisions");
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(took < Duration::from_secs(14), "{took:?}");
    assert!(
        summary(&report).contains("the image digests ECS resolved could not be read (DescribeServiceRevisions did not answer within 10 s)"),
        "{}",
        summary(&report)
    );
}

/// A SIGTERM while ECS rolls our failed blue/green deployment back (ecs-ship asked it to) names
/// the rollback and the revision it puts back, not the failed deployment as if ECS carried on
/// with it.
#[tokio::test(start_paused = true)]
async fn cancelling_while_ecs_rolls_back_names_the_rollback_and_its_target() {
    let model = Model::new(&["api"]);
    model.strategy(
        "api",
        Strategy {
            blue_green: true,
            ..Strategy::default()
        },
    );
    model.scenario(
        "api",
        &[Scenario::Crash {
            delay: 0.2,
            interval: 1.2,
            exit: 1,
            reason: None,
        }],
    );
    let stop = async {
        tokio::time::sleep(Duration::from_secs(4)).await;
        "SIGTERM"
    };
    let (_, report, log) = crate::paused::deploy_until(&model, &[("services", "api")], stop).await;
    assert!(
        log.contains("Rolled back api's deployment by stopping it"),
        "{log}"
    );
    assert_eq!(output(&report, "status"), "cancelled", "{log}");
    let reason = output(&report, "failure-reason");
    assert!(
        reason.starts_with("cancelled (SIGTERM) while ECS rolled back service deployment ")
            && reason
                .contains(" to api:1 (asked by ecs-ship); ECS carries on with it; before it, "),
        "{reason}"
    );
    assert_eq!(
        revision(&output(&report, "rollback-task-definition-arn")),
        "1"
    );
}
