//! Registering task definitions: each distinct rendered revision once, whether it is a service's
//! revision or the pre-deploy task's, concurrently and at AWS's real limits.
//!
//! AWS throttles `RegisterTaskDefinition` with a token bucket per account and Region (a burst of
//! 20, refilled at one a second), shared with every other deploy in the account; and two
//! registrations into the same family at once fail (`ClientException: Too many concurrent
//! attempts to create a new revision of the specified family`). So:
//! - distinct revisions are registered at once, at most [`CONCURRENCY`] in flight, trusting the
//!   burst rather than pacing at the sustained rate;
//! - registrations into one family wait for each other;
//! - a throttled (or concurrent-revision, or lost) answer is tried again after a jittered,
//!   growing pause, for as long as [`KEEP_TRYING`] and never past the deploy's deadline
//!   (`time-limit-minutes`): a deploy does not fail while the bucket refills, and says so while it
//!   waits (`AWS is throttling RegisterTaskDefinition: retry 7, 12 s so far`);
//! - a call that does not answer by the deadline is abandoned, not waited out.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::cloud::{ErrorKind, TaskDefinitions};
use crate::domain::arn::short_task_definition;
use crate::progress::Progress;
use crate::text::human_duration;

/// Registrations in flight at once.
pub const CONCURRENCY: usize = 10;

/// How long one registration keeps trying through throttling before it fails.
pub const KEEP_TRYING: Duration = Duration::from_mins(5);

/// The longest pause between two tries.
const MAX_PAUSE: Duration = Duration::from_secs(8);

/// Registers each distinct rendered revision once. Shared by reference by concurrent callers.
pub struct Registrar {
    registered: Mutex<Vec<(serde_json::Value, String)>>,
    families: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
    slots: Semaphore,
    /// No registration is tried, or waited for, past this.
    deadline: Mutex<Instant>,
}

impl Registrar {
    /// A registrar for a deploy that must be done by `deadline`.
    pub fn new(deadline: Instant) -> Self {
        Self {
            registered: Mutex::new(Vec::new()),
            families: Mutex::new(BTreeMap::new()),
            slots: Semaphore::new(CONCURRENCY),
            deadline: Mutex::new(deadline),
        }
    }

    /// Moves the deadline later (by the time a pre-deploy task ran, which has its own).
    pub fn extend(&self, by: Duration) {
        let mut deadline = self
            .deadline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *deadline += by;
    }

    fn deadline(&self) -> Instant {
        *self
            .deadline
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The ARN of `rendered`, registering it unless it already was; and how many times AWS
    /// throttled it first. While AWS throttles it, `say` is told now and then.
    pub async fn register<C: TaskDefinitions>(
        &self,
        cloud: &C,
        rendered: &serde_json::Value,
        progress: &Progress,
        say: &dyn Fn(String),
    ) -> anyhow::Result<Registered> {
        if let Some(arn) = self.known(rendered) {
            return Ok(Registered {
                arn,
                new: false,
                throttled: 0,
            });
        }
        let family = rendered["family"].as_str().unwrap_or_default().to_string();
        let lock = self
            .families
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(family)
            .or_default()
            .clone();
        let _family = lock.lock().await;
        // Another caller may have registered the same revision while this one waited.
        if let Some(arn) = self.known(rendered) {
            return Ok(Registered {
                arn,
                new: false,
                throttled: 0,
            });
        }
        let _slot = self.slots.acquire().await?;
        let (arn, throttled) = through_throttling(cloud, rendered, self.deadline(), say).await?;
        progress.wrote(format!("registered `{}`", short_task_definition(&arn)));
        crate::progress::test_panic_point("after-register");
        self.registered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((rendered.clone(), arn.clone()));
        Ok(Registered {
            arn,
            new: true,
            throttled,
        })
    }

    /// A revision this run registered that is `rendered` but for the tag naming the revision it
    /// replaced (services of one family deployed at different times replaced different ones).
    fn known(&self, rendered: &serde_json::Value) -> Option<String> {
        let wanted = without_previous(rendered);
        self.registered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(r, _)| without_previous(r) == wanted)
            .map(|(_, arn)| arn.clone())
    }
}

/// A rendered revision without its `ecs-ship:previous-task-definition` tag: what two services'
/// revisions share when they differ only in what each replaced.
pub fn without_previous(rendered: &serde_json::Value) -> serde_json::Value {
    let mut body = rendered.clone();
    if let Some(tags) = body
        .get_mut("tags")
        .and_then(serde_json::Value::as_array_mut)
    {
        tags.retain(|t| t["key"] != crate::plan::PREVIOUS_TAG);
    }
    body
}

/// A revision registered (or found registered by this run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub arn: String,
    /// Registered by this call (not found already registered).
    pub new: bool,
    /// Throttled answers before it went through.
    pub throttled: u32,
}

/// `RegisterTaskDefinition`, tried again while AWS throttles it (or another registration into the
/// family is under way, or the answer was lost), with growing, jittered pauses, for at most
/// [`KEEP_TRYING`] and never past `deadline`; the throttling is said on the 1st, 2nd, 4th, 8th…
/// retry.
async fn through_throttling<C: TaskDefinitions>(
    cloud: &C,
    rendered: &serde_json::Value,
    deadline: Instant,
    say: &dyn Fn(String),
) -> anyhow::Result<(String, u32)> {
    let started = Instant::now();
    let family = rendered["family"].as_str().unwrap_or("?");
    let give_up = deadline.min(started + KEEP_TRYING);
    let mut throttled: u32 = 0;
    loop {
        let answer = tokio::time::timeout_at(give_up, cloud.register_task_definition(rendered))
            .await
            .unwrap_or_else(|_| Err(past_deadline(started, throttled, deadline)));
        match answer {
            Ok(arn) => return Ok((arn, throttled)),
            Err(err) if try_again(&err) => {
                throttled += 1;
                let pause = pause(throttled);
                if Instant::now() + pause >= give_up {
                    return Err(err.context(past_deadline(started, throttled, deadline)));
                }
                if throttled.is_power_of_two() {
                    say(format!(
                        "AWS is throttling RegisterTaskDefinition (family {family}): retry {throttled}, {} so far",
                        human_duration(started.elapsed())
                    ));
                }
                tokio::time::sleep(pause).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// Why a registration stopped being tried: the deploy's deadline, or [`KEEP_TRYING`].
fn past_deadline(started: Instant, tries: u32, deadline: Instant) -> anyhow::Error {
    let what = if deadline <= started + KEEP_TRYING {
        "`time-limit-minutes` is reached"
    } else {
        "registrations are tried for 5 minutes at most"
    };
    anyhow::anyhow!(
        "RegisterTaskDefinition did not go through in {} ({} tr{}), and {what}",
        human_duration(started.elapsed()),
        tries + 1,
        if tries == 0 { "y" } else { "ies" }
    )
}

/// Whether trying again may help: AWS throttling, a concurrent registration into the family, or
/// an answer that did not come (a 5xx, a timeout); not a refusal.
fn try_again(err: &anyhow::Error) -> bool {
    crate::cloud::kind(err).is_some_and(|k| k.transient() || k == ErrorKind::Conflict)
}

/// The pause before try `n` (1, 2, …): "equal jitter" on 0.5 s doubling up to [`MAX_PAUSE`], so
/// concurrent callers (this deploy's and others') spread over the bucket's refill.
fn pause(n: u32) -> Duration {
    let ceiling = Duration::from_millis(500)
        .saturating_mul(1 << n.saturating_sub(1).min(5))
        .min(MAX_PAUSE);
    let half = ceiling / 2;
    let random = uuid::Uuid::new_v4().as_u128();
    #[allow(clippy::cast_possible_truncation)]
    let jitter = Duration::from_millis((random % (half.as_millis().max(1))) as u64);
    half + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_the_cap_with_jitter_in_the_upper_half() {
        for n in 1..12 {
            let ceiling = Duration::from_millis(500)
                .saturating_mul(1 << (n - 1).min(5))
                .min(MAX_PAUSE);
            for _ in 0..50 {
                let p = pause(n);
                assert!(
                    p >= ceiling / 2 && p <= ceiling,
                    "try {n}: {p:?} of {ceiling:?}"
                );
            }
        }
        assert_eq!(
            Duration::from_millis(500)
                .saturating_mul(1 << 5)
                .min(MAX_PAUSE),
            MAX_PAUSE
        );
    }
}
