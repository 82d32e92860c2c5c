//! EventBridge: the rules of the default event bus whose ECS target runs tasks in a cluster (the
//! scheduled tasks `keep-revisions` must not break).

use anyhow::Context;

use super::Clients;
use super::sdk_error;
use crate::cloud::Schedules;

/// Pages read at most of each listing (100 each): a cluster's rules and a rule's targets.
const MAX_PAGES: usize = 50;

/// `(rule, task definition)` for each ECS target in `cluster_arn` of the rules that target it.
/// `ListRuleNamesByTarget` (rules with a schedule live on the default bus), then
/// `ListTargetsByRule` for each.
pub async fn rule_task_definitions(
    client: &aws_sdk_eventbridge::Client,
    cluster_arn: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut rules = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_rule_names_by_target()
            .target_arn(cluster_arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)
            .with_context(|| {
                format!("listing the EventBridge rules that target `{cluster_arn}`")
            })?;
        rules.extend(page.rule_names().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    anyhow::ensure!(
        token.is_none(),
        "`{cluster_arn}` has more EventBridge rules than are read"
    );
    let mut found = Vec::new();
    for rule in rules {
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let page = client
                .list_targets_by_rule()
                .rule(&rule)
                .set_next_token(token)
                .send()
                .await
                .map_err(sdk_error)
                .with_context(|| format!("listing the targets of EventBridge rule `{rule}`"))?;
            found.extend(
                page.targets()
                    .iter()
                    .filter(|t| t.arn() == cluster_arn)
                    .filter_map(|t| t.ecs_parameters())
                    .map(|ecs| (rule.clone(), ecs.task_definition_arn().to_string())),
            );
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(found)
}

/// See [`Schedules::move_rule_targets`]. `ListTargetsByRule`, then one `PutTargets` with the
/// targets that move (each a copy of what was read, its task definition replaced).
pub async fn move_rule_targets(
    client: &aws_sdk_eventbridge::Client,
    rule: &str,
    cluster_arn: &str,
    from: &str,
    to: &str,
) -> anyhow::Result<usize> {
    let mut moving = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_targets_by_rule()
            .rule(rule)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error)
            .with_context(|| format!("listing the targets of EventBridge rule `{rule}`"))?;
        for target in page.targets() {
            let runs_from = target
                .ecs_parameters()
                .is_some_and(|ecs| ecs.task_definition_arn() == from);
            if target.arn() == cluster_arn && runs_from {
                let mut moved = target.clone();
                if let Some(ecs) = moved.ecs_parameters.as_mut() {
                    ecs.task_definition_arn = to.to_string();
                }
                moving.push(moved);
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    if moving.is_empty() {
        return Ok(0);
    }
    let count = moving.len();
    let answer = client
        .put_targets()
        .rule(rule)
        .set_targets(Some(moving))
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("updating the targets of EventBridge rule `{rule}`"))?;
    if answer.failed_entry_count() > 0 {
        let why: Vec<String> = answer
            .failed_entries()
            .iter()
            .map(|f| {
                format!(
                    "target `{}`: {}",
                    f.target_id().unwrap_or("?"),
                    f.error_message().unwrap_or("failed")
                )
            })
            .collect();
        anyhow::bail!(
            "EventBridge refused to update rule `{rule}`: {}",
            why.join("; ")
        );
    }
    Ok(count)
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Schedules for Clients {
    async fn rule_task_definitions(
        &self,
        cluster_arn: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        rule_task_definitions(&self.events, cluster_arn).await
    }
    async fn schedule_task_definitions(&self) -> anyhow::Result<Vec<(String, String)>> {
        super::scheduler::schedule_task_definitions(&self.scheduler).await
    }
    async fn move_rule_targets(
        &self,
        rule: &str,
        cluster_arn: &str,
        from: &str,
        to: &str,
    ) -> anyhow::Result<usize> {
        move_rule_targets(&self.events, rule, cluster_arn, from, to).await
    }
    async fn move_schedule(&self, schedule: &str, from: &str, to: &str) -> anyhow::Result<bool> {
        super::scheduler::move_schedule(&self.scheduler, schedule, from, to).await
    }
}
