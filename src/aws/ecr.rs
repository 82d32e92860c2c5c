//! ECR operations: does the image exist, and what is its digest.

use anyhow::Context;
use aws_sdk_ecr::Client;
use aws_sdk_ecr::types::{ImageDetail, ImageIdentifier};

use super::Clients;
use super::sdk_error;
use crate::cloud::PullThroughRule;
use crate::cloud::{FoundImage, Images, Repository, Wanted};

/// Looks an image up by tag or digest.
pub async fn find_image(
    client: &Client,
    registry_id: Option<&str>,
    repository: &str,
    wanted: Wanted<'_>,
) -> anyhow::Result<FoundImage> {
    let id = match wanted {
        Wanted::Tag(tag) => ImageIdentifier::builder().image_tag(tag).build(),
        Wanted::Digest(digest) => ImageIdentifier::builder().image_digest(digest).build(),
    };
    let what = match wanted {
        Wanted::Tag(tag) => format!("tag `{tag}`"),
        Wanted::Digest(digest) => format!("digest `{digest}`"),
    };
    let out = client
        .describe_images()
        .set_registry_id(registry_id.map(str::to_string))
        .repository_name(repository)
        .image_ids(id)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("looking up image {what} in ECR repository `{repository}`"))?;
    let detail = out
        .image_details()
        .first()
        .with_context(|| format!("ECR returned no details for image {what} in `{repository}`"))?;
    found(detail)
        .with_context(|| format!("ECR returned no digest for image {what} in `{repository}`"))
}

fn found(detail: &ImageDetail) -> Option<FoundImage> {
    Some(FoundImage {
        registry_id: detail.registry_id()?.to_string(),
        repository: detail.repository_name()?.to_string(),
        digest: detail.image_digest()?.to_string(),
        tags: detail.image_tags().to_vec(),
    })
}

/// Up to `n` tags of the most recently pushed images (reads at most 1,000 images).
pub async fn recent_tags(
    client: &Client,
    registry_id: Option<&str>,
    repository: &str,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let mut images: Vec<ImageDetail> = Vec::new();
    let mut pages = client
        .describe_images()
        .set_registry_id(registry_id.map(str::to_string))
        .repository_name(repository)
        .filter(
            aws_sdk_ecr::types::DescribeImagesFilter::builder()
                .tag_status(aws_sdk_ecr::types::TagStatus::Tagged)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        images.extend(
            page.map_err(sdk_error)
                .with_context(|| format!("listing images of `{repository}`"))?
                .image_details()
                .iter()
                .cloned(),
        );
        if images.len() >= 1000 {
            break;
        }
    }
    images.sort_by_key(|d| {
        std::cmp::Reverse(
            d.image_pushed_at()
                .map(aws_smithy_types::DateTime::as_nanos),
        )
    });
    Ok(images
        .iter()
        .flat_map(|d| d.image_tags().iter().cloned())
        .take(n)
        .collect())
}

/// Adds `tag` to the image with `digest` (the same manifest, no rebuild). A tag that already points
/// at this image is fine.
pub async fn add_tag(
    client: &Client,
    registry_id: Option<&str>,
    repository: &str,
    digest: &str,
    tag: &str,
) -> anyhow::Result<()> {
    let out = client
        .batch_get_image()
        .set_registry_id(registry_id.map(str::to_string))
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_digest(digest).build())
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("reading the manifest of `{repository}@{digest}`"))?;
    let image = out
        .images()
        .first()
        .with_context(|| format!("ECR returned no image for `{repository}@{digest}`"))?;
    let manifest = image.image_manifest().context("ECR returned no manifest")?;
    let result = client
        .put_image()
        .set_registry_id(registry_id.map(str::to_string))
        .repository_name(repository)
        .image_manifest(manifest)
        .set_image_manifest_media_type(image.image_manifest_media_type().map(str::to_string))
        .image_tag(tag)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(err)
            if err.as_service_error().is_some_and(
                aws_sdk_ecr::operation::put_image::PutImageError::is_image_already_exists_exception,
            ) =>
        {
            Ok(())
        }
        Err(err) => Err(sdk_error(err))
            .with_context(|| format!("tagging `{repository}@{digest}` as `{tag}`")),
    }
}

/// One image of the repository, if it has any: `Some(registry id)`.
pub async fn any_image(
    client: &Client,
    registry_id: Option<&str>,
    repository: &str,
) -> anyhow::Result<Option<String>> {
    let out = client
        .describe_images()
        .set_registry_id(registry_id.map(str::to_string))
        .repository_name(repository)
        .max_results(1)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("listing images of `{repository}`"))?;
    Ok(out
        .image_details()
        .first()
        .map(|d| d.registry_id().unwrap_or_default().to_string()))
}

/// The registry's pull-through cache rules.
pub async fn pull_through_rules(
    client: &Client,
    registry_id: Option<&str>,
) -> anyhow::Result<Vec<PullThroughRule>> {
    let mut rules = Vec::new();
    let mut pages = client
        .describe_pull_through_cache_rules()
        .set_registry_id(registry_id.map(str::to_string))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(sdk_error)
            .context("listing ECR's pull-through cache rules")?;
        rules.extend(page.pull_through_cache_rules().iter().filter_map(|r| {
            Some(PullThroughRule {
                prefix: r.ecr_repository_prefix()?.to_string(),
                upstream: r.upstream_registry_url().unwrap_or_default().to_string(),
            })
        }));
    }
    Ok(rules)
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Clients {
    fn ecr_for(&self, repository: &Repository) -> aws_sdk_ecr::Client {
        match &repository.region {
            Some(region) => self.ecr_in(region),
            None => self.ecr.clone(),
        }
    }
}

impl Images for Clients {
    async fn find_image(
        &self,
        repository: &Repository,
        wanted: Wanted<'_>,
    ) -> anyhow::Result<FoundImage> {
        let client = self.ecr_for(repository);
        find_image(
            &client,
            repository.registry_id.as_deref(),
            &repository.name,
            wanted,
        )
        .await
    }
    async fn recent_tags(&self, repository: &Repository, n: usize) -> anyhow::Result<Vec<String>> {
        let client = self.ecr_for(repository);
        recent_tags(
            &client,
            repository.registry_id.as_deref(),
            &repository.name,
            n,
        )
        .await
    }
    async fn any_image(&self, repository: &Repository) -> anyhow::Result<Option<String>> {
        let client = self.ecr_for(repository);
        any_image(&client, repository.registry_id.as_deref(), &repository.name).await
    }
    async fn pull_through_rules(
        &self,
        repository: &Repository,
    ) -> anyhow::Result<Vec<crate::cloud::PullThroughRule>> {
        let client = self.ecr_for(repository);
        pull_through_rules(&client, repository.registry_id.as_deref()).await
    }
    async fn tag_image(
        &self,
        repository: &Repository,
        digest: &str,
        tag: &str,
    ) -> anyhow::Result<()> {
        let client = self.ecr_for(repository);
        add_tag(
            &client,
            repository.registry_id.as_deref(),
            &repository.name,
            digest,
            tag,
        )
        .await
    }
}
