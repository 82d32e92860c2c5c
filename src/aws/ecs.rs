//! ECS operations.

use anyhow::{Context, bail};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, ClusterField,
    ContainerOverride, DeploymentCircuitBreaker, DeploymentConfiguration, DesiredStatus,
    LaunchType, NetworkConfiguration, ServiceField, TaskDefinitionField, TaskOverride,
};
use bytes::Bytes;
use serde_json::Value;

use super::raw_json::{CaptureBody, ReplaceBody};
use super::sdk_error;
use crate::cloud::{DescribedServices, OneOffTask, ServiceUpdate};
use crate::domain::ecs::{
    AwsVpc, CapacityProvider, CircuitBreaker, ContainerExit, Deployment, DeploymentSettings,
    DeploymentStatus, Placement, RolloutState, ServiceEvent, ServiceState, ServiceStatus, StopCode,
    StoppedTask, Tag, TaskStatus,
};

/// Describes services (at most 10, the API's limit) as ECS has them, whatever their status, with
/// the ones it reports as failures (`MISSING` for a deleted service). `attempts`: fewer than the
/// client's, for a polling loop.
pub async fn describe_services(
    client: &Client,
    cluster: &str,
    services: &[String],
    attempts: Option<u32>,
) -> anyhow::Result<DescribedServices> {
    assert!(
        services.len() <= 10,
        "DescribeServices takes at most 10 services"
    );
    let call = client
        .describe_services()
        .cluster(cluster)
        .set_services(Some(services.to_vec()))
        .include(ServiceField::Tags);
    let out = match attempts {
        Some(n) => {
            call.customize()
                .config_override(fewer_attempts(n))
                .send()
                .await
        }
        None => call.send().await,
    };
    let out = out
        .map_err(sdk_error)
        .with_context(|| format!("describing services {services:?} in cluster `{cluster}`"))?;
    let failures = out
        .failures()
        .iter()
        .map(|f| {
            (
                f.arn().unwrap_or_default().to_string(),
                f.reason().unwrap_or("unknown reason").to_string(),
            )
        })
        .collect();
    Ok((out.services().iter().map(service_state).collect(), failures))
}

/// Attempts per call for reads made in a polling loop.
pub const POLL_ATTEMPTS: u32 = 2;

/// A config override with fewer attempts, for calls made in a polling loop.
pub fn fewer_attempts(attempts: u32) -> aws_sdk_ecs::config::Builder {
    aws_sdk_ecs::config::Builder::default()
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(attempts))
}

fn service_state(s: &aws_sdk_ecs::types::Service) -> ServiceState {
    ServiceState {
        arn: s.service_arn().unwrap_or_default().to_string(),
        name: s.service_name().unwrap_or_default().to_string(),
        cluster_arn: s.cluster_arn().unwrap_or_default().to_string(),
        status: ServiceStatus::parse(s.status().unwrap_or_default()),
        task_definition: s.task_definition().unwrap_or_default().to_string(),
        desired: s.desired_count(),
        running: s.running_count(),
        pending: s.pending_count(),
        deployments: s
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or_default().to_string(),
                status: DeploymentStatus::parse(d.status().unwrap_or_default()),
                task_definition: d.task_definition().unwrap_or_default().to_string(),
                desired: d.desired_count(),
                running: d.running_count(),
                pending: d.pending_count(),
                failed_tasks: d.failed_tasks(),
                rollout_state: d.rollout_state().map(|r| RolloutState::parse(r.as_str())),
                rollout_state_reason: d.rollout_state_reason().map(str::to_string),
            })
            .collect(),
        events: s
            .events()
            .iter()
            .map(|e| ServiceEvent {
                id: e.id().unwrap_or_default().to_string(),
                created_at: e
                    .created_at()
                    .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                    .unwrap_or_default(),
                message: e.message().unwrap_or_default().to_string(),
            })
            .collect(),
        settings: DeploymentSettings {
            maximum_percent: s
                .deployment_configuration()
                .and_then(DeploymentConfiguration::maximum_percent),
            minimum_healthy_percent: s
                .deployment_configuration()
                .and_then(DeploymentConfiguration::minimum_healthy_percent),
            circuit_breaker: s
                .deployment_configuration()
                .and_then(DeploymentConfiguration::deployment_circuit_breaker)
                .map(|cb| CircuitBreaker {
                    enable: cb.enable(),
                    rollback: cb.rollback(),
                }),
            health_check_grace_period: s.health_check_grace_period_seconds(),
        },
        tags: tags(s.tags()),
        load_balanced: !s.load_balancers().is_empty(),
        target_groups: s
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn().map(str::to_string))
            .collect(),
        placement: Placement {
            launch_type: s.launch_type().map(|l| l.as_str().to_string()),
            capacity_providers: s
                .capacity_provider_strategy()
                .iter()
                .map(|c| CapacityProvider {
                    name: c.capacity_provider().to_string(),
                    weight: c.weight(),
                    base: c.base(),
                })
                .collect(),
            platform_version: s.platform_version().map(str::to_string),
            network: s
                .network_configuration()
                .and_then(NetworkConfiguration::awsvpc_configuration)
                .map(|vpc| AwsVpc {
                    subnets: vpc.subnets().to_vec(),
                    security_groups: vpc.security_groups().to_vec(),
                    assign_public_ip: vpc.assign_public_ip() == Some(&AssignPublicIp::Enabled),
                }),
        },
    }
}

fn tags(tags: &[aws_sdk_ecs::types::Tag]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag::new(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect()
}

/// A cluster's tags (for the production gate). A cluster ECS does not know has none.
pub async fn cluster_tags(client: &Client, cluster: &str) -> anyhow::Result<Vec<Tag>> {
    let out = client
        .describe_clusters()
        .clusters(cluster)
        .include(ClusterField::Tags)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("reading the tags of cluster `{cluster}`"))?;
    Ok(out
        .clusters()
        .first()
        .map_or_else(Vec::new, |c| tags(c.tags())))
}

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

/// Describes a task definition with its tags, as AWS's raw JSON response
/// (`{"taskDefinition": {...}, "tags": [...]}`), so fields the SDK does not model survive.
pub async fn describe_task_definition(
    client: &Client,
    task_definition: &str,
) -> anyhow::Result<Value> {
    let capture = CaptureBody::default();
    client
        .describe_task_definition()
        .task_definition(task_definition)
        .include(TaskDefinitionField::Tags)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("describing task definition `{task_definition}`"))?;
    let body = capture
        .take()
        .context("the DescribeTaskDefinition response had no body")?;
    serde_json::from_slice(&body)
        .with_context(|| format!("reading the task definition `{task_definition}` JSON"))
}

/// Registers a task definition from its request JSON (AWS field names); returns the new ARN.
pub async fn register_task_definition(client: &Client, body: &Value) -> anyhow::Result<String> {
    let family = body["family"].as_str().unwrap_or("?").to_string();
    let bytes = Bytes::from(serde_json::to_vec(body).context("serializing the task definition")?);
    let out = client
        .register_task_definition()
        .customize()
        .interceptor(ReplaceBody(bytes))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("registering a task definition in family `{family}`"))?;
    out.task_definition()
        .and_then(|td| td.task_definition_arn())
        .map(str::to_string)
        .with_context(|| format!("registering family `{family}`: the response had no ARN"))
}

/// Updates a service; returns its state as the response shows it (with the new deployment).
pub async fn update_service(
    client: &Client,
    cluster: &str,
    service: &str,
    update: &ServiceUpdate,
) -> anyhow::Result<ServiceState> {
    let out = client
        .update_service()
        .cluster(cluster)
        .service(service)
        .set_task_definition(update.task_definition.clone())
        .set_desired_count(update.desired_count)
        .force_new_deployment(update.force_new_deployment)
        .set_deployment_configuration(update.settings.as_ref().map(deployment_configuration))
        .set_health_check_grace_period_seconds(
            update
                .settings
                .as_ref()
                .and_then(|s| s.health_check_grace_period),
        )
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("updating service `{service}` in cluster `{cluster}`"))?;
    out.service()
        .map(service_state)
        .with_context(|| format!("updating service `{service}`: the response had no service"))
}

fn deployment_configuration(settings: &DeploymentSettings) -> DeploymentConfiguration {
    DeploymentConfiguration::builder()
        .set_maximum_percent(settings.maximum_percent)
        .set_minimum_healthy_percent(settings.minimum_healthy_percent)
        .set_deployment_circuit_breaker(settings.circuit_breaker.map(|cb| {
            DeploymentCircuitBreaker::builder()
                .enable(cb.enable)
                .rollback(cb.rollback)
                .build()
        }))
        .build()
}

/// Every cluster of the account in the client's region (ARNs).
pub async fn list_clusters(client: &Client) -> anyhow::Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut pages = client.list_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk_error).context("listing clusters")?;
        arns.extend(page.cluster_arns().iter().cloned());
    }
    Ok(arns)
}

/// Every service of a cluster (ARNs).
pub async fn list_services(client: &Client, cluster: &str) -> anyhow::Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut pages = client
        .list_services()
        .cluster(cluster)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(sdk_error)
            .with_context(|| format!("listing the services of cluster `{cluster}`"))?;
        arns.extend(page.service_arns().iter().cloned());
    }
    Ok(arns)
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

/// ACTIVE revisions of exactly `family` (`ListTaskDefinitions` matches by prefix), newest first.
pub async fn active_revisions(client: &Client, family: &str) -> anyhow::Result<Vec<String>> {
    let mut arns = Vec::new();
    let mut pages = client
        .list_task_definitions()
        .family_prefix(family)
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(sdk_error)
            .with_context(|| format!("listing revisions of family `{family}`"))?;
        arns.extend(
            page.task_definition_arns()
                .iter()
                .filter(|arn| crate::domain::arn::family_of(arn) == family)
                .cloned(),
        );
    }
    // Newest first by revision number, whatever order the service returned.
    arns.sort_by_key(|arn| {
        std::cmp::Reverse(
            crate::domain::arn::TaskDefinitionId::parse(arn)
                .revision
                .unwrap_or(0),
        )
    });
    Ok(arns)
}

/// Deregisters a revision (it becomes INACTIVE; running tasks are not affected).
pub async fn deregister_task_definition(client: &Client, arn: &str) -> anyhow::Result<()> {
    client
        .deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("deregistering `{arn}`"))?;
    Ok(())
}

/// Starts one task with `RunTask`; returns its ARN. A placement failure is an error with ECS's
/// reason.
pub async fn run_task(client: &Client, task: &OneOffTask<'_>) -> anyhow::Result<String> {
    let placement = task.placement;
    let network = placement
        .network
        .as_ref()
        .map(|vpc| -> anyhow::Result<NetworkConfiguration> {
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
        })
        .transpose()?;
    let strategy = placement
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
        .collect::<anyhow::Result<Vec<_>>>()?;
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
