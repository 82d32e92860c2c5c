//! Our own view of ECS objects, filled by [`crate::aws::ecs`] and read by the pure modules.

use serde::Serialize;

pub use super::arn::short_task_definition;
pub use super::states::{DeploymentStatus, RolloutState, ServiceStatus, StopCode, TaskStatus};

/// An ECS name (cluster, service, family, container): 1 to 255 letters, digits, `-` and `_`.
pub fn is_ecs_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A container environment variable or secret name, as ECS takes it.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A deploy environment name (the `environment` input, a GitHub environment).
pub fn is_environment_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A resource tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A service as `DescribeServices` shows it, with only what we decide on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    pub status: ServiceStatus,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub deployments: Vec<Deployment>,
    /// Newest first, as ECS returns them.
    pub events: Vec<ServiceEvent>,
    pub settings: DeploymentSettings,
    /// The service's tags (for the production gate).
    pub tags: Vec<Tag>,
    pub load_balanced: bool,
    /// Target groups of the service's load balancers.
    pub target_groups: Vec<String>,
    /// Where and how the service's tasks run, for one-off tasks run like them.
    pub placement: Placement,
    /// ECS's record of the service's latest deployment (`currentServiceDeployment`), when ECS
    /// names it.
    pub current_service_deployment: Option<String>,
}

/// How a service places its tasks: what `RunTask` needs to start a task the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// `FARGATE`, `EC2` or `EXTERNAL`; absent when a capacity provider strategy is used.
    pub launch_type: Option<String>,
    pub capacity_providers: Vec<CapacityProvider>,
    pub platform_version: Option<String>,
    /// The `awsvpc` network configuration (Fargate and awsvpc tasks need one).
    pub network: Option<AwsVpc>,
}

/// One item of a capacity provider strategy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CapacityProvider {
    pub name: String,
    pub weight: i32,
    pub base: i32,
}

/// An `awsvpc` network configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AwsVpc {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
}

/// One target of a load balancer target group, as `DescribeTargetHealth` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetHealth {
    /// The target group's name (the ARN's `targetgroup/<name>/...` part).
    pub target_group: String,
    /// For `ip` targets (Fargate), the task's private IP.
    pub target: String,
    pub port: Option<i32>,
    /// `healthy`, `unhealthy`, `initial`, `draining`, `unused`, `unavailable`.
    pub state: String,
    pub reason: Option<String>,
    pub description: Option<String>,
    /// Whether the target is one of our deployment's failed tasks.
    pub ours: bool,
}

/// A service's rollout settings (`deploymentConfiguration` and the health check grace period).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeploymentSettings {
    pub maximum_percent: Option<i32>,
    pub minimum_healthy_percent: Option<i32>,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub health_check_grace_period: Option<i32>,
}

/// The deployment circuit breaker: whether it watches rollouts, and whether it rolls back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

impl DeploymentSettings {
    /// These settings with every value `wanted` sets replacing ours.
    #[must_use]
    pub fn merged(&self, wanted: &Self) -> Self {
        Self {
            maximum_percent: wanted.maximum_percent.or(self.maximum_percent),
            minimum_healthy_percent: wanted
                .minimum_healthy_percent
                .or(self.minimum_healthy_percent),
            circuit_breaker: wanted.circuit_breaker.or(self.circuit_breaker),
            health_check_grace_period: wanted
                .health_check_grace_period
                .or(self.health_check_grace_period),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A task that stopped, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoppedTask {
    pub arn: String,
    pub task_definition: String,
    /// For service tasks, the id of the deployment that started them.
    pub started_by: String,
    pub stop_code: Option<StopCode>,
    pub stopped_reason: Option<String>,
    /// RFC 3339, UTC.
    pub stopped_at: Option<String>,
    pub containers: Vec<ContainerExit>,
    /// The task's private IP (awsvpc), to match load balancer targets.
    pub private_ip: Option<String>,
}

/// How one container of a stopped task ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerExit {
    pub name: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

impl StoppedTask {
    /// The task id (the last part of its ARN).
    pub fn id(&self) -> &str {
        super::arn::name_of(&self.arn)
    }

    /// Whether the task stopped because something was wrong with it (failed to start, an
    /// essential container exited, a health check failed), not because it was scaled in or
    /// stopped by a person.
    pub fn is_failure(&self) -> bool {
        let reason = self
            .stopped_reason
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match &self.stop_code {
            Some(StopCode::TaskFailedToStart | StopCode::EssentialContainerExited) => true,
            Some(StopCode::UserInitiated) => false,
            _ => {
                reason.contains("health check")
                    || reason.contains("cannotpull")
                    || self
                        .containers
                        .iter()
                        .any(|c| c.exit_code.is_some_and(|code| code != 0))
            }
        }
    }

    /// One line: why the task stopped, with each container that exited non-zero or has a reason.
    pub fn cause(&self) -> String {
        let mut parts = vec![
            self.stopped_reason
                .clone()
                .unwrap_or_else(|| "stopped (no reason given)".into()),
        ];
        if let Some(code) = &self.stop_code {
            parts[0] = format!("{} [{code}]", parts[0]);
        }
        for c in &self.containers {
            match (c.exit_code, &c.reason) {
                (Some(code), Some(reason)) => {
                    parts.push(format!("{} exited {code}: {reason}", c.name));
                }
                (Some(code), None) if code != 0 => parts.push(format!("{} exited {code}", c.name)),
                (None, Some(reason)) => parts.push(format!("{}: {reason}", c.name)),
                _ => {}
            }
        }
        parts.join("; ")
    }
}

impl ServiceState {
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }

    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }
}

/// One deployment of a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed_tasks: i32,
    /// Absent for some deployment controllers.
    pub rollout_state: Option<RolloutState>,
    pub rollout_state_reason: Option<String>,
}

/// A service event message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceEvent {
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub message: String,
}

/// The deployment a rollout is judged on: the one a deploy (or a rollback) started, or one in
/// progress that a run waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentTarget {
    pub deployment_id: String,
    pub task_definition: String,
    /// What the service ran just before our update (for telling ECS's rollback from someone
    /// else's deployment); `None` when it is not known.
    pub previous: Option<String>,
}

/// The deployment an update started: a PRIMARY deployment of `task_definition` that was not
/// there before (a forced deployment of the same revision gets a new id).
pub fn started_deployment(
    before: &ServiceState,
    after: &ServiceState,
    task_definition: &str,
) -> Option<DeploymentTarget> {
    let primary = after.primary()?;
    let is_new = before.deployment(&primary.id).is_none();
    (is_new && primary.task_definition == task_definition).then(|| DeploymentTarget {
        deployment_id: primary.id.clone(),
        task_definition: task_definition.to_string(),
        previous: Some(before.task_definition.clone()),
    })
}

/// Where a service stands, one line: the revision its PRIMARY deployment runs and how far.
pub fn where_it_stands(state: &ServiceState) -> String {
    match state.primary() {
        Some(p) => format!(
            "runs {} (deployment {} {} {}/{})",
            short_task_definition(&p.task_definition),
            p.id,
            p.rollout_state.as_ref().map_or("-", RolloutState::as_str),
            p.running,
            p.desired
        ),
        None => format!(
            "runs {} ({}/{})",
            short_task_definition(&state.task_definition),
            state.running,
            state.desired
        ),
    }
}

/// One service being watched.
#[derive(Debug, Clone)]
pub struct Watched {
    pub cluster: String,
    /// The service as it looked right after the update (its events so far are not news).
    pub initial: ServiceState,
    pub target: DeploymentTarget,
    /// ECS's record of the deployment (a service deployment), which has the last word on it.
    pub service_deployment: ServiceDeploymentRef,
}

/// How to find the service deployment ECS created for a deployment we watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceDeploymentRef {
    /// Its ARN: the service's `currentServiceDeployment` right after the update.
    Known(String),
    /// Not named by the update's answer: the first one `ListServiceDeployments` shows created at
    /// or after this time (the update's, less [`CLOCK_SKEW`]).
    CreatedAfter(std::time::SystemTime),
    /// Not looked for (a rollback ECS started itself): judged from `DescribeServices` alone.
    Unknown,
}

/// How far our clock may be ahead of AWS's when we look for a service deployment by the time it
/// was created.
pub const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(2);

impl ServiceDeploymentRef {
    /// The service deployment an update sent at `sent` created: the service's current one when it
    /// is new, else the first created since.
    pub fn after_update(
        before: &ServiceState,
        after: &ServiceState,
        sent: std::time::SystemTime,
    ) -> Self {
        match &after.current_service_deployment {
            Some(arn) if before.current_service_deployment.as_ref() != Some(arn) => {
                Self::Known(arn.clone())
            }
            _ => Self::CreatedAfter(sent.checked_sub(CLOCK_SKEW).unwrap_or(sent)),
        }
    }

    /// The service deployment of a rollout already in progress: the service's current one.
    pub fn current(state: &ServiceState) -> Self {
        state
            .current_service_deployment
            .clone()
            .map_or(Self::Unknown, Self::Known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(stop_code: Option<&str>, reason: &str, exit: Option<i32>) -> StoppedTask {
        StoppedTask {
            arn: "arn:aws:ecs:us-east-1:123456789012:task/main/abc123".into(),
            stop_code: stop_code.map(StopCode::from),
            stopped_reason: Some(reason.into()),
            containers: vec![ContainerExit {
                name: "app".into(),
                exit_code: exit,
                reason: None,
            }],
            ..StoppedTask::default()
        }
    }

    #[test]
    fn failures_are_told_from_scale_in_and_manual_stops() {
        assert!(
            task(
                Some("EssentialContainerExited"),
                "Essential container in task exited",
                Some(1)
            )
            .is_failure()
        );
        assert!(
            task(
                Some("TaskFailedToStart"),
                "CannotPullContainerError: not found",
                None
            )
            .is_failure()
        );
        assert!(
            task(
                Some("ServiceSchedulerInitiated"),
                "Task failed ELB health checks in (target-group x)",
                Some(0)
            )
            .is_failure()
        );
        assert!(
            !task(
                Some("ServiceSchedulerInitiated"),
                "Scaling activity initiated by (deployment ecs-svc/1)",
                Some(0)
            )
            .is_failure()
        );
        assert!(!task(Some("UserInitiated"), "stopped by ops", Some(137)).is_failure());
    }

    #[test]
    fn cause_names_the_stop_code_and_container_exits() {
        let mut t = task(
            Some("EssentialContainerExited"),
            "Essential container in task exited",
            Some(1),
        );
        t.containers[0].reason =
            Some("OutOfMemoryError: Container killed due to memory usage".into());
        assert_eq!(
            t.cause(),
            "Essential container in task exited [EssentialContainerExited]; app exited 1: OutOfMemoryError: Container killed due to memory usage"
        );
        assert_eq!(t.id(), "abc123");
    }

    #[test]
    fn settings_merge_only_what_is_wanted() {
        let current = DeploymentSettings {
            maximum_percent: Some(200),
            minimum_healthy_percent: Some(50),
            circuit_breaker: None,
            health_check_grace_period: Some(120),
        };
        let wanted = DeploymentSettings {
            minimum_healthy_percent: Some(100),
            circuit_breaker: Some(CircuitBreaker {
                enable: true,
                rollback: true,
            }),
            ..DeploymentSettings::default()
        };
        let merged = current.merged(&wanted);
        assert_eq!(
            merged,
            DeploymentSettings {
                maximum_percent: Some(200),
                minimum_healthy_percent: Some(100),
                circuit_breaker: Some(CircuitBreaker {
                    enable: true,
                    rollback: true,
                }),
                health_check_grace_period: Some(120)
            }
        );
    }

    #[test]
    fn short_names_drop_the_arn_prefix() {
        assert_eq!(
            super::short_task_definition(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
            ),
            "api:7"
        );
        assert_eq!(super::short_task_definition("api:7"), "api:7");
    }
}
