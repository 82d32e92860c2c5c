//! SSM Parameter Store: reading a batch of parameters, writing one, and (for the preflight)
//! which exist, without their values.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_ssm::Client;

use super::Clients;
use super::sdk_error;
use crate::cloud::ParameterInfo;
use crate::cloud::{InRegion, Parameters};

/// Reads parameters by full name, 10 per call (the API's limit), decrypting `SecureString`s.
/// Missing parameters are simply absent from the result.
pub async fn get_parameters(
    client: &Client,
    names: &[String],
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for chunk in names.chunks(10) {
        let out = client
            .get_parameters()
            .set_names(Some(chunk.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .map_err(sdk_error)
            .with_context(|| format!("reading SSM parameters {}", chunk.join(", ")))?;
        for p in out.parameters() {
            if let (Some(name), Some(value)) = (p.name(), p.value()) {
                values.insert(name.to_string(), value.to_string());
            }
        }
    }
    Ok(values)
}

/// Writes (or overwrites) a String parameter; values over 4 KB use the Advanced tier.
pub async fn put_parameter(client: &Client, name: &str, value: &str) -> anyhow::Result<()> {
    let tier = if value.len() > 4096 {
        aws_sdk_ssm::types::ParameterTier::Advanced
    } else {
        aws_sdk_ssm::types::ParameterTier::Standard
    };
    client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .tier(tier)
        .overwrite(true)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("writing SSM parameter `{name}`"))?;
    Ok(())
}

/// The parameters among `names` that exist, 50 names a call (the filter's limit).
pub async fn describe_parameters(
    client: &Client,
    names: &[String],
) -> anyhow::Result<Vec<ParameterInfo>> {
    let mut found = Vec::new();
    for chunk in names.chunks(50) {
        let filter = aws_sdk_ssm::types::ParameterStringFilter::builder()
            .key("Name")
            .option("Equals")
            .set_values(Some(chunk.to_vec()))
            .build()
            .context("building the DescribeParameters filter")?;
        let mut pages = client
            .describe_parameters()
            .parameter_filters(filter)
            .max_results(50)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(sdk_error)
                .context("describing SSM parameters")?;
            found.extend(page.parameters().iter().filter_map(|p| {
                Some(ParameterInfo {
                    name: p.name()?.to_string(),
                    kms_key: p.key_id().map(str::to_string),
                })
            }));
        }
    }
    Ok(found)
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Parameters for Clients {
    async fn get_parameters(&self, names: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
        get_parameters(&self.ssm, names).await
    }
    async fn put_parameter(&self, name: &str, value: &str) -> anyhow::Result<()> {
        put_parameter(&self.ssm, name, value).await
    }
    async fn describe_parameters(
        &self,
        region: InRegion<'_>,
        names: &[String],
    ) -> anyhow::Result<Vec<ParameterInfo>> {
        describe_parameters(&self.ssm_in(region), names).await
    }
}
