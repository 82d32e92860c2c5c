//! Reading why a rollout failed beyond what the watcher saw: the load balancer's view of the
//! failed tasks. Best effort: what cannot be read becomes a warning, never a failure.

use std::collections::HashSet;

use crate::cloud::{LoadBalancers, Logs, Region, TaskDefinitions};
use crate::domain::outcome::TaskLogs;
use crate::domain::service::{ServiceEvent, ServiceState, TargetHealth};
use crate::domain::task::StoppedTask;
use crate::gather::task_logs;
use crate::watch::{Outcome, Verdict};

/// At most this many target groups are read.
const MAX_TARGET_GROUPS: usize = 5;

/// Why a deploy failed, from its first failed rollout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Explanation {
    /// Tasks of our deployment that stopped with a failure, newest first.
    pub failed_tasks: Vec<StoppedTask>,
    /// The service's last events (at most 10).
    pub events: Vec<ServiceEvent>,
    /// Load balancer targets that are unhealthy or belong to our failed tasks.
    pub target_health: Vec<TargetHealth>,
    /// What could not be read.
    pub warnings: Vec<String>,
    /// The last lines the failed tasks' essential containers wrote (masked).
    pub task_logs: TaskLogs,
}

/// The first failed outcome's stopped tasks, events, target health and the last `log_lines`
/// lines of its failed tasks' logs (read concurrently); `None` when none failed.
pub async fn explain<C: LoadBalancers + Logs + TaskDefinitions + Region>(
    cloud: &C,
    outcomes: &[Outcome],
    log_lines: u16,
) -> Option<Explanation> {
    let outcome = outcomes
        .iter()
        .find(|o| matches!(o.verdict, Verdict::Failed { .. }))?;
    let ((target_health, warnings), task_logs) = tokio::join!(
        target_health(cloud, &outcome.last_state, &outcome.failures),
        task_logs::read(cloud, &outcome.failures, log_lines),
    );
    Some(Explanation {
        failed_tasks: outcome.failures.clone(),
        events: outcome.last_state.events.iter().take(10).cloned().collect(),
        target_health,
        warnings,
        task_logs,
    })
}

/// The targets of the service's target groups that are not healthy, or that are our failed
/// tasks; ours first. Errors (no permission, say) come back as warnings.
pub async fn target_health<C: LoadBalancers>(
    cloud: &C,
    service: &ServiceState,
    failures: &[StoppedTask],
) -> (Vec<TargetHealth>, Vec<String>) {
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for arn in service.target_groups.iter().take(MAX_TARGET_GROUPS) {
        match cloud.target_health(arn).await {
            Ok(targets) => found.extend(targets),
            Err(err) => warnings.push(format!("target health could not be read: {err:#}")),
        }
    }
    (relevant(found, failures), warnings)
}

/// Marks our failed tasks' targets and keeps those and every unhealthy one, ours first. Pure.
pub fn relevant(targets: Vec<TargetHealth>, failures: &[StoppedTask]) -> Vec<TargetHealth> {
    let ours: HashSet<&str> = failures
        .iter()
        .filter_map(|t| t.private_ip.as_deref())
        .collect();
    let mut kept: Vec<TargetHealth> = targets
        .into_iter()
        .map(|mut t| {
            t.ours = ours.contains(t.target.as_str());
            t
        })
        .filter(|t| t.ours || t.state != "healthy")
        .collect();
    kept.sort_by_key(|t| !t.ours);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(ip: &str, state: &str) -> TargetHealth {
        TargetHealth {
            target_group: "api".into(),
            target: ip.into(),
            port: Some(8080),
            state: state.into(),
            ..TargetHealth::default()
        }
    }

    #[test]
    fn our_tasks_come_first_and_healthy_strangers_are_dropped() {
        let failures = [StoppedTask {
            private_ip: Some("10.0.0.7".into()),
            ..StoppedTask::default()
        }];
        let kept = relevant(
            vec![
                target("10.0.0.1", "healthy"),
                target("10.0.0.2", "unhealthy"),
                target("10.0.0.7", "unhealthy"),
            ],
            &failures,
        );
        let shown: Vec<(&str, bool)> = kept.iter().map(|t| (t.target.as_str(), t.ours)).collect();
        assert_eq!(shown, [("10.0.0.7", true), ("10.0.0.2", false)]);
    }
}
