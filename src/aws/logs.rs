//! CloudWatch Logs: whether a log group exists (the preflight), and the last lines of a stream
//! (what a failed task printed).

use anyhow::Context;

use super::Clients;
use super::sdk_error;
use crate::cloud::{InRegion, Logs};

/// Whether the log group exists: its name is among those it prefixes (sorted by name, so it
/// comes first).
pub async fn log_group_exists(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
) -> anyhow::Result<bool> {
    let out = client
        .describe_log_groups()
        .log_group_name_prefix(group)
        .limit(50)
        .send()
        .await
        .map_err(sdk_error)
        .with_context(|| format!("describing log group `{group}`"))?;
    Ok(out
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(group)))
}

/// The last `lines` messages of a stream, oldest first.
pub async fn log_tail(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    lines: u16,
) -> anyhow::Result<Vec<String>> {
    let out = client
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .limit(i32::from(lines))
        .start_from_head(false)
        .send()
        .await
        .map_err(sdk_error)
        .context("reading the task's log stream")?;
    Ok(out
        .events()
        .iter()
        .filter_map(|e| e.message().map(str::to_string))
        .collect())
}

// The seam (`crate::cloud`): what the stages call, on this service's client.
impl Logs for Clients {
    async fn log_group_exists(&self, region: InRegion<'_>, group: &str) -> anyhow::Result<bool> {
        log_group_exists(&self.logs_in(region), group).await
    }
    async fn log_tail(
        &self,
        region: InRegion<'_>,
        group: &str,
        stream: &str,
        lines: u16,
    ) -> anyhow::Result<Vec<String>> {
        log_tail(&self.logs_in(region), group, stream, lines).await
    }
}
