//! What a deploy shows in the log before it writes: what was read, each plan, and for `verify`
//! each rendered task definition (values hidden).

use std::io::Write;

use serde_json::Value;

use crate::console::Console;
use crate::domain::arn::short_task_definition;
use crate::domain::taskdef;
use crate::gather::Gathered;
use crate::plan::Plan;

/// `verify` shows each rendered task definition (values hidden) and changes nothing.
pub(in crate::command) fn show_rendered<W: Write>(
    plans: &[Plan],
    console: &Console<W>,
) -> anyhow::Result<Vec<Value>> {
    let mut shown_all = Vec::with_capacity(plans.len());
    for plan in plans {
        let shown = taskdef::redacted(&plan.rendered);
        console.group(&format!(
            "Rendered task definition for {} (environment values hidden)",
            plan.service
        ));
        console.block(
            &serde_json::to_string_pretty(&shown)?
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>(),
        );
        shown_all.push(shown);
    }
    Ok(shown_all)
}

pub(super) fn log_gathered<W: Write>(console: &Console<W>, g: &Gathered) {
    if let Some(ssm) = &g.ssm {
        let found: Vec<&str> = ssm.values.keys().map(String::as_str).collect();
        console.line(&format!(
            "SSM {}: found {}",
            ssm.prefix,
            if found.is_empty() {
                "nothing".into()
            } else {
                found.join(", ")
            }
        ));
    }
    for service in &g.services {
        console.line(&format!(
            "Service {} in cluster {}: {} running {}/{}",
            service.name,
            g.resolved.cluster,
            short_task_definition(&service.task_definition),
            service.running,
            service.desired
        ));
    }
    let digest = g.image.digest.as_deref().unwrap_or("(no digest)");
    let state = if g.image.verified {
        "found in ECR"
    } else {
        "not checked (outside ECR)"
    };
    console.line(&format!(
        "Image {}:{} {state}: {digest}",
        g.image.repository,
        g.image.tag.as_deref().unwrap_or("")
    ));
    for warning in &g.warnings {
        console.warning("Image", warning);
    }
}

pub(super) fn log_plan<W: Write>(console: &Console<W>, plan: &Plan, name_service: bool) {
    let service = if name_service {
        format!("{}: ", plan.service)
    } else {
        String::new()
    };
    console.group(&format!(
        "Plan: {service}family {} containers {}",
        plan.family,
        plan.containers.join(", ")
    ));
    if plan.diff.is_empty() {
        console.line("The rendered task definition is the same as the live one.");
    } else {
        console.block(&plan.diff.lines());
    }
    if !plan.settings_changes.is_empty() {
        console.line(&format!(
            "Rollout settings: {}",
            plan.settings_changes.join("; ")
        ));
    }
    if !plan.lifecycle_hooks.is_empty() {
        console.line(&format!(
            "Lifecycle hooks (as the service has them, unchanged): {}",
            plan.lifecycle_hooks.join("; ")
        ));
    }
}

/// What the preflight found: a line, each warning, each note (problems end the run as its error).
pub fn log_preflight<W: Write>(console: &Console<W>, found: &crate::preflight::Preflight) {
    console.group("Preflight");
    let n = found.problems.len();
    console.line(&format!(
        "{} check{} in {} ms: {}",
        found.checks,
        if found.checks == 1 { "" } else { "s" },
        found.duration.as_millis(),
        match n {
            0 => "nothing found that would stop the new tasks".to_string(),
            1 => "1 problem".to_string(),
            n => format!("{n} problems"),
        }
    ));
    for warning in &found.warnings {
        console.warning("Preflight", warning);
    }
    for note in &found.notes {
        console.line(note);
    }
}
