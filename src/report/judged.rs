//! The verdicts of a deploy's rollouts in its report, and after a failure the explanation, the
//! rollbacks and the status they add up to.

use crate::command::deploy::{DeployRun, Judged};
use crate::domain::outcome::{RollbackState, RolledBackBy, Rollout};
use crate::error::Exit;
use crate::progress::RollbackStarted;
use crate::rollback::Begun;

use super::{Report, Status};

/// The verdicts, and after a failure the explanation and the rollbacks. Returns whether every
/// rollout completed (the caller says what success is called).
pub(super) fn judge(report: &mut Report, run: &DeployRun, judged: &Judged) -> bool {
    let Some(outcomes) = &judged.outcomes else {
        return false;
    };
    let names: Vec<&str> = run.plans.iter().map(|p| p.service.as_str()).collect();
    let mut failures = judged.earlier.clone();
    for ((i, w), outcome) in judged.watched.iter().zip(outcomes) {
        let result = &mut report.services[*i];
        result.rollout = Some(Rollout::of(&outcome.last_state, &w.target));
        result
            .service_deployment
            .clone_from(&outcome.service_deployment);
        if let crate::watch::Verdict::Paused { .. } = &outcome.verdict {
            result.status = Status::Paused;
            result.now = outcome.verdict.paused_line();
        } else if let crate::watch::Verdict::Failed { reason, .. } = &outcome.verdict {
            result.status = Status::Failed;
            result.failure = Some(reason.clone());
            result.now = Some(outcome.where_it_stands());
            failures.push(if names.len() > 1 {
                format!("{}: {reason}", names[*i])
            } else {
                reason.clone()
            });
        } else {
            result.status = Status::Deployed;
        }
    }
    unused_service_deployments(report, &names, judged, outcomes);
    report.follow_first_rollout();
    if failures.is_empty() {
        return true;
    }
    if let Some(explanation) = &judged.explanation {
        report.note_explanation(explanation);
    }
    let message = if names.len() > 1 {
        format!(
            "{} of {} services failed: {}",
            failures.len(),
            names.len(),
            failures.join("; ")
        )
    } else {
        failures.join("; ")
    };
    report.fail(
        "Rollout failed",
        message,
        Some(report.evidence_hint()),
        Exit::DeployFailed,
    );
    if !judged.rollback {
        for ((i, _), outcome) in judged.watched.iter().zip(outcomes) {
            report.services[*i].now = Some(outcome.where_it_stands());
        }
        // ECS's own rollbacks are reported whatever `rollback` says.
        if judged.begun.is_none() {
            return false;
        }
    }
    rollbacks(report, run, judged);
    false
}

/// How the rollbacks began and ended, and the run's status from them.
fn rollbacks(report: &mut Report, run: &DeployRun, judged: &Judged) {
    match &judged.begun {
        Some(begun) => {
            for (index, b) in begun {
                rollback_begun(report, *index, b);
            }
        }
        // Cancelled while they began: the ones started so far.
        None => {
            for (index, started) in &run.progress.rollbacks {
                note_under_way(report, *index, started);
            }
        }
    }
    let Some(waited) = &judged.waited else {
        return;
    };
    for w in waited {
        if w.index == 0 {
            report.rollback_rollout = Some(w.rollout.clone());
        }
        let result = &mut report.services[w.index];
        result.now = Some(w.now.clone());
        result.rollback_state = Some(w.state.clone());
    }
    let indices: Vec<usize> = judged.watched.iter().map(|(i, _)| *i).collect();
    conclude(report, &indices);
}

fn rollback_begun(report: &mut Report, index: usize, begun: &Begun) {
    match begun {
        Begun::Left { now } => report.services[index].now = Some(now.clone()),
        Begun::NotStarted { to, why, now } => {
            note_rollback(report, index, to);
            let result = &mut report.services[index];
            result.rollback_state = Some(RollbackState::NotStarted(why.clone()));
            result.now = Some(now.clone());
            if index == 0 {
                report.rolled_back_by = Some(RolledBackBy::EcsShip);
            }
        }
        Begun::Pending { .. } | Begun::Ended { .. } => {
            if let Some(started) = begun.under_way() {
                note_under_way(report, index, &started);
            }
        }
    }
}

fn note_rollback(report: &mut Report, index: usize, to: &str) {
    report.services[index].rollback_task_definition_arn = Some(to.to_string());
    if index == 0 {
        report.rollback_task_definition_arn = Some(to.to_string());
    }
}

/// A rollback under way: where to, by whom (the first service's, or the first one known), and
/// for the first service where it stood.
fn note_under_way(report: &mut Report, index: usize, started: &RollbackStarted) {
    note_rollback(report, index, &started.to);
    if index == 0 {
        report.rolled_back_by = Some(started.by);
        report.rollback_rollout = Some(started.rollout.clone());
        report.rollback_through.clone_from(&started.through);
    } else {
        report.rolled_back_by.get_or_insert(started.by);
    }
}

/// The run's status and message from what became of the rollbacks: `rolled-back` only when every
/// service of the deploy is back on its previous revision, verified; otherwise `failed`, with a
/// clause for each rollback that did not complete.
fn conclude(report: &mut Report, started: &[usize]) {
    let mut clauses = Vec::new();
    let mut all_back = true;
    for &index in started {
        let result = &mut report.services[index];
        let to = result
            .rollback_task_definition_arn
            .as_deref()
            .map(crate::domain::arn::short_task_definition)
            .unwrap_or_default()
            .to_string();
        match result.rollback_state.clone() {
            Some(RollbackState::Completed) => result.status = Status::RolledBack,
            Some(other) => {
                all_back = false;
                result.status = Status::Failed;
                let service = &result.service;
                clauses.push(match other {
                    RollbackState::NotStarted(why) => {
                        format!("the rollback of {service} to {to} could not be started: {why}")
                    }
                    RollbackState::Unverified(why) => {
                        format!("the rollback of {service} to {to} could not be verified: {why}")
                    }
                    RollbackState::Failed(why) => {
                        format!("the rollback of {service} to {to} also failed: {why}")
                    }
                    RollbackState::Completed => unreachable!("matched above"),
                });
            }
            None => all_back = false,
        }
    }
    report.rollback_state = report
        .services
        .first()
        .and_then(|s| s.rollback_state.clone());
    if all_back && !started.is_empty() {
        report.status = Status::RolledBack;
    } else if let Some(failure) = &mut report.failure
        && !clauses.is_empty()
    {
        failure.message = format!("{}; {}", failure.message, clauses.join("; "));
    }
}

/// One warning per reason service deployments could not be used, naming the services.
fn unused_service_deployments(
    report: &mut Report,
    names: &[&str],
    judged: &Judged,
    outcomes: &[crate::watch::Outcome],
) {
    let mut by_reason: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::new();
    for ((i, _), outcome) in judged.watched.iter().zip(outcomes) {
        if let Some(why) = &outcome.service_deployment_unused {
            by_reason.entry(why).or_default().push(names[*i]);
        }
    }
    for (why, services) in by_reason {
        report.warnings.push(format!(
            "{}: ECS's service deployment could not be used ({why}); the verdict is from DescribeServices alone (bake time, alarms and lifecycle hooks were not seen)",
            services.join(", ")
        ));
    }
}
