//! The AWS layer: one function per operation we use, each adding context and returning our own
//! types, and [`Clients`], the real [`crate::cloud::Cloud`]. Nothing here decides anything.

pub mod deployments;
pub mod ecr;
pub mod ecs;
pub mod elb;
pub mod events;
pub mod iam;
pub mod logs;
pub mod raw_json;
pub mod scheduler;
pub mod secrets;
pub mod ssm;
pub mod tasks;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
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
    pub events: aws_sdk_eventbridge::Client,
    pub scheduler: aws_sdk_scheduler::Client,
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
            .http_client(http_client())
            .retry_config(retries(6))
            .timeout_config(timeouts());
        if let Some(region) = region {
            loader = loader.region(Region::new(region.to_string()));
        }
        Self::from_config(loader.load().await)
    }

    /// The clients of a loaded configuration (which must have a region).
    pub fn from_config(config: aws_config::SdkConfig) -> anyhow::Result<Self> {
        let region = config.region().map(ToString::to_string).ok_or_else(|| {
            anyhow::Error::new(
                crate::error::UserError::new("no AWS region: `region` is not set and none is configured")
                    .hint("set AWS_REGION (aws-actions/configure-aws-credentials exports it), or `region` in the config file (`--region` on the command line)"),
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
            events: aws_sdk_eventbridge::Client::new(&config),
            scheduler: aws_sdk_scheduler::Client::new(&config),
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

/// The one HTTPS client every AWS client shares: hyper 1 and rustls with *ring*, the same stack
/// octocrab uses (so no second TLS library is built in).
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Every AWS call has a deadline: a connection that does not open in 3 s, an attempt that gets no
/// answer in 10 s (then retried), an operation that is not done in 40 s with its retries. A call
/// held by a stalled network fails instead of hanging the deploy; the watcher's own deadline
/// (`time-limit-minutes`) comes on top and always wins.
/// Debug builds only, for the end-to-end tests: the SDK's retries back off for milliseconds,
/// not seconds (set once by [`crate::app`] from `ECS_SHIP_TEST_QUICK_RETRIES`). The attempts
/// and what is retried stay as they are.
#[cfg(debug_assertions)]
pub static QUICK_RETRIES: std::sync::OnceLock<()> = std::sync::OnceLock::new();

/// The SDK's standard retries (throttling, 5xx, transient errors) with `attempts` attempts.
pub fn retries(attempts: u32) -> RetryConfig {
    let config = RetryConfig::standard().with_max_attempts(attempts);
    #[cfg(debug_assertions)]
    if QUICK_RETRIES.get().is_some() {
        return config
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(50));
    }
    config
}

pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(40))
        .build()
}

/// An error's cause chain on one line, each cause's `Display` once (never a `Debug` dump: the
/// SDK's own `DisplayErrorContext` ends with one, raw response and all), at most 300 characters.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = Some(err);
    while let Some(e) = cause {
        let text = crate::text::one_line(&e.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = e.source();
    }
    crate::text::shorten(&parts.join(": "), 300)
}

/// How much of a body that is not AWS's answer is shown.
const BODY_SHOWN: usize = 120;

/// An HTTP answer the SDK could not read as AWS's: its status and the start of its body, one line.
fn not_aws(status: u16, body: Option<&[u8]>) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map_or(String::new(), |r| format!(" {r}"));
    let body = body
        .map(|b| crate::text::one_line(&String::from_utf8_lossy(b)))
        .unwrap_or_default();
    if body.is_empty() {
        format!("an answer that is not AWS's: HTTP {status}{reason} with an empty body")
    } else {
        format!(
            "an answer that is not AWS's: HTTP {status}{reason}: {}",
            crate::text::shorten(&body, BODY_SHOWN)
        )
    }
}

/// A request that could not be sent because no credentials could be loaded: a mistake the user
/// fixes (exit 2), said in one line with what to set, not the chain of every provider tried.
fn credentials_problem(err: &(dyn std::error::Error + 'static)) -> Option<crate::error::UserError> {
    use aws_credential_types::provider::error::CredentialsError;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(credentials) = e.downcast_ref::<CredentialsError>() {
            let hint = "in a workflow, run aws-actions/configure-aws-credentials before this step; \
                        on a laptop, set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
            let text = error_text(credentials);
            // The default chain ends with the instance metadata service: on a laptop its
            // failure is the chain's, and means that no credentials were configured.
            return Some(match credentials {
                CredentialsError::CredentialsNotLoaded(_) => crate::error::UserError::new(
                    "no AWS credentials: none in the environment, an AWS profile, SSO or an instance or container role",
                ),
                _ if text.contains("IMDS") => crate::error::UserError::new(
                    "no AWS credentials: none in the environment, an AWS profile or SSO, and the instance metadata service gave none",
                ),
                _ => crate::error::UserError::new(format!(
                    "the AWS credentials could not be loaded: {text}"
                )),
            }
            .hint(hint));
        }
        cause = e.source();
    }
    None
}

/// Converts an SDK error into `anyhow`, always one line: `Code: message` for AWS's own error
/// answer; for an answer that is not AWS's (an HTML page from a proxy, an empty or cut-off body)
/// the HTTP status and the start of the body; for no answer at all (a timeout, a connection that
/// failed), what happened. Takes the error by value to serve as `.map_err(sdk_error)`.
#[allow(clippy::needless_pass_by_value)]
pub fn sdk_error<E>(err: SdkError<E, HttpResponse>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(code) = err.code() {
        return anyhow::Error::new(AwsError::service(
            code,
            err.message().unwrap_or("(no message)"),
        ));
    }
    let answered = |raw: &HttpResponse| {
        let status = raw.status().as_u16();
        // A 4xx that is not throttling or a timeout will not change when tried again.
        let permanent = (400..500).contains(&status) && !matches!(status, 408 | 429);
        (not_aws(status, raw.body().bytes()), permanent)
    };
    if let Some(missing) = credentials_problem(&err) {
        return anyhow::Error::new(missing);
    }
    let (text, permanent) = match &err {
        SdkError::ServiceError(e) => answered(e.raw()),
        SdkError::ResponseError(e) => answered(e.raw()),
        SdkError::TimeoutError(_) => ("no answer before the call's deadline".to_string(), false),
        SdkError::DispatchFailure(e) => {
            let what = match e.as_connector_error() {
                Some(c) if c.is_timeout() => "the connection timed out",
                Some(c) if c.is_io() => "the connection failed",
                _ => "the request could not be sent",
            };
            let why = e.as_connector_error().and_then(std::error::Error::source);
            (
                match why {
                    Some(why) => format!("{what}: {}", error_text(why)),
                    None => what.to_string(),
                },
                false,
            )
        }
        _ => (error_text(&err), false),
    };
    anyhow::Error::new(AwsError::unanswered(text, permanent))
}

/// The whole seam; each of its traits is implemented in the file of its AWS service.
impl crate::cloud::Cloud for Clients {}

impl crate::cloud::Region for Clients {
    fn region(&self) -> &str {
        &self.region
    }
}

#[cfg(test)]
#[path = "answers_tests.rs"]
mod answers_tests;
