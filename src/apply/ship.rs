//! Shipping: registering each distinct revision and updating the services, at AWS's real limits
//! and without churn.
//!
//! - When every registration fits in `RegisterTaskDefinition`'s burst (20, see [`BURST`]), all
//!   of them are made first and the services are updated only when every one went through: a
//!   revision that cannot be registered updates nothing, so nothing needs rolling back.
//! - Beyond the burst the bucket refills at one a second, so waiting for the last registration
//!   would hold the first services for tens of seconds: each service is updated as soon as its
//!   own revision is in, and watched from its own update (each deployment started is sent to the
//!   watch as it starts). Once a watched rollout has failed, the services not updated yet are
//!   left alone (the deploy has failed as a whole); a registration that fails for good leaves its
//!   services alone and the rollback policy puts the others back.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::join_all;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::Update;
use super::register::{self, Registrar};
use super::update::update_one;
use crate::cloud::{Region, TaskDefinitions};
use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::service::{ServiceState, where_it_stands};
use crate::domain::watched::Watched;
use crate::gather::Reads;
use crate::plan::Plan;
use crate::progress::Progress;

/// `RegisterTaskDefinition`'s burst: registrations AWS takes at once before it throttles to one
/// a second (its request throttling documentation; shared by every caller in the account and
/// Region).
pub const BURST: usize = 20;

/// What shipping did: the revision each plan deploys, one [`Update`] per plan, and the first
/// registration that failed.
#[derive(Debug, Default)]
pub struct Shipped {
    /// The task definition each plan deploys (the live one when unchanged, or not registered).
    pub arns: Vec<String>,
    pub updates: Vec<Update>,
    /// The first registration that failed, as AWS answered.
    pub registration_error: Option<anyhow::Error>,
}

/// Where shipping tells the watch about each deployment it started, and learns that a watched
/// rollout has failed.
pub struct ToWatch<'a> {
    /// Each deployment started, with its service's index, as it starts (`None`: nobody waits).
    pub started: Option<UnboundedSender<(usize, Watched)>>,
    /// Set by the watch when a rollout failed: services not updated yet are left alone.
    pub failed: &'a AtomicBool,
}

/// Everything one shipping run needs besides the plans.
pub struct Shipping<'a, C, W: Write> {
    pub cloud: &'a C,
    pub registrar: &'a Registrar,
    /// Each service as read right before shipping began, in the plans' order.
    pub befores: &'a [ServiceState],
    pub console: &'a Console<W>,
    pub progress: &'a Progress,
    pub deadline: Instant,
}

/// Registers the revisions and updates the services (see the module docs).
pub async fn ship_all<C: Reads, W: Write>(
    with: &Shipping<'_, C, W>,
    plans: &[Plan],
    to_watch: &ToWatch<'_>,
) -> Shipped {
    let groups = registrations(plans);
    let mut out = Shipped {
        arns: plans
            .iter()
            .map(|p| p.live_task_definition_arn.clone())
            .collect(),
        updates: vec![Update::Skipped; plans.len()],
        registration_error: None,
    };
    let registering = groups.iter().filter(|(body, _)| body.is_some()).count();
    let reread_at = Instant::now();
    if registering <= BURST {
        let registered = join_all(
            groups
                .iter()
                .map(|(body, members)| revision_of(with, plans, body.as_ref(), members)),
        )
        .await;
        if registered.iter().any(Result::is_err) {
            not_updated(with, plans, &groups, registered, &mut out);
            return ship_ended(with, out);
        }
        let arns: Vec<String> = registered.into_iter().map(Result::unwrap).collect();
        let updates = join_all(groups.iter().zip(&arns).flat_map(|((_, members), arn)| {
            members
                .iter()
                .map(move |i| deploy_one(with, plans, *i, arn, reread_at, to_watch))
        }))
        .await;
        let mut it = updates.into_iter();
        for ((_, members), arn) in groups.iter().zip(&arns) {
            for i in members {
                out.arns[*i].clone_from(arn);
                out.updates[*i] = it.next().expect("one update per member");
            }
        }
        return ship_ended(with, out);
    }
    let shipped = join_all(groups.iter().map(|(body, members)| async move {
        let arn = match revision_of(with, plans, body.as_ref(), members).await {
            Ok(arn) => arn,
            Err(err) => return (members, Err(err)),
        };
        let updates = join_all(
            members
                .iter()
                .map(|i| deploy_one(with, plans, *i, &arn, reread_at, to_watch)),
        )
        .await;
        (members, Ok((arn, updates)))
    }))
    .await;
    for (members, result) in shipped {
        match result {
            Ok((arn, updates)) => {
                for (i, update) in members.iter().zip(updates) {
                    out.arns[*i].clone_from(&arn);
                    out.updates[*i] = update;
                }
            }
            Err(err) => {
                registration_failed(with, plans, members, &err, &mut out);
                out.registration_error.get_or_insert(err);
            }
        }
    }
    ship_ended(with, out)
}

/// Shipping ended: the revision each service is to run (the live one where nothing was
/// registered for it) replaces, in the progress record, the revisions registration reached.
fn ship_ended<C, W: Write>(with: &Shipping<'_, C, W>, out: Shipped) -> Shipped {
    with.progress.note(|r| {
        r.deploys = out.arns.iter().cloned().enumerate().collect();
    });
    out
}

/// The revision a group of plans deploys: registered (when it is new), else the existing one
/// (`revision`) or the live one.
async fn revision_of<C: TaskDefinitions, W: Write>(
    with: &Shipping<'_, C, W>,
    plans: &[Plan],
    body: Option<&serde_json::Value>,
    members: &[usize],
) -> anyhow::Result<String> {
    let arn = if let Some(body) = body {
        let say = |line: String| with.console.line(&line);
        let r = with
            .registrar
            .register(with.cloud, body, with.progress, &say)
            .await?;
        if r.new {
            with.console.line(&registered_line(&r));
        }
        r.arn
    } else {
        let plan = &plans[members[0]];
        plan.existing
            .clone()
            .unwrap_or_else(|| plan.live_task_definition_arn.clone())
    };
    with.progress.note(|r| {
        for i in members {
            r.deploys.insert(*i, arn.clone());
        }
    });
    Ok(arn)
}

/// Updates one service to `arn` unless a watched rollout has failed meanwhile, and tells the
/// watch about the deployment it started.
async fn deploy_one<C: Reads, W: Write>(
    with: &Shipping<'_, C, W>,
    plans: &[Plan],
    index: usize,
    arn: &str,
    reread_at: Instant,
    to_watch: &ToWatch<'_>,
) -> Update {
    let plan = &plans[index];
    if plan.updates_service() && to_watch.failed.load(Ordering::SeqCst) {
        return Update::Held {
            why: "not updated: a service this deploy updated first failed its rollout".into(),
        };
    }
    let update = update_one(
        with.cloud,
        plan,
        &with.befores[index],
        arn,
        reread_at,
        index,
        with.console,
        with.progress,
        with.deadline,
    )
    .await;
    if let (Update::Started { watched }, Some(started)) = (&update, &to_watch.started) {
        // Nobody listening (the watch ended early) is not an error here.
        let _ = started.send((index, (**watched).clone()));
    }
    update
}

/// Within the burst, a registration failed: no service is updated. Those whose revision failed
/// say why; the others that it was held back.
fn not_updated<C: Region, W: Write>(
    with: &Shipping<'_, C, W>,
    plans: &[Plan],
    groups: &[(Option<serde_json::Value>, Vec<usize>)],
    registered: Vec<anyhow::Result<String>>,
    out: &mut Shipped,
) {
    let mut failed_families = Vec::new();
    for ((_, members), result) in groups.iter().zip(registered) {
        if let Err(err) = result {
            registration_failed(with, plans, members, &err, out);
            failed_families.push(plans[members[0]].family.clone());
            out.registration_error.get_or_insert(err);
        }
    }
    let why = format!(
        "not updated: the revision of family {} could not be registered, so no service was updated",
        failed_families.join(", ")
    );
    for (i, plan) in plans.iter().enumerate() {
        if plan.updates_service() && matches!(out.updates[i], Update::Skipped) {
            out.updates[i] = Update::Held { why: why.clone() };
        }
    }
}

/// The services of a revision that could not be registered: not updated, with AWS's answer.
fn registration_failed<C: Region, W: Write>(
    with: &Shipping<'_, C, W>,
    plans: &[Plan],
    members: &[usize],
    err: &anyhow::Error,
    out: &mut Shipped,
) {
    for i in members {
        with.console.line(&format!(
            "Registering the revision of {} failed: {err:#}",
            plans[*i].service
        ));
        out.updates[*i] = Update::Failed {
            error: format!("registering its task definition failed: {err:#}"),
            now: format!("{} (not updated)", where_it_stands(&with.befores[*i])),
        };
    }
}
/// The revisions to register, each with the plans that deploy it (`None`: plans that register
/// nothing, one group each). Plans whose rendered revisions differ only in the revision each
/// replaced (services of one family deployed at different times) share one revision: it records
/// the revision it replaced when they all replaced the same one, and none otherwise (the
/// `rollback` command then needs `revision` for them).
fn registrations(plans: &[Plan]) -> Vec<(Option<serde_json::Value>, Vec<usize>)> {
    let mut groups: Vec<(Option<serde_json::Value>, Vec<usize>)> = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        // A revision deployed as it is (`revision`) is not registered.
        let registers = plan.changed && plan.existing.is_none();
        let shared = registers.then(|| register::without_previous(&plan.rendered));
        match groups.iter_mut().find(|(body, _)| {
            shared.is_some() && body.as_ref().map(register::without_previous) == shared
        }) {
            Some((body, members)) => {
                members.push(i);
                let replaced = |body: &serde_json::Value| {
                    crate::domain::taskdef::tag(body, crate::plan::PREVIOUS_TAG).map(str::to_string)
                };
                if let Some(body) = body.as_mut()
                    && replaced(body) != replaced(&plan.rendered)
                {
                    *body = register::without_previous(body);
                }
            }
            None => groups.push((registers.then(|| plan.rendered.clone()), vec![i])),
        }
    }
    groups
}

/// `Registered api:4`, with how often AWS throttled it first.
fn registered_line(r: &register::Registered) -> String {
    format!(
        "Registered {}{}",
        short_task_definition(&r.arn),
        match r.throttled {
            0 => String::new(),
            n => format!(
                " (throttled {n} time{} first)",
                if n == 1 { "" } else { "s" }
            ),
        }
    )
}
