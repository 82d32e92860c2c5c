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

/// See [`crate::cloud::Schedules::move_schedule`]. `GetSchedule`, then `UpdateSchedule` with
/// every field it returned (an update replaces the schedule whole: a field left out is reset).
pub async fn move_schedule(
    client: &aws_sdk_scheduler::Client,
    schedule: &str,
    from: &str,
    to: &str,
) -> anyhow::Result<bool> {
    let (group, name) = schedule.split_once('/').unwrap_or(("default", schedule));
    let read = client
        .get_schedule()
        .group_name(group)
        .name(name)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("reading EventBridge Scheduler schedule `{schedule}`"))?;
    let mut target = read.target.clone().context("the schedule has no target")?;
    match target.ecs_parameters.as_mut() {
        Some(ecs) if ecs.task_definition_arn == from => ecs.task_definition_arn = to.to_string(),
        _ => return Ok(false),
    }
    client
        .update_schedule()
        .name(name)
        .group_name(group)
        .set_schedule_expression(read.schedule_expression)
        .set_start_date(read.start_date)
        .set_end_date(read.end_date)
        .set_description(read.description)
        .set_schedule_expression_timezone(read.schedule_expression_timezone)
        .set_state(read.state)
        .set_kms_key_arn(read.kms_key_arn)
        .target(target)
        .set_flexible_time_window(read.flexible_time_window)
        .set_action_after_completion(read.action_after_completion)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("updating EventBridge Scheduler schedule `{schedule}`"))?;
    Ok(true)
}
