//! What the run has changed in AWS so far: the one record the stages share, for the last words of
//! a run that cannot finish normally. A cancelled run (SIGTERM mid-stage) reads from it what the
//! stage in flight had done; a panic (see [`crate::app`]'s hook) reads its lines.
//!
//! Each AWS write notes one line here as it succeeds ("registered `api:4`", "updated service `api`
//! to `api:4` (deployment ecs-svc/1)"), and the facts a cancelled stage would otherwise lose:
//! which revisions were registered, how far the pre-deploy task got, which rollbacks were
//! started. Everything else is in the values the stages return.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::domain::outcome::{RolledBackBy, Rollout, TaskRun};
use crate::domain::watched::Watched;

/// A handle on the run's progress record; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Mutex<Record>>);

/// What has been done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// One line per AWS write that succeeded, in order.
    pub writes: Vec<String>,
    /// The task definition each service (by index) is to run, as registration reached it.
    pub deploys: BTreeMap<usize, String>,
    /// The pre-deploy task, as far as it got.
    pub pre_deploy: Option<TaskRun>,
    /// The rollbacks started or adopted, by service index.
    pub rollbacks: BTreeMap<usize, RollbackStarted>,
    /// The rollouts the deploy started whose verdict is not in yet, by service index (what
    /// `on-cancel: rollback` rolls back).
    pub in_flight: BTreeMap<usize, Watched>,
}

/// A rollback under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackStarted {
    pub to: String,
    pub by: RolledBackBy,
    pub rollout: Rollout,
    /// The service deployment ECS rolls back (asked to at a hook or by stopping it): the
    /// rollback is ECS's, within that record, not a deployment of ours.
    pub through: Option<String>,
}

impl Progress {
    fn lock(&self) -> MutexGuard<'_, Record> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes one AWS write that succeeded.
    pub fn wrote(&self, what: impl Into<String>) {
        self.lock().writes.push(what.into());
    }

    /// Changes the record.
    pub fn note(&self, change: impl FnOnce(&mut Record)) {
        change(&mut self.lock());
    }

    /// A copy of the record.
    pub fn snapshot(&self) -> Record {
        self.lock().clone()
    }

    /// The writes so far, or `None` when they cannot be read without waiting (for a panic hook,
    /// which must not block on a lock the panicking thread may hold).
    pub fn writes(&self) -> Option<Vec<String>> {
        self.0.try_lock().ok().map(|r| r.writes.clone())
    }
}

/// How a run's steps ended.
#[derive(Debug)]
pub enum Ended {
    /// They ran to the end.
    Done,
    /// An error ended them.
    Failed(anyhow::Error),
    /// A signal did (SIGTERM, SIGINT): what they had done is in the run and the record.
    Cancelled(&'static str),
}

/// Runs `steps` until they end or `stop` (a signal) does; dropping them mid-stage is safe: each
/// stage's value is kept by the run as it returns, and what a stage in flight did is noted here.
pub async fn until_stopped(
    steps: impl Future<Output = anyhow::Result<()>>,
    stop: impl Future<Output = &'static str>,
) -> Ended {
    tokio::select! {
        result = steps => result.err().map_or(Ended::Done, Ended::Failed),
        signal = stop => Ended::Cancelled(signal),
    }
}

/// A panic on purpose at a named point, for the tests of the panic hook. Compiled into debug
/// builds only; `ECS_SHIP_TEST_PANIC_AT` (read once by [`crate::app`]) names the point.
#[cfg(debug_assertions)]
#[track_caller]
pub fn test_panic_point(point: &str) {
    assert!(
        PANIC_AT.get().is_none_or(|at| at != point),
        "test panic at {point}"
    );
}

#[cfg(not(debug_assertions))]
pub fn test_panic_point(_point: &str) {}

#[cfg(debug_assertions)]
pub static PANIC_AT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_kept_in_order_and_clones_share_them() {
        let progress = Progress::default();
        let shared = progress.clone();
        progress.wrote("registered `api:4`");
        shared.wrote("updated service `api`");
        progress.note(|r| {
            r.deploys
                .insert(0, "arn:aws:ecs:us-east-1:1:task-definition/api:4".into());
        });
        assert_eq!(
            shared.writes().unwrap(),
            ["registered `api:4`", "updated service `api`"]
        );
        assert_eq!(shared.snapshot().deploys.len(), 1);
    }

    #[test]
    fn a_held_lock_is_not_waited_for() {
        let progress = Progress::default();
        let _held = progress.0.lock().unwrap();
        assert_eq!(progress.writes(), None);
    }
}
