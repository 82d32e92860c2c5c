//! The report of `continue` and of `rollback` with `service-deployment-arn`, built once from what
//! the command did ([`ResumeRun`]).

use crate::command::resume::{Acted, ResumeRun};
use crate::domain::outcome::{RollbackState, RolledBackBy, Rollout};
use crate::error::Exit;
use crate::request::{HookAction, ResumeRequest};
use crate::watch::{Cause, Verdict};

use super::{Kind, Report, ServiceResult, Status};

/// The report of the command.
pub fn build(run: &ResumeRun, req: &ResumeRequest) -> Report {
    let mut report = Report::new(&req.target.environment);
    let rolling_back = req.action == HookAction::Rollback;
    if rolling_back {
        report.kind = Kind::Rollback;
    }
    report.region.clone_from(&run.ending.region);
    report.cluster = Some(req.deployment.cluster.clone());
    report.service = Some(req.deployment.service.clone());
    report.warnings.clone_from(&run.warnings);
    if let Some(service) = &run.service {
        let mut result = ServiceResult::planned(&service.name, &service.task_definition, false);
        result.task_definition_arn = Some(service.task_definition.clone());
        result.service_deployment = run
            .outcome
            .as_ref()
            .and_then(|o| o.service_deployment.clone())
            .or_else(|| run.before.clone());
        report.task_definition_arn = Some(service.task_definition.clone());
        report.services = vec![result];
    }
    if let Some(outcome) = &run.outcome {
        let rollout = Rollout::of(
            &outcome.last_state,
            &crate::command::resume::primary_target(&outcome.last_state),
        );
        report.rollout = Some(rollout.clone());
        if let Some(result) = report.services.first_mut() {
            result.rollout = Some(rollout);
            result.now = Some(outcome.where_it_stands());
        }
        judged(&mut report, run, rolling_back);
    } else if run.ending.error.is_none() && run.ending.cancelled.is_none() && run.acted.is_some() {
        // `wait` is off.
        report.succeed(Status::Started);
    }
    if let Some(err) = &run.ending.error {
        let title = match (rolling_back, &run.acted) {
            (true, None) => "Rollback refused",
            (false, None) => "Continue refused",
            (true, Some(_)) => "Rollback failed",
            (false, Some(_)) => "Rollout failed",
        };
        report.fail_with(title, err);
    }
    if let Some(signal) = run.ending.cancelled {
        super::cancel::cancelled(&mut report, signal);
    }
    report
}

/// The status from the verdict: for `continue`, deployed (or paused again) is a success; for a
/// rollback, ECS's rollback that completed is.
fn judged(report: &mut Report, run: &ResumeRun, rolling_back: bool) {
    let Some(outcome) = &run.outcome else {
        return;
    };
    let ecs_rolled_back = |report: &mut Report, state: &RollbackState| {
        report.rolled_back_by = Some(match &run.acted {
            Some(Acted::AtHook { .. } | Acted::Stopped) => RolledBackBy::EcsShip,
            _ => RolledBackBy::Ecs,
        });
        report.rollback_state = Some(state.clone());
        if let Some(result) = report.services.first_mut() {
            result.rollback_state = Some(state.clone());
        }
    };
    match (&outcome.verdict, rolling_back) {
        (Verdict::Completed, false) => set_status(report, Status::Deployed),
        (Verdict::Paused { .. }, false) => set_status(report, Status::Paused),
        (
            Verdict::Failed {
                cause: Cause::EcsRollback { state, .. },
                reason,
            },
            true,
        ) => {
            ecs_rolled_back(report, state);
            if *state == RollbackState::Completed {
                let back = outcome.last_state.task_definition.clone();
                report.rollback_task_definition_arn = Some(back.clone());
                if let Some(result) = report.services.first_mut() {
                    result.rollback_task_definition_arn = Some(back);
                }
                set_status(report, Status::RolledBack);
            } else {
                fail(report, run, "Rollback failed", reason.clone());
            }
        }
        (Verdict::Completed, true) => fail(
            report,
            run,
            "Rollback failed",
            "the service deployment completed instead of rolling back".into(),
        ),
        (Verdict::Paused { .. }, true) => fail(
            report,
            run,
            "Rollback failed",
            format!(
                "the deployment is {}",
                outcome.verdict.paused_line().unwrap_or_default()
            ),
        ),
        (Verdict::Failed { reason, cause }, false) => {
            if let Cause::EcsRollback { state, .. } = cause {
                ecs_rolled_back(report, state);
            }
            fail(report, run, "Rollout failed", reason.clone());
            if matches!(
                cause,
                Cause::EcsRollback {
                    state: RollbackState::Completed,
                    ..
                }
            ) {
                report.status = Status::RolledBack;
            }
        }
        (Verdict::Failed { reason, .. }, true) => {
            fail(report, run, "Rollback failed", reason.clone());
        }
    }
}

fn set_status(report: &mut Report, status: Status) {
    if let Some(result) = report.services.first_mut() {
        result.status = status;
    }
    report.succeed(status);
}

fn fail(report: &mut Report, run: &ResumeRun, title: &str, reason: String) {
    if let Some(result) = report.services.first_mut() {
        result.status = Status::Failed;
        result.failure = Some(reason.clone());
    }
    if let Some(explanation) = &run.explanation {
        report.note_explanation(explanation);
    }
    report.fail(
        title,
        reason,
        Some("see ECS's service deployment, the stopped tasks and service events in the step summary".into()),
        Exit::DeployFailed,
    );
}
