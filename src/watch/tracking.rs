//! What the watch keeps per service between polls (the last state, the failed tasks and events
//! already seen, failed reads), and the batched reads that move it on.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use futures::future::join_all;
use tokio::time::Instant;

use super::service_deployments::{self, Tracked};
use super::{Cause, Limits, Observe, Outcome, Verdict, WaitUntil, Watched, assess, progress_line};
use crate::console::Console;
use crate::domain::deployment::{ServiceDeployment, Standing};
use crate::domain::outcome::RollbackState;
use crate::domain::service::ServiceState;
use crate::domain::states::{RolloutState, ServiceStatus};
use crate::domain::task::StoppedTask;
use crate::text::human_duration;

/// Reads that cannot go away (access denied, say) end the watch after this many in a row.
const MAX_PERMANENT_READ_ERRORS: u32 = 3;

/// A run of failed reads of one service.
#[derive(Debug, Clone)]
pub(super) struct Unread {
    error: String,
    since: Instant,
    attempts: u32,
    permanent: u32,
}

pub(super) struct Watching {
    pub(super) state: ServiceState,
    pub(super) failures: Vec<StoppedTask>,
    pub(super) seen_tasks: HashSet<String>,
    pub(super) seen_events: HashSet<String>,
    pub(super) last_line: String,
    pub(super) failed_tasks: i32,
    /// The service's reads that failed since the last one that worked.
    pub(super) unread: Option<Unread>,
    /// Why the stopped tasks could not be read (said once).
    pub(super) tasks_unread: Option<String>,
    pub(super) gone: bool,
    /// When stopped tasks were last read (or the watch began), and how many of ours ran then.
    pub(super) tasks_read_at: Instant,
    last_running: i32,
    /// All of ours were placed (running or pending) at a poll: a task started since is a
    /// replacement.
    placed_all: bool,
    /// ECS's record of the deployment.
    pub(super) sd: Tracked,
    pub(super) outcome: Option<Outcome>,
}

impl Watching {
    pub(super) fn new(w: &Watched) -> Self {
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
            // The safety net counts from the start of the watch: no read before a sign.
            tasks_read_at: Instant::now(),
            last_running: 0,
            placed_all: false,
            sd: Tracked::new(w),
            outcome: None,
        }
    }

    /// Records a verdict when there is one: the rollout's own, a service that is gone, reads that
    /// will not work, or at the deadline, "timed out" (or "could not be read" when the last reads
    /// failed).
    pub(super) fn decide(&mut self, item: &Watched, limits: Limits, timed_out: bool) {
        let failed = |reason: String, cause: Cause| Verdict::Failed { reason, cause };
        let standing = self.sd.standing();
        let verdict = if self.gone {
            Some(failed(
                format!(
                    "service `{}` was deleted (or is no longer ACTIVE) while deployment {} rolled out",
                    item.initial.name, item.target.deployment_id
                ),
                Cause::ServiceGone,
            ))
        } else if let Some(v) = standing
            .as_ref()
            .and_then(|s| ended(s, self.sd.last.as_ref()?, &item.target.deployment_id))
        {
            Some(v)
        } else if let (
            WaitUntil::Paused,
            Some(Standing::AwaitingAction { stage, hook }),
            Some(sd),
        ) = (limits.until, &standing, &self.sd.last)
        {
            Some(Verdict::Paused {
                service_deployment: sd.arn.clone(),
                stage: stage.clone(),
                hook: hook.clone(),
            })
        } else if limits.until == WaitUntil::Paused && !self.sd.in_use() {
            Some(failed(
                format!(
                    "`wait: paused` needs ECS's service deployment of {}, and it cannot be used ({}); the service is left as it is",
                    item.target.deployment_id,
                    self.sd.not_used.as_deref().unwrap_or("it is not known")
                ),
                Cause::NotJudged,
            ))
        } else if self.unread.is_none() {
            let assessed = assess(
                &self.state,
                &item.target,
                &self.failures,
                limits.max_task_failures,
                self.tasks_unread.as_deref(),
            );
            match assessed {
                // ECS's record has the last word: bake time, alarms and hooks come after the
                // rollout completes.
                Some(Verdict::Completed) if self.sd.in_use() => None,
                // ECS is rolling back: its record says when that is done.
                Some(Verdict::Failed { .. })
                    if matches!(standing, Some(Standing::RollingBack { .. })) =>
                {
                    None
                }
                other => other,
            }
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
        let verdict =
            verdict.or_else(|| timed_out.then(|| self.timed_out(item, limits, standing.as_ref())));
        if let Some(verdict) = verdict {
            self.outcome = Some(Outcome {
                verdict,
                last_state: self.state.clone(),
                failures: self.failures.clone(),
                unread: self.unread.as_ref().map(|u| u.error.clone()),
                service_deployment: self.sd.last.clone().filter(|_| self.sd.in_use()),
                service_deployment_unused: self.sd.not_used.clone(),
            });
        }
    }

    /// The verdict at the deadline: ECS still rolling back, or timed out.
    /// `time-limit-minutes` is reached (the deploy's, counted from the start of the run; a
    /// rollback's, from the start of its wait).
    fn timed_out(&self, item: &Watched, limits: Limits, standing: Option<&Standing>) -> Verdict {
        let waited = human_duration(limits.timeout);
        let sd = self.sd.last.as_ref().filter(|_| self.sd.in_use());
        if let (Some(Standing::RollingBack { why }), Some(sd)) = (standing, sd) {
            let reason = format!(
                "ECS was still rolling back service deployment {} ({why}) when the wait ended after {waited}",
                sd.arn
            );
            return Verdict::Failed {
                reason: reason.clone(),
                cause: Cause::EcsRollback {
                    service_deployment: sd.arn.clone(),
                    state: RollbackState::Unverified(reason),
                },
            };
        }
        let record = sd.map_or(String::new(), |sd| {
            format!(
                "; service deployment {}{}",
                sd.status,
                sd.lifecycle_stage
                    .as_ref()
                    .map_or(String::new(), |s| format!(" in stage {s}"))
            )
        });
        Verdict::Failed {
            reason: format!(
                "timed out after {waited} waiting for deployment {} ({}{record})",
                item.target.deployment_id,
                progress_line(&self.state, &item.target)
            ),
            cause: Cause::TimedOut,
        }
    }

    /// Notes a failed read of the service.
    /// Takes the service's state from a read; a service missing from it, or not ACTIVE, is
    /// gone. Returns whether its state changed.
    fn read<W: Write>(
        &mut self,
        item: &Watched,
        states: &[ServiceState],
        console: &Console<W>,
    ) -> bool {
        match states.iter().find(|s| s.name == item.initial.name) {
            Some(state) if state.status == ServiceStatus::Active => {
                if let Some(unread) = self.unread.take() {
                    console.line(&format!(
                        "{} can be read again after {} failed attempts",
                        state.name, unread.attempts
                    ));
                }
                let changed = self.state != *state;
                self.state = state.clone();
                changed
            }
            Some(state) => {
                self.state = state.clone();
                self.unread = None;
                self.gone = true;
                false
            }
            None => {
                self.unread = None;
                self.gone = true;
                false
            }
        }
    }

    /// A read our own deadline cut short. After reads that failed, their error says more (what
    /// AWS answered) than that the last one was cut, so it is kept.
    pub(super) fn read_cut(&mut self, sent: Instant) {
        if let Some(unread) = &mut self.unread {
            unread.attempts += 1;
            unread.permanent = 0;
            return;
        }
        self.read_failed(
            format!(
                "DescribeServices did not answer before the deadline (asked {} before it)",
                human_duration(sent.elapsed())
            ),
            false,
        );
        if let Some(unread) = &mut self.unread {
            unread.since = sent;
        }
    }

    pub(super) fn read_failed(&mut self, error: String, permanent: bool) {
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

    /// After a poll: whether to read new stopped tasks: when something says tasks failed (ECS
    /// counted more failures, fewer of ours run than at the last poll, a service event of tasks
    /// stopped, or tasks started once all of ours were placed: replacements), never for the
    /// starts of the rollout itself; or when `safety_net` says it is this service's turn (ours
    /// are short of tasks, with no such sign, for a while).
    pub(super) fn wants_tasks(&mut self, item: &Watched, safety_net: bool) -> bool {
        let ours = self.state.deployment(&item.target.deployment_id);
        let failed_now = ours.map_or(0, |d| d.failed_tasks);
        let running = ours.map_or(0, |d| d.running);
        let missing = ours.is_some_and(|d| d.running < d.desired);
        let new_events = || {
            self.state
                .events
                .iter()
                .filter(|e| !self.seen_events.contains(&e.id))
        };
        let stopped = new_events().any(|e| e.message.contains(" has stopped "));
        let replaced = self.placed_all && new_events().any(|e| e.message.contains(" has started "));
        let churn = stopped || replaced;
        self.placed_all |= ours.is_some_and(|d| d.running + d.pending >= d.desired);
        let due = missing && safety_net;
        let fewer = running < self.last_running;
        self.last_running = running;
        let wanted = failed_now > self.failed_tasks || fewer || churn || due;
        if wanted {
            self.tasks_read_at = Instant::now();
            self.failed_tasks = failed_now;
        }
        wanted
    }

    /// Reads the stopped tasks of our deployment not seen yet, by the deadline.
    pub(super) async fn read_tasks<O: Observe>(
        &self,
        observer: &O,
        item: &Watched,
        deadline: Instant,
    ) -> anyhow::Result<Vec<StoppedTask>> {
        tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            observer.stopped_tasks(&item.cluster, &item.target.deployment_id, &self.seen_tasks),
        )
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer before the deadline")))
    }

    /// Prints what changed: the stopped tasks read (`None`: none were), the progress line and
    /// new events. Returns whether anything did.
    pub(super) fn follow<W: Write>(
        &mut self,
        read: Option<anyhow::Result<Vec<StoppedTask>>>,
        item: &Watched,
        elapsed: &str,
        console: &Console<W>,
    ) -> bool {
        let mut changed = false;
        match read {
            None => {}
            Some(Ok(tasks)) => changed |= self.note_stopped(tasks, elapsed, console),
            Some(Err(err)) => {
                if self.tasks_unread.is_none() {
                    console.line(&format!(
                        "{elapsed} {}: stopped tasks could not be read ({err:#}); going by ECS's count of failed tasks",
                        self.state.name
                    ));
                }
                self.tasks_unread = Some(format!("{err:#}"));
            }
        }
        let line = progress_line(&self.state, &item.target);
        if line != self.last_line {
            // A live terminal shows it in the service's status line instead.
            if !console.is_live() {
                console.line(&format!("{elapsed} {}: {line}", self.state.name));
            }
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

    /// The service's status line on a live terminal: where its rollout stands, ECS's stage, and
    /// for how long it has been watched.
    pub(super) fn status(&self, item: &Watched, watched_for: &str) -> String {
        let mut parts = vec![match self.state.deployment(&item.target.deployment_id) {
            Some(d) => {
                let pending = if d.pending > 0 {
                    format!(", {} pending", d.pending)
                } else {
                    String::new()
                };
                let failed = if d.failed_tasks > 0 {
                    format!(", {} failed", d.failed_tasks)
                } else {
                    String::new()
                };
                format!(
                    "{}/{} running{pending}{failed} · {}",
                    d.running,
                    d.desired,
                    d.rollout_state.as_ref().map_or("-", RolloutState::as_str)
                )
            }
            None => "our deployment is gone".to_string(),
        }];
        parts.extend(self.sd.stage_note());
        parts.push(watched_for.to_string());
        format!("{}: {}", self.state.name, parts.join(" · "))
    }

    pub(super) fn note_stopped<W: Write>(
        &mut self,
        tasks: Vec<StoppedTask>,
        elapsed: &str,
        console: &Console<W>,
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
pub(super) async fn poll_services<O: Observe, W: Write>(
    observer: &O,
    items: &[Watched],
    progress: &mut [Watching],
    deadline: Instant,
    console: &Console<W>,
) -> bool {
    let mut by_cluster: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, item) in items
        .iter()
        .enumerate()
        .filter(|(i, _)| progress[*i].outcome.is_none())
    {
        by_cluster.entry(item.cluster.as_str()).or_default().push(i);
    }
    // Every call at once (10 services each, per cluster), then each answer in turn.
    let chunks: Vec<(&str, &[usize])> = by_cluster
        .iter()
        .flat_map(|(cluster, indexes)| indexes.chunks(10).map(move |chunk| (*cluster, chunk)))
        .collect();
    let sent = Instant::now();
    let reads =
        join_all(
            chunks.iter().map(|(cluster, chunk)| {
                let names: Vec<String> = chunk
                    .iter()
                    .map(|i| items[*i].initial.name.clone())
                    .collect();
                async move {
                    tokio::time::timeout_at(deadline, observer.services(cluster, &names)).await
                }
            }),
        )
        .await;
    let mut changed = false;
    for ((_, chunk), read) in chunks.iter().zip(reads) {
        let states = match read {
            Ok(Ok(states)) => states,
            Ok(Err(err)) => {
                let permanent = crate::cloud::is_permanent(&err);
                for i in *chunk {
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
                for i in *chunk {
                    progress[*i].read_cut(sent);
                }
                continue;
            }
        };
        for i in *chunk {
            changed |= progress[*i].read(&items[*i], &states, console);
        }
    }
    changed
}

/// The verdict of a service deployment ECS is done with.
fn ended(standing: &Standing, sd: &ServiceDeployment, deployment: &str) -> Option<Verdict> {
    let arn = &sd.arn;
    let rollback = |reason: String, state: RollbackState| Verdict::Failed {
        reason,
        cause: Cause::EcsRollback {
            service_deployment: arn.clone(),
            state,
        },
    };
    Some(match standing {
        Standing::Deployed => Verdict::Completed,
        Standing::RolledBack { why } => rollback(
            format!(
                "deployment {deployment} failed and ECS rolled it back: {why} (service deployment {arn})"
            ),
            RollbackState::Completed,
        ),
        Standing::RollbackFailed { why } => rollback(
            format!(
                "deployment {deployment} failed, and ECS's rollback of it failed too: {why} (service deployment {arn})"
            ),
            RollbackState::Failed(why.clone()),
        ),
        Standing::Stopped { why } => Verdict::Failed {
            reason: format!(
                "deployment {deployment} was stopped by ECS without a rollback: {why} (service deployment {arn})"
            ),
            cause: Cause::Stopped {
                service_deployment: arn.clone(),
            },
        },
        Standing::Underway { .. }
        | Standing::AwaitingAction { .. }
        | Standing::RollingBack { .. } => {
            return None;
        }
    })
}

/// The service deployment asks of a poll: for every undecided service still there.
pub(super) fn service_deployment_asks(
    items: &[Watched],
    progress: &[Watching],
) -> service_deployments::Asks {
    service_deployments::Asks::of(
        items
            .iter()
            .zip(progress)
            .enumerate()
            .filter(|(_, (_, p))| p.outcome.is_none() && !p.gone)
            .map(|(i, (item, p))| (i, item, &p.sd)),
    )
}

/// Takes a poll's service deployment answers for every undecided service still there (the
/// services were read meanwhile). Returns whether any changed.
pub(super) async fn take_service_deployments<O: Observe, W: Write>(
    observer: &O,
    answers: service_deployments::Answers,
    items: &[Watched],
    progress: &mut [Watching],
    deadline: Instant,
    elapsed: &str,
    console: &Console<W>,
) -> bool {
    let mut tracked: BTreeMap<usize, (&Watched, &mut Tracked)> = items
        .iter()
        .zip(progress.iter_mut())
        .enumerate()
        .filter(|(_, (_, p))| p.outcome.is_none() && !p.gone && p.sd.in_use())
        .map(|(i, (item, p))| (i, (item, &mut p.sd)))
        .collect();
    if tracked.is_empty() {
        return false;
    }
    service_deployments::apply(observer, answers, &mut tracked, deadline, elapsed, console).await
}
