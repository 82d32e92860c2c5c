//! What failed tasks printed: the last lines of each failed essential container's awslogs
//! stream, for the failure report (service tasks and the pre-deploy task alike).
//!
//! Read after the failure, best effort: a stream that is not there, a denied read or a task
//! definition without a stream prefix is said in place of the lines. What is shown is masked:
//! every environment value of the task definition and every secret reference becomes `***`.

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::Value;

use crate::cloud::{self, Logs, Region, TaskDefinitions};
use crate::domain::outcome::{TaskLog, TaskLogs};
use crate::domain::states::StopCode;
use crate::domain::task::StoppedTask;
use crate::domain::taskdef::logs::{essential_containers, log_location, sensitive_values};
use crate::text::{Mask, shorten};

/// At most this many failed tasks have their logs read (newest first).
pub const MAX_TASKS: usize = 3;
/// How long reading the logs may take in all (the failure report waits for them).
pub const READ_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);
/// A log line longer than this is cut.
const MAX_LINE_CHARS: usize = 1000;

/// The last `lines` lines of the failed essential containers of `tasks` (newest first; at
/// most [`MAX_TASKS`] tasks that ran), masked. Nothing when `lines` is 0.
pub async fn read<C: Logs + TaskDefinitions + Region>(
    cloud: &C,
    tasks: &[StoppedTask],
    lines: u16,
) -> TaskLogs {
    if lines == 0 {
        return TaskLogs::default();
    }
    let ran: Vec<&StoppedTask> = tasks
        .iter()
        .filter(|t| t.stop_code != Some(StopCode::TaskFailedToStart))
        .filter(|t| t.containers.iter().any(|c| c.exit_code.is_some()))
        .take(MAX_TASKS)
        .collect();
    if ran.is_empty() {
        return TaskLogs::default();
    }
    read_ran(
        cloud,
        &ran,
        lines,
        tokio::time::Instant::now() + READ_WITHIN,
    )
    .await
}

/// `call`'s answer, or an error once `deadline` passed.
async fn until<T>(
    deadline: tokio::time::Instant,
    call: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    cloud::answered_by(deadline, READ_WITHIN, call).await
}

async fn read_ran<C: Logs + TaskDefinitions + Region>(
    cloud: &C,
    ran: &[&StoppedTask],
    lines: u16,
    deadline: tokio::time::Instant,
) -> TaskLogs {
    let mut arns: Vec<&str> = ran.iter().map(|t| t.task_definition.as_str()).collect();
    arns.sort_unstable();
    arns.dedup();
    let described: BTreeMap<&str, Option<Value>> =
        join_all(arns.into_iter().map(|arn| async move {
            (
                arn,
                until(deadline, cloud.describe_task_definition(arn))
                    .await
                    .ok(),
            )
        }))
        .await
        .into_iter()
        .collect();
    let (mut values, mut references) = (Vec::new(), Vec::new());
    for td in described.values().flatten() {
        let (v, r) = sensitive_values(td);
        values.extend(v);
        references.extend(r);
    }
    let env_mask = Mask::new(&values);
    let mask = Mask::new(values.iter().chain(&references));
    let reads = ran.iter().flat_map(|task| {
        let td = described
            .get(task.task_definition.as_str())
            .and_then(Option::as_ref);
        failed_containers(task, td)
            .into_iter()
            .map(move |container| read_one(cloud, task, td, container, lines, deadline))
    });
    let logs = join_all(reads)
        .await
        .into_iter()
        .map(|mut log| {
            log.lines = log
                .lines
                .iter()
                .map(|l| mask.apply(&shorten(l, MAX_LINE_CHARS)))
                .collect();
            log.unread = log.unread.map(|u| mask.apply(&u));
            log
        })
        .collect();
    TaskLogs {
        logs,
        masks: env_mask.values().to_vec(),
    }
}

/// The essential containers of a task that exited with something other than 0 (all that ran,
/// when the task definition could not be read).
fn failed_containers(task: &StoppedTask, td: Option<&Value>) -> Vec<String> {
    let essential = td.map(essential_containers);
    task.containers
        .iter()
        .filter(|c| c.exit_code.is_some_and(|code| code != 0))
        .filter(|c| essential.as_ref().is_none_or(|e| e.contains(&c.name)))
        .map(|c| c.name.clone())
        .collect()
}

async fn read_one<C: Logs + Region>(
    cloud: &C,
    task: &StoppedTask,
    td: Option<&Value>,
    container: String,
    lines: u16,
    deadline: tokio::time::Instant,
) -> TaskLog {
    let mut log = TaskLog {
        task_id: task.id().to_string(),
        container,
        group: String::new(),
        stream: None,
        lines: Vec::new(),
        unread: None,
    };
    let Some(td) = td else {
        log.unread = Some("its task definition could not be read".into());
        return log;
    };
    let Some(location) = log_location(td, &log.container, Some(task.id()), cloud.region()) else {
        log.unread = Some("it does not log with awslogs".into());
        return log;
    };
    log.group.clone_from(&location.group);
    let Some(stream) = location.stream else {
        log.unread = Some(
            "its log configuration has no `awslogs-stream-prefix`, so its stream cannot be found"
                .into(),
        );
        return log;
    };
    log.stream = Some(stream.clone());
    let region = Some(location.region.as_str()).filter(|r| *r != cloud.region());
    match until(
        deadline,
        cloud.log_tail(region, &location.group, &stream, lines),
    )
    .await
    {
        Ok(lines) if lines.is_empty() => log.unread = Some("its log stream is empty".into()),
        Ok(lines) => log.lines = lines,
        Err(err) if cloud::is_not_found(&err) => {
            log.unread = Some(
                "its log stream does not exist (the container may have written nothing)".into(),
            );
        }
        Err(err) if cloud::is_denied(&err) => {
            log.unread = Some("the deploy role may not call logs:GetLogEvents".into());
        }
        Err(err) => log.unread = Some(format!("its log could not be read: {err:#}")),
    }
    log
}
