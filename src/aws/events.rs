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
}
