//! `keep-revisions`: after a verified success, deregister old revisions of each deployed family
//! beyond the newest N. Never a revision a deployed service runs now, nor the one a rollback would
//! go back to. Paced like registration and capped per run; problems are warnings.

use std::io::Write;

use crate::aws::{self, Clients};
use crate::console::Console;
use crate::register::REGISTER_PACE;
use crate::report::{Report, Status};

/// At most this many revisions are deregistered per run (the rest go on the next run).
pub const MAX_PER_RUN: usize = 20;

/// Which revisions to deregister: those beyond the newest `keep` (of `newest_first`) that are not
/// protected, at most `limit`. Pure.
pub fn to_deregister(
    newest_first: &[String],
    keep: usize,
    protected: &[&str],
    limit: usize,
) -> Vec<String> {
    newest_first
        .iter()
        .skip(keep)
        .filter(|arn| !protected.contains(&arn.as_str()))
        .take(limit)
        .cloned()
        .collect()
}

/// Deregisters old revisions of every family the deploy touched.
pub async fn run<W: Write>(
    clients: &Clients,
    keep: usize,
    console: &mut Console<W>,
    report: &mut Report,
) {
    if report.status != Status::Deployed {
        return;
    }
    let protected: Vec<&str> = report
        .services
        .iter()
        .flat_map(|s| {
            [
                s.task_definition_arn.as_deref(),
                Some(s.previous_task_definition_arn.as_str()),
            ]
        })
        .flatten()
        .collect();
    let mut families: Vec<&str> = report
        .services
        .iter()
        .filter_map(|s| s.task_definition_arn.as_deref())
        .map(aws::ecs::family_of)
        .collect();
    families.sort_unstable();
    families.dedup();
    let mut done = 0;
    let mut warnings = Vec::new();
    for family in families {
        let revisions = match aws::ecs::active_revisions(&clients.ecs, family).await {
            Ok(revisions) => revisions,
            Err(err) => {
                warnings.push(format!("{err:#}"));
                continue;
            }
        };
        for (i, arn) in to_deregister(&revisions, keep, &protected, MAX_PER_RUN - done)
            .iter()
            .enumerate()
        {
            if i > 0 || done > 0 {
                tokio::time::sleep(REGISTER_PACE).await;
            }
            match aws::ecs::deregister_task_definition(&clients.ecs, arn).await {
                Ok(()) => {
                    done += 1;
                    crate::progress::wrote(format!(
                        "deregistered `{}`",
                        crate::model::short_task_definition(arn)
                    ));
                }
                Err(err) => warnings.push(format!("{err:#}")),
            }
        }
    }
    if done > 0 {
        console.line(&format!(
            "Deregistered {done} old revision(s), keeping the newest {keep} of each family"
        ));
    }
    report.deregistered = done;
    for warning in warnings {
        crate::record::warn(console, report, "Old revisions not cleaned up", &warning);
    }
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
        let protected = [all[4].as_str()]; // api:5 is the rollback target
        assert_eq!(to_deregister(&all, 2, &protected, 20), arns(&[7, 6, 4]));
        assert_eq!(
            to_deregister(&all, 2, &protected, 2),
            arns(&[7, 6]),
            "capped per run"
        );
        assert!(to_deregister(&all, 10, &protected, 20).is_empty());
    }
}
