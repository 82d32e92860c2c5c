//! IAM: roles and the policy simulator, for the preflight.

use anyhow::Context;
use aws_sdk_iam::types::PolicyEvaluationDecisionType;

use super::Clients;
use super::sdk_error;
use crate::cloud::Decision;
use crate::cloud::{Evaluation, Iam, RoleInfo};

/// A role by name, with its trust policy decoded (IAM returns it URL-encoded).
pub async fn get_role(client: &aws_sdk_iam::Client, name: &str) -> anyhow::Result<RoleInfo> {
    let out = client
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("reading IAM role `{name}`"))?;
    let role = out.role().context("GetRole returned no role")?;
    let trust_policy = role.assume_role_policy_document().map(|doc| {
        percent_encoding::percent_decode_str(doc)
            .decode_utf8_lossy()
            .into_owned()
    });
    Ok(RoleInfo {
        arn: role.arn().to_string(),
        trust_policy,
    })
}

/// Every action on every resource, as the principal's own policies decide it.
pub async fn simulate_principal_policy(
    client: &aws_sdk_iam::Client,
    principal_arn: &str,
    actions: &[String],
    resources: &[String],
) -> anyhow::Result<Vec<Evaluation>> {
    let mut found = Vec::new();
    let mut pages = client
        .simulate_principal_policy()
        .policy_source_arn(principal_arn)
        .set_action_names(Some(actions.to_vec()))
        .set_resource_arns(Some(resources.to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(sdk_error)
            .context("simulating the execution role's policies")?;
        for result in page.evaluation_results() {
            let decision = match result.eval_decision() {
                PolicyEvaluationDecisionType::Allowed => Decision::Allowed,
                PolicyEvaluationDecisionType::ExplicitDeny => Decision::ExplicitDeny,
                _ => Decision::ImplicitDeny,
            };
            found.push(Evaluation {
                action: result.eval_action_name().to_string(),
                resource: result.eval_resource_name().unwrap_or("*").to_string(),
                decision,
            });
        }
    }
    Ok(found)
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Iam for Clients {
    async fn get_role(&self, name: &str) -> anyhow::Result<RoleInfo> {
        get_role(&self.iam, name).await
    }
    async fn simulate_principal_policy(
        &self,
        principal_arn: &str,
        actions: &[String],
        resources: &[String],
    ) -> anyhow::Result<Vec<Evaluation>> {
        simulate_principal_policy(&self.iam, principal_arn, actions, resources).await
    }
}
