//! ECS operations.

use anyhow::Context;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    AssignPublicIp, ClusterField, DeploymentCircuitBreaker, DeploymentConfiguration,
    NetworkConfiguration, ServiceField, TaskDefinitionField,
};
use bytes::Bytes;
use serde_json::Value;

use super::Clients;
use super::raw_json::{CaptureBody, ReplaceBody};
use super::sdk_error;
use crate::cloud::{DescribedServices, ServiceUpdate, Services, TaskDefinitions};
use crate::domain::deployment_settings::{
    Alarms, CircuitBreaker, DeploymentSettings, Tenths, TrafficStep,
};
use crate::domain::service::{
    AwsVpc, CapacityProvider, Deployment, Placement, ServiceEvent, ServiceState, Tag,
};
use crate::domain::states::{DeploymentStatus, DeploymentStrategy, RolloutState, ServiceStatus};

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
    aws_sdk_ecs::config::Builder::default().retry_config(super::retries(attempts))
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
        deployments: s.deployments().iter().map(deployment).collect(),
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
        settings: settings(s),
        tags: tags(s.tags()),
        load_balanced: !s.load_balancers().is_empty(),
        target_groups: s
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn().map(str::to_string))
            .collect(),
        without_advanced: s
            .load_balancers()
            .iter()
            .filter(|lb| lb.advanced_configuration().is_none())
            .map(|lb| {
                lb.target_group_arn()
                    .or(lb.load_balancer_name())
                    .unwrap_or("a load balancer")
                    .to_string()
            })
            .collect(),
        placement: placement(s),
        current_service_deployment: s.current_service_deployment().map(str::to_string),
    }
}

fn deployment(d: &aws_sdk_ecs::types::Deployment) -> Deployment {
    Deployment {
        id: d.id().unwrap_or_default().to_string(),
        status: DeploymentStatus::parse(d.status().unwrap_or_default()),
        task_definition: d.task_definition().unwrap_or_default().to_string(),
        desired: d.desired_count(),
        running: d.running_count(),
        pending: d.pending_count(),
        failed_tasks: d.failed_tasks(),
        rollout_state: d.rollout_state().map(|r| RolloutState::parse(r.as_str())),
        rollout_state_reason: d.rollout_state_reason().map(str::to_string),
        created_at: d
            .created_at()
            .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
    }
}

/// The service's deployment settings (rolling update percentages, circuit breaker, grace).
fn settings(s: &aws_sdk_ecs::types::Service) -> DeploymentSettings {
    let configuration = s.deployment_configuration();
    DeploymentSettings {
        maximum_percent: configuration.and_then(DeploymentConfiguration::maximum_percent),
        minimum_healthy_percent: configuration
            .and_then(DeploymentConfiguration::minimum_healthy_percent),
        circuit_breaker: configuration
            .and_then(DeploymentConfiguration::deployment_circuit_breaker)
            .map(|cb| CircuitBreaker {
                enable: cb.enable(),
                rollback: cb.rollback(),
            }),
        health_check_grace_period: s.health_check_grace_period_seconds(),
        propagate_tags: s.propagate_tags().map(|p| p.as_str().to_string()),
        enable_ecs_managed_tags: Some(s.enable_ecs_managed_tags()),
        enable_execute_command: Some(s.enable_execute_command()),
        strategy: configuration
            .and_then(DeploymentConfiguration::strategy)
            .map(|st| DeploymentStrategy::parse(st.as_str())),
        bake_time_minutes: configuration.and_then(DeploymentConfiguration::bake_time_in_minutes),
        canary: configuration
            .and_then(DeploymentConfiguration::canary_configuration)
            .map_or_else(TrafficStep::default, |c| TrafficStep {
                percent: c.canary_percent().and_then(Tenths::from_percent),
                bake_minutes: c.canary_bake_time_in_minutes(),
            }),
        linear: configuration
            .and_then(DeploymentConfiguration::linear_configuration)
            .map_or_else(TrafficStep::default, |c| TrafficStep {
                percent: c.step_percent().and_then(Tenths::from_percent),
                bake_minutes: c.step_bake_time_in_minutes(),
            }),
        alarms: configuration
            .and_then(DeploymentConfiguration::alarms)
            .map(|a| Alarms {
                names: a.alarm_names().to_vec(),
                enable: a.enable(),
                rollback: a.rollback(),
            }),
        lifecycle_hooks: configuration
            .map(DeploymentConfiguration::lifecycle_hooks)
            .unwrap_or_default()
            .iter()
            .map(|h| {
                let stages: Vec<&str> = h
                    .lifecycle_stages()
                    .iter()
                    .map(aws_sdk_ecs::types::DeploymentLifecycleHookStage::as_str)
                    .collect();
                format!(
                    "{} at {}{}",
                    h.target_type().map_or("AWS_LAMBDA", |t| t.as_str()),
                    stages.join(", "),
                    h.hook_target_arn()
                        .map_or(String::new(), |arn| format!(" ({arn})"))
                )
            })
            .collect(),
    }
}

/// Where and how the service's tasks run.
fn placement(s: &aws_sdk_ecs::types::Service) -> Placement {
    Placement {
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
    // One attempt: the registrar tries again itself, saying so, within the deploy's deadline.
    let out = client
        .register_task_definition()
        .customize()
        .interceptor(ReplaceBody(bytes))
        .config_override(fewer_attempts(1))
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
    // `deploymentConfiguration` is sent whole: start from the service's own, so what ecs-ship
    // does not set (lifecycle hooks, early success criteria, what a newer API adds) stays.
    let configuration = match &update.settings {
        Some(settings) => {
            let live = client
                .describe_services()
                .cluster(cluster)
                .services(service)
                .send()
                .await
                .map_err(sdk_error)
                .with_context(|| {
                    format!("reading service `{service}` in cluster `{cluster}` before updating its deployment configuration")
                })?
                .services()
                .first()
                .and_then(|s| s.deployment_configuration().cloned());
            Some(deployment_configuration(live, settings))
        }
        None => None,
    };
    let out = client
        .update_service()
        .cluster(cluster)
        .service(service)
        .set_task_definition(update.task_definition.clone())
        .set_desired_count(update.desired_count)
        .force_new_deployment(update.force_new_deployment)
        .set_deployment_configuration(configuration)
        .set_propagate_tags(
            update
                .settings
                .as_ref()
                .and_then(|s| s.propagate_tags.as_deref())
                .map(aws_sdk_ecs::types::PropagateTags::from),
        )
        .set_enable_ecs_managed_tags(
            update
                .settings
                .as_ref()
                .and_then(|s| s.enable_ecs_managed_tags),
        )
        .set_enable_execute_command(
            update
                .settings
                .as_ref()
                .and_then(|s| s.enable_execute_command),
        )
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

/// A traffic step as sent: what is asked, else the service's own (`live`: percent, bake).
fn step(
    wanted: TrafficStep,
    live: Option<(Option<f64>, Option<i32>)>,
) -> (Option<f64>, Option<i32>) {
    let (percent, bake) = live.unwrap_or_default();
    (
        wanted.percent.map(Tenths::percent).or(percent),
        wanted.bake_minutes.or(bake),
    )
}

/// The service's deployment configuration `live` with what `settings` sets.
fn deployment_configuration(
    live: Option<DeploymentConfiguration>,
    settings: &DeploymentSettings,
) -> DeploymentConfiguration {
    let mut c = live.unwrap_or_else(|| DeploymentConfiguration::builder().build());
    c.maximum_percent = settings.maximum_percent.or(c.maximum_percent);
    c.minimum_healthy_percent = settings
        .minimum_healthy_percent
        .or(c.minimum_healthy_percent);
    if let Some(cb) = settings.circuit_breaker {
        c.deployment_circuit_breaker = Some(
            DeploymentCircuitBreaker::builder()
                .enable(cb.enable)
                .rollback(cb.rollback)
                .build(),
        );
    }
    if let Some(strategy) = &settings.strategy {
        c.strategy = Some(aws_sdk_ecs::types::DeploymentStrategy::from(
            strategy.as_str(),
        ));
    }
    c.bake_time_in_minutes = settings.bake_time_minutes.or(c.bake_time_in_minutes);
    if settings.canary.is_set() {
        let live = c.canary_configuration.take();
        let (percent, bake) = step(
            settings.canary,
            live.map(|l| (l.canary_percent, l.canary_bake_time_in_minutes)),
        );
        c.canary_configuration = Some(
            aws_sdk_ecs::types::CanaryConfiguration::builder()
                .set_canary_percent(percent)
                .set_canary_bake_time_in_minutes(bake)
                .build(),
        );
    }
    if settings.linear.is_set() {
        let live = c.linear_configuration.take();
        let (percent, bake) = step(
            settings.linear,
            live.map(|l| (l.step_percent, l.step_bake_time_in_minutes)),
        );
        c.linear_configuration = Some(
            aws_sdk_ecs::types::LinearConfiguration::builder()
                .set_step_percent(percent)
                .set_step_bake_time_in_minutes(bake)
                .build(),
        );
    }
    if let Some(alarms) = &settings.alarms {
        c.alarms = aws_sdk_ecs::types::DeploymentAlarms::builder()
            .set_alarm_names(Some(alarms.names.clone()))
            .enable(alarms.enable)
            .rollback(alarms.rollback)
            .build()
            .ok();
    }
    c
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

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Services for Clients {
    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<DescribedServices> {
        describe_services(&self.ecs, cluster, names, None).await
    }
    async fn poll_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<DescribedServices> {
        describe_services(&self.ecs, cluster, names, Some(POLL_ATTEMPTS)).await
    }
    async fn cluster_tags(&self, cluster: &str) -> anyhow::Result<Vec<Tag>> {
        cluster_tags(&self.ecs, cluster).await
    }
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> anyhow::Result<ServiceState> {
        update_service(&self.ecs, cluster, service, update).await
    }
    async fn list_clusters(&self) -> anyhow::Result<Vec<String>> {
        list_clusters(&self.ecs).await
    }
    async fn list_services(&self, cluster: &str) -> anyhow::Result<Vec<String>> {
        list_services(&self.ecs, cluster).await
    }
}

impl TaskDefinitions for Clients {
    async fn describe_task_definition(&self, task_definition: &str) -> anyhow::Result<Value> {
        describe_task_definition(&self.ecs, task_definition).await
    }
    async fn register_task_definition(&self, body: &Value) -> anyhow::Result<String> {
        register_task_definition(&self.ecs, body).await
    }
    async fn active_revisions(&self, family: &str) -> anyhow::Result<Vec<String>> {
        active_revisions(&self.ecs, family).await
    }
    async fn deregister_task_definition(&self, arn: &str) -> anyhow::Result<()> {
        deregister_task_definition(&self.ecs, arn).await
    }
}
