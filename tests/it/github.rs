//! GitHub Deployments end to end: the binary deploys to moto and reports to a GitHub stand-in on
//! loopback that checks paths, bodies and the token, and answers like the REST API, errors too.

use crate::support::github::{DEPLOYMENT_ID, FakeGitHub, Mode};
use crate::support::{ActionRun, Emulator, TEST_TOKEN};
use serde_json::json;

const PREFIX: &str = crate::support::SSM_PREFIX;
const SHA: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";

fn deploy(em: &Emulator, github: &FakeGitHub, extra: &[(&str, &str)]) -> crate::support::Run {
    let mut inputs = vec![
        ("environment", "dev"),
        ("ssm-prefix", PREFIX),
        ("environment-url", "https://dev.shop.example"),
    ];
    inputs.extend_from_slice(extra);
    ActionRun::new(Some(em), &inputs)
        .env("GITHUB_API_URL", &github.url)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "991")
        .run()
}

fn states(github: &FakeGitHub) -> Vec<String> {
    github
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/statuses"))
        .map(|r| r.body["state"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_deploy_creates_a_deployment_and_reports_in_progress_then_success() {
    let em = Emulator::start(&["dev"]);
    let github = FakeGitHub::start(Mode::Normal, TEST_TOKEN);
    let run = deploy(
        &em,
        &github,
        &[("github-deployment", "true"), ("image-tag", "v2")],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.output("github-deployment-id"),
        DEPLOYMENT_ID.to_string()
    );
    let requests = github.requests();
    assert_eq!(
        requests
            .iter()
            .map(|r| (r.method.as_str(), r.path.as_str()))
            .collect::<Vec<_>>(),
        [
            ("POST", "/repos/acme/shop/deployments"),
            ("POST", "/repos/acme/shop/deployments/4242/statuses"),
            ("POST", "/repos/acme/shop/deployments/4242/statuses"),
        ]
    );
    for r in &requests {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TEST_TOKEN}").as_str())
        );
        assert!(r.header("user-agent").is_some());
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    let create = &requests[0].body;
    assert_eq!(create["ref"], SHA);
    assert_eq!(create["environment"], "dev");
    assert_eq!(create["required_contexts"], json!([]));
    assert_eq!(create["auto_merge"], false);
    assert_eq!(create["production_environment"], false);
    assert_eq!(create["payload"]["services"], json!(["shop-dev-service"]));
    assert_eq!(
        create["payload"]["digest"].as_str(),
        Some(run.output("image-digest"))
    );
    assert_eq!(
        create["payload"]["image"].as_str(),
        Some(run.output("image"))
    );
    assert_eq!(states(&github), ["in_progress", "success"]);
    let success = &requests[2].body;
    assert_eq!(
        success["log_url"],
        "https://github.com/acme/shop/actions/runs/991"
    );
    assert_eq!(success["environment_url"], "https://dev.shop.example");
    assert_eq!(success["environment"], "dev");
    assert!(
        !run.stdout.contains(TEST_TOKEN),
        "the token is never printed"
    );
    assert!(!run.summary.contains(TEST_TOKEN));
}

#[test]
fn a_rolled_back_deploy_is_a_failure_and_a_given_deployment_gets_only_statuses() {
    let em = Emulator::start(&["dev"]);
    em.circuit_breaker("shop-dev", "shop-dev-service");
    em.scenario("shop-dev", "shop-dev-service", "fail", 2.0);
    let github = FakeGitHub::start(Mode::Normal, TEST_TOKEN);
    let run = deploy(
        &em,
        &github,
        &[("github-deployment", "777"), ("image-tag", "v2")],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.output("status"), "rolled-back");
    let requests = github.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.path == "/repos/acme/shop/deployments/777/statuses"),
        "no deployment is created: {requests:?}"
    );
    assert_eq!(states(&github), ["in_progress", "failure"]);
    let failure = requests[1].body["description"].as_str().unwrap();
    assert!(failure.starts_with("Rolled back: "), "{failure}");
    assert!(failure.chars().count() <= 140, "{failure}");
    assert_eq!(run.output("github-deployment-id"), "777");

    // A run that ends before deploying (the tag is not in ECR) still tells the workflow's
    // deployment how it went.
    let github = FakeGitHub::start(Mode::Normal, TEST_TOKEN);
    let run = deploy(
        &em,
        &github,
        &[("github-deployment", "778"), ("image-tag", "v9")],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(states(&github), ["failure"]);
    let requests = github.requests();
    assert_eq!(
        requests[0].path,
        "/repos/acme/shop/deployments/778/statuses"
    );
    assert!(
        requests[0].body["description"]
            .as_str()
            .unwrap()
            .contains("was not found in ECR repository"),
        "{}",
        requests[0].body
    );
}

#[test]
fn github_failures_are_warnings_and_never_fail_the_deploy() {
    let em = Emulator::start(&["dev"]);

    // Down for good: three attempts, then a warning; the deploy is done all the same.
    let down = FakeGitHub::start(
        Mode::Always {
            status: 502,
            message: "Server Error".into(),
        },
        TEST_TOKEN,
    );
    let run = deploy(
        &em,
        &down,
        &[("github-deployment", "true"), ("image-tag", "v2")],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("status"), "deployed");
    assert_eq!(run.output("github-deployment-id"), "");
    assert_eq!(down.requests().len(), 3, "retried twice");
    assert!(
        run.stdout.contains("::warning title=GitHub deployment::GitHub deployment not created: GitHub answered 502 Bad Gateway: Server Error"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("GitHub deployment not created"),
        "{}",
        run.summary
    );

    // Missing permission: not retried, and the warning says what to fix.
    let denied = FakeGitHub::start(
        Mode::Always {
            status: 403,
            message: "Resource not accessible by integration".into(),
        },
        TEST_TOKEN,
    );
    let run = deploy(
        &em,
        &denied,
        &[("github-deployment", "true"), ("image-tag", "v3")],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(denied.requests().len(), 1);
    assert!(
        run.summary.contains("permissions: deployments: write"),
        "{}",
        run.summary
    );

    // Rate limited, then fine: GitHub's retry-after is honoured and everything lands.
    let limited = FakeGitHub::start(
        Mode::FailFirst {
            n: 1,
            status: 429,
            headers: vec![("retry-after".into(), "1".into())],
            message: "API rate limit exceeded".into(),
        },
        TEST_TOKEN,
    );
    let run = deploy(
        &em,
        &limited,
        &[("github-deployment", "true"), ("image-tag", "v1")],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(states(&limited), ["in_progress", "success"]);
    assert_eq!(limited.requests().len(), 4);
    assert!(
        !run.stdout.contains("::warning title=GitHub"),
        "{}",
        run.stdout
    );

    // A GitHub that never answers: `paused::a_github_that_never_answers_holds_the_end_of_the_run_for_20_seconds_only`.

    // A bad token is GitHub's 401, a warning.
    let strict = FakeGitHub::start(Mode::Normal, "ghs_another_token");
    let run = deploy(
        &em,
        &strict,
        &[("github-deployment", "true"), ("image-tag", "v2")],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.summary.contains("401 Unauthorized: Bad credentials"),
        "{}",
        run.summary
    );
}
