//! The run-task command (`ecs-ship run-task`, `command: run-task`): the one-off task alone. It
//! reads, renders and checks as a deploy does (the production gate, the preflight of what the
//! task runs), registers the task's revision only when it differs from the live one, runs it with
//! the service's network and waits until it stops. No service is registered for or updated. The
//! pre-deploy task and this are one implementation (`apply::predeploy`).

use std::io::Write;

use tokio::time::Instant;

use super::deploy::{Deploy, DeployRun, prepare_by};
use super::{Command, Ending, With};
use crate::apply::predeploy::run_planned;
use crate::apply::register::Registrar;
use crate::cloud::Cloud;
use crate::domain::run_options::OnCancel;
use crate::progress;
use crate::request::DeployRequest;

/// The run-task command; its record is a deploy's, as far as a deploy's pre-deploy task goes.
pub struct RunTask<'a> {
    pub req: &'a DeployRequest,
}

impl Command for RunTask<'_> {
    type Record = DeployRun;

    fn record(&self) -> DeployRun {
        DeployRun {
            task_alone: true,
            ..Deploy { req: self.req }.record()
        }
    }

    fn ending(record: &mut DeployRun) -> &mut Ending {
        Deploy::ending(record)
    }

    fn opening(&self) -> String {
        Deploy { req: self.req }.opening()
    }

    async fn steps<C: Cloud, W: Write>(
        &self,
        cloud: &C,
        with: &With<'_, W>,
        run: &mut DeployRun,
    ) -> anyhow::Result<()> {
        // `time-limit-minutes` bounds the reads and checks; the task has its own limit.
        let deadline = Instant::now() + self.req.target.timeout;
        let planned = prepare_by(cloud, self.req, with.console, run, deadline).await?;
        let (Some(task), Some(pre)) = (&self.req.pre_deploy, &planned.pre_deploy) else {
            anyhow::bail!("no one-off task was planned");
        };
        let registrar = Registrar::new(deadline);
        let cluster = &planned.gathered.resolved.cluster;
        // Its run (as far as it got, then its verdict) is in the progress record.
        run_planned(
            cloud,
            &registrar,
            task,
            pre,
            cluster,
            with.console,
            with.progress,
        )
        .await?;
        Ok(())
    }

    /// `on-cancel: rollback` stops the task it started (`StopTask`); `leave` lets it run. Either
    /// way the summary says which.
    async fn cancelled<C: Cloud, W: Write>(
        &self,
        cloud: &C,
        with: &With<'_, W>,
        record: &mut DeployRun,
    ) {
        if self.req.on_cancel != OnCancel::Rollback {
            return;
        }
        let task = with.progress.snapshot().pre_deploy;
        let Some(arn) = task
            .as_ref()
            .filter(|t| !t.ended)
            .and_then(|t| t.task_arn.clone())
        else {
            return;
        };
        let Some(cluster) = record.gathered.as_ref().map(|g| g.resolved.cluster.clone()) else {
            return;
        };
        with.console.group("Stop the task on cancel");
        // Within the runner's grace period (7.5 s from SIGTERM to SIGKILL).
        let asked = tokio::time::timeout(
            std::time::Duration::from_secs(4),
            cloud.stop_task(
                &cluster,
                &arn,
                "ecs-ship: the job was cancelled (on-cancel: rollback)",
            ),
        )
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("StopTask did not answer within 4 s")))
        .map_err(|err| format!("{err:#}"));
        match &asked {
            Ok(()) => with.console.line(&format!("Asked ECS to stop task {arn}")),
            Err(why) => with
                .console
                .line(&format!("Could not stop task {arn}: {why}")),
        }
        record.stopped_on_cancel = Some(asked);
    }

    fn keep(&self, record: &mut DeployRun, progress: progress::Record) {
        record.progress = progress;
    }
}
