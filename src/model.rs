//! Our own view of ECS objects, filled by [`crate::aws::ecs`] and read by the pure modules.

use serde::Serialize;

/// A service as `DescribeServices` shows it, with only what we decide on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    pub status: String,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub deployments: Vec<Deployment>,
    /// Newest first, as ECS returns them.
    pub events: Vec<ServiceEvent>,
}

impl ServiceState {
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }

    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }
}

/// One deployment of a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub task_definition: String,
    pub desired: i32,
    pub running: i32,
    pub pending: i32,
    pub failed_tasks: i32,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED` (absent for some deployment controllers).
    pub rollout_state: Option<String>,
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

/// The revision part of a task definition ARN (`family:42`), for display.
pub fn short_task_definition(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
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
