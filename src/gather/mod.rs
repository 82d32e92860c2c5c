//! Reading everything a deploy needs from AWS, concurrently where the reads are independent.
//!
//! SSM comes first (it may name the cluster and service). Then the service (and its live task
//! definition) and the ECR image are read at the same time, unless the repository is only known
//! from the live task definition's container image, in which case the image check follows it.

pub mod resolve;
pub mod task_logs;

use anyhow::Context;
use futures::future::try_join_all;
use serde_json::Value;

use crate::cloud::{
    self, FoundImage, Images, Parameters, PullThroughRule, Region, Repository, Services,
    TaskDefinitions, Wanted,
};

/// The AWS reads of this stage: SSM, the services, their revisions, ECR.
pub trait Reads: Region + Parameters + Services + TaskDefinitions + Images {}

impl<T: Region + Parameters + Services + TaskDefinitions + Images> Reads for T {}
use crate::domain::image::{EcrRepository, ImageRef};
use crate::domain::service::{ServiceState, Tag};
use crate::error::UserError;
use crate::gather::resolve::{
    RepositorySource, Resolved, ResolvedImage, SsmValues, repository_source, resolve,
};
use crate::request::gate::SsmClusters;
use crate::request::{DeployRequest, ImageSpec};

/// What AWS told us, ready for [`crate::plan::plan`].
#[derive(Debug, Clone)]
pub struct Gathered {
    pub ssm: Option<SsmValues>,
    pub resolved: Resolved,
    /// The services, in the order of `resolved.targets`.
    pub services: Vec<ServiceState>,
    /// Each service's live task definition as `DescribeTaskDefinition` returned it, same order.
    pub lives: Vec<Value>,
    pub image: ResolvedImage,
    /// `container-images`: each other container's image, resolved like the deploy's.
    pub other_images: Vec<(String, ResolvedImage)>,
    /// `revision`: the revision to deploy as it is, as `DescribeTaskDefinition`
    /// returned it.
    pub existing: Option<Value>,
    /// The live task definition of the pre-deploy task's own family, when it names one.
    pub pre_deploy_live: Option<Value>,
    /// The cluster's tags (empty when they could not be read: see `warnings`).
    pub cluster_tags: Vec<Tag>,
    /// The clusters of the config file's production services, where it names them through
    /// their SSM prefix (for the production gate).
    pub ssm_clusters: SsmClusters,
    pub warnings: Vec<String>,
}

/// The services and the task definition each runs (each distinct revision described once).
///
/// Which revision a service runs is only known from `DescribeServices`; but a service usually
/// runs the newest revision of the family it deploys into, so when that family is known (an
/// input, SSM), its newest revision is described at the same time as the services: a round trip
/// saved in a region far away. A guess that misses (or fails: it is only a guess) costs the
/// describe it would have made anyway.
async fn services_and_lives<C: Reads>(
    cloud: &C,
    resolved: &Resolved,
) -> anyhow::Result<(Vec<ServiceState>, Vec<Value>)> {
    let names: Vec<String> = resolved.targets.iter().map(|t| t.service.clone()).collect();
    let mut families: Vec<&str> = resolved
        .targets
        .iter()
        .filter_map(|t| t.family.as_deref())
        .collect();
    families.sort_unstable();
    families.dedup();
    let (services, newest) = tokio::join!(
        describe_all(cloud, &resolved.cluster, &names),
        futures::future::join_all(families.iter().map(|f| cloud.describe_task_definition(f)))
    );
    let services = services?;
    let guessed: Vec<Value> = newest.into_iter().filter_map(Result::ok).collect();
    let mut arns: Vec<&str> = services
        .iter()
        .map(|s| s.task_definition.as_str())
        .collect();
    arns.sort_unstable();
    arns.dedup();
    let described = try_join_all(arns.iter().map(|arn| async {
        match guessed
            .iter()
            .find(|g| g["taskDefinition"]["taskDefinitionArn"].as_str() == Some(*arn))
        {
            Some(guess) => Ok(guess.clone()),
            None => cloud.describe_task_definition(arn).await,
        }
    }))
    .await?;
    let lives = services
        .iter()
        .map(|s| {
            described[arns
                .iter()
                .position(|a| *a == s.task_definition)
                .expect("described every ARN")]
            .clone()
        })
        .collect::<Vec<Value>>();
    Ok((services, lives))
}

/// Reads SSM, the service, its task definition and the image.
pub async fn gather<C: Reads>(cloud: &C, req: &DeployRequest) -> anyhow::Result<Gathered> {
    let ssm = async {
        match &req.target.ssm_prefix {
            Some(prefix) => read_ssm(cloud, prefix).await.map(Some),
            None => Ok(None),
        }
    };
    let (ssm, ssm_clusters) = tokio::join!(ssm, read_ssm_clusters(cloud, &req.target.gate));
    let ssm = ssm?;
    let resolved = resolve(req, ssm.as_ref())?;
    let revision = match &req.image {
        ImageSpec::Revision(r) => Some(r.as_str()),
        _ => None,
    };
    let early_source = match revision {
        Some(_) => None,
        None => repository_source(req, &resolved, req.template.as_ref().map(|t| &t.document))?,
    };

    let services_and_lives = services_and_lives(cloud, &resolved);
    let early_image = async {
        match &early_source {
            Some(source) => check_image(cloud, req, source).await.map(Some),
            None => Ok(None),
        }
    };
    let pre_deploy_live = async {
        match req.pre_deploy.as_ref().and_then(|t| t.family.as_deref()) {
            Some(family) => cloud
                .describe_task_definition(family)
                .await
                .with_context(|| format!("reading the pre-deploy task's family `{family}`"))
                .map(Some),
            None => Ok(None),
        }
    };
    let cluster_tags = cloud.cluster_tags(&resolved.cluster);
    let (services_and_lives, early_image, pre_deploy_live, cluster_tags) = tokio::join!(
        services_and_lives,
        early_image,
        pre_deploy_live,
        cluster_tags
    );
    let (services, lives) = services_and_lives?;
    let pre_deploy_live = pre_deploy_live?;
    let (cluster_tags, cluster_warning) = readable_tags(cluster_tags);
    let not_compared = req
        .target
        .gate
        .not_compared(&crate::request::gate::Destination {
            cluster: Some(&resolved.cluster),
            services: services
                .iter()
                .map(|s| (s.name.as_str(), &[][..]))
                .collect(),
            ssm_clusters: Some(&ssm_clusters),
            ..crate::request::gate::Destination::default()
        });
    let mut existing = None;
    let (image, mut warnings) = if let Some(found) = early_image? {
        found
    } else if let Some(revision) = revision {
        let (described, image, warnings) = check_revision(cloud, revision).await?;
        existing = Some(described);
        (image, warnings)
    } else {
        let source = repository_source(req, &resolved, Some(&lives[0]))?
            .context("the repository should be known from the task definition")?;
        check_image(cloud, req, &source).await?
    };
    warnings.extend(cluster_warning);
    warnings.extend(not_compared);
    let other_images = other_images(cloud, req, &image, &mut warnings).await?;
    Ok(Gathered {
        ssm,
        resolved,
        services,
        lives,
        image,
        other_images,
        existing,
        pre_deploy_live,
        cluster_tags,
        ssm_clusters,
        warnings,
    })
}

/// The SSM parameters that name the clusters of the config file's production services, each
/// read or with why it could not be (a missing one: that environment is not in this account and
/// region). A read of its own, so a deploy role that may not read production's parameters still
/// reads its own.
pub async fn read_ssm_clusters<C: Reads>(
    cloud: &C,
    gate: &crate::request::gate::Gate,
) -> SsmClusters {
    let names = gate.ssm_clusters();
    if names.is_empty() {
        return SsmClusters::new();
    }
    match cloud.get_parameters(&names).await {
        Ok(found) => names
            .into_iter()
            .map(|name| {
                let value = found.get(&name).cloned().ok_or_else(|| {
                    format!("SSM parameter `{name}` does not exist in this account and region")
                });
                (name, value)
            })
            .collect(),
        Err(err) => names
            .into_iter()
            .map(|name| {
                (
                    name.clone(),
                    Err(format!("SSM parameter `{name}` could not be read: {err:#}")),
                )
            })
            .collect(),
    }
}

/// A cluster's tags, or none with a warning when they could not be read (a policy without
/// `ecs:DescribeClusters`): the gate then goes by names, the services' tags and the config file.
pub fn readable_tags(read: anyhow::Result<Vec<Tag>>) -> (Vec<Tag>, Option<String>) {
    match read {
        Ok(tags) => (tags, None),
        Err(err) => (
            Vec::new(),
            Some(format!(
                "the cluster's tags could not be read, so the production gate did not see them ({err:#})"
            )),
        ),
    }
}

/// Describes services 10 at a time (the API's limit), concurrently, in the order given.
pub async fn describe_all<C: Reads>(
    cloud: &C,
    cluster: &str,
    names: &[String],
) -> anyhow::Result<Vec<ServiceState>> {
    let batches = try_join_all(
        names
            .chunks(10)
            .map(|chunk| cloud::describe_active(cloud, cluster, chunk)),
    )
    .await?;
    let found: Vec<ServiceState> = batches.into_iter().flatten().collect();
    names
        .iter()
        .map(|name| {
            found
                .iter()
                .find(|s| s.name == *name)
                .cloned()
                .with_context(|| format!("DescribeServices did not return `{name}`"))
        })
        .collect()
}

/// Reads the parameters under an SSM prefix in one batch.
pub async fn read_ssm<C: Reads>(cloud: &C, prefix: &str) -> anyhow::Result<SsmValues> {
    let names = SsmValues::parameter_names(prefix);
    let found = cloud.get_parameters(&names).await?;
    let values = found
        .into_iter()
        .filter_map(|(name, value)| {
            Some((name.strip_prefix(&format!("{prefix}/"))?.to_string(), value))
        })
        .collect();
    Ok(SsmValues {
        prefix: prefix.to_string(),
        values,
    })
}

/// A reference without a registry is pulled from Docker Hub. When the account has an ECR
/// repository of that very name, that is almost certainly not what was meant: refuse, and say the
/// URI to use. A read that is denied leaves the reference as given (with the usual warning).
async fn refuse_docker_hub_lookalike<C: Reads>(
    cloud: &C,
    reference: &ImageRef,
) -> anyhow::Result<()> {
    let repository = Repository {
        name: reference.repository.clone(),
        registry_id: None,
        region: None,
    };
    // Any answer but "no such repository" (a denied read, say) leaves the reference as given.
    let Ok(registry_id) = cloud.any_image(&repository).await else {
        return Ok(());
    };
    let account = registry_id.unwrap_or_else(|| "<account>".into());
    let mut uri = ImageRef {
        repository: crate::domain::image::ecr_uri(&account, cloud.region(), &reference.repository),
        ..reference.clone()
    }
    .to_string();
    uri.truncate(600);
    Err(UserError::new(format!(
        "image `{reference}` names no registry, so ECS would pull it from Docker Hub, but this account has an ECR repository `{}`",
        reference.repository
    ))
    .hint(format!("to deploy from ECR, give the full URI: `{uri}`"))
    .into())
}

/// Checks that the image exists in ECR and resolves its digest; an image outside ECR is taken as
/// given, with a warning.
async fn check_image<C: Reads>(
    cloud: &C,
    req: &DeployRequest,
    source: &RepositorySource,
) -> anyhow::Result<(ResolvedImage, Vec<String>)> {
    let (tag, digest) = match &req.image {
        ImageSpec::Tag(tag) => (Some(tag.as_str()), None),
        ImageSpec::Reference(ImageRef { tag, digest, .. }) => (tag.as_deref(), digest.as_deref()),
        ImageSpec::Revision(_) => {
            anyhow::bail!("a revision deployed as it is has no image to look up")
        }
    };
    let Some(wanted) = Wanted::of(tag, digest) else {
        return Err(UserError::new("the image has neither a tag nor a digest").into());
    };
    let (repository, region) = match source {
        RepositorySource::External(reference) => {
            if reference.registry().is_none() {
                refuse_docker_hub_lookalike(cloud, reference).await?;
            }
            let image = ResolvedImage {
                repository: reference.repository.clone(),
                tag: reference.tag.clone(),
                digest: reference.digest.clone(),
                verified: false,
            };
            let warning = format!(
                "image `{reference}` is not in ECR, so its existence was not checked and it is not pinned by digest"
            );
            return Ok((image, vec![warning]));
        }
        RepositorySource::EcrName(name) => (
            Repository {
                name: name.clone(),
                registry_id: None,
                region: None,
            },
            cloud.region().to_string(),
        ),
        RepositorySource::EcrUri(repo) => (Repository::of(repo), repo.region.clone()),
    };
    let found = match find_image(cloud, &repository, wanted, "").await {
        Ok(Looked::Found(found)) => found,
        Ok(Looked::NotCachedYet(rule)) => {
            let reference = ImageRef {
                repository: match source {
                    RepositorySource::EcrUri(repo) => repo.uri(),
                    _ => repository.name.clone(),
                },
                tag: tag.map(str::to_string),
                digest: digest.map(str::to_string),
            };
            let warning = not_cached_yet(&reference.to_string(), &rule);
            let image = ResolvedImage {
                repository: reference.repository,
                tag: reference.tag,
                digest: reference.digest,
                verified: false,
            };
            return Ok((image, vec![warning]));
        }
        Err(err) => return fallback(cloud, req, &repository, err).await,
    };
    let uri = crate::domain::image::ecr_uri(&found.registry_id, &region, &found.repository);
    Ok((
        ResolvedImage {
            repository: uri,
            tag: tag.map(str::to_string),
            digest: Some(found.digest),
            verified: true,
        },
        Vec::new(),
    ))
}

/// `revision`: the revision, which must exist and be ACTIVE, and each of its ECR
/// images, which must exist (others are said unchecked); the first container's image stands for
/// the deploy's image in the report.
async fn check_revision<C: Reads>(
    cloud: &C,
    revision: &str,
) -> anyhow::Result<(Value, ResolvedImage, Vec<String>)> {
    let described = cloud
        .describe_task_definition(revision)
        .await
        .map_err(|err| {
            anyhow::Error::new(
                UserError::new(format!("task definition `{revision}` could not be read"))
                    .hint(format!("check input `revision`: {err:#}")),
            )
        })?;
    let td = &described["taskDefinition"];
    let arn = td["taskDefinitionArn"].as_str().unwrap_or(revision);
    if td["status"].as_str().is_some_and(|s| s != "ACTIVE") {
        return Err(UserError::new(format!(
            "task definition `{}` is {}, not ACTIVE",
            crate::domain::arn::short_task_definition(arn),
            td["status"].as_str().unwrap_or_default()
        ))
        .hint("deploy an ACTIVE revision")
        .into());
    }
    let mut warnings = Vec::new();
    let mut first = None;
    for container in td["containerDefinitions"].as_array().into_iter().flatten() {
        let name = container["name"].as_str().unwrap_or_default();
        let image = container["image"].as_str().unwrap_or_default();
        let reference = ImageRef::parse_pulled(image).map_err(|why| {
            UserError::new(format!(
                "container `{name}` of `{}` has an image that is not a reference: {why}",
                crate::domain::arn::short_task_definition(arn)
            ))
        })?;
        let resolved = revision_image(cloud, name, &reference, &mut warnings).await?;
        first.get_or_insert(resolved);
    }
    let image = first.context("the revision has no containers")?;
    Ok((described, image, warnings))
}

/// One container image of a revision deployed as it is: found in ECR (by digest, else tag), or
/// said unchecked when it is elsewhere.
async fn revision_image<C: Reads>(
    cloud: &C,
    container: &str,
    reference: &ImageRef,
    warnings: &mut Vec<String>,
) -> anyhow::Result<ResolvedImage> {
    let Some(repo) = EcrRepository::parse_uri(&reference.repository) else {
        warnings.push(format!(
            "image of container `{container}` is not in ECR, so its existence was not checked"
        ));
        return Ok(ResolvedImage {
            repository: reference.repository.clone(),
            tag: reference.tag.clone(),
            digest: reference.digest.clone(),
            verified: false,
        });
    };
    let wanted = Wanted::of(reference.tag.as_deref(), reference.digest.as_deref())
        .unwrap_or(Wanted::Tag("latest"));
    let whose = format!(" of container `{container}` (of the revision to deploy)");
    let found = match find_image(cloud, &Repository::of(&repo), wanted, &whose).await? {
        Looked::Found(found) => found,
        Looked::NotCachedYet(rule) => {
            warnings.push(not_cached_yet(&reference.to_string(), &rule));
            return Ok(ResolvedImage {
                repository: reference.repository.clone(),
                tag: reference.tag.clone(),
                digest: reference.digest.clone(),
                verified: false,
            });
        }
    };
    Ok(ResolvedImage {
        repository: reference.repository.clone(),
        tag: reference.tag.clone(),
        digest: Some(found.digest),
        verified: true,
    })
}

/// Where a `container-images` entry is: an ECR repository (with the tag or digest to find), or another
/// registry's image, deployed as given.
enum Located {
    Ecr {
        repository: Repository,
        region: String,
        tag: Option<String>,
        digest: Option<String>,
    },
    External(ResolvedImage),
}

/// A tag is in the deploy's own repository; a reference without a registry is a repository of
/// the account and region; an ECR URI is that repository; anything else is another registry's.
fn locate(
    container: &str,
    spec: &ImageSpec,
    main: &ResolvedImage,
    region: &str,
) -> Result<Located, UserError> {
    let ecr = |repo: EcrRepository, tag: Option<String>, digest: Option<String>| Located::Ecr {
        repository: Repository::of(&repo),
        region: repo.region,
        tag,
        digest,
    };
    Ok(match spec {
        ImageSpec::Tag(tag) => {
            let repo = EcrRepository::parse_uri(&main.repository).ok_or_else(|| {
                UserError::new(format!(
                    "input `container-images`: `{container}` names a tag, and the deploy's image is not in ECR"
                ))
                .hint("give a full image reference for it")
            })?;
            ecr(repo, Some(tag.clone()), None)
        }
        ImageSpec::Revision(_) => {
            return Err(UserError::new(
                "input `container-images` cannot name a revision (`revision` is refused beside it)",
            ));
        }
        ImageSpec::Reference(r) if r.registry().is_none() => Located::Ecr {
            repository: Repository {
                name: r.repository.clone(),
                registry_id: None,
                region: None,
            },
            region: region.to_string(),
            tag: r.tag.clone(),
            digest: r.digest.clone(),
        },
        ImageSpec::Reference(r) => match EcrRepository::parse_uri(&r.repository) {
            Some(repo) => ecr(repo, r.tag.clone(), r.digest.clone()),
            None => Located::External(ResolvedImage {
                repository: r.repository.clone(),
                tag: r.tag.clone(),
                digest: r.digest.clone(),
                verified: false,
            }),
        },
    })
}

/// `container-images`, each resolved at once and checked in ECR like the deploy's image (another
/// registry's is used as given, and said). A missing image is a user error naming the container.
async fn other_images<C: Reads>(
    cloud: &C,
    req: &DeployRequest,
    main: &ResolvedImage,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Vec<(String, ResolvedImage)>> {
    let resolved =
        futures::future::join_all(req.images.iter().map(|(container, spec)| async move {
            let (repository, region, tag, digest) =
                match locate(container, spec, main, cloud.region())? {
                    Located::External(image) => {
                        return Ok::<_, anyhow::Error>((container.clone(), image, None));
                    }
                    Located::Ecr {
                        repository,
                        region,
                        tag,
                        digest,
                    } => (repository, region, tag, digest),
                };
            let wanted = Wanted::of(tag.as_deref(), digest.as_deref())
                .expect("the request has a tag or a digest for each");
            let whose = format!(" for container `{container}` (input `container-images`)");
            let found = match find_image(cloud, &repository, wanted, &whose).await? {
                Looked::Found(found) => found,
                Looked::NotCachedYet(rule) => {
                    let uri = crate::domain::image::ecr_uri(
                        repository.registry_id.as_deref().unwrap_or("<account>"),
                        &region,
                        &repository.name,
                    );
                    let image = ResolvedImage {
                        repository: uri,
                        tag,
                        digest,
                        verified: false,
                    };
                    return Ok((container.clone(), image, Some(rule)));
                }
            };
            let image = ResolvedImage {
                repository: crate::domain::image::ecr_uri(
                    &found.registry_id,
                    &region,
                    &found.repository,
                ),
                tag,
                digest: Some(found.digest),
                verified: true,
            };
            Ok((container.clone(), image, None))
        }))
        .await;
    let mut images = Vec::new();
    for result in resolved {
        let (container, image, not_cached) = result?;
        if let Some(rule) = not_cached {
            warnings.push(format!(
                "{} (container `{container}`)",
                not_cached_yet(&image.reference(false), &rule)
            ));
        } else if !image.verified {
            warnings.push(format!(
                "image of `{container}` is not in ECR, so its existence was not checked and it is not pinned by digest"
            ));
        }
        images.push((container, image));
    }
    Ok(images)
}

/// What looking an image up in ECR found.
enum Looked {
    Found(FoundImage),
    /// Not there yet, in a repository a pull-through cache rule fills: ECR fetches it from the
    /// upstream registry on the first pull.
    NotCachedYet(PullThroughRule),
}

/// The warning for an image a pull-through cache rule fetches on the first pull.
fn not_cached_yet(image: &str, rule: &PullThroughRule) -> String {
    format!(
        "image `{image}` is not in ECR yet: its pull-through cache rule `{}` fetches it from `{}` on the first pull, so it was not checked and is not pinned by digest",
        rule.prefix, rule.upstream
    )
}

/// Looks the image up; a missing tag or repository is a user error (a missing tag lists the most
/// recently pushed tags), unless a pull-through cache rule fills the repository. `whose` says
/// what the image is for, in that error (` for container `log-router` (input `container-images`)`).
async fn find_image<C: Reads>(
    cloud: &C,
    repository: &Repository,
    wanted: Wanted<'_>,
    whose: &str,
) -> anyhow::Result<Looked> {
    let err = match cloud.find_image(repository, wanted).await {
        Ok(found) => return Ok(Looked::Found(found)),
        Err(err) => err,
    };
    let what = match wanted {
        Wanted::Tag(tag) => format!("tag `{tag}`"),
        Wanted::Digest(digest) => format!("digest `{digest}`"),
    };
    let name = &repository.name;
    let missing = cloud::is_not_found(&err);
    if missing
        && let Ok(rules) = cloud.pull_through_rules(repository).await
        && let Some(rule) = rules.into_iter().find(|r| r.covers(name))
    {
        return Ok(Looked::NotCachedYet(rule));
    }
    if missing && !cloud::is_missing_repository(&err) {
        let recent = cloud.recent_tags(repository, 5).await.unwrap_or_default();
        let hint = if recent.is_empty() {
            "the repository has no tagged images; push the image before deploying".to_string()
        } else {
            format!(
                "the most recently pushed tags are: {}",
                recent
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(UserError::new(format!(
            "image {what}{whose} was not found in ECR repository `{name}`"
        ))
        .hint(hint)
        .into());
    }
    if cloud::is_missing_repository(&err) {
        return Err(UserError::new(format!("ECR repository `{name}`{whose} was not found"))
            .hint("check input `repository` (or SSM `repository-uri`), the account and the region")
            .into());
    }
    if whose.is_empty() {
        Err(err)
    } else {
        Err(err.context(format!("looking up the image{whose}")))
    }
}

/// The fallback image when the lookup failed because the repository has no image at all;
/// otherwise the lookup's error.
async fn fallback<C: Reads>(
    cloud: &C,
    req: &DeployRequest,
    repository: &Repository,
    err: anyhow::Error,
) -> anyhow::Result<(ResolvedImage, Vec<String>)> {
    let Some(fallback) = &req.fallback_image else {
        return Err(err);
    };
    let empty = matches!(cloud.any_image(repository).await, Ok(None));
    if !empty {
        return Err(err);
    }
    let image = ResolvedImage {
        repository: fallback.repository.clone(),
        tag: fallback.tag.clone(),
        digest: fallback.digest.clone(),
        verified: false,
    };
    let warning = format!(
        "ECR repository `{}` has no images yet: deploying the fallback image `{fallback}` instead (`fallback-image`)",
        repository.name
    );
    Ok((image, vec![warning]))
}
