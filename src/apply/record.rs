//! What a verified success leaves behind: the deployment record in SSM (`current-image-tag` and a
//! JSON `deployment` under `ssm-prefix`, what the old deploy scripts kept as `currentImageTag`) and the promotion tag in
//! ECR. Only ever after every service completed: a failed, rolled-back, unwaited or cancelled
//! deploy never records itself as deployed. A failure here is a warning: the deploy itself is done.

use std::io::Write;

use serde_json::{Value, json};

use crate::cloud::{Images, Parameters, Repository};
use crate::console::Console;
use crate::domain::image::{EcrRepository, ImageRef};
use crate::input::action_env::RunContext;
use crate::progress::Progress;
use crate::request::DeployRequest;

/// What a verified deploy shipped, for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub environment: String,
    /// The image reference written into the task definitions.
    pub image: String,
    pub image_tag: Option<String>,
    pub image_digest: Option<String>,
    pub cluster: String,
    pub services: Vec<DeliveredService>,
}

/// One service of a verified deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredService {
    pub service: String,
    pub task_definition_arn: String,
    pub previous_task_definition_arn: String,
}

/// What was left behind after the success; what could not be done is a warning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AfterSuccess {
    /// The tag added to the image in ECR (`promote-tag`).
    pub promoted_tag: Option<String>,
    pub warnings: Vec<String>,
}

/// The JSON record of a deploy. Pure.
pub fn record(shipped: &Delivered, ctx: &RunContext, deployed_at: &str) -> Value {
    let services: serde_json::Map<String, Value> = shipped
        .services
        .iter()
        .map(|s| (s.service.clone(), json!({"task-definition-arn": s.task_definition_arn, "previous-task-definition-arn": s.previous_task_definition_arn})))
        .collect();
    json!({
        "environment": shipped.environment,
        "image": shipped.image,
        "image-tag": shipped.image_tag,
        "image-digest": shipped.image_digest,
        "cluster": shipped.cluster,
        "services": services,
        "git-sha": ctx.git_sha,
        "repository": ctx.repository,
        "run-url": ctx.run_url,
        "deployed-at": deployed_at,
    })
}

/// Writes the record (its two parameters) and the promotion tag after a verified success (the
/// caller calls it only then), all at once; problems become warnings.
pub async fn after_success<C: Parameters + Images, W: Write>(
    cloud: &C,
    req: &DeployRequest,
    ctx: &RunContext,
    shipped: &Delivered,
    console: &Console<W>,
    progress: &Progress,
) -> AfterSuccess {
    let mut done = AfterSuccess::default();
    let recording = async {
        let (Some(prefix), true) = (&req.target.ssm_prefix, req.record_deployment) else {
            return None;
        };
        let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_default();
        let current = shipped
            .image_tag
            .clone()
            .or_else(|| shipped.image_digest.clone())
            .unwrap_or_default();
        let record = record(shipped, ctx, &now).to_string();
        let names = [
            format!("{prefix}/current-image-tag"),
            format!("{prefix}/deployment"),
        ];
        let (tag, deployment) = tokio::join!(
            cloud.put_parameter(&names[0], &current),
            cloud.put_parameter(&names[1], &record)
        );
        Some((prefix, current, names, [tag, deployment]))
    };
    let promoting = async {
        let tag = req.promote_tag.as_ref()?;
        Some((tag, promote(cloud, shipped, tag).await))
    };
    let (recorded, promoted) = tokio::join!(recording, promoting);
    if let Some((prefix, current, names, written)) = recorded {
        let failed: Vec<String> = names
            .iter()
            .zip(&written)
            .filter_map(|(name, w)| w.as_ref().err().map(|err| format!("`{name}`: {err:#}")))
            .collect();
        if failed.is_empty() {
            progress.wrote(format!("recorded the deployment under `{prefix}`"));
            console.line(&format!(
                "Recorded the deployment under {prefix} (current-image-tag: {current})"
            ));
        } else {
            let kept: Vec<&String> = names
                .iter()
                .zip(&written)
                .filter(|(_, w)| w.is_ok())
                .map(|(name, _)| name)
                .collect();
            let kept = match kept.as_slice() {
                [name] => format!(" (`{name}` was written)"),
                _ => String::new(),
            };
            if !kept.is_empty() {
                progress.wrote(format!(
                    "wrote part of the deployment record under `{prefix}`"
                ));
            }
            done.warnings.push(warn(
                console,
                "Deployment not recorded",
                &format!("{}{kept}", failed.join("; ")),
            ));
        }
    }
    if let Some((tag, promoted)) = promoted {
        match promoted {
            Ok(Some((name, digest))) => {
                progress.wrote(format!("tagged the image `{tag}` in ECR"));
                console.line(&format!("Promoted {name}@{digest} as `{tag}`"));
                done.promoted_tag = Some(tag.clone());
            }
            Ok(None) => done.warnings.push(warn(
                console,
                "Image not promoted",
                "the image is not an ECR image with a known digest",
            )),
            Err(err) => {
                done.warnings
                    .push(warn(console, "Image not promoted", &format!("{err:#}")));
            }
        }
    }
    done
}

/// The ECR repository of the shipped image, when it is one.
fn repository(shipped: &Delivered) -> Option<EcrRepository> {
    ImageRef::parse_pulled(&shipped.image)
        .ok()
        .and_then(|r| EcrRepository::parse_uri(&r.repository))
}

/// Tags the shipped digest; the repository's name and the digest, or `None` when the image is
/// not an ECR image with a known digest.
async fn promote<C: Images>(
    cloud: &C,
    shipped: &Delivered,
    tag: &str,
) -> anyhow::Result<Option<(String, String)>> {
    let (Some(repo), Some(digest)) = (repository(shipped), &shipped.image_digest) else {
        return Ok(None);
    };
    let repository = Repository {
        name: repo.name.clone(),
        registry_id: Some(repo.registry_id.clone()),
        region: Some(repo.region.clone()),
    };
    cloud.tag_image(&repository, digest, tag).await?;
    Ok(Some((repo.name, digest.clone())))
}

/// A warning in the log (annotation in Actions); returns it as the summary shows it.
pub fn warn<W: Write>(console: &Console<W>, title: &str, message: &str) -> String {
    console.warning(title, message);
    format!("{title}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_names_image_services_and_the_run() {
        let shipped = Delivered {
            environment: "staging".into(),
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:ab".into(),
            image_tag: Some("sha-0a1b".into()),
            image_digest: Some("sha256:ab".into()),
            cluster: "main".into(),
            services: vec![DeliveredService {
                service: "api".into(),
                previous_task_definition_arn:
                    "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3".into(),
                task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4"
                    .into(),
            }],
        };
        let ctx = RunContext {
            git_sha: Some("0a1b".into()),
            repository: Some("acme/api".into()),
            run_url: Some("https://github.com/acme/api/actions/runs/1".into()),
            api_url: None,
        };
        let r = record(&shipped, &ctx, "2026-11-23T10:00:00Z");
        assert_eq!(r["environment"], "staging");
        assert_eq!(r["cluster"], "main");
        assert_eq!(r["image-tag"], "sha-0a1b");
        assert_eq!(
            r["services"]["api"]["task-definition-arn"],
            "arn:aws:ecs:us-east-1:123456789012:task-definition/api:4"
        );
        assert_eq!(r["run-url"], "https://github.com/acme/api/actions/runs/1");
        assert_eq!(r["deployed-at"], "2026-11-23T10:00:00Z");
    }
}
