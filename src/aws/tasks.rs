//! ECS task operations: one-off tasks (`RunTask`, their status) and the stopped and running
//! tasks of a cluster.

use anyhow::{Context, bail};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, ContainerOverride,
    DesiredStatus, LaunchType, NetworkConfiguration, TaskOverride,
};

use super::Clients;
use super::ecs::{POLL_ATTEMPTS, fewer_attempts};
use super::sdk_error;
use crate::cloud::OneOffTask;
use crate::cloud::Tasks;
use crate::domain::service::{AwsVpc, Placement};
use crate::domain::states::StopCode;
use crate::domain::states::TaskStatus;
use crate::domain::task::ContainerExit;
use crate::domain::task::StoppedTask;

/// Task ARNs that a deployment started and that have stopped (newest first, at most 100).
pub async fn list_stopped_tasks(
    client: &Client,
    cluster: &str,
    started_by: &str,
) -> anyhow::Result<Vec<String>> {
    let out = client
        .list_tasks()
        .cluster(cluster)
        .started_by(started_by)
        .desired_status(DesiredStatus::Stopped)
        .max_results(100)
        .customize()
        .config_override(fewer_attempts(POLL_ATTEMPTS))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| {
            format!("listing stopped tasks of deployment `{started_by}` in cluster `{cluster}`")
        })?;
    Ok(out.task_arns().to_vec())
}

/// Describes tasks (at most 100, the API's limit) as stopped tasks with their reasons.
pub async fn describe_tasks(
    client: &Client,
    cluster: &str,
    arns: &[String],
) -> anyhow::Result<Vec<StoppedTask>> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let out = client
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns.iter().take(100).cloned().collect()))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("describing {} tasks in cluster `{cluster}`", arns.len()))?;
    Ok(out.tasks().iter().map(stopped_task).collect())
}

fn stopped_task(t: &aws_sdk_ecs::types::Task) -> StoppedTask {
    StoppedTask {
        arn: t.task_arn().unwrap_or_default().to_string(),
        task_definition: t.task_definition_arn().unwrap_or_default().to_string(),
        started_by: t.started_by().unwrap_or_default().to_string(),
        stop_code: t.stop_code().map(|c| StopCode::parse(c.as_str())),
        stopped_reason: t.stopped_reason().map(str::to_string),
        stopped_at: t
            .stopped_at()
            .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        containers: t
            .containers()
            .iter()
            .map(|c| ContainerExit {
                name: c.name().unwrap_or_default().to_string(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_string),
            })
            .collect(),
        private_ip: t
            .attachments()
            .iter()
            .flat_map(aws_sdk_ecs::types::Attachment::details)
            .find(|d| d.name() == Some("privateIPv4Address"))
            .and_then(|d| d.value().map(str::to_string)),
    }
}

/// The running (and starting) tasks of a cluster (ARNs).
pub async fn list_running_tasks(client: &Client, cluster: &str) -> anyhow::Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut pages = client
        .list_tasks()
        .cluster(cluster)
        .desired_status(DesiredStatus::Running)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(sdk_error)
            .with_context(|| format!("listing the running tasks of cluster `{cluster}`"))?;
        arns.extend(page.task_arns().iter().cloned());
    }
    Ok(arns)
}

/// Asks ECS to stop a task (`StopTask`).
pub async fn stop_task(
    client: &Client,
    cluster: &str,
    arn: &str,
    reason: &str,
) -> anyhow::Result<()> {
    client
        .stop_task()
        .cluster(cluster)
        .task(arn)
        .reason(reason)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("stopping task {arn}"))?;
    Ok(())
}

/// Starts one task with `RunTask`; returns its ARN. A placement failure is an error with ECS's
/// reason.
pub async fn run_task(client: &Client, task: &OneOffTask<'_>) -> anyhow::Result<String> {
    let placement = task.placement;
    let network = placement.network.as_ref().map(network).transpose()?;
    let strategy = capacity_providers(placement)?;
    let overrides = task.command.map(|(container, command)| {
        TaskOverride::builder()
            .container_overrides(
                ContainerOverride::builder()
                    .name(container)
                    .set_command(Some(command.to_vec()))
                    .build(),
            )
            .build()
    });
    let out = client
        .run_task()
        // One token per task we mean to start: when an answer is lost and the SDK tries again,
        // ECS starts no second task (a second migration running at once).
        .client_token(uuid::Uuid::new_v4().simple().to_string())
        .cluster(task.cluster)
        .task_definition(task.task_definition)
        .count(1)
        .started_by(task.started_by)
        .set_launch_type(
            (strategy.is_empty())
                .then(|| placement.launch_type.as_deref().map(LaunchType::from))
                .flatten(),
        )
        .set_capacity_provider_strategy((!strategy.is_empty()).then_some(strategy))
        .set_platform_version(placement.platform_version.clone())
        .set_network_configuration(network)
        .set_overrides(overrides)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| {
            format!(
                "running a task of `{}` in cluster `{}`",
                task.task_definition, task.cluster
            )
        })?;
    if let Some(failure) = out.failures().first() {
        bail!(
            "ECS could not start a task of `{}`: {}{}",
            task.task_definition,
            failure.reason().unwrap_or("no reason given"),
            failure
                .detail()
                .map_or(String::new(), |d| format!(" ({d})"))
        );
    }
    out.tasks()
        .first()
        .and_then(|t| t.task_arn())
        .map(str::to_string)
        .context("RunTask returned no task")
}

/// The task's `awsvpc` network configuration.
fn network(vpc: &AwsVpc) -> anyhow::Result<NetworkConfiguration> {
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(vpc.subnets.clone()))
                .set_security_groups(Some(vpc.security_groups.clone()))
                .assign_public_ip(if vpc.assign_public_ip {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .context("building the network configuration")?,
        )
        .build())
}

/// The service's capacity provider strategy, for the task.
fn capacity_providers(placement: &Placement) -> anyhow::Result<Vec<CapacityProviderStrategyItem>> {
    placement
        .capacity_providers
        .iter()
        .map(|item| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(&item.name)
                .weight(item.weight)
                .base(item.base)
                .build()
                .context("building the capacity provider strategy")
        })
        .collect()
}

/// A task's status as `DescribeTasks` shows it: `lastStatus` and, once stopped, how it ended.
/// `None` while ECS does not list it yet (`DescribeTasks` is eventually consistent: right after
/// `RunTask` a task can be `MISSING` for a moment).
pub async fn task_status(
    client: &Client,
    cluster: &str,
    arn: &str,
) -> anyhow::Result<Option<(TaskStatus, StoppedTask)>> {
    let out = client
        .describe_tasks()
        .cluster(cluster)
        .tasks(arn)
        .customize()
        .config_override(fewer_attempts(POLL_ATTEMPTS))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("describing task `{arn}` in cluster `{cluster}`"))?;
    Ok(out.tasks().first().map(|task| {
        (
            TaskStatus::parse(task.last_status().unwrap_or("UNKNOWN")),
            stopped_task(task),
        )
    }))
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Tasks for Clients {
    async fn run_task(&self, task: &OneOffTask<'_>) -> anyhow::Result<String> {
        run_task(&self.ecs, task).await
    }
    async fn task_status(
        &self,
        cluster: &str,
        arn: &str,
    ) -> anyhow::Result<Option<(TaskStatus, StoppedTask)>> {
        task_status(&self.ecs, cluster, arn).await
    }
    async fn list_stopped_tasks(
        &self,
        cluster: &str,
        started_by: &str,
    ) -> anyhow::Result<Vec<String>> {
        list_stopped_tasks(&self.ecs, cluster, started_by).await
    }
    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> anyhow::Result<Vec<StoppedTask>> {
        describe_tasks(&self.ecs, cluster, arns).await
    }
    async fn list_running_tasks(&self, cluster: &str) -> anyhow::Result<Vec<String>> {
        list_running_tasks(&self.ecs, cluster).await
    }
    async fn stop_task(&self, cluster: &str, arn: &str, reason: &str) -> anyhow::Result<()> {
        stop_task(&self.ecs, cluster, arn, reason).await
    }
}
