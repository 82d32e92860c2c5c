//! [`Clients`] as the [`Cloud`] the stages run against.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Clients, deployments, ecr, ecs, elb, iam, logs, secrets, ssm, tasks};
use crate::cloud::{
    Cloud, DescribedServices, Evaluation, FoundImage, HookAction, Iam, Images, InRegion,
    LoadBalancers, Logs, OneOffTask, ParameterInfo, Parameters, Region, Repository, RoleInfo,
    Schedules, SecretInfo, Secrets, ServiceDeploymentBrief, ServiceDeployments, ServiceUpdate,
    Services, StopType, TaskDefinitions, Tasks, Wanted,
};
use crate::domain::deployment::{ServiceDeployment, ServiceRevision};
use crate::domain::service::{ServiceState, Tag, TargetHealth};
use crate::domain::states::TaskStatus;
use crate::domain::task::StoppedTask;

impl Clients {
    fn ecr_for(&self, repository: &Repository) -> aws_sdk_ecr::Client {
        match &repository.region {
            Some(region) => self.ecr_in(region),
            None => self.ecr.clone(),
        }
    }
}

impl Cloud for Clients {}

impl Region for Clients {
    fn region(&self) -> &str {
        &self.region
    }
}

impl Parameters for Clients {
    async fn get_parameters(&self, names: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
        ssm::get_parameters(&self.ssm, names).await
    }
    async fn put_parameter(&self, name: &str, value: &str) -> anyhow::Result<()> {
        ssm::put_parameter(&self.ssm, name, value).await
    }
    async fn describe_parameters(
        &self,
        region: InRegion<'_>,
        names: &[String],
    ) -> anyhow::Result<Vec<ParameterInfo>> {
        ssm::describe_parameters(&self.ssm_in(region), names).await
    }
}

impl Services for Clients {
    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<DescribedServices> {
        ecs::describe_services(&self.ecs, cluster, names, None).await
    }
    async fn poll_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<DescribedServices> {
        ecs::describe_services(&self.ecs, cluster, names, Some(ecs::POLL_ATTEMPTS)).await
    }
    async fn cluster_tags(&self, cluster: &str) -> anyhow::Result<Vec<Tag>> {
        ecs::cluster_tags(&self.ecs, cluster).await
    }
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> anyhow::Result<ServiceState> {
        ecs::update_service(&self.ecs, cluster, service, update).await
    }
    async fn list_clusters(&self) -> anyhow::Result<Vec<String>> {
        ecs::list_clusters(&self.ecs).await
    }
    async fn list_services(&self, cluster: &str) -> anyhow::Result<Vec<String>> {
        ecs::list_services(&self.ecs, cluster).await
    }
}

impl ServiceDeployments for Clients {
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: std::time::SystemTime,
    ) -> anyhow::Result<Vec<ServiceDeploymentBrief>> {
        deployments::list_service_deployments(&self.ecs, cluster, service, created_after).await
    }
    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> anyhow::Result<Vec<ServiceDeployment>> {
        deployments::describe_service_deployments(&self.ecs, arns).await
    }
    async fn describe_service_revisions(
        &self,
        arns: &[String],
    ) -> anyhow::Result<Vec<ServiceRevision>> {
        deployments::describe_service_revisions(&self.ecs, arns).await
    }
    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: HookAction,
    ) -> anyhow::Result<()> {
        deployments::continue_service_deployment(&self.ecs, arn, hook_id, action).await
    }
    async fn stop_service_deployment(&self, arn: &str, stop: StopType) -> anyhow::Result<()> {
        deployments::stop_service_deployment(&self.ecs, arn, stop).await
    }
}

impl TaskDefinitions for Clients {
    async fn describe_task_definition(&self, task_definition: &str) -> anyhow::Result<Value> {
        ecs::describe_task_definition(&self.ecs, task_definition).await
    }
    async fn register_task_definition(&self, body: &Value) -> anyhow::Result<String> {
        ecs::register_task_definition(&self.ecs, body).await
    }
    async fn active_revisions(&self, family: &str) -> anyhow::Result<Vec<String>> {
        ecs::active_revisions(&self.ecs, family).await
    }
    async fn deregister_task_definition(&self, arn: &str) -> anyhow::Result<()> {
        ecs::deregister_task_definition(&self.ecs, arn).await
    }
}

impl Tasks for Clients {
    async fn run_task(&self, task: &OneOffTask<'_>) -> anyhow::Result<String> {
        tasks::run_task(&self.ecs, task).await
    }
    async fn task_status(
        &self,
        cluster: &str,
        arn: &str,
    ) -> anyhow::Result<Option<(TaskStatus, StoppedTask)>> {
        tasks::task_status(&self.ecs, cluster, arn).await
    }
    async fn list_stopped_tasks(
        &self,
        cluster: &str,
        started_by: &str,
    ) -> anyhow::Result<Vec<String>> {
        tasks::list_stopped_tasks(&self.ecs, cluster, started_by).await
    }
    async fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> anyhow::Result<Vec<StoppedTask>> {
        tasks::describe_tasks(&self.ecs, cluster, arns).await
    }
    async fn list_running_tasks(&self, cluster: &str) -> anyhow::Result<Vec<String>> {
        tasks::list_running_tasks(&self.ecs, cluster).await
    }
}

impl Images for Clients {
    async fn find_image(
        &self,
        repository: &Repository,
        wanted: Wanted<'_>,
    ) -> anyhow::Result<FoundImage> {
        let client = self.ecr_for(repository);
        ecr::find_image(
            &client,
            repository.registry_id.as_deref(),
            &repository.name,
            wanted,
        )
        .await
    }
    async fn recent_tags(&self, repository: &Repository, n: usize) -> anyhow::Result<Vec<String>> {
        let client = self.ecr_for(repository);
        ecr::recent_tags(
            &client,
            repository.registry_id.as_deref(),
            &repository.name,
            n,
        )
        .await
    }
    async fn any_image(&self, repository: &Repository) -> anyhow::Result<Option<String>> {
        let client = self.ecr_for(repository);
        ecr::any_image(&client, repository.registry_id.as_deref(), &repository.name).await
    }
    async fn pull_through_rules(
        &self,
        repository: &Repository,
    ) -> anyhow::Result<Vec<crate::cloud::PullThroughRule>> {
        let client = self.ecr_for(repository);
        ecr::pull_through_rules(&client, repository.registry_id.as_deref()).await
    }
    async fn tag_image(
        &self,
        repository: &Repository,
        digest: &str,
        tag: &str,
    ) -> anyhow::Result<()> {
        let client = self.ecr_for(repository);
        ecr::add_tag(
            &client,
            repository.registry_id.as_deref(),
            &repository.name,
            digest,
            tag,
        )
        .await
    }
}

impl Secrets for Clients {
    async fn describe_secret(
        &self,
        region: InRegion<'_>,
        secret_id: &str,
    ) -> anyhow::Result<SecretInfo> {
        secrets::describe_secret(&self.secrets_in(region), secret_id).await
    }
}

impl Iam for Clients {
    async fn get_role(&self, name: &str) -> anyhow::Result<RoleInfo> {
        iam::get_role(&self.iam, name).await
    }
    async fn simulate_principal_policy(
        &self,
        principal_arn: &str,
        actions: &[String],
        resources: &[String],
    ) -> anyhow::Result<Vec<Evaluation>> {
        iam::simulate_principal_policy(&self.iam, principal_arn, actions, resources).await
    }
}

impl Logs for Clients {
    async fn log_group_exists(&self, region: InRegion<'_>, group: &str) -> anyhow::Result<bool> {
        logs::log_group_exists(&self.logs_in(region), group).await
    }
    async fn log_tail(
        &self,
        region: InRegion<'_>,
        group: &str,
        stream: &str,
        lines: u16,
    ) -> anyhow::Result<Vec<String>> {
        logs::log_tail(&self.logs_in(region), group, stream, lines).await
    }
}

impl Schedules for Clients {
    async fn rule_task_definitions(
        &self,
        cluster_arn: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        super::events::rule_task_definitions(&self.events, cluster_arn).await
    }
    async fn schedule_task_definitions(&self) -> anyhow::Result<Vec<(String, String)>> {
        super::scheduler::schedule_task_definitions(&self.scheduler).await
    }
}

impl LoadBalancers for Clients {
    async fn target_health(&self, target_group_arn: &str) -> anyhow::Result<Vec<TargetHealth>> {
        elb::target_health(&self.elb, target_group_arn).await
    }
}
