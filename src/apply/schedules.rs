//! After a verified deploy, the scheduled jobs follow it (`schedules`): each EventBridge rule
//! (default bus) and EventBridge Scheduler schedule whose ECS target in the cluster ran exactly
//! the revision a changed service ran before is pointed at the service's new revision, every
//! other field of its target kept. One on another revision of the family is pinned there on
//! purpose and is left alone (and said). What cannot be read or moved is a warning: the deploy
//! itself is done.

use std::io::Write;

use crate::apply::record::Delivered;
use crate::cloud::{Region, Schedules};
use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::run_options::SchedulesToMove;

/// A rule or schedule moved to the new revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedSchedule {
    /// `rule` or `schedule`.
    pub kind: &'static str,
    /// The rule's name, or the schedule's `group/name`.
    pub name: String,
    /// The service whose revision it followed.
    pub service: String,
    pub from: String,
    pub to: String,
}

/// What following did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followed {
    pub moved: Vec<MovedSchedule>,
    pub warnings: Vec<String>,
}

/// `(kind, name, task definition)` of every rule targeting the cluster and every schedule; what
/// cannot be read is a warning.
async fn scheduled_jobs<C: Schedules>(
    cloud: &C,
    cluster_arn: &str,
    warnings: &mut Vec<String>,
) -> Vec<(&'static str, String, String)> {
    let (rules, schedules) = tokio::join!(
        cloud.rule_task_definitions(cluster_arn),
        cloud.schedule_task_definitions()
    );
    let mut jobs: Vec<(&'static str, String, String)> = Vec::new();
    match rules {
        Ok(found) => jobs.extend(found.into_iter().map(|(n, td)| ("rule", n, td))),
        Err(err) => warnings.push(format!(
            "`schedules`: the EventBridge rules could not be read, none was moved: {err:#}"
        )),
    }
    match schedules {
        Ok(found) => jobs.extend(found.into_iter().map(|(n, td)| ("schedule", n, td))),
        Err(err) => warnings.push(format!(
            "`schedules`: the EventBridge Scheduler schedules could not be read, none was moved: {err:#}"
        )),
    }
    jobs.sort();
    jobs.dedup();
    jobs
}

/// A name `schedules` lists that was not moved is said.
fn not_moved(which: &SchedulesToMove, done: &mut Followed) {
    let SchedulesToMove::Named(names) = which else {
        return;
    };
    for name in names {
        let found = done
            .moved
            .iter()
            .any(|m| m.name == *name || m.name.strip_prefix("default/") == Some(name.as_str()));
        if !found {
            done.warnings.push(format!(
                "`schedules`: `{name}` was not moved: no rule or schedule of that name runs a revision this deploy replaced"
            ));
        }
    }
}

/// Moves the scheduled jobs `which` names that ran a replaced revision (see the module docs).
pub async fn follow<C: Region + Schedules, W: Write>(
    cloud: &C,
    which: &SchedulesToMove,
    delivered: &Delivered,
    console: &Console<W>,
) -> Followed {
    let mut done = Followed::default();
    let changed: Vec<_> = delivered
        .services
        .iter()
        .filter(|s| s.task_definition_arn != s.previous_task_definition_arn)
        .collect();
    let Some(first) = changed.first() else {
        return done;
    };
    let account = first
        .task_definition_arn
        .split(':')
        .nth(4)
        .unwrap_or_default();
    let cluster_arn = format!(
        "arn:aws:ecs:{}:{account}:cluster/{}",
        cloud.region(),
        delivered.cluster
    );
    let jobs = scheduled_jobs(cloud, &cluster_arn, &mut done.warnings).await;
    console.group("Scheduled jobs");
    for (kind, name, runs) in &jobs {
        if !which.includes(name) {
            continue;
        }
        let Some(service) = changed
            .iter()
            .find(|s| s.previous_task_definition_arn == *runs)
        else {
            let family_of = |arn: &str| {
                short_task_definition(arn)
                    .split(':')
                    .next()
                    .map(str::to_string)
            };
            if changed
                .iter()
                .any(|s| family_of(&s.task_definition_arn) == family_of(runs))
            {
                console.line(&format!(
                    "Left alone: {kind} {name} runs {} (pinned; not the revision the service ran)",
                    short_task_definition(runs)
                ));
            }
            continue;
        };
        let (from, to) = (
            &service.previous_task_definition_arn,
            &service.task_definition_arn,
        );
        let moved = match *kind {
            "rule" => cloud
                .move_rule_targets(name, &cluster_arn, from, to)
                .await
                .map(|n| n > 0),
            _ => cloud.move_schedule(name, from, to).await,
        };
        match moved {
            Ok(true) => {
                console.line(&format!(
                    "Moved {kind} {name}: {} → {}",
                    short_task_definition(from),
                    short_task_definition(to)
                ));
                done.moved.push(MovedSchedule {
                    kind,
                    name: name.clone(),
                    service: service.service.clone(),
                    from: from.clone(),
                    to: to.clone(),
                });
            }
            Ok(false) => console.line(&format!("{kind} {name} changed meanwhile: left alone")),
            Err(err) => done.warnings.push(format!(
                "`schedules`: {kind} `{name}` still runs {}: moving it failed: {err:#}",
                short_task_definition(from)
            )),
        }
    }
    not_moved(which, &mut done);
    if done.moved.is_empty() && done.warnings.is_empty() {
        console.line("No scheduled job ran a revision this deploy replaced.");
    }
    done
}
