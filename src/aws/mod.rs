//! The AWS layer: one function per operation we use, each adding context and returning our own
//! types, and [`Clients`], the real [`crate::cloud::Cloud`]. Nothing here decides anything.

pub mod deployments;
pub mod ecr;
pub mod ecs;
pub mod elb;
pub mod iam;
pub mod logs;
pub mod raw_json;
pub mod secrets;
pub mod ssm;
pub mod tasks;

mod cloud;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::cloud::AwsError;

/// The clients of one deploy, all for one region.
#[derive(Debug, Clone)]
pub struct Clients {
    pub ecs: aws_sdk_ecs::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub region: String,
    config: aws_config::SdkConfig,
}

/// `$name(region)`: the deploy's `$field` client, or one like it for another region.
macro_rules! client_in {
    ($name:ident, $sdk:ident, $field:ident, $what:literal) => {
        #[doc = concat!($what, " client for `region` (`None`: the deploy's).")]
        pub fn $name(&self, region: Option<&str>) -> $sdk::Client {
            match region.filter(|r| *r != self.region) {
                None => self.$field.clone(),
                Some(region) => $sdk::Client::from_conf(
                    $sdk::config::Builder::from(&self.config)
                        .region(Region::new(region.to_string()))
                        .build(),
                ),
            }
        }
    };
}

impl Clients {
    /// Loads credentials and region the standard way (env, profile, SSO, web identity, IMDS);
    /// `region` overrides the region. `AWS_ENDPOINT_URL` (and per-service variants) are honoured.
    pub async fn load(region: Option<&str>) -> anyhow::Result<Self> {
        // Throttling (RegisterTaskDefinition allows ~1/s, shared with every other deploy in the
        // account) is retried with backoff; six attempts outlast a burst from a concurrent deploy.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(6))
            .timeout_config(timeouts());
        if let Some(region) = region {
            loader = loader.region(Region::new(region.to_string()));
        }
        let config = loader.load().await;
        let region = config.region().map(ToString::to_string).ok_or_else(|| {
            anyhow::Error::new(
                crate::error::UserError::new("no AWS region: input `aws-region` is empty and none is configured")
                    .hint("set `aws-region`, or AWS_REGION (aws-actions/configure-aws-credentials exports it)"),
            )
        })?;
        Ok(Self {
            ecs: aws_sdk_ecs::Client::new(&config),
            ecr: aws_sdk_ecr::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            logs: aws_sdk_cloudwatchlogs::Client::new(&config),
            region,
            config,
        })
    }

    client_in!(ssm_in, aws_sdk_ssm, ssm, "An SSM");
    client_in!(
        secrets_in,
        aws_sdk_secretsmanager,
        secrets,
        "A Secrets Manager"
    );
    client_in!(logs_in, aws_sdk_cloudwatchlogs, logs, "A CloudWatch Logs");

    /// An ECR client for another region (an image repository outside the deploy's region).
    pub fn ecr_in(&self, region: &str) -> aws_sdk_ecr::Client {
        if region == self.region {
            return self.ecr.clone();
        }
        let config = aws_sdk_ecr::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_ecr::Client::from_conf(config)
    }
}

/// Every AWS call has a deadline: a connection that does not open in 3 s, an attempt that gets no
/// answer in 10 s (then retried), an operation that is not done in 40 s with its retries. A call
/// held by a stalled network fails instead of hanging the deploy; the watcher's own deadline
/// (`timeout-minutes`) comes on top and always wins.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(40))
        .build()
}

/// An SDK error as one line with its cause chain (the SDK's own `Display` says only "service error").
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    DisplayErrorContext(err).to_string()
}

/// Converts an SDK error into `anyhow`: `Code: message` for an AWS service error, else the full
/// cause chain (timeouts, connection failures). Takes the error by value to serve as
/// `.map_err(sdk_error)`.
#[allow(clippy::needless_pass_by_value)]
pub fn sdk_error<E>(err: E) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    anyhow::Error::new(match err.code() {
        Some(code) => AwsError::service(code, err.message().unwrap_or("(no message)")),
        None => AwsError {
            code: None,
            text: error_text(&err),
            permanent: false,
        },
    })
}
