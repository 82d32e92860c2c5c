//! ECS's record of each watched deployment (its *service deployment*), read beside
//! `DescribeServices` on every poll: it has the last word on the rollout.
//!
//! - The service deployment is the one the update created: the service's
//!   `currentServiceDeployment` in the update's answer, or else the one `ListServiceDeployments`
//!   shows created since the update that deploys our task definition and has not ended before it
//!   ([`ours`]; tried on three polls).
//! - Every poll describes all of them at once (`DescribeServiceDeployments`, 20 per call, of
//!   any cluster). Stage changes, pause hooks and bake time are logged as they come.
//! - When they cannot be read (an IAM policy without the permission, an endpoint without the
//!   operation, three failed polls in a row), the watch says so once and judges from
//!   `DescribeServices` alone, as it did before ECS had service deployments: a deploy never
//!   fails for that alone.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, SystemTime};

use futures::future::join_all;
use tokio::time::Instant;

use super::{Observe, Watched};
use crate::cloud::ServiceDeploymentBrief;
use crate::console::Console;
use crate::domain::deployment::{
    Hook, LifecycleStage, ServiceDeployment, ServiceDeploymentStatus, Standing, standing,
};
use crate::domain::watched::ServiceDeploymentRef;
use crate::text::human_duration;

/// `DescribeServiceDeployments` takes at most this many ARNs.
pub const DESCRIBE_LIMIT: usize = 20;

/// Polls on which `ListServiceDeployments` may show nothing yet (ECS is eventually consistent),
/// and reads that may fail in a row, before the watch judges without service deployments.
const TRIES: u32 = 3;

/// How often bake time left is said while ECS bakes.
const BAKE_NOTE_EVERY: Duration = Duration::from_mins(1);

/// What the watch knows of one watched deployment's service deployment.
#[derive(Debug, Clone)]
pub(super) struct Tracked {
    pub(super) reference: ServiceDeploymentRef,
    /// As last read.
    pub(super) last: Option<ServiceDeployment>,
    /// Why it is not used: the watch judges from `DescribeServices` alone.
    pub(super) not_used: Option<String>,
    failed_reads: u32,
    lookups: u32,
    /// The stage as last said, and when it was first seen.
    stage: Option<(Option<LifecycleStage>, Instant)>,
    status: Option<ServiceDeploymentStatus>,
    hooks_said: Vec<String>,
    bake_noted: Option<Instant>,
    said_unused: bool,
}

impl Tracked {
    pub(super) fn new(w: &Watched) -> Self {
        Self {
            reference: w.service_deployment.clone(),
            last: None,
            not_used: None,
            failed_reads: 0,
            lookups: 0,
            stage: None,
            status: None,
            hooks_said: Vec::new(),
            bake_noted: None,
            said_unused: false,
        }
    }

    /// Whether the service deployment has the last word: it is looked for or read, and not
    /// given up on.
    pub(super) fn in_use(&self) -> bool {
        self.not_used.is_none() && !matches!(self.reference, ServiceDeploymentRef::Unknown)
    }

    /// What it says, once read (and while in use).
    pub(super) fn standing(&self) -> Option<Standing> {
        self.in_use()
            .then_some(self.last.as_ref())
            .flatten()
            .map(standing)
    }

    /// Stops using the service deployment (said by [`poll`], once for all services given up on
    /// for the same reason).
    fn give_up(&mut self, why: String) {
        self.not_used = Some(why);
    }

    fn read_failed(&mut self, err: &anyhow::Error) {
        self.failed_reads += 1;
        if crate::cloud::is_permanent(err) || self.failed_reads >= TRIES {
            self.give_up(format!("{err:#}"));
        }
    }

    /// Takes a read; says what changed. Returns whether anything did.
    fn read<W: Write>(
        &mut self,
        service: &str,
        sd: ServiceDeployment,
        elapsed: &str,
        console: &Console<W>,
    ) -> bool {
        self.failed_reads = 0;
        let now = Instant::now();
        let mut changed = self.last.as_ref() != Some(&sd);
        let stage_changed = self
            .stage
            .as_ref()
            .is_none_or(|(stage, _)| *stage != sd.lifecycle_stage);
        if stage_changed || self.status.as_ref() != Some(&sd.status) {
            if stage_changed {
                self.stage = Some((sd.lifecycle_stage.clone(), now));
            }
            self.status = Some(sd.status.clone());
            console.line(&format!(
                "{elapsed} {service}: service deployment {}{}{}",
                sd.status,
                sd.lifecycle_stage
                    .as_ref()
                    .map_or(String::new(), |s| format!(", stage {s}")),
                sd.updated_at
                    .as_deref()
                    .map_or(String::new(), |t| format!(" (at {t})"))
            ));
            if sd.lifecycle_stage == Some(LifecycleStage::BakeTime)
                && sd.status == ServiceDeploymentStatus::InProgress
            {
                self.bake_noted = Some(now);
                if let Some(left) = self.bake_left(&sd) {
                    console.line(&format!(
                        "{elapsed} {service}: baking; about {} left",
                        human_duration(left)
                    ));
                }
            }
            changed = true;
        } else if sd.lifecycle_stage == Some(LifecycleStage::BakeTime)
            && sd.status == ServiceDeploymentStatus::InProgress
            && self
                .bake_noted
                .is_some_and(|at| now.duration_since(at) >= BAKE_NOTE_EVERY)
        {
            self.bake_noted = Some(now);
            if let Some(left) = self.bake_left(&sd) {
                console.line(&format!(
                    "{elapsed} {service}: still baking; about {} left",
                    human_duration(left)
                ));
            }
        }
        if let Standing::AwaitingAction { hook, stage } = standing(&sd)
            && !self.hooks_said.contains(&hook.id)
        {
            self.hooks_said.push(hook.id.clone());
            console.line(&format!(
                "{elapsed} {service}: {}",
                paused(&hook, stage.as_ref())
            ));
        }
        self.last = Some(sd);
        changed
    }

    /// Where ECS's service deployment stands, for a status line: its stage, and the bake time
    /// left while it bakes.
    pub(super) fn stage_note(&self) -> Option<String> {
        let sd = self.last.as_ref()?;
        let stage = sd.lifecycle_stage.as_ref()?;
        let baking =
            *stage == LifecycleStage::BakeTime && sd.status == ServiceDeploymentStatus::InProgress;
        Some(match self.bake_left(sd).filter(|_| baking) {
            Some(left) => format!("{stage} {} left", human_duration(left)),
            None => stage.to_string(),
        })
    }

    /// Bake time left: the deployment's bake time less how long it has been in `BAKE_TIME` as we
    /// saw it.
    fn bake_left(&self, sd: &ServiceDeployment) -> Option<Duration> {
        let minutes = u64::try_from(sd.bake_time_minutes?).ok()?;
        let (_, since) = self.stage.as_ref()?;
        Some(Duration::from_secs(minutes * 60).saturating_sub(since.elapsed()))
    }
}

/// One line for a deployment paused at a PAUSE hook.
pub fn paused(hook: &Hook, stage: Option<&LifecycleStage>) -> String {
    format!(
        "paused{} by lifecycle hook {}, awaiting action{}{}; `ecs-ship continue` (ContinueServiceDeployment) moves it on",
        stage.map_or(String::new(), |s| format!(" in stage {s}")),
        hook.id,
        hook.expires_at
            .as_deref()
            .map_or(String::new(), |t| format!(" until {t}")),
        hook.timeout_action
            .as_deref()
            .map_or(String::new(), |a| format!(" (then {a})")),
    )
}

/// What a poll asks about service deployments, decided before it reads the services so that
/// both are read at once: the look-ups of those known only by when the update was sent, and
/// the reads of those known (20 per call), each by the watched deployment's index.
#[derive(Debug, Default)]
pub(super) struct Asks {
    finds: Vec<(usize, Find)>,
    reads: Vec<Vec<(usize, String)>>,
}

#[derive(Debug)]
struct Find {
    cluster: String,
    service: String,
    task_definition: String,
    sent: SystemTime,
}

impl Asks {
    /// The asks for the watched deployments `tracked` (index, what is watched, what is known).
    pub(super) fn of<'a>(tracked: impl Iterator<Item = (usize, &'a Watched, &'a Tracked)>) -> Self {
        let mut finds = Vec::new();
        let mut known = Vec::new();
        for (i, item, t) in tracked.filter(|(_, _, t)| t.in_use()) {
            match &t.reference {
                ServiceDeploymentRef::SentAt(sent) => finds.push((
                    i,
                    Find {
                        cluster: item.cluster.clone(),
                        service: item.initial.name.clone(),
                        task_definition: item.target.task_definition.clone(),
                        sent: *sent,
                    },
                )),
                ServiceDeploymentRef::Known(arn) => known.push((i, arn.clone())),
                ServiceDeploymentRef::Unknown => {}
            }
        }
        Self {
            finds,
            reads: known
                .chunks(DESCRIBE_LIMIT)
                .map(<[(usize, String)]>::to_vec)
                .collect(),
        }
    }
}

/// The answers to [`Asks`]; `None`: cut short by the deadline.
#[derive(Debug, Default)]
pub(super) struct Answers {
    finds: Vec<(usize, Option<anyhow::Result<Option<String>>>)>,
    reads: Vec<Read>,
}

/// One `DescribeServiceDeployments` call: what it asked (index, ARN) and its answer.
type Read = (
    Vec<(usize, String)>,
    Option<anyhow::Result<Vec<ServiceDeployment>>>,
);

/// Asks everything at once, each call bounded by the deadline.
pub(super) async fn fetch<O: Observe>(observer: &O, asks: &Asks, deadline: Instant) -> Answers {
    let finds = join_all(asks.finds.iter().map(|(i, f)| async move {
        let found =
            observer.find_service_deployment(&f.cluster, &f.service, &f.task_definition, f.sent);
        (*i, tokio::time::timeout_at(deadline, found).await.ok())
    }));
    let reads = join_all(asks.reads.iter().map(|chunk| async move {
        let arns: Vec<String> = chunk.iter().map(|(_, a)| a.clone()).collect();
        let read = tokio::time::timeout_at(deadline, observer.service_deployments(&arns)).await;
        (chunk.clone(), read.ok())
    }));
    let (finds, reads) = tokio::join!(finds, reads);
    Answers { finds, reads }
}

/// Takes the answers for the watched deployments still followed (`tracked`, by index): a service
/// deployment found is read at once; says once which services' service deployments cannot be
/// used, and why. Returns whether anything changed.
pub(super) async fn apply<O: Observe, W: Write>(
    observer: &O,
    answers: Answers,
    tracked: &mut BTreeMap<usize, (&Watched, &mut Tracked)>,
    deadline: Instant,
    elapsed: &str,
    console: &Console<W>,
) -> bool {
    let mut found = Vec::new();
    for (i, answer) in answers.finds {
        let Some((item, t)) = tracked.get_mut(&i).filter(|(_, t)| t.in_use()) else {
            continue;
        };
        match answer {
            Some(Ok(Some(arn))) => {
                t.reference = ServiceDeploymentRef::Known(arn.clone());
                found.push((i, arn));
            }
            Some(Ok(None)) => {
                t.lookups += 1;
                if t.lookups >= TRIES {
                    let ServiceDeploymentRef::SentAt(sent) = t.reference else {
                        continue;
                    };
                    let why = format!(
                        "ListServiceDeployments shows none of {} started by the update ({})",
                        crate::domain::arn::short_task_definition(&item.target.task_definition),
                        crate::text::rfc3339(sent)
                    );
                    t.give_up(why);
                }
            }
            Some(Err(err)) => t.read_failed(&err),
            None => {} // the deadline decides
        }
    }
    let mut changed = take_reads(answers.reads, tracked, elapsed, console);
    // One found on this poll is read on this poll.
    if !found.is_empty() {
        let asks = Asks {
            finds: Vec::new(),
            reads: found
                .chunks(DESCRIBE_LIMIT)
                .map(<[(usize, String)]>::to_vec)
                .collect(),
        };
        let more = fetch(observer, &asks, deadline).await;
        changed |= take_reads(more.reads, tracked, elapsed, console);
    }
    let mut given_up: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (item, t) in tracked.values() {
        if let Some(why) = t.not_used.as_deref().filter(|_| !t.said_unused) {
            given_up.entry(why).or_default().push(&item.initial.name);
        }
    }
    for (why, services) in given_up {
        console.line(&format!(
            "ECS's service deployment{} of {} cannot be used ({why}); judging {} from DescribeServices alone (bake time, alarms and lifecycle hooks are not seen)",
            if services.len() > 1 { "s" } else { "" },
            services.join(", "),
            if services.len() > 1 { "the rollouts" } else { "the rollout" }
        ));
    }
    for (_, t) in tracked.values_mut() {
        t.said_unused |= t.not_used.is_some();
    }
    changed
}

/// Takes `DescribeServiceDeployments` answers for the deployments still followed and in use.
fn take_reads<W: Write>(
    reads: Vec<Read>,
    tracked: &mut BTreeMap<usize, (&Watched, &mut Tracked)>,
    elapsed: &str,
    console: &Console<W>,
) -> bool {
    let mut changed = false;
    for (chunk, answer) in reads {
        let Some(answer) = answer else {
            continue; // the deadline decides
        };
        for (i, arn) in chunk {
            let Some((item, t)) = tracked.get_mut(&i).filter(|(_, t)| t.in_use()) else {
                continue;
            };
            match &answer {
                Ok(read) => {
                    if let Some(sd) = read.iter().find(|sd| sd.arn == arn) {
                        changed |= t.read(&item.initial.name, sd.clone(), elapsed, console);
                    } else {
                        let err = anyhow::anyhow!(
                            "DescribeServiceDeployments does not know service deployment {arn}"
                        );
                        t.read_failed(&err);
                    }
                }
                Err(err) => t.read_failed(err),
            }
        }
    }
    changed
}

/// The service deployment our update (to `task_definition`, sent at `sent`) created, among those
/// `ListServiceDeployments` shows created since shortly before it (`deploys`: each target
/// service revision's task definition, from `DescribeServiceRevisions`).
///
/// Only one that deploys our task definition is ours, and of those only one still `PENDING` or
/// `IN_PROGRESS`, or created after `sent` by our clock: a deployment created just before the
/// update (within the clock skew allowed) that has already ended is someone else's. One still
/// under way is preferred, then the earliest; ECS's list order is not relied on (the API
/// reference documents none). `None`: none is ours yet (ECS is eventually consistent; the watch
/// looks again).
pub fn ours(
    listed: &[ServiceDeploymentBrief],
    deploys: &BTreeMap<String, String>,
    task_definition: &str,
    sent: SystemTime,
) -> Option<String> {
    let under_way = |b: &ServiceDeploymentBrief| {
        matches!(
            b.status,
            ServiceDeploymentStatus::Pending | ServiceDeploymentStatus::InProgress
        )
    };
    listed
        .iter()
        .filter(|b| {
            b.target_revision
                .as_ref()
                .and_then(|r| deploys.get(r))
                .is_some_and(|td| td == task_definition)
        })
        .filter(|b| under_way(b) || b.created_at.is_some_and(|at| at >= sent))
        .min_by_key(|b| (!under_way(b), b.created_at.is_none(), b.created_at))
        .map(|b| b.arn.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "arn:aws:ecs:us-east-1:1:task-definition/api:8";

    fn brief(name: &str, status: &str, revision: &str, secs: i64) -> ServiceDeploymentBrief {
        let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let at = if secs >= 0 {
            sent + Duration::from_secs(secs.unsigned_abs())
        } else {
            sent - Duration::from_secs(secs.unsigned_abs())
        };
        ServiceDeploymentBrief {
            arn: format!("arn:aws:ecs:us-east-1:1:service-deployment/main/api/{name}"),
            created_at: Some(at),
            status: ServiceDeploymentStatus::parse(status),
            target_revision: Some(format!("rev-{revision}")),
        }
    }

    fn pick(listed: &[ServiceDeploymentBrief]) -> Option<String> {
        let deploys = BTreeMap::from([
            ("rev-7".to_string(), OURS.replace(":8", ":7")),
            ("rev-8".to_string(), OURS.to_string()),
        ]);
        let sent = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        ours(listed, &deploys, OURS, sent).map(|arn| arn.rsplit('/').next().unwrap().to_string())
    }

    #[test]
    fn ours_deploys_our_revision_and_had_not_ended_before_the_update() {
        // One that ended a second before the update, of our revision or another, is not ours,
        // in any list order.
        let before_ours = brief("before-ours", "SUCCESSFUL", "8", -1);
        let before_other = brief("before-other", "SUCCESSFUL", "7", -1);
        let ours_now = brief("ours", "IN_PROGRESS", "8", 0);
        for listed in [
            vec![before_ours.clone(), before_other.clone(), ours_now.clone()],
            vec![ours_now.clone(), before_other.clone(), before_ours.clone()],
        ] {
            assert_eq!(pick(&listed).as_deref(), Some("ours"));
        }
        assert_eq!(pick(&[before_ours.clone(), before_other.clone()]), None);
        // Another revision's, even in progress and after the update, is not ours.
        assert_eq!(pick(&[brief("other", "IN_PROGRESS", "7", 1)]), None);
        // Ours may already be over when it is found: after the update by our clock.
        assert_eq!(
            pick(&[before_ours, brief("quick", "SUCCESSFUL", "8", 1)]).as_deref(),
            Some("quick")
        );
        // One still under way within the clock skew is ours (AWS's clock may be behind ours).
        assert_eq!(
            pick(&[brief("skewed", "PENDING", "8", -1)]).as_deref(),
            Some("skewed")
        );
        // Under way beats ended; then the earliest.
        assert_eq!(
            pick(&[
                brief("ended", "SUCCESSFUL", "8", 1),
                brief("later", "IN_PROGRESS", "8", 2),
                brief("first", "IN_PROGRESS", "8", 1),
            ])
            .as_deref(),
            Some("first")
        );
        // Without a target revision ECS names, nothing can be told.
        let mut unknown = brief("unknown", "IN_PROGRESS", "8", 1);
        unknown.target_revision = None;
        assert_eq!(pick(&[unknown]), None);
    }
}
