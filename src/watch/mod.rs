//! Watching rollouts until each has a verdict.
//!
//! One loop watches every service of a deploy: `DescribeServices` in batches of 10 per cluster,
//! polled every second while something changes and every two seconds when nothing does, so a
//! verdict comes within about two seconds of ECS reaching it while the call rate stays far inside
//! ECS's API limits. Stopped tasks of our deployment are read (`ListTasks` by `startedBy`, then
//! `DescribeTasks` for new ones only) on each poll while our deployment is short of running tasks
//! or ECS reports failed tasks, so a crash loop fails the deploy within a poll of the
//! `max-task-failures`th failed task, circuit breaker or not.
//!
//! An AWS error while watching is part of the rollout's outcome, not the end of the run:
//! - a failed `DescribeServices` (after the SDK's retries) is tried again on the next poll while
//!   time is left; an error that cannot go away (access denied) ends the watch after three in a
//!   row; either way the verdict is then "could not be read" ([`Cause::Unreadable`]), and the
//!   rollback policy applies;
//! - stopped tasks that cannot be read are said once, and ECS's own count of failed tasks stands
//!   in for them;
//! - every call is bounded by what is left of `timeout-minutes`: the deadline always wins;
//! - a service that is deleted (or no longer ACTIVE) is an outcome of its own.
//!
//! The loop is generic over [`Observe`], so tests drive it with scripted states (and scripted
//! faults) on tokio's paused clock.

pub mod diagnose;
pub mod verdict;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::cloud::Cloud;
use crate::console::Console;
pub use crate::domain::ecs::Watched;
use crate::domain::ecs::{ServiceState, ServiceStatus, StoppedTask, where_it_stands};
use crate::text::human_duration;
pub use verdict::{Cause, Live, Verdict, assess, live, progress_line};

/// Where the watcher reads from: ECS, or a script in tests.
pub trait Observe {
    /// Describes up to 10 services of one cluster, whatever their status; a service that is
    /// missing from the answer no longer exists.
    fn services(
        &mut self,
        cluster: &str,
        names: &[String],
    ) -> impl Future<Output = anyhow::Result<Vec<ServiceState>>>;
    /// Stopped tasks started by a deployment, except those in `known`.
    fn stopped_tasks(
        &mut self,
        cluster: &str,
        deployment_id: &str,
        known: &HashSet<String>,
    ) -> impl Future<Output = anyhow::Result<Vec<StoppedTask>>>;
}

/// The real observer: the cloud's ECS.
pub struct Ecs<'a, C>(pub &'a C);

impl<C: Cloud> Observe for Ecs<'_, C> {
    async fn services(
        &mut self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<Vec<ServiceState>> {
        self.0
            .poll_services(cluster, names)
            .await
            .map(|(states, _missing)| states)
            .map_err(|err| crate::cloud::cluster_not_found(err, cluster))
    }

    async fn stopped_tasks(
        &mut self,
        cluster: &str,
        deployment_id: &str,
        known: &HashSet<String>,
    ) -> anyhow::Result<Vec<StoppedTask>> {
        let arns: Vec<String> = self
            .0
            .list_stopped_tasks(cluster, deployment_id)
            .await?
            .into_iter()
            .filter(|a| !known.contains(a))
            .collect();
        self.0.describe_tasks(cluster, &arns).await
    }
}

/// Limits of a watch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Stopped tasks of our deployment that fail it; 0 turns the check off.
    pub max_task_failures: u32,
}

impl Limits {
    /// The limits a request sets (`timeout-minutes`, `max-task-failures`).
    pub fn of(target: &crate::request::Target) -> Self {
        Self {
            timeout: target.timeout,
            max_task_failures: target.max_task_failures,
        }
    }
}

/// How one watched service ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    /// The service as last read.
    pub last_state: ServiceState,
    /// Failed tasks of our deployment, newest first.
    pub failures: Vec<StoppedTask>,
    /// Why `last_state` may be out of date: the reads that failed since it was taken.
    pub unread: Option<String>,
}

impl Outcome {
    /// Where the service stands, as far as it is known: the last state read, and whether the
    /// reads since then failed.
    pub fn where_it_stands(&self) -> String {
        match &self.unread {
            Some(why) => format!(
                "unknown: it could not be read ({why}); when last read it {}",
                where_it_stands(&self.last_state)
            ),
            None => where_it_stands(&self.last_state),
        }
    }
}

/// Watches started deployments together until each has a verdict, under a log group naming them.
pub async fn wait_for<C: Cloud, W: Write>(
    cloud: &C,
    watched: &[(usize, Watched)],
    limits: Limits,
    console: &mut Console<W>,
) -> Vec<Outcome> {
    let items: Vec<Watched> = watched.iter().map(|(_, w)| w.clone()).collect();
    let deployments: Vec<&str> = items
        .iter()
        .map(|w| w.target.deployment_id.as_str())
        .collect();
    console.group(&format!(
        "Wait for deployment{} {} (timeout {})",
        if deployments.len() > 1 { "s" } else { "" },
        deployments.join(", "),
        human_duration(limits.timeout)
    ));
    if items.is_empty() {
        return Vec::new();
    }
    watch(&mut Ecs(cloud), &items, limits, console).await
}

/// How long to sleep before the next poll: quick while things change, slower when they do not.
pub fn next_interval(unchanged_polls: u32) -> Duration {
    if unchanged_polls < 5 {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(2)
    }
}

/// Reads that cannot go away (access denied, say) end the watch after this many in a row.
const MAX_PERMANENT_READ_ERRORS: u32 = 3;

/// A run of failed reads of one service.
#[derive(Debug, Clone)]
struct Unread {
    error: String,
    since: Instant,
    attempts: u32,
    permanent: u32,
}

struct Progress {
    state: ServiceState,
    failures: Vec<StoppedTask>,
    seen_tasks: HashSet<String>,
    seen_events: HashSet<String>,
    last_line: String,
    failed_tasks: i32,
    /// The service's reads that failed since the last one that worked.
    unread: Option<Unread>,
    /// Why the stopped tasks could not be read (said once).
    tasks_unread: Option<String>,
    gone: bool,
    outcome: Option<Outcome>,
}

/// Polls until every watched service has a verdict or `limits.timeout` passes, printing one line
/// per change, each new service event and each failed task. Never fails: what could not be read
/// is part of the outcome.
pub async fn watch<O: Observe, W: Write>(
    observer: &mut O,
    items: &[Watched],
    limits: Limits,
    console: &mut Console<W>,
) -> Vec<Outcome> {
    let started = Instant::now();
    let deadline = started + limits.timeout;
    let mut progress: Vec<Progress> = items.iter().map(Progress::new).collect();
    let mut unchanged = 0;
    loop {
        let timed_out = Instant::now() >= deadline;
        for (item, p) in items
            .iter()
            .zip(progress.iter_mut())
            .filter(|(_, p)| p.outcome.is_none())
        {
            p.decide(item, limits, timed_out, started);
        }
        if progress.iter().all(|p| p.outcome.is_some()) {
            return progress.into_iter().filter_map(|p| p.outcome).collect();
        }
        tokio::time::sleep(
            next_interval(unchanged).min(deadline.saturating_duration_since(Instant::now())),
        )
        .await;
        if Instant::now() >= deadline {
            continue; // the deadline decides; no read can be had in no time
        }
        let mut changed = poll_services(observer, items, &mut progress, deadline, console).await;
        let elapsed = format!("[{:>5.1}s]", started.elapsed().as_secs_f64());
        for (item, p) in items
            .iter()
            .zip(progress.iter_mut())
            .filter(|(_, p)| p.outcome.is_none() && p.unread.is_none() && !p.gone)
        {
            changed |= p.follow(observer, item, &elapsed, deadline, console).await;
        }
        unchanged = if changed { 0 } else { unchanged + 1 };
    }
}

impl Progress {
    fn new(w: &Watched) -> Self {
        Self {
            state: w.initial.clone(),
            failures: Vec::new(),
            seen_tasks: HashSet::new(),
            seen_events: w.initial.events.iter().map(|e| e.id.clone()).collect(),
            last_line: String::new(),
            failed_tasks: 0,
            unread: None,
            tasks_unread: None,
            gone: false,
            outcome: None,
        }
    }

    /// Records a verdict when there is one: the rollout's own, a service that is gone, reads that
    /// will not work, or at the deadline, "timed out" (or "could not be read" when the last reads
    /// failed).
    fn decide(&mut self, item: &Watched, limits: Limits, timed_out: bool, started: Instant) {
        let failed = |reason: String, cause: Cause| Verdict::Failed { reason, cause };
        let verdict = if self.gone {
            Some(failed(
                format!(
                    "service `{}` was deleted (or is no longer ACTIVE) while deployment {} rolled out",
                    item.initial.name, item.target.deployment_id
                ),
                Cause::ServiceGone,
            ))
        } else if self.unread.is_none() {
            assess(
                &self.state,
                &item.target,
                &self.failures,
                limits.max_task_failures,
                self.tasks_unread.as_deref(),
            )
        } else {
            None
        };
        let verdict = verdict.or_else(|| {
            let unread = self.unread.as_ref()?;
            let given_up = unread.permanent >= MAX_PERMANENT_READ_ERRORS;
            (given_up || timed_out).then(|| {
                failed(
                    format!(
                        "no verdict on deployment {}: service `{}` could not be read for {} ({} attempt{}): {}",
                        item.target.deployment_id,
                        item.initial.name,
                        human_duration(unread.since.elapsed()),
                        unread.attempts,
                        if unread.attempts == 1 { "" } else { "s" },
                        unread.error
                    ),
                    Cause::Unreadable,
                )
            })
        });
        let verdict = verdict.or_else(|| {
            timed_out.then(|| {
                failed(
                    format!(
                        "timed out after {} waiting for deployment {} ({})",
                        human_duration(started.elapsed()),
                        item.target.deployment_id,
                        progress_line(&self.state, &item.target)
                    ),
                    Cause::TimedOut,
                )
            })
        });
        if let Some(verdict) = verdict {
            self.outcome = Some(Outcome {
                verdict,
                last_state: self.state.clone(),
                failures: self.failures.clone(),
                unread: self.unread.as_ref().map(|u| u.error.clone()),
            });
        }
    }

    /// Notes a failed read of the service.
    /// A read our own deadline cut short. After reads that failed, their error says more (what
    /// AWS answered) than that the last one was cut, so it is kept.
    fn read_cut(&mut self) {
        match &mut self.unread {
            Some(unread) => {
                unread.attempts += 1;
                unread.permanent = 0;
            }
            None => self.read_failed(
                "DescribeServices did not answer before the deadline".into(),
                false,
            ),
        }
    }

    fn read_failed(&mut self, error: String, permanent: bool) {
        let unread = self.unread.get_or_insert_with(|| Unread {
            error: String::new(),
            since: Instant::now(),
            attempts: 0,
            permanent: 0,
        });
        unread.error = error;
        unread.attempts += 1;
        unread.permanent = if permanent { unread.permanent + 1 } else { 0 };
    }

    /// After a poll: reads new stopped tasks when tasks are missing or ECS counted failures, and
    /// prints what changed. Returns whether anything did.
    async fn follow<O: Observe, W: Write>(
        &mut self,
        observer: &mut O,
        item: &Watched,
        elapsed: &str,
        deadline: Instant,
        console: &mut Console<W>,
    ) -> bool {
        let mut changed = false;
        let ours = self.state.deployment(&item.target.deployment_id);
        let failed_now = ours.map_or(0, |d| d.failed_tasks);
        let missing = ours.is_some_and(|d| d.running < d.desired);
        if failed_now > self.failed_tasks || missing {
            self.failed_tasks = failed_now;
            let read = tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                observer.stopped_tasks(&item.cluster, &item.target.deployment_id, &self.seen_tasks),
            )
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer before the deadline")));
            match read {
                Ok(tasks) => changed |= self.note_stopped(tasks, elapsed, console),
                Err(err) => {
                    if self.tasks_unread.is_none() {
                        console.line(&format!(
                            "{elapsed} {}: stopped tasks could not be read ({err:#}); going by ECS's count of failed tasks",
                            self.state.name
                        ));
                    }
                    self.tasks_unread = Some(format!("{err:#}"));
                }
            }
        }
        let line = progress_line(&self.state, &item.target);
        if line != self.last_line {
            console.line(&format!("{elapsed} {}: {line}", self.state.name));
            self.last_line = line;
            changed = true;
        }
        for event in self
            .state
            .events
            .iter()
            .rev()
            .filter(|e| !self.seen_events.contains(&e.id))
        {
            console.line(&format!("{elapsed} event: {}", event.message));
            changed = true;
        }
        self.seen_events
            .extend(self.state.events.iter().map(|e| e.id.clone()));
        changed
    }

    fn note_stopped<W: Write>(
        &mut self,
        tasks: Vec<StoppedTask>,
        elapsed: &str,
        console: &mut Console<W>,
    ) -> bool {
        let mut changed = false;
        for task in tasks {
            self.seen_tasks.insert(task.arn.clone());
            if task.is_failure() {
                console.line(&format!(
                    "{elapsed} {}: task {} stopped: {}",
                    self.state.name,
                    task.id(),
                    task.cause()
                ));
                self.failures.insert(0, task);
                changed = true;
            }
        }
        changed
    }
}

/// Describes every undecided service, 10 per call per cluster, each call bounded by the deadline.
/// A failed call marks its services unread (said when it starts and when it ends). Returns
/// whether any state changed.
async fn poll_services<O: Observe, W: Write>(
    observer: &mut O,
    items: &[Watched],
    progress: &mut [Progress],
    deadline: Instant,
    console: &mut Console<W>,
) -> bool {
    let mut by_cluster: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, item) in items
        .iter()
        .enumerate()
        .filter(|(i, _)| progress[*i].outcome.is_none())
    {
        by_cluster.entry(item.cluster.as_str()).or_default().push(i);
    }
    let mut changed = false;
    for (cluster, indexes) in by_cluster {
        for chunk in indexes.chunks(10) {
            let names: Vec<String> = chunk
                .iter()
                .map(|i| items[*i].initial.name.clone())
                .collect();
            let left = deadline.saturating_duration_since(Instant::now());
            let read = tokio::time::timeout(left, observer.services(cluster, &names)).await;
            let states = match read {
                Ok(Ok(states)) => states,
                Ok(Err(err)) => {
                    let permanent = crate::cloud::is_permanent(&err);
                    for i in chunk {
                        if progress[*i].unread.is_none() {
                            console.line(&format!(
                                "{} could not be read ({err:#}); trying again",
                                items[*i].initial.name
                            ));
                        }
                        progress[*i].read_failed(format!("{err:#}"), permanent);
                    }
                    continue;
                }
                Err(_) => {
                    for i in chunk {
                        progress[*i].read_cut();
                    }
                    continue;
                }
            };
            for i in chunk {
                let p = &mut progress[*i];
                match states.iter().find(|s| s.name == items[*i].initial.name) {
                    Some(state) if state.status == ServiceStatus::Active => {
                        if let Some(unread) = p.unread.take() {
                            console.line(&format!(
                                "{} can be read again after {} failed attempts",
                                state.name, unread.attempts
                            ));
                        }
                        changed |= p.state != *state;
                        p.state = state.clone();
                    }
                    Some(state) => {
                        p.state = state.clone();
                        p.unread = None;
                        p.gone = true;
                    }
                    None => {
                        p.unread = None;
                        p.gone = true;
                    }
                }
            }
        }
    }
    changed
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
