//! The permission checks: IAM's policy simulator asked, for each execution role, whether it may
//! read the secrets and parameters (and decrypt them), pull the images and write the logs.
//!
//! The simulator reads the role's own policies (and its permissions boundary), not resource
//! policies: where a secret's resource policy, a KMS key policy or an ECR repository policy could
//! grant what the role's policies do not, a denial is a warning, not a problem.

use futures::future::join_all;

use super::{Account, Found, Preflight, bounded, repository_arn, unread};
use crate::cloud::{Decision, Evaluation, Iam};
use crate::domain::arn::Partition;

/// One question to the simulator: actions on resources, and whether a resource policy may
/// grant them when the role's own policies do not.
pub(super) struct Ask {
    actions: Vec<String>,
    resources: Vec<String>,
    /// What may grant it besides the role (`the secret's resource policy`); `None`: nothing.
    else_granted_by: Option<&'static str>,
}

/// AWS managed keys (`alias/aws/ssm`, `alias/aws/secretsmanager`) need no permission of the
/// role's own; a customer managed key named by id or ARN does.
fn key_arn(key: &str, region: &str, account: &str) -> Option<String> {
    if key.starts_with("arn:") {
        return (!key.contains(":alias/")).then(|| key.to_string());
    }
    if key.starts_with("alias/") {
        return None;
    }
    Some(format!(
        "arn:{}:kms:{region}:{account}:key/{key}",
        Partition::of(region).name()
    ))
}

/// Questions whose resources are known before any answer (the images' repositories, the log
/// groups, the parameters as referenced): asked at the same time as the existence checks.
pub(super) fn early_asks(
    found: &Found,
    parameters: &[String],
    secrets: &[String],
    account: &Account<'_>,
) -> Vec<Ask> {
    let mut asks = Vec::new();
    let mut ask = |actions: &[&str], resources: Vec<String>, else_granted_by| {
        if !resources.is_empty() {
            asks.push(Ask {
                actions: actions.iter().map(|a| (*a).to_string()).collect(),
                resources,
                else_granted_by,
            });
        }
    };
    ask(&["ssm:GetParameters"], parameters.to_vec(), None);
    ask(
        &["secretsmanager:GetSecretValue"],
        secrets.to_vec(),
        Some("the secret's resource policy"),
    );
    let repositories: Vec<String> = found
        .repositories
        .iter()
        .map(|(region, registry, name)| repository_arn(region, registry, name))
        .collect();
    if !repositories.is_empty() {
        ask(&["ecr:GetAuthorizationToken"], vec!["*".into()], None);
    }
    ask(
        &["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        repositories,
        Some("the repository policy"),
    );
    let group_arns = |created_only: bool| -> Vec<String> {
        found
            .log_groups
            .iter()
            .filter(|(_, _, create)| *create || !created_only)
            .map(|(region, group, _)| {
                format!(
                    "arn:{}:logs:{region}:{}:log-group:{group}:*",
                    Partition::of(region).name(),
                    account.id
                )
            })
            .collect()
    };
    ask(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        group_arns(false),
        None,
    );
    ask(&["logs:CreateLogGroup"], group_arns(true), None);
    asks
}

/// Questions that need the existence checks' answers: the secrets by their full ARN (those not
/// asked about early, as written), and the customer managed KMS keys of the secrets and
/// parameters found.
pub(super) fn late_asks(found: &Found, asked: &[String], account: &Account<'_>) -> Vec<Ask> {
    let mut asks = Vec::new();
    let secrets: Vec<String> = found
        .secrets
        .iter()
        .map(|(arn, _)| arn.clone())
        .filter(|arn| !asked.contains(arn))
        .collect();
    if !secrets.is_empty() {
        asks.push(Ask {
            actions: vec!["secretsmanager:GetSecretValue".into()],
            resources: secrets,
            else_granted_by: Some("the secret's resource policy"),
        });
    }
    let mut keys: Vec<String> = found
        .secrets
        .iter()
        .chain(&found.parameters)
        .filter_map(|(_, key)| key.as_deref())
        .filter_map(|key| key_arn(key, account.region, account.id))
        .collect();
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        asks.push(Ask {
            actions: vec!["kms:Decrypt".into()],
            resources: keys,
            else_granted_by: Some("the key policy"),
        });
    }
    asks
}

/// One role's answer to one question.
pub(super) struct Answer<'a> {
    /// The role's name and ARN.
    role: (String, String),
    ask: &'a Ask,
    result: anyhow::Result<Vec<Evaluation>>,
}

/// Asks the simulator every question for every role (name, ARN), all at once.
pub(super) async fn ask<'a, C: Iam>(
    cloud: &C,
    roles: &[(String, String)],
    asks: &'a [Ask],
) -> Vec<Answer<'a>> {
    join_all(roles.iter().flat_map(|role| {
        asks.iter().map(move |ask| async move {
            let answer = cloud.simulate_principal_policy(&role.1, &ask.actions, &ask.resources);
            Answer {
                role: role.clone(),
                ask,
                result: bounded(answer).await,
            }
        })
    }))
    .await
}

/// Judges the simulator's answers for the roles that exist, on the resources `counts` keeps (a
/// parameter that does not exist is already a problem); a simulator that cannot be asked is a
/// warning, said once: what it would have found can still stop the tasks.
pub(super) fn judge_answers(
    answers: Vec<Answer<'_>>,
    roles: &[(String, String)],
    counts: impl Fn(&str) -> bool,
    report: &mut Preflight,
) {
    for answer in answers {
        if !roles.contains(&answer.role) {
            continue;
        }
        match answer.result {
            Ok(evaluations) => {
                for e in evaluations.iter().filter(|e| counts(&e.resource)) {
                    report.checks += 1;
                    judge(&answer.role.0, answer.ask, e, report);
                }
            }
            Err(err) => report.warning(unread(
                "the execution role's permissions",
                "iam:SimulatePrincipalPolicy",
                &err,
            )),
        }
    }
}

fn judge(role: &str, ask: &Ask, e: &Evaluation, report: &mut Preflight) {
    let (action, resource) = (&e.action, &e.resource);
    match (e.decision, ask.else_granted_by) {
        (Decision::Allowed, _) => {}
        (Decision::ExplicitDeny, _) => report.problem(format!(
            "execution role `{role}` is denied `{action}` on `{resource}`: tasks will fail to start"
        )),
        (Decision::ImplicitDeny, None) => report.problem(format!(
            "execution role `{role}` is not allowed `{action}` on `{resource}`: tasks will fail to start"
        )),
        (Decision::ImplicitDeny, Some(other)) => report.warning(format!(
            "execution role `{role}`'s own policies do not allow `{action}` on `{resource}`: unless {other} does, tasks will fail to start"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_customer_managed_keys_are_asked_about() {
        assert_eq!(key_arn("alias/aws/ssm", "us-east-1", "1"), None);
        assert_eq!(
            key_arn("arn:aws:kms:us-east-1:1:alias/mine", "us-east-1", "1"),
            None
        );
        assert_eq!(
            key_arn("0f1e", "us-east-1", "123456789012").as_deref(),
            Some("arn:aws:kms:us-east-1:123456789012:key/0f1e")
        );
        assert_eq!(
            key_arn("arn:aws:kms:eu-west-1:1:key/ab", "us-east-1", "1").as_deref(),
            Some("arn:aws:kms:eu-west-1:1:key/ab")
        );
    }
}
