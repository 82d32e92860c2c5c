//! GitHub Deployments: the deploy shows on the repository's Environments page.
//!
//! Off by default (a job with `environment:` already creates a deployment). When on, a deployment
//! is created for `GITHUB_SHA` once the plan is known (or the one named by
//! `github-deployment` names one), marked `in_progress`, and given its final state when the run
//! ends: `success`, `failure` (failed or rolled back) or `error` (cancelled).
//!
//! The GitHub calls never fail or hide the AWS deploy and do not hold up its AWS work: the start
//! runs beside it, only the final status follows the verdict. They are retried briefly on rate
//! limits and 5xx answers, and any failure becomes a warning (annotation and summary line).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use http::StatusCode;
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::request::GitHubRequest;

/// Attempts per GitHub call (the first and two retries).
const ATTEMPTS: u32 = 3;
/// The longest we wait before a retry; a rate limit that resets later is not waited for.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// How long the end of a run waits for the deployment to have been created.
const START_GRACE: Duration = Duration::from_secs(20);
/// How long the end of a run spends on the final status, retries included.
const FINISH_BUDGET: Duration = Duration::from_secs(20);
/// GitHub's limit on a status description.
const MAX_DESCRIPTION: usize = 140;

/// Where the run is, for the API: repository, commit, API base and run URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    pub repository: String,
    pub sha: String,
    pub api_url: String,
    pub log_url: Option<String>,
}

/// The two calls a tracker makes to GitHub's Deployments API: octocrab's ([`Api`]) in a run, a
/// stand-in in tests (a GitHub that never answers, on a paused clock). Errors are one line.
pub trait DeploymentsApi: Send + Sync {
    /// Creates a deployment; its id.
    fn create_deployment(&self, body: Value) -> BoxFuture<'static, Result<u64, String>>;
    /// Posts a status to a deployment.
    fn post_status(&self, id: u64, body: Value) -> BoxFuture<'static, Result<(), String>>;
}

/// One GitHub deployment, followed through a run.
pub struct Tracker {
    api: Arc<dyn DeploymentsApi>,
    request: GitHubRequest,
    place: Where,
    environment: String,
    started: Option<JoinHandle<Started>>,
    /// The deployment's id as soon as it is known, even when `in_progress` then hangs.
    created: Arc<OnceLock<u64>>,
}

/// How reporting to GitHub ended: which deployment, and what went wrong.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Finished {
    pub id: Option<u64>,
    pub warnings: Vec<String>,
}

/// What starting the deployment gave: its id, and warnings.
#[derive(Debug, Default)]
struct Started {
    id: Option<u64>,
    warnings: Vec<String>,
}

/// What the deployment records about the deploy (its `payload`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub image: String,
    pub digest: Option<String>,
    pub services: Vec<String>,
    pub production: bool,
}

impl Tracker {
    /// A client for the API at `place.api_url`. Never fails the run: a bad URL is a warning.
    pub fn new(request: GitHubRequest, place: Where, environment: &str) -> Result<Self, String> {
        let client = Octocrab::builder()
            .base_uri(place.api_url.as_str())
            .map_err(|err| format!("GitHub API URL `{}`: {err}", place.api_url))?
            .personal_token(request.token.expose().to_string())
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(5)))
            .set_read_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|err| format!("GitHub client: {err}"))?;
        let api = Api {
            client,
            repository: place.repository.clone(),
        };
        Ok(Self::with_api(Arc::new(api), request, place, environment))
    }

    /// A tracker that calls `api`.
    pub fn with_api(
        api: Arc<dyn DeploymentsApi>,
        request: GitHubRequest,
        place: Where,
        environment: &str,
    ) -> Self {
        Self {
            api,
            request,
            place,
            environment: environment.to_string(),
            started: None,
            created: Arc::default(),
        }
    }

    /// Creates the deployment (unless an id was given) and marks it `in_progress`, in the
    /// background: the deploy goes on at once.
    pub fn start(&mut self, payload: &Payload) {
        if self.started.is_some() {
            return;
        }
        let api = Arc::clone(&self.api);
        let created = Arc::clone(&self.created);
        let given = self.request.deployment_id;
        let create = json!({
            "ref": self.place.sha,
            "environment": self.environment,
            "required_contexts": [],
            "auto_merge": false,
            "description": describe(&format!("ecs-ship: {}", payload.image)),
            "production_environment": payload.production,
            "transient_environment": false,
            "payload": {
                "image": payload.image,
                "digest": payload.digest,
                "services": payload.services,
            },
        });
        let in_progress = self.status_body("in_progress", "Deploying");
        self.started = Some(tokio::spawn(async move {
            let mut started = Started::default();
            let id = match given {
                Some(id) => id,
                None => match api.create_deployment(create).await {
                    Ok(id) => id,
                    Err(why) => {
                        started
                            .warnings
                            .push(format!("GitHub deployment not created: {why}"));
                        return started;
                    }
                },
            };
            started.id = Some(id);
            let _ = created.set(id);
            if let Err(why) = api.post_status(id, in_progress).await {
                started.warnings.push(format!(
                    "GitHub deployment {id}: `in_progress` not posted: {why}"
                ));
            }
            started
        }));
    }

    /// Posts `state` (the final state and its description; `None` leaves the deployment
    /// `in_progress`) and says which deployment it was and what went wrong. A deployment the
    /// workflow created (`github-deployment: <id>`) hears the outcome even when the run ended before
    /// the deploy started (the image was missing, say).
    pub async fn finish(mut self, state: Option<(&'static str, String)>) -> Finished {
        let started = match (self.started.take(), self.request.deployment_id) {
            (Some(handle), _) => self.join(handle).await,
            (None, Some(id)) => Started {
                id: Some(id),
                warnings: Vec::new(),
            },
            (None, None) => return Finished::default(),
        };
        let mut finished = Finished {
            id: started.id,
            warnings: started.warnings,
        };
        let (Some(id), Some((state, description))) = (started.id, state) else {
            return finished;
        };
        let body = self.status_body(state, &description);
        let posted = tokio::time::timeout(FINISH_BUDGET, self.api.post_status(id, body))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", FINISH_BUDGET.as_secs())));
        if let Err(why) = posted {
            finished.warnings.push(format!(
                "GitHub deployment {id}: `{state}` not posted: {why}"
            ));
        }
        finished
    }

    /// Waits (briefly) for the start task. When it has no answer in time it is stopped (so a
    /// late `in_progress` cannot land after the final state); a deployment it created still
    /// gets the final state.
    async fn join(&self, mut handle: JoinHandle<Started>) -> Started {
        match tokio::time::timeout(START_GRACE, &mut handle).await {
            Ok(Ok(started)) => started,
            Ok(Err(err)) => Started {
                id: self.created.get().copied(),
                warnings: vec![format!("GitHub deployment: the request task failed: {err}")],
            },
            Err(_) => {
                handle.abort();
                let grace = START_GRACE.as_secs();
                match self.created.get() {
                    Some(&id) => Started {
                        id: Some(id),
                        warnings: vec![format!(
                            "GitHub deployment {id}: `in_progress` not posted: no answer within {grace} s"
                        )],
                    },
                    None => Started {
                        id: None,
                        warnings: vec![format!(
                            "GitHub deployment: no answer within {grace} s; its status was not updated"
                        )],
                    },
                }
            }
        }
    }

    fn status_body(&self, state: &str, description: &str) -> Value {
        let mut body = json!({
            "state": state,
            "description": describe(description),
            "environment": self.environment,
            "auto_inactive": true,
        });
        if let Some(url) = &self.place.log_url {
            body["log_url"] = json!(url);
        }
        if let Some(url) = &self.request.environment_url {
            body["environment_url"] = json!(url);
        }
        body
    }
}

/// One line of at most 140 characters (GitHub refuses longer descriptions).
fn describe(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() <= MAX_DESCRIPTION {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_DESCRIPTION - 1).collect();
    cut.push('…');
    cut
}

/// The two calls through octocrab, with brief retries.
#[derive(Clone)]
struct Api {
    client: Octocrab,
    repository: String,
}

impl DeploymentsApi for Api {
    fn create_deployment(&self, body: Value) -> BoxFuture<'static, Result<u64, String>> {
        let api = self.clone();
        Box::pin(async move { api.create(&body).await })
    }

    fn post_status(&self, id: u64, body: Value) -> BoxFuture<'static, Result<(), String>> {
        let api = self.clone();
        Box::pin(async move { api.status(id, &body).await })
    }
}

impl Api {
    async fn create(&self, body: &Value) -> Result<u64, String> {
        let answer = self
            .post(&format!("/repos/{}/deployments", self.repository), body)
            .await?;
        answer["id"]
            .as_u64()
            .ok_or_else(|| format!("the answer had no deployment id: {}", message_of(&answer)))
    }

    async fn status(&self, id: u64, body: &Value) -> Result<(), String> {
        self.post(
            &format!("/repos/{}/deployments/{id}/statuses", self.repository),
            body,
        )
        .await
        .map(|_| ())
    }

    /// POSTs JSON; retries 5xx, 429 and rate-limited 403 answers (and transport errors) up to
    /// [`ATTEMPTS`] times, waiting what GitHub asks for when that is short.
    async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let wait = match self.client._post(path, Some(body)).await {
                Err(err) => {
                    last = format!("request failed: {err}");
                    Some(backoff(attempt))
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let text = self
                        .client
                        .body_to_string(response)
                        .await
                        .unwrap_or_default();
                    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if status.is_success() {
                        return Ok(answer);
                    }
                    last = explain(status, &answer);
                    retry_wait(status, &headers, &answer, attempt)
                }
            };
            match wait {
                Some(wait) if attempt < ATTEMPTS && wait <= MAX_WAIT => {
                    tokio::time::sleep(wait).await;
                }
                _ => break,
            }
        }
        Err(last)
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 * u64::from(attempt))
}

/// How long to wait before retrying an answer, or `None` when it is not worth retrying.
fn retry_wait(
    status: StatusCode,
    headers: &http::HeaderMap,
    answer: &Value,
    attempt: u32,
) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (number("x-ratelimit-remaining") == Some(0)
                || message_of(answer)
                    .to_ascii_lowercase()
                    .contains("rate limit")));
    if rate_limited {
        if let Some(seconds) = number("retry-after") {
            return Some(Duration::from_secs(seconds));
        }
        if let Some(reset) = number("x-ratelimit-reset") {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            return Some(Duration::from_secs(reset.saturating_sub(now)));
        }
        return Some(backoff(attempt));
    }
    status.is_server_error().then(|| backoff(attempt))
}

fn message_of(answer: &Value) -> String {
    answer["message"].as_str().unwrap_or_default().to_string()
}

/// One line: the status, GitHub's message, and what to do for the usual causes.
fn explain(status: StatusCode, answer: &Value) -> String {
    let message = message_of(answer);
    let hint = match status.as_u16() {
        401 => " (check `github-token`)",
        403 | 404 if !message.to_ascii_lowercase().contains("rate limit") => {
            " (the job needs `permissions: deployments: write`, and `github-token` must be able to use it)"
        }
        _ => "",
    };
    let message: String = message.chars().take(300).collect();
    if message.is_empty() {
        format!("GitHub answered {status}{hint}")
    } else {
        format!("GitHub answered {status}: {message}{hint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn server_errors_and_rate_limits_are_retried_other_errors_are_not() {
        let none = headers(&[]);
        assert_eq!(
            retry_wait(StatusCode::BAD_GATEWAY, &none, &Value::Null, 1),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            retry_wait(
                StatusCode::TOO_MANY_REQUESTS,
                &headers(&[("retry-after", "3")]),
                &Value::Null,
                1
            ),
            Some(Duration::from_secs(3))
        );
        let secondary = json!({"message": "You have exceeded a secondary rate limit."});
        assert!(retry_wait(StatusCode::FORBIDDEN, &none, &secondary, 2).is_some());
        assert!(
            retry_wait(
                StatusCode::FORBIDDEN,
                &headers(&[("x-ratelimit-remaining", "0")]),
                &Value::Null,
                1
            )
            .is_some()
        );
        let denied = json!({"message": "Resource not accessible by integration"});
        assert_eq!(retry_wait(StatusCode::FORBIDDEN, &none, &denied, 1), None);
        assert_eq!(
            retry_wait(StatusCode::UNPROCESSABLE_ENTITY, &none, &Value::Null, 1),
            None
        );
    }

    #[test]
    fn errors_say_what_to_fix() {
        let denied = json!({"message": "Resource not accessible by integration"});
        assert_eq!(
            explain(StatusCode::FORBIDDEN, &denied),
            "GitHub answered 403 Forbidden: Resource not accessible by integration (the job needs `permissions: deployments: write`, and `github-token` must be able to use it)"
        );
        assert_eq!(
            explain(StatusCode::BAD_GATEWAY, &Value::Null),
            "GitHub answered 502 Bad Gateway"
        );
    }

    #[test]
    fn descriptions_fit_githubs_limit_on_one_line() {
        assert_eq!(describe("a\nb"), "a b");
        let long = "é".repeat(200);
        let cut = describe(&long);
        assert_eq!(cut.chars().count(), 140);
        assert!(cut.ends_with('…'));
    }
}
