//! Watching rollouts until each has a verdict.
//!
//! One loop watches every service of a deploy: `DescribeServices` in batches of 10 per cluster,
//! polled every second while something changes and every two seconds when nothing does, so a
//! verdict comes within about two seconds of ECS reaching it while the call rate stays far inside
//! ECS's API limits (throttling is retried by the SDK). Stopped tasks of our deployment are read
//! (`ListTasks` by `startedBy`, then `DescribeTasks` for new ones only) on each poll while our
//! deployment is short of running tasks or ECS reports failed tasks, so a crash loop fails the
//! deploy within a poll of the `max-task-failures`th failed task, circuit breaker or not. At
//! most about two calls a second, far inside ECS's limits. The loop is generic over
//! [`Observe`], so tests drive it with scripted states and tokio's paused clock.

pub mod verdict;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::console::Console;
use crate::model::{ServiceState, StoppedTask};
pub use verdict::{Target, Verdict, assess, progress_line, rolled_back_by_ecs, started_deployment};

/// Where the watcher reads from: ECS, or a script in tests.
pub trait Observe {
    /// Describes up to 10 services of one cluster.
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

/// The real observer: ECS.
pub struct Ecs<'a>(pub &'a aws_sdk_ecs::Client);

impl Observe for Ecs<'_> {
    async fn services(
        &mut self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<Vec<ServiceState>> {
        crate::aws::ecs::describe_services(self.0, cluster, names).await
    }

    async fn stopped_tasks(
        &mut self,
        cluster: &str,
        deployment_id: &str,
        known: &HashSet<String>,
    ) -> anyhow::Result<Vec<StoppedTask>> {
        let arns: Vec<String> = crate::aws::ecs::list_stopped_tasks(self.0, cluster, deployment_id)
            .await?
            .into_iter()
            .filter(|a| !known.contains(a))
            .collect();
        crate::aws::ecs::describe_tasks(self.0, cluster, &arns).await
    }
}

/// One service being watched.
#[derive(Debug, Clone)]
pub struct Watched {
    pub cluster: String,
    /// The service as it looked right after the update (its events so far are not news).
    pub initial: ServiceState,
    pub target: Target,
}

/// Limits of a watch.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Stopped tasks of our deployment that fail it; 0 turns the check off.
    pub max_task_failures: u32,
}

/// How one watched service ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    pub last_state: ServiceState,
    /// Failed tasks of our deployment, newest first.
    pub failures: Vec<StoppedTask>,
}

/// How long to sleep before the next poll: quick while things change, slower when they do not.
pub fn next_interval(unchanged_polls: u32) -> Duration {
    if unchanged_polls < 5 {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(2)
    }
}

struct Progress {
    state: ServiceState,
    failures: Vec<StoppedTask>,
    seen_tasks: HashSet<String>,
    seen_events: HashSet<String>,
    last_line: String,
    failed_tasks: i32,
    outcome: Option<Outcome>,
}

/// Polls until every watched service has a verdict or `limits.timeout` passes, printing one line
/// per change, each new service event and each failed task.
pub async fn watch<O: Observe, W: Write>(
    observer: &mut O,
    items: &[Watched],
    limits: Limits,
    console: &mut Console<W>,
) -> anyhow::Result<Vec<Outcome>> {
    let started = Instant::now();
    let mut progress: Vec<Progress> = items.iter().map(Progress::new).collect();
    let mut unchanged = 0;
    loop {
        let timed_out = started.elapsed() >= limits.timeout;
        for (item, p) in items
            .iter()
            .zip(progress.iter_mut())
            .filter(|(_, p)| p.outcome.is_none())
        {
            p.decide(item, limits, timed_out);
        }
        if progress.iter().all(|p| p.outcome.is_some()) {
            return Ok(progress.into_iter().filter_map(|p| p.outcome).collect());
        }
        tokio::time::sleep(
            next_interval(unchanged).min(limits.timeout.saturating_sub(started.elapsed())),
        )
        .await;
        let mut changed = poll_services(observer, items, &mut progress).await?;
        let elapsed = format!("[{:>5.1}s]", started.elapsed().as_secs_f64());
        for (item, p) in items
            .iter()
            .zip(progress.iter_mut())
            .filter(|(_, p)| p.outcome.is_none())
        {
            changed |= p.follow(observer, item, &elapsed, console).await?;
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
            outcome: None,
        }
    }

    /// Records a verdict when there is one; at the timeout, every undecided rollout fails.
    fn decide(&mut self, item: &Watched, limits: Limits, timed_out: bool) {
        let verdict = assess(
            &self.state,
            &item.target,
            &self.failures,
            limits.max_task_failures,
        )
        .or_else(|| {
            timed_out.then(|| Verdict::Failed {
                reason: format!(
                    "timed out after {} waiting for deployment {} ({})",
                    human_duration(limits.timeout),
                    item.target.deployment_id,
                    progress_line(&self.state, &item.target)
                ),
            })
        });
        if let Some(verdict) = verdict {
            self.outcome = Some(Outcome {
                verdict,
                last_state: self.state.clone(),
                failures: self.failures.clone(),
            });
        }
    }

    /// After a poll: reads new stopped tasks when tasks are missing or ECS counted failures, and
    /// prints what changed. Returns whether anything did.
    async fn follow<O: Observe, W: Write>(
        &mut self,
        observer: &mut O,
        item: &Watched,
        elapsed: &str,
        console: &mut Console<W>,
    ) -> anyhow::Result<bool> {
        let mut changed = false;
        let ours = self.state.deployment(&item.target.deployment_id);
        let failed_now = ours.map_or(0, |d| d.failed_tasks);
        let missing = ours.is_some_and(|d| d.running < d.desired);
        if failed_now > self.failed_tasks || missing {
            self.failed_tasks = failed_now;
            for task in observer
                .stopped_tasks(&item.cluster, &item.target.deployment_id, &self.seen_tasks)
                .await?
            {
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
        Ok(changed)
    }
}

/// Describes every undecided service, 10 per call per cluster. Returns whether any state changed.
async fn poll_services<O: Observe>(
    observer: &mut O,
    items: &[Watched],
    progress: &mut [Progress],
) -> anyhow::Result<bool> {
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
            let states = observer.services(cluster, &names).await?;
            for i in chunk {
                let Some(state) = states.iter().find(|s| s.name == items[*i].initial.name) else {
                    anyhow::bail!(
                        "service `{}` disappeared while waiting",
                        items[*i].initial.name
                    );
                };
                changed |= progress[*i].state != *state;
                progress[*i].state = state.clone();
            }
        }
    }
    Ok(changed)
}

/// `90s` → `1m 30s`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m {s}s"),
    }
}

#[cfg(test)]
#[path = "watch_tests.rs"]
mod tests;
