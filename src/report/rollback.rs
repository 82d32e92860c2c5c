//! The report of the rollback command, built once from what it did ([`RollbackRun`]).

use crate::command::rollback::{AlreadyThere, RollbackRun, RollbackWaited, There};
use crate::error::Exit;
use crate::progress::RollbackStarted;

use super::{Kind, Report, ServiceResult, Status};

/// The report of the rollback command.
pub fn build(run: &RollbackRun, environment: &str) -> Report {
    let mut report = Report::new(environment);
    report.kind = Kind::Rollback;
    report.region.clone_from(&run.ending.region);
    report.cluster.clone_from(&run.cluster);
    report.service.clone_from(&run.service);
    report
        .previous_task_definition_arn
        .clone_from(&run.previous);
    report.warnings.clone_from(&run.warnings);
    if let Some(there) = &run.already_there {
        already_there(&mut report, there);
    }
    if let Some(start) = &run.started {
        started(&mut report, run, start);
    }
    if let (Some(waited), Some(start)) = (&run.waited, &run.started) {
        ended(&mut report, run, &start.to, waited);
    }
    if let Some(err) = &run.ending.error {
        let title = if report.rollback_task_definition_arn.is_some() {
            "Rollback failed"
        } else {
            "Rollback refused"
        };
        report.fail_with(title, err);
    }
    if let Some(signal) = run.ending.cancelled {
        super::cancel::cancelled(&mut report, signal);
    }
    report
}

/// The rollback the update started.
fn started(report: &mut Report, run: &RollbackRun, start: &RollbackStarted) {
    report.rollback_task_definition_arn = Some(start.to.clone());
    report.task_definition_arn = Some(start.to.clone());
    report.rolled_back_by = Some(start.by);
    report.rollback_rollout = Some(start.rollout.clone());
    if run.waited.is_none() && run.ending.error.is_none() && run.ending.cancelled.is_none() {
        // `wait` is off.
        report.succeed(Status::Started);
    }
}

/// How the rollback's rollout ended.
fn ended(report: &mut Report, run: &RollbackRun, to: &str, waited: &RollbackWaited) {
    report.rollback_rollout = Some(waited.rollout.clone());
    let mut result = ServiceResult::planned(
        run.service.as_deref().unwrap_or_default(),
        run.previous.as_deref().unwrap_or_default(),
        false,
    );
    result.task_definition_arn = Some(to.to_string());
    result.rollout = Some(waited.rollout.clone());
    result.rollback_task_definition_arn = Some(to.to_string());
    result.now = Some(waited.now.clone());
    result.rollback_state = Some(waited.state.clone());
    report.rollback_state = Some(waited.state.clone());
    let Some((reason, explanation)) = &waited.failure else {
        result.status = Status::RolledBack;
        report.services = vec![result];
        report.succeed(Status::RolledBack);
        return;
    };
    result.status = Status::Failed;
    result.failure = Some(reason.clone());
    report.services = vec![result];
    if let Some(explanation) = explanation {
        report.note_explanation(explanation);
    }
    report.fail(
        "Rollback failed",
        reason.clone(),
        Some(report.evidence_hint()),
        Exit::DeployFailed,
    );
}

/// The service already ran the revision to go back to.
fn already_there(report: &mut Report, there: &AlreadyThere) {
    report.task_definition_arn = Some(there.task_definition.clone());
    match &there.verdict {
        There::Healthy | There::NotWaited | There::Completed => report.succeed(Status::Unchanged),
        There::Failed(why) => report.fail(
            "Rollback failed",
            format!("the service already runs that revision, but {why}"),
            Some("deploy a working revision, or roll back to another with `revision`".into()),
            Exit::DeployFailed,
        ),
        There::RolloutFailed(reason) => report.fail(
            "Rollback failed",
            format!(
                "the service already runs that revision, but its rollout did not complete: {reason}"
            ),
            Some("see the service events in the step summary".into()),
            Exit::DeployFailed,
        ),
    }
}
