//! ECS service deployments: `ListServiceDeployments` and `DescribeServiceDeployments`, turned
//! into [`ServiceDeployment`]s. The watch reads them for its verdict
//! ([`crate::domain::deployment::standing`]); both are called from a polling loop, so with
//! fewer attempts than other calls (the loop tries again).

use std::time::SystemTime;

use anyhow::Context;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::CreatedAt;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use super::Clients;
use super::ecs::{POLL_ATTEMPTS, fewer_attempts};
use super::sdk_error;
use crate::cloud::{HookAction, ServiceDeploymentBrief, ServiceDeployments, StopType};
use crate::domain::deployment::{
    BreakerCount, ContainerImage, Hook, HookStatus, LifecycleStage, ServiceDeployment,
    ServiceDeploymentStatus, ServiceRevision,
};

/// `DescribeServiceDeployments` takes at most this many ARNs.
pub const DESCRIBE_LIMIT: usize = 20;

/// Pages of `ListServiceDeployments` read at most (100 each): a deploy looks for the one its
/// update just created, near the top.
const MAX_PAGES: usize = 3;

/// The service deployments of a service created at or after `created_after`, as ECS lists them.
pub async fn list_service_deployments(
    client: &Client,
    cluster: &str,
    service: &str,
    created_after: SystemTime,
) -> anyhow::Result<Vec<ServiceDeploymentBrief>> {
    let mut briefs = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let out = client
            .list_service_deployments()
            .cluster(cluster)
            .service(service)
            .created_at(
                CreatedAt::builder()
                    .after(DateTime::from(created_after))
                    .build(),
            )
            .max_results(100)
            .set_next_token(token)
            .customize()
            .config_override(fewer_attempts(POLL_ATTEMPTS))
            .send()
            .await
            .map_err(sdk_error)
            .with_context(|| {
                format!("listing the service deployments of `{service}` in cluster `{cluster}`")
            })?;
        briefs.extend(out.service_deployments().iter().filter_map(|d| {
            Some(ServiceDeploymentBrief {
                arn: d.service_deployment_arn()?.to_string(),
                created_at: d.created_at().and_then(|t| SystemTime::try_from(*t).ok()),
                status: ServiceDeploymentStatus::parse(d.status().map_or("", |s| s.as_str())),
                target_revision: d.target_service_revision_arn().map(str::to_string),
            })
        }));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(briefs)
}

/// Describes service deployments (at most [`DESCRIBE_LIMIT`]); those ECS reports as failures
/// (a deployment it does not know) are left out.
pub async fn describe_service_deployments(
    client: &Client,
    arns: &[String],
) -> anyhow::Result<Vec<ServiceDeployment>> {
    anyhow::ensure!(
        arns.len() <= DESCRIBE_LIMIT,
        "DescribeServiceDeployments takes at most {DESCRIBE_LIMIT} deployments, not {}",
        arns.len()
    );
    let out = client
        .describe_service_deployments()
        .set_service_deployment_arns(Some(arns.to_vec()))
        .customize()
        .config_override(fewer_attempts(POLL_ATTEMPTS))
        .send()
        .await
        .map_err(sdk_error)
        .context("describing service deployments")?;
    Ok(out
        .service_deployments()
        .iter()
        .map(service_deployment)
        .collect())
}

fn time(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
}

fn service_deployment(d: &aws_sdk_ecs::types::ServiceDeployment) -> ServiceDeployment {
    ServiceDeployment {
        arn: d.service_deployment_arn().unwrap_or_default().to_string(),
        service_arn: d.service_arn().unwrap_or_default().to_string(),
        status: ServiceDeploymentStatus::parse(d.status().map_or("", |s| s.as_str())),
        status_reason: d.status_reason().map(str::to_string),
        lifecycle_stage: d
            .lifecycle_stage()
            .map(|s| LifecycleStage::parse(s.as_str())),
        hooks: d
            .lifecycle_hook_details()
            .iter()
            .map(|h| Hook {
                id: h.hook_id().unwrap_or_default().to_string(),
                status: HookStatus::parse(h.status().map_or("", |s| s.as_str())),
                expires_at: time(h.expires_at()),
                timeout_action: h.timeout_action().map(|a| a.as_str().to_string()),
            })
            .collect(),
        target_revision: d
            .target_service_revision()
            .and_then(|r| r.arn())
            .map(str::to_string),
        source_revisions: d
            .source_service_revisions()
            .iter()
            .filter_map(|r| r.arn().map(str::to_string))
            .collect(),
        rollback_reason: d.rollback().and_then(|r| r.reason()).map(str::to_string),
        alarms: d
            .alarms()
            .map(|a| a.alarm_names().to_vec())
            .unwrap_or_default(),
        triggered_alarms: d
            .alarms()
            .map(|a| a.triggered_alarm_names().to_vec())
            .unwrap_or_default(),
        circuit_breaker: d.deployment_circuit_breaker().map(|cb| BreakerCount {
            failed: cb.failure_count(),
            threshold: cb.threshold(),
        }),
        strategy: d
            .deployment_configuration()
            .and_then(|c| c.strategy())
            .map(|s| s.as_str().to_string()),
        bake_time_minutes: d
            .deployment_configuration()
            .and_then(aws_sdk_ecs::types::DeploymentConfiguration::bake_time_in_minutes),
        created_at: time(d.created_at()),
        updated_at: time(d.updated_at()),
        finished_at: time(d.finished_at()),
    }
}

/// `ContinueServiceDeployment` on a hook awaiting action.
pub async fn continue_service_deployment(
    client: &Client,
    arn: &str,
    hook_id: &str,
    action: HookAction,
) -> anyhow::Result<()> {
    client
        .continue_service_deployment()
        .service_deployment_arn(arn)
        .hook_id(hook_id)
        .action(aws_sdk_ecs::types::DeploymentLifecycleHookAction::from(
            action.as_str(),
        ))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| {
            format!(
                "{} service deployment {arn} at hook {hook_id}",
                action.as_str()
            )
        })?;
    Ok(())
}

/// `StopServiceDeployment`.
pub async fn stop_service_deployment(
    client: &Client,
    arn: &str,
    stop: StopType,
) -> anyhow::Result<()> {
    client
        .stop_service_deployment()
        .service_deployment_arn(arn)
        .stop_type(aws_sdk_ecs::types::StopServiceDeploymentStopType::from(
            stop.as_str(),
        ))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("stopping service deployment {arn} ({})", stop.as_str()))?;
    Ok(())
}

/// `DescribeServiceRevisions` (at most 20): the image digests ECS resolved for each.
pub async fn describe_service_revisions(
    client: &Client,
    arns: &[String],
) -> anyhow::Result<Vec<ServiceRevision>> {
    anyhow::ensure!(
        arns.len() <= DESCRIBE_LIMIT,
        "DescribeServiceRevisions takes at most {DESCRIBE_LIMIT} revisions, not {}",
        arns.len()
    );
    let out = client
        .describe_service_revisions()
        .set_service_revision_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(sdk_error)
        .context("describing service revisions")?;
    Ok(out
        .service_revisions()
        .iter()
        .map(|r| ServiceRevision {
            arn: r.service_revision_arn().unwrap_or_default().to_string(),
            task_definition: r.task_definition().unwrap_or_default().to_string(),
            images: r
                .container_images()
                .iter()
                .map(|c| ContainerImage {
                    container: c.container_name().unwrap_or_default().to_string(),
                    image: c.image().unwrap_or_default().to_string(),
                    digest: c.image_digest().map(str::to_string),
                })
                .collect(),
        })
        .collect())
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl ServiceDeployments for Clients {
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: std::time::SystemTime,
    ) -> anyhow::Result<Vec<ServiceDeploymentBrief>> {
        list_service_deployments(&self.ecs, cluster, service, created_after).await
    }
    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> anyhow::Result<Vec<ServiceDeployment>> {
        describe_service_deployments(&self.ecs, arns).await
    }
    async fn describe_service_revisions(
        &self,
        arns: &[String],
    ) -> anyhow::Result<Vec<ServiceRevision>> {
        describe_service_revisions(&self.ecs, arns).await
    }
    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: HookAction,
    ) -> anyhow::Result<()> {
        continue_service_deployment(&self.ecs, arn, hook_id, action).await
    }
    async fn stop_service_deployment(&self, arn: &str, stop: StopType) -> anyhow::Result<()> {
        stop_service_deployment(&self.ecs, arn, stop).await
    }
}
