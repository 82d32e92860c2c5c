//! Hostile inputs, as a table: each row is refused with one clear error (exit 2), before any AWS
//! write (most before any AWS call at all), and for every row the run leaves outputs the runner
//! can parse, each on one line; exactly one error annotation; no workflow command it did not mean;
//! a summary that renders with only our own structure (checked with a GFM renderer); and no trace
//! of the secret marker `S3CR3T` anywhere it printed.

use crate::support::{ActionRun, Emulator};
use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options, parse_document};

const MARKER: &str = "S3CR3T";
const PREFIX: &str = crate::support::SSM_PREFIX;

/// Where a refusal may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// Before any AWS call.
    BeforeAws,
    /// After reads, before any write.
    BeforeWrites,
}

struct Case {
    name: &'static str,
    inputs: Vec<(&'static str, String)>,
    /// Files committed to the workspace: (path, content); a content of `->target` is a symlink.
    files: Vec<(&'static str, String)>,
    expect: &'static str,
    when: When,
    /// The headings the summary may have: ours (`h2`, and `h3` sections once a plan was made).
    headings: &'static [&'static str],
}

fn case(name: &'static str, inputs: &[(&'static str, &str)], expect: &'static str) -> Case {
    Case {
        name,
        inputs: inputs.iter().map(|(k, v)| (*k, (*v).to_string())).collect(),
        files: Vec::new(),
        expect,
        when: When::BeforeAws,
        headings: &["h2"],
    }
}

fn dev(more: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut inputs = vec![
        ("environment", "dev".to_string()),
        ("image-tag", "v2".to_string()),
        ("ssm-prefix", PREFIX.to_string()),
    ];
    for (k, v) in more {
        inputs.retain(|(name, _)| name != k);
        inputs.push((*k, (*v).to_string()));
    }
    inputs
}

fn dev_case(name: &'static str, more: &[(&'static str, &str)], expect: &'static str) -> Case {
    Case {
        name,
        inputs: dev(more),
        files: Vec::new(),
        expect,
        when: When::BeforeAws,
        headings: &["h2"],
    }
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let huge_env = format!("{}{}", "\"".repeat(78_000), "😀".repeat(10_000));
    let big_file = "#".repeat(1024 * 1024 + 10);
    let confirm = |c: &'static str, expect: &'static str| Case {
        name: "a near-miss confirmation",
        inputs: vec![
            ("environment", "production".into()),
            ("image-tag", "v2".into()),
            ("confirm-production", c.into()),
        ],
        files: Vec::new(),
        expect,
        when: When::BeforeAws,
        headings: &["h2"],
    };
    let mut cases = vec![
        case(
            "a heading in the environment",
            &[("environment", "dev\n# heading"), ("image-tag", "v1")],
            "input `environment` is invalid (it contains a line break at character 4)",
        ),
        case(
            "a link in the environment",
            &[
                ("environment", "[Approve](https://evil.example)"),
                ("image-tag", "v1"),
            ],
            "input `environment` is invalid: use letters",
        ),
        case(
            "an image in the environment",
            &[
                ("environment", "![x](https://evil.example/x.png)"),
                ("image-tag", "v1"),
            ],
            "input `environment` is invalid: use letters",
        ),
        case(
            "a table row in the environment",
            &[("environment", "dev|x\n|---|"), ("image-tag", "v1")],
            "input `environment` is invalid (it contains a line break",
        ),
        case(
            "a huge environment",
            &[("environment", &huge_env), ("image-tag", "v1")],
            "input `environment` is invalid (it contains the non-ASCII character",
        ),
        case(
            "a Cyrillic lookalike environment",
            &[("environment", "pro\u{0434}uction"), ("image-tag", "v1")],
            "input `environment` is invalid (it contains the non-ASCII character `\u{0434}` (U+0434) at character 4)",
        ),
        case(
            "an environment with a zero-width space",
            &[("environment", "production\u{200b}"), ("image-tag", "v1")],
            "input `environment` is invalid (it contains the invisible character U+200B at character 11)",
        ),
        confirm(
            "DEPLOY TO PRODUCTION ",
            "is not `DEPLOY TO PRODUCTION` (it has spaces around it)",
        ),
        confirm(
            "DEPLOY\u{a0}TO PRODUCTION",
            "(character 7 is U+00A0, not ` `)",
        ),
        confirm(
            "DEPLOY TO PRODUCTION\u{200b}",
            "(it is longer: 21 characters)",
        ),
        confirm(
            "DEPLOY TO PR\u{41e}DUCTION",
            "(character 13 is U+041E, not `O`)",
        ),
        confirm("deploy to production", "(it differs in letter case)"),
        confirm("S3CR3T", "(it differs at character 1)"),
        case(
            "production without confirmation, in other letters",
            &[("environment", "Production"), ("image-tag", "v1")],
            "environment `Production` is a production environment and `confirm-production` is empty",
        ),
        case(
            "a gate with no names",
            &[
                ("environment", "production"),
                ("image-tag", "v1"),
                ("production-environments", ","),
            ],
            "`environments.production.production-environments` in config file `.github/ecs-ship-test.yml` names no environment",
        ),
        case(
            "tag keys with no names",
            &[
                ("environment", "dev"),
                ("image-tag", "v1"),
                ("environment-tag-keys", " , "),
            ],
            "`environments.dev.environment-tag-keys` in config file `.github/ecs-ship-test.yml` names no tag key",
        ),
        dev_case(
            "an SSM prefix of production",
            &[("ssm-prefix", "/shop/production/ecs")],
            "SSM prefix `/shop/production/ecs` names production environment `production`, and `confirm-production` is empty",
        ),
        dev_case(
            "a workflow command in the tag",
            &[("image-tag", "v1\n::set-output name=status::deployed")],
            "input `image-tag` is invalid (it contains a line break at character 3)",
        ),
        dev_case(
            "a tag with a colon",
            &[("image-tag", "v1:extra")],
            "input `image-tag` is invalid: letters, digits",
        ),
        dev_case(
            "an image with two tags",
            &[("image-tag", ""), ("image", "acme/web:1.5.0:extra")],
            "input `image` is invalid: the repository path",
        ),
        dev_case(
            "an upper-case digest",
            &[
                ("image-tag", ""),
                (
                    "image",
                    "acme/web@sha256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
                ),
            ],
            "input `image` is invalid: the digest is not `sha256:` and 64 lower-case hex digits",
        ),
        dev_case(
            "an image with an empty path component",
            &[("image-tag", ""), ("image", "acme//web:v1")],
            "input `image` is invalid: the repository path",
        ),
        dev_case(
            "a secret in the wrong place of services",
            &[(
                "services",
                "- service: web\n  environment-variables: S3CR3T",
            )],
            "input `services`: [0].environment-variables: expected a map of names to values, found a string at line 2 column 26",
        ),
        dev_case(
            "a service name with a secret and a space",
            &[("services", "- S3CR3T hunter2")],
            "`services[0]`: the service name is invalid (it contains a space at character 7)",
        ),
        dev_case(
            "malformed env JSON with a secret",
            &[("environment-variables", r#"{"TOKEN": "S3CR3T",}"#)],
            "`environment-variables` is not a valid JSON object: trailing comma at line 1 column 20",
        ),
        dev_case(
            "a nested env value",
            &[("environment-variables", "A: [S3CR3T]")],
            "`environment-variables`: the value of `A` must be a string, number or boolean",
        ),
        dev_case(
            "a secret value instead of a reference",
            &[("secrets", r#"{"A": "S3CR3T value"}"#)],
            "input `secrets`: `A` must name a Secrets Manager secret or SSM parameter ARN",
        ),
        dev_case(
            "an env name that is a secret",
            &[("environment-variables", r#"{"S3CR3T hunter2": "x"}"#)],
            "input `environment-variables`: a name is invalid (it contains a space at character 7)",
        ),
        dev_case(
            "an env name pasted among others is named by its place",
            &[(
                "environment-variables",
                r#"{"A": "1", "S3CR3T=hunter2": "x", "B": "2"}"#,
            )],
            "input `environment-variables`: name 2 of 3 is invalid: variable names start with a letter or `_`",
        ),
        dev_case(
            "a secret in the pre-deploy task",
            &[("one-off-task", "assign-public-ip: S3CR3T")],
            "input `one-off-task`: assign-public-ip: expected a boolean, found a string at line 1 column 19",
        ),
        dev_case(
            "a secret as a subnet",
            &[("one-off-task", "command: [x]\nsubnets: [S3CR3T]")],
            "input `one-off-task.subnets` is invalid: expected subnet IDs",
        ),
        dev_case(
            "a cluster with a space",
            &[("cluster", "acme cluster")],
            "input `cluster` is invalid (it contains a space at character 5)",
        ),
        dev_case(
            "a container with a command",
            &[("container", "app\n::error::x")],
            "input `container` is invalid",
        ),
        dev_case(
            "a family with a space",
            &[("family", "a b")],
            "input `family` is invalid (it contains a space at character 2)",
        ),
        dev_case(
            "a role ARN with a line break",
            &[(
                "task-settings",
                "task-role-arn: \"arn:aws:iam::123456789012:role/x\\nq\"",
            )],
            "input `task-settings.task-role-arn` is invalid (it contains a line break",
        ),
        dev_case(
            "a log group outside the rule",
            &[("awslogs", "group: ../x y")],
            "input `awslogs.group` is invalid (it contains a space",
        ),
        dev_case(
            "a timeout that is not a number",
            &[("time-limit-minutes", "NaN")],
            "input `time-limit-minutes` is invalid: expected a number of minutes",
        ),
        dev_case(
            "an infinite timeout",
            &[("time-limit-minutes", "1e309")],
            "input `time-limit-minutes` is invalid: expected a number of minutes",
        ),
        dev_case(
            "a negative count",
            &[("service-settings", "desired-count: -1")],
            "input `service-settings.desired-count` is invalid: expected a whole number from 0 to 5000",
        ),
        dev_case(
            "too many task failures",
            &[("max-task-failures", "1000")],
            "`environments.dev.max-task-failures` in config file `.github/ecs-ship-test.yml` is invalid: expected a whole number from 0 to 100",
        ),
        dev_case(
            "keep no revisions",
            &[("keep-revisions", "0")],
            "`environments.dev.keep-revisions` in config file `.github/ecs-ship-test.yml` is invalid: expected a whole number from 1 to 1000",
        ),
        dev_case(
            "a script URL",
            &[("environment-url", "javascript:alert(1)")],
            "input `environment-url` is invalid: expected an http(s) URL",
        ),
        dev_case(
            "a token with a command",
            &[
                ("github-deployment", "true"),
                ("github-token", "ghs_x\n::add-mask::y"),
            ],
            "input `github-token` is not a token",
        ),
        case(
            "an unknown command",
            &[("command", "destroy"), ("environment", "dev")],
            "input `command` is invalid: expected `deploy`, `verify`, `run-task`, `rollback` or `continue`",
        ),
        case(
            "a service deployment ARN with a newline and a command after it",
            &[
                ("command", "continue"),
                ("environment", "dev"),
                (
                    "service-deployment-arn",
                    "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/api/x\n::set-output name=status::deployed",
                ),
            ],
            "input `service-deployment-arn` is invalid",
        ),
        case(
            "a service deployment ARN with a lookalike colon",
            &[
                ("command", "rollback"),
                ("environment", "dev"),
                (
                    "service-deployment-arn",
                    "arn:aws:ecs:us-east-1:123456789012\u{2236}service-deployment/main/api/x",
                ),
            ],
            "input `service-deployment-arn` is invalid",
        ),
        case(
            "continue into production without the confirmation",
            &[
                ("command", "continue"),
                ("environment", "production"),
                (
                    "service-deployment-arn",
                    "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-production/api/x",
                ),
            ],
            "confirm-production",
        ),
        case(
            "continue naming another cluster than its service deployment ARN",
            &[
                ("command", "continue"),
                ("environment", "dev"),
                (
                    "service-deployment-arn",
                    "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/api/x",
                ),
                ("cluster", "other"),
            ],
            "input `cluster` names another cluster than `service-deployment-arn`",
        ),
        case(
            "a hook id with markup",
            &[
                ("command", "continue"),
                ("environment", "dev"),
                (
                    "service-deployment-arn",
                    "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/api/x",
                ),
                ("hook-id", "<img src=x>|"),
            ],
            "input `hook-id` is invalid",
        ),
        dev_case(
            "an environment file path with a newline and a command",
            &[("dotenv-file", "app.env\n::error::x")],
            "input `dotenv-file`",
        ),
        dev_case(
            "a docker label key with a newline",
            &[("docker-labels", "{\"a\\nb\": \"x\"}")],
            "input `docker-labels`",
        ),
        dev_case(
            "a container command with unclosed quotes and markup",
            &[("container-command", "sh -c '<script>alert(1)</script>")],
            "input `container-command` is invalid",
        ),
        dev_case(
            "an environment-files entry that is not an S3 object ARN",
            &[("environment-files", "https://evil.example/x.env")],
            "input `environment-files` is invalid",
        ),
        dev_case(
            "a CPU that is not a number",
            &[("task-settings", "cpu: 1 vCPU; rm -rf /")],
            "input `task-settings.cpu` is invalid",
        ),
        dev_case(
            "wait-until with a typo",
            &[("wait", "pause")],
            "input `wait` is invalid: expected `deployed`, `paused` or `none`",
        ),
        dev_case(
            "an alarm name with a right-to-left override",
            &[("deployment", "alarms: \"api-5xx,\u{202e}xxx\"")],
            "input `alarms` is invalid",
        ),
        dev_case(
            "a deployment strategy that is not one",
            &[("deployment", "strategy: \"big-bang\\n::error::x\"")],
            "input `deployment.strategy` is invalid",
        ),
        dev_case(
            "a config file outside the workspace",
            &[("config", "../../etc/passwd")],
            "input `config`: `../../etc/passwd` is outside the workspace",
        ),
        dev_case(
            "a template outside the workspace",
            &[("template", "/etc/passwd")],
            "input `template`: `/etc/passwd` is outside the workspace",
        ),
    ];
    cases.push(Case {
        name: "a committed symlink out of the checkout",
        inputs: dev(&[("config", ".github/ecs-ship.yml")]),
        files: vec![(".github/ecs-ship.yml", "->/etc/passwd".into())],
        expect: "input `config`: `.github/ecs-ship.yml` is outside the workspace",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "an environment file linked out of the checkout",
        inputs: dev(&[("dotenv-file", "deploy/app.env")]),
        files: vec![("deploy/app.env", "->/etc/passwd".into())],
        expect: "input `dotenv-file`: `deploy/app.env` is outside the workspace",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "an environment file line with a workflow command and a secret",
        inputs: dev(&[("dotenv-file", "app.env")]),
        files: vec![(
            "app.env",
            "OK=1
::set-output name=status::deployed hunter2
"
            .into(),
        )],
        expect: "input `dotenv-file`: line 2 of `app.env` does not start with a variable name",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "a config file that is a directory",
        inputs: dev(&[("config", "deploy")]),
        files: vec![("deploy/x", String::new())],
        expect: "input `config`: `deploy` is not a regular file",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "a config file over 1 MiB",
        inputs: dev(&[("config", "big.yml")]),
        files: vec![("big.yml", big_file)],
        expect: "input `config`: `big.yml` is 1048586 bytes; files are read up to 1 MiB",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "a secret in the config file",
        inputs: dev(&[("config", "ecs-ship.yml")]),
        files: vec![("ecs-ship.yml", "environments:\n  dev:\n    environment-variables: S3CR3T\n".into())],
        expect: "config file `ecs-ship.yml`: environments.dev.environment-variables: expected a map of names to values, found a string at line 3 column 28",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "a broken template with a secret",
        inputs: dev(&[("template", "td.yml")]),
        files: vec![("td.yml", "family: [S3CR3T\n".into())],
        expect: "input `template`: `td.yml` is not valid YAML: ",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "a dev deploy to the production service",
        inputs: vec![
            ("environment", "dev".into()),
            ("image-tag", "v2".into()),
            ("cluster", "shop-production".into()),
            ("services", "shop-production-service".into()),
        ],
        files: Vec::new(),
        expect: "service `shop-production-service` is tagged `environment=production`, a production environment (`production`), and `confirm-production` is empty",
        when: When::BeforeWrites,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "a bare name that is an ECR repository",
        inputs: dev(&[("image-tag", ""), ("image", "shop-api:v2")]),
        files: Vec::new(),
        expect: "image `shop-api:v2` names no registry, so ECS would pull it from Docker Hub",
        when: When::BeforeWrites,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "a rollback to a production revision",
        inputs: vec![
            ("command", "rollback".into()),
            ("environment", "dev".into()),
            ("ssm-prefix", PREFIX.into()),
            ("revision", "shop-production-service:1".into()),
        ],
        files: Vec::new(),
        expect: "`revision` is of family `shop-production-service`",
        when: When::BeforeWrites,
        headings: &["h2"],
    });
    cases.push(dev_case(
        "a task-logs-lines with a command after a newline",
        &[("task-log-lines", "30\n::error::S3CR3T")],
        "`environments.dev.task-log-lines` in config file `.github/ecs-ship-test.yml`",
    ));
    cases.push(dev_case(
        "a preflight that is not a boolean",
        &[("preflight", "yes S3CR3T")],
        "input `preflight`",
    ));
    cases.push(Case {
        name: "a secret value pasted where a parameter name belongs",
        inputs: dev(&[("secrets", "A: S3CR3T-pasted-value")]),
        files: Vec::new(),
        expect: "SSM parameter (container `app`, `A`) does not exist",
        when: When::BeforeWrites,
        // The plan was made: the summary says what would have changed.
        headings: &["h2", "h3"],
    });
    cases.push(Case {
        name: "a parameter ARN with markup",
        inputs: dev(&[(
            "secrets",
            "A: 'arn:aws:ssm:us-east-1:123456789012:parameter/x</pre><img src=x>[l](http://e.vil)'",
        )]),
        files: Vec::new(),
        expect: "input `secrets`: `A` must name a Secrets Manager secret or SSM parameter ARN",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    // The newest inputs (issue 20, 8b).
    cases.push(Case {
        name: "a NUL inside an environment file value (a file saved as UTF-16)",
        inputs: dev(&[("dotenv-file", "app.env")]),
        files: vec![("app.env", "OK=1\nTOKEN=S3CR3T\u{0}x\n".into())],
        expect: "input `dotenv-file`: line 2 of `app.env` has a NUL character in its value",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(dev_case(
        "a NUL inside an environment variable value",
        &[("environment-variables", r#"{"TOKEN": "S3CR3T\u0000x"}"#)],
        "input `environment-variables`: the value of `TOKEN` has a NUL character",
    ));
    let long_arn = format!("arn:aws:s3:::bucket/{}.env", "k".repeat(100_000));
    cases.push(Case {
        name: "a 100 KB environment-files ARN",
        inputs: dev(&[("environment-files", long_arn.as_str())]),
        files: Vec::new(),
        expect: "input `environment-files`: an ARN is 100024 bytes long, longer than S3 allows",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(case(
        "a task-definition-arn of revision 0",
        &[
            ("environment", "dev"),
            ("ssm-prefix", PREFIX),
            ("revision", "shop-dev-service:0"),
        ],
        "input `revision` is invalid",
    ));
    cases.push(dev_case(
        "alarms: none beside alarm names",
        &[("deployment", "alarms: none, api-5xx")],
        "input `alarms` names `none` beside alarm names",
    ));
    cases.push(dev_case(
        "environment-mode: replace with nothing given (a secret that expanded to empty)",
        &[
            ("environment-mode", "replace"),
            ("environment-variables", ""),
        ],
        "input `environment-mode` is `replace`, and no environment variable is given",
    ));
    cases.push(Case {
        name: "a bad value from the config file names the file and key",
        inputs: dev(&[("config", ".github/ecs-ship.yml")]),
        files: vec![(
            ".github/ecs-ship.yml",
            "defaults:\n  time-limit-minutes: 20\nenvironments:\n  dev:\n    deployment: { bake-time-minutes: 9999 }\n".into(),
        )],
        expect: "`environments.dev.deployment.bake-time-minutes` in config file `.github/ecs-ship.yml` is invalid",
        when: When::BeforeAws,
        headings: &["h2"],
    });
    cases.push(Case {
        name: "canary on a service whose load balancer has no advanced configuration",
        inputs: dev(&[("deployment", "strategy: canary")]),
        files: Vec::new(),
        expect: "input `deployment.strategy` is `canary`, and service `shop-dev-service`'s load balancer (target group `shop-dev-app`) has no advanced configuration",
        when: When::BeforeWrites,
        headings: &["h2"],
    });
    cases
}

fn structure<'a>(node: &'a AstNode<'a>, found: &mut Vec<String>) {
    match &node.data.borrow().value {
        // Our own links go to the AWS console of the deploy's region.
        NodeValue::Link(l)
            if !l
                .url
                .starts_with("https://us-east-1.console.aws.amazon.com/") =>
        {
            found.push(format!("link {}", l.url));
        }
        NodeValue::Image(_) => found.push("image".into()),
        NodeValue::Heading(h) => found.push(format!("h{}", h.level)),
        NodeValue::HtmlInline(h) if !["<code>", "</code>", "<!---->"].contains(&h.as_str()) => {
            found.push(format!("html {h}"));
        }
        _ => {}
    }
    for child in node.children() {
        structure(child, found);
    }
}

#[test]
fn every_hostile_input_is_refused_safely_before_any_write() {
    let em = Emulator::start_with(&["production"], &["dev"]);
    let cases = cases();
    let mut held = 0;
    for case in &cases {
        em.reset_calls();
        let inputs: Vec<(&str, &str)> = case.inputs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut action = ActionRun::new(Some(&em), &inputs);
        for (path, content) in &case.files {
            if let Some(target) = content.strip_prefix("->") {
                let link = action.workspace().join(path);
                std::fs::create_dir_all(link.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(target, link).unwrap();
            } else {
                action = action.file(path, content);
            }
        }
        let run = action.run();
        let what = case.name;
        assert_eq!(run.code, 2, "{what}: exit code\n{}", run.stdout);
        assert_eq!(run.output("status"), "failed", "{what}");
        let reason = run.output("failure-reason");
        assert!(reason.contains(case.expect), "{what}: {reason}");
        for (name, value) in &run.outputs {
            assert!(
                !value.contains(['\n', '\r']),
                "{what}: output {name} is one line"
            );
        }
        let calls = em.calls();
        match case.when {
            When::BeforeAws => assert_eq!(calls, Vec::<String>::new(), "{what}: no AWS call"),
            When::BeforeWrites => {
                assert!(!calls.is_empty(), "{what}: refused after reading");
                assert!(
                    !calls
                        .iter()
                        .any(|c| crate::support::WRITES.contains(&c.as_str())),
                    "{what}: a write in {calls:?}"
                );
            }
        }
        let annotations = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count();
        assert_eq!(annotations, 1, "{what}: one annotation\n{}", run.stdout);
        for line in run.stdout.lines() {
            let ours = [
                "::error ",
                "::warning ",
                "::group::",
                "::endgroup::",
                "::stop-commands::",
                "::ecs-ship-",
            ];
            assert!(
                !line.trim_start().starts_with("::") || ours.iter().any(|o| line.starts_with(o)),
                "{what}: an injected command: {line}"
            );
        }
        for (place, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("summary", &run.summary_md),
        ] {
            assert!(!text.contains(MARKER), "{what}: the marker is in {place}");
        }
        assert!(
            !run.outputs.iter().any(|(_, v)| v.contains(MARKER)),
            "{what}: the marker is in an output"
        );
        let arena = Arena::new();
        let mut options = Options::default();
        options.extension.table = true;
        options.extension.autolink = true;
        options.render.unsafe_ = true;
        let root = parse_document(&arena, &run.summary_md, &options);
        let mut found = Vec::new();
        structure(root, &mut found);
        assert_eq!(
            found, case.headings,
            "{what}: the summary renders only our headings"
        );
        held += 1;
    }
    eprintln!("hostile inputs: {held} of {} held", cases.len());
}

/// Six independent mistakes, in four places (inputs, an old input name, a setting that belongs
/// in the config file, the config file itself): one run reports every one, exit 2, before any
/// AWS call.
#[test]
fn every_mistake_is_reported_at_once_before_any_aws_call() {
    let em = Emulator::start(&["dev"]);
    let run = ActionRun::new(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("ssm-prefix", "/shop/{environment}/ecs"),
            ("config", ".github/ecs-ship.yml"),
            ("time-limit-minutes", "soon"),
            ("deployment", "strategy: big-bang"),
            ("environment-mode", "overwrite"),
        ],
    )
    .file(
        ".github/ecs-ship.yml",
        "environments:\n  dev:\n    servics: [api]\n",
    )
    .env("INPUT_TIMEOUT-MINUTES", "5")
    .env("INPUT_KEEP-REVISIONS", "3")
    .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    let error = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("one error annotation");
    for expected in [
        "6 problems with the settings:",
        "input `timeout-minutes` was renamed",
        "input `keep-revisions` is set once per repository",
        "`environments.dev.servics` in config file `.github/ecs-ship.yml` is not a setting",
        "input `time-limit-minutes` is invalid",
        "input `deployment.strategy` is invalid",
        "input `environment-mode` is invalid",
    ] {
        assert!(error.contains(expected), "`{expected}` in {error}");
    }
    assert_eq!(
        run.stdout
            .lines()
            .filter(|l| l.starts_with("::error "))
            .count(),
        1,
        "one report"
    );
    assert_eq!(em.calls(), Vec::<String>::new(), "no AWS call");
}
