//! Who and where a deploy is for: the inputs merged with the values under `ssm-prefix` (an
//! explicit input always wins), and where the image comes from. Pure.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::domain::arn::is_role_arn;
use crate::domain::image::{EcrRepository, ImageRef, RepositoryRef};
use crate::domain::taskdef;
use crate::error::UserError;
use crate::request::{DeployRequest, ImageSpec, Target};
use crate::text::split_list;

/// The parameters read under `ssm-prefix` (`cluster-name`, `service-name`, ...), by short name.
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
            crate::text::problem(value).map_or_else(String::new, |p| format!(" ({p})"))
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
    let (cluster, targets) = targets(req, ssm)?;
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

/// The cluster and each service to deploy, with its family and containers: from `services`, or
/// the one service (its containers and family from the inputs, else SSM).
fn targets(
    req: &DeployRequest,
    ssm: Option<&SsmValues>,
) -> Result<(String, Vec<ResolvedTarget>), UserError> {
    let from_ssm = |key: &str| ssm.and_then(|s| s.get(key)).map(str::to_string);
    if req.services.is_empty() {
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
        let target = ResolvedTarget {
            service,
            family,
            containers,
            ..ResolvedTarget::default()
        };
        return Ok((cluster, vec![target]));
    }
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
    Ok((cluster, targets))
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
                .filter_map(|image| {
                    EcrRepository::parse_uri(crate::domain::image::repository_of(image))
                })
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
        .hint(taskdef::containers_hint(&names))
    })?;
    EcrRepository::parse_uri(crate::domain::image::repository_of(current)).map(|r| Some(RepositorySource::EcrUri(r))).ok_or_else(|| {
        UserError::new(format!("the current image of container `{container}` (`{current}`) is not in ECR, so the repository is unknown"))
            .hint("set input `repository` to the ECR repository to deploy from")
    })
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
