//! ECR operations: does the image exist, and what is its digest.

use anyhow::Context;
use aws_sdk_ecr::Client;
use aws_sdk_ecr::operation::describe_images::DescribeImagesError;
use aws_sdk_ecr::types::{ImageDetail, ImageIdentifier};

use super::sdk_error;
use crate::error::UserError;

/// An image found in ECR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundImage {
    pub registry_id: String,
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
}

/// What to look for: a tag or a digest.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    Tag(&'a str),
    Digest(&'a str),
}

/// Looks an image up by tag or digest. A missing tag or repository is a user error; a missing tag
/// lists the most recently pushed tags.
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
    let result = client
        .describe_images()
        .set_registry_id(registry_id.map(str::to_string))
        .repository_name(repository)
        .image_ids(id)
        .send()
        .await;
    let what = match wanted {
        Wanted::Tag(tag) => format!("tag `{tag}`"),
        Wanted::Digest(digest) => format!("digest `{digest}`"),
    };
    let out = match result {
        Ok(out) => out,
        Err(err) => {
            return Err(match err.as_service_error() {
                Some(DescribeImagesError::ImageNotFoundException(_)) => {
                    let recent = recent_tags(client, registry_id, repository, 5).await.unwrap_or_default();
                    let hint = if recent.is_empty() {
                        "the repository has no tagged images; push the image before deploying".to_string()
                    } else {
                        format!("the most recently pushed tags are: {}", recent.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "))
                    };
                    UserError::new(format!("image {what} was not found in ECR repository `{repository}`")).hint(hint).into()
                }
                Some(DescribeImagesError::RepositoryNotFoundException(_)) => UserError::new(format!("ECR repository `{repository}` was not found"))
                    .hint("check input `repository` (or SSM `repository-uri`), the account and the region")
                    .into(),
                _ => sdk_error(err).context(format!("looking up image {what} in ECR repository `{repository}`")),
            });
        }
    };
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

/// Whether the account has an ECR repository `name` in the client's region: `Some` (with the
/// registry id when an image shows it) or `None`. Other errors (a denied read) are errors.
pub async fn repository_exists(
    client: &Client,
    name: &str,
) -> anyhow::Result<Option<Option<String>>> {
    match client
        .describe_images()
        .repository_name(name)
        .max_results(1)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.image_details()
                .first()
                .and_then(ImageDetail::registry_id)
                .map(str::to_string),
        )),
        Err(err)
            if err.as_service_error().is_some_and(|e| {
                matches!(
                    e,
                    DescribeImagesError::RepositoryNotFoundException(_)
                        | DescribeImagesError::InvalidParameterException(_)
                )
            }) =>
        {
            Ok(None)
        }
        Err(err) => {
            Err(sdk_error(err)).with_context(|| format!("looking for ECR repository `{name}`"))
        }
    }
}

/// Whether a repository holds no image at all (tagged or not).
pub async fn is_empty(
    client: &Client,
    registry_id: Option<&str>,
    repository: &str,
) -> anyhow::Result<bool> {
    let out = client
        .describe_images()
        .set_registry_id(registry_id.map(str::to_string))
        .repository_name(repository)
        .max_results(1)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("listing images of `{repository}`"))?;
    Ok(out.image_details().is_empty())
}
