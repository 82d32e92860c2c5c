use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::cloud::AwsError;
use crate::console::Mode;
use crate::domain::deployment::{BreakerCount, LifecycleStage, ServiceDeploymentStatus};
use crate::domain::outcome::RollbackState;
use crate::domain::service::{Deployment, DeploymentTarget};
use crate::domain::task::ContainerExit;
use crate::domain::watched::ServiceDeploymentRef;
use crate::text::human_duration;

const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3";
const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";

/// A script of how services look over (virtual) time, and which tasks stop when.
struct Script {
    start: Instant,
    /// Per service: (from this time on, this state).
    states: BTreeMap<String, Vec<(Duration, ServiceState)>>,
    stops: Vec<(Duration, StoppedTask)>,
    describe_calls: RefCell<Vec<(Duration, usize)>>,
    task_calls: Cell<usize>,
    /// `DescribeServices` fails in `[from, until)`; `true`: an error retrying cannot fix.
    describe_fails: Option<(Duration, Duration, bool)>,
    /// A `DescribeServices` call made in `[from, from + 1s)` hangs this long.
    describe_hangs: Option<(Duration, Duration)>,
    /// Every `DescribeServices` and `DescribeServiceDeployments` answer takes this long (ECS far
    /// away).
    answers_take: Duration,
    /// The stopped tasks cannot be read (access denied).
    tasks_denied: bool,
    /// From this time on the service is missing from the answer.
    gone_at: Option<Duration>,
    /// Service deployments: (from this time on, this record).
    records: Vec<(Duration, ServiceDeployment)>,
    /// `DescribeServiceDeployments` answers this error.
    records_fail: Option<AwsError>,
    record_calls: RefCell<Vec<(Duration, usize)>>,
}

impl Script {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            states: BTreeMap::new(),
            stops: Vec::new(),
            describe_calls: RefCell::default(),
            task_calls: Cell::default(),
            describe_fails: None,
            describe_hangs: None,
            answers_take: Duration::ZERO,
            tasks_denied: false,
            gone_at: None,
            records: Vec::new(),
            records_fail: None,
            record_calls: RefCell::default(),
        }
    }

    fn record_at(mut self, secs: u64, record: ServiceDeployment) -> Self {
        self.records.push((Duration::from_secs(secs), record));
        self
    }

    fn at(mut self, secs: u64, state: ServiceState) -> Self {
        self.states
            .entry(state.name.clone())
            .or_default()
            .push((Duration::from_secs(secs), state));
        self
    }
}

impl Observe for Script {
    async fn services(
        &self,
        _cluster: &str,
        names: &[String],
    ) -> anyhow::Result<Vec<ServiceState>> {
        let now = self.start.elapsed();
        self.describe_calls.borrow_mut().push((now, names.len()));
        tokio::time::sleep(self.answers_take).await;
        assert!(names.len() <= 10, "DescribeServices takes at most 10");
        if let Some((from, hang)) = self.describe_hangs
            && now >= from
            && now < from + Duration::from_secs(1)
        {
            tokio::time::sleep(hang).await;
        }
        if let Some((from, until, permanent)) = self.describe_fails
            && now >= from
            && now < until
        {
            let error = if permanent {
                AwsError::service(
                    "AccessDeniedException",
                    "not authorized to perform: ecs:DescribeServices",
                )
            } else {
                AwsError::service("ServerException", "Service Unavailable")
            };
            return Err(anyhow::Error::new(error)
                .context("describing services [\"api\"] in cluster `main`"));
        }
        if self.gone_at.is_some_and(|at| now >= at) {
            return Ok(Vec::new());
        }
        Ok(names
            .iter()
            .map(|n| {
                self.states[n]
                    .iter()
                    .rev()
                    .find(|(t, _)| *t <= now)
                    .expect("a state at time 0")
                    .1
                    .clone()
            })
            .collect())
    }

    async fn stopped_tasks(
        &self,
        _cluster: &str,
        deployment: &str,
        known: &HashSet<String>,
    ) -> anyhow::Result<Vec<StoppedTask>> {
        self.task_calls.set(self.task_calls.get() + 1);
        if self.tasks_denied {
            return Err(anyhow::Error::new(AwsError::service(
                "AccessDeniedException",
                "not authorized to perform: ecs:ListTasks",
            )));
        }
        let now = self.start.elapsed();
        Ok(self
            .stops
            .iter()
            .filter(|(t, task)| {
                *t <= now && task.started_by == deployment && !known.contains(&task.arn)
            })
            .map(|(_, t)| t.clone())
            .collect())
    }

    async fn find_service_deployment(
        &self,
        _cluster: &str,
        _service: &str,
        _task_definition: &str,
        _sent: SystemTime,
    ) -> anyhow::Result<Option<String>> {
        let now = self.start.elapsed();
        Ok(self
            .records
            .iter()
            .find(|(t, _)| *t <= now)
            .map(|(_, r)| r.arn.clone()))
    }

    async fn service_deployments(&self, arns: &[String]) -> anyhow::Result<Vec<ServiceDeployment>> {
        let now = self.start.elapsed();
        self.record_calls.borrow_mut().push((now, arns.len()));
        tokio::time::sleep(self.answers_take).await;
        assert!(
            arns.len() <= 20,
            "DescribeServiceDeployments takes at most 20"
        );
        if let Some(error) = &self.records_fail {
            return Err(anyhow::Error::new(error.clone()));
        }
        Ok(arns
            .iter()
            .filter_map(|arn| {
                self.records
                    .iter()
                    .rev()
                    .find(|(t, r)| *t <= now && r.arn == *arn)
                    .map(|(_, r)| r.clone())
            })
            .collect())
    }
}

fn state(name: &str, deployments: Vec<Deployment>) -> ServiceState {
    ServiceState {
        name: name.into(),
        status: "ACTIVE".into(),
        desired: 2,
        deployments,
        ..ServiceState::default()
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
        rollout_state: Some(rollout.into()),
        ..Deployment::default()
    }
}

fn rolling(name: &str) -> ServiceState {
    state(
        name,
        vec![
            dep("ecs-svc/new", "PRIMARY", NEW, 0, "IN_PROGRESS"),
            dep("ecs-svc/old", "ACTIVE", OLD, 2, "COMPLETED"),
        ],
    )
}

fn completed(name: &str) -> ServiceState {
    state(
        name,
        vec![dep("ecs-svc/new", "PRIMARY", NEW, 2, "COMPLETED")],
    )
}

fn watched(name: &str) -> Watched {
    Watched {
        cluster: "main".into(),
        initial: rolling(name),
        target: DeploymentTarget {
            deployment_id: "ecs-svc/new".into(),
            task_definition: NEW.into(),
            previous: Some(OLD.into()),
        },
        service_deployment: ServiceDeploymentRef::Unknown,
    }
}

/// Watches with timeout-minutes 0.1 (6 s); the verdict must come at the deadline and say the
/// service could not be read. Its reason.
async fn unreadable_at_six_seconds(script: &mut Script) -> String {
    let limits = Limits {
        timeout: Duration::from_secs(6),
        deadline: None,
        max_task_failures: 3,
        until: WaitUntil::Deployed,
        log_lines: 30,
    };
    let (outcomes, at, _) = run(script, &[watched("api")], limits).await;
    assert_eq!(at, Duration::from_secs(6), "the deadline always wins");
    let (reason, cause) = failure(&outcomes[0]);
    assert_eq!(*cause, Cause::Unreadable);
    reason.to_string()
}

fn limits(minutes: u64) -> Limits {
    Limits {
        timeout: Duration::from_secs(minutes * 60),
        deadline: None,
        max_task_failures: 3,
        until: WaitUntil::Deployed,
        log_lines: 30,
    }
}

async fn run(
    script: &mut Script,
    items: &[Watched],
    limits: Limits,
) -> (Vec<Outcome>, Duration, String) {
    let console = Console::new(Vec::new(), Mode::Human);
    let outcomes = watch(script, items, limits, &console).await;
    (
        outcomes,
        script.start.elapsed(),
        String::from_utf8(console.into_inner()).unwrap(),
    )
}

#[tokio::test(start_paused = true)]
async fn the_verdict_comes_within_two_seconds_of_completion_even_after_a_long_quiet_wait() {
    for done_at in [3, 37, 301] {
        let mut script = Script::new()
            .at(0, rolling("api"))
            .at(done_at, completed("api"));
        let (outcomes, at, _) = run(&mut script, &[watched("api")], limits(15)).await;
        assert_eq!(outcomes[0].verdict, Verdict::Completed);
        let late = at
            .checked_sub(Duration::from_secs(done_at))
            .expect("no verdict before completion");
        assert!(
            late <= Duration::from_secs(2),
            "verdict {late:?} after completion at {done_at}s"
        );
    }
}

/// With ECS far away, a poll's reads are made together and polls are a second apart from start
/// to start: slow answers do not push the verdict back.
#[tokio::test(start_paused = true)]
async fn slow_answers_do_not_space_the_polls_out() {
    let mut script = Script::new()
        .at(0, rolling("api"))
        .at(4, completed("api"))
        .record_at(0, record("IN_PROGRESS", None))
        .record_at(4, record("SUCCESSFUL", None));
    script.answers_take = Duration::from_millis(300);
    let (outcomes, at, _) = run(&mut script, &[watched_with_record("api")], limits(15)).await;
    assert_eq!(outcomes[0].verdict, Verdict::Completed);
    let polls: Vec<Duration> = script
        .describe_calls
        .borrow()
        .iter()
        .map(|(t, _)| *t)
        .collect();
    let secs = |s: u64| Duration::from_secs(s);
    assert_eq!(
        polls,
        [secs(1), secs(2), secs(3), secs(4)],
        "a poll a second"
    );
    let records: Vec<Duration> = script
        .record_calls
        .borrow()
        .iter()
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(records, polls, "each poll's two reads made together");
    assert_eq!(
        at,
        Duration::from_millis(4300),
        "the verdict one answer after completion"
    );
}

#[tokio::test(start_paused = true)]
async fn a_quiet_wait_costs_at_most_about_thirty_describe_calls_a_minute() {
    let mut script = Script::new().at(0, rolling("api"));
    let (outcomes, at, log) = run(&mut script, &[watched("api")], limits(10)).await;
    assert_eq!(at, Duration::from_mins(10), "stops exactly at the timeout");
    let Verdict::Failed { reason, cause } = &outcomes[0].verdict else {
        panic!("timeout expected")
    };
    assert_eq!(*cause, Cause::TimedOut);
    assert_eq!(
        reason,
        "timed out after 10m waiting for deployment ecs-svc/new (running 0/2 pending 2 rollout IN_PROGRESS)"
    );
    let calls = script.describe_calls.borrow().len();
    assert!(
        (290..=310).contains(&calls),
        "{calls} DescribeServices calls in 10 minutes"
    );
    assert!(
        script.task_calls.get() <= calls,
        "{} task checks for {calls} polls: at most one per poll",
        script.task_calls.get()
    );
    assert_eq!(
        log.lines()
            .filter(|l| !l.is_empty() && !l.starts_with("== Wait for"))
            .count(),
        1,
        "one line per change, not per poll: {log}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_crash_loop_fails_soon_after_the_third_failed_task() {
    let mut script = Script::new().at(0, rolling("api"));
    for (i, secs) in [10u64, 25, 40, 55].iter().enumerate() {
        script.stops.push((
            Duration::from_secs(*secs),
            StoppedTask {
                arn: format!("arn:aws:ecs:us-east-1:123456789012:task/main/crash{i}"),
                started_by: "ecs-svc/new".into(),
                stop_code: Some("EssentialContainerExited".into()),
                stopped_reason: Some("Essential container in task exited".into()),
                containers: vec![ContainerExit {
                    name: "app".into(),
                    exit_code: Some(137),
                    reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
                }],
                ..StoppedTask::default()
            },
        ));
    }
    // A task stopped by scale-in does not count.
    script.stops.push((
        Duration::from_secs(5),
        StoppedTask {
            arn: "arn:aws:ecs:us-east-1:123456789012:task/main/scaled".into(),
            started_by: "ecs-svc/new".into(),
            stop_code: Some("ServiceSchedulerInitiated".into()),
            stopped_reason: Some("Scaling activity initiated by (deployment ecs-svc/new)".into()),
            ..StoppedTask::default()
        },
    ));
    let (outcomes, at, log) = run(&mut script, &[watched("api")], limits(15)).await;
    let Verdict::Failed { reason, cause } = &outcomes[0].verdict else {
        panic!("failure expected")
    };
    assert_eq!(*cause, Cause::Rollout);
    assert!(reason.starts_with("3 tasks of deployment ecs-svc/new stopped; the last one, task crash2: Essential container in task exited"), "{reason}");
    assert!(
        at >= Duration::from_secs(40) && at <= Duration::from_secs(44),
        "verdict at {at:?}, third failure at 40s"
    );
    assert_eq!(outcomes[0].failures.len(), 3);
    assert!(log.contains("task crash0 stopped: Essential container in task exited [EssentialContainerExited]; app exited 137: OutOfMemoryError"), "{log}");
    assert!(!log.contains("scaled"));
}

#[tokio::test(start_paused = true)]
async fn twelve_services_are_described_in_batches_of_ten_and_finish_independently() {
    let names: Vec<String> = (0..12).map(|i| format!("svc{i}")).collect();
    let mut script = Script::new();
    for (i, name) in names.iter().enumerate() {
        script = script
            .at(0, rolling(name))
            .at(2 + i as u64, completed(name));
    }
    let items: Vec<Watched> = names.iter().map(|n| watched(n)).collect();
    // Slow answers: a poll's batches are asked together, not one after the other.
    script.answers_take = Duration::from_millis(300);
    let (outcomes, at, _) = run(&mut script, &items, limits(15)).await;
    assert!(outcomes.iter().all(|o| o.verdict == Verdict::Completed));
    assert!(at <= Duration::from_secs(15), "{at:?}");
    assert_eq!(
        script.describe_calls.borrow()[0],
        (Duration::from_secs(1), 10)
    );
    assert_eq!(
        script.describe_calls.borrow()[1],
        (Duration::from_secs(1), 2)
    );
    assert!(script.describe_calls.borrow().iter().all(|(_, n)| *n <= 10));
    let last_poll_size = script.describe_calls.borrow().last().unwrap().1;
    assert!(
        last_poll_size <= 2,
        "finished services are not described again ({last_poll_size})"
    );
}

fn failure(outcome: &Outcome) -> (&str, &Cause) {
    match &outcome.verdict {
        Verdict::Failed { reason, cause } => (reason.as_str(), cause),
        other => panic!("failure expected, not {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn reads_that_fail_for_a_while_do_not_end_the_watch() {
    let mut script = Script::new().at(0, rolling("api")).at(20, completed("api"));
    script.describe_fails = Some((Duration::from_secs(3), Duration::from_secs(15), false));
    let (outcomes, at, log) = run(&mut script, &[watched("api")], limits(15)).await;
    assert_eq!(outcomes[0].verdict, Verdict::Completed);
    assert!(at <= Duration::from_secs(22), "{at:?}");
    assert!(
        log.contains("api could not be read (describing services [\"api\"] in cluster `main`: ServerException: Service Unavailable); trying again")
            && log.contains("api can be read again after"),
        "{log}"
    );
}

#[tokio::test(start_paused = true)]
async fn reads_that_keep_failing_end_in_could_not_be_read_at_the_deadline() {
    let mut script = Script::new().at(0, rolling("api"));
    script.describe_fails = Some((Duration::from_secs(2), Duration::from_secs(9999), false));
    let (outcomes, at, _) = run(&mut script, &[watched("api")], limits(1)).await;
    assert_eq!(at, Duration::from_mins(1), "the deadline, not later");
    let (reason, cause) = failure(&outcomes[0]);
    assert_eq!(*cause, Cause::Unreadable);
    assert!(
        reason.starts_with(
            "no verdict on deployment ecs-svc/new: service `api` could not be read for 5"
        ) && reason.ends_with("ServerException: Service Unavailable"),
        "{reason}"
    );
    assert!(
        outcomes[0]
            .where_it_stands()
            .starts_with("unknown: it could not be read (describing services")
    );
    assert!(cause.ours_to_roll_back(), "the rollback policy applies");
}

#[tokio::test(start_paused = true)]
async fn an_error_that_cannot_go_away_ends_the_watch_in_three_polls() {
    let mut script = Script::new().at(0, rolling("api"));
    script.describe_fails = Some((Duration::from_secs(2), Duration::from_secs(9999), true));
    let (outcomes, at, _) = run(&mut script, &[watched("api")], limits(15)).await;
    assert!(
        at <= Duration::from_secs(6),
        "not the 15 minute timeout: {at:?}"
    );
    let (reason, cause) = failure(&outcomes[0]);
    assert_eq!(*cause, Cause::Unreadable);
    assert!(
        reason.contains("(3 attempts): describing services"),
        "{reason}"
    );
    assert!(
        reason.ends_with("AccessDeniedException: not authorized to perform: ecs:DescribeServices")
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_that_hangs_cannot_hold_the_verdict_past_the_deadline() {
    // timeout-minutes 0.1 (6 s) and a DescribeServices held for 150 s.
    let mut script = Script::new().at(0, rolling("api"));
    script.describe_hangs = Some((Duration::from_secs(2), Duration::from_secs(150)));
    let reason = unreadable_at_six_seconds(&mut script).await;
    assert!(
        reason.contains("DescribeServices did not answer before the deadline"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_read_cut_by_the_deadline_keeps_the_error_aws_gave_before_it() {
    // Reads fail from 2 s; the one made at 4 s hangs past the 6 s deadline.
    let mut script = Script::new().at(0, rolling("api"));
    script.describe_fails = Some((Duration::from_secs(2), Duration::from_secs(9999), false));
    script.describe_hangs = Some((Duration::from_secs(4), Duration::from_secs(150)));
    let reason = unreadable_at_six_seconds(&mut script).await;
    assert!(
        reason.ends_with("ServerException: Service Unavailable")
            && !reason.contains("did not answer before the deadline"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn stopped_tasks_that_cannot_be_read_leave_ecss_count_to_decide() {
    let mut failing = rolling("api");
    failing.deployments[0].failed_tasks = 3;
    let mut script = Script::new().at(0, rolling("api")).at(8, failing);
    script.tasks_denied = true;
    let (outcomes, at, log) = run(&mut script, &[watched("api")], limits(15)).await;
    assert!(at <= Duration::from_secs(10), "{at:?}");
    let (reason, cause) = failure(&outcomes[0]);
    assert_eq!(*cause, Cause::Rollout);
    assert_eq!(
        reason,
        "3 tasks of deployment ecs-svc/new stopped (ECS's count; why they stopped could not be read: AccessDeniedException: not authorized to perform: ecs:ListTasks)"
    );
    assert_eq!(
        log.matches("stopped tasks could not be read").count(),
        1,
        "said once: {log}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_deleted_service_and_a_superseding_deployment_are_outcomes_of_their_own() {
    let mut script = Script::new().at(0, rolling("api"));
    script.gone_at = Some(Duration::from_secs(4));
    let (outcomes, at, _) = run(&mut script, &[watched("api")], limits(15)).await;
    assert!(at <= Duration::from_secs(5), "{at:?}");
    assert_eq!(*failure(&outcomes[0]).1, Cause::ServiceGone);

    let newer = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:5";
    let superseded = state(
        "api",
        vec![
            dep("ecs-svc/theirs", "PRIMARY", newer, 0, "IN_PROGRESS"),
            dep("ecs-svc/new", "ACTIVE", NEW, 1, "IN_PROGRESS"),
        ],
    );
    let mut script = Script::new().at(0, rolling("api")).at(5, superseded);
    let (outcomes, _, _) = run(&mut script, &[watched("api")], limits(15)).await;
    let (reason, cause) = failure(&outcomes[0]);
    assert!(!cause.ours_to_roll_back());
    assert!(
        reason.contains("superseded by deployment ecs-svc/theirs running api:5"),
        "{reason}"
    );
}

#[test]
fn durations_read_naturally() {
    assert_eq!(human_duration(Duration::from_secs(45)), "45s");
    assert_eq!(human_duration(Duration::from_mins(15)), "15m");
    assert_eq!(human_duration(Duration::from_secs(90)), "1m 30s");
}

const RECORD: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/api/sd1";

/// ECS's record of the deployment in `watched`.
fn record(status: &str, stage: Option<LifecycleStage>) -> ServiceDeployment {
    ServiceDeployment {
        arn: RECORD.into(),
        status: ServiceDeploymentStatus::parse(status),
        lifecycle_stage: stage,
        strategy: Some("ROLLING".into()),
        bake_time_minutes: Some(1),
        ..ServiceDeployment::default()
    }
}

fn watched_with_record(name: &str) -> Watched {
    Watched {
        service_deployment: ServiceDeploymentRef::Known(RECORD.into()),
        ..watched(name)
    }
}

/// ECS put the old revision back: ours FAILED, a new PRIMARY of the old revision.
fn ecs_rolled_back(name: &str) -> ServiceState {
    state(
        name,
        vec![
            dep("ecs-svc/back", "PRIMARY", OLD, 2, "COMPLETED"),
            dep("ecs-svc/new", "ACTIVE", NEW, 0, "FAILED"),
        ],
    )
}

#[tokio::test(start_paused = true)]
async fn a_completed_rollout_is_not_deployed_until_ecs_has_baked_it() {
    let mut script = Script::new()
        .at(0, rolling("api"))
        .at(2, completed("api"))
        .record_at(0, record("IN_PROGRESS", None))
        .record_at(2, record("IN_PROGRESS", Some(LifecycleStage::BakeTime)))
        .record_at(62, record("SUCCESSFUL", None));
    let (outcomes, at, log) = run(&mut script, &[watched_with_record("api")], limits(15)).await;
    assert_eq!(outcomes[0].verdict, Verdict::Completed, "{log}");
    assert!(
        at >= Duration::from_secs(62) && at <= Duration::from_secs(64),
        "deployed only once ECS says so, within 2 s: {at:?}"
    );
    assert!(
        log.contains("service deployment IN_PROGRESS, stage BAKE_TIME"),
        "{log}"
    );
    assert!(log.contains("baking; about 1m left"), "{log}");
    assert!(log.contains("service deployment SUCCESSFUL"), "{log}");
    assert_eq!(
        outcomes[0]
            .service_deployment
            .as_ref()
            .map(|d| d.arn.as_str()),
        Some(RECORD)
    );
    assert!(outcomes[0].service_deployment_unused.is_none());
}

#[tokio::test(start_paused = true)]
async fn an_alarm_during_bake_time_is_ecs_rollback_waited_for_to_its_end() {
    let mut rolling_back = record("ROLLBACK_IN_PROGRESS", None);
    rolling_back.rollback_reason = Some("CloudWatch alarm api-5xx is in ALARM".into());
    rolling_back.triggered_alarms = vec!["api-5xx".into()];
    let mut back = rolling_back.clone();
    back.status = ServiceDeploymentStatus::RollbackSuccessful;
    let mut script = Script::new()
        .at(0, rolling("api"))
        .at(2, completed("api"))
        .at(5, ecs_rolled_back("api"))
        .record_at(0, record("IN_PROGRESS", None))
        .record_at(2, record("IN_PROGRESS", Some(LifecycleStage::BakeTime)))
        .record_at(5, rolling_back)
        .record_at(9, back);
    let (outcomes, at, log) = run(&mut script, &[watched_with_record("api")], limits(15)).await;
    assert!(
        at >= Duration::from_secs(9) && at <= Duration::from_secs(11),
        "the verdict waits for ECS's rollback to end: {at:?}\n{log}"
    );
    let (reason, cause) = failure(&outcomes[0]);
    assert_eq!(
        *cause,
        Cause::EcsRollback {
            service_deployment: RECORD.into(),
            state: RollbackState::Completed
        }
    );
    assert!(!cause.ours_to_roll_back());
    assert_eq!(
        reason,
        format!(
            "deployment ecs-svc/new failed and ECS rolled it back: CloudWatch alarm api-5xx is in ALARM; alarms in ALARM: api-5xx (service deployment {RECORD})"
        )
    );
}

#[tokio::test(start_paused = true)]
async fn the_deadline_during_ecs_rollback_is_an_unverified_rollback_not_ours_to_repeat() {
    let mut rolling_back = record("ROLLBACK_IN_PROGRESS", None);
    rolling_back.circuit_breaker = Some(BreakerCount {
        failed: 3,
        threshold: 3,
    });
    let mut script = Script::new()
        .at(0, rolling("api"))
        .at(3, ecs_rolled_back("api"))
        .record_at(0, record("IN_PROGRESS", None))
        .record_at(3, rolling_back);
    let limits = Limits {
        timeout: Duration::from_secs(30),
        deadline: None,
        max_task_failures: 0,
        until: WaitUntil::Deployed,
        log_lines: 30,
    };
    let (outcomes, at, _) = run(&mut script, &[watched_with_record("api")], limits).await;
    assert_eq!(at, Duration::from_secs(30));
    let (reason, cause) = failure(&outcomes[0]);
    assert!(
        matches!(
            cause,
            Cause::EcsRollback {
                state: RollbackState::Unverified(_),
                ..
            }
        ),
        "{cause:?}"
    );
    assert!(!cause.ours_to_roll_back());
    assert!(
        reason.starts_with("ECS was still rolling back service deployment")
            && reason.contains("circuit breaker: 3 failed tasks (threshold 3)")
            && reason.ends_with("when the wait ended after 30s"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_permission_to_read_service_deployments_the_rollout_decides_and_it_is_said_once() {
    let mut script = Script::new().at(0, rolling("api")).at(2, completed("api"));
    script.records_fail = Some(AwsError::service(
        "AccessDeniedException",
        "not authorized to perform: ecs:DescribeServiceDeployments",
    ));
    let (outcomes, at, log) = run(&mut script, &[watched_with_record("api")], limits(15)).await;
    assert_eq!(outcomes[0].verdict, Verdict::Completed, "{log}");
    assert!(at <= Duration::from_secs(4), "{at:?}");
    assert_eq!(
        script.record_calls.borrow().len(),
        1,
        "denied once is enough"
    );
    assert_eq!(log.matches("cannot be used (").count(), 1, "{log}");
    assert!(
        outcomes[0]
            .service_deployment_unused
            .as_deref()
            .is_some_and(|why| why.contains("AccessDeniedException")),
        "{:?}",
        outcomes[0].service_deployment_unused
    );
    assert!(outcomes[0].service_deployment.is_none());
}

#[tokio::test(start_paused = true)]
async fn service_deployments_of_many_services_are_read_twenty_a_call() {
    let names: Vec<String> = (0..25).map(|i| format!("svc{i}")).collect();
    let mut script = Script::new();
    let mut items = Vec::new();
    for name in &names {
        let arn = format!("{RECORD}-{name}");
        script = script.at(0, rolling(name)).at(3, completed(name));
        script = script.record_at(
            0,
            ServiceDeployment {
                arn: arn.clone(),
                ..record("IN_PROGRESS", None)
            },
        );
        script = script.record_at(
            3,
            ServiceDeployment {
                arn: arn.clone(),
                ..record("SUCCESSFUL", None)
            },
        );
        items.push(Watched {
            service_deployment: ServiceDeploymentRef::Known(arn),
            ..watched(name)
        });
    }
    let (outcomes, _, log) = run(&mut script, &items, limits(15)).await;
    assert!(
        outcomes.iter().all(|o| o.verdict == Verdict::Completed),
        "{log}"
    );
    let sizes: Vec<usize> = script
        .record_calls
        .borrow()
        .iter()
        .map(|(_, n)| *n)
        .collect();
    assert!(sizes.chunks(2).all(|c| c == [20, 5]), "{sizes:?}");
}
