//! The outcome of a run, and the job outputs made from it.
//!
//! A [`Report`] is built once, when the run has ended, from what its stages returned
//! ([`deploy::build`], [`rollback::build`]), so a failure at any step still reports what was known
//! (what was registered, which deployment was started). [`summary`] renders it as Markdown.

pub mod cancel;
mod cells;
pub mod console;
pub mod deploy;
mod judged;
pub mod links;
pub mod markdown;
pub mod resume;
pub mod rollback;
mod sections;
pub mod summary;

use std::time::Duration;

use serde_json::Value;

use crate::command::{self, Command};
use crate::domain::deployment::{HookStatus, ServiceDeployment};
pub use crate::domain::outcome::{RollbackState, Rollout};
use crate::domain::service::{ServiceEvent, TargetHealth};
use crate::domain::task::StoppedTask;
use crate::domain::taskdef::diff::TaskDefDiff;
use crate::error::Exit;
use crate::text::one_line;

/// How a run ended; the `status` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The rollout completed on our task definition.
    Deployed,
    /// The service was updated and `wait` was off: nobody checked the rollout.
    Started,
    /// Nothing changed; no revision registered, the service left alone.
    Unchanged,
    /// `verify`: the checks found nothing that would stop the deploy; nothing changed.
    Verified,
    /// The deploy failed and the service was put back on its previous revision (by ECS's circuit
    /// breaker or by us); for the rollback command, the rollback completed.
    RolledBack,
    /// Waiting at a PAUSE lifecycle hook, as `wait: paused` asked: not deployed yet.
    Paused,
    /// The job was cancelled while waiting.
    Cancelled,
    Failed,
    /// A service the deploy left alone because an earlier step failed (the pre-deploy task).
    NotUpdated,
    /// `run-task`: the task stopped and its essential containers exited 0.
    Completed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployed => "deployed",
            Self::Started => "started",
            Self::Unchanged => "unchanged",
            Self::Verified => "verified",
            Self::RolledBack => "rolled-back",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
            Self::NotUpdated => "not-updated",
            Self::Completed => "completed",
        }
    }
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// A short title for the annotation (`Rollout failed`, `Invalid input`).
    pub title: String,
    pub message: String,
    pub hint: Option<String>,
}

/// How one service of a deploy ended (the `services` output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceResult {
    pub service: String,
    pub previous_task_definition_arn: String,
    pub task_definition_arn: Option<String>,
    pub changed: bool,
    pub status: Status,
    pub rollout: Option<Rollout>,
    pub rollback_task_definition_arn: Option<String>,
    /// What became of the rollback to `rollback_task_definition_arn`.
    pub rollback_state: Option<RollbackState>,
    pub failure: Option<String>,
    /// Where the service stands at the end, as far as it is known (after a failure).
    pub now: Option<String>,
    /// ECS's record of our deployment (its service deployment), as last read.
    pub service_deployment: Option<ServiceDeployment>,
    /// Its ARN, known from the update's answer even when it was not read (`wait: false`).
    pub service_deployment_arn: Option<String>,
}

impl ServiceResult {
    /// A service as planned: nothing done to it yet.
    pub fn planned(service: &str, live_task_definition: &str, changed: bool) -> Self {
        Self {
            service: service.to_string(),
            previous_task_definition_arn: live_task_definition.to_string(),
            task_definition_arn: None,
            changed,
            status: Status::Unchanged,
            rollout: None,
            rollback_task_definition_arn: None,
            rollback_state: None,
            failure: None,
            now: None,
            service_deployment: None,
            service_deployment_arn: None,
        }
    }

    /// ECS's service deployment of this service's rollout, read or only named.
    pub fn service_deployment_arn(&self) -> Option<&str> {
        self.service_deployment
            .as_ref()
            .map(|d| d.arn.as_str())
            .or(self.service_deployment_arn.as_deref())
    }
}

/// A container's image as ECS resolved it for the deployment, beside the digest ecs-ship
/// checked in ECR (for the containers it set the image of).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedImage {
    pub service: String,
    pub container: String,
    pub image: String,
    pub digest: Option<String>,
    /// The digest ecs-ship checked (and pinned, with `pin-image-digest`).
    pub expected: Option<String>,
}

impl DeployedImage {
    /// ECS runs another digest than the one ecs-ship checked.
    pub fn differs(&self) -> bool {
        matches!((&self.digest, &self.expected), (Some(d), Some(e)) if d != e)
    }
}

/// A command whose report is built once from its record; `warnings` are those known before it
/// ran (the GitHub deployment's).
pub trait Reported: Command {
    fn report(&self, record: &Self::Record, warnings: Vec<String>) -> Report;
}

impl Reported for command::deploy::Deploy<'_> {
    fn report(&self, record: &Self::Record, warnings: Vec<String>) -> Report {
        deploy::build(record, &self.req.target.environment, warnings)
    }
}

impl Reported for command::run_task::RunTask<'_> {
    fn report(&self, record: &Self::Record, warnings: Vec<String>) -> Report {
        deploy::build(record, &self.req.target.environment, warnings)
    }
}

impl Reported for command::verify::Verify<'_> {
    fn report(&self, record: &Self::Record, warnings: Vec<String>) -> Report {
        deploy::build(record, &self.req.target.environment, warnings)
    }
}

impl Reported for command::rollback::Rollback<'_> {
    fn report(&self, record: &Self::Record, warnings: Vec<String>) -> Report {
        let mut report = rollback::build(record, &self.req.target.environment);
        report.warnings.splice(0..0, warnings);
        report
    }
}

impl Reported for command::resume::Resume<'_> {
    fn report(&self, record: &Self::Record, warnings: Vec<String>) -> Report {
        let mut report = resume::build(record, self.req);
        report.warnings.splice(0..0, warnings);
        report
    }
}

/// Which command ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Deploy,
    Rollback,
    /// `run-task`: the one-off task alone.
    RunTask,
}

/// Everything known about a run, for outputs, the summary and the exit code.
#[derive(Debug, Clone)]
pub struct Report {
    pub kind: Kind,
    /// `schedules`: the scheduled jobs moved to the new revisions after the verified deploy.
    pub schedules_moved: Vec<crate::apply::schedules::MovedSchedule>,
    pub status: Status,
    pub environment: String,
    pub region: Option<String>,
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub image_tag: Option<String>,
    /// The image reference written into the task definition.
    pub image: Option<String>,
    pub image_digest: Option<String>,
    /// False when the image is outside ECR and could not be checked.
    pub image_verified: bool,
    pub containers: Vec<String>,
    pub previous_task_definition_arn: Option<String>,
    pub task_definition_arn: Option<String>,
    pub changed: bool,
    pub diff: Option<TaskDefDiff>,
    /// The rollout settings the deploy changes (the first service's), one line each.
    pub settings_changes: Vec<String>,
    /// The images ECS runs for each deployed service, as it resolved them.
    pub deployed_images: Vec<DeployedImage>,
    /// The first service's lifecycle hooks (infrastructure, unchanged), one line each.
    pub lifecycle_hooks: Vec<String>,
    /// The rendered task definition with env values redacted (`verify`).
    pub rendered: Option<Value>,
    pub rollout: Option<Rollout>,
    /// Old revisions deregistered after success (`keep-revisions`).
    pub deregistered: usize,
    /// The tag added to the image in ECR after success (`promote-tag`).
    pub promoted_tag: Option<String>,
    /// What the pre-deploy task will run, for `verify` (which runs nothing).
    pub pre_deploy_planned: Option<String>,
    /// The one-off task run before the services were updated.
    pub pre_deploy: Option<crate::domain::outcome::TaskRun>,
    /// The CloudWatch Logs group (and its region) of the first updated container, for a link.
    pub log_group: Option<(String, String)>,
    /// The GitHub deployment the run reported to.
    pub github_deployment_id: Option<u64>,
    /// Every service of the deploy; the single-service fields above describe the first one.
    pub services: Vec<ServiceResult>,
    /// The revision the service was put back on after a failure.
    pub rollback_task_definition_arn: Option<String>,
    /// Who rolled back: ECS's circuit breaker, another deployment, or ecs-ship.
    pub rolled_back_by: Option<crate::domain::outcome::RolledBackBy>,
    /// Where the rollback stood when we stopped watching it.
    pub rollback_rollout: Option<Rollout>,
    /// The service deployment ECS rolled back when the rollback was ECS's (asked for by
    /// ecs-ship at a hook or by stopping it, or its own).
    pub rollback_through: Option<String>,
    /// What became of the (first service's) rollback.
    pub rollback_state: Option<RollbackState>,
    /// Tasks of our deployment that stopped with a failure, newest first.
    pub failed_tasks: Vec<StoppedTask>,
    /// Load balancer targets that are unhealthy or belong to our failed tasks.
    pub target_health: Vec<TargetHealth>,
    pub events: Vec<ServiceEvent>,
    pub failure: Option<Failure>,
    /// What the preflight found, when it ran.
    pub preflight: Option<crate::preflight::Preflight>,
    /// What failed tasks (of the deployment, or the pre-deploy task) printed last, masked.
    pub task_logs: crate::domain::outcome::TaskLogs,
    pub warnings: Vec<String>,
    pub duration: Duration,
    pub exit: Exit,
}

impl Report {
    pub fn new(environment: &str) -> Self {
        Self {
            kind: Kind::Deploy,
            schedules_moved: Vec::new(),
            status: Status::Failed,
            environment: environment.to_string(),
            region: None,
            cluster: None,
            service: None,
            image_tag: None,
            image: None,
            image_digest: None,
            image_verified: false,
            containers: Vec::new(),
            previous_task_definition_arn: None,
            task_definition_arn: None,
            changed: false,
            diff: None,
            settings_changes: Vec::new(),
            deployed_images: Vec::new(),
            lifecycle_hooks: Vec::new(),
            rendered: None,
            rollout: None,
            services: Vec::new(),
            pre_deploy: None,
            pre_deploy_planned: None,
            github_deployment_id: None,
            log_group: None,
            promoted_tag: None,
            deregistered: 0,
            rollback_task_definition_arn: None,
            rolled_back_by: None,
            rollback_rollout: None,
            rollback_through: None,
            rollback_state: None,
            failed_tasks: Vec::new(),
            target_health: Vec::new(),
            events: Vec::new(),
            failure: None,
            preflight: None,
            task_logs: crate::domain::outcome::TaskLogs::default(),
            warnings: Vec::new(),
            duration: Duration::ZERO,
            exit: Exit::Failure,
        }
    }

    /// Marks the run failed with an error's message, hint and exit code.
    pub fn fail_with(&mut self, title: &str, err: &anyhow::Error) {
        let (message, hint) = crate::error::describe(err);
        self.fail(title, message, hint, crate::error::exit_for(err));
    }

    pub fn fail(&mut self, title: &str, message: String, hint: Option<String>, exit: Exit) {
        self.status = Status::Failed;
        self.failure = Some(Failure {
            title: title.to_string(),
            message,
            hint,
        });
        self.exit = exit;
    }

    pub fn succeed(&mut self, status: Status) {
        self.status = status;
        self.failure = None;
        self.exit = Exit::Success;
    }

    /// Why a rollout failed: its stopped tasks, events and target health, and what could not be
    /// read of them.
    pub fn note_explanation(&mut self, explanation: &crate::watch::diagnose::Explanation) {
        self.failed_tasks.clone_from(&explanation.failed_tasks);
        self.events.clone_from(&explanation.events);
        self.target_health.clone_from(&explanation.target_health);
        self.warnings.extend(explanation.warnings.iter().cloned());
        self.add_task_logs(&explanation.task_logs);
    }

    /// The hint of a failed rollout: where in the summary to look.
    pub fn evidence_hint(&self) -> String {
        if self.task_logs.logs.iter().any(|l| l.unread.is_none()) {
            "see the stopped tasks, what they printed last and the service events in the step summary".into()
        } else {
            "see the stopped tasks and service events in the step summary".into()
        }
    }

    /// Adds the logs of failed tasks (and what the runner must mask before they are printed).
    pub fn add_task_logs(&mut self, logs: &crate::domain::outcome::TaskLogs) {
        self.task_logs.logs.extend(logs.logs.iter().cloned());
        for value in &logs.masks {
            if !self.task_logs.masks.contains(value) {
                self.task_logs.masks.push(value.clone());
            }
        }
    }

    /// The single-service `rollout` field follows the first service's.
    pub fn follow_first_rollout(&mut self) {
        self.rollout = self.services.first().and_then(|s| s.rollout.clone());
    }

    /// The GitHub deployment the run reported to, and what went wrong reporting.
    pub fn note_github(&mut self, id: Option<u64>, warnings: Vec<String>) {
        self.github_deployment_id = id;
        self.warnings.extend(warnings);
    }

    /// The GitHub deployment state for how the run ended (`state`, description); `None` leaves
    /// it `in_progress`.
    pub fn github_state(&self) -> Option<(&'static str, String)> {
        let why = || {
            self.failure
                .as_ref()
                .map_or_else(String::new, |f| format!(": {}", f.message))
        };
        match self.status {
            Status::Deployed => Some(("success", "Deployed".to_string())),
            Status::Unchanged => Some(("success", "Nothing changed".to_string())),
            Status::RolledBack => Some(("failure", format!("Rolled back{}", why()))),
            Status::Failed | Status::NotUpdated => Some(("failure", format!("Failed{}", why()))),
            Status::Cancelled => Some(("error", "Cancelled".to_string())),
            // Started without waiting, or paused at a hook: not decided yet; it stays in
            // progress.
            // (No GitHub deployment is made for `verify` or `run-task`.)
            Status::Started | Status::Verified | Status::Paused | Status::Completed => None,
        }
    }

    /// ECS's record of the first service's deployment, as last read.
    pub fn first_service_deployment(&self) -> Option<&ServiceDeployment> {
        self.services.first()?.service_deployment.as_ref()
    }

    /// The `services` output: one JSON object per service.
    pub fn services_json(&self) -> String {
        let list: Vec<serde_json::Value> = self
            .services
            .iter()
            .map(|s| {
                serde_json::json!({
                    "service": s.service,
                    "status": s.status.as_str(),
                    "changed": s.changed,
                    "task-definition-arn": s.task_definition_arn.clone().unwrap_or_default(),
                    "previous-task-definition-arn": s.previous_task_definition_arn,
                    "rollback-task-definition-arn": s.rollback_task_definition_arn.clone().unwrap_or_default(),
                    "failure-reason": one_line(s.failure.as_deref().unwrap_or_default()),
                    "service-deployment-arn": s.service_deployment_arn().unwrap_or_default(),
                    "schedules": self
                        .schedules_moved
                        .iter()
                        .filter(|m| m.service == s.service)
                        .map(|m| serde_json::json!({"kind": m.kind, "name": m.name, "from": m.from, "to": m.to}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::Value::Array(list).to_string()
    }

    /// The job outputs, in a stable order. Every declared output is always written, and each is
    /// one line (see [`one_line`]).
    pub fn outputs(&self) -> Vec<(&'static str, String)> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let outputs = vec![
            ("status", self.status.as_str().to_string()),
            ("changed", self.changed.to_string()),
            ("task-definition-arn", text(&self.task_definition_arn)),
            (
                "previous-task-definition-arn",
                text(&self.previous_task_definition_arn),
            ),
            ("image", text(&self.image)),
            ("image-digest", text(&self.image_digest)),
            (
                "rollback-task-definition-arn",
                text(&self.rollback_task_definition_arn),
            ),
            (
                "failure-reason",
                self.failure
                    .as_ref()
                    .map_or_else(String::new, |f| f.message.clone()),
            ),
            ("services", self.services_json()),
            (
                "service-deployment-arn",
                self.services
                    .first()
                    .and_then(ServiceResult::service_deployment_arn)
                    .unwrap_or_default()
                    .to_string(),
            ),
            (
                "lifecycle-stage",
                self.first_service_deployment()
                    .and_then(|d| d.lifecycle_stage.as_ref())
                    .map_or_else(String::new, |s| s.as_str().to_string()),
            ),
            (
                "hook-id",
                self.first_service_deployment()
                    .and_then(|d| {
                        d.hooks
                            .iter()
                            .find(|h| h.status == HookStatus::AwaitingAction)
                    })
                    .map_or_else(String::new, |h| h.id.clone()),
            ),
            (
                "one-off-task-arn",
                self.pre_deploy
                    .as_ref()
                    .and_then(|p| p.task_arn.clone())
                    .unwrap_or_default(),
            ),
            (
                "one-off-task-exit-code",
                self.pre_deploy
                    .as_ref()
                    .and_then(|p| p.exit_code)
                    .map_or_else(String::new, |c| c.to_string()),
            ),
            (
                "preflight-findings",
                self.preflight.as_ref().map_or_else(String::new, |p| {
                    serde_json::json!({
                        "checks": p.checks,
                        "problems": p.problems,
                        "warnings": p.warnings,
                        "notes": p.notes,
                    })
                    .to_string()
                }),
            ),
            (
                "github-deployment-id",
                self.github_deployment_id
                    .map_or_else(String::new, |id| id.to_string()),
            ),
            ("duration-seconds", self.duration.as_secs().to_string()),
        ];
        outputs
            .into_iter()
            .map(|(name, value)| (name, one_line(&value)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_complete_even_for_an_early_failure() {
        let mut report = Report::new("dev");
        report.fail("Invalid input", "bad".into(), None, Exit::UserError);
        let outputs = report.outputs();
        let names: Vec<_> = outputs.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "status",
                "changed",
                "task-definition-arn",
                "previous-task-definition-arn",
                "image",
                "image-digest",
                "rollback-task-definition-arn",
                "failure-reason",
                "services",
                "service-deployment-arn",
                "lifecycle-stage",
                "hook-id",
                "one-off-task-arn",
                "one-off-task-exit-code",
                "preflight-findings",
                "github-deployment-id",
                "duration-seconds"
            ]
        );
        assert_eq!(outputs[0].1, "failed");
        assert_eq!(outputs[1].1, "false");
    }

    proptest::proptest! {
        #[test]
        fn every_output_is_one_line(reason in "(.|\n|\r|\u{2028}){0,80}", service in "(.|\n){0,20}") {
            let mut report = Report::new("dev");
            report.fail("Rollout failed", reason, None, Exit::DeployFailed);
            report.services.push(ServiceResult {
                service,
                previous_task_definition_arn: "a\nb".into(),
                task_definition_arn: None,
                changed: false,
                status: Status::Failed,
                rollout: None,
                rollback_task_definition_arn: None,
                rollback_state: None,
                failure: Some("x\r\ny".into()),
                now: None,
                service_deployment: None,
                service_deployment_arn: None,
            });
            for (name, value) in report.outputs() {
                proptest::prop_assert!(!value.contains(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}']), "{name}: {value:?}");
                proptest::prop_assert_eq!(value.trim(), value.as_str());
            }
        }
    }

    #[test]
    fn success_clears_the_failure() {
        let mut report = Report::new("dev");
        report.fail("x", "y".into(), None, Exit::Failure);
        report.succeed(Status::Deployed);
        assert_eq!(
            (report.status, report.exit, report.failure),
            (Status::Deployed, Exit::Success, None)
        );
    }

    #[test]
    fn the_final_state_follows_the_outcome() {
        let mut report = Report::new("dev");
        report.succeed(Status::Deployed);
        assert_eq!(report.github_state().unwrap().0, "success");
        report.fail(
            "Rollout failed",
            "3 tasks failed".into(),
            None,
            crate::error::Exit::DeployFailed,
        );
        report.status = Status::RolledBack;
        assert_eq!(
            report.github_state().unwrap(),
            ("failure", "Rolled back: 3 tasks failed".to_string())
        );
        report.status = Status::Cancelled;
        assert_eq!(report.github_state().unwrap().0, "error");
        report.succeed(Status::Started);
        assert_eq!(report.github_state(), None);
    }
}
