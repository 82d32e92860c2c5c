//! The deploy pipeline against the ECS model ([`crate::model`]) on tokio's paused clock: every
//! timing-dependent behaviour (registration through the throttle, crash loops, timeouts, the circuit breaker's
//! rollback) in virtual time, with the same report the binary would write. The end-to-end tests
//! check the same program wired to moto in real time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ecs_ship::command::deploy::{Deploy, DeployRun};
use ecs_ship::command::{self, With};
use ecs_ship::console::{Console, Mode};
use ecs_ship::input::action_env::RunContext;
use ecs_ship::progress::Progress;
use ecs_ship::report::{Report, Status};
use ecs_ship::request::{DeployRequest, Request};
use tokio::time::Instant;

use ecs_ship::cloud::AwsError;
use ecs_ship::github::{DeploymentsApi, Payload, Tracker, Where};
use futures::future::BoxFuture;
use serde_json::Value;

use crate::model::{CLUSTER, Model, REPOSITORY, Scenario, Strategy, TaskScenario};
use crate::support::declared_inputs;

/// A deploy request from the step's inputs, read and validated as the binary does.
fn request(inputs: &[(&str, &str)]) -> DeployRequest {
    match validated(inputs) {
        Request::Deploy(request) => *request,
        _ => unreachable!("a deploy"),
    }
}

/// A request of any command (`command` among the inputs) from the step's inputs, read and
/// validated as the binary does.
pub(crate) fn validated(inputs: &[(&str, &str)]) -> Request {
    let workspace = tempfile::tempdir().unwrap();
    let mut env: BTreeMap<String, String> = declared_inputs()
        .into_iter()
        .map(|(name, default)| {
            (
                format!("INPUT_{}", name.to_uppercase()),
                default.unwrap_or_default(),
            )
        })
        .collect();
    env.insert("GITHUB_ACTIONS".into(), "true".into());
    env.insert(
        "GITHUB_WORKSPACE".into(),
        workspace.path().to_string_lossy().into_owned(),
    );
    let given: Vec<(&str, &str)> = [
        ("environment", "dev"),
        ("cluster", CLUSTER),
        ("repository", REPOSITORY),
        ("image-tag", "v2"),
    ]
    .into_iter()
    .chain(inputs.iter().copied())
    .collect();
    for (name, value) in crate::support::settings_in_a_file(&given, workspace.path()) {
        env.insert(format!("INPUT_{}", name.to_uppercase()), (*value).into());
    }
    let given = ecs_ship::input::read_from(|name| env.get(name).cloned(), vec!["ecs-ship".into()]);
    let inputs = ecs_ship::input::load(given.command.expect("a command")).expect("inputs load");
    ecs_ship::request::validate(&inputs).expect("valid inputs")
}

/// Runs a deploy to the end against the model; the run, its report, the log and when it ended.
pub(crate) async fn deploy(
    model: &Model,
    inputs: &[(&str, &str)],
) -> (DeployRun, Report, String, Duration) {
    deploy_on(model, inputs, false).await
}

/// [`deploy`], its log written as to a terminal (`live`: status lines redrawn in place).
pub(crate) async fn deploy_on(
    model: &Model,
    inputs: &[(&str, &str)],
    live: bool,
) -> (DeployRun, Report, String, Duration) {
    let req = request(inputs);
    let started = Instant::now();
    let mut log = Vec::new();
    let run = {
        let console = Console::new(&mut log, Mode::Human).live(live);
        run_deploy(model, &req, &console, std::future::pending()).await
    };
    let report = ecs_ship::report::deploy::build(&run, "dev", Vec::new());
    (
        run,
        report,
        String::from_utf8(log).unwrap(),
        started.elapsed(),
    )
}

/// Runs a deploy against the model until it ends or `stop` (a signal) does.
pub(crate) async fn deploy_until(
    model: &Model,
    inputs: &[(&str, &str)],
    stop: impl std::future::Future<Output = &'static str>,
) -> (DeployRun, Report, String) {
    let req = request(inputs);
    let mut log = Vec::new();
    let run = {
        let console = Console::new(&mut log, Mode::Human);
        run_deploy(model, &req, &console, stop).await
    };
    let report = ecs_ship::report::deploy::build(&run, "dev", Vec::new());
    (run, report, String::from_utf8(log).unwrap())
}

/// The deploy command against the model, through the one command scaffold the binary uses.
async fn run_deploy<W: std::io::Write>(
    model: &Model,
    req: &DeployRequest,
    console: &Console<W>,
    stop: impl std::future::Future<Output = &'static str>,
) -> DeployRun {
    let with = With {
        console,
        progress: &Progress::default(),
        context: &RunContext::default(),
        github: None,
    };
    command::run(&Deploy { req }, Ok(model), &with, stop).await
}

/// One job output of the report, as the binary writes it.
pub(crate) fn output(report: &Report, name: &str) -> String {
    report
        .outputs()
        .into_iter()
        .find_map(|(n, v)| (n == name).then_some(v))
        .unwrap_or_else(|| panic!("no output `{name}`"))
}

/// The revision number of a task definition ARN.
pub(crate) fn revision(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or_default()
}

/// The step summary as a reader sees it (character references decoded, `<code>` dropped).
pub(crate) fn summary(report: &Report) -> String {
    ecs_ship::report::markdown::decoded(&ecs_ship::report::summary::render(report))
}

fn crash(interval: f64) -> Scenario {
    Scenario::Crash {
        delay: 0.2,
        interval,
        exit: 137,
        reason: Some("OutOfMemoryError: Container killed due to memory usage"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_deploy_completes_in_virtual_time_with_one_registration_and_one_update() {
    let model = Model::new(&["api"]);
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert_eq!(report.exit as i32, 0);
    assert_eq!(model.running("api"), "api:2");
    assert_eq!(model.calls("RegisterTaskDefinition").len(), 1);
    assert_eq!(model.calls("UpdateService").len(), 1);
    assert!(
        took < Duration::from_secs(3),
        "a verdict soon after the 0.5 s rollout: {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_crash_loop_without_circuit_breaker_fails_at_the_third_task_and_ecs_ship_rolls_back() {
    let model = Model::new(&["api"]);
    model.scenario("api", &[crash(1.2)]);
    let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(report.exit as i32, 3, "{log}");
    assert_eq!(output(&report, "status"), "rolled-back");
    assert_eq!(revision(&output(&report, "task-definition-arn")), "2");
    assert_eq!(
        revision(&output(&report, "rollback-task-definition-arn")),
        "1"
    );
    let reason = output(&report, "failure-reason");
    assert!(
        reason.starts_with("3 tasks of deployment ecs-svc/")
            && reason.contains("app exited 137: OutOfMemoryError"),
        "{reason}"
    );
    assert_eq!(model.running("api"), "api:1", "the previous revision again");
    assert_eq!(
        model.calls("UpdateService").len(),
        2,
        "the deploy and our rollback"
    );
    assert_eq!(report.failed_tasks.len(), 3);
    let summary = summary(&report);
    assert!(summary.contains("failed and was rolled back"), "{summary}");
    assert!(
        summary.contains("### Stopped tasks") && summary.contains("app exited 137"),
        "{summary}"
    );
    assert!(
        summary.contains("| Rolled back to | api:1 by ecs-ship, COMPLETED"),
        "{summary}"
    );
    // The third task stops at 0.2 + 2 × 1.2 = 2.6 s; the verdict follows within a poll, then
    // the rollback's 0.5 s rollout.
    assert!(
        took >= Duration::from_millis(2600) && took < Duration::from_secs(6),
        "{took:?}"
    );
}

/// Someone deploys between our last read and our update: our update replaced their revision,
/// so a failed rollout goes back to theirs, not to the one we read (which would undo theirs), and
/// the summary says the service changed under us.
#[tokio::test(start_paused = true)]
async fn the_rollback_goes_back_to_what_the_update_replaced_not_to_an_earlier_read() {
    let model = Model::new(&["api"]);
    model.scenario("api", &[crash(1.2)]);
    model.deploy_before_next_update("api");
    let (_, report, log, _) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(output(&report, "status"), "rolled-back", "{log}");
    // Ours is api:2 (registered first), theirs api:3 (registered right before our update).
    assert_eq!(revision(&output(&report, "task-definition-arn")), "2");
    assert_eq!(
        revision(&output(&report, "rollback-task-definition-arn")),
        "3",
        "{log}"
    );
    assert_eq!(model.running("api"), "api:3", "theirs again, not api:1");
    assert_eq!(
        revision(&output(&report, "previous-task-definition-arn")),
        "3"
    );
    let said = "api changed while this deploy ran: it ran api:1 when read and api:3 when updated";
    assert!(log.contains(said), "{log}");
    assert!(summary(&report).contains(said), "{}", summary(&report));
}

/// The revision to go back to was deregistered meanwhile: ECS refuses the rollback's update, and
/// the failure says ECS's own error and where the service stands, not a guess.
#[tokio::test(start_paused = true)]
async fn ecs_refusing_the_rollback_is_reported_with_its_own_error() {
    use ecs_ship::cloud::TaskDefinitions;
    let model = Model::new(&["api"]);
    model.scenario("api", &[crash(1.2)]);
    let arn = format!(
        "arn:aws:ecs:us-east-1:{}:task-definition/api:1",
        crate::model::ACCOUNT
    );
    model.deregister_task_definition(&arn).await.unwrap();
    let (_, report, log, _) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(output(&report, "status"), "failed", "{log}");
    let reason = output(&report, "failure-reason");
    assert!(
        reason.contains("ClientException: TaskDefinition is inactive"),
        "{reason}"
    );
    assert!(!reason.contains("shows no new deployment"), "{reason}");
    assert!(!log.contains("shows no new deployment"), "{log}");
    assert_eq!(
        model.calls("UpdateService").len(),
        2,
        "the deploy, the refused rollback"
    );
    assert_eq!(model.running("api"), "api:2", "left on the failed revision");
    let summary = summary(&report);
    assert!(
        summary.contains("runs api:2"),
        "where the service stands: {summary}"
    );
}

#[tokio::test(start_paused = true)]
async fn when_the_rollback_also_fails_the_status_is_failed_and_says_both() {
    let model = Model::new(&["api"]);
    model.scenario("api", &[crash(0.8), crash(0.8)]);
    let (_, report, log, _) = deploy(&model, &[("services", "api")]).await;
    assert_eq!(report.exit as i32, 3, "{log}");
    assert_eq!(output(&report, "status"), "failed");
    let reason = output(&report, "failure-reason");
    assert!(
        reason.contains("; the rollback of api to api:1 also failed: ")
            && reason.matches("tasks of deployment").count() == 2,
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_rollout_that_never_finishes_fails_at_the_timeout_and_is_rolled_back() {
    for (minutes, said, seconds) in [("0.05", "3s", 3), ("15", "15m", 900)] {
        let model = Model::new(&["api"]);
        model.scenario("api", &[Scenario::Hang]);
        let (_, report, log, took) = deploy(
            &model,
            &[("services", "api"), ("time-limit-minutes", minutes)],
        )
        .await;
        assert_eq!(report.exit as i32, 3, "{log}");
        assert_eq!(
            output(&report, "status"),
            "rolled-back",
            "timed out, then rolled back"
        );
        let reason = output(&report, "failure-reason");
        assert!(
            reason.starts_with(&format!("timed out after {said} waiting for deployment")),
            "{reason}"
        );
        assert!(
            took >= Duration::from_secs(seconds) && took < Duration::from_secs(seconds + 5),
            "the deadline, then the rollback: {took:?}"
        );
        assert_eq!(model.running("api"), "api:1");
    }
}

#[tokio::test(start_paused = true)]
async fn a_circuit_breaker_rollback_is_reported_not_repeated() {
    let model = Model::new(&["api"]);
    model.strategy(
        "api",
        Strategy {
            breaker: true,
            ..Strategy::default()
        },
    );
    model.scenario("api", &[Scenario::Fail { delay: 4.0 }]);
    // Our own count of failed tasks off: ECS's breaker decides.
    let (_, report, log, took) =
        deploy(&model, &[("services", "api"), ("max-task-failures", "0")]).await;
    assert_eq!(report.exit as i32, 3, "{log}");
    assert_eq!(output(&report, "status"), "rolled-back");
    assert_eq!(
        revision(&output(&report, "rollback-task-definition-arn")),
        "1"
    );
    let reason = output(&report, "failure-reason");
    assert!(reason.contains("circuit breaker"), "{reason}");
    assert_eq!(
        model.calls("UpdateService").len(),
        1,
        "ECS rolled back; we did not update again"
    );
    let summary = summary(&report);
    assert!(summary.contains("by ECS (circuit breaker)"), "{summary}");
    assert!(
        summary.contains("CannotPullContainerError"),
        "stopped-task reasons are shown: {summary}"
    );
    assert!(
        summary.contains("### Last service events")
            && summary.contains("rolling back to deployment"),
        "{summary}"
    );
    assert_eq!(model.running("api"), "api:1");
    assert!(
        took >= Duration::from_secs(6) && took < Duration::from_secs(9),
        "ECS's rollback completes 2 s after the breaker trips at 4 s: {took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn describe_services_failing_after_the_update_is_a_failed_rollout_and_the_rollback_is_said_unverified()
 {
    let model = Model::new(&["api"]);
    model.scenario("api", &[Scenario::Hang]);
    // The reads before the update (gather, the re-read) go through; every one after fails, of
    // the service and of ECS's record of its deployments alike.
    let unavailable = AwsError::service("ServerException", "Service Unavailable (injected)");
    model.fault("DescribeServices", 2, &unavailable, 10_000);
    model.fault("DescribeServiceDeployments", 0, &unavailable, 10_000);
    let (_, report, log, took) = deploy(
        &model,
        &[("services", "api"), ("time-limit-minutes", "0.1")],
    )
    .await;
    assert_eq!(report.exit as i32, 3, "{log}");
    assert_eq!(
        log.matches("cannot be used (").count(),
        2,
        "said once for the rollout, once for the rollback: {log}"
    );
    assert_eq!(output(&report, "status"), "failed");
    let reason = output(&report, "failure-reason");
    assert!(
        reason.starts_with("no verdict on deployment ecs-svc/")
            && reason.contains("could not be read for")
            && reason.contains("ServerException: Service Unavailable (injected)")
            && reason.contains(
                "; the rollback of api to api:1 could not be verified: deployment ecs-svc/"
            ),
        "{reason}"
    );
    assert_eq!(
        revision(&output(&report, "rollback-task-definition-arn")),
        "1"
    );
    assert_eq!(
        model.calls("UpdateService").len(),
        2,
        "the deploy and our rollback"
    );
    let summary = summary(&report);
    assert!(
        summary.contains("| Rollback | to api:1 by ecs-ship")
            && summary.contains("started but not verified")
            && summary.contains("| Service now | unknown: it could not be read"),
        "{summary}"
    );
    assert!(!summary.contains("Rolled back to"), "{summary}");
    assert_eq!(
        model.running("api"),
        "api:1",
        "the rollback was made, only its verdict could not be read"
    );
    assert!(
        took >= Duration::from_secs(12) && took < Duration::from_secs(13),
        "one timeout for the rollout, one for the rollback: {took:?}"
    );
}

/// A GitHub Deployments API that answers what it is told, or never.
struct StandIn {
    create: Option<u64>,
    status: bool,
    posted: std::sync::Mutex<Vec<String>>,
}

impl DeploymentsApi for StandIn {
    fn create_deployment(&self, _body: Value) -> BoxFuture<'static, Result<u64, String>> {
        match self.create {
            Some(id) => Box::pin(async move { Ok(id) }),
            None => Box::pin(std::future::pending()),
        }
    }

    fn post_status(&self, _id: u64, body: Value) -> BoxFuture<'static, Result<(), String>> {
        self.posted
            .lock()
            .unwrap()
            .push(body["state"].as_str().unwrap_or_default().to_string());
        if self.status {
            Box::pin(async { Ok(()) })
        } else {
            Box::pin(std::future::pending())
        }
    }
}

fn tracker(api: &Arc<StandIn>) -> Tracker {
    let req = request(&[("github-deployment", "true"), ("github-token", "ghs_x")]);
    Tracker::with_api(
        Arc::clone(api) as Arc<dyn DeploymentsApi>,
        req.github.expect("github-deployment is on"),
        Where {
            repository: "acme/api".into(),
            sha: "0a1b".into(),
            api_url: "http://127.0.0.1:9".into(),
            log_url: None,
        },
        "dev",
    )
}

fn payload() -> Payload {
    Payload {
        image: "api:v2".into(),
        digest: None,
        services: vec!["api".into()],
        production: false,
    }
}

#[tokio::test(start_paused = true)]
async fn a_github_that_never_answers_holds_the_end_of_the_run_for_20_seconds_only() {
    let api = Arc::new(StandIn {
        create: None,
        status: true,
        posted: std::sync::Mutex::default(),
    });
    let mut tracker = tracker(&api);
    tracker.start(&payload());
    let started = Instant::now();
    let finished = tracker.finish(Some(("success", "Deployed".into()))).await;
    assert_eq!(started.elapsed(), Duration::from_secs(20));
    assert_eq!(finished.id, None);
    assert_eq!(
        finished.warnings,
        ["GitHub deployment: no answer within 20 s; its status was not updated"]
    );
    assert!(api.posted.lock().unwrap().is_empty(), "nothing to post to");
}

#[tokio::test(start_paused = true)]
async fn a_deployment_whose_statuses_get_no_answer_still_gets_its_final_state_tried() {
    let api = Arc::new(StandIn {
        create: Some(7),
        status: false,
        posted: std::sync::Mutex::default(),
    });
    let mut tracker = tracker(&api);
    tracker.start(&payload());
    let started = Instant::now();
    let finished = tracker.finish(Some(("failure", "Failed".into()))).await;
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(40),
        "the start grace, then the finish budget: bounded"
    );
    assert_eq!(finished.id, Some(7), "the deployment was created");
    assert_eq!(
        *api.posted.lock().unwrap(),
        ["in_progress", "failure"],
        "the final state is tried though `in_progress` got no answer"
    );
    assert_eq!(
        finished.warnings,
        [
            "GitHub deployment 7: `in_progress` not posted: no answer within 20 s",
            "GitHub deployment 7: `failure` not posted: no answer within 20 s"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_migration_that_outlives_its_timeout_fails_the_deploy_and_touches_no_service() {
    for (timeout, said, seconds) in [("0.05", "3s", 3), ("30", "30m", 1800)] {
        let model = Model::new(&["api"]);
        model.task_scenario(TaskScenario {
            duration: 4000.0,
            ..TaskScenario::default()
        });
        let task = format!("command: [migrate]\ntime-limit-minutes: {timeout}");
        let (run, report, log, took) =
            deploy(&model, &[("services", "api"), ("one-off-task", &task)]).await;
        assert_eq!(report.exit as i32, 3, "{log}");
        let reason = output(&report, "failure-reason");
        assert!(
            reason.contains(&format!(
                "did not stop within {said} (last status RUNNING) and is still running; no service was updated"
            )),
            "{reason}"
        );
        assert_eq!(
            reason.matches("no service was updated").count(),
            1,
            "no repeated clause: {reason}"
        );
        assert_eq!(model.calls("UpdateService").len(), 0);
        assert_eq!(output(&report, "one-off-task-exit-code"), "");
        assert!(
            run.progress
                .pre_deploy
                .is_some_and(|t| t.ended && t.task_arn.is_some())
        );
        assert!(
            took >= Duration::from_secs(seconds) && took < Duration::from_secs(seconds + 2),
            "{took:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_twenty_minute_migration_within_its_timeout_is_waited_for_then_the_service_updated() {
    let model = Model::new(&["api"]);
    model.task_scenario(TaskScenario {
        duration: 1200.0,
        ..TaskScenario::default()
    });
    let task = "command: [migrate]\ntime-limit-minutes: 30";
    let (_, report, log, took) =
        deploy(&model, &[("services", "api"), ("one-off-task", task)]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert_eq!(output(&report, "one-off-task-exit-code"), "0");
    let update = model.calls("UpdateService");
    assert_eq!(update.len(), 1);
    assert!(
        update[0] >= Duration::from_mins(20),
        "the service is updated only after the migration: {update:?}"
    );
    assert!(took < Duration::from_secs(1205), "{took:?}");
    assert!(
        log.contains("RUNNING after"),
        "the task's status changes are logged: {log}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_service_changed_during_the_migration_is_not_overwritten() {
    let model = Model::new(&["api"]);
    model.task_scenario(TaskScenario {
        duration: 10.0,
        ..TaskScenario::default()
    });
    let first = deploy(
        &model,
        &[("services", "api"), ("one-off-task", "command: [migrate]")],
    );
    // While the migration runs, someone deploys a hotfix.
    let second = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        deploy(
            &model,
            &[
                ("services", "api"),
                ("environment-variables", "ROLE: hotfix"),
            ],
        )
        .await
    };
    let ((_, first, first_log, _), (_, second, second_log, _)) = tokio::join!(first, second);
    assert_eq!(second.status, Status::Deployed, "{second_log}");
    assert_eq!(first.exit as i32, 1, "{first_log}");
    let reason = output(&first, "failure-reason");
    assert!(
        reason.starts_with(
            "service `api` changed while this deploy ran: it runs api:3 now, not api:1 it was planned against, so no service was updated"
        ),
        "{reason}"
    );
    assert_eq!(
        model.calls("UpdateService").len(),
        1,
        "only the hotfix updated it"
    );
    assert_eq!(model.running("api"), "api:3");
}

/// What the failed tasks printed is read while the rollback starts, not before it: a log read
/// that never answers delays neither the rollback nor the verdict by more than its own bound.
#[tokio::test(start_paused = true)]
async fn a_stalled_log_read_does_not_hold_the_rollback() {
    let rollback_at = |hang: bool| async move {
        let model = Model::new(&["api"]);
        model.log_to("api", "/ecs/api");
        model.scenario("api", &[crash(1.2)]);
        if hang {
            model.hang_next("GetLogEvents");
        }
        let (_, report, log, took) = deploy(&model, &[("services", "api")]).await;
        assert_eq!(output(&report, "status"), "rolled-back", "{log}");
        let updates = model.calls("UpdateService");
        assert_eq!(updates.len(), 2, "the deploy and the rollback");
        (updates[1], took, report)
    };
    let (quick, quick_took, _) = rollback_at(false).await;
    let (stalled, stalled_took, report) = rollback_at(true).await;
    assert_eq!(stalled, quick, "the rollback starts at the same moment");
    assert!(
        stalled_took <= quick_took + ecs_ship::gather::task_logs::READ_WITHIN,
        "{stalled_took:?} vs {quick_took:?}"
    );
    assert!(
        report
            .task_logs
            .logs
            .iter()
            .any(|l| l.unread.as_deref() == Some("its log could not be read: no answer within 5 s")),
        "{:?}",
        report.task_logs
    );
}
