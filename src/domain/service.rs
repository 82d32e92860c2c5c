//! A service as ECS shows it: its state, deployments, events, placement and load balancer
//! targets, filled by [`crate::aws::ecs`]; and what an update's answer says about the deployment
//! it started and the one it replaced.

use serde::Serialize;

use super::arn::short_task_definition;
use super::deployment_settings::DeploymentSettings;
use super::states::{DeploymentStatus, RolloutState, ServiceStatus};

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
    /// Target groups of the load balancers that have no advanced configuration (alternate
    /// target group, listener rules, role): blue/green, linear and canary need it.
    pub without_advanced: Vec<String>,
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
    /// When ECS created it (`createdAt`).
    pub created_at: Option<std::time::SystemTime>,
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
/// there before (a forced deployment of the same revision gets a new id). What it replaced is
/// read from the update's own answer (see [`replaced`]), not from `before`: someone may have
/// deployed between our last read and our update.
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
        previous: Some(replaced(before, after, &primary.id)),
    })
}

/// The task definition the service ran right before deployment `ours` took over: in the
/// update's answer, the newest other deployment (ECS keeps the one it replaced as ACTIVE while
/// its tasks drain), by `createdAt`; when ECS gives no times, the PRIMARY of `before` if it is
/// still listed; else what `before` ran.
pub fn replaced(before: &ServiceState, after: &ServiceState, ours: &str) -> String {
    let others = after.deployments.iter().filter(|d| d.id != ours);
    if let Some(newest) = others
        .clone()
        .filter(|d| d.created_at.is_some())
        .max_by_key(|d| d.created_at)
    {
        return newest.task_definition.clone();
    }
    before
        .primary()
        .filter(|p| others.clone().any(|d| d.id == p.id))
        .map_or_else(
            || before.task_definition.clone(),
            |p| p.task_definition.clone(),
        )
}

/// Someone deployed `service` between our last read and our update: what our update replaced is
/// theirs, and a rollback goes back to it, not to what we read.
pub fn changed_under_us(service: &str, read: &str, replaced: &str) -> String {
    format!(
        "{service} changed while this deploy ran: it ran {} when read and {} when updated (another deploy or the console updated it in between); this deploy replaced {1}, and a rollback goes back to it",
        short_task_definition(read),
        short_task_definition(replaced),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revision_an_update_replaced_comes_from_its_answer() {
        use std::time::{Duration, SystemTime};
        let at = |s: u64| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        let dep = |id: &str, status: &str, td: &str, created_at| Deployment {
            id: id.into(),
            status: DeploymentStatus::parse(status),
            task_definition: td.into(),
            created_at,
            ..Deployment::default()
        };
        let service = |deployments: Vec<Deployment>, td: &str| ServiceState {
            task_definition: td.into(),
            deployments,
            ..ServiceState::default()
        };
        let before = service(vec![dep("a", "PRIMARY", "api:1", at(10))], "api:1");
        // Someone's api:3 landed between our read and our update: ours replaced it.
        let after = service(
            vec![
                dep("ours", "PRIMARY", "api:2", at(30)),
                dep("theirs", "ACTIVE", "api:3", at(29)),
                dep("a", "ACTIVE", "api:1", at(10)),
            ],
            "api:2",
        );
        let target = started_deployment(&before, &after, "api:2").unwrap();
        assert_eq!(target.previous.as_deref(), Some("api:3"));
        // Without times: the PRIMARY we read, when the answer still lists it; else what we read.
        let untimed = service(
            vec![
                dep("ours", "PRIMARY", "api:2", None),
                dep("a", "ACTIVE", "api:1", None),
            ],
            "api:2",
        );
        assert_eq!(replaced(&before, &untimed, "ours"), "api:1");
        let alone = service(vec![dep("ours", "PRIMARY", "api:2", at(30))], "api:2");
        assert_eq!(replaced(&before, &alone, "ours"), "api:1");
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
