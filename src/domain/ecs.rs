//! Our own view of ECS objects, filled by [`crate::aws::ecs`] and read by the pure modules.

use serde::Serialize;

pub use super::arn::short_task_definition;
pub use super::states::{DeploymentStatus, RolloutState, ServiceStatus, StopCode, TaskStatus};

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

/// A service's rollout settings (`deploymentConfiguration` and the health check grace period).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeploymentSettings {
    pub maximum_percent: Option<i32>,
    pub minimum_healthy_percent: Option<i32>,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub health_check_grace_period: Option<i32>,
    pub strategy: Option<DeploymentStrategy>,
    /// Minutes ECS bakes a new revision before it calls the deployment successful.
    pub bake_time_minutes: Option<i32>,
    /// The canary step (`canaryConfiguration`).
    pub canary: TrafficStep,
    /// Each linear step (`linearConfiguration`).
    pub linear: TrafficStep,
    /// CloudWatch alarms that fail (and roll back) a deployment.
    pub alarms: Option<Alarms>,
    /// The service's lifecycle hooks, one line each: infrastructure, shown and never changed.
    pub lifecycle_hooks: Vec<String>,
    /// Which tags ECS copies onto the service's tasks: `TASK_DEFINITION`, `SERVICE` or `NONE`.
    pub propagate_tags: Option<String>,
    pub enable_ecs_managed_tags: Option<bool>,
    pub enable_execute_command: Option<bool>,
}

pub use super::states::DeploymentStrategy;

/// How a strategy is written in `deployment.strategy`.
pub fn strategy_input(strategy: &DeploymentStrategy) -> &str {
    match strategy {
        DeploymentStrategy::Rolling => "rolling",
        DeploymentStrategy::BlueGreen => "blue-green",
        DeploymentStrategy::Linear => "linear",
        DeploymentStrategy::Canary => "canary",
        DeploymentStrategy::Other(other) => other,
    }
}

/// A share of traffic shifted in one step, and how long ECS bakes after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TrafficStep {
    pub percent: Option<Tenths>,
    pub bake_minutes: Option<i32>,
}

impl TrafficStep {
    fn or(self, other: Self) -> Self {
        Self {
            percent: self.percent.or(other.percent),
            bake_minutes: self.bake_minutes.or(other.bake_minutes),
        }
    }

    pub fn is_set(&self) -> bool {
        self.percent.is_some() || self.bake_minutes.is_some()
    }
}

/// A percentage in tenths (ECS takes multiples of 0.1): `Tenths(125)` is 12.5 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Tenths(pub u16);

impl Tenths {
    /// The percentage ECS's API takes, from the nearest tenth.
    pub fn from_percent(percent: f64) -> Option<Self> {
        let tenths = (percent * 10.0).round();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        (0.0..=1000.0)
            .contains(&tenths)
            .then_some(Self(tenths as u16))
    }

    pub fn percent(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_multiple_of(10) {
            write!(f, "{}", self.0 / 10)
        } else {
            write!(f, "{}.{}", self.0 / 10, self.0 % 10)
        }
    }
}

/// CloudWatch alarms ECS watches during a deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Alarms {
    pub names: Vec<String>,
    pub enable: bool,
    /// Roll back when one goes off.
    pub rollback: bool,
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
            strategy: wanted.strategy.clone().or_else(|| self.strategy.clone()),
            bake_time_minutes: wanted.bake_time_minutes.or(self.bake_time_minutes),
            canary: wanted.canary.or(self.canary),
            linear: wanted.linear.or(self.linear),
            alarms: wanted.alarms.clone().or_else(|| self.alarms.clone()),
            lifecycle_hooks: self.lifecycle_hooks.clone(),
            propagate_tags: wanted
                .propagate_tags
                .clone()
                .or_else(|| self.propagate_tags.clone()),
            enable_ecs_managed_tags: wanted
                .enable_ecs_managed_tags
                .or(self.enable_ecs_managed_tags),
            enable_execute_command: wanted
                .enable_execute_command
                .or(self.enable_execute_command),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether the service has a PAUSE lifecycle hook (where a deployment waits for
    /// `ContinueServiceDeployment`).
    pub fn has_pause_hook(&self) -> bool {
        self.lifecycle_hooks.iter().any(|h| h.starts_with("PAUSE "))
    }

    /// What differs from these settings in `to`, one `what: before → after` line each.
    pub fn changes(&self, to: &Self) -> Vec<String> {
        fn show<T: ToString>(v: Option<T>, unit: &str) -> String {
            v.map_or_else(
                || "(unset)".to_string(),
                |v| format!("{}{unit}", v.to_string()),
            )
        }
        let mut lines = Vec::new();
        let mut line = |what: &str, before: String, after: String| {
            if before != after {
                lines.push(format!("{what}: {before} → {after}"));
            }
        };
        line(
            "strategy",
            show(self.strategy.as_ref(), ""),
            show(to.strategy.as_ref(), ""),
        );
        line(
            "bake time",
            show(self.bake_time_minutes, " min"),
            show(to.bake_time_minutes, " min"),
        );
        for (what, before, after) in [
            ("canary", self.canary, to.canary),
            ("linear step", self.linear, to.linear),
        ] {
            line(
                &format!("{what} traffic"),
                show(before.percent, " %"),
                show(after.percent, " %"),
            );
            line(
                &format!("{what} bake time"),
                show(before.bake_minutes, " min"),
                show(after.bake_minutes, " min"),
            );
        }
        let alarms = |a: Option<&Alarms>| match a {
            Some(a) if a.enable && !a.names.is_empty() => format!(
                "{}{}",
                a.names.join(", "),
                if a.rollback { " (roll back)" } else { "" }
            ),
            Some(_) => "off".to_string(),
            None => "(unset)".to_string(),
        };
        line(
            "alarms",
            alarms(self.alarms.as_ref()),
            alarms(to.alarms.as_ref()),
        );
        let breaker = |c: Option<CircuitBreaker>| match c {
            Some(c) if c.enable => format!("on{}", if c.rollback { " with rollback" } else { "" }),
            Some(_) => "off".to_string(),
            None => "(unset)".to_string(),
        };
        line(
            "circuit breaker",
            breaker(self.circuit_breaker),
            breaker(to.circuit_breaker),
        );
        line(
            "maximum percent",
            show(self.maximum_percent, " %"),
            show(to.maximum_percent, " %"),
        );
        line(
            "minimum healthy percent",
            show(self.minimum_healthy_percent, " %"),
            show(to.minimum_healthy_percent, " %"),
        );
        line(
            "health check grace period",
            show(self.health_check_grace_period, " s"),
            show(to.health_check_grace_period, " s"),
        );
        line(
            "propagate tags",
            show(self.propagate_tags.as_ref(), ""),
            show(to.propagate_tags.as_ref(), ""),
        );
        let on = |b: Option<bool>| show(b.map(|b| if b { "on" } else { "off" }), "");
        line(
            "ECS managed tags",
            on(self.enable_ecs_managed_tags),
            on(to.enable_ecs_managed_tags),
        );
        line(
            "execute command",
            on(self.enable_execute_command),
            on(to.enable_execute_command),
        );
        lines
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

/// What a cancelled deploy (SIGTERM, SIGINT) does to the rollouts it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnCancel {
    /// Leave them: ECS carries on.
    #[default]
    Leave,
    /// Roll them back before exiting.
    Rollback,
}

/// When a wait ends well: the deployment is done, or waits at a PAUSE lifecycle hook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WaitUntil {
    /// ECS's service deployment is SUCCESSFUL (bake time over).
    #[default]
    Deployed,
    /// It waits at a PAUSE hook for `ContinueServiceDeployment` (or is deployed, when it never
    /// pauses).
    Paused,
}

impl WaitUntil {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployed => "deployed",
            Self::Paused => "paused",
        }
    }
}

/// One service being watched.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Not named by the update's answer: to be found among those `ListServiceDeployments` shows
    /// created since the update was sent at this time (less [`CLOCK_SKEW`]), by the task
    /// definition it deploys (see [`crate::watch::service_deployments::ours`]).
    SentAt(std::time::SystemTime),
    /// Not looked for (a rollback ECS started itself): judged from `DescribeServices` alone.
    Unknown,
}

/// How far our clock may be ahead of AWS's when we look for a service deployment by the time it
/// was created.
pub const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(2);

impl ServiceDeploymentRef {
    /// The service deployment an update sent at `sent` created: the service's current one when it
    /// is new, else one to find among those created since.
    pub fn after_update(
        before: &ServiceState,
        after: &ServiceState,
        sent: std::time::SystemTime,
    ) -> Self {
        match &after.current_service_deployment {
            Some(arn) if before.current_service_deployment.as_ref() != Some(arn) => {
                Self::Known(arn.clone())
            }
            _ => Self::SentAt(sent),
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
            ..DeploymentSettings::default()
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
                health_check_grace_period: Some(120),
                ..DeploymentSettings::default()
            }
        );
    }

    #[test]
    fn tenths_read_and_print_like_the_api_and_people() {
        assert_eq!(Tenths::from_percent(12.5), Some(Tenths(125)));
        assert_eq!(Tenths::from_percent(5.0), Some(Tenths(50)));
        assert_eq!(
            Tenths::from_percent(100.0).map(|t| t.to_string()),
            Some("100".into())
        );
        assert_eq!(Tenths(125).to_string(), "12.5");
        assert!((Tenths(31).percent() - 3.1).abs() < 1e-9);
        assert_eq!(Tenths::from_percent(-1.0), None);
        assert_eq!(Tenths::from_percent(f64::NAN), None);
    }

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
