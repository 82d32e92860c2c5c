//! What a verified success leaves behind: the deployment record in SSM (`current-image-tag` and a
//! JSON `deployment` under `ssm-prefix`, seed 003's `currentImageTag`) and the promotion tag in
//! ECR. Only ever after every service completed: a failed, rolled-back, unwaited or cancelled
//! deploy never records itself as deployed. A failure here is a warning: the deploy itself is done.

use std::io::Write;

use serde_json::{Value, json};

use crate::cloud::{Cloud, Repository};
use crate::console::Console;
use crate::domain::image::{EcrRepository, ImageRef};
use crate::input::action_env::RunContext;
use crate::report::{Report, Status};
use crate::request::DeployRequest;

/// The JSON record of a deploy. Pure.
pub fn record(report: &Report, ctx: &RunContext, deployed_at: &str) -> Value {
    let services: serde_json::Map<String, Value> = report
        .services
        .iter()
        .map(|s| (s.service.clone(), json!({"task-definition-arn": s.task_definition_arn, "previous-task-definition-arn": s.previous_task_definition_arn})))
        .collect();
    json!({
        "environment": report.environment,
        "image": report.image,
        "image-tag": report.image_tag,
        "image-digest": report.image_digest,
        "cluster": report.cluster,
        "services": services,
        "git-sha": ctx.git_sha,
        "repository": ctx.repository,
        "run-url": ctx.run_url,
        "deployed-at": deployed_at,
    })
}

/// Writes the record and the promotion tag after a verified success; problems become warnings.
pub async fn after_success<C: Cloud, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    ctx: &RunContext,
    console: &mut Console<W>,
    report: &mut Report,
) {
    if report.status != Status::Deployed {
        return;
    }
    if let (Some(prefix), true) = (&req.target.ssm_prefix, req.record_deployment) {
        let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        let current = report
            .image_tag
            .clone()
            .or_else(|| report.image_digest.clone())
            .unwrap_or_default();
        let record = record(report, ctx, &now).to_string();
        let written = async {
            cloud
                .put_parameter(&format!("{prefix}/current-image-tag"), &current)
                .await?;
            cloud
                .put_parameter(&format!("{prefix}/deployment"), &record)
                .await
        };
        match written.await {
            Ok(()) => {
                crate::progress::wrote(format!("recorded the deployment under `{prefix}`"));
                console.line(&format!(
                    "Recorded the deployment under {prefix} (current-image-tag: {current})"
                ));
            }
            Err(err) => warn(
                console,
                report,
                "Deployment not recorded",
                &format!("{err:#}"),
            ),
        }
    }
    if let Some(tag) = &req.promote_tag {
        let repo = report
            .image
            .as_deref()
            .and_then(|i| ImageRef::parse(i).ok())
            .and_then(|r| EcrRepository::parse_uri(&r.repository));
        match (repo, &report.image_digest) {
            (Some(repo), Some(digest)) => match cloud
                .tag_image(
                    &Repository {
                        name: repo.name.clone(),
                        registry_id: Some(repo.registry_id.clone()),
                        region: Some(repo.region.clone()),
                    },
                    digest,
                    tag,
                )
                .await
            {
                Ok(()) => {
                    crate::progress::wrote(format!("tagged the image `{tag}` in ECR"));
                    console.line(&format!("Promoted {}@{digest} as `{tag}`", repo.name));
                    report.promoted_tag = Some(tag.clone());
                }
                Err(err) => warn(console, report, "Image not promoted", &format!("{err:#}")),
            },
            _ => warn(
                console,
                report,
                "Image not promoted",
                "the image is not an ECR image with a known digest",
            ),
        }
    }
}

/// A warning in the log (annotation in Actions) and in the summary.
pub fn warn<W: Write>(console: &mut Console<W>, report: &mut Report, title: &str, message: &str) {
    console.warning(title, message);
    report.warnings.push(format!("{title}: {message}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ServiceResult;

    #[test]
    fn the_record_names_image_services_and_the_run() {
        let mut report = Report::new("staging");
        report.image = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:ab".into());
        report.image_tag = Some("sha-0a1b".into());
        report.image_digest = Some("sha256:ab".into());
        report.cluster = Some("main".into());
        report.services = vec![ServiceResult {
            service: "api".into(),
            previous_task_definition_arn:
                "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3".into(),
            task_definition_arn: Some(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4".into(),
            ),
            changed: true,
            status: Status::Deployed,
            rollout: None,
            rollback_task_definition_arn: None,
            rollback_state: None,
            failure: None,
            now: None,
        }];
        let ctx = RunContext {
            git_sha: Some("0a1b".into()),
            repository: Some("acme/api".into()),
            run_url: Some("https://github.com/acme/api/actions/runs/1".into()),
            api_url: None,
        };
        let r = record(&report, &ctx, "2026-11-23T10:00:00Z");
        assert_eq!(r["image-tag"], "sha-0a1b");
        assert_eq!(
            r["services"]["api"]["task-definition-arn"],
            "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4"
        );
        assert_eq!(r["run-url"], "https://github.com/acme/api/actions/runs/1");
        assert_eq!(r["deployed-at"], "2026-11-23T10:00:00Z");
    }
}
