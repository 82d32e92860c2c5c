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

/// Which scheduled jobs a verified deploy moves to the new revision (`schedules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchedulesToMove {
    /// Every rule and schedule that ran the revision a changed service ran before.
    Follow,
    /// Only these: rule names, and schedules as `group/name` (or `name` in group `default`).
    Named(Vec<String>),
}

impl SchedulesToMove {
    /// Whether the rule or schedule `name` (`group/name` for a schedule) is one to move.
    pub fn includes(&self, name: &str) -> bool {
        match self {
            Self::Follow => true,
            Self::Named(names) => names
                .iter()
                .any(|n| n == name || name.strip_prefix("default/").is_some_and(|bare| n == bare)),
        }
    }
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
