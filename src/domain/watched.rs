//! A rollout being watched: the service, the deployment it is judged on, and how ECS's record of
//! it (its service deployment) is found.

use super::service::{DeploymentTarget, ServiceState};

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
