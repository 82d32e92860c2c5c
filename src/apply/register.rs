//! Registering task definitions: each distinct rendered revision once, paced to stay under
//! `RegisterTaskDefinition`'s throttle (about one call a second sustained), whether it is a
//! service's revision or the pre-deploy task's.

use std::io::Write;
use std::time::Duration;

use tokio::time::Instant;

use crate::cloud::Cloud;
use crate::console::Console;
use crate::domain::ecs::short_task_definition;
use crate::plan::Plan;
use crate::progress::Progress;

/// `RegisterTaskDefinition` allows about one call a second sustained.
pub const REGISTER_PACE: Duration = Duration::from_millis(1100);

/// Registers each distinct rendered revision once, paced to stay under AWS's throttle.
#[derive(Default)]
pub struct Registrar {
    registered: Vec<(serde_json::Value, String)>,
    last: Option<Instant>,
}

impl Registrar {
    /// The ARN of `rendered`, registering it unless it already was.
    pub async fn register<C: Cloud, W: Write>(
        &mut self,
        cloud: &C,
        rendered: &serde_json::Value,
        console: &mut Console<W>,
        progress: &Progress,
    ) -> anyhow::Result<String> {
        if let Some((_, arn)) = self.registered.iter().find(|(r, _)| r == rendered) {
            return Ok(arn.clone());
        }
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + REGISTER_PACE).await;
        }
        self.last = Some(Instant::now());
        let arn = cloud.register_task_definition(rendered).await?;
        progress.wrote(format!("registered `{}`", short_task_definition(&arn)));
        crate::progress::test_panic_point("after-register");
        console.line(&format!("Registered {}", short_task_definition(&arn)));
        self.registered.push((rendered.clone(), arn.clone()));
        Ok(arn)
    }
}

/// Registers each distinct revision once, paced; returns the task definition each plan deploys.
pub async fn register_all<C: Cloud, W: Write>(
    cloud: &C,
    registrar: &mut Registrar,
    plans: &[Plan],
    console: &mut Console<W>,
    progress: &Progress,
) -> anyhow::Result<Vec<String>> {
    let mut arns = Vec::with_capacity(plans.len());
    for (i, plan) in plans.iter().enumerate() {
        let arn = if plan.changed {
            registrar
                .register(cloud, &plan.rendered, console, progress)
                .await?
        } else {
            plan.live_task_definition_arn.clone()
        };
        progress.note(|r| {
            r.deploys.insert(i, arn.clone());
        });
        arns.push(arn);
    }
    Ok(arns)
}
