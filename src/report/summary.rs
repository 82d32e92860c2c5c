//! The step summary: GitHub-flavoured Markdown a reviewer reads at a glance.
//!
//! Every string that came from a user or from AWS goes through [`markdown::inert`] (here as
//! `text` for prose and `code` for identifiers, both also bounded in length), so a hostile tag,
//! name or event renders as plain text: no line break, heading, link, image, HTML or table syntax
//! survives. Lists are capped, and [`fit`] keeps the whole under the runner's 1 MiB limit (a
//! larger summary is dropped whole by the runner, not cut).

use std::fmt::Write as _;

use super::cells::{MAX_EVENTS, MAX_LINE_CHARS, code, link, text};
use super::markdown::inert_lines;
use super::sections::{
    write_changes, write_events, write_failed_tasks, write_pre_deploy, write_schedules_moved,
    write_target_health, write_task_logs,
};
use super::{Kind, Report, RollbackState, ServiceResult, Status};
use crate::domain::arn::short_task_definition;
use crate::domain::deployment::{HookStatus, ServiceDeployment, ServiceDeploymentStatus};
use crate::domain::states::RolloutState;
use crate::text::{floor_boundary, shorten};

/// The runner drops a summary over 1 MiB; stay well below it.
pub const MAX_SUMMARY_BYTES: usize = 1_000_000;

fn short_digest(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}", hex.chars().take(12).collect::<String>())
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let target = if report.services.len() > 1 {
        format!(" {} services", report.services.len())
    } else {
        report
            .service
            .as_deref()
            .map_or(String::new(), |s| format!(" {}", code(s)))
    };
    let env = code(&report.environment);
    let task = report.pre_deploy.as_ref().map_or(String::new(), |t| {
        format!(" {}", code(short_task_definition(&t.task_definition_arn)))
    });
    let heading = match (report.kind, report.status) {
        (Kind::RunTask, Status::Completed) => format!("✅ Ran{task} in {env}: it exited 0"),
        (Kind::RunTask, Status::Cancelled) => format!("⏹️ Task{task} in {env} was cancelled"),
        (Kind::RunTask, _) => format!("❌ Task{task} in {env} failed"),
        (Kind::Rollback, Status::RolledBack) => format!("↩️ Rolled back{target} in {env}"),
        (Kind::Rollback, Status::Failed) => format!("❌ Rollback of{target} in {env} failed"),
        (_, Status::Deployed) => format!("✅ Deployed{target} to {env}"),
        (_, Status::Started) => format!("🚀 Started deploying{target} to {env} (not waited for)"),
        (_, Status::Unchanged) => format!("⏸️ No change for{target} in {env}"),
        (_, Status::Verified) => format!("🔎 Verified{target} in {env}: ready to deploy"),
        (_, Status::RolledBack) => format!("↩️ Deploy{target} to {env} failed and was rolled back"),
        (_, Status::Cancelled) => format!("⏹️ Deploy{target} to {env} was cancelled"),
        (_, Status::Paused) => format!("⏸️ Deploy{target} to {env} paused at a lifecycle hook"),
        (_, Status::Failed | Status::NotUpdated | Status::Completed) => {
            format!("❌ Deploy{target} to {env} failed")
        }
    };
    let _ = writeln!(
        md,
        "## {heading} ({})\n",
        crate::text::human_duration(report.duration)
    );

    if let Some(failure) = &report.failure {
        // The preflight's problems are listed below, one per line.
        let listed = report
            .preflight
            .as_ref()
            .is_some_and(|p| !p.problems.is_empty());
        let message = if listed {
            failure.message.lines().next().unwrap_or_default()
        } else {
            failure.message.as_str()
        };
        let _ = writeln!(md, "**{}:** {}\n", text(&failure.title), text(message));
        if listed {
            for problem in report.preflight.iter().flat_map(|p| &p.problems) {
                let _ = writeln!(md, "- ❌ {}", text(problem));
            }
            md.push('\n');
        }
        if let Some(hint) = &failure.hint {
            let _ = writeln!(md, "> hint: {}\n", text(hint));
        }
    }

    write_table(&mut md, report);
    write_pre_deploy(&mut md, report);
    write_services(&mut md, report);

    for warning in &report.warnings {
        let _ = writeln!(md, "\n> ⚠️ {}", text(warning));
    }
    write_deployed_images(&mut md, report);
    write_changes(&mut md, report);
    write_schedules_moved(&mut md, report);
    write_failed_tasks(&mut md, report);
    write_task_logs(&mut md, report);
    write_target_health(&mut md, report);
    write_events(&mut md, report);
    if let Some(rendered) = &report.rendered {
        let json = serde_json::to_string_pretty(rendered).unwrap_or_default();
        let _ = writeln!(
            md,
            "\n<details><summary>Rendered task definition (environment values hidden)</summary>\n\n<pre>\n{}\n</pre>\n</details>",
            inert_lines(&json)
        );
    }
    fit(md, MAX_SUMMARY_BYTES)
}

fn write_table(md: &mut String, report: &Report) {
    let _ = writeln!(md, "| | |\n|---|---|");
    let mut row = |label: &str, value: String| {
        let _ = writeln!(md, "| {label} | {value} |");
    };
    row("Environment", code(&report.environment));
    if let Some(cluster) = &report.cluster {
        row("Cluster", code(cluster));
    }
    if let Some(service) = &report.service {
        row("Service", code(service));
    }
    if let Some(region) = &report.region {
        row("Region", code(region));
    }
    if let Some(image) = image_cell(report) {
        row("Image", image);
    }
    if !report.containers.is_empty() {
        row(
            "Containers",
            report
                .containers
                .iter()
                .map(|c| code(c))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    if let Some(revisions) = revision_cell(report) {
        row("Task definition", revisions);
    }
    for (label, lines) in [
        ("Lifecycle hooks", &report.lifecycle_hooks),
        ("Rollout settings", &report.settings_changes),
    ] {
        if !lines.is_empty() {
            row(
                label,
                lines.iter().map(|l| text(l)).collect::<Vec<_>>().join("; "),
            );
        }
    }
    if let Some(found) = &report.preflight {
        row("Preflight", preflight_cell(found));
    }
    if let Some(rollout) = &report.rollout {
        row(
            "Rollout",
            format!(
                "{} running {}/{}, deployment {}",
                code(rollout.state.as_ref().map_or("-", RolloutState::as_str)),
                rollout.running,
                rollout.desired,
                code(&rollout.deployment_id)
            ),
        );
    }
    if let [service] = report.services.as_slice()
        && let Some(sd) = &service.service_deployment
    {
        row("ECS deployment", service_deployment_cell(sd));
    }
    if let Some(cell) = paused_cell(report) {
        row("Paused at", cell);
    }
    if let Some((label, value)) = rollback_row(report) {
        row(label, value);
    }
    if let [service] = report.services.as_slice()
        && let Some(now) = &service.now
    {
        row("Service now", text(now));
    }
    if let Some(links) = console_links(report) {
        row("AWS console", links);
    }
    if let Some(id) = report.github_deployment_id {
        row("GitHub deployment", code(&id.to_string()));
    }
    row("Result", code(report.status.as_str()));
    row(
        "Duration",
        format!("{:.1} s", report.duration.as_secs_f64()),
    );
}

/// How many checks, how long, what they found, and what was left unchecked.
fn preflight_cell(found: &crate::preflight::Preflight) -> String {
    let verdict = match found.problems.len() {
        0 => "✓ nothing found".to_string(),
        1 => "❌ 1 problem".to_string(),
        n => format!("❌ {n} problems"),
    };
    let mut cell = format!(
        "{verdict} ({} checks, {} ms)",
        found.checks,
        found.duration.as_millis()
    );
    for note in found.notes.iter().take(MAX_EVENTS) {
        let _ = write!(cell, "; {}", text(note));
    }
    cell
}

/// Where the deployment waits at a PAUSE hook, until when, and what moves it on.
fn paused_cell(report: &Report) -> Option<String> {
    let sd = report.first_service_deployment()?;
    let hook = sd
        .hooks
        .iter()
        .find(|h| h.status == HookStatus::AwaitingAction)?;
    let mut cell = format!("hook {}", code(&hook.id));
    if let Some(stage) = &sd.lifecycle_stage {
        let _ = write!(cell, " in stage {}", code(stage.as_str()));
    }
    if let Some(expires) = &hook.expires_at {
        let _ = write!(cell, ", awaiting action until {}", code(expires));
    }
    if let Some(action) = &hook.timeout_action {
        let _ = write!(cell, " (then {})", code(action));
    }
    let _ = write!(
        cell,
        "; `command: continue` with this `service-deployment-arn` and `hook-id` moves it on, `command: rollback` with them rolls it back"
    );
    Some(cell)
}

/// The images ECS runs, as it resolved them (a digest per container).
fn write_deployed_images(md: &mut String, report: &Report) {
    if report.deployed_images.is_empty() {
        return;
    }
    let several = report.services.len() > 1;
    let _ = writeln!(
        md,
        "\n### Images ECS runs\n\n| {}Container | Digest | |\n|{}---|---|---|",
        if several { "Service | " } else { "" },
        if several { "---|" } else { "" }
    );
    for image in &report.deployed_images {
        let note = match (&image.digest, &image.expected) {
            _ if image.differs() => format!(
                "⚠️ not the digest checked in ECR ({})",
                code(image.expected.as_deref().unwrap_or_default())
            ),
            (Some(_), Some(_)) => "as checked in ECR".to_string(),
            (Some(_), None) => text(&shorten(&image.image, MAX_LINE_CHARS)),
            (None, _) => "not resolved".to_string(),
        };
        let service = if several {
            format!("{} | ", code(&image.service))
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {service}{} | {} | {note} |",
            code(&image.container),
            code(image.digest.as_deref().unwrap_or("-"))
        );
    }
}

/// ECS's record of the deployment: its status and stage, strategy and bake time, and its id.
fn service_deployment_cell(sd: &ServiceDeployment) -> String {
    let mut cell = code(sd.status.as_str());
    // A successful deployment ends in its last stage (CLEAN_UP): only an unfinished or failed one
    // says something by its stage.
    if let Some(stage) = sd
        .lifecycle_stage
        .as_ref()
        .filter(|_| sd.status != ServiceDeploymentStatus::Successful)
    {
        let _ = write!(cell, " in stage {}", code(stage.as_str()));
    }
    let mut how: Vec<String> = sd.strategy.iter().map(|s| code(s)).collect();
    if let Some(minutes) = sd.bake_time_minutes.filter(|m| *m > 0) {
        how.push(format!("bake time {minutes} min"));
    }
    if !sd.alarms.is_empty() {
        how.push(format!(
            "alarms {}",
            sd.alarms
                .iter()
                .map(|a| code(a))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !how.is_empty() {
        let _ = write!(cell, " ({})", how.join(", "));
    }
    let id = sd.arn.rsplit('/').next().unwrap_or_default();
    let _ = write!(cell, ", service deployment {}", code(id));
    cell
}

/// The rollback's row: where to, by whom, how far, and what became of it.
fn rollback_row(report: &Report) -> Option<(&'static str, String)> {
    let arn = report.rollback_task_definition_arn.as_ref()?;
    let by = report
        .rolled_back_by
        .map_or(String::new(), |by| format!(" by {}", text(by.as_str())));
    let state = report.rollback_rollout.as_ref().map_or(String::new(), |r| {
        format!(
            ", {} running {}/{}",
            code(r.state.as_ref().map_or("-", RolloutState::as_str)),
            r.running,
            r.desired
        )
    });
    let to = code(short_task_definition(arn));
    Some(match &report.rollback_state {
        None | Some(RollbackState::Completed) => ("Rolled back to", format!("{to}{by}{state}")),
        Some(RollbackState::Unverified(why)) => (
            "Rollback",
            format!(
                "to {to}{by}{state}, started but not verified: {}",
                text(why)
            ),
        ),
        Some(RollbackState::Failed(why)) => (
            "Rollback",
            format!("to {to}{by}{state} failed: {}", text(why)),
        ),
        Some(RollbackState::NotStarted(why)) => (
            "Rollback",
            format!("to {to} could not be started: {}", text(why)),
        ),
    })
}

/// Services the summary lists one by one even among many: those that did not end well.
fn needs_attention(status: Status) -> bool {
    !matches!(
        status,
        Status::Deployed | Status::Unchanged | Status::Started | Status::Paused | Status::Verified
    )
}

/// More services than this, and the ones that ended well fold into a collapsed list.
const FOLD_AFTER: usize = 10;

/// The services table's head.
const SERVICES_HEAD: &str = "| Service | Task definition | Rollout | Result |\n|---|---|---|---|";

fn write_services(md: &mut String, report: &Report) {
    if report.services.len() < 2 {
        return;
    }
    // Those that need attention first; the rest in the deploy's order.
    let (attention, fine): (Vec<&ServiceResult>, Vec<&ServiceResult>) = report
        .services
        .iter()
        .partition(|s| needs_attention(s.status));
    let fold = report.services.len() > FOLD_AFTER;
    let _ = writeln!(md, "\n### Services\n");
    if !attention.is_empty() || !fold {
        let _ = writeln!(md, "{SERVICES_HEAD}");
        for s in attention
            .iter()
            .chain(if fold { [].iter() } else { fine.iter() })
        {
            let _ = writeln!(md, "{}", service_row(report, s));
        }
    }
    if fold && !fine.is_empty() {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for s in &fine {
            match counts
                .iter_mut()
                .find(|(status, _)| *status == s.status.as_str())
            {
                Some((_, n)) => *n += 1,
                None => counts.push((s.status.as_str(), 1)),
            }
        }
        let said: Vec<String> = counts
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        let _ = writeln!(
            md,
            "\n<details><summary>{}</summary>\n\n{SERVICES_HEAD}",
            said.join(", ")
        );
        for s in &fine {
            let _ = writeln!(md, "{}", service_row(report, s));
        }
        let _ = writeln!(md, "\n</details>");
    }
}

/// One service's row: its revisions, its rollout and how it ended.
fn service_row(report: &Report, s: &ServiceResult) -> String {
    let old = short_task_definition(&s.previous_task_definition_arn);
    // The revision the service ends on links to the console.
    let linked = |arn: &str| match &report.region {
        Some(region) => link(
            &code(short_task_definition(arn)),
            &super::links::task_definition(region, arn),
        ),
        None => code(short_task_definition(arn)),
    };
    let revisions = match s.task_definition_arn.as_deref() {
        Some(new) if short_task_definition(new) != old => {
            format!("{} → {}", code(old), linked(new))
        }
        _ => format!("{} (unchanged)", linked(&s.previous_task_definition_arn)),
    };
    let mut rollout = s.rollout.as_ref().map_or("-".to_string(), |r| {
        format!(
            "{} {}/{}",
            code(r.state.as_ref().map_or("-", RolloutState::as_str)),
            r.running,
            r.desired
        )
    });
    if let Some(sd) = &s.service_deployment {
        let _ = write!(rollout, "; ECS {}", code(sd.status.as_str()));
    }
    let mut result = code(s.status.as_str());
    if let Some(arn) = &s.rollback_task_definition_arn {
        let what = match &s.rollback_state {
            None | Some(RollbackState::Completed) => "to",
            Some(RollbackState::Unverified(_)) => "(rollback not verified) to",
            Some(RollbackState::Failed(_)) => "(rollback failed) to",
            Some(RollbackState::NotStarted(_)) => "(rollback not started) to",
        };
        let _ = write!(result, " {what} {}", code(short_task_definition(arn)));
    }
    if let Some(why) = &s.failure {
        let _ = write!(result, ": {}", text(&shorten(why, MAX_LINE_CHARS)));
    }
    if let Some(now) = &s.now {
        let _ = write!(result, "; now {}", text(&shorten(now, MAX_LINE_CHARS)));
    }
    let service = match (&report.region, &report.cluster) {
        (Some(region), Some(cluster)) => link(
            &code(&s.service),
            &super::links::service(region, cluster, &s.service),
        ),
        _ => code(&s.service),
    };
    format!("| {service} | {revisions} | {rollout} | {result} |")
}

/// Links to the service (one service), the deployed revision and its log group.
fn console_links(report: &Report) -> Option<String> {
    let region = report.region.as_deref()?;
    let mut links = Vec::new();
    if let (Some(cluster), [service]) = (&report.cluster, report.services.as_slice()) {
        links.push(link(
            "service",
            &super::links::service(region, cluster, &service.service),
        ));
    } else if let (Some(cluster), Some(service), true) =
        (&report.cluster, &report.service, report.services.is_empty())
    {
        links.push(link(
            "service",
            &super::links::service(region, cluster, service),
        ));
    }
    if let Some(arn) = report
        .task_definition_arn
        .as_ref()
        .or(report.previous_task_definition_arn.as_ref())
    {
        links.push(link(
            "task definition",
            &super::links::task_definition(region, arn),
        ));
    }
    if let Some((group, log_region)) = &report.log_group {
        links.push(link("logs", &super::links::logs(log_region, group, None)));
    }
    (!links.is_empty()).then(|| links.join(" · "))
}

fn image_cell(report: &Report) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(tag) = &report.image_tag {
        parts.push(format!("tag {}", code(tag)));
    }
    if let Some(digest) = &report.image_digest {
        parts.push(format!("digest {}", code(&short_digest(digest))));
    }
    if parts.is_empty() {
        parts.push(code(report.image.as_deref()?));
    }
    if report.image.is_some() && !report.image_verified {
        parts.push("(not checked: outside ECR)".into());
    }
    Some(parts.join(" · "))
}

fn revision_cell(report: &Report) -> Option<String> {
    let old = report
        .previous_task_definition_arn
        .as_deref()
        .map(short_task_definition);
    let new = report
        .task_definition_arn
        .as_deref()
        .map(short_task_definition);
    Some(match (old, new) {
        (Some(old), Some(new)) if old != new => format!("{} → {}", code(old), code(new)),
        (Some(old), _) if report.status == Status::Verified && report.changed => {
            format!("{} → (new revision)", code(old))
        }
        (Some(old), _) => format!("{} (unchanged)", code(old)),
        (None, Some(new)) => code(new),
        (None, None) => return None,
    })
}

/// Cuts Markdown to at most `limit` bytes at a line boundary, closing an open `<pre>` and
/// `<details>`, with a note that it was cut. Never cuts inside a character, an entity or a tag.
pub fn fit(md: String, limit: usize) -> String {
    const NOTE: &str = "\n\n_Summary truncated to stay under GitHub's 1 MiB limit._\n";
    if md.len() <= limit {
        return md;
    }
    let budget = floor_boundary(&md, limit.saturating_sub(NOTE.len() + 64));
    // At the last line end; on one line longer than the budget, at a character before any
    // unfinished `&#…;` or `<…>`, so nothing half-written can swallow what follows.
    let head = &md[..budget];
    let cut = head.rfind('\n').unwrap_or_else(|| {
        head.rfind(['&', '<'])
            .filter(|i| !head[*i..].contains([';', '>']))
            .unwrap_or(budget)
    });
    let mut out = md[..cut].to_string();
    let open = |tag: &str| {
        out.matches(&format!("<{tag}"))
            .count()
            .saturating_sub(out.matches(&format!("</{tag}>")).count())
    };
    let (pre, details) = (open("pre"), open("details"));
    out.push_str(&"\n</pre>".repeat(pre));
    out.push_str(&"\n</details>".repeat(details));
    out.push_str(NOTE);
    out
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
