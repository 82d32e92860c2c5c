//! The image digests ECS resolved for each deployed service (its target service revision,
//! `DescribeServiceRevisions`): ECS resolves a tag to a digest when the deployment starts
//! ("version consistency"), and every task of the deployment runs that digest.

use std::collections::BTreeMap;

use crate::cloud::ServiceDeployments;
use crate::domain::deployment::ContainerImage;
use crate::watch::Outcome;
use crate::watch::service_deployments::DESCRIBE_LIMIT;

/// How long the digests may hold up a verdict that is already in: they are for the summary.
const READ_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The images ECS runs, per service index; why they could not be read, when they could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    pub images: BTreeMap<usize, Vec<ContainerImage>>,
    pub unread: Option<String>,
}

/// Reads the target service revision of each outcome (by service index) whose service
/// deployment names one, 20 per call. Never fails: what could not be read is said.
pub async fn read<C: ServiceDeployments>(cloud: &C, outcomes: &[(usize, &Outcome)]) -> Digests {
    let wanted: Vec<(usize, String)> = outcomes
        .iter()
        .filter_map(|(i, o)| {
            let arn = o.service_deployment.as_ref()?.target_revision.clone()?;
            Some((*i, arn))
        })
        .collect();
    let mut resolved = Digests::default();
    for chunk in wanted.chunks(DESCRIBE_LIMIT) {
        let arns: Vec<String> = chunk.iter().map(|(_, a)| a.clone()).collect();
        let read = tokio::time::timeout(READ_WITHIN, cloud.describe_service_revisions(&arns))
            .await
            .unwrap_or_else(|_| {
                Err(anyhow::anyhow!(
                    "DescribeServiceRevisions did not answer within {} s",
                    READ_WITHIN.as_secs()
                ))
            });
        match read {
            Ok(revisions) => {
                for (i, arn) in chunk {
                    if let Some(r) = revisions.iter().find(|r| r.arn == *arn) {
                        resolved.images.insert(*i, r.images.clone());
                    }
                }
            }
            Err(err) => resolved.unread = Some(format!("{err:#}")),
        }
    }
    resolved
}
