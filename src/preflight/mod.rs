//! The preflight: before any write, what the rendered task definitions need is checked against
//! the account, all at once and concurrently: every secret and parameter a container references
//! exists (metadata only, never a value), the roles exist and trust ECS tasks, the awslogs log
//! groups exist, the images are in ECR, and, where IAM's policy simulator may be called, the
//! execution role may read, decrypt, pull and log.
//!
//! A problem found stops the deploy before it writes anything. A read the deploy role may not
//! make is a warning naming the permission, never a false "missing"; a read that fails otherwise
//! is a warning too. The preflight never fails a deploy on its own errors.

mod simulate;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use futures::future::join_all;
use serde_json::Value;
use tokio::time::Instant;

use crate::cloud::{
    self, Iam, Images, Logs, ParameterInfo, Parameters, Repository, RoleInfo, SecretInfo, Secrets,
    Wanted,
};
use crate::domain::arn::Partition;
use crate::domain::taskdef::needs::{self, ImageUse, Needs, SecretRef, SecretUse};

/// How long one check may wait for its answer (the SDK's own deadline is 40 s): a stalled read
/// becomes a warning, and the deploy goes on.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// `call`'s answer, or an error when it has none within [`ANSWER_WITHIN`].
async fn bounded<T>(
    call: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    cloud::answered_by(Instant::now() + ANSWER_WITHIN, ANSWER_WITHIN, call).await
}

/// A task definition to check, and what to call it when several are.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// `service api`, `the pre-deploy task`.
    pub label: &'a str,
    pub task_definition: &'a Value,
}

/// Where the deploy runs.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub region: &'a str,
    /// The deploy's account id (from the live task definition's ARN).
    pub id: &'a str,
    /// Images the deploy already found in ECR (the deploy's own, `images`), as written into the
    /// task definitions: not looked up again.
    pub images_checked: &'a HashSet<String>,
}

/// What the preflight found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    /// How many things were checked.
    pub checks: usize,
    /// What would make tasks fail to start: the deploy stops before any write.
    pub problems: Vec<String>,
    /// What could not be checked, or may fail (a resource policy may still allow it).
    pub warnings: Vec<String>,
    /// What was left unchecked on purpose (another registry, another account).
    pub notes: Vec<String>,
    pub duration: Duration,
}

/// Adds `text` to `list` unless it is there already (two places can need the same thing).
fn push_once(list: &mut Vec<String>, text: String) {
    if !list.contains(&text) {
        list.push(text);
    }
}

impl Preflight {
    fn problem(&mut self, text: String) {
        push_once(&mut self.problems, text);
    }

    fn warning(&mut self, text: String) {
        push_once(&mut self.warnings, text);
    }

    fn note(&mut self, text: String) {
        push_once(&mut self.notes, text);
    }
}

/// What a task definition uses a role as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoleKind {
    /// ECS's own: pulls images, reads secrets, writes logs (its permissions are simulated).
    Execution,
    /// The application's.
    Task,
}

impl std::fmt::Display for RoleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Execution => "execution role",
            Self::Task => "task role",
        })
    }
}

/// A thing used somewhere: the first place, and how many others.
#[derive(Debug, Clone)]
struct Used<T> {
    what: T,
    at: String,
    more: usize,
}

impl<T> Used<T> {
    fn place(&self) -> String {
        match self.more {
            0 => self.at.clone(),
            1 => format!("{} and 1 more place", self.at),
            n => format!("{} and {n} more places", self.at),
        }
    }
}

/// Everything the subjects need, each thing once.
#[derive(Debug, Default)]
struct Wants {
    secrets: BTreeMap<String, Used<SecretUse>>,
    roles: BTreeMap<String, Used<RoleKind>>,
    log_groups: BTreeMap<(String, String), Used<bool>>,
    images: BTreeMap<String, Used<ImageUse>>,
    /// What reading them found wrong that may still work (read as the driver reads it).
    warnings: Vec<String>,
}

fn add<K: Ord, T>(map: &mut BTreeMap<K, Used<T>>, key: K, what: T, at: String) {
    map.entry(key)
        .and_modify(|u| u.more += 1)
        .or_insert(Used { what, at, more: 0 });
}

fn wants(subjects: &[Subject<'_>], region: &str) -> Wants {
    let mut wants = Wants::default();
    let labelled = subjects.len() > 1;
    for subject in subjects {
        let Needs {
            execution_role,
            task_role,
            secrets,
            log_groups,
            images,
        } = needs::needs(subject.task_definition);
        let at = |container: &str| {
            if labelled {
                format!("container `{container}` of {}", subject.label)
            } else {
                format!("container `{container}`")
            }
        };
        for (role, kind) in [
            (execution_role, RoleKind::Execution),
            (task_role, RoleKind::Task),
        ] {
            if let Some(role) = role {
                let used = wants
                    .roles
                    .entry(role)
                    .and_modify(|u| u.more += 1)
                    .or_insert(Used {
                        what: kind,
                        at: subject.label.to_string(),
                        more: 0,
                    });
                // A role that is anyone's execution role has its permissions checked.
                if kind == RoleKind::Execution {
                    used.what = kind;
                }
            }
        }
        for secret in secrets {
            let place = format!("{}, `{}`", at(&secret.container), secret.name);
            add(&mut wants.secrets, secret.value_from.clone(), secret, place);
        }
        for group in log_groups {
            let group_region = group.region.clone().unwrap_or_else(|| region.to_string());
            let place = at(&group.container);
            if let Some(value) = &group.create_unreadable {
                push_once(
                    &mut wants.warnings,
                    format!(
                        "log option `awslogs-create-group` of {place} is `{}`, which the awslogs driver does not read as a boolean (`true`, `false`, `1`, `0`, `t`, `f`): tasks may fail to start",
                        crate::text::printable(&crate::text::shorten(value, 40))
                    ),
                );
            }
            add(
                &mut wants.log_groups,
                (group_region, group.group),
                group.create,
                place,
            );
        }
        for image in images {
            let place = at(&image.container);
            add(&mut wants.images, image.image.clone(), image, place);
        }
    }
    wants
}

/// What the existence checks learned that the permission checks use.
#[derive(Debug, Default)]
struct Found {
    /// Execution roles that exist: (name, ARN).
    execution_roles: Vec<(String, String)>,
    /// Parameters that exist: their ARN and KMS key.
    parameters: Vec<(String, Option<String>)>,
    /// Secrets that exist: their full ARN and KMS key.
    secrets: Vec<(String, Option<String>)>,
    /// ECR repositories the images are in: (region, registry, name).
    repositories: BTreeSet<(String, String, String)>,
    /// Log groups: (region, name, created by ECS).
    log_groups: Vec<(String, String, bool)>,
}

/// Checks what `subjects` need. Never fails: what cannot be checked is a warning.
pub async fn run<C: Parameters + Secrets + Iam + Logs + Images>(
    cloud: &C,
    subjects: &[Subject<'_>],
    account: &Account<'_>,
) -> Preflight {
    let started = Instant::now();
    let wants = wants(subjects, account.region);
    let mut report = Preflight::default();
    for warning in &wants.warnings {
        report.warning(warning.clone());
    }
    let mut found = Found {
        repositories: repositories(&wants, &mut report),
        log_groups: wants
            .log_groups
            .iter()
            .map(|((region, group), u)| (region.clone(), group.clone(), u.what))
            .collect(),
        ..Found::default()
    };
    // What the simulator can be asked before any answer is asked beside the existence checks,
    // for each execution role as the task definitions name it.
    let guessed_roles = execution_roles(&wants, account);
    let referenced_parameters = parameter_arns(&wants, account);
    let written_secrets = full_secret_arns(&wants);
    let early = simulate::early_asks(&found, &referenced_parameters, &written_secrets, account);
    let (params, secrets, roles, groups, images, early_answers) = tokio::join!(
        parameters(cloud, &wants, account),
        secrets(cloud, &wants, account),
        roles(cloud, &wants, account),
        log_groups(cloud, &wants, account),
        images(cloud, &wants, account),
        simulate::ask(cloud, &guessed_roles, &early),
    );
    found.parameters = judge_parameters(params, &wants, account, &mut report);
    for (used, answer) in secrets {
        judge_secret(used, answer, account, &mut report, &mut found);
    }
    for (role, used) in &wants.roles {
        if account_of(role).is_some_and(|a| a != account.id) {
            report.note(format!(
                "{} `{role}` is in another account: not checked",
                used.what
            ));
        }
    }
    for (role, used, answer) in roles {
        judge_role(role, used, answer, account, &mut report, &mut found);
    }
    for ((region, group), used, answer) in groups {
        report.checks += 1;
        match answer {
            Ok(true) => {}
            Ok(false) => report.problem(format!(
                "log group `{group}` ({}) does not exist in {region}: create it, or set the log option `awslogs-create-group` to `true`",
                used.place()
            )),
            Err(err) => report.warning(unread("log groups", "logs:DescribeLogGroups", &err)),
        }
    }
    // The rest needs those answers: the secrets' full ARNs, the keys; and the early questions
    // again for a role that turned out to have another ARN than the one guessed.
    let late = simulate::late_asks(&found, &written_secrets, account);
    let missed: Vec<(String, String)> = found
        .execution_roles
        .iter()
        .filter(|r| !guessed_roles.contains(r))
        .cloned()
        .collect();
    let roles = found.execution_roles.clone();
    let (late_answers, again, ()) = tokio::join!(
        simulate::ask(cloud, &roles, &late),
        simulate::ask(cloud, &missed, &early),
        judge_images(cloud, images, account, &mut report)
    );
    // A parameter or secret that does not exist is a problem already, not a permission one
    // too; nor is a secret asked about as written that turned out to have another ARN.
    let counts = |resource: &str| {
        let guessed = referenced_parameters.iter().any(|p| p == resource)
            || written_secrets.iter().any(|s| s == resource);
        !guessed
            || found.parameters.iter().any(|(arn, _)| arn == resource)
            || found.secrets.iter().any(|(arn, _)| arn == resource)
    };
    for answers in [early_answers, again, late_answers] {
        simulate::judge_answers(answers, &roles, counts, &mut report);
    }
    report.duration = started.elapsed();
    report
}

/// The execution roles of the deploy's account, as the task definitions name them: `(name,
/// ARN)`, to simulate before `GetRole` answers.
fn execution_roles(wants: &Wants, account: &Account<'_>) -> Vec<(String, String)> {
    wants
        .roles
        .iter()
        .filter(|(role, used)| {
            used.what == RoleKind::Execution && account_of(role).is_none_or(|a| a == account.id)
        })
        .map(|(role, _)| (role_name(role).to_string(), role_arn(role, account)))
        .collect()
}

/// The Secrets Manager secrets the task definitions reference by what looks like a full ARN
/// (the name ends in `-` and the six characters Secrets Manager adds), as written: asked about
/// before `DescribeSecret` answers, and used when it answers with the same ARN.
fn full_secret_arns(wants: &Wants) -> Vec<String> {
    let mut arns: Vec<String> = wants
        .secrets
        .values()
        .filter_map(|used| match &used.what.reference {
            SecretRef::Secret { arn, .. } if looks_full(arn) => Some(arn.clone()),
            _ => None,
        })
        .collect();
    arns.sort();
    arns.dedup();
    arns
}

/// Whether a secret's ARN ends in the random suffix Secrets Manager gives every secret (`-` and
/// six letters or digits): a partial ARN (the name alone) does not.
fn looks_full(arn: &str) -> bool {
    let name = arn.rsplit(":secret:").next().unwrap_or_default();
    let name = name.as_bytes();
    name.len() > 7
        && name[name.len() - 7] == b'-'
        && name[name.len() - 6..].iter().all(u8::is_ascii_alphanumeric)
}

/// The ARN of every SSM parameter of the deploy's account the task definitions reference.
fn parameter_arns(wants: &Wants, account: &Account<'_>) -> Vec<String> {
    let mut arns: Vec<String> = wants
        .secrets
        .values()
        .filter_map(|used| match &used.what.reference {
            SecretRef::Parameter {
                names,
                region,
                account: owner,
            } if owner.as_deref().is_none_or(|a| a == account.id) => {
                let region = region.as_deref().unwrap_or(account.region);
                names
                    .first()
                    .map(|name| parameter_arn(name, region, account))
            }
            _ => None,
        })
        .collect();
    arns.sort();
    arns.dedup();
    arns
}

/// An SSM parameter's ARN in the deploy's account (a name without a leading `/` gets one).
fn parameter_arn(name: &str, region: &str, account: &Account<'_>) -> String {
    let path = if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    };
    format!(
        "arn:{}:ssm:{region}:{}:parameter{path}",
        Partition::of(region).name(),
        account.id
    )
}

/// `None` for the deploy's own region (its client), else the region.
fn elsewhere<'a>(region: &'a str, account: &Account<'_>) -> Option<&'a str> {
    Some(region).filter(|r| *r != account.region)
}

/// Each log group ((region, name)), where it is used, and whether it exists.
type LogGroupAnswers<'w> = Vec<(&'w (String, String), &'w Used<bool>, anyhow::Result<bool>)>;

async fn secrets<'w, C: Secrets>(
    cloud: &C,
    wants: &'w Wants,
    account: &Account<'_>,
) -> Vec<(&'w Used<SecretUse>, anyhow::Result<SecretInfo>)> {
    join_all(
        wants
            .secrets
            .values()
            .filter_map(|u| match &u.what.reference {
                SecretRef::Secret { arn, region, .. } => Some((u, elsewhere(region, account), arn)),
                SecretRef::SecretName(name) => Some((u, None, name)),
                _ => None,
            })
            .map(|(u, region, id)| async move {
                (u, bounded(cloud.describe_secret(region, id)).await)
            }),
    )
    .await
}

/// The roles of the deploy's account, each read by name (`GetRole` takes no account: another
/// account's role is not looked up, lest a role of the same name here answer for it).
async fn roles<'w, C: Iam>(
    cloud: &C,
    wants: &'w Wants,
    account: &Account<'_>,
) -> Vec<(&'w String, &'w Used<RoleKind>, anyhow::Result<RoleInfo>)> {
    join_all(
        wants
            .roles
            .iter()
            .filter(|(role, _)| account_of(role).is_none_or(|a| a == account.id))
            .map(|(role, u)| async move {
                (role, u, bounded(cloud.get_role(role_name(role))).await)
            }),
    )
    .await
}

/// The log groups ECS does not create, and whether each exists.
async fn log_groups<'w, C: Logs>(
    cloud: &C,
    wants: &'w Wants,
    account: &Account<'_>,
) -> LogGroupAnswers<'w> {
    join_all(
        wants
            .log_groups
            .iter()
            .filter(|(_, u)| !u.what)
            .map(|(key, u)| async move {
                let (region, group) = key;
                let answer =
                    bounded(cloud.log_group_exists(elsewhere(region, account), group)).await;
                (key, u, answer)
            }),
    )
    .await
}

/// The ECR images the deploy did not look up already.
async fn images<'w, C: Images>(
    cloud: &C,
    wants: &'w Wants,
    account: &Account<'_>,
) -> Vec<(&'w Used<ImageUse>, anyhow::Result<crate::cloud::FoundImage>)> {
    join_all(
        wants
            .images
            .values()
            .filter(|u| !account.images_checked.contains(&u.what.image))
            .filter_map(|u| u.what.ecr.as_ref().map(|ecr| (u, ecr)))
            .map(|(u, (repo, reference))| async move {
                let wanted = Wanted::of(reference.tag.as_deref(), reference.digest.as_deref())
                    .unwrap_or(Wanted::Tag("latest"));
                (
                    u,
                    bounded(cloud.find_image(&Repository::of(repo), wanted)).await,
                )
            }),
    )
    .await
}

/// Each image found, or missing, or not checked. A missing image in a repository an ECR
/// pull-through cache rule fills is fetched on its first pull (the rules are read only when an
/// image is missing); one in another account the deploy role may not describe is that account's
/// repository policy's business, and a note.
async fn judge_images<C: Images>(
    cloud: &C,
    images: Vec<(&Used<ImageUse>, anyhow::Result<crate::cloud::FoundImage>)>,
    account: &Account<'_>,
    report: &mut Preflight,
) {
    let mut missing = Vec::new();
    for (used, answer) in images {
        report.checks += 1;
        let Some((repo, _)) = &used.what.ecr else {
            continue;
        };
        match answer {
            Ok(_) => {}
            Err(err) if is_missing_image(&err) => missing.push((used, repo)),
            Err(_) if repo.registry_id != account.id => report.note(format!(
                "image `{}` ({}) is in another account: not checked (its repository policy decides who may pull it)",
                used.what.image,
                used.place()
            )),
            Err(err) => report.warning(unread("images", "ecr:DescribeImages", &err)),
        }
    }
    if missing.is_empty() {
        return;
    }
    let mut registries: Vec<Repository> = missing
        .iter()
        .map(|(_, repo)| Repository::of(repo))
        .collect();
    registries.sort_by(|a, b| (&a.region, &a.registry_id).cmp(&(&b.region, &b.registry_id)));
    registries.dedup_by(|a, b| (&a.region, &a.registry_id) == (&b.region, &b.registry_id));
    let rules = join_all(
        registries
            .iter()
            .map(|r| async move { (r, bounded(cloud.pull_through_rules(r)).await) }),
    )
    .await;
    for (used, repo) in missing {
        let registry = rules
            .iter()
            .find(|(r, _)| {
                r.region.as_deref() == Some(repo.region.as_str())
                    && r.registry_id.as_deref() == Some(repo.registry_id.as_str())
            })
            .map(|(_, answer)| answer);
        let rule = match registry {
            Some(Ok(rules)) => rules.iter().find(|rule| rule.covers(&repo.name)),
            Some(Err(err)) => {
                report.warning(unread(
                    "ECR's pull-through cache rules",
                    "ecr:DescribePullThroughCacheRules",
                    err,
                ));
                None
            }
            None => None,
        };
        match rule {
            Some(rule) => report.note(format!(
                "image `{}` ({}) is not in ECR yet: its pull-through cache rule `{}` fetches it from `{}` on the first pull",
                used.what.image,
                used.place(),
                rule.prefix,
                rule.upstream
            )),
            None => report.problem(format!(
                "image `{}` ({}) is not in ECR",
                used.what.image,
                used.place()
            )),
        }
    }
}

/// The ECR repositories the images come from; an image of another registry is a note.
fn repositories(wants: &Wants, report: &mut Preflight) -> BTreeSet<(String, String, String)> {
    let mut found = BTreeSet::new();
    for used in wants.images.values() {
        match &used.what.ecr {
            Some((repo, _)) => {
                found.insert((
                    repo.region.clone(),
                    repo.registry_id.clone(),
                    repo.name.clone(),
                ));
            }
            None => report.note(format!(
                "image `{}` ({}) is not in ECR: not checked",
                used.what.image,
                used.place()
            )),
        }
    }
    found
}

/// The role's ARN: as the task definition gives it, or, for a bare name, the deploy account's
/// role of that name (a role with a path needs its ARN in the task definition anyway).
fn role_arn(role: &str, account: &Account<'_>) -> String {
    if role.starts_with("arn:") {
        role.to_string()
    } else {
        format!(
            "arn:{}:iam::{}:role/{role}",
            Partition::of(account.region).name(),
            account.id
        )
    }
}

/// The role's name from its ARN (`arn:aws:iam::1:role/path/name` → `name`) or as given.
fn role_name(role: &str) -> &str {
    role.rsplit('/').next().unwrap_or(role)
}

fn account_of(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(3))
        .filter(|a| !a.is_empty())
}

/// A warning for reads that failed: a denied one names the permission.
fn unread(what: &str, permission: &str, err: &anyhow::Error) -> String {
    if cloud::is_denied(err) {
        format!("{what} were not checked: the deploy role may not call {permission}")
    } else {
        format!("{what} could not be checked: {err:#}")
    }
}

fn is_missing_image(err: &anyhow::Error) -> bool {
    cloud::is_not_found(err)
}

/// A reference as we may print it: ARNs and `/paths` are names; anything else may be a value
/// pasted where a name belongs, and is not repeated.
fn shown(value_from: &str) -> String {
    if value_from.starts_with("arn:") || value_from.starts_with('/') {
        format!(" `{value_from}`")
    } else {
        String::new()
    }
}

/// The parameters used in one region, and what `DescribeParameters` answered there.
type ParameterAnswer<'w> = (Vec<&'w Used<SecretUse>>, anyhow::Result<Vec<ParameterInfo>>);

/// The parameter lookups, one per region.
async fn parameters<'w, C: Parameters>(
    cloud: &C,
    wants: &'w Wants,
    account: &Account<'_>,
) -> Vec<ParameterAnswer<'w>> {
    let mut by_region: BTreeMap<Option<String>, Vec<&Used<SecretUse>>> = BTreeMap::new();
    for used in wants.secrets.values() {
        if let SecretRef::Parameter { region, .. } = &used.what.reference {
            let region = region.clone().filter(|r| r != account.region);
            by_region.entry(region).or_default().push(used);
        }
    }
    join_all(by_region.into_iter().map(|(region, uses)| async move {
        let names: Vec<String> = uses
            .iter()
            .filter_map(|u| match &u.what.reference {
                SecretRef::Parameter { names, .. } => Some(names.clone()),
                _ => None,
            })
            .flatten()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let answer = bounded(cloud.describe_parameters(region.as_deref(), &names)).await;
        (uses, answer)
    }))
    .await
}

/// Problems for missing parameters (and invalid references); the ARNs and keys of those found.
fn judge_parameters(
    answers: Vec<ParameterAnswer<'_>>,
    wants: &Wants,
    account: &Account<'_>,
    report: &mut Preflight,
) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for used in wants.secrets.values() {
        if let SecretRef::Invalid(why) = &used.what.reference {
            report.checks += 1;
            report.problem(format!(
                "the secret reference of {} is not valid: {why}",
                used.place()
            ));
        }
    }
    for (uses, answer) in answers {
        let existing = match answer {
            Ok(existing) => existing,
            Err(err) => {
                report.warning(unread("SSM parameters", "ssm:DescribeParameters", &err));
                continue;
            }
        };
        for used in uses {
            let SecretRef::Parameter {
                names,
                region,
                account: owner,
            } = &used.what.reference
            else {
                continue;
            };
            if owner.as_deref().is_some_and(|a| a != account.id) {
                report.note(format!(
                    "SSM parameter{} ({}) is in another account: not checked",
                    shown(&used.what.value_from),
                    used.place()
                ));
                continue;
            }
            report.checks += 1;
            match existing.iter().find(|p| names.contains(&p.name)) {
                Some(p) => {
                    let region = region.as_deref().unwrap_or(account.region);
                    found.push((parameter_arn(&p.name, region, account), p.kms_key.clone()));
                }
                None => report.problem(format!(
                    "SSM parameter{} ({}) does not exist",
                    shown(&used.what.value_from),
                    used.place()
                )),
            }
        }
    }
    found
}

fn judge_secret(
    used: &Used<SecretUse>,
    answer: anyhow::Result<SecretInfo>,
    account: &Account<'_>,
    report: &mut Preflight,
    found: &mut Found,
) {
    let (arn, owner, version_stage, version_id) = match &used.what.reference {
        SecretRef::Secret {
            arn,
            account,
            version_stage,
            version_id,
            ..
        } => (arn, Some(account.as_str()), version_stage, version_id),
        SecretRef::SecretName(name) => (name, None, &None, &None),
        _ => return,
    };
    report.checks += 1;
    let secret = match answer {
        Ok(secret) => secret,
        Err(err) if cloud::is_not_found(&err) => {
            report.problem(format!(
                "Secrets Manager secret `{arn}` ({}) does not exist",
                used.place()
            ));
            return;
        }
        Err(_) if owner.is_some_and(|owner| owner != account.id) => {
            report.note(format!(
                "Secrets Manager secret `{arn}` ({}) is in another account: not checked (its resource policy decides who may read it)",
                used.place()
            ));
            return;
        }
        Err(err) => {
            report.warning(unread(
                "Secrets Manager secrets",
                "secretsmanager:DescribeSecret",
                &err,
            ));
            return;
        }
    };
    if secret.deleted {
        report.problem(format!(
            "Secrets Manager secret `{arn}` ({}) is scheduled for deletion: its value cannot be read",
            used.place()
        ));
        return;
    }
    if let Some(stage) = version_stage
        && !secret.versions.values().flatten().any(|s| s == stage)
    {
        report.problem(format!(
            "Secrets Manager secret `{arn}` ({}) has no version labelled `{stage}`",
            used.place()
        ));
    }
    if let Some(id) = version_id
        && !secret.versions.contains_key(id)
    {
        report.problem(format!(
            "Secrets Manager secret `{arn}` ({}) has no version `{id}`",
            used.place()
        ));
    }
    found.secrets.push((secret.arn, secret.kms_key));
}

fn judge_role(
    role: &str,
    used: &Used<RoleKind>,
    answer: anyhow::Result<RoleInfo>,
    account: &Account<'_>,
    report: &mut Preflight,
    found: &mut Found,
) {
    let kind = used.what;
    let name = role_name(role);
    report.checks += 1;
    let info = match answer {
        Ok(info) => info,
        Err(err) if cloud::is_not_found(&err) => {
            report.problem(format!("{kind} `{name}` does not exist"));
            return;
        }
        Err(err) => {
            report.warning(unread("roles", "iam:GetRole", &err));
            // Its permissions are still simulated, by the ARN the task definition gives.
            if kind == RoleKind::Execution {
                found
                    .execution_roles
                    .push((name.to_string(), role_arn(role, account)));
            }
            return;
        }
    };
    if role.starts_with("arn:") && info.arn != role {
        report.problem(format!(
            "{kind} `{role}` does not exist: the role named `{name}` is `{}`",
            info.arn
        ));
        return;
    }
    if info
        .trust_policy
        .as_deref()
        .and_then(needs::trusts_ecs_tasks)
        == Some(false)
    {
        report.problem(format!(
            "{kind} `{name}` cannot be assumed by ECS tasks: its trust policy does not allow `ecs-tasks.amazonaws.com`"
        ));
    }
    if kind == RoleKind::Execution {
        found.execution_roles.push((name.to_string(), info.arn));
    }
}

/// The repository of an ECR URI, for the permission checks.
pub fn repository_arn(region: &str, registry: &str, name: &str) -> String {
    format!(
        "arn:{}:ecr:{region}:{registry}:repository/{name}",
        Partition::of(region).name()
    )
}

#[cfg(test)]
mod tests {
    use super::looks_full;

    #[test]
    fn a_full_secret_arn_ends_in_a_dash_and_six_letters_or_digits() {
        let arn =
            |name: &str| format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}");
        assert!(looks_full(&arn("db-AbC123")));
        assert!(looks_full(&arn("prod/api/db-xYz789")));
        for partial in [
            "db",
            "db-AbC12",
            "db_AbC123",
            "db-AbC12!",
            "-AbC123",
            "dé-AbC12",
        ] {
            assert!(!looks_full(&arn(partial)), "{partial}");
        }
        // Not a character boundary six bytes from the end: no panic, not full.
        assert!(!looks_full(&arn("d-ééé")));
    }
}
