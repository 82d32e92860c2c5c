//! The verify command (`ecs-ship verify`, `command: verify`): everything a deploy does before its
//! first write (read, render, diff, the production gate, the preflight), then each rendered task
//! definition shown with its values hidden. Nothing is written.

use std::io::Write;

use tokio::time::Instant;

use super::deploy::show::show_rendered;
use super::deploy::{Deploy, DeployRun, prepare_by};
use super::{Command, Ending, With};
use crate::cloud::Cloud;
use crate::request::DeployRequest;

/// The verify command; its record is a deploy's, as far as a deploy goes before writing.
pub struct Verify<'a> {
    pub req: &'a DeployRequest,
}

impl Command for Verify<'_> {
    type Record = DeployRun;

    /// A deploy's record, and the deploy's opening: verify is a deploy up to its first write.
    fn record(&self) -> DeployRun {
        Deploy { req: self.req }.record()
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
        let deadline = Instant::now() + self.req.target.timeout;
        let planned = prepare_by(cloud, self.req, with.console, run, deadline).await?;
        run.rendered = Some(show_rendered(&planned.plans, with.console)?);
        with.console
            .line("Verified: nothing found that would stop this deploy (nothing was changed).");
        run.verified = true;
        Ok(())
    }
}
