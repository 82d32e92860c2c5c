//! `keep-revisions`: after a verified success, deregister old revisions of each deployed family
//! beyond the newest N. Never a revision that anything may still need: one a service in the
//! region runs in any of its deployments, one a running task uses, one a scheduled job runs (an
//! EventBridge rule's ECS target, an EventBridge Scheduler schedule's: ECS refuses to start a
//! task from an INACTIVE revision), or a rollback target. What is in use is read in full first;
//! if that read fails or is too large to finish, nothing is deregistered. Paced at the sustained
//! rate and capped per run; problems are warnings.

use std::collections::BTreeSet;
use std::io::Write;

use futures::future::try_join_all;

use crate::apply::record::{DeliveredService, warn};
use crate::cloud::{Schedules, Services, TaskDefinitions, Tasks};
use crate::console::Console;
use crate::progress::Progress;

/// Deregistrations are paced at about one a second, ECS's sustained rate for task-definition
/// writes (they are few, after success, and nothing waits on them).
const DEREGISTER_PACE: std::time::Duration = std::time::Duration::from_millis(1100);

/// At most this many revisions are deregistered per run (the rest go on the next run).
pub const MAX_PER_RUN: usize = 20;

/// The region is read in full before anything is deregistered; beyond these, nothing is.
const MAX_CLUSTERS: usize = 100;
const MAX_SERVICES: usize = 2_000;
const MAX_TASKS: usize = 10_000;

/// Which revisions to deregister: those beyond the newest `keep` (of `newest_first`) that are not
/// protected (`family:revision`), at most `limit`. Pure.
pub fn to_deregister(
    newest_first: &[String],
    keep: usize,
    protected: &BTreeSet<String>,
    limit: usize,
) -> Vec<String> {
    newest_first
        .iter()
        .skip(keep)
        .filter(|arn| !protected.contains(crate::domain::arn::short_task_definition(arn)))
        .take(limit)
        .cloned()
        .collect()
}

/// Every task definition in use in the region (as `family:revision`): in any deployment of any
/// service of any cluster, by a running task, or by a scheduled job (a rule's or a schedule's
/// ECS target; one naming a family without a revision runs its newest, which is always kept).
pub async fn in_use<C: Services + Tasks + Schedules>(
    cloud: &C,
) -> anyhow::Result<BTreeSet<String>> {
    let clusters = cloud.list_clusters().await?;
    anyhow::ensure!(
        clusters.len() <= MAX_CLUSTERS,
        "the region has {} clusters, more than the {MAX_CLUSTERS} checked",
        clusters.len()
    );
    let (used, scheduled) = tokio::join!(
        run_by_clusters(cloud, &clusters),
        scheduled(cloud, &clusters)
    );
    let mut used = used?;
    used.extend(scheduled?);
    Ok(used
        .iter()
        .map(|td| crate::domain::arn::short_task_definition(td).to_string())
        .collect())
}

/// What the scheduled jobs of the region run: every EventBridge rule targeting a cluster, every
/// Scheduler schedule.
async fn scheduled<C: Schedules>(
    cloud: &C,
    clusters: &[String],
) -> anyhow::Result<BTreeSet<String>> {
    let (rules, schedules) = tokio::join!(
        try_join_all(clusters.iter().map(|c| cloud.rule_task_definitions(c))),
        cloud.schedule_task_definitions()
    );
    let rules =
        rules.map_err(|err| err.context("reading the EventBridge rules that run ECS tasks"))?;
    let schedules = schedules.map_err(|err| {
        err.context("reading the EventBridge Scheduler schedules that run ECS tasks")
    })?;
    Ok(rules
        .into_iter()
        .flatten()
        .chain(schedules)
        .map(|(_, td)| td)
        .collect())
}

/// What the services and running tasks of every cluster run.
async fn run_by_clusters<C: Services + Tasks>(
    cloud: &C,
    clusters: &[String],
) -> anyhow::Result<BTreeSet<String>> {
    let mut used = BTreeSet::new();
    let (mut services_seen, mut tasks_seen) = (0, 0);
    for cluster in clusters {
        let services = cloud.list_services(cluster).await?;
        services_seen += services.len();
        anyhow::ensure!(
            services_seen <= MAX_SERVICES,
            "the region has more than {MAX_SERVICES} services to check"
        );
        let described = try_join_all(
            services
                .chunks(10)
                .map(|chunk| cloud.describe_services(cluster, chunk)),
        )
        .await?;
        for (states, _) in described {
            for state in states {
                used.insert(state.task_definition.clone());
                used.extend(state.deployments.into_iter().map(|d| d.task_definition));
            }
        }
        let tasks = cloud.list_running_tasks(cluster).await?;
        tasks_seen += tasks.len();
        anyhow::ensure!(
            tasks_seen <= MAX_TASKS,
            "the region has more than {MAX_TASKS} running tasks to check"
        );
        for chunk in tasks.chunks(100) {
            let described = cloud.describe_tasks(cluster, chunk).await?;
            used.extend(described.into_iter().map(|t| t.task_definition));
        }
    }
    Ok(used)
}

/// What the clean-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub deregistered: usize,
    pub warnings: Vec<String>,
}

/// Deregisters old revisions of every family the deploy touched (after a verified success: the
/// caller calls it only then).
pub async fn run<C: Services + Tasks + Schedules + TaskDefinitions, W: Write>(
    cloud: &C,
    keep: usize,
    services: &[DeliveredService],
    console: &Console<W>,
    progress: &Progress,
) -> Cleaned {
    let mut protected = match in_use(cloud).await {
        Ok(used) => used,
        Err(err) => {
            return Cleaned {
                deregistered: 0,
                warnings: vec![warn(
                    console,
                    "Old revisions not cleaned up",
                    &format!(
                        "which revisions are in use could not be read in full, so none was deregistered: {err:#}"
                    ),
                )],
            };
        }
    };
    for s in services {
        for arn in [&s.task_definition_arn, &s.previous_task_definition_arn] {
            protected.insert(crate::domain::arn::short_task_definition(arn).to_string());
        }
    }
    let mut families: Vec<&str> = services
        .iter()
        .map(|s| crate::domain::arn::family_of(&s.task_definition_arn))
        .collect();
    families.sort_unstable();
    families.dedup();
    let (done, warnings) = deregister_old(cloud, &families, keep, &protected, progress).await;
    if done > 0 {
        console.line(&format!(
            "Deregistered {done} old revision(s), keeping the newest {keep} of each family"
        ));
    }
    Cleaned {
        deregistered: done,
        warnings: warnings
            .iter()
            .map(|w| warn(console, "Old revisions not cleaned up", w))
            .collect(),
    }
}

/// Deregisters each family's revisions beyond the newest `keep`, never a protected one, paced,
/// at most [`MAX_PER_RUN`] in all. How many were, and what failed.
async fn deregister_old<C: TaskDefinitions>(
    cloud: &C,
    families: &[&str],
    keep: usize,
    protected: &BTreeSet<String>,
    progress: &Progress,
) -> (usize, Vec<String>) {
    let mut done = 0;
    let mut warnings = Vec::new();
    for &family in families {
        let revisions = match cloud.active_revisions(family).await {
            Ok(revisions) => revisions,
            Err(err) => {
                warnings.push(format!("{err:#}"));
                continue;
            }
        };
        for (i, arn) in to_deregister(&revisions, keep, protected, MAX_PER_RUN - done)
            .iter()
            .enumerate()
        {
            if i > 0 || done > 0 {
                tokio::time::sleep(DEREGISTER_PACE).await;
            }
            match cloud.deregister_task_definition(arn).await {
                Ok(()) => {
                    done += 1;
                    progress.wrote(format!(
                        "deregistered `{}`",
                        crate::domain::arn::short_task_definition(arn)
                    ));
                }
                Err(err) => warnings.push(format!("{err:#}")),
            }
        }
    }
    (done, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arns(revisions: &[u32]) -> Vec<String> {
        revisions
            .iter()
            .map(|r| format!("arn:aws:ecs:us-east-1:123456789012:task-definition/api:{r}"))
            .collect()
    }

    #[test]
    fn keeps_the_newest_and_never_the_protected() {
        let all = arns(&[9, 8, 7, 6, 5, 4]);
        let protected: BTreeSet<String> = ["api:5".to_string()].into(); // the rollback target
        assert_eq!(to_deregister(&all, 2, &protected, 20), arns(&[7, 6, 4]));
        assert_eq!(
            to_deregister(&all, 2, &protected, 2),
            arns(&[7, 6]),
            "capped per run"
        );
        assert!(to_deregister(&all, 10, &protected, 20).is_empty());
    }
}
