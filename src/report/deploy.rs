//! The report of a deploy, built once from what its stages returned ([`DeployRun`]). The order
//! of the steps below is the order the deploy went in: each later stage's result refines what
//! the earlier ones said (a service started, then deployed or failed, then rolled back).

use crate::apply::Update;
use crate::deploy::{DeployRun, Judged, Unchanged};
use crate::domain::outcome::{RollbackState, RolledBackBy, Rollout, TaskRun};
use crate::domain::taskdef::logs::log_location;
use crate::error::Exit;
use crate::rollback::Begun;

use super::{Report, ServiceResult, Status};

/// The report of a deploy; `warnings` are those known before it ran (the GitHub tracker's).
pub fn build(run: &DeployRun, environment: &str, warnings: Vec<String>) -> Report {
    let mut report = Report::new(environment);
    report.warnings = warnings;
    report.image_tag.clone_from(&run.image_tag);
    report.region.clone_from(&run.region);
    gathered(&mut report, run);
    planned(&mut report, run);
    if run.dry_run.is_some() {
        dry_run(&mut report, run);
    } else if let Some(unchanged) = &run.unchanged {
        nothing_to_change(&mut report, run, unchanged);
    } else {
        applied(&mut report, run);
    }
    if let Some(err) = &run.error {
        failed(&mut report, err);
    }
    if let Some(signal) = run.cancelled {
        super::cancel::cancelled(&mut report, signal);
    }
    report
}

fn gathered(report: &mut Report, run: &DeployRun) {
    let Some(gathered) = &run.gathered else {
        return;
    };
    report.cluster = Some(gathered.resolved.cluster.clone());
    report.service = Some(
        gathered
            .resolved
            .targets
            .iter()
            .map(|t| t.service.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    report.previous_task_definition_arn =
        gathered.services.first().map(|s| s.task_definition.clone());
    report.warnings.extend(gathered.warnings.iter().cloned());
}

fn planned(report: &mut Report, run: &DeployRun) {
    let Some(first) = run.plans.first() else {
        return;
    };
    report.image = Some(first.image_reference.clone());
    report.image_digest.clone_from(&first.image.digest);
    report.image_verified = first.image.verified;
    report.containers.clone_from(&first.containers);
    let region = run.region.as_deref().unwrap_or_default();
    report.log_group = first.containers.first().and_then(|container| {
        log_location(&first.rendered, container, None, region).map(|log| (log.group, log.region))
    });
    report.changed = run.plans.iter().any(|p| p.changed);
    report.diff = Some(first.diff.clone());
    report.services = run
        .plans
        .iter()
        .map(|p| ServiceResult::planned(&p.service, &p.live_task_definition_arn, p.changed))
        .collect();
    report
        .pre_deploy_planned
        .clone_from(&run.pre_deploy_planned);
}

fn dry_run(report: &mut Report, run: &DeployRun) {
    report.rendered = run
        .dry_run
        .as_ref()
        .and_then(|shown| shown.first().cloned());
    for service in &mut report.services {
        service.status = Status::DryRun;
    }
    report.succeed(Status::DryRun);
}

fn nothing_to_change(report: &mut Report, run: &DeployRun, unchanged: &Unchanged) {
    report.task_definition_arn = run
        .plans
        .first()
        .map(|p| p.live_task_definition_arn.clone());
    for (service, plan) in report.services.iter_mut().zip(&run.plans) {
        service.task_definition_arn = Some(plan.live_task_definition_arn.clone());
    }
    let mut failed = Vec::new();
    for (i, why, now) in &unchanged.failed {
        let service = &mut report.services[*i];
        service.status = Status::Failed;
        service.failure = Some(why.clone());
        service.now = Some(now.clone());
        failed.push(format!("{}: {why}", service.service));
    }
    if !failed.is_empty() {
        report.fail(
            "Deploy failed",
            format!("nothing to change, but {}", failed.join("; ")),
            Some("the revision it runs does not work: fix the image or settings and deploy again, or roll back (`command: rollback`)".into()),
            Exit::DeployFailed,
        );
        return;
    }
    match &unchanged.judged {
        None => report.succeed(Status::Unchanged),
        Some(judged) => {
            // The rollouts in progress being waited for (what a cancelled wait was doing).
            for (i, w) in &judged.watched {
                report.services[*i].rollout = Some(Rollout::of(&w.initial, &w.target));
            }
            report.rollout = report.services.first().and_then(|s| s.rollout.clone());
            if judge(report, run, judged) {
                report.succeed(Status::Unchanged);
            }
        }
    }
}

fn applied(report: &mut Report, run: &DeployRun) {
    let task_run = run.pre_deploy.as_ref().or(run.progress.pre_deploy.as_ref());
    report.pre_deploy = task_run.cloned();
    if let Some(task_run) = task_run.filter(|t| run.pre_deploy.is_some() && !t.succeeded) {
        pre_deploy_failed(report, task_run);
        return;
    }
    let deploys: Vec<(usize, &String)> = if run.deploys.is_empty() {
        run.progress
            .deploys
            .iter()
            .map(|(i, arn)| (*i, arn))
            .collect()
    } else {
        run.deploys.iter().enumerate().collect()
    };
    for (i, arn) in deploys {
        if let Some(service) = report.services.get_mut(i) {
            service.task_definition_arn = Some(arn.clone());
        }
        if i == 0 {
            report.task_definition_arn = Some(arn.clone());
        }
    }
    let Some(updates) = &run.updates else {
        return;
    };
    updated(report, updates);
    if run.error.is_some() {
        return;
    }
    if run.not_waited {
        report.succeed(if Update::watched(updates).is_empty() {
            Status::Unchanged
        } else {
            Status::Started
        });
        return;
    }
    if let Some(judged) = &run.judged {
        if judge(report, run, judged) {
            report.succeed(Status::Deployed);
        }
    }
    if let Some(done) = &run.after_success {
        report.promoted_tag.clone_from(&done.promoted_tag);
        report.warnings.extend(done.warnings.iter().cloned());
    }
    if let Some(cleaned) = &run.cleaned {
        report.deregistered = cleaned.deregistered;
        report.warnings.extend(cleaned.warnings.iter().cloned());
    }
}

/// The pre-deploy task failed: no service was touched.
fn pre_deploy_failed(report: &mut Report, task_run: &TaskRun) {
    let why = task_run.failure.clone().unwrap_or_default();
    // The log stream is in the message itself (and so in `failure-reason`), not only the hint.
    let (output, hint) = match &task_run.log {
        Some(log) => (
            format!(
                "; its output is in CloudWatch Logs group `{}`{} ({})",
                log.group,
                log.stream
                    .as_ref()
                    .map_or(String::new(), |s| format!(", stream `{s}`")),
                log.region
            ),
            "read the task's output in CloudWatch Logs (linked in the step summary); the services still run their previous revisions".to_string(),
        ),
        None => (
            String::new(),
            "the task definition has no awslogs configuration for this container; look at the task in the ECS console".into(),
        ),
    };
    report.fail(
        "Pre-deploy task failed",
        format!("{why}; no service was updated{output}"),
        Some(hint),
        Exit::DeployFailed,
    );
    for service in &mut report.services {
        service.status = Status::NotUpdated;
        service.task_definition_arn = Some(service.previous_task_definition_arn.clone());
    }
    report
        .task_definition_arn
        .clone_from(&report.previous_task_definition_arn);
}

/// What each update did.
fn updated(report: &mut Report, updates: &[Update]) {
    for (service, update) in report.services.iter_mut().zip(updates) {
        match update {
            Update::Skipped | Update::Updated => {}
            Update::Failed { error, now } => {
                service.status = Status::Failed;
                service.failure = Some(error.clone());
                service.now = Some(now.clone());
            }
            Update::NoDeployment { why } => {
                service.status = Status::Failed;
                service.failure = Some(why.clone());
            }
            Update::Started { rollout, .. } => {
                service.rollout = Some(rollout.clone());
                service.status = Status::Started;
            }
        }
    }
    report.rollout = report.services.first().and_then(|s| s.rollout.clone());
}

/// The verdicts, and after a failure the explanation and the rollbacks. Returns whether every
/// rollout completed (the caller says what success is called).
fn judge(report: &mut Report, run: &DeployRun, judged: &Judged) -> bool {
    let Some(outcomes) = &judged.outcomes else {
        return false;
    };
    let names: Vec<&str> = run.plans.iter().map(|p| p.service.as_str()).collect();
    let mut failures = judged.earlier.clone();
    for ((i, w), outcome) in judged.watched.iter().zip(outcomes) {
        let result = &mut report.services[*i];
        result.rollout = Some(Rollout::of(&outcome.last_state, &w.target));
        if let crate::watch::Verdict::Failed { reason, .. } = &outcome.verdict {
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
    report.rollout = report.services.first().and_then(|s| s.rollout.clone());
    if failures.is_empty() {
        return true;
    }
    if let Some(explanation) = &judged.explanation {
        report.failed_tasks.clone_from(&explanation.failed_tasks);
        report.events.clone_from(&explanation.events);
        report.target_health.clone_from(&explanation.target_health);
        report.warnings.extend(explanation.warnings.iter().cloned());
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
        Some("see the stopped tasks and service events in the step summary".into()),
        Exit::DeployFailed,
    );
    if !judged.rollback {
        for ((i, _), outcome) in judged.watched.iter().zip(outcomes) {
            report.services[*i].now = Some(outcome.where_it_stands());
        }
        return false;
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
                note_rollback(report, *index, &started.to);
                note_by(report, *index, started.by, &started.rollout);
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
                report.rolled_back_by = Some(RolledBackBy::EcsShip.as_str().into());
            }
        }
        Begun::Pending {
            to, by, rollout, ..
        } => {
            note_rollback(report, index, to);
            note_by(report, index, *by, rollout);
        }
    }
}

fn note_rollback(report: &mut Report, index: usize, to: &str) {
    report.services[index].rollback_task_definition_arn = Some(to.to_string());
    if index == 0 {
        report.rollback_task_definition_arn = Some(to.to_string());
    }
}

fn note_by(report: &mut Report, index: usize, by: RolledBackBy, rollout: &Rollout) {
    if index == 0 {
        report.rolled_back_by = Some(by.as_str().to_string());
        report.rollback_rollout = Some(rollout.clone());
    } else {
        report
            .rolled_back_by
            .get_or_insert_with(|| by.as_str().to_string());
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
            .map(crate::domain::ecs::short_task_definition)
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
    } else if let Some(failure) = &mut report.failure {
        if !clauses.is_empty() {
            failure.message = format!("{}; {}", failure.message, clauses.join("; "));
        }
    }
}

/// An error ended the run: refused before anything was registered, failed after.
fn failed(report: &mut Report, err: &anyhow::Error) {
    let title = if report.task_definition_arn.is_some() {
        "Deploy failed"
    } else {
        "Deploy refused"
    };
    report.fail_with(title, err);
    for service in &mut report.services {
        if service.task_definition_arn.is_none() {
            service.status = Status::NotUpdated;
        } else if matches!(service.status, Status::Started | Status::DryRun) {
            service.status = Status::Failed;
        }
    }
}
