//! The fixed vocabularies of ECS as enums: service, deployment, rollout and task states, and why
//! a task stopped. [`crate::aws`] turns the SDK's strings and enums into these at the edge; a
//! value this version does not know is kept as `Other`, as ECS wrote it.

use std::fmt;

macro_rules! ecs_vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version does not know, as ECS wrote it.
            Other(String),
        }

        impl $name {
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_string()),
                }
            }

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::parse(text)
            }
        }

        impl Default for $name {
            /// Nothing said (an empty value): not one of the known states.
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

ecs_vocabulary! {
    /// How ECS moves a service to a new revision (`deploymentConfiguration.strategy`).
    DeploymentStrategy {
        /// Replace tasks in place, `minimumHealthyPercent`/`maximumPercent` at a time.
        Rolling = "ROLLING",
        /// Start the new revision beside the old, shift all traffic at once, bake, clean up.
        BlueGreen = "BLUE_GREEN",
        /// Shift traffic in equal steps, baking between steps.
        Linear = "LINEAR",
        /// Shift a canary share of traffic, bake, then the rest.
        Canary = "CANARY",
    }
}

ecs_vocabulary! {
    /// A service's status.
    ServiceStatus {
        Active = "ACTIVE",
        Draining = "DRAINING",
        Inactive = "INACTIVE",
    }
}

ecs_vocabulary! {
    /// A deployment's role in its service: the one being rolled out, or an older one.
    DeploymentStatus {
        /// The deployment the service is rolling out (or has rolled out).
        Primary = "PRIMARY",
        /// An older deployment still running tasks.
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
}

ecs_vocabulary! {
    /// How far a deployment's rollout is.
    RolloutState {
        InProgress = "IN_PROGRESS",
        Completed = "COMPLETED",
        Failed = "FAILED",
    }
}

ecs_vocabulary! {
    /// A task's `lastStatus`.
    TaskStatus {
        Provisioning = "PROVISIONING",
        Pending = "PENDING",
        Activating = "ACTIVATING",
        Running = "RUNNING",
        Deactivating = "DEACTIVATING",
        Stopping = "STOPPING",
        Deprovisioning = "DEPROVISIONING",
        Stopped = "STOPPED",
    }
}

ecs_vocabulary! {
    /// Why a task stopped, in ECS's words.
    StopCode {
        TaskFailedToStart = "TaskFailedToStart",
        EssentialContainerExited = "EssentialContainerExited",
        UserInitiated = "UserInitiated",
        ServiceSchedulerInitiated = "ServiceSchedulerInitiated",
        SpotInterruption = "SpotInterruption",
        TerminationNotice = "TerminationNotice",
    }
}

ecs_vocabulary! {
    /// Where a service deployment (ECS's own record of one `UpdateService`) stands.
    ServiceDeploymentStatus {
        Pending = "PENDING",
        InProgress = "IN_PROGRESS",
        Successful = "SUCCESSFUL",
        StopRequested = "STOP_REQUESTED",
        Stopped = "STOPPED",
        RollbackRequested = "ROLLBACK_REQUESTED",
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        RollbackSuccessful = "ROLLBACK_SUCCESSFUL",
        RollbackFailed = "ROLLBACK_FAILED",
    }
}

ecs_vocabulary! {
    /// The stage a service deployment is in, in the order ECS goes through them.
    LifecycleStage {
        ReconcileService = "RECONCILE_SERVICE",
        PreScaleUp = "PRE_SCALE_UP",
        ScaleUp = "SCALE_UP",
        PostScaleUp = "POST_SCALE_UP",
        TestTrafficShift = "TEST_TRAFFIC_SHIFT",
        PostTestTrafficShift = "POST_TEST_TRAFFIC_SHIFT",
        ProductionTrafficShift = "PRODUCTION_TRAFFIC_SHIFT",
        PostProductionTrafficShift = "POST_PRODUCTION_TRAFFIC_SHIFT",
        BakeTime = "BAKE_TIME",
        CleanUp = "CLEAN_UP",
    }
}

ecs_vocabulary! {
    /// Where a lifecycle hook stands; a PAUSE hook waits in `AWAITING_ACTION`.
    HookStatus {
        InProgress = "IN_PROGRESS",
        AwaitingAction = "AWAITING_ACTION",
        Succeeded = "SUCCEEDED",
        Failed = "FAILED",
        TimedOut = "TIMED_OUT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_ones_are_kept() {
        assert_eq!(RolloutState::parse("COMPLETED"), RolloutState::Completed);
        assert_eq!(RolloutState::Failed.as_str(), "FAILED");
        assert_eq!(DeploymentStatus::parse("PRIMARY").to_string(), "PRIMARY");
        let new = TaskStatus::parse("HIBERNATING");
        assert_eq!(new, TaskStatus::Other("HIBERNATING".into()));
        assert_eq!(new.as_str(), "HIBERNATING");
        assert_eq!(StopCode::parse("UserInitiated"), StopCode::UserInitiated);
        assert_eq!(ServiceStatus::default().as_str(), "");
    }
}
