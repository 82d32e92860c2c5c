//! A service's rollout settings as ECS keeps them (`deploymentConfiguration`, the strategy, bake
//! time, traffic steps, alarms), merged with what a deploy asks for and described change by
//! change.

use serde::Serialize;

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

use super::states::DeploymentStrategy;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
