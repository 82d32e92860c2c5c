//! Deciding what a deploy will do, from the request and the gathered state. Pure: no I/O.
//!
//! [`resolve`] merges inputs with SSM values (inputs win), [`repository_source`] decides where the
//! image comes from, and [`plan`] renders the task definition, compares it with the live one and
//! returns a [`Plan`]: the value `--dry-run` prints and [`crate::deploy`] applies.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::diff::{TaskDefDiff, diff};
use crate::error::UserError;
use crate::image::{EcrRepository, ImageRef, RepositoryRef};
use crate::maps::merged;
use crate::model::{DeploymentSettings, ServiceState};
use crate::request::{DeployRequest, ImageSpec, Target, is_role_arn, split_list};
use crate::taskdef::{self, AwsLogs, Changes};

/// The parameters read under `ssm-prefix` (seed 000's layout), by short name.
pub const SSM_KEYS: [&str; 7] = [
    "cluster-name",
    "service-name",
    "task-definition-family",
    "container-name",
    "repository-uri",
    "execution-role-arn",
    "task-role-arn",
];

/// Values found under an SSM prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SsmValues {
    pub prefix: String,
    /// Short name (`cluster-name`) to value; missing parameters are absent.
    pub values: BTreeMap<String, String>,
}

impl SsmValues {
    pub fn parameter_names(prefix: &str) -> Vec<String> {
        SSM_KEYS.iter().map(|k| format!("{prefix}/{k}")).collect()
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn invalid(&self, key: &str, value: &str, why: &str) -> UserError {
        UserError::new(format!(
            "SSM parameter `{}/{key}` is invalid{}: {why}",
            self.prefix,
            crate::request::problem(value).map_or_else(String::new, |p| format!(" ({p})"))
        ))
        .hint("fix the parameter, or set the matching input, which wins over SSM")
    }
}

/// Inputs merged with SSM values: the names a deploy works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub cluster: String,
    /// The services to deploy to, in order (one unless `services` lists several).
    pub targets: Vec<ResolvedTarget>,
    #[serde(skip)]
    pub repository: Option<RepositoryRef>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
}

/// One service of a deploy, with what is particular to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResolvedTarget {
    pub service: String,
    pub family: Option<String>,
    pub containers: Vec<String>,
    /// Added to (and overriding) the shared maps for this service.
    #[serde(skip)]
    pub environment_variables: Vec<(String, String)>,
    #[serde(skip)]
    pub secrets: Vec<(String, String)>,
}

/// The cluster and service: inputs, else SSM values.
pub fn resolve_service(
    target: &Target,
    ssm: Option<&SsmValues>,
) -> Result<(String, String), UserError> {
    let from_ssm = |key: &str| ssm.and_then(|s| s.get(key)).map(str::to_string);
    let missing = |input: &str, key: &str| {
        let hint = match ssm {
            Some(s) => format!(
                "set input `{input}`, or create SSM parameter `{}/{key}`",
                s.prefix
            ),
            None => format!(
                "set input `{input}`, or input `ssm-prefix` pointing at a `{key}` parameter"
            ),
        };
        let place = ssm.map_or(String::new(), |s| {
            format!(" and SSM parameter `{}/{key}` does not exist", s.prefix)
        });
        UserError::new(format!("no {input} given: input `{input}` is empty{place}")).hint(hint)
    };
    let cluster = target
        .cluster
        .clone()
        .or_else(|| from_ssm("cluster-name"))
        .ok_or_else(|| missing("cluster", "cluster-name"))?;
    let service = target
        .service
        .clone()
        .or_else(|| from_ssm("service-name"))
        .ok_or_else(|| missing("service", "service-name"))?;
    Ok((cluster, service))
}

/// Merges the request with SSM values; an explicit input always wins.
pub fn resolve(req: &DeployRequest, ssm: Option<&SsmValues>) -> Result<Resolved, UserError> {
    let from_ssm = |key: &str| ssm.and_then(|s| s.get(key)).map(str::to_string);
    let (cluster, targets) = if req.services.is_empty() {
        let (cluster, service) = resolve_service(&req.target, ssm)?;
        let containers = if req.containers.is_empty() {
            from_ssm("container-name")
                .as_deref()
                .map_or_else(Vec::new, split_list)
        } else {
            req.containers.clone()
        };
        let family = req
            .family
            .clone()
            .or_else(|| from_ssm("task-definition-family"));
        (
            cluster,
            vec![ResolvedTarget {
                service,
                family,
                containers,
                ..ResolvedTarget::default()
            }],
        )
    } else {
        // The cluster is required whatever the service; borrow the check with a placeholder.
        let mut named = req.target.clone();
        named.service = Some(req.services[0].service.clone());
        let (cluster, _) = resolve_service(&named, ssm)?;
        let targets = req
            .services
            .iter()
            .map(|spec| ResolvedTarget {
                service: spec.service.clone(),
                family: spec.family.clone(),
                containers: if spec.containers.is_empty() {
                    req.containers.clone()
                } else {
                    spec.containers.clone()
                },
                environment_variables: spec.environment_variables.clone(),
                secrets: spec.secrets.clone(),
            })
            .collect();
        (cluster, targets)
    };
    let repository = match (
        &req.repository,
        ssm.and_then(|s| s.get("repository-uri").map(|v| (s, v))),
    ) {
        (Some(r), _) => Some(r.clone()),
        (None, Some((s, v))) => {
            Some(RepositoryRef::parse(v).map_err(|why| s.invalid("repository-uri", v, &why))?)
        }
        (None, None) => None,
    };
    let role = |explicit: &Option<String>, key: &str| -> Result<Option<String>, UserError> {
        match (explicit, ssm.and_then(|s| s.get(key).map(|v| (s, v)))) {
            (Some(arn), _) => Ok(Some(arn.clone())),
            (None, Some((_, v))) if is_role_arn(v) => Ok(Some(v.to_string())),
            (None, Some((s, v))) => Err(s.invalid(key, v, "expected an IAM role ARN")),
            (None, None) => Ok(None),
        }
    };
    Ok(Resolved {
        cluster,
        targets,
        repository,
        execution_role_arn: role(&req.execution_role_arn, "execution-role-arn")?,
        task_role_arn: role(&req.task_role_arn, "task-role-arn")?,
    })
}

/// Where the image to deploy is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositorySource {
    /// An ECR repository by name in the deploy's account and region.
    EcrName(String),
    /// An ECR repository by full URI (maybe another account or region).
    EcrUri(EcrRepository),
    /// An image outside ECR (`image` input only): deployed as given, not checked.
    External(ImageRef),
}

/// Decides where the image comes from: the `image` input, else the repository input or SSM value,
/// else the current image of the target container (`None` when that needs the task definition).
pub fn repository_source(
    req: &DeployRequest,
    resolved: &Resolved,
    base: Option<&Value>,
) -> Result<Option<RepositorySource>, UserError> {
    if let ImageSpec::Reference(reference) = &req.image {
        return Ok(Some(
            match EcrRepository::parse_uri(&reference.repository) {
                Some(repo) => RepositorySource::EcrUri(repo),
                None => RepositorySource::External(reference.clone()),
            },
        ));
    }
    match &resolved.repository {
        Some(RepositoryRef::Name(name)) => {
            return Ok(Some(RepositorySource::EcrName(name.clone())));
        }
        Some(RepositoryRef::Uri(uri)) => return Ok(Some(RepositorySource::EcrUri(uri.clone()))),
        None => {}
    }
    let Some(base) = base.map(taskdef::registrable) else {
        return Ok(None);
    };
    let names = taskdef::container_names(&base);
    let container = match (resolved.targets[0].containers.first(), names.as_slice()) {
        (Some(first), _) => first.clone(),
        (None, [only]) => only.clone(),
        (None, _) => {
            // Several containers (an app and its sidecars): fine when exactly one ECR repository
            // is in use, since sidecars usually come from public registries.
            let mut in_ecr: Vec<EcrRepository> = names
                .iter()
                .filter_map(|n| taskdef::container_image(&base, n))
                .filter_map(|image| EcrRepository::parse_uri(image_repository(image)))
                .collect();
            in_ecr.dedup();
            if let [only] = in_ecr.as_slice() {
                return Ok(Some(RepositorySource::EcrUri(only.clone())));
            }
            return Err(UserError::new(format!(
                "cannot tell which repository to deploy from: the task definition has {} containers ({}) and {} ECR repositories",
                names.len(),
                names.join(", "),
                in_ecr.len()
            ))
            .hint("set input `repository` (or SSM `repository-uri`), or `container`"));
        }
    };
    let current = taskdef::container_image(&base, &container).ok_or_else(|| {
        UserError::new(format!(
            "the task definition has no container `{container}`"
        ))
        .hint(containers_hint(&names))
    })?;
    EcrRepository::parse_uri(image_repository(current)).map(|r| Some(RepositorySource::EcrUri(r))).ok_or_else(|| {
        UserError::new(format!("the current image of container `{container}` (`{current}`) is not in ECR, so the repository is unknown"))
            .hint("set input `repository` to the ECR repository to deploy from")
    })
}

fn containers_hint(names: &[String]) -> String {
    format!(
        "its containers are: {}",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The image that will be deployed, after the ECR check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedImage {
    /// `registry/name`, no tag or digest.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// Whether ECR confirmed the image exists.
    pub verified: bool,
}

impl ResolvedImage {
    /// The reference written into the task definition.
    pub fn reference(&self, pin_digest: bool) -> String {
        match (&self.tag, &self.digest) {
            (_, Some(digest)) if pin_digest => format!("{}@{digest}", self.repository),
            (Some(tag), _) => format!("{}:{tag}", self.repository),
            (None, Some(digest)) => format!("{}@{digest}", self.repository),
            (None, None) => self.repository.clone(),
        }
    }
}

/// What a deploy will do. Printed by `--dry-run`, applied by [`crate::deploy`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub containers: Vec<String>,
    pub image: ResolvedImage,
    pub image_reference: String,
    pub live_task_definition_arn: String,
    pub rendered: Value,
    pub diff: TaskDefDiff,
    /// Whether a new revision is needed.
    pub changed: bool,
    pub desired_count: Option<i32>,
    pub current_desired_count: i32,
    pub force_new_deployment: bool,
    /// The full rollout settings to set, when they differ from the service's.
    pub settings: Option<DeploymentSettings>,
}

impl Plan {
    /// Whether the service needs an `UpdateService` call at all.
    pub fn updates_service(&self) -> bool {
        self.changed
            || self.force_new_deployment
            || self.settings.is_some()
            || self
                .desired_count
                .is_some_and(|n| n != self.current_desired_count)
    }

    /// Whether the update starts a new deployment (a new task definition or a forced one).
    pub fn starts_deployment(&self) -> bool {
        self.changed || self.force_new_deployment
    }
}

/// Everything [`plan`] reads besides the request.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub resolved: &'a Resolved,
    /// Which of the resolved services this plan is for.
    pub target: &'a ResolvedTarget,
    pub region: &'a str,
    /// The service's live task definition, as `DescribeTaskDefinition` returned it.
    pub live: &'a Value,
    /// The service as `DescribeServices` showed it.
    pub service: &'a ServiceState,
    pub image: &'a ResolvedImage,
}

/// Tag keys ecs-ship writes on the revisions it registers (see `tag-revisions`).
pub const PREVIOUS_TAG: &str = "ecs-ship:previous-task-definition";
pub const IMAGE_TAG_TAG: &str = "ecs-ship:image-tag";

/// A rendered revision of one family, compared with the live one.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub family: String,
    pub containers: Vec<String>,
    pub image_reference: String,
    pub rendered: Value,
    pub diff: TaskDefDiff,
    /// Whether it differs from the live one (a new revision is needed).
    pub changed: bool,
}

/// Renders `base` (a template or the live task definition) with the deploy's changes for
/// `target`'s containers and compares the result with `live`. `previous` is the revision the new
/// one replaces, for the `tag-revisions` tag.
pub fn revision(
    req: &DeployRequest,
    input: &PlanInput<'_>,
    base: &Value,
    previous: &str,
) -> Result<Revision, UserError> {
    let names = taskdef::container_names(&taskdef::registrable(base));
    let containers = select_containers(&input.target.containers, base, &input.image.repository)?;
    let image_reference = input.image.reference(req.pin_image_digest);
    let changes = Changes {
        family: input.target.family.clone(),
        containers: containers.clone(),
        image: image_reference.clone(),
        environment: merged(
            &req.environment_variables,
            &input.target.environment_variables,
        ),
        secrets: merged(&req.secrets, &input.target.secrets),
        logs: req.logging.as_ref().map(|l| AwsLogs {
            group: l.group.clone(),
            region: l.region.clone().unwrap_or_else(|| input.region.to_string()),
            stream_prefix: l.stream_prefix.clone(),
        }),
        execution_role_arn: input.resolved.execution_role_arn.clone(),
        task_role_arn: input.resolved.task_role_arn.clone(),
    };
    let mut rendered = taskdef::render(base, &changes)
        .map_err(|why| UserError::new(why).hint(containers_hint(&names)))?;
    let family = rendered["family"].as_str().unwrap_or_default().to_string();
    if family.is_empty() {
        return Err(UserError::new("the task definition has no `family`")
            .hint("set input `task-definition-family`, or `family` in the template"));
    }
    if req.tag_revisions {
        taskdef::set_tag(&mut rendered, PREVIOUS_TAG, previous);
        if let Some(tag) = &input.image.tag {
            taskdef::set_tag(&mut rendered, IMAGE_TAG_TAG, tag);
        }
    }
    let live_normal = taskdef::normalized(input.live);
    let new_normal = taskdef::normalized(&rendered);
    Ok(Revision {
        family,
        containers,
        image_reference,
        diff: diff(&live_normal, &new_normal),
        changed: live_normal != new_normal,
        rendered,
    })
}

/// Renders the new task definition and compares it with the live one.
pub fn plan(req: &DeployRequest, input: &PlanInput<'_>) -> Result<Plan, UserError> {
    let base = req.template.as_ref().map_or(input.live, |t| &t.document);
    let revision = revision(req, input, base, &input.service.task_definition)?;
    let settings = rollout_settings(req, input.service)?;
    Ok(Plan {
        cluster: input.resolved.cluster.clone(),
        service: input.target.service.clone(),
        family: revision.family,
        containers: revision.containers,
        image: input.image.clone(),
        image_reference: revision.image_reference,
        live_task_definition_arn: input.service.task_definition.clone(),
        diff: revision.diff,
        changed: revision.changed,
        rendered: revision.rendered,
        desired_count: req.desired_count,
        current_desired_count: input.service.desired,
        force_new_deployment: req.force_new_deployment,
        settings,
    })
}

/// The merged rollout settings to send, when the request changes any; a grace period needs a
/// load balancer.
fn rollout_settings(
    req: &DeployRequest,
    service: &ServiceState,
) -> Result<Option<DeploymentSettings>, UserError> {
    if req.settings.health_check_grace_period.is_some() && !service.load_balanced {
        return Err(UserError::new(format!(
            "input `health-check-grace-period` needs a load balancer, and service `{}` has none",
            service.name
        ))
        .hint("remove `health-check-grace-period`; ECS only uses it for load-balanced services"));
    }
    let merged = service.settings.merged(&req.settings);
    Ok((!req.settings.is_empty() && merged != service.settings).then_some(merged))
}

/// The containers to update: the named ones (which must exist), else those running an image from
/// the target repository.
fn select_containers(
    requested: &[String],
    base: &Value,
    repository: &str,
) -> Result<Vec<String>, UserError> {
    let names = taskdef::container_names(&taskdef::registrable(base));
    if !requested.is_empty() {
        if let Some(missing) = requested.iter().find(|n| !names.contains(n)) {
            return Err(UserError::new(format!(
                "the task definition has no container `{missing}`"
            ))
            .hint(containers_hint(&names)));
        }
        return Ok(requested.to_vec());
    }
    let body = taskdef::registrable(base);
    let matching: Vec<String> = names
        .iter()
        .filter(|n| {
            taskdef::container_image(&body, n)
                .is_some_and(|image| image_repository(image) == repository)
        })
        .cloned()
        .collect();
    if matching.is_empty() {
        let images: Vec<String> = names
            .iter()
            .map(|n| {
                format!(
                    "`{n}` (`{}`)",
                    taskdef::container_image(&body, n).map_or("", image_repository)
                )
            })
            .collect();
        return Err(UserError::new(format!(
            "no container runs an image from `{repository}`: {}",
            images.join(", ")
        ))
        .hint("set input `container` to the container(s) to update"));
    }
    Ok(matching)
}

fn image_repository(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest[last_slash..].rfind(':') {
        Some(i) => &without_digest[..last_slash + i],
        None => without_digest,
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
