//! A task that stopped, and why, as `DescribeTasks` shows it.

use serde::Serialize;

use super::states::StopCode;

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
}
