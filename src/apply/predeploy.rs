//! The pre-deploy task: a one-off task (migrations) run with `RunTask` before any service is
//! updated, placed like the first service's tasks, and waited for until it stops. The deploy goes
//! on only when every essential container exited 0.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::apply::register::Registrar;
use crate::cloud::{Logs, OneOffTask, Region, TaskDefinitions, Tasks};
use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::outcome::TaskRun;
use crate::domain::service::Placement;
use crate::domain::states::TaskStatus;
use crate::domain::task::StoppedTask;
use crate::domain::taskdef::logs::{essential_containers, log_location};
use crate::plan::predeploy::PreDeployPlan;
use crate::progress::Progress;
use crate::request::PreDeployTask;
use crate::text::human_duration;

/// `startedBy` on the tasks we run, so they can be found in the console.
pub const STARTED_BY: &str = "ecs-ship/pre-deploy";

/// How often the task is described while it runs.
const POLL: Duration = Duration::from_secs(1);

/// How long a just-started task may be missing from `DescribeTasks` (eventual consistency).
const MISSING_GRACE: Duration = Duration::from_secs(30);

/// Success only when every essential container exited 0; otherwise why, one line.
pub fn verdict(task: &StoppedTask, essential: &[String]) -> Result<(), String> {
    let bad: Vec<String> = task
        .containers
        .iter()
        .filter(|c| essential.contains(&c.name))
        .filter(|c| c.exit_code != Some(0))
        .map(|c| match (c.exit_code, &c.reason) {
            (Some(code), _) => format!("`{}` exited {code}", c.name),
            (None, Some(reason)) => format!("`{}` did not run: {reason}", c.name),
            (None, None) => format!("`{}` has no exit code", c.name),
        })
        .collect();
    let missing = essential
        .iter()
        .filter(|name| !task.containers.iter().any(|c| c.name == **name))
        .count();
    if bad.is_empty() && missing == 0 && !task.containers.is_empty() {
        return Ok(());
    }
    let mut why = if bad.is_empty() {
        "no essential container reported an exit code".to_string()
    } else {
        bad.join(", ")
    };
    if let Some(reason) = &task.stopped_reason {
        let code = task
            .stop_code
            .as_ref()
            .map_or(String::new(), |c| format!(" [{c}]"));
        why = format!("{why} ({reason}{code})");
    }
    Err(why)
}

/// Registers (when it changed) and runs the planned pre-deploy task, and waits for it to stop.
/// Whether it succeeded is in the returned run; an error is one the run cannot go on from.
pub async fn run_planned<C: Region + Logs + TaskDefinitions + Tasks, W: Write>(
    cloud: &C,
    registrar: &Registrar,
    task: &PreDeployTask,
    pre: &PreDeployPlan,
    cluster: &str,
    console: &Console<W>,
    progress: &Progress,
) -> anyhow::Result<TaskRun> {
    console.group(pre.label);
    let arn = if pre.changed {
        let registered = registrar
            .register(cloud, &pre.rendered, progress, &|line| console.line(&line))
            .await?;
        if registered.new {
            console.line(&format!(
                "Registered {}",
                crate::domain::arn::short_task_definition(&registered.arn)
            ));
        }
        registered.arn
    } else {
        pre.live_arn.clone()
    };
    let mut result = TaskRun::new(arn.clone(), pre.container.clone());
    note(progress, &result);
    let region = cloud.region().to_string();
    run(
        cloud,
        task,
        &Prepared {
            cluster,
            task_definition_arn: arn,
            rendered: &pre.rendered,
            container: pre.container.clone(),
            placement: pre.placement.clone(),
            region: &region,
            timeout: pre.timeout,
        },
        console,
        progress,
        &mut result,
    )
    .await?;
    if !result.succeeded {
        console.line(&format!(
            "{} failed: {}",
            pre.label,
            result.failure.as_deref().unwrap_or_default()
        ));
        if let Some(stopped) = &result.task {
            let output =
                crate::gather::task_logs::read(cloud, std::slice::from_ref(stopped), pre.log_lines)
                    .await;
            result.output = Some(output);
        }
    }
    result.ended = true;
    note(progress, &result);
    Ok(result)
}

/// What to run: the registered task definition, its rendered body and the container to override.
pub struct Prepared<'a> {
    pub cluster: &'a str,
    pub task_definition_arn: String,
    pub rendered: &'a Value,
    pub container: String,
    pub placement: Placement,
    pub region: &'a str,
    pub timeout: Duration,
}

/// Runs the task and waits for it to stop. `result` is filled as it goes, so a cancelled run
/// still reports the task it started.
pub async fn run<C: Tasks, W: Write>(
    cloud: &C,
    task: &PreDeployTask,
    prepared: &Prepared<'_>,
    console: &Console<W>,
    progress: &Progress,
    result: &mut TaskRun,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let command_text = if task.command.is_empty() {
        "its image's command".to_string()
    } else {
        format!("`{}`", task.command.join(" "))
    };
    console.line(&format!(
        "Running {} (container {} runs {command_text})",
        short_task_definition(&prepared.task_definition_arn),
        prepared.container
    ));
    let arn = cloud
        .run_task(&OneOffTask {
            cluster: prepared.cluster,
            task_definition: &prepared.task_definition_arn,
            placement: &prepared.placement,
            command: (!task.command.is_empty())
                .then_some((prepared.container.as_str(), task.command.as_slice())),
            started_by: STARTED_BY,
        })
        .await?;
    let task_id = crate::domain::arn::name_of(&arn).to_string();
    progress.wrote(format!("started the pre-deploy task {task_id}"));
    result.task_arn = Some(arn.clone());
    result.log = log_location(
        prepared.rendered,
        &prepared.container,
        Some(&task_id),
        prepared.region,
    );
    note(progress, result);
    console.line(&format!("Started task {task_id}"));
    let Some(stopped) =
        wait_until_stopped(cloud, prepared, &arn, started, console, progress, result).await?
    else {
        return Ok(());
    };
    let essential = essential_containers(prepared.rendered);
    result.exit_code = stopped
        .containers
        .iter()
        .find(|c| c.name == prepared.container)
        .and_then(|c| c.exit_code);
    match verdict(&stopped, &essential) {
        Ok(()) => {
            result.succeeded = true;
            console.line(&format!(
                "Succeeded in {} (exit 0)",
                human_duration(result.duration)
            ));
        }
        Err(why) => result.failure = Some(why),
    }
    result.task = Some(stopped);
    note(progress, result);
    Ok(())
}

/// Keeps the task's progress where a cancelled run finds it.
fn note(progress: &Progress, result: &TaskRun) {
    progress.note(|r| r.pre_deploy = Some(result.clone()));
}

/// Polls the task until it stops; `None` (with `result.failure` set) when it outlives its
/// timeout or its status cannot be read. A failed read is tried again while time is left; three
/// that cannot go away (access denied) in a row end the wait. Either way the task may still be
/// running, and the failure says so.
async fn wait_until_stopped<C: Tasks, W: Write>(
    cloud: &C,
    prepared: &Prepared<'_>,
    arn: &str,
    started: Instant,
    console: &Console<W>,
    progress: &Progress,
    result: &mut TaskRun,
) -> anyhow::Result<Option<StoppedTask>> {
    let deadline = started + prepared.timeout;
    let task_id = crate::domain::arn::name_of(arn);
    let (mut unread, mut permanent) = (None::<String>, 0);
    loop {
        tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        if Instant::now() >= deadline {
            result.failure = Some(past_deadline(task_id, prepared, result, unread.as_deref()));
            return Ok(None);
        }
        let read = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            cloud.task_status(prepared.cluster, arn),
        )
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer before the timeout")));
        match read {
            Ok(Some((status, described))) => {
                unread = None;
                permanent = 0;
                if result.last_status.as_ref() != Some(&status) {
                    console.line(&format!(
                        "Task {task_id}: {status} after {}",
                        human_duration(started.elapsed())
                    ));
                    result.last_status = Some(status.clone());
                }
                result.duration = started.elapsed();
                note(progress, result);
                if status == TaskStatus::Stopped {
                    return Ok(Some(described));
                }
            }
            Ok(None) if started.elapsed() > MISSING_GRACE => anyhow::bail!(
                "task {task_id} is not in cluster `{}` {} after it was started",
                prepared.cluster,
                human_duration(MISSING_GRACE)
            ),
            Ok(None) => {}
            Err(err) => {
                if unread.is_none() {
                    console.line(&format!(
                        "Task {task_id} could not be read ({err:#}); trying again"
                    ));
                }
                permanent = if crate::cloud::is_permanent(&err) {
                    permanent + 1
                } else {
                    0
                };
                unread = Some(format!("{err:#}"));
            }
        }
        if permanent >= 3 {
            result.failure = Some(past_deadline(task_id, prepared, result, unread.as_deref()));
            return Ok(None);
        }
    }
}

/// Why the wait for the task ended without it stopping: its reads failed, or its time ran out.
fn past_deadline(
    task_id: &str,
    prepared: &Prepared<'_>,
    result: &TaskRun,
    unread: Option<&str>,
) -> String {
    match unread {
        Some(err) => format!(
            "the status of task {task_id} could not be read ({err}); it may still be running"
        ),
        None => format!(
            "task {task_id} did not stop within {} (last status {}) and is still running",
            human_duration(prepared.timeout),
            result.last_status.as_ref().map_or("-", TaskStatus::as_str)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::task::ContainerExit;
    use crate::domain::taskdef::logs::LogLocation;
    use serde_json::json;

    fn task_definition() -> Value {
        json!({"taskDefinition": {"family": "api", "containerDefinitions": [
            {"name": "app", "essential": true, "logConfiguration": {"logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/api", "awslogs-stream-prefix": "web"}}},
            {"name": "log-router", "essential": false},
            {"name": "sidecar"}
        ]}})
    }

    fn stopped(exits: &[(&str, Option<i32>)]) -> StoppedTask {
        StoppedTask {
            arn: "arn:aws:ecs:us-east-1:1:task/c/abc".into(),
            stop_code: Some("EssentialContainerExited".into()),
            stopped_reason: Some("Essential container in task exited".into()),
            containers: exits
                .iter()
                .map(|(name, code)| ContainerExit {
                    name: (*name).into(),
                    exit_code: *code,
                    reason: None,
                })
                .collect(),
            ..StoppedTask::default()
        }
    }

    #[test]
    fn essential_defaults_to_true() {
        assert_eq!(essential_containers(&task_definition()), ["app", "sidecar"]);
    }

    #[test]
    fn only_zero_exits_of_every_essential_container_succeed() {
        let essential = essential_containers(&task_definition());
        assert_eq!(
            verdict(
                &stopped(&[
                    ("app", Some(0)),
                    ("sidecar", Some(0)),
                    ("log-router", Some(1))
                ]),
                &essential
            ),
            Ok(())
        );
        assert_eq!(
            verdict(
                &stopped(&[
                    ("app", Some(1)),
                    ("sidecar", Some(0)),
                    ("log-router", Some(0))
                ]),
                &essential
            ),
            Err(
                "`app` exited 1 (Essential container in task exited [EssentialContainerExited])"
                    .into()
            )
        );
        let mut not_run = stopped(&[("app", None), ("sidecar", None)]);
        not_run.containers[0].reason = Some("CannotPullContainerError: not found".into());
        not_run.stop_code = Some("TaskFailedToStart".into());
        not_run.stopped_reason = Some("CannotPullContainerError".into());
        assert_eq!(
            verdict(&not_run, &essential),
            Err("`app` did not run: CannotPullContainerError: not found, `sidecar` has no exit code (CannotPullContainerError [TaskFailedToStart])".into())
        );
        assert!(
            verdict(&stopped(&[("app", Some(0))]), &essential).is_err(),
            "a missing essential container is no success"
        );
    }

    #[test]
    fn the_log_stream_follows_the_awslogs_prefix() {
        let td = task_definition();
        assert_eq!(
            log_location(&td, "app", Some("abc"), "eu-west-1"),
            Some(LogLocation {
                group: "/ecs/api".into(),
                region: "eu-west-1".into(),
                stream: Some("web/app/abc".into())
            })
        );
        assert_eq!(log_location(&td, "sidecar", Some("abc"), "eu-west-1"), None);
    }
}
