//! SSM Parameter Store: reading a batch of parameters.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_sdk_ssm::Client;

use super::sdk_error;

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
