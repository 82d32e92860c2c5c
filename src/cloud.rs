//! The seam between the stages and AWS: every AWS read and write a run makes, one method per
//! operation, in our own types.
//!
//! [`crate::aws::Clients`] is the real cloud. The stages are generic over [`Cloud`], so tests run
//! them against a model of ECS on tokio's paused clock: crash loops, timeouts, throttled
//! registration and hung calls take no real time.
//!
//! The methods report what AWS answered and decide nothing: an error keeps AWS's error code
//! ([`AwsError::code`]), and the stage that called decides what it means (a missing service is a
//! user error while gathering, and an outcome while watching).

use std::collections::BTreeMap;
use std::future::Future;

use anyhow::Context;
use serde_json::Value;

use crate::domain::deployment::{ServiceDeployment, ServiceRevision};
use crate::domain::service::{Placement, ServiceState, Tag, TargetHealth};
use crate::domain::states::{ServiceStatus, TaskStatus};
use crate::domain::task::StoppedTask;
use crate::error::UserError;

pub use crate::domain::deployment_settings::DeploymentSettings;

/// What kind of failure an AWS error is, decided once where the error is made (from AWS's error
/// code and message, or from how the call failed): the stages branch on this, never on codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// AWS is rate-limiting the caller: try again later.
    Throttled,
    /// The caller may not do this (IAM, a resource policy).
    Denied,
    /// What was named does not exist.
    NotFound,
    /// Another change to the same thing is under way (a concurrent registration).
    Conflict,
    /// A 5xx, a timeout, a lost connection: the same call may work later.
    Transient,
    /// AWS refused the request as it was made.
    Invalid,
    /// An error code not known here.
    Unknown,
}

impl ErrorKind {
    /// The kind of AWS's error `code` (with its `message`, which tells ECS's
    /// `ClientException`s apart).
    pub fn of(code: &str, message: &str) -> Self {
        match code {
            c if THROTTLING_CODES.contains(&c) => Self::Throttled,
            c if TRANSIENT_CODES.contains(&c) => Self::Transient,
            c if c.starts_with("AccessDenied") || c == "UnauthorizedOperation" => Self::Denied,
            c if c.ends_with("NotFoundException")
                || c.ends_with("NotFound")
                || c == "NoSuchEntity" =>
            {
                Self::NotFound
            }
            "ClientException" if message.contains("Too many concurrent attempts") => Self::Conflict,
            c if c.contains("Conflict") || c.starts_with("ConcurrentModification") => {
                Self::Conflict
            }
            c if c.starts_with("Invalid")
                || c.contains("Validation")
                || c == "ClientException"
                || c == "MalformedPolicyDocument" =>
            {
                Self::Invalid
            }
            _ => Self::Unknown,
        }
    }

    /// Whether trying the same call again can help.
    pub fn transient(self) -> bool {
        matches!(self, Self::Throttled | Self::Transient)
    }
}

/// An AWS error as we report it, with AWS's error code and what kind of failure it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// AWS's error code (`ServiceNotFoundException`); `None` for a timeout or a lost connection.
    pub code: Option<String>,
    /// `Code: message` for a service error, else the cause chain (timeouts, connections).
    pub text: String,
    pub kind: ErrorKind,
}

impl AwsError {
    /// A service error: `code` and AWS's message.
    pub fn service(code: &str, message: &str) -> Self {
        Self {
            code: Some(code.to_string()),
            text: format!("{code}: {message}"),
            kind: ErrorKind::of(code, message),
        }
    }

    /// A call that got no answer of AWS's own (a timeout, a connection that failed, a body that
    /// is not AWS's): `permanent` when trying again cannot change it (a 4xx).
    pub fn unanswered(text: String, permanent: bool) -> Self {
        Self {
            code: None,
            text,
            kind: if permanent {
                ErrorKind::Invalid
            } else {
                ErrorKind::Transient
            },
        }
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for AwsError {}

/// Error codes that say "slow down".
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "TooManyRequestsException",
];

/// Error codes that say "try again later".
const TRANSIENT_CODES: &[&str] = &[
    "ServerException",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// The kind of the AWS error anywhere in an error's chain; `None` when it is not an AWS error.
pub fn kind(err: &anyhow::Error) -> Option<ErrorKind> {
    aws_error(err).map(|e| e.kind)
}

/// Whether an error (anywhere in its chain) is an AWS error that retrying will not change.
pub fn is_permanent(err: &anyhow::Error) -> bool {
    kind(err).is_some_and(|k| !k.transient())
}

/// Whether an error (anywhere in its chain) is an AWS error that trying again may change
/// (throttling, a 5xx, a timeout, a lost connection).
pub fn is_transient(err: &anyhow::Error) -> bool {
    kind(err).is_some_and(ErrorKind::transient)
}

/// Whether an error (anywhere in its chain) is AWS saying the caller may not do this.
pub fn is_denied(err: &anyhow::Error) -> bool {
    kind(err) == Some(ErrorKind::Denied)
}

/// Whether an error (anywhere in its chain) is AWS saying what was named does not exist.
pub fn is_not_found(err: &anyhow::Error) -> bool {
    kind(err) == Some(ErrorKind::NotFound)
}

/// Whether an ECR image lookup failed because the repository itself does not exist (rather
/// than the image in it).
pub fn is_missing_repository(err: &anyhow::Error) -> bool {
    aws_error(err).is_some_and(|e| e.code.as_deref() == Some("RepositoryNotFoundException"))
}

fn aws_error(err: &anyhow::Error) -> Option<&AwsError> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<AwsError>())
}

/// What to change on a service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceUpdate {
    pub task_definition: Option<String>,
    pub desired_count: Option<i32>,
    pub force_new_deployment: bool,
    /// Full settings to set (already merged with the current ones), or `None` to leave them.
    pub settings: Option<DeploymentSettings>,
}

/// A one-off task to start.
#[derive(Debug, Clone)]
pub struct OneOffTask<'a> {
    pub cluster: &'a str,
    pub task_definition: &'a str,
    pub placement: &'a Placement,
    /// Container name and the command to run in it instead of the image's.
    pub command: Option<(&'a str, &'a [String])>,
    pub started_by: &'a str,
}

/// An ECR repository: in the deploy's account and region unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub name: String,
    pub registry_id: Option<String>,
    /// `None`: the deploy's region.
    pub region: Option<String>,
}

impl Repository {
    /// The repository an ECR URI names (its account and region).
    pub fn of(repo: &crate::domain::image::EcrRepository) -> Self {
        Self {
            name: repo.name.clone(),
            registry_id: Some(repo.registry_id.clone()),
            region: Some(repo.region.clone()),
        }
    }
}

/// What to look for in a repository: a tag or a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted<'a> {
    Tag(&'a str),
    Digest(&'a str),
}

impl<'a> Wanted<'a> {
    /// The digest when there is one (it names exactly one image), else the tag.
    pub fn of(tag: Option<&'a str>, digest: Option<&'a str>) -> Option<Self> {
        match (digest, tag) {
            (Some(digest), _) => Some(Self::Digest(digest)),
            (None, Some(tag)) => Some(Self::Tag(tag)),
            (None, None) => None,
        }
    }
}

/// An image found in ECR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundImage {
    pub registry_id: String,
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
}

/// An ECR pull-through cache rule: repositories under `prefix/` are filled from `upstream` on
/// their first pull (`DescribePullThroughCacheRules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullThroughRule {
    /// The ECR repository prefix (the API reference: "There is always an assumed `/` applied to
    /// the end of the prefix").
    pub prefix: String,
    /// The upstream registry's URL (`registry-1.docker.io`).
    pub upstream: String,
}

impl PullThroughRule {
    /// Whether the rule fills `repository` (`ROOT`: every repository).
    pub fn covers(&self, repository: &str) -> bool {
        self.prefix == "ROOT"
            || repository
                .strip_prefix(self.prefix.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// A service deployment as `ListServiceDeployments` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeploymentBrief {
    pub arn: String,
    pub created_at: Option<std::time::SystemTime>,
    pub status: crate::domain::deployment::ServiceDeploymentStatus,
    /// The service revision it deploys (`DescribeServiceRevisions` tells its task definition).
    pub target_revision: Option<String>,
}

/// What to do at a PAUSE lifecycle hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookAction {
    Continue,
    Rollback,
}

impl HookAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continue => "CONTINUE",
            Self::Rollback => "ROLLBACK",
        }
    }
}

/// How to stop a service deployment: roll it back, or leave the service where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopType {
    Rollback,
    Abort,
}

impl StopType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rollback => "ROLLBACK",
            Self::Abort => "ABORT",
        }
    }
}

/// An SSM parameter as `DescribeParameters` lists it (no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterInfo {
    pub name: String,
    /// The KMS key of a `SecureString` (`alias/aws/ssm` by default).
    pub kms_key: Option<String>,
}

/// A Secrets Manager secret as `DescribeSecret` tells it (no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretInfo {
    /// Its full ARN (with the six-character suffix).
    pub arn: String,
    /// Its customer managed KMS key; `None` for the AWS managed `aws/secretsmanager`.
    pub kms_key: Option<String>,
    /// Version id → its staging labels (`AWSCURRENT`, `AWSPREVIOUS`, ...).
    pub versions: BTreeMap<String, Vec<String>>,
    /// Scheduled for deletion: its value can no longer be read.
    pub deleted: bool,
}

/// An IAM role as `GetRole` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub arn: String,
    /// Its trust policy, as JSON (decoded).
    pub trust_policy: Option<String>,
}

/// What IAM's policy simulator decided for one action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// A statement denies it.
    ExplicitDeny,
    /// Nothing in the role's own policies allows it (a resource policy still may).
    ImplicitDeny,
}

/// One result of `SimulatePrincipalPolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub action: String,
    pub resource: String,
    pub decision: Decision,
}

/// Where a service is: `None` for the deploy's own region.
pub type InRegion<'a> = Option<&'a str>;

/// Services as `DescribeServices` returned them, whatever their status, and the ones it listed
/// as failures (`(arn, reason)`, `MISSING` for a service it does not know).
pub type DescribedServices = (Vec<ServiceState>, Vec<(String, String)>);

type Answer<T> = anyhow::Result<T>;

/// Every AWS operation a run uses, one trait per AWS service (each at most 12 methods): a stage
/// is bound by the ones it uses. Errors carry an [`AwsError`] in their chain. An implementor
/// of them all says so with an empty `impl Cloud`.
pub trait Cloud:
    Region
    + Parameters
    + Services
    + ServiceDeployments
    + TaskDefinitions
    + Tasks
    + Images
    + Secrets
    + Iam
    + Logs
    + Schedules
    + LoadBalancers
{
}

/// The region the clients talk to.
pub trait Region {
    /// The deploy's region.
    fn region(&self) -> &str;
}

/// SSM Parameter Store: the names a deploy reads, the record it writes.
pub trait Parameters {
    /// SSM parameters by full name; missing ones are absent. `GetParameters`, 10 per call.
    fn get_parameters(
        &self,
        names: &[String],
    ) -> impl Future<Output = Answer<BTreeMap<String, String>>>;
    /// Writes (or overwrites) a String parameter. `PutParameter`.
    fn put_parameter(&self, name: &str, value: &str) -> impl Future<Output = Answer<()>>;
    /// The SSM parameters among `names` that exist (names only, no values): `DescribeParameters`
    /// with a `Name Equals` filter, 50 names a call.
    fn describe_parameters(
        &self,
        region: InRegion<'_>,
        names: &[String],
    ) -> impl Future<Output = Answer<Vec<ParameterInfo>>>;
}

/// ECS clusters and services: read, poll, update.
pub trait Services {
    /// At most 10 services. `DescribeServices`.
    fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> impl Future<Output = Answer<DescribedServices>>;
    /// The same for a polling loop: fewer attempts, since the poller tries again anyway.
    fn poll_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> impl Future<Output = Answer<DescribedServices>>;
    /// A cluster's tags; none for a cluster ECS does not know. `DescribeClusters`.
    fn cluster_tags(&self, cluster: &str) -> impl Future<Output = Answer<Vec<Tag>>>;
    /// Updates a service; its state as the answer shows it. `UpdateService`.
    fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> impl Future<Output = Answer<ServiceState>>;
    /// Every cluster of the region (ARNs).
    fn list_clusters(&self) -> impl Future<Output = Answer<Vec<String>>>;
    /// Every service of a cluster (ARNs).
    fn list_services(&self, cluster: &str) -> impl Future<Output = Answer<Vec<String>>>;
}

/// ECS's record of each rollout: its service deployments and revisions, and acting on them.
pub trait ServiceDeployments {
    /// The service deployments of a service created at or after `created_after`.
    /// `ListServiceDeployments`. For a polling loop.
    fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: std::time::SystemTime,
    ) -> impl Future<Output = Answer<Vec<ServiceDeploymentBrief>>>;
    /// At most 20 service deployments, of any cluster; ones ECS does not know are left out.
    /// `DescribeServiceDeployments`. For a polling loop.
    fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> impl Future<Output = Answer<Vec<ServiceDeployment>>>;
    /// At most 20 service revisions, with the image digests ECS resolved; unknown ones are left
    /// out. `DescribeServiceRevisions`.
    fn describe_service_revisions(
        &self,
        arns: &[String],
    ) -> impl Future<Output = Answer<Vec<ServiceRevision>>>;
    /// Acts on a PAUSE lifecycle hook awaiting action: `CONTINUE` moves the deployment on,
    /// `ROLLBACK` rolls it back. `ContinueServiceDeployment`.
    fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: HookAction,
    ) -> impl Future<Output = Answer<()>>;
    /// Stops a service deployment in progress, rolling it back (`ROLLBACK`) or leaving it where
    /// it is (`ABORT`). `StopServiceDeployment`.
    fn stop_service_deployment(
        &self,
        arn: &str,
        stop: StopType,
    ) -> impl Future<Output = Answer<()>>;
}

/// Task-definition revisions: read, register, list, deregister.
pub trait TaskDefinitions {
    /// A task definition with its tags, as AWS's raw JSON answer (`{"taskDefinition", "tags"}`).
    fn describe_task_definition(
        &self,
        task_definition: &str,
    ) -> impl Future<Output = Answer<Value>>;
    /// Registers a task definition from its request JSON; the new ARN.
    fn register_task_definition(&self, body: &Value) -> impl Future<Output = Answer<String>>;
    /// ACTIVE revisions of exactly `family`, newest first. `ListTaskDefinitions`.
    fn active_revisions(&self, family: &str) -> impl Future<Output = Answer<Vec<String>>>;
    fn deregister_task_definition(&self, arn: &str) -> impl Future<Output = Answer<()>>;
}

/// Tasks: the one-off task, stopped tasks, running ones.
pub trait Tasks {
    /// Starts one task; its ARN. A placement failure is an error with ECS's reason. `RunTask`.
    fn run_task(&self, task: &OneOffTask<'_>) -> impl Future<Output = Answer<String>>;
    /// A task's `lastStatus` and, once stopped, how it ended; `None` while ECS does not list it
    /// yet (right after `RunTask`). For a polling loop.
    fn task_status(
        &self,
        cluster: &str,
        arn: &str,
    ) -> impl Future<Output = Answer<Option<(TaskStatus, StoppedTask)>>>;
    /// Stopped tasks a deployment started (ARNs, newest first, at most 100). For a polling loop.
    fn list_stopped_tasks(
        &self,
        cluster: &str,
        started_by: &str,
    ) -> impl Future<Output = Answer<Vec<String>>>;
    /// At most 100 tasks. `DescribeTasks`.
    fn describe_tasks(
        &self,
        cluster: &str,
        arns: &[String],
    ) -> impl Future<Output = Answer<Vec<StoppedTask>>>;
    /// The running (and starting) tasks of a cluster (ARNs).
    fn list_running_tasks(&self, cluster: &str) -> impl Future<Output = Answer<Vec<String>>>;
    /// Asks ECS to stop a task (`StopTask`: SIGTERM, then SIGKILL after the container's
    /// `stopTimeout`); `reason` shows in its `stoppedReason`.
    fn stop_task(&self, cluster: &str, arn: &str, reason: &str)
    -> impl Future<Output = Answer<()>>;
}

/// ECR: images, their tags, pull-through cache rules.
pub trait Images {
    /// The image with a tag or digest. `DescribeImages`.
    fn find_image(
        &self,
        repository: &Repository,
        wanted: Wanted<'_>,
    ) -> impl Future<Output = Answer<FoundImage>>;
    /// Up to `n` tags of the most recently pushed images.
    fn recent_tags(
        &self,
        repository: &Repository,
        n: usize,
    ) -> impl Future<Output = Answer<Vec<String>>>;
    /// One image of the repository, if it has any: `Some(registry id)`. `DescribeImages`.
    fn any_image(&self, repository: &Repository) -> impl Future<Output = Answer<Option<String>>>;
    /// The pull-through cache rules of the repository's registry and region.
    /// `DescribePullThroughCacheRules`.
    fn pull_through_rules(
        &self,
        repository: &Repository,
    ) -> impl Future<Output = Answer<Vec<PullThroughRule>>>;
    /// Adds `tag` to the image with `digest` (the same manifest); a tag already on it is fine.
    fn tag_image(
        &self,
        repository: &Repository,
        digest: &str,
        tag: &str,
    ) -> impl Future<Output = Answer<()>>;
}

/// Secrets Manager: that a secret exists (never its value).
pub trait Secrets {
    /// A secret's metadata, never its value. `DescribeSecret`; one that does not exist is AWS's
    /// `ResourceNotFoundException`.
    fn describe_secret(
        &self,
        region: InRegion<'_>,
        secret_id: &str,
    ) -> impl Future<Output = Answer<SecretInfo>>;
}

/// IAM: roles and the policy simulator.
pub trait Iam {
    /// A role by name. `GetRole`; one that does not exist is IAM's `NoSuchEntity`.
    fn get_role(&self, name: &str) -> impl Future<Output = Answer<RoleInfo>>;
    /// What the principal's own policies decide for each action on each resource.
    /// `SimulatePrincipalPolicy`.
    fn simulate_principal_policy(
        &self,
        principal_arn: &str,
        actions: &[String],
        resources: &[String],
    ) -> impl Future<Output = Answer<Vec<Evaluation>>>;
}

/// CloudWatch Logs: log groups and the last lines of a stream.
pub trait Logs {
    /// Whether a CloudWatch Logs log group exists. `DescribeLogGroups` by prefix.
    fn log_group_exists(
        &self,
        region: InRegion<'_>,
        group: &str,
    ) -> impl Future<Output = Answer<bool>>;
    /// The last `lines` messages of a log stream, oldest first. `GetLogEvents`; a stream that does
    /// not exist is `ResourceNotFoundException`.
    fn log_tail(
        &self,
        region: InRegion<'_>,
        group: &str,
        stream: &str,
        lines: u16,
    ) -> impl Future<Output = Answer<Vec<String>>>;
}

/// EventBridge rules and Scheduler schedules that run task definitions.
pub trait Schedules {
    /// The task definitions the EventBridge rules of the default event bus run in the cluster
    /// (scheduled tasks), as their targets name them: `(rule, task definition)`.
    /// `ListRuleNamesByTarget` for the cluster, then `ListTargetsByRule`.
    fn rule_task_definitions(
        &self,
        cluster_arn: &str,
    ) -> impl Future<Output = Answer<Vec<(String, String)>>>;
    /// The task definitions the region's EventBridge Scheduler schedules run (in any group), as
    /// their targets name them: `(group/schedule, task definition)`. `ListSchedules`, then
    /// `GetSchedule` for those whose target is an ECS cluster.
    fn schedule_task_definitions(&self) -> impl Future<Output = Answer<Vec<(String, String)>>>;
    /// Points the rule's ECS targets in `cluster_arn` that run `from` at `to`, every other field
    /// of each target kept as `ListTargetsByRule` gave it (`PutTargets` replaces a target whole);
    /// how many moved. A target that runs another revision is left alone.
    fn move_rule_targets(
        &self,
        rule: &str,
        cluster_arn: &str,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Answer<usize>>;
    /// Points the schedule (`group/name`) at `to` when its ECS target runs `from`, everything
    /// else kept as `GetSchedule` gave it (`UpdateSchedule` replaces the whole schedule); whether
    /// it moved.
    fn move_schedule(
        &self,
        schedule: &str,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Answer<bool>>;
}

/// Elastic Load Balancing: the health of a target group's targets.
pub trait LoadBalancers {
    /// Every target of a target group with its health. `DescribeTargetHealth`.
    fn target_health(
        &self,
        target_group_arn: &str,
    ) -> impl Future<Output = Answer<Vec<TargetHealth>>>;
}

/// `call`'s answer, or, once `deadline` passed, an error saying there was none within `limit`
/// (the SDK's own deadline is 40 s a call; a read that may not hold a run up gets less).
pub async fn answered_by<T>(
    deadline: tokio::time::Instant,
    limit: std::time::Duration,
    call: impl Future<Output = Answer<T>>,
) -> Answer<T> {
    tokio::time::timeout_at(deadline, call)
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {} s", limit.as_secs())))
}

/// Describes services (at most 10) that must exist and be ACTIVE: a cluster or service ECS does
/// not know, or a service that is not ACTIVE, is a user error.
pub async fn describe_active<C: Services>(
    cloud: &C,
    cluster: &str,
    names: &[String],
) -> anyhow::Result<Vec<ServiceState>> {
    let (states, missing) = cloud
        .describe_services(cluster, names)
        .await
        .map_err(|err| cluster_not_found(err, cluster))?;
    if let Some((what, reason)) = missing.first() {
        if reason == "MISSING" {
            return Err(UserError::new(format!(
                "service `{}` was not found in cluster `{cluster}`",
                crate::domain::arn::name_of(what)
            ))
            .hint("check input `services` (or SSM `service-name`), `cluster` and the region")
            .into());
        }
        anyhow::bail!("describing service `{what}` in cluster `{cluster}`: {reason}");
    }
    if let Some(inactive) = states.iter().find(|s| s.status != ServiceStatus::Active) {
        return Err(UserError::new(format!(
            "service `{}` in cluster `{cluster}` is {}",
            inactive.name, inactive.status
        ))
        .hint("only an ACTIVE service can be deployed to")
        .into());
    }
    Ok(states)
}

/// A `DescribeServices` error, as a user error when the cluster does not exist.
pub fn cluster_not_found(err: anyhow::Error, cluster: &str) -> anyhow::Error {
    if is_not_found(&err) {
        UserError::new(format!("cluster `{cluster}` was not found"))
            .hint("check input `cluster` (or SSM `cluster-name`) and the region")
            .into()
    } else {
        err
    }
}

/// An update that failed, and whether the service is known to be as it was.
#[derive(Debug)]
pub struct UpdateFailed {
    pub error: anyhow::Error,
    /// The service was read after the failure and shows no new deployment.
    pub known_not_updated: bool,
}

/// Updates a service. When ECS answers with an error that says it refused (a client error,
/// access denied: not throttling or a 5xx), the update did not happen, and that error is the
/// answer. When the answer was lost (a 5xx or a timeout past the SDK's retries), the service is
/// read: if it shows a new PRIMARY deployment of `wanted`, the update happened and that state is
/// returned; otherwise the error, saying whether the service could be read.
pub async fn update_service<C: Services>(
    cloud: &C,
    cluster: &str,
    before: &ServiceState,
    update: &ServiceUpdate,
    wanted: Option<&str>,
) -> Result<ServiceState, UpdateFailed> {
    let error = match cloud.update_service(cluster, &before.name, update).await {
        Ok(updated) => return Ok(updated),
        Err(err) => err,
    };
    if is_permanent(&error) {
        // An error answer is not a lost answer: ECS said no.
        return Err(UpdateFailed {
            error,
            known_not_updated: true,
        });
    }
    let Some(wanted) = wanted else {
        return Err(UpdateFailed {
            error,
            known_not_updated: false,
        });
    };
    let read = describe_active(cloud, cluster, std::slice::from_ref(&before.name))
        .await
        .and_then(|mut states| states.pop().context("DescribeServices returned no service"));
    match read {
        Ok(now) if crate::domain::service::started_deployment(before, &now, wanted).is_some() => {
            Ok(now)
        }
        Ok(_) => Err(UpdateFailed {
            error: error.context("the service shows no new deployment: it was not updated"),
            known_not_updated: true,
        }),
        Err(read) => Err(UpdateFailed {
            error: error.context(format!(
                "and the service could not be read to tell whether the update happened ({read:#})"
            )),
            known_not_updated: false,
        }),
    }
}

/// Acts on a PAUSE hook (`ContinueServiceDeployment`). When the call fails (its answer lost past
/// the SDK's retries, whose retry then finds the hook no longer awaiting), the service deployment
/// is read: if the hook no longer awaits action, the action happened and this is a success.
pub async fn continue_service_deployment<C: ServiceDeployments>(
    cloud: &C,
    arn: &str,
    hook_id: &str,
    action: HookAction,
) -> anyhow::Result<()> {
    let Err(error) = cloud
        .continue_service_deployment(arn, hook_id, action)
        .await
    else {
        return Ok(());
    };
    let moved_on = |sd: &ServiceDeployment| {
        !sd.hooks.iter().any(|h| {
            h.id == hook_id && h.status == crate::domain::deployment::HookStatus::AwaitingAction
        })
    };
    confirmed(cloud, arn, error, moved_on).await
}

/// Stops a service deployment (`StopServiceDeployment`). When the call fails, the service
/// deployment is read: if it is already stopping, rolling back or over, the stop happened (or
/// is moot) and this is a success.
pub async fn stop_service_deployment<C: ServiceDeployments>(
    cloud: &C,
    arn: &str,
    stop: StopType,
) -> anyhow::Result<()> {
    let Err(error) = cloud.stop_service_deployment(arn, stop).await else {
        return Ok(());
    };
    let stopping = |sd: &ServiceDeployment| {
        use crate::domain::deployment::ServiceDeploymentStatus as S;
        !matches!(sd.status, S::Pending | S::InProgress | S::Other(_))
    };
    confirmed(cloud, arn, error, stopping).await
}

/// After a failed write to a service deployment: success when reading it shows `done`, else the
/// write's error (saying when the read failed too).
async fn confirmed<C: ServiceDeployments>(
    cloud: &C,
    arn: &str,
    error: anyhow::Error,
    done: impl Fn(&ServiceDeployment) -> bool,
) -> anyhow::Result<()> {
    match cloud
        .describe_service_deployments(std::slice::from_ref(&arn.to_string()))
        .await
    {
        Ok(read) if read.iter().any(|sd| sd.arn == arn && done(sd)) => Ok(()),
        Ok(_) => Err(error),
        Err(read) => Err(error.context(format!(
            "and the service deployment could not be read to tell whether it happened ({read:#})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_is_one_kind_decided_where_it_is_made() {
        for (code, message, kind) in [
            ("ThrottlingException", "Rate exceeded", ErrorKind::Throttled),
            ("TooManyRequestsException", "", ErrorKind::Throttled),
            (
                "ServerException",
                "Service Unavailable",
                ErrorKind::Transient,
            ),
            ("AccessDeniedException", "not authorized", ErrorKind::Denied),
            ("AccessDenied", "", ErrorKind::Denied),
            ("UnauthorizedOperation", "", ErrorKind::Denied),
            ("ImageNotFoundException", "", ErrorKind::NotFound),
            ("RepositoryNotFoundException", "", ErrorKind::NotFound),
            ("ResourceNotFoundException", "", ErrorKind::NotFound),
            ("ClusterNotFoundException", "", ErrorKind::NotFound),
            ("ParameterNotFound", "", ErrorKind::NotFound),
            ("NoSuchEntity", "", ErrorKind::NotFound),
            (
                "ClientException",
                "Too many concurrent attempts to create a new revision of the specified family.",
                ErrorKind::Conflict,
            ),
            (
                "ClientException",
                "TaskDefinition is inactive",
                ErrorKind::Invalid,
            ),
            ("InvalidParameterException", "", ErrorKind::Invalid),
            ("ValidationException", "", ErrorKind::Invalid),
            ("SomethingNew", "", ErrorKind::Unknown),
        ] {
            assert_eq!(ErrorKind::of(code, message), kind, "{code}: {message}");
        }
        let err = anyhow::Error::new(AwsError::service("ThrottlingException", "slow down"))
            .context("registering");
        assert!(is_transient(&err) && !is_permanent(&err) && !is_denied(&err));
        let err = anyhow::Error::new(AwsError::service("RepositoryNotFoundException", "x"));
        assert!(is_not_found(&err) && is_missing_repository(&err));
        let err = anyhow::Error::new(AwsError::unanswered("a reset connection".into(), false));
        assert_eq!(kind(&err), Some(ErrorKind::Transient));
        assert_eq!(kind(&anyhow::anyhow!("not AWS")), None);
    }
}
