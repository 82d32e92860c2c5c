//! The permission checks: IAM's policy simulator asked, for each execution role, whether it may
//! read the secrets and parameters (and decrypt them), pull the images and write the logs.
//!
//! The simulator reads the role's own policies (and its permissions boundary), not resource
//! policies: where a secret's resource policy, a KMS key policy or an ECR repository policy could
//! grant what the role's policies do not, a denial is a warning, not a problem.

use futures::future::join_all;

use super::{Account, Found, Preflight, bounded, repository_arn, unread};
use crate::cloud::{Cloud, Decision, Evaluation};
use crate::domain::arn::Partition;

/// One question to the simulator: actions on resources, and whether a resource policy may
/// grant them when the role's own policies do not.
struct Ask {
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

fn asks(found: &Found, account: &Account<'_>) -> Vec<Ask> {
    let mut asks = Vec::new();
    // A question about no resource is not asked.
    let mut ask = |actions: &[&str], resources: Vec<String>, else_granted_by| {
        if !resources.is_empty() {
            asks.push(Ask {
                actions: actions.iter().map(|a| (*a).to_string()).collect(),
                resources,
                else_granted_by,
            });
        }
    };
    let arns =
        |found: &[(String, Option<String>)]| found.iter().map(|(arn, _)| arn.clone()).collect();
    ask(
        &["secretsmanager:GetSecretValue"],
        arns(&found.secrets),
        Some("the secret's resource policy"),
    );
    ask(&["ssm:GetParameters"], arns(&found.parameters), None);
    let mut keys: Vec<String> = found
        .secrets
        .iter()
        .chain(&found.parameters)
        .filter_map(|(_, key)| key.as_deref())
        .filter_map(|key| key_arn(key, account.region, account.id))
        .collect();
    keys.sort();
    keys.dedup();
    ask(&["kms:Decrypt"], keys, Some("the key policy"));
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

/// Asks the simulator for every execution role; a simulator that cannot be asked (denied, say)
/// is a warning, said once: what it would have found can still stop the tasks.
pub(super) async fn check<C: Cloud>(
    cloud: &C,
    found: &Found,
    account: &Account<'_>,
    report: &mut Preflight,
) {
    let asks = asks(found, account);
    if asks.is_empty() {
        return;
    }
    for (name, arn) in &found.execution_roles {
        let answers = join_all(asks.iter().map(|ask| async move {
            let answer = cloud.simulate_principal_policy(arn, &ask.actions, &ask.resources);
            (ask, bounded(answer).await)
        }))
        .await;
        for (ask, answer) in answers {
            match answer {
                Ok(evaluations) => {
                    for e in evaluations {
                        report.checks += 1;
                        judge(name, ask, &e, report);
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
