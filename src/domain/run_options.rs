//! How a run goes, as the request says: what a cancel does to the rollouts started, and when a
//! wait ends well.

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
