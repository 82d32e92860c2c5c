//! What came of the writes: where a deployment stood, who rolled back and how that went, how a
//! one-off task ran. Values the stages return and the report reads.

use std::time::Duration;

use super::service::{DeploymentTarget, ServiceState};
use super::states::{RolloutState, TaskStatus};
use super::task::StoppedTask;
use super::taskdef::logs::LogLocation;

/// Where a deployment stood when we last read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    pub deployment_id: String,
    pub state: Option<RolloutState>,
    pub running: i32,
    pub desired: i32,
}

impl Rollout {
    /// Where `target`'s deployment stands in `state` (the service's counts when it is not listed).
    pub fn of(state: &ServiceState, target: &DeploymentTarget) -> Self {
        let ours = state.deployment(&target.deployment_id);
        Self {
            deployment_id: target.deployment_id.clone(),
            state: ours.and_then(|d| d.rollout_state.clone()),
            running: ours.map_or(state.running, |d| d.running),
            desired: ours.map_or(state.desired, |d| d.desired),
        }
    }
}

/// Who put a service back on its previous revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolledBackBy {
    /// ECS's deployment circuit breaker, after our deployment failed.
    CircuitBreaker,
    /// ECS, because CloudWatch alarms went off (during the rollout or its bake time).
    Alarms,
    /// ECS, for another reason its service deployment gives (a lifecycle hook that failed).
    Ecs,
    /// Another deployment of the previous revision (someone else's), found in place of ours.
    AnotherDeployment,
    /// ecs-ship, by updating the service.
    EcsShip,
}

impl RolledBackBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CircuitBreaker => "ECS (circuit breaker)",
            Self::Alarms => "ECS (CloudWatch alarms)",
            Self::Ecs => "ECS",
            Self::AnotherDeployment => "another deployment",
            Self::EcsShip => "ecs-ship",
        }
    }
}

/// What became of a rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackState {
    /// It completed: the service runs the revision it ran before.
    Completed,
    /// Started, but how it went could not be read.
    Unverified(String),
    /// Its own rollout failed (or timed out, or was superseded).
    Failed(String),
    /// The update that would start it failed; the service is where the failed rollout left it.
    NotStarted(String),
}

/// How a one-off task (the pre-deploy task) ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRun {
    pub task_definition_arn: String,
    pub container: String,
    pub task_arn: Option<String>,
    /// The last status seen (`STOPPED` once it ended); `None` before the first.
    pub last_status: Option<TaskStatus>,
    /// The exit code of `container`.
    pub exit_code: Option<i32>,
    pub task: Option<StoppedTask>,
    pub log: Option<LogLocation>,
    /// After a failure: the last lines its failed essential containers wrote.
    pub output: Option<TaskLogs>,
    pub succeeded: bool,
    /// Its verdict is in: it stopped, or waiting for it ended (a cancel leaves it `false`).
    pub ended: bool,
    /// Why it failed, one line.
    pub failure: Option<String>,
    pub duration: Duration,
}

impl TaskRun {
    /// A task about to run `task_definition_arn`: nothing known yet.
    pub fn new(task_definition_arn: String, container: String) -> Self {
        Self {
            task_definition_arn,
            container,
            task_arn: None,
            last_status: None,
            exit_code: None,
            task: None,
            log: None,
            output: None,
            succeeded: false,
            ended: false,
            failure: None,
            duration: Duration::ZERO,
        }
    }
}

/// The last lines one container of a failed task wrote to its awslogs stream, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLog {
    pub task_id: String,
    pub container: String,
    /// `group` and `stream`, for the reader who wants more.
    pub group: String,
    pub stream: Option<String>,
    /// Oldest first; every environment value and secret reference replaced by `***`.
    pub lines: Vec<String>,
    /// Why there are no lines (no stream yet, no permission, no stream prefix).
    pub unread: Option<String>,
}

/// The logs of failed tasks, and the values the runner is asked to mask before they are shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskLogs {
    pub logs: Vec<TaskLog>,
    /// The task definitions' environment values (for `::add-mask::`).
    pub masks: Vec<String>,
}
