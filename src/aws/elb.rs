//! Elastic Load Balancing: target health of a service's target groups.

use anyhow::Context;
use aws_sdk_elasticloadbalancingv2::Client;

use super::Clients;
use super::sdk_error;
use crate::cloud::LoadBalancers;
use crate::domain::service::TargetHealth;

/// The health of every target of a target group.
pub async fn target_health(
    client: &Client,
    target_group_arn: &str,
) -> anyhow::Result<Vec<TargetHealth>> {
    let out = client
        .describe_target_health()
        .target_group_arn(target_group_arn)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("reading target health of `{target_group_arn}`"))?;
    let name = crate::domain::arn::target_group_name(target_group_arn).to_string();
    Ok(out
        .target_health_descriptions()
        .iter()
        .map(|d| TargetHealth {
            target_group: name.clone(),
            target: d
                .target()
                .and_then(|t| t.id())
                .unwrap_or_default()
                .to_string(),
            port: d
                .target()
                .and_then(aws_sdk_elasticloadbalancingv2::types::TargetDescription::port),
            state: d
                .target_health()
                .and_then(|h| h.state())
                .map_or_else(|| "unknown".into(), |s| s.as_str().to_string()),
            reason: d
                .target_health()
                .and_then(|h| h.reason())
                .map(|r| r.as_str().to_string()),
            description: d
                .target_health()
                .and_then(|h| h.description())
                .map(str::to_string),
            ours: false,
        })
        .collect())
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl LoadBalancers for Clients {
    async fn target_health(&self, target_group_arn: &str) -> anyhow::Result<Vec<TargetHealth>> {
        target_health(&self.elb, target_group_arn).await
    }
}
