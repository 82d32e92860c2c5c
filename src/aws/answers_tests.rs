//! Every AWS error a user reads is one line: AWS's code and message, or, for an answer that is
//! not AWS's (a proxy's HTML page, an empty or cut-off body), the HTTP status and the start of
//! the body; never the SDK's `Debug` of the raw response. Each kind of read is fed each such
//! answer by a server on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;

use super::Clients;
use crate::cloud::{
    Iam, Images, LoadBalancers, Logs, Parameters, Repository, Secrets, ServiceDeployments,
    Services, TaskDefinitions, Tasks, Wanted,
};

/// Answers every request with `status` and `body` (`content_type`), forever.
fn canned(status: &'static str, content_type: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut request = vec![0; length];
            let _ = reader.read_exact(&mut request);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

async fn clients(url: &str) -> Clients {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(super::http_client())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Clients::from_config(config).unwrap()
}

/// Each kind of read the stages make, as the error it ended in.
async fn every_read(cloud: &Clients) -> Vec<(&'static str, anyhow::Error)> {
    let repository = Repository {
        name: "api".into(),
        registry_id: None,
        region: None,
    };
    let names = vec!["api".to_string()];
    let mut errors = Vec::new();
    macro_rules! read {
        ($what:literal, $call:expr) => {
            errors.push(($what, $call.await.map(|_| ()).unwrap_err()));
        };
    }
    read!(
        "ECS DescribeServices",
        cloud.describe_services("main", &names)
    );
    read!(
        "ECS DescribeTaskDefinition",
        cloud.describe_task_definition("api:1")
    );
    read!(
        "ECS ListServiceDeployments",
        cloud.list_service_deployments("main", "api", std::time::SystemTime::UNIX_EPOCH)
    );
    read!("ECS DescribeTasks", cloud.describe_tasks("main", &names));
    read!("SSM GetParameters", cloud.get_parameters(&names));
    read!(
        "SSM DescribeParameters",
        cloud.describe_parameters(None, &names)
    );
    read!(
        "ECR DescribeImages",
        cloud.find_image(&repository, Wanted::Tag("v1"))
    );
    read!(
        "ECR DescribePullThroughCacheRules",
        cloud.pull_through_rules(&repository)
    );
    read!(
        "Secrets Manager DescribeSecret",
        cloud.describe_secret(None, "db")
    );
    read!(
        "CloudWatch Logs DescribeLogGroups",
        cloud.log_group_exists(None, "/ecs/api")
    );
    read!("IAM GetRole", cloud.get_role("exec"));
    read!(
        "ELB DescribeTargetHealth",
        cloud.target_health("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1")
    );
    errors
}

fn assert_one_line(what: &str, body: &str, err: &anyhow::Error, expected: &str) {
    let text = format!("{err:#}");
    for dump in [
        "ResponseError",
        "SdkBody",
        "Response {",
        "headers",
        "Headers",
        "DispatchFailure",
        "{ ",
    ] {
        assert!(
            !text.contains(dump),
            "{what} ({body}): a Debug dump: {text}"
        );
    }
    assert!(!text.contains('\n'), "{what} ({body}): {text}");
    assert!(
        text.len() <= 400,
        "{what} ({body}): {} characters: {text}",
        text.len()
    );
    assert!(
        text.contains(expected),
        "{what} ({body}): {text}\nexpected: {expected}"
    );
}

#[tokio::test]
async fn answers_that_are_not_aws_are_one_line_with_status_and_the_start_of_the_body() {
    let html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n<!-- a padding comment that goes on and on so that the body is longer than what is shown of it -->";
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            "502 Bad Gateway",
            "text/html",
            html,
            "an answer that is not AWS's: HTTP 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title></head>",
        ),
        (
            "503 Service Unavailable",
            "text/plain",
            "",
            "an answer that is not AWS's: HTTP 503 Service Unavailable with an empty body",
        ),
        (
            "504 Gateway Timeout",
            "application/json",
            "{\"message\": \"Endpoint request timed out\"",
            "HTTP 504 Gateway Timeout",
        ),
        (
            "200 OK",
            "application/x-amz-json-1.1",
            "{\"services\": [{\"serviceArn\": \"arn:aws:ecs:us-east-1:1:se",
            "HTTP 200 OK",
        ),
    ];
    for (status, content_type, body, expected) in cases {
        let url = canned(status, content_type, body);
        let cloud = clients(&url).await;
        for (what, err) in every_read(&cloud).await {
            // A cut-off 200 that some operations read as an empty answer is not an error here.
            assert_one_line(
                what,
                status,
                &err,
                if status.starts_with("200") {
                    ""
                } else {
                    expected
                },
            );
        }
    }
}

#[tokio::test]
async fn aws_error_answers_keep_code_and_message_and_no_answer_is_said() {
    let url = canned(
        "400 Bad Request",
        "application/x-amz-json-1.1",
        "{\"__type\": \"ClientException\", \"message\": \"TaskDefinition is inactive\"}",
    );
    let cloud = clients(&url).await;
    let err = cloud.describe_task_definition("api:1").await.unwrap_err();
    assert_one_line(
        "DescribeTaskDefinition",
        "400",
        &err,
        "ClientException: TaskDefinition is inactive",
    );
    assert!(crate::cloud::is_permanent(&err));
    // Nothing listens: the connection fails, said in one line.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let cloud = clients(&closed).await;
    let err = cloud.get_parameters(&["a".to_string()]).await.unwrap_err();
    assert_one_line("GetParameters", "refused", &err, "the connection failed");
    assert!(!crate::cloud::is_permanent(&err));
}

/// A credentials provider that finds none, as a laptop without AWS configuration does.
#[derive(Debug)]
struct NoCredentials;

impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded(
                "no providers in chain provided credentials: a long chain of every provider tried",
            ),
        ))
    }
}

#[tokio::test]
async fn no_credentials_is_one_line_saying_what_to_set_and_a_mistake_the_user_fixes() {
    let url = canned("200 OK", "application/x-amz-json-1.1", "{}");
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(super::http_client())
        .endpoint_url(&url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(NoCredentials)
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    let cloud = Clients::from_config(config).unwrap();
    for (what, err) in every_read(&cloud).await {
        let user = crate::error::find_user_error(&err)
            .unwrap_or_else(|| panic!("{what}: a user error, not {err:#}"));
        assert_eq!(
            user.message,
            "no AWS credentials: none in the environment, an AWS profile, SSO or an instance or container role",
            "{what}"
        );
        assert!(
            user.hint.as_deref().unwrap().contains("AWS_PROFILE"),
            "{what}"
        );
        assert_eq!(crate::error::exit_for(&err), crate::error::Exit::UserError);
    }
}
