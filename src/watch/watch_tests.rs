use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::cloud::AwsError;
use crate::console::Mode;
use crate::domain::ecs::{ContainerExit, Deployment, DeploymentTarget};
use crate::text::human_duration;

const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3";
const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4";

/// A script of how services look over (virtual) time, and which tasks stop when.
struct Script {
    start: Instant,
    /// Per service: (from this time on, this state).
    states: BTreeMap<String, Vec<(Duration, ServiceState)>>,
    stops: Vec<(Duration, StoppedTask)>,
    describe_calls: Vec<(Duration, usize)>,
    task_calls: usize,
    /// `DescribeServices` fails in `[from, until)`; `true`: an error retrying cannot fix.
    describe_fails: Option<(Duration, Duration, bool)>,
    /// A `DescribeServices` call made in `[from, from + 1s)` hangs this long.
    describe_hangs: Option<(Duration, Duration)>,
    /// The stopped tasks cannot be read (access denied).
    tasks_denied: bool,
    /// From this time on the service is missing from the answer.
    gone_at: Option<Duration>,
}

impl Script {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            states: BTreeMap::new(),
            stops: Vec::new(),
            describe_calls: Vec::new(),
            task_calls: 0,
            describe_fails: None,
            describe_hangs: None,
            tasks_denied: false,
            gone_at: None,
        }
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
        &mut self,
        _cluster: &str,
        names: &[String],
    ) -> anyhow::Result<Vec<ServiceState>> {
        let now = self.start.elapsed();
        self.describe_calls.push((now, names.len()));
        assert!(names.len() <= 10, "DescribeServices takes at most 10");
        if let Some((from, hang)) = self.describe_hangs {
            if now >= from && now < from + Duration::from_secs(1) {
                tokio::time::sleep(hang).await;
            }
        }
        if let Some((from, until, permanent)) = self.describe_fails {
            if now >= from && now < until {
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
        &mut self,
        _cluster: &str,
        deployment: &str,
        known: &HashSet<String>,
    ) -> anyhow::Result<Vec<StoppedTask>> {
        self.task_calls += 1;
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
    }
}

/// Watches with timeout-minutes 0.1 (6 s); the verdict must come at the deadline and say the
/// service could not be read. Its reason.
async fn unreadable_at_six_seconds(script: &mut Script) -> String {
    let limits = Limits {
        timeout: Duration::from_secs(6),
        max_task_failures: 3,
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
        max_task_failures: 3,
    }
}

async fn run(
    script: &mut Script,
    items: &[Watched],
    limits: Limits,
) -> (Vec<Outcome>, Duration, String) {
    let mut console = Console::new(Vec::new(), Mode::Human);
    let outcomes = watch(script, items, limits, &mut console).await;
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

#[tokio::test(start_paused = true)]
async fn a_quiet_wait_costs_at_most_about_thirty_describe_calls_a_minute() {
    let mut script = Script::new().at(0, rolling("api"));
    let (outcomes, at, log) = run(&mut script, &[watched("api")], limits(10)).await;
    assert_eq!(at, Duration::from_secs(600), "stops exactly at the timeout");
    let Verdict::Failed { reason, cause } = &outcomes[0].verdict else {
        panic!("timeout expected")
    };
    assert_eq!(*cause, Cause::TimedOut);
    assert_eq!(
        reason,
        "timed out after 10m waiting for deployment ecs-svc/new (running 0/2 pending 2 rollout IN_PROGRESS)"
    );
    let calls = script.describe_calls.len();
    assert!(
        (290..=310).contains(&calls),
        "{calls} DescribeServices calls in 10 minutes"
    );
    assert!(
        script.task_calls <= calls,
        "{} task checks for {calls} polls: at most one per poll",
        script.task_calls
    );
    assert_eq!(
        log.lines().count(),
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
    let (outcomes, at, _) = run(&mut script, &items, limits(15)).await;
    assert!(outcomes.iter().all(|o| o.verdict == Verdict::Completed));
    assert!(at <= Duration::from_secs(15), "{at:?}");
    assert_eq!(script.describe_calls[0], (Duration::from_secs(1), 10));
    assert_eq!(script.describe_calls[1], (Duration::from_secs(1), 2));
    assert!(script.describe_calls.iter().all(|(_, n)| *n <= 10));
    let last_poll_size = script.describe_calls.last().unwrap().1;
    assert!(
        last_poll_size <= 2,
        "finished services are not described again ({last_poll_size})"
    );
}

fn failure(outcome: &Outcome) -> (&str, &Cause) {
    match &outcome.verdict {
        Verdict::Failed { reason, cause } => (reason.as_str(), cause),
        Verdict::Completed => panic!("failure expected"),
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
    assert_eq!(at, Duration::from_secs(60), "the deadline, not later");
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
fn polling_slows_down_when_nothing_changes_but_never_beyond_two_seconds() {
    assert_eq!(next_interval(0), Duration::from_secs(1));
    assert_eq!(next_interval(5), Duration::from_secs(2));
    assert_eq!(next_interval(1000), Duration::from_secs(2));
}

#[test]
fn durations_read_naturally() {
    assert_eq!(human_duration(Duration::from_secs(45)), "45s");
    assert_eq!(human_duration(Duration::from_secs(900)), "15m");
    assert_eq!(human_duration(Duration::from_secs(90)), "1m 30s");
}
