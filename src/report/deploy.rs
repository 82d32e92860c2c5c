//! The report of a deploy, built once from what its stages returned ([`DeployRun`]). The order
//! of the steps below is the order the deploy went in: each later stage's result refines what
//! the earlier ones said (a service started, then deployed or failed, then rolled back).

use crate::apply::Update;
use crate::command::deploy::{DeployRun, Unchanged};
use crate::domain::outcome::{RollbackState, RolledBackBy, Rollout, TaskRun};
use crate::domain::taskdef::logs::log_location;
use crate::domain::watched::ServiceDeploymentRef;
use crate::error::Exit;
use crate::rollback::cancel::CancelRollback;

use super::judged::judge;
use super::{DeployedImage, Kind, Report, ServiceResult, Status};
use crate::command::deploy::Judged;

/// The report of a deploy; `warnings` are those known before it ran (the GitHub tracker's).
pub fn build(run: &DeployRun, environment: &str, warnings: Vec<String>) -> Report {
    let mut report = Report::new(environment);
    report.warnings = warnings;
    report.image_tag.clone_from(&run.image_tag);
    report.region.clone_from(&run.ending.region);
    gathered(&mut report, run);
    planned(&mut report, run);
    if let Some(found) = &run.preflight {
        report.warnings.extend(found.warnings.iter().cloned());
        report.preflight = Some(found.clone());
    }
    if run.task_alone {
        task_alone(&mut report, run);
    } else if run.verified {
        verified(&mut report, run);
    } else if let Some(unchanged) = &run.unchanged {
        nothing_to_change(&mut report, run, unchanged);
    } else {
        applied(&mut report, run);
    }
    if let Some(err) = &run.ending.error {
        failed(&mut report, err);
    }
    if let Some(signal) = run.ending.cancelled {
        super::cancel::cancelled(&mut report, signal);
        if run.task_alone {
            task_cancelled(&mut report, run, signal);
        } else {
            rolled_back_on_cancel(&mut report, run);
        }
    }
    report
}

/// `run-task`: the task's run is the result; no service is part of it.
fn task_alone(report: &mut Report, run: &DeployRun) {
    report.kind = Kind::RunTask;
    report.services.clear();
    let Some(task_run) = run.progress.pre_deploy.as_ref() else {
        return;
    };
    report.pre_deploy = Some(task_run.clone());
    report.task_definition_arn = Some(task_run.task_definition_arn.clone());
    if !task_run.ended {
        return;
    }
    if task_run.succeeded {
        report.succeed(Status::Completed);
        return;
    }
    one_off_failed(report, task_run, "Task failed", "");
    if let Some(output) = &task_run.output {
        report.add_task_logs(output);
    }
}

/// `run-task` cancelled: where the task stands, and what `on-cancel` did to it.
fn task_cancelled(report: &mut Report, run: &DeployRun, signal: &str) {
    let task = run
        .progress
        .pre_deploy
        .as_ref()
        .filter(|t| !t.ended)
        .and_then(|t| t.task_arn.as_deref());
    let message = match (task, &run.stopped_on_cancel) {
        (None, _) => return,
        (Some(task), None) => format!(
            "cancelled ({signal}) while task {task} ran; it carries on (`on-cancel: rollback` stops it)"
        ),
        (Some(task), Some(Ok(()))) => format!(
            "cancelled ({signal}) while task {task} ran; ecs-ship asked ECS to stop it (on-cancel: rollback)"
        ),
        (Some(task), Some(Err(why))) => format!(
            "cancelled ({signal}) while task {task} ran; stopping it failed, so it may still run: {why}"
        ),
    };
    if let Some(failure) = &mut report.failure {
        failure.message = message;
    }
}

/// What `on-cancel: rollback` did, per service and in the message (which said ECS carries on).
fn rolled_back_on_cancel(report: &mut Report, run: &DeployRun) {
    if run.cancel_rollbacks.is_empty() {
        return;
    }
    let mut clauses = Vec::new();
    for (i, done) in &run.cancel_rollbacks {
        let Some(result) = report.services.get_mut(*i) else {
            continue;
        };
        clauses.push(format!("{}: {}", result.service, done.describe()));
        let to = match done {
            CancelRollback::Stopped { to, .. } => to.clone(),
            CancelRollback::Updated { to, .. } => Some(to.clone()),
            CancelRollback::Failed(_) => None,
        };
        if let Some(to) = to {
            result.rollback_task_definition_arn = Some(to.clone());
            result.rollback_state = Some(RollbackState::Unverified(
                "started on cancel, not waited for".into(),
            ));
            if *i == 0 {
                report.rollback_task_definition_arn = Some(to);
                report.rolled_back_by = Some(RolledBackBy::EcsShip);
                report.rollback_state = result.rollback_state.clone();
            }
        }
    }
    if let Some(failure) = &mut report.failure {
        let carries_on = "; ECS carries on with it";
        let message = failure
            .message
            .strip_suffix(carries_on)
            .unwrap_or(&failure.message)
            .to_string();
        failure.message = format!("{message}; on-cancel rollback: {}", clauses.join("; "));
    }
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
    let region = run.ending.region.as_deref().unwrap_or_default();
    report.log_group = first.containers.first().and_then(|container| {
        log_location(&first.rendered, container, None, region).map(|log| (log.group, log.region))
    });
    report.changed = run.plans.iter().any(|p| p.changed);
    report.diff = Some(first.diff.clone());
    report.settings_changes.clone_from(&first.settings_changes);
    report.lifecycle_hooks.clone_from(&first.lifecycle_hooks);
    report.services = run
        .plans
        .iter()
        .map(|p| ServiceResult::planned(&p.service, &p.live_task_definition_arn, p.changed))
        .collect();
    report
        .pre_deploy_planned
        .clone_from(&run.pre_deploy_planned);
}

fn verified(report: &mut Report, run: &DeployRun) {
    report.rendered = run
        .rendered
        .as_ref()
        .and_then(|shown| shown.first().cloned());
    for service in &mut report.services {
        service.status = Status::Verified;
    }
    report.succeed(Status::Verified);
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
    for live in &unchanged.failed {
        let service = &mut report.services[live.index];
        service.status = Status::Failed;
        service.failure = Some(live.why.clone());
        service.now = Some(live.now.clone());
        failed.push(format!("{}: {}", service.service, live.why));
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
            report.follow_first_rollout();
            if judge(report, run, judged) {
                report.succeed(Status::Unchanged);
            }
        }
    }
}

fn applied(report: &mut Report, run: &DeployRun) {
    let task_run = run.progress.pre_deploy.as_ref();
    report.pre_deploy = task_run.cloned();
    if let Some(task_run) = task_run.filter(|t| t.ended && !t.succeeded) {
        one_off_failed(
            report,
            task_run,
            "Pre-deploy task failed",
            "; no service was updated",
        );
        if let Some(output) = &task_run.output {
            report.add_task_logs(output);
        }
        return;
    }
    for (&i, arn) in &run.progress.deploys {
        if let Some(service) = report.services.get_mut(i) {
            service.task_definition_arn = Some(arn.clone());
        }
        if i == 0 {
            report.task_definition_arn = Some(arn.clone());
        }
    }
    let Some(updates) = &run.updates else {
        // Cancelled while shipping and watching went on together: the rollouts started so far.
        let in_flight: Vec<Update> = (0..report.services.len())
            .map(|i| match run.progress.in_flight.get(&i) {
                Some(watched) => Update::Started {
                    watched: Box::new(watched.clone()),
                },
                None => Update::Skipped,
            })
            .collect();
        updated(report, &in_flight);
        return;
    };
    updated(report, updates);
    if run.ending.error.is_some() {
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
        deployed_images(report, run, judged);
        if judge(report, run, judged) {
            report.succeed(if judged.paused() {
                Status::Paused
            } else {
                Status::Deployed
            });
        }
    }
    if let Some(done) = &run.after_success {
        report.promoted_tag.clone_from(&done.promoted_tag);
        report.warnings.extend(done.warnings.iter().cloned());
    }
    if let Some(followed) = &run.schedules {
        report.schedules_moved.clone_from(&followed.moved);
        report.warnings.extend(followed.warnings.iter().cloned());
    }
    if let Some(cleaned) = &run.cleaned {
        report.deregistered = cleaned.deregistered;
        report.warnings.extend(cleaned.warnings.iter().cloned());
    }
}

/// The pre-deploy task failed: no service was touched.
/// The one-off task failed: `title`, its reason then `then` (what that meant for the services),
/// and where its output is.
fn one_off_failed(report: &mut Report, task_run: &TaskRun, title: &str, then: &str) {
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
            if then.is_empty() {
                "read the task's output in CloudWatch Logs (linked in the step summary)".to_string()
            } else {
                "read the task's output in CloudWatch Logs (linked in the step summary); the services still run their previous revisions".to_string()
            },
        ),
        None => (
            String::new(),
            "the task definition has no awslogs configuration for this container; look at the task in the ECS console".into(),
        ),
    };
    report.fail(
        title,
        format!("{why}{then}{output}"),
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
    let mut changed_under_us = Vec::new();
    for (i, (service, update)) in report.services.iter_mut().zip(updates).enumerate() {
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
            Update::Held { why } => {
                service.status = Status::NotUpdated;
                service.failure = Some(why.clone());
                service.task_definition_arn = Some(service.previous_task_definition_arn.clone());
            }
            Update::Started { watched } => {
                service.rollout = Some(Rollout::of(&watched.initial, &watched.target));
                service.status = Status::Started;
                if let Some(replaced) = watched
                    .target
                    .previous
                    .as_ref()
                    .filter(|r| **r != service.previous_task_definition_arn)
                {
                    changed_under_us.push(crate::domain::service::changed_under_us(
                        &service.service,
                        &service.previous_task_definition_arn,
                        replaced,
                    ));
                    service.previous_task_definition_arn.clone_from(replaced);
                    if i == 0 {
                        report.previous_task_definition_arn = Some(replaced.clone());
                    }
                }
                if let ServiceDeploymentRef::Known(arn) = &watched.service_deployment {
                    service.service_deployment_arn = Some(arn.clone());
                }
            }
        }
    }
    report.warnings.extend(changed_under_us);
    report.follow_first_rollout();
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
        } else if matches!(service.status, Status::Started | Status::Verified) {
            service.status = Status::Failed;
        }
    }
}

/// The images ECS resolved for each service, beside the digest ecs-ship checked; a difference
/// or an unread revision is a warning.
fn deployed_images(report: &mut Report, run: &DeployRun, judged: &Judged) {
    let Some(resolved) = &judged.images else {
        return;
    };
    if let Some(why) = &resolved.unread {
        report.warnings.push(format!(
            "the image digests ECS resolved could not be read ({why})"
        ));
    }
    for (i, images) in &resolved.images {
        let Some(plan) = run.plans.get(*i) else {
            continue;
        };
        for image in images {
            let ours = plan.containers.contains(&image.container);
            let deployed = DeployedImage {
                service: plan.service.clone(),
                container: image.container.clone(),
                image: image.image.clone(),
                digest: image.digest.clone(),
                expected: plan.image.digest.clone().filter(|_| ours),
            };
            if deployed.differs() {
                report.warnings.push(format!(
                    "{}/{}: ECS runs {}, not the digest ecs-ship checked in ECR ({}): the tag moved between the check and the deployment",
                    deployed.service,
                    deployed.container,
                    deployed.digest.as_deref().unwrap_or_default(),
                    deployed.expected.as_deref().unwrap_or_default()
                ));
            }
            report.deployed_images.push(deployed);
        }
    }
}
