//! ECS's own record of a deployment (a *service deployment*, `DescribeServiceDeployments`), and
//! what it says about a deploy. Pure.
//!
//! A service deployment is the truth for every strategy: with blue/green, linear or canary, or
//! with bake time and alarms, a `COMPLETED` rollout on `DescribeServices` is not the end (ECS may
//! still be baking, and an alarm may still roll it back); `SUCCESSFUL` is, and only comes after
//! bake time. `ROLLBACK_*` means ECS owns the rollback: never start a second one on top.

pub use super::states::{HookStatus, LifecycleStage, ServiceDeploymentStatus};

/// A service deployment as `DescribeServiceDeployments` shows it, with what we decide on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceDeployment {
    pub arn: String,
    pub service_arn: String,
    pub status: ServiceDeploymentStatus,
    pub status_reason: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub hooks: Vec<Hook>,
    /// The service revision it deploys (its container images carry the digests ECS resolved).
    pub target_revision: Option<String>,
    pub source_revisions: Vec<String>,
    /// Why ECS rolled it back, when it did.
    pub rollback_reason: Option<String>,
    /// CloudWatch alarms watched, and those that went off.
    pub alarms: Vec<String>,
    pub triggered_alarms: Vec<String>,
    /// The circuit breaker's count, when it watches.
    pub circuit_breaker: Option<BreakerCount>,
    /// The deployment strategy ECS follows (`ROLLING`, `BLUE_GREEN`, `LINEAR`, `CANARY`).
    pub strategy: Option<String>,
    /// How long ECS bakes the new revision before calling the deployment successful.
    pub bake_time_minutes: Option<i32>,
    /// RFC 3339, UTC.
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub finished_at: Option<String>,
}

/// A service revision (`DescribeServiceRevisions`): ECS's snapshot of the service for one
/// deployment, with the image digests ECS resolved for it ("version consistency").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceRevision {
    pub arn: String,
    pub task_definition: String,
    pub images: Vec<ContainerImage>,
}

/// A container's image as ECS resolved it for a service revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerImage {
    pub container: String,
    /// The image as the task definition names it.
    pub image: String,
    /// The digest ECS runs (`sha256:…`).
    pub digest: Option<String>,
}

/// The circuit breaker's count of failed tasks, and the count at which it trips.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BreakerCount {
    pub failed: i32,
    pub threshold: i32,
}

/// A lifecycle hook of the deployment's current stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hook {
    pub id: String,
    pub status: HookStatus,
    /// When a PAUSE hook awaiting action times out (RFC 3339, UTC), and what ECS then does.
    pub expires_at: Option<String>,
    pub timeout_action: Option<String>,
}

/// What a service deployment says about the deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Not started yet, or under way (in `stage`; bake time included: not yet deployed).
    Underway { stage: Option<LifecycleStage> },
    /// A PAUSE hook waits for `ContinueServiceDeployment`.
    AwaitingAction {
        stage: Option<LifecycleStage>,
        hook: Hook,
    },
    /// ECS is stopping it or rolling it back: wait for the end, never roll back on top.
    RollingBack { why: String },
    /// `SUCCESSFUL`: the target revision runs and bake time is over.
    Deployed,
    /// `ROLLBACK_SUCCESSFUL`: ECS put the previous revision back.
    RolledBack { why: String },
    /// `ROLLBACK_FAILED`.
    RollbackFailed { why: String },
    /// `STOPPED` (stopped without a rollback).
    Stopped { why: String },
}

impl Standing {
    /// Whether ECS is done with the deployment.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Deployed
                | Self::RolledBack { .. }
                | Self::RollbackFailed { .. }
                | Self::Stopped { .. }
        )
    }
}

/// What the service deployment says, from its status, stage and hooks.
pub fn standing(d: &ServiceDeployment) -> Standing {
    match &d.status {
        ServiceDeploymentStatus::Successful => Standing::Deployed,
        ServiceDeploymentStatus::RollbackSuccessful => Standing::RolledBack { why: why(d) },
        ServiceDeploymentStatus::RollbackFailed => Standing::RollbackFailed { why: why(d) },
        ServiceDeploymentStatus::Stopped => Standing::Stopped { why: why(d) },
        ServiceDeploymentStatus::StopRequested
        | ServiceDeploymentStatus::RollbackRequested
        | ServiceDeploymentStatus::RollbackInProgress => Standing::RollingBack { why: why(d) },
        ServiceDeploymentStatus::Pending
        | ServiceDeploymentStatus::InProgress
        | ServiceDeploymentStatus::Other(_) => {
            match d
                .hooks
                .iter()
                .find(|h| h.status == HookStatus::AwaitingAction)
            {
                Some(hook) => Standing::AwaitingAction {
                    stage: d.lifecycle_stage.clone(),
                    hook: hook.clone(),
                },
                None => Standing::Underway {
                    stage: d.lifecycle_stage.clone(),
                },
            }
        }
    }
}

/// Why it ended or is rolling back, one line: ECS's reasons, the alarms that went off and the
/// circuit breaker's count.
pub fn why(d: &ServiceDeployment) -> String {
    let mut parts: Vec<String> = [d.rollback_reason.as_deref(), d.status_reason.as_deref()]
        .into_iter()
        .flatten()
        .filter(|r| !r.trim().is_empty())
        .map(str::to_string)
        .collect();
    parts.dedup();
    if !d.triggered_alarms.is_empty() {
        parts.push(format!(
            "alarms in ALARM: {}",
            d.triggered_alarms.join(", ")
        ));
    }
    if let Some(count) = d.circuit_breaker.filter(|c| c.failed > 0) {
        parts.push(format!(
            "circuit breaker: {} failed tasks (threshold {})",
            count.failed, count.threshold
        ));
    }
    if parts.is_empty() {
        format!("service deployment {} {}", d.arn, d.status)
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(status: &str) -> ServiceDeployment {
        ServiceDeployment {
            arn: "arn:aws:ecs:us-east-1:1:service-deployment/main/api/abc".into(),
            status: ServiceDeploymentStatus::parse(status),
            ..ServiceDeployment::default()
        }
    }

    #[test]
    fn every_status_has_its_standing() {
        let cases = [
            ("PENDING", false),
            ("IN_PROGRESS", false),
            ("SUCCESSFUL", true),
            ("STOP_REQUESTED", false),
            ("STOPPED", true),
            ("ROLLBACK_REQUESTED", false),
            ("ROLLBACK_IN_PROGRESS", false),
            ("ROLLBACK_SUCCESSFUL", true),
            ("ROLLBACK_FAILED", true),
        ];
        for (status, is_final) in cases {
            let standing = standing(&deployment(status));
            assert_eq!(standing.is_final(), is_final, "{status}: {standing:?}");
            let expected = match status {
                "PENDING" | "IN_PROGRESS" => matches!(standing, Standing::Underway { .. }),
                "SUCCESSFUL" => standing == Standing::Deployed,
                "STOPPED" => matches!(standing, Standing::Stopped { .. }),
                "ROLLBACK_SUCCESSFUL" => matches!(standing, Standing::RolledBack { .. }),
                "ROLLBACK_FAILED" => matches!(standing, Standing::RollbackFailed { .. }),
                _ => matches!(standing, Standing::RollingBack { .. }),
            };
            assert!(expected, "{status}: {standing:?}");
        }
        // A status this version does not know is not a verdict.
        assert!(!standing(&deployment("SOMETHING_NEW")).is_final());
    }

    #[test]
    fn every_stage_while_in_progress_is_underway_bake_time_included() {
        for stage in [
            "RECONCILE_SERVICE",
            "PRE_SCALE_UP",
            "SCALE_UP",
            "POST_SCALE_UP",
            "TEST_TRAFFIC_SHIFT",
            "POST_TEST_TRAFFIC_SHIFT",
            "PRODUCTION_TRAFFIC_SHIFT",
            "POST_PRODUCTION_TRAFFIC_SHIFT",
            "BAKE_TIME",
            "CLEAN_UP",
        ] {
            let mut d = deployment("IN_PROGRESS");
            d.lifecycle_stage = Some(LifecycleStage::parse(stage));
            assert_eq!(
                standing(&d),
                Standing::Underway {
                    stage: Some(LifecycleStage::parse(stage))
                },
                "{stage}"
            );
            assert!(
                !matches!(LifecycleStage::parse(stage), LifecycleStage::Other(_)),
                "{stage} is known"
            );
        }
    }

    #[test]
    fn a_pause_hook_awaiting_action_is_said_with_its_expiry() {
        let mut d = deployment("IN_PROGRESS");
        d.lifecycle_stage = Some(LifecycleStage::PostTestTrafficShift);
        let hook = Hook {
            id: "hook-1".into(),
            status: HookStatus::AwaitingAction,
            expires_at: Some("2026-12-06T12:00:00Z".into()),
            timeout_action: Some("ROLLBACK".into()),
        };
        d.hooks = vec![
            Hook {
                id: "hook-0".into(),
                status: HookStatus::Succeeded,
                ..Hook::default()
            },
            hook.clone(),
        ];
        assert_eq!(
            standing(&d),
            Standing::AwaitingAction {
                stage: Some(LifecycleStage::PostTestTrafficShift),
                hook
            }
        );
        // Once ECS rolls it back, a hook left awaiting does not matter.
        d.status = ServiceDeploymentStatus::RollbackInProgress;
        assert!(matches!(standing(&d), Standing::RollingBack { .. }));
    }

    #[test]
    fn a_rollback_says_why_with_the_alarms_and_the_circuit_breakers_count() {
        let mut d = deployment("ROLLBACK_SUCCESSFUL");
        d.rollback_reason = Some("Alarm triggered during bake time".into());
        d.status_reason = Some("Alarm triggered during bake time".into());
        d.triggered_alarms = vec!["api-5xx".into(), "api-latency".into()];
        d.circuit_breaker = Some(BreakerCount {
            failed: 0,
            threshold: 10,
        });
        assert_eq!(
            standing(&d),
            Standing::RolledBack {
                why: "Alarm triggered during bake time; alarms in ALARM: api-5xx, api-latency"
                    .into()
            }
        );
        d.triggered_alarms.clear();
        d.rollback_reason = None;
        d.status_reason = Some("tasks failed to start".into());
        d.circuit_breaker = Some(BreakerCount {
            failed: 10,
            threshold: 10,
        });
        assert_eq!(
            why(&d),
            "tasks failed to start; circuit breaker: 10 failed tasks (threshold 10)"
        );
        d.status_reason = None;
        d.circuit_breaker = None;
        assert_eq!(
            why(&d),
            "service deployment arn:aws:ecs:us-east-1:1:service-deployment/main/api/abc ROLLBACK_SUCCESSFUL"
        );
    }
}
