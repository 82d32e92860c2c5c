//! Secrets Manager: a secret's metadata for the preflight (never its value).

use std::collections::BTreeMap;

use anyhow::Context;

use super::Clients;
use super::sdk_error;
use crate::cloud::SecretInfo;
use crate::cloud::{InRegion, Secrets};

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

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Secrets for Clients {
    async fn describe_secret(
        &self,
        region: InRegion<'_>,
        secret_id: &str,
    ) -> anyhow::Result<SecretInfo> {
        describe_secret(&self.secrets_in(region), secret_id).await
    }
}
