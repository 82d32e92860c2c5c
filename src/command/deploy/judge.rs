//! Judging started rollouts: watch them together, and on a failure explain it and apply the
//! rollback policy (all or nothing). Each step's value goes into [`Judged`] as it comes, so a
//! cancelled run still reports the verdicts and rollbacks it had.

use std::io::Write;

use crate::cloud::Cloud;
use crate::console::Console;
use crate::progress::Progress;
use crate::request::DeployRequest;
use crate::rollback::{self, Begun, Started, Waited};
use crate::watch::diagnose::{self, Explanation};
use crate::watch::digests::Digests;
use crate::watch::{self, Limits, Outcome, Watched};

/// The watch of started deployments and, after a failure, what followed.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The deployments watched, with their service's index.
    pub watched: Vec<(usize, Watched)>,
    /// Failures already known (updates that failed), one line each.
    pub earlier: Vec<String>,
    /// One outcome per watched deployment, once the watch ended.
    pub outcomes: Option<Vec<Outcome>>,
    /// Why the first failed rollout failed.
    pub explanation: Option<Explanation>,
    /// Whether the rollback policy applied (`rollback: true`).
    pub rollback: bool,
    /// How each rollback began, once all had.
    pub begun: Option<Vec<(usize, Begun)>>,
    /// How the rollbacks waited for ended.
    pub waited: Option<Vec<Waited>>,
    /// After success, the image digests ECS resolved for each service.
    pub images: Option<Digests>,
}

impl Judged {
    pub fn new(watched: Vec<(usize, Watched)>, earlier: Vec<String>) -> Self {
        Self {
            watched,
            earlier,
            outcomes: None,
            explanation: None,
            rollback: false,
            begun: None,
            waited: None,
            images: None,
        }
    }

    /// Whether a watched rollout waits at a PAUSE hook (`wait: paused`).
    pub fn paused(&self) -> bool {
        self.outcomes.as_ref().is_some_and(|o| {
            o.iter()
                .any(|o| matches!(o.verdict, watch::Verdict::Paused { .. }))
        })
    }

    /// Whether every watched rollout completed (or paused as asked) and nothing failed before.
    pub fn succeeded(&self) -> bool {
        self.earlier.is_empty()
            && self
                .outcomes
                .as_ref()
                .is_some_and(|o| o.iter().all(|o| o.verdict.is_good()))
    }
}

/// Watches, and on a failure explains and rolls back. Returns whether every rollout completed.
pub async fn judge<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    console: &Console<W>,
    progress: &Progress,
    judged: &mut Judged,
    deadline: tokio::time::Instant,
) -> bool {
    let outcomes =
        watch::wait_for(cloud, &judged.watched, watch_limits(req, deadline), console).await;
    after_watch(cloud, req, console, progress, judged, outcomes).await
}

/// The image digests ECS resolved for each deployment that succeeded (for the summary).
pub async fn images<C: Cloud, W: Write>(
    cloud: &C,
    judged: &Judged,
    console: &Console<W>,
) -> watch::digests::Digests {
    let Some(outcomes) = &judged.outcomes else {
        return watch::digests::Digests::default();
    };
    let deployed: Vec<(usize, &Outcome)> = judged
        .watched
        .iter()
        .map(|(i, _)| *i)
        .zip(outcomes)
        .collect();
    let resolved = watch::digests::read(cloud, &deployed).await;
    if let Some(why) = &resolved.unread {
        console.line(&format!(
            "The image digests ECS resolved could not be read ({why})"
        ));
    }
    resolved
}

/// The rollout's wait ends at the deploy's deadline; a rollback gets its own.
pub fn watch_limits(req: &DeployRequest, deadline: tokio::time::Instant) -> Limits {
    Limits {
        deadline: Some(deadline),
        ..Limits::of(&req.target)
    }
}

/// With the watch's outcomes (one per watched deployment, in order): on a failure its
/// explanation and the rollback policy. Whether every rollout completed (then [`images`] reads
/// the digests ECS resolved, beside whatever else follows a success).
pub async fn after_watch<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    console: &Console<W>,
    progress: &Progress,
    judged: &mut Judged,
    outcomes: Vec<Outcome>,
) -> bool {
    let limits = Limits::of(&req.target);
    // Verdicts are in: nothing is in flight for `on-cancel` any more (rollbacks keep their own).
    progress.note(|r| r.in_flight.clear());
    judged.outcomes = Some(outcomes.clone());
    if judged.succeeded() {
        return true;
    }
    judged.rollback = req.rollback;
    // Why it failed (target health, what the tasks printed) is read while the rollbacks start.
    let explaining = diagnose::explain(cloud, &outcomes, limits.log_lines);
    let ours_to_roll_back = outcomes.iter().any(|o| match &o.verdict {
        watch::Verdict::Failed { cause, .. } => cause.ours_to_roll_back(),
        watch::Verdict::Completed | watch::Verdict::Paused { .. } => false,
    });
    if !req.rollback && ours_to_roll_back {
        console.line("Not rolling back: `rollback` is false.");
    }
    // ECS's own rollbacks happened whatever `rollback` says: they are reported either way.
    let started: Vec<Started> = judged
        .watched
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| req.rollback || outcome.verdict.is_ecs_rollback())
        .map(|((i, w), outcome)| Started {
            index: *i,
            cluster: w.cluster.clone(),
            target: w.target.clone(),
            outcome: outcome.clone(),
        })
        .collect();
    if started.is_empty() {
        judged.explanation = explaining.await;
        return false;
    }
    let (explanation, begun) = tokio::join!(
        explaining,
        rollback::begin_all(cloud, &started, console, progress)
    );
    judged.explanation = explanation;
    judged.begun = Some(begun.clone());
    judged.waited = Some(rollback::wait_all(cloud, &begun, limits, console).await);
    false
}
