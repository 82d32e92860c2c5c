//! The commands: [`deploy`], [`verify`], [`rollback`], and [`resume`] (`continue`, and `rollback`
//! of a service deployment). Each runs its stages in order and keeps what they returned in its
//! record, the one value its report is built from.
//!
//! What every command shares is written once, here and in [`crate::app`]: the AWS clients are
//! loaded once (unless a signal comes first), the command's first console group opens, its steps
//! run until they end or a signal does, a signal gets the command's own last words (a deploy's
//! `on-cancel: rollback`), and what the stage in flight had done is taken from the run's
//! [`Progress`] into the record. `app` then builds the report and finishes the GitHub deployment.

pub mod deploy;
pub mod resume;
pub mod rollback;
pub mod run_task;
pub mod verify;

use std::cell::RefCell;
use std::future::Future;
use std::io::Write;

use crate::cloud::Cloud;
use crate::console::Console;
use crate::github::Tracker;
use crate::input::action_env::RunContext;
use crate::progress::{self, Ended, Progress, until_stopped};

/// Where a command ran and how it ended: what every record has.
#[derive(Debug, Default)]
pub struct Ending {
    /// The AWS Region, once the clients were loaded.
    pub region: Option<String>,
    /// What ended the run early.
    pub error: Option<anyhow::Error>,
    /// The signal that cancelled the run.
    pub cancelled: Option<&'static str>,
}

/// What a command needs besides AWS.
pub struct With<'a, W: Write> {
    pub console: &'a Console<W>,
    /// What the run has written to AWS so far (for a cancel or a panic).
    pub progress: &'a Progress,
    /// The workflow run this one is part of.
    pub context: &'a RunContext,
    /// The GitHub deployment, when one is recorded: the command starts it before its first
    /// write; `app` finishes it from the report.
    pub github: Option<&'a RefCell<Tracker>>,
}

/// One command: its record and its steps.
#[allow(async_fn_in_trait)] // run on the current task: nothing needs `Send`
pub trait Command {
    /// What the command did, as far as it got.
    type Record;

    /// The record before anything ran (what the request alone says).
    fn record(&self) -> Self::Record;

    /// The record's common part.
    fn ending(record: &mut Self::Record) -> &mut Ending;

    /// The console group the run opens once AWS is loaded.
    fn opening(&self) -> String;

    /// The steps, each keeping its value in `record` as it returns.
    async fn steps<C: Cloud, W: Write>(
        &self,
        cloud: &C,
        with: &With<'_, W>,
        record: &mut Self::Record,
    ) -> anyhow::Result<()>;

    /// After a signal stopped the steps, within the runner's grace period. Nothing by default.
    async fn cancelled<C: Cloud, W: Write>(
        &self,
        _cloud: &C,
        _with: &With<'_, W>,
        _record: &mut Self::Record,
    ) {
    }

    /// Takes what the stage in flight had done from the run's progress. Nothing by default.
    fn keep(&self, _record: &mut Self::Record, _progress: progress::Record) {}
}

/// Loads the AWS clients unless `stop` (a signal) comes first, then [`run`]s the command.
pub async fn load_and_run<K: Command, C: Cloud, W: Write>(
    command: &K,
    load: impl Future<Output = anyhow::Result<C>>,
    with: &With<'_, W>,
    stop: impl Future<Output = &'static str>,
) -> K::Record {
    let mut stop = std::pin::pin!(stop);
    let loaded = tokio::select! {
        loaded = load => loaded,
        signal = &mut stop => {
            let mut record = command.record();
            K::ending(&mut record).cancelled = Some(signal);
            return record;
        }
    };
    match loaded {
        Ok(cloud) => run(command, Ok(&cloud), with, stop).await,
        Err(err) => run::<K, C, W>(command, Err(err), with, stop).await,
    }
}

/// Runs a command with a loaded cloud (or the error loading it, which the record keeps) until it
/// ends or `stop` (a signal) does.
pub async fn run<K: Command, C: Cloud, W: Write>(
    command: &K,
    cloud: anyhow::Result<&C>,
    with: &With<'_, W>,
    stop: impl Future<Output = &'static str>,
) -> K::Record {
    let mut record = command.record();
    with.console.group(&command.opening());
    let cloud = match cloud {
        Ok(cloud) => cloud,
        Err(err) => {
            K::ending(&mut record).error = Some(err);
            return record;
        }
    };
    K::ending(&mut record).region = Some(cloud.region().to_string());
    let ended = until_stopped(command.steps(cloud, with, &mut record), stop).await;
    match ended {
        Ended::Done => {}
        Ended::Failed(err) => K::ending(&mut record).error = Some(err),
        Ended::Cancelled(signal) => {
            K::ending(&mut record).cancelled = Some(signal);
            command.cancelled(cloud, with, &mut record).await;
        }
    }
    command.keep(&mut record, with.progress.snapshot());
    record
}
