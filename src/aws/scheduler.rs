//! EventBridge Scheduler: the schedules whose target runs ECS tasks (the scheduled tasks
//! `keep-revisions` must not break).

use anyhow::Context;

use super::sdk_error;

/// `(group/schedule, task definition)` for every schedule of the region, in any group, whose
/// target is an ECS cluster. `ListSchedules`, then `GetSchedule` for those (the summary names the
/// target's ARN, not its ECS parameters).
pub async fn schedule_task_definitions(
    client: &aws_sdk_scheduler::Client,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut ecs = Vec::new();
    let mut pages = client.list_schedules().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(sdk_error)
            .context("listing the EventBridge Scheduler schedules")?;
        ecs.extend(page.schedules().iter().filter_map(|s| {
            let target = s.target()?.arn();
            let is_cluster = target.starts_with("arn:")
                && target.contains(":ecs:")
                && target.contains(":cluster/");
            let group = s.group_name().unwrap_or("default").to_string();
            is_cluster.then_some((group, s.name()?.to_string()))
        }));
    }
    let mut found = Vec::new();
    for (group, name) in ecs {
        let schedule = client
            .get_schedule()
            .group_name(&group)
            .name(&name)
            .send()
            .await
            .map_err(sdk_error)
            .with_context(|| format!("reading EventBridge Scheduler schedule `{group}/{name}`"))?;
        if let Some(ecs) = schedule.target().and_then(|t| t.ecs_parameters()) {
            found.push((
                format!("{group}/{name}"),
                ecs.task_definition_arn().to_string(),
            ));
        }
    }
    Ok(found)
}
