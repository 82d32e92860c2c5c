//! The preflight end to end on the emulator: each finding alone and all together stop the deploy
//! before any write, as one error naming each; denied reads are warnings naming the permission;
//! `command: verify` checks and changes nothing; and a crash-looping deploy shows what the
//! application printed, its environment values masked.

use serde_json::json;

use crate::support::{Emulator, REPO_URI, Run, deploy_dev};

const CLUSTER: &str = "shop-dev";
const SERVICE: &str = "shop-dev-service";

const EXECUTION_ROLE: &str = "shop-dev-execution";

fn delete_role(em: &Emulator, name: &str) {
    let policies = em.aws("iam", "list_role_policies", &json!({"RoleName": name}));
    for policy in policies["PolicyNames"].as_array().into_iter().flatten() {
        em.aws(
            "iam",
            "delete_role_policy",
            &json!({"RoleName": name, "PolicyName": policy}),
        );
    }
    em.aws("iam", "delete_role", &json!({"RoleName": name}));
}

fn deny_execution_role(em: &Emulator, action: &str) {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": action, "Resource": "*"}]});
    em.aws(
        "iam",
        "put_role_policy",
        &json!({"RoleName": EXECUTION_ROLE, "PolicyName": "deny", "PolicyDocument": policy.to_string()}),
    );
}

/// A deploy the preflight stopped: exit 2, nothing written, the problems listed in the error,
/// the log and the summary.
fn assert_stopped(em: &Emulator, run: &Run, problems: &[&str]) {
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "failed");
    assert!(em.writes().is_empty(), "no write: {:?}", em.writes());
    let reason = run.output("failure-reason");
    let count = if problems.len() == 1 {
        "the preflight found 1 problem ".to_string()
    } else {
        format!("the preflight found {} problems ", problems.len())
    };
    assert!(reason.starts_with(&count), "{reason}");
    for problem in problems {
        assert!(reason.contains(problem), "{problem}\n in {reason}");
        assert!(
            run.summary.contains(problem),
            "{problem}\n in {}",
            run.summary
        );
    }
    // The annotation lists them one per line (the output is one line).
    let annotation = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error title="))
        .expect("an error annotation");
    assert_eq!(
        annotation.matches("%0A- ").count(),
        problems.len(),
        "{annotation}"
    );
}

type Setup = fn(&Emulator);

/// A finding: its name, how the world is broken, the deploy's inputs, the problem it names.
type Finding = (
    &'static str,
    Setup,
    &'static [(&'static str, &'static str)],
    &'static str,
);

fn findings() -> [Finding; 10] {
    [
        (
            "a secret that does not exist",
            |em| {
                em.aws(
                    "secretsmanager",
                    "delete_secret",
                    &json!({"SecretId": "shop-dev-db", "ForceDeleteWithoutRecovery": true}),
                );
            },
            &[],
            "Secrets Manager secret `arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-dev-db` (container `app`, `DB_PASSWORD`) does not exist",
        ),
        (
            "a secret scheduled for deletion",
            |em| {
                em.aws(
                    "secretsmanager",
                    "delete_secret",
                    &json!({"SecretId": "shop-dev-db", "RecoveryWindowInDays": 7}),
                );
            },
            &[],
            "(container `app`, `DB_PASSWORD`) is scheduled for deletion: its value cannot be read",
        ),
        (
            "a version stage the secret does not have",
            |_| {},
            &[(
                "secrets",
                "DB_PASSWORD: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-dev-db:password:AWSPENDING:'",
            )],
            "(container `app`, `DB_PASSWORD`) has no version labelled `AWSPENDING`",
        ),
        (
            "an SSM parameter that does not exist",
            |_| {},
            &[("secrets", "API_TOKEN: /shop/dev/api-token")],
            "SSM parameter `/shop/dev/api-token` (container `app`, `API_TOKEN`) does not exist",
        ),
        (
            "an execution role that does not exist",
            |em| delete_role(em, EXECUTION_ROLE),
            &[],
            "execution role `shop-dev-execution` does not exist",
        ),
        (
            "a task role ECS tasks cannot assume",
            |em| {
                let lambda = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
                em.aws(
                    "iam",
                    "update_assume_role_policy",
                    &json!({"RoleName": "shop-dev-task", "PolicyDocument": lambda.to_string()}),
                );
            },
            &[],
            "task role `shop-dev-task` cannot be assumed by ECS tasks: its trust policy does not allow `ecs-tasks.amazonaws.com`",
        ),
        (
            "a log group that does not exist",
            |em| {
                em.aws(
                    "logs",
                    "delete_log_group",
                    &json!({"logGroupName": "/ecs/shop-dev"}),
                );
            },
            &[],
            "log group `/ecs/shop-dev` (container `app`) does not exist in us-east-1: create it, or set the log option `awslogs-create-group` to `true`",
        ),
        (
            "an execution role denied the secret",
            |em| deny_execution_role(em, "secretsmanager:GetSecretValue"),
            &[],
            "execution role `shop-dev-execution` is denied `secretsmanager:GetSecretValue` on `arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-dev-db-",
        ),
        (
            "an execution role not allowed a parameter",
            |em| {
                em.aws(
                    "ssm",
                    "put_parameter",
                    &json!({"Name": "/shared/api-token", "Value": "x", "Type": "SecureString"}),
                );
            },
            &[("secrets", "API_TOKEN: /shared/api-token")],
            "execution role `shop-dev-execution` is not allowed `ssm:GetParameters` on `arn:aws:ssm:us-east-1:123456789012:parameter/shared/api-token`: tasks will fail to start",
        ),
        (
            "an execution role that may not pull",
            |em| deny_execution_role(em, "ecr:BatchGetImage"),
            &[],
            "execution role `shop-dev-execution` is denied `ecr:BatchGetImage` on `arn:aws:ecr:us-east-1:123456789012:repository/shop-api`",
        ),
    ]
}

/// The ten cases in three groups at once (they wait on the emulator, not the CPU), each case on a
/// fresh emulator.
#[test]
fn each_finding_alone_stops_the_deploy_before_any_write() {
    let findings = findings();
    std::thread::scope(|scope| {
        let groups: Vec<_> = findings
            .chunks(4)
            .map(|group| {
                scope.spawn(move || {
                    for (name, setup, inputs, problem) in group {
                        let em = Emulator::start(&["dev"]);
                        setup(&em);
                        let run = deploy_dev(&em, inputs);
                        eprintln!("case: {name}");
                        assert_stopped(&em, &run, &[problem]);
                    }
                })
            })
            .collect();
        for group in groups {
            if let Err(panic) = group.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// An image the deploy did not choose (a sidecar the template keeps) is looked up in ECR too.
#[test]
fn a_sidecar_image_missing_from_ecr_is_a_finding() {
    let em = Emulator::start(&["dev"]);
    let template = format!(
        "family: shop-dev-service\nnetworkMode: awsvpc\nrequiresCompatibilities: [FARGATE]\ncpu: 256\nmemory: 512\ncontainerDefinitions:\n  - name: app\n    image: {REPO_URI}:v1\n    essential: true\n  - name: metrics\n    image: {REPO_URI}:metrics-gone\n    essential: false\n"
    );
    let run = crate::support::ActionRun::new(
        Some(&em),
        &crate::support::dev_inputs(&[("template", "deploy/taskdef.yaml")]),
    )
    .file("deploy/taskdef.yaml", &template)
    .run();
    assert_stopped(
        &em,
        &run,
        &[&format!(
            "image `{REPO_URI}:metrics-gone` (container `metrics`) is not in ECR"
        )],
    );
}

/// `repositoryCredentials.credentialsParameter` may name a Secrets Manager secret of the task's
/// region by name: it is looked up as a secret (not an SSM parameter), and a missing one is
/// named.
#[test]
fn registry_credentials_by_secret_name_are_looked_up_as_secrets() {
    let em = Emulator::start(&["dev"]);
    let template = format!(
        "family: shop-dev-service\nnetworkMode: awsvpc\nrequiresCompatibilities: [FARGATE]\ncpu: 256\nmemory: 512\n\
         containerDefinitions:\n  - name: app\n    image: {REPO_URI}:v1\n    essential: true\n\
         \x20 - name: proxy\n    image: registry.example.com/proxy:1\n    essential: false\n    repositoryCredentials: {{credentialsParameter: shop-dev-db}}\n\
         \x20 - name: agent\n    image: registry.example.com/agent:1\n    essential: false\n    repositoryCredentials: {{credentialsParameter: hub-creds-gone}}\n"
    );
    let run = crate::support::ActionRun::new(
        Some(&em),
        &crate::support::dev_inputs(&[("template", "deploy/taskdef.yaml")]),
    )
    .file("deploy/taskdef.yaml", &template)
    .run();
    assert_stopped(
        &em,
        &run,
        &[
            "Secrets Manager secret `hub-creds-gone` (container `agent`, `repositoryCredentials`) does not exist",
        ],
    );
    assert_eq!(em.count("DescribeSecret"), 2, "{:?}", em.calls());
    assert!(!run.output("failure-reason").contains("SSM parameter"));
}

/// A secret named by its full ARN is asked about as written, before `DescribeSecret` answers:
/// a role denied it is still a problem, named once.
#[test]
fn a_role_denied_a_secret_named_by_its_full_arn_is_a_finding() {
    let em = Emulator::start(&["dev"]);
    let secret = em.name_secret_by_full_arn();
    deny_execution_role(&em, "secretsmanager:GetSecretValue");
    let run = deploy_dev(&em, &[("environment-variables", "X: 1")]);
    let problem = format!(
        "execution role `shop-dev-execution` is denied `secretsmanager:GetSecretValue` on `{secret}`"
    );
    assert_stopped(&em, &run, &[&problem]);
    assert_eq!(run.output("failure-reason").matches(&problem).count(), 1);
}

#[test]
fn every_finding_at_once_is_one_error_naming_each() {
    let em = Emulator::start(&["dev"]);
    em.aws(
        "secretsmanager",
        "delete_secret",
        &json!({"SecretId": "shop-dev-db", "ForceDeleteWithoutRecovery": true}),
    );
    delete_role(&em, "shop-dev-task");
    em.aws(
        "logs",
        "delete_log_group",
        &json!({"logGroupName": "/ecs/shop-dev"}),
    );
    // A value pasted where a parameter name belongs: said, never repeated.
    let run = deploy_dev(
        &em,
        &[(
            "secrets",
            "API_TOKEN: /shop/dev/api-token\nPASTED: hunter2-the-real-password",
        )],
    );
    assert_stopped(
        &em,
        &run,
        &[
            "Secrets Manager secret `arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-dev-db` (container `app`, `DB_PASSWORD`) does not exist",
            "SSM parameter `/shop/dev/api-token` (container `app`, `API_TOKEN`) does not exist",
            "SSM parameter (container `app`, `PASTED`) does not exist",
            "task role `shop-dev-task` does not exist",
            "log group `/ecs/shop-dev` (container `app`) does not exist",
        ],
    );
    for text in [&run.stdout, &run.stderr, &run.summary_md] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    let findings: serde_json::Value =
        serde_json::from_str(run.output("preflight-findings")).unwrap();
    assert_eq!(findings["problems"].as_array().unwrap().len(), 5);
    assert!(findings["checks"].as_u64().unwrap() >= 5, "{findings}");
    assert!(!run.output("preflight-findings").contains("hunter2"));
    // Each check is a read, made at once: one DescribeParameters for both parameters.
    assert_eq!(em.count("DescribeParameters"), 1, "{:?}", em.calls());
    assert_eq!(em.count("RegisterTaskDefinition"), 0);
    crate::pin!("preflight_every_finding", run);
}

#[test]
fn a_read_the_deploy_role_may_not_make_is_a_warning_naming_the_permission() {
    let em = Emulator::start(&["dev"]);
    em.fault("DescribeSecret", "denied", &json!({"times": -1}));
    em.fault("DescribeLogGroups", "denied", &json!({"times": -1}));
    em.fault("SimulatePrincipalPolicy", "denied", &json!({"times": -1}));
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "deployed");
    for warning in [
        "Secrets Manager secrets were not checked: the deploy role may not call secretsmanager:DescribeSecret",
        "log groups were not checked: the deploy role may not call logs:DescribeLogGroups",
    ] {
        assert!(
            run.stdout
                .contains(&format!("::warning title=Preflight::{warning}")),
            "{warning}: {}",
            run.stdout
        );
        assert!(run.summary.contains(warning), "{}", run.summary);
    }
    // Said once, as a warning: what the simulator would have found can still stop the tasks.
    let warning = "the execution role's permissions were not checked: the deploy role may not call iam:SimulatePrincipalPolicy";
    assert_eq!(run.stdout.matches(warning).count(), 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("::warning title=Preflight::{warning}")),
        "{}",
        run.stdout
    );
    let findings: serde_json::Value =
        serde_json::from_str(run.output("preflight-findings")).unwrap();
    assert!(
        findings["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == warning),
        "{findings}"
    );
    assert!(run.summary.contains(warning), "{}", run.summary);
    assert!(!run.stdout.contains("does not exist"), "{}", run.stdout);
}

/// `iam:GetRole` denied, the simulator allowed: the execution role's permissions are still
/// simulated, by the ARN the task definition gives, and a denial it finds stops the deploy.
#[test]
fn a_denied_get_role_still_simulates_the_execution_roles_permissions() {
    let em = Emulator::start(&["dev"]);
    em.fault("GetRole", "denied", &json!({"times": -1}));
    deny_execution_role(&em, "secretsmanager:GetSecretValue");
    let run = deploy_dev(&em, &[]);
    assert_stopped(
        &em,
        &run,
        &[
            "execution role `shop-dev-execution` is denied `secretsmanager:GetSecretValue` on `arn:aws:secretsmanager:us-east-1:123456789012:secret:shop-dev-db-",
        ],
    );
    assert!(
        run.stdout.contains(
            "::warning title=Preflight::roles were not checked: the deploy role may not call iam:GetRole"
        ),
        "{}",
        run.stdout
    );
    assert!(
        em.bodies_raw("SimulatePrincipalPolicy")
            .iter()
            .all(|b| b.contains(
                "PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fshop-dev-execution"
            )),
        "{:?}",
        em.bodies_raw("SimulatePrincipalPolicy")
    );
}

/// What a resource policy could still allow is a warning, not a problem: a customer managed KMS
/// key the execution role's own policies do not let it use (the key policy may).
#[test]
fn a_key_only_its_key_policy_could_allow_is_a_warning() {
    let em = Emulator::start(&["dev"]);
    let key = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    em.aws(
        "ssm",
        "put_parameter",
        &json!({"Name": "/shop/dev/api-token", "Value": "x", "Type": "SecureString", "KeyId": key}),
    );
    let run = deploy_dev(&em, &[("secrets", "API_TOKEN: /shop/dev/api-token")]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let warning = format!(
        "execution role `shop-dev-execution`'s own policies do not allow `kms:Decrypt` on `arn:aws:kms:us-east-1:123456789012:key/{key}`: unless the key policy does, tasks will fail to start"
    );
    assert!(run.stdout.contains(&warning), "{}", run.stdout);
    assert!(run.summary.contains(&warning), "{}", run.summary);
    // The parameter itself is readable: its ARN was simulated, and allowed.
    let asked: Vec<String> = em
        .bodies_raw("SimulatePrincipalPolicy")
        .into_iter()
        .filter(|b| b.contains("ssm%3AGetParameters"))
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0].contains("parameter%2Fshop%2Fdev%2Fapi-token"),
        "{asked:?}"
    );
}

#[test]
fn verify_checks_and_changes_nothing() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(&em, &[("command", "verify")]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "verified");
    assert!(em.writes().is_empty(), "{:?}", em.writes());
    assert!(
        run.summary
            .starts_with("## 🔎 Verified shop-dev-service in dev: ready to deploy"),
        "{}",
        run.summary
    );
    // Roles, the secret, the log group, the permissions (the sidecar's public image is said).
    for op in [
        "GetRole",
        "DescribeSecret",
        "DescribeLogGroups",
        "SimulatePrincipalPolicy",
    ] {
        assert!(em.count(op) >= 1, "{op}: {:?}", em.calls());
    }
    assert!(
        run.summary.contains(
            "image `public.ecr.aws/aws-observability/aws-for-fluent-bit:stable` (container `log-router`) is not in ECR: not checked"
        ),
        "{}",
        run.summary
    );
    crate::pin!("verify_ready", run);
    em.aws(
        "logs",
        "delete_log_group",
        &json!({"logGroupName": "/ecs/shop-dev"}),
    );
    em.reset_calls();
    let run = deploy_dev(&em, &[("command", "verify")]);
    assert_stopped(
        &em,
        &run,
        &["log group `/ecs/shop-dev` (container `app`) does not exist"],
    );
    // Verify checks even when nothing would change, and even with `preflight: false`.
    deploy_dev(&em, &[("preflight", "false")]);
    em.reset_calls();
    let run = deploy_dev(&em, &[("command", "verify"), ("preflight", "false")]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(em.writes().is_empty(), "{:?}", em.writes());
}

#[test]
fn preflight_false_deploys_without_checking() {
    let em = Emulator::start(&["dev"]);
    delete_role(&em, "shop-dev-task");
    let run = deploy_dev(&em, &[("preflight", "false")]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("preflight-findings"), "");
    for op in ["GetRole", "DescribeSecret", "DescribeLogGroups"] {
        assert_eq!(em.count(op), 0, "{op}");
    }
    assert!(!run.summary.contains("| Preflight |"), "{}", run.summary);
}

#[test]
fn a_deploy_that_changes_nothing_checks_nothing() {
    let em = Emulator::start(&["dev"]);
    let inputs = [("one-off-task", "command: [migrate]")];
    let first = deploy_dev(&em, &inputs);
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert!(em.count("GetRole") >= 1);
    em.reset_calls();
    let again = deploy_dev(&em, &inputs);
    assert_eq!(again.output("status"), "unchanged", "{}", again.stdout);
    for op in ["GetRole", "DescribeSecret", "DescribeLogGroups", "RunTask"] {
        assert_eq!(em.count(op), 0, "{op}: {:?}", em.calls());
    }
}

/// A crash loop: the summary shows what the application printed last, newest failure first, its
/// environment values masked, and the runner was asked to mask them before they were printed.
#[test]
fn a_crash_loop_shows_the_applications_last_lines_masked() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.1, "interval": 0.3, "exit_code": 1}),
    );
    let run = deploy_dev(
        &em,
        &[("environment-variables", "API_KEY: sk-live-0123456789")],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.summary
            .contains("### What the failed tasks printed last")
            && run.summary.contains(
                "> hint: see the stopped tasks, what they printed last and the service events"
            ),
        "{}",
        run.summary
    );
    for shown in [
        "config API_KEY=***",
        "config PORT=***",
        "Error: connect ECONNREFUSED 10.0.2.15:5432",
        "process exited with code 1",
    ] {
        assert!(run.summary.contains(shown), "{shown}: {}", run.summary);
        assert!(run.stdout.contains(shown), "{shown}: {}", run.stdout);
    }
    let printed: String = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    for text in [
        &printed,
        &run.summary_md,
        &run.output("failure-reason").to_string(),
    ] {
        assert!(!text.contains("sk-live-0123456789"), "{text}");
    }
    let mask = run
        .stdout
        .find("::add-mask::sk-live-0123456789")
        .expect("the value is masked by the runner too");
    let first_line = run.stdout.find("config API_KEY=***").unwrap();
    assert!(mask < first_line, "{}", run.stdout);
    // At most three tasks, newest first, as the stopped tasks are listed.
    let shown: Vec<&str> = run
        .summary
        .lines()
        .filter(|l| l.starts_with("**app** in task "))
        .collect();
    assert!(!shown.is_empty() && shown.len() <= 3, "{}", run.summary);
    let stopped_first = run
        .summary
        .split("### Stopped tasks")
        .nth(1)
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("| ") && !l.starts_with("| Task"))
        })
        .map(|l| l.split('|').nth(1).unwrap().trim().to_string())
        .unwrap();
    assert!(
        shown[0].contains(&stopped_first),
        "{shown:?} {stopped_first}"
    );
    assert!(em.count("GetLogEvents") >= 1 && em.count("GetLogEvents") <= 3);
}

#[test]
fn task_logs_lines_zero_reads_and_shows_no_logs() {
    let em = Emulator::start(&["dev"]);
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.1, "interval": 0.3, "exit_code": 1}),
    );
    let run = deploy_dev(&em, &[("task-log-lines", "0")]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(em.count("GetLogEvents"), 0);
    assert!(!run.summary.contains("printed last"), "{}", run.summary);
    assert!(!run.stdout.contains("::add-mask::"), "{}", run.stdout);
    let refused = deploy_dev(&em, &[("task-log-lines", "201")]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.output("failure-reason").contains("task-log-lines"),
        "{}",
        refused.output("failure-reason")
    );
}

/// What an application prints is untrusted: no workflow command, Markdown or HTML in it works.
#[test]
fn hostile_log_lines_are_inert_in_the_log_and_the_summary() {
    let em = Emulator::start(&["dev"]);
    let hostile = [
        "::error title=pwned::the deploy succeeded",
        "::add-mask::ECONNREFUSED",
        "##[group]fake",
        "</pre><img src=x onerror=alert(1)>",
        "[click](https://e.vil) | a | b |",
    ];
    em.scenario_with(
        CLUSTER,
        SERVICE,
        &json!({"outcome": "crash", "delay": 0.1, "interval": 0.3, "exit_code": 1, "log": hostile}),
    );
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    let mut fence: Option<String> = None;
    for line in run.stdout.lines() {
        if let Some(token) = line.strip_prefix("::stop-commands::") {
            fence = Some(token.to_string());
            continue;
        }
        if fence.as_deref().is_some_and(|t| line == format!("::{t}::")) {
            fence = None;
            continue;
        }
        if line.contains("pwned") || line.contains("fake") {
            assert!(
                fence.is_some() && !line.starts_with("::") && !line.starts_with("##["),
                "inert and fenced: {line}"
            );
        }
    }
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.starts_with("::add-mask::ECONNREFUSED")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Error: connect ECONNREFUSED"),
        "the application cannot mask our output: {}",
        run.stdout
    );
    for raw in ["<img", "</pre><", "[click](https"] {
        assert!(!run.summary_md.contains(raw), "{raw}: {}", run.summary_md);
    }
    assert!(
        run.summary.contains("</pre><img src=x onerror=alert(1)>"),
        "shown as text: {}",
        run.summary
    );
}

/// A stalled read holds neither the preflight nor the failure report: each is bounded (10 s a
/// check, 5 s for the logs), said, and the rest is done. On the model, on a paused clock.
mod stalls {
    use std::collections::HashSet;

    use ecs_ship::cloud::{Region, TaskDefinitions};
    use ecs_ship::domain::states::StopCode;
    use ecs_ship::domain::task::{ContainerExit, StoppedTask};
    use ecs_ship::preflight::{ANSWER_WITHIN, Account, Subject};
    use serde_json::json;
    use tokio::time::Instant;

    use crate::model::{ACCOUNT, Model};

    fn task_definition() -> serde_json::Value {
        json!({
            "taskDefinitionArn": format!("arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/api:1"),
            "family": "api",
            "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/exec"),
            "containerDefinitions": [{
                "name": "app",
                "image": "nginx:1.27",
                "essential": true,
                "environment": [{"name": "TOKEN", "value": "tok-123456"}],
                "secrets": [{"name": "DB", "valueFrom": format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db")}],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/api", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app"}},
            }],
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_preflight_read_is_a_warning_after_its_bound() {
        let model = Model::new(&["api"]);
        model.add_secret(&format!(
            "arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db"
        ));
        model.add_role("exec");
        model.add_log("/ecs/api", None);
        model.hang_next("DescribeSecret");
        let td = task_definition();
        let started = Instant::now();
        let found = ecs_ship::preflight::run(
            &model,
            &[Subject {
                label: "service `api`",
                task_definition: &td,
            }],
            &Account {
                region: model.region(),
                id: ACCOUNT,
                images_checked: &HashSet::new(),
            },
        )
        .await;
        assert_eq!(started.elapsed(), ANSWER_WITHIN);
        assert_eq!(found.problems, Vec::<String>::new());
        // The role and the log group were checked meanwhile; the simulator is denied (said
        // once, a warning: what it would have found can still stop the tasks).
        assert_eq!(
            found.warnings,
            [
                "Secrets Manager secrets could not be checked: no answer within 10 s",
                "the execution role's permissions were not checked: the deploy role may not call iam:SimulatePrincipalPolicy"
            ]
        );
        assert_eq!(found.checks, 3, "{found:?}");
        assert_eq!(
            found.notes,
            ["image `nginx:1.27` (container `app`) is not in ECR: not checked"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stalled_task_logs_are_said_after_five_seconds_and_the_rest_is_shown() {
        let model = Model::new(&["api"]);
        // A revision that logs with awslogs (the model's own revision 1 does not log).
        let mut body = task_definition();
        body.as_object_mut().unwrap().remove("taskDefinitionArn");
        let td_arn = model.register_task_definition(&body).await.unwrap();
        let task = |id: &str| StoppedTask {
            arn: format!("arn:aws:ecs:us-east-1:{ACCOUNT}:task/main/{id}"),
            task_definition: td_arn.clone(),
            stop_code: Some(StopCode::EssentialContainerExited),
            containers: vec![ContainerExit {
                name: "app".into(),
                exit_code: Some(1),
                reason: None,
            }],
            ..StoppedTask::default()
        };
        model.add_log(
            "/ecs/api",
            Some((
                "app/app/older",
                &["boot", "TOKEN=tok-123456 rejected", "exit 1"],
            )),
        );
        model.hang_next("GetLogEvents");
        let started = Instant::now();
        let tasks = [task("newer"), task("older")];
        let read = ecs_ship::gather::task_logs::read(&model, &tasks, 30).await;
        assert_eq!(started.elapsed(), ecs_ship::gather::task_logs::READ_WITHIN);
        let shown: Vec<(&str, Option<&str>, Vec<&str>)> = read
            .logs
            .iter()
            .map(|l| {
                (
                    l.task_id.as_str(),
                    l.unread.as_deref(),
                    l.lines.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        // The newest task's read (started first) hangs; the older one is read meanwhile, masked.
        assert_eq!(
            shown,
            [
                (
                    "newer",
                    Some("its log could not be read: no answer within 5 s"),
                    vec![]
                ),
                ("older", None, vec!["boot", "TOKEN=*** rejected", "exit 1"]),
            ]
        );
        assert_eq!(read.masks, ["tok-123456"]);
    }
}

/// Probes beside real task definitions: what ECS and its drivers accept must never be a
/// problem. On the model, on a paused clock.
mod probes {
    use std::collections::HashSet;

    use ecs_ship::cloud::{Images, Region};
    use ecs_ship::preflight::{Account, Preflight, Subject};
    use serde_json::{Value, json};

    use crate::model::{ACCOUNT, Model};

    /// A task definition of `containers`, with the model's role `exec` as execution role.
    fn task_definition(containers: &Value) -> Value {
        json!({
            "family": "api",
            "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/exec"),
            "containerDefinitions": containers,
        })
    }

    async fn preflight(model: &Model, td: &Value) -> Preflight {
        ecs_ship::preflight::run(
            model,
            &[Subject {
                label: "service `api`",
                task_definition: td,
            }],
            &Account {
                region: model.region(),
                id: ACCOUNT,
                images_checked: &HashSet::new(),
            },
        )
        .await
    }

    fn logging(group: &str, create: &str) -> Value {
        json!({"logDriver": "awslogs", "options": {"awslogs-group": group,
            "awslogs-region": "us-east-1", "awslogs-stream-prefix": "app",
            "awslogs-create-group": create}})
    }

    /// The awslogs driver reads `awslogs-create-group` with Go's `strconv.ParseBool`: `1` and
    /// `t` create the group; a value it cannot read is a warning, never a silent guess.
    #[tokio::test(start_paused = true)]
    async fn awslogs_create_group_is_read_as_the_driver_reads_it() {
        let model = Model::new(&["api"]);
        model.add_role("exec");
        for create in ["1", "t", "True"] {
            let td = task_definition(&json!([{"name": "app", "image": "nginx:1.27",
                "logConfiguration": logging("/ecs/not-yet", create)}]));
            let found = preflight(&model, &td).await;
            assert_eq!(found.problems, Vec::<String>::new(), "{create}");
            assert!(
                !found.warnings.iter().any(|w| w.contains("awslogs")),
                "{create}: {found:?}"
            );
        }
        let td = task_definition(&json!([{"name": "app", "image": "nginx:1.27",
            "logConfiguration": logging("/ecs/not-yet", "yes")}]));
        let found = preflight(&model, &td).await;
        assert_eq!(
            found.problems,
            [
                "log group `/ecs/not-yet` (container `app`) does not exist in us-east-1: create it, or set the log option `awslogs-create-group` to `true`"
            ]
        );
        assert!(
            found.warnings.contains(&"log option `awslogs-create-group` of container `app` is `yes`, which the awslogs driver does not read as a boolean (`true`, `false`, `1`, `0`, `t`, `f`): tasks may fail to start".to_string()),
            "{found:?}"
        );
    }

    /// An image of the account's ECR without a tag is `latest`, as ECS pulls it: checked, not
    /// said "not checked".
    #[tokio::test(start_paused = true)]
    async fn an_ecr_image_without_a_tag_is_checked_as_latest() {
        let model = Model::new(&["api"]);
        model.add_role("exec");
        let image = format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/api");
        let td = task_definition(&json!([{"name": "app", "image": image}]));
        let found = preflight(&model, &td).await;
        assert_eq!(
            found.problems,
            [format!("image `{image}` (container `app`) is not in ECR")]
        );
        assert_eq!(found.notes, Vec::<String>::new());
        let repository = ecs_ship::cloud::Repository {
            name: "api".into(),
            registry_id: None,
            region: None,
        };
        model
            .tag_image(&repository, &format!("sha256:{}", "1".repeat(64)), "latest")
            .await
            .unwrap();
        let found = preflight(&model, &td).await;
        assert_eq!(found.problems, Vec::<String>::new(), "{found:?}");
        assert_eq!(found.notes, Vec::<String>::new(), "{found:?}");
        assert_eq!(model.calls("DescribeImages").len(), 2);
    }

    /// An image of a repository an ECR pull-through cache rule fills, never pulled yet, is
    /// fetched on the first pull: a note, not "not in ECR". A missing image elsewhere still is.
    #[tokio::test(start_paused = true)]
    async fn a_pull_through_cache_image_not_pulled_yet_is_fetched_on_first_pull() {
        let model = Model::new(&["api"]);
        model.add_role("exec");
        model.pull_through("docker-hub", "registry-1.docker.io");
        let registry = format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com");
        let td = task_definition(&json!([
            {"name": "app", "image": format!("{registry}/docker-hub/library/busybox:1.36")},
            {"name": "side", "image": format!("{registry}/docker-hubx/busybox:1.36")},
        ]));
        let found = preflight(&model, &td).await;
        assert_eq!(
            found.problems,
            [format!(
                "image `{registry}/docker-hubx/busybox:1.36` (container `side`) is not in ECR"
            )]
        );
        assert!(
            found.notes.contains(&format!("image `{registry}/docker-hub/library/busybox:1.36` (container `app`) is not in ECR yet: its pull-through cache rule `docker-hub` fetches it from `registry-1.docker.io` on the first pull")),
            "{found:?}"
        );
        assert_eq!(model.calls("DescribePullThroughCacheRules").len(), 1);
        // Nothing missing: the rules are not read.
        let td = task_definition(&json!([{"name": "app", "image": "nginx:1.27"}]));
        preflight(&model, &td).await;
        assert_eq!(model.calls("DescribePullThroughCacheRules").len(), 1);
    }

    /// What lives in another account is that account's business: its secret, image and roles
    /// answer `AccessDenied` (their resource policies decide), which is said as "in another
    /// account, not checked", never as a permission the deploy role lacks; and another account's
    /// role is never looked up by its name here.
    #[tokio::test(start_paused = true)]
    async fn another_accounts_resources_are_said_unchecked_and_not_looked_up_here() {
        let model = Model::new(&["api"]);
        model.add_role("exec");
        // A role of the same name in the deploy's account must not answer for theirs.
        model.add_role("shared-task");
        let other = "999999999999";
        let mut td = task_definition(&json!([{
            "name": "app",
            "image": format!("{other}.dkr.ecr.us-east-1.amazonaws.com/base:1"),
            "secrets": [{"name": "DB", "valueFrom": format!("arn:aws:secretsmanager:us-east-1:{other}:secret:shared-db-AbCdEf")}],
        }]));
        td["taskRoleArn"] = json!(format!("arn:aws:iam::{other}:role/shared-task"));
        let found = preflight(&model, &td).await;
        assert_eq!(found.problems, Vec::<String>::new(), "{found:?}");
        // (The model's simulator is denied: that warning is about our own execution role.)
        assert!(
            !found
                .warnings
                .iter()
                .any(|w| w.contains("DescribeSecret") || w.contains("DescribeImages")),
            "{found:?}"
        );
        for note in [
            format!(
                "image `{other}.dkr.ecr.us-east-1.amazonaws.com/base:1` (container `app`) is in another account: not checked (its repository policy decides who may pull it)"
            ),
            format!(
                "Secrets Manager secret `arn:aws:secretsmanager:us-east-1:{other}:secret:shared-db-AbCdEf` (container `app`, `DB`) is in another account: not checked (its resource policy decides who may read it)"
            ),
            format!(
                "task role `arn:aws:iam::{other}:role/shared-task` is in another account: not checked"
            ),
        ] {
            assert!(found.notes.contains(&note), "{note}\n{found:?}");
        }
        assert_eq!(model.calls("GetRole").len(), 1, "only our execution role");
    }
}
