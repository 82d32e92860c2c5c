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
//! - every call is bounded by what is left of `time-limit-minutes`: the deadline always wins;
//! - a service that is deleted (or no longer ACTIVE) is an outcome of its own.
//!
//! The loop is generic over [`Observe`], so tests drive it with scripted states (and scripted
//! faults) on tokio's paused clock.

pub mod diagnose;
pub mod digests;
pub mod pace;
pub mod service_deployments;
mod tracking;
pub mod verdict;

use tracking::{Watching, poll_services};

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use pace::Pace;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::mpsc::error::TryRecvError;

use futures::future::join_all;
use tokio::time::Instant;

use crate::cloud::{ServiceDeployments, Services, Tasks};
use crate::console::Console;
use crate::domain::deployment::ServiceDeployment;
pub use crate::domain::run_options::WaitUntil;
use crate::domain::service::{ServiceState, where_it_stands};
use crate::domain::task::StoppedTask;
pub use crate::domain::watched::Watched;
use crate::text::human_duration;
pub use verdict::{Cause, Live, Verdict, assess, live, progress_line};

/// Where the watcher reads from: ECS, or a script in tests.
pub trait Observe {
    /// Describes up to 10 services of one cluster, whatever their status; a service that is
    /// missing from the answer no longer exists.
    fn services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> impl Future<Output = anyhow::Result<Vec<ServiceState>>>;
    /// Stopped tasks started by a deployment, except those in `known`.
    fn stopped_tasks(
        &self,
        cluster: &str,
        deployment_id: &str,
        known: &HashSet<String>,
    ) -> impl Future<Output = anyhow::Result<Vec<StoppedTask>>>;
    /// The service deployment an update of `service` to `task_definition`, sent at `sent`,
    /// created, if it can be told (see [`service_deployments::ours`]).
    fn find_service_deployment(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        sent: SystemTime,
    ) -> impl Future<Output = anyhow::Result<Option<String>>>;
    /// Up to 20 service deployments; ones ECS does not know are left out.
    fn service_deployments(
        &self,
        arns: &[String],
    ) -> impl Future<Output = anyhow::Result<Vec<ServiceDeployment>>>;
}

/// The real observer: the cloud's ECS.
pub struct Ecs<'a, C>(pub &'a C);

impl<C: ServiceDeployments + Services + Tasks> Observe for Ecs<'_, C> {
    async fn services(&self, cluster: &str, names: &[String]) -> anyhow::Result<Vec<ServiceState>> {
        self.0
            .poll_services(cluster, names)
            .await
            .map(|(states, _missing)| states)
            .map_err(|err| crate::cloud::cluster_not_found(err, cluster))
    }

    async fn stopped_tasks(
        &self,
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
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        self.0.describe_tasks(cluster, &arns).await
    }

    async fn find_service_deployment(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        sent: SystemTime,
    ) -> anyhow::Result<Option<String>> {
        let after = sent
            .checked_sub(crate::domain::watched::CLOCK_SKEW)
            .unwrap_or(sent);
        let listed: Vec<_> = self
            .0
            .list_service_deployments(cluster, service, after)
            .await?
            .into_iter()
            .filter(|b| b.created_at.is_none_or(|at| at >= after))
            .collect();
        let mut revisions: Vec<String> = listed
            .iter()
            .filter_map(|b| b.target_revision.clone())
            .collect();
        revisions.sort();
        revisions.dedup();
        let mut deploys = std::collections::BTreeMap::new();
        for chunk in revisions.chunks(service_deployments::DESCRIBE_LIMIT) {
            for revision in self.0.describe_service_revisions(chunk).await? {
                deploys.insert(revision.arn, revision.task_definition);
            }
        }
        Ok(service_deployments::ours(
            &listed,
            &deploys,
            task_definition,
            sent,
        ))
    }

    async fn service_deployments(&self, arns: &[String]) -> anyhow::Result<Vec<ServiceDeployment>> {
        self.0.describe_service_deployments(arns).await
    }
}

/// Limits of a watch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// When the wait must end: the deploy's deadline (`time-limit-minutes` from the start of the
    /// run, its pre-deploy task aside); `None`: `timeout` from the start of the watch (a
    /// rollback's own wait).
    pub deadline: Option<Instant>,
    /// Stopped tasks of our deployment that fail it; 0 turns the check off.
    pub max_task_failures: u32,
    /// Whether a pause at a PAUSE hook ends the wait.
    pub until: WaitUntil,
    /// After a failure, the last lines of each failed task's log to show (0: none).
    pub log_lines: u16,
}

impl Limits {
    /// The limits a request sets (`time-limit-minutes`, `max-task-failures`, `wait`,
    /// `task-log-lines`).
    pub fn of(target: &crate::request::Target) -> Self {
        Self {
            timeout: target.timeout,
            deadline: None,
            max_task_failures: target.max_task_failures,
            until: target.wait_until,
            log_lines: target.task_logs_lines,
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
    /// ECS's record of the deployment as last read (it had the last word on the verdict).
    pub service_deployment: Option<ServiceDeployment>,
    /// Why ECS's record was not used, when it was looked for: the verdict is from
    /// `DescribeServices` alone.
    pub service_deployment_unused: Option<String>,
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
pub async fn wait_for<C: ServiceDeployments + Services + Tasks, W: Write>(
    cloud: &C,
    watched: &[(usize, Watched)],
    limits: Limits,
    console: &Console<W>,
) -> Vec<Outcome> {
    let items: Vec<Watched> = watched.iter().map(|(_, w)| w.clone()).collect();
    if items.is_empty() {
        return Vec::new();
    }
    watch(&Ecs(cloud), &items, limits, console).await
}

/// Polls until every watched service has a verdict or `limits.timeout` passes, printing one line
/// per change, each new service event and each failed task. Never fails: what could not be read
/// is part of the outcome.
pub async fn watch<O: Observe, W: Write>(
    observer: &O,
    items: &[Watched],
    limits: Limits,
    console: &Console<W>,
) -> Vec<Outcome> {
    let (sender, incoming) = tokio::sync::mpsc::unbounded_channel();
    for (i, item) in items.iter().enumerate() {
        sender
            .send((i, item.clone()))
            .expect("the receiver is here");
    }
    drop(sender);
    let failed = AtomicBool::new(false);
    let mut outcomes = watch_incoming(observer, incoming, limits, console, &failed).await;
    outcomes.sort_by_key(|(i, _)| *i);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

/// Watches deployments as they start (`incoming`: each with its service's index; closed when
/// no more will start), each from its own update, until each has a verdict and no more can
/// come, or the deadline passes. Sets `failed` as soon as one rollout has failed (the deploy
/// then updates no further service). The outcomes, with their index, in no particular order.
pub async fn watch_incoming<O: Observe, W: Write>(
    observer: &O,
    mut incoming: UnboundedReceiver<(usize, Watched)>,
    limits: Limits,
    console: &Console<W>,
    failed: &AtomicBool,
) -> Vec<(usize, Outcome)> {
    let started = Instant::now();
    let deadline = limits.deadline.unwrap_or(started + limits.timeout);
    let mut keys: Vec<usize> = Vec::new();
    let mut items: Vec<Watched> = Vec::new();
    let mut progress: Vec<Watching> = Vec::new();
    let mut open = true;
    let mut unchanged = 0;
    // When the last poll began (the first comes a poll's interval after the watch starts).
    let mut last_poll = started;
    let observer = Counted {
        inner: observer,
        pace: std::cell::RefCell::new(Pace::default()),
    };
    loop {
        let arrived = take_arrivals(&mut incoming, &mut open);
        if !arrived.is_empty() {
            say_watching(&arrived, items.is_empty(), limits, console);
            unchanged = 0;
        }
        for (key, item) in arrived {
            keys.push(key);
            progress.push(Watching::new(&item));
            items.push(item);
        }
        let timed_out = Instant::now() >= deadline;
        for (item, p) in items
            .iter()
            .zip(progress.iter_mut())
            .filter(|(_, p)| p.outcome.is_none())
        {
            p.decide(item, limits, timed_out);
            if p.outcome.as_ref().is_some_and(|o| !o.verdict.is_good()) {
                failed.store(true, Ordering::SeqCst);
            }
        }
        if progress.iter().all(|p| p.outcome.is_some()) {
            if !open {
                console.end_status();
                return keys
                    .into_iter()
                    .zip(progress)
                    .filter_map(|(k, p)| Some((k, p.outcome?)))
                    .collect();
            }
            // Nothing to poll until the next deployment starts, or shipping ends.
            if let Some((key, item)) = incoming.recv().await {
                // Its first poll comes a poll's interval after its update.
                last_poll = Instant::now();
                say_watching(&[(key, item.clone())], items.is_empty(), limits, console);
                keys.push(key);
                progress.push(Watching::new(&item));
                items.push(item);
                unchanged = 0;
            } else {
                open = false;
            }
            continue;
        }
        let next = observer.pace.borrow_mut().next(
            unchanged,
            reads_per_poll(&items, &progress),
            last_poll,
        );
        tokio::time::sleep_until(next.min(deadline)).await;
        if Instant::now() >= deadline {
            continue; // the deadline decides; no read can be had in no time
        }
        last_poll = Instant::now();
        observer.pace.borrow_mut().polled();
        let changed = poll(&observer, &items, &mut progress, deadline, started, console).await;
        unchanged = if changed { 0 } else { unchanged + 1 };
        if console.is_live() {
            let watched_for = crate::text::human_duration(started.elapsed());
            let lines: Vec<String> = items
                .iter()
                .zip(&progress)
                .filter(|(_, p)| p.outcome.is_none())
                .map(|(item, p)| p.status(item, &watched_for))
                .collect();
            console.status(&lines);
        }
    }
}

/// One poll of every undecided service: its state and its service deployment (read at once),
/// then (on signs of failure) its stopped tasks. Whether anything changed.
async fn poll<O: Observe, W: Write>(
    observer: &O,
    items: &[Watched],
    progress: &mut [Watching],
    deadline: Instant,
    started: Instant,
    console: &Console<W>,
) -> bool {
    let elapsed = format!("[{:>5.1}s]", started.elapsed().as_secs_f64());
    let asks = tracking::service_deployment_asks(items, progress);
    let (mut changed, answers) = tokio::join!(
        poll_services(observer, items, progress, deadline, console),
        service_deployments::fetch(observer, &asks, deadline)
    );
    changed |= tracking::take_service_deployments(
        observer, answers, items, progress, deadline, &elapsed, console,
    )
    .await;
    let short: Vec<usize> = items
        .iter()
        .zip(progress.iter())
        .enumerate()
        .filter(|(_, (item, p))| {
            p.outcome.is_none()
                && p.state
                    .deployment(&item.target.deployment_id)
                    .is_some_and(|d| d.running < d.desired)
        })
        .map(|(i, _)| i)
        .collect();
    // The safety net reads one service's stopped tasks a poll at most: the one read longest ago
    // of those whose turn has come.
    let every = pace::safety_net(short.len());
    let safety = short
        .iter()
        .filter(|i| progress[**i].tasks_read_at.elapsed() >= every)
        .min_by_key(|i| progress[**i].tasks_read_at)
        .copied();
    let followed: Vec<(usize, bool)> = items
        .iter()
        .zip(progress.iter_mut())
        .enumerate()
        .filter(|(_, (_, p))| p.outcome.is_none() && p.unread.is_none() && !p.gone)
        .map(|(i, (item, p))| (i, p.wants_tasks(item, safety == Some(i))))
        .collect();
    // The stopped tasks of every service that shows signs of failure, read at once; then what
    // changed, service by service.
    let reads = join_all(
        followed
            .iter()
            .filter(|(_, wanted)| *wanted)
            .map(|(i, _)| progress[*i].read_tasks(observer, &items[*i], deadline)),
    )
    .await;
    let mut reads = reads.into_iter();
    for (i, wanted) in followed {
        let read = if wanted { reads.next() } else { None };
        changed |= progress[i].follow(read, &items[i], &elapsed, console);
    }
    changed
}

/// An observer whose reads are counted for the watch's pace.
struct Counted<'a, O> {
    inner: &'a O,
    pace: std::cell::RefCell<Pace>,
}

impl<O: Observe> Observe for Counted<'_, O> {
    async fn services(&self, cluster: &str, names: &[String]) -> anyhow::Result<Vec<ServiceState>> {
        self.pace.borrow_mut().called(1);
        self.inner.services(cluster, names).await
    }

    async fn stopped_tasks(
        &self,
        cluster: &str,
        deployment_id: &str,
        known: &HashSet<String>,
    ) -> anyhow::Result<Vec<StoppedTask>> {
        let read = self
            .inner
            .stopped_tasks(cluster, deployment_id, known)
            .await;
        // `ListTasks`, then `DescribeTasks` for new ones.
        self.pace
            .borrow_mut()
            .called(1 + usize::from(read.as_ref().is_ok_and(|t| !t.is_empty())));
        read
    }

    async fn find_service_deployment(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        sent: SystemTime,
    ) -> anyhow::Result<Option<String>> {
        let found = self
            .inner
            .find_service_deployment(cluster, service, task_definition, sent)
            .await;
        // `ListServiceDeployments`, then `DescribeServiceRevisions` for what it listed.
        self.pace
            .borrow_mut()
            .called(1 + usize::from(found.as_ref().is_ok_and(Option::is_some)));
        found
    }

    async fn service_deployments(&self, arns: &[String]) -> anyhow::Result<Vec<ServiceDeployment>> {
        self.pace.borrow_mut().called(1);
        self.inner.service_deployments(arns).await
    }
}

/// The deployments that have started since the last look; `open` turns false once shipping has
/// ended (no more can come).
fn take_arrivals(
    incoming: &mut UnboundedReceiver<(usize, Watched)>,
    open: &mut bool,
) -> Vec<(usize, Watched)> {
    let mut arrived = Vec::new();
    while *open {
        match incoming.try_recv() {
            Ok(item) => arrived.push(item),
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => *open = false,
        }
    }
    arrived
}

/// Opens the wait's log group with the first deployments to watch; later ones are said in it.
fn say_watching<W: Write>(
    arrived: &[(usize, Watched)],
    first: bool,
    limits: Limits,
    console: &Console<W>,
) {
    let ids: Vec<&str> = arrived
        .iter()
        .map(|(_, w)| w.target.deployment_id.as_str())
        .collect();
    if first {
        console.group(&format!(
            "Wait for deployment{} {} (timeout {})",
            if ids.len() > 1 { "s" } else { "" },
            ids.join(", "),
            human_duration(limits.timeout)
        ));
    } else {
        for (_, w) in arrived {
            console.line(&format!(
                "Also waiting for deployment {} of {}",
                w.target.deployment_id, w.initial.name
            ));
        }
    }
}

/// The reads of services and service deployments a poll makes for the undecided services: one
/// `DescribeServices` per 10 services of a cluster, one `DescribeServiceDeployments` per 20.
fn reads_per_poll(items: &[Watched], progress: &[Watching]) -> usize {
    let mut by_cluster: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let mut records = 0;
    for (item, p) in items.iter().zip(progress) {
        if p.outcome.is_none() {
            *by_cluster.entry(item.cluster.as_str()).or_default() += 1;
            records += usize::from(p.sd.in_use());
        }
    }
    by_cluster.values().map(|n| n.div_ceil(10)).sum::<usize>()
        + records.div_ceil(service_deployments::DESCRIBE_LIMIT)
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
