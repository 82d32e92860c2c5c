//! The reads of the preflight and of crash logs: SSM parameter and Secrets Manager metadata (never
//! values), IAM roles and the policy simulator, CloudWatch Logs groups and streams.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_iam::types::PolicyEvaluationDecisionType;
use aws_sdk_ssm::types::ParameterStringFilter;

use super::sdk_error;
use crate::cloud::{Decision, Evaluation, ParameterInfo, RoleInfo, SecretInfo};

/// The parameters among `names` that exist, 50 names a call (the filter's limit).
pub async fn describe_parameters(
    client: &aws_sdk_ssm::Client,
    names: &[String],
) -> anyhow::Result<Vec<ParameterInfo>> {
    let mut found = Vec::new();
    for chunk in names.chunks(50) {
        let filter = ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .set_values(Some(chunk.to_vec()))
            .build()
            .context("building the DescribeParameters filter")?;
        let mut pages = client
            .describe_parameters()
            .parameter_filters(filter)
            .max_results(50)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(sdk_error)
                .context("describing SSM parameters")?;
            found.extend(page.parameters().iter().filter_map(|p| {
                Some(ParameterInfo {
                    name: p.name()?.to_string(),
                    kms_key: p.key_id().map(str::to_string),
                })
            }));
        }
    }
    Ok(found)
}

/// A secret's metadata (`DescribeSecret` never returns the value).
pub async fn describe_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> anyhow::Result<SecretInfo> {
    let out = client
        .describe_secret()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(sdk_error)
        .context("describing a Secrets Manager secret")?;
    let versions: BTreeMap<String, Vec<String>> = out
        .version_ids_to_stages()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(SecretInfo {
        arn: out.arn().unwrap_or(secret_id).to_string(),
        kms_key: out.kms_key_id().map(str::to_string),
        versions,
        deleted: out.deleted_date().is_some(),
    })
}

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

/// Whether the log group exists: its name is among those it prefixes (sorted by name, so it
/// comes first).
pub async fn log_group_exists(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
) -> anyhow::Result<bool> {
    let out = client
        .describe_log_groups()
        .log_group_name_prefix(group)
        .limit(50)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("describing log group `{group}`"))?;
    Ok(out
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(group)))
}

/// The last `lines` messages of a stream, oldest first.
pub async fn log_tail(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    lines: u16,
) -> anyhow::Result<Vec<String>> {
    let out = client
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .limit(i32::from(lines))
        .start_from_head(false)
        .send()
        .await
        .map_err(sdk_error)
        .context("reading the task's log stream")?;
    Ok(out
        .events()
        .iter()
        .filter_map(|e| e.message().map(str::to_string))
        .collect())
}
