//! End to end: the real binary, run as the runner runs it, against moto on loopback.

use crate::support::{Emulator, REPO_URI, deploy_dev, revision, run_action};
use serde_json::Value;

const PREFIX: &str = crate::support::SSM_PREFIX;

fn explicit(em: &Emulator, env: &str) -> Vec<(&'static str, String)> {
    vec![
        ("cluster", em.env(env, "cluster")),
        ("services", em.env(env, "service")),
    ]
}

fn inputs<'a>(
    base: &'a [(&'static str, String)],
    more: &[(&'static str, &'a str)],
) -> Vec<(&'static str, &'a str)> {
    base.iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(more.iter().copied())
        .collect()
}

fn container<'a>(td: &'a Value, name: &str) -> &'a Value {
    td["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
}

fn env_value<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["environment"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)?["value"]
        .as_str()
}

/// What went over the wire keeps every field of the live revision, read-only ones removed.
fn assert_sent_keeps_every_field(em: &Emulator) {
    let sent = em
        .bodies("RegisterTaskDefinition")
        .pop()
        .expect("one registration");
    for field in [
        "runtimePlatform",
        "ephemeralStorage",
        "volumes",
        "tags",
        "cpu",
        "memory",
        "networkMode",
        "executionRoleArn",
        "taskRoleArn",
        "requiresCompatibilities",
    ] {
        assert!(sent.get(field).is_some(), "`{field}` was dropped: {sent}");
    }
    for field in [
        "taskDefinitionArn",
        "revision",
        "status",
        "compatibilities",
        "registeredAt",
        "requiresAttributes",
    ] {
        assert!(sent.get(field).is_none(), "read-only `{field}` was sent");
    }
    assert_eq!(
        sent["tags"],
        serde_json::json!([
            {"key": "app", "value": "shop"},
            {"key": "ecs-ship:previous-task-definition", "value": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-dev-service:1"},
            {"key": "ecs-ship:image-tag", "value": "v2"}
        ]),
        "existing tags kept; the new revision records what it replaced"
    );
}

#[test]
fn happy_path_registers_pins_the_digest_keeps_every_field_and_waits_for_completion() {
    let em = Emulator::start(&["dev"]);
    let names = explicit(&em, "dev");
    let run = run_action(
        Some(&em),
        &inputs(
            &names,
            &[
                ("environment", "dev"),
                ("image-tag", "v2"),
                (
                    "environment-variables",
                    r#"{"FEATURE_X": "on", "RATIO": 1.10, "LOG_LEVEL": "debug"}"#,
                ),
            ],
        ),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "deployed");
    assert_eq!(run.output("changed"), "true");
    assert_eq!(revision(run.output("task-definition-arn")), "2");
    assert_eq!(revision(run.output("previous-task-definition-arn")), "1");
    let digest = run.output("image-digest");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    assert_eq!(run.output("image"), format!("{REPO_URI}@{digest}"));

    let state = em.state("dev");
    assert_eq!(
        state["service"]["taskDefinition"],
        run.output("task-definition-arn")
    );
    let primary = &state["service"]["deployments"][0];
    assert_eq!(
        (primary["status"].as_str(), primary["rolloutState"].as_str()),
        (Some("PRIMARY"), Some("COMPLETED"))
    );
    let live = &state["live"]["taskDefinition"];
    let app = container(live, "app");
    assert_eq!(app["image"], run.output("image"));
    assert_eq!(env_value(app, "FEATURE_X"), Some("on"));
    assert_eq!(env_value(app, "RATIO"), Some("1.10"), "exact text kept");
    assert_eq!(env_value(app, "LOG_LEVEL"), Some("debug"));
    assert_eq!(
        env_value(app, "PORT"),
        Some("8080"),
        "untouched variables stay"
    );
    assert_eq!(app["secrets"][0]["name"], "DB_PASSWORD");
    assert_eq!(
        container(live, "log-router")["image"],
        "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    );

    assert_sent_keeps_every_field(&em);
    crate::pin!("deploy_happy_path", run);

    assert!(
        run.summary
            .contains("## ✅ Deployed shop-dev-service to dev"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("added app/FEATURE_X"));
    assert!(
        run.stdout.contains("::group::"),
        "Actions mode groups its log"
    );
    for secret_value in ["debug", "1.10"] {
        assert!(
            !run.stdout.contains(&format!("{secret_value}\n"))
                && !run.summary.contains(secret_value),
            "value `{secret_value}` printed"
        );
    }
}

#[test]
fn ssm_prefix_alone_names_everything_read_in_one_batch() {
    let em = Emulator::start(&["dev"]);
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v3"),
            ("ssm-prefix", PREFIX),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "deployed");
    assert_eq!(em.count("GetParameters"), 1, "{:?}", em.calls());
    let live = &em.state("dev")["live"]["taskDefinition"];
    assert!(
        container(live, "app")["image"]
            .as_str()
            .unwrap()
            .starts_with(REPO_URI)
    );
    assert_eq!(
        live["executionRoleArn"],
        "arn:aws:iam::123456789012:role/shop-dev-execution"
    );
    // Exactly these calls, each once: the reads, one registration, one update, then polling.
    let calls = em.calls();
    for op in [
        "GetParameters",
        "DescribeImages",
        "DescribeTaskDefinition",
        "RegisterTaskDefinition",
        "UpdateService",
    ] {
        assert_eq!(
            calls.iter().filter(|c| *c == op).count(),
            1,
            "{op} in {calls:?}"
        );
    }
}

#[test]
fn unchanged_redeploy_registers_nothing_and_leaves_the_service_alone() {
    let em = Emulator::start(&["dev"]);
    let first = deploy_dev(&em, &[("environment-variables", "A: 1")]);
    assert_eq!(first.output("status"), "deployed");
    em.reset_calls();
    let again = deploy_dev(&em, &[("environment-variables", r#"{"A": "1"}"#)]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert_eq!(
        (again.output("status"), again.output("changed")),
        ("unchanged", "false")
    );
    assert_eq!(
        again.output("task-definition-arn"),
        first.output("task-definition-arn")
    );
    assert_eq!(
        em.count("RegisterTaskDefinition") + em.count("UpdateService"),
        0,
        "{:?}",
        em.calls()
    );
    assert_eq!(
        em.state("dev")["taskDefinitionArns"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(again.summary.contains("No change for"));
}

#[test]
fn missing_service_and_cluster_are_user_errors() {
    let em = Emulator::start(&["dev"]);
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("cluster", "shop-dev"),
            ("services", "nope"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("service `nope` was not found in cluster `shop-dev`"),
        "{}",
        run.stdout
    );
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("cluster", "nowhere"),
            ("services", "api"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("cluster `nowhere` was not found"),
        "{}",
        run.stdout
    );
    assert_eq!(
        em.count("RegisterTaskDefinition") + em.count("UpdateService"),
        0
    );
}

#[test]
fn a_hostile_tag_cannot_inject_outputs_commands_or_summary_markup() {
    let tag = "v1\n::set-output name=status::deployed\nstatus<<EOF\n<script>x</script>|";
    let run = run_action(None, &[("environment", "dev"), ("image-tag", tag)]);
    assert_eq!(run.code, 2);
    assert_eq!(run.output("status"), "failed");
    assert_eq!(run.outputs.iter().filter(|(n, _)| n == "status").count(), 1);
    for line in run.stdout.lines() {
        assert!(!line.starts_with("::set-output"), "{line}");
    }
    assert!(!run.summary_md.contains("<script>"), "{}", run.summary_md);
}

#[test]
fn dry_run_renders_and_diffs_but_changes_nothing() {
    let em = Emulator::start(&["dev"]);
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v3"),
            ("ssm-prefix", PREFIX),
            ("command", "verify"),
            ("environment-variables", "LOG_LEVEL: verbose-value"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        (
            run.output("status"),
            run.output("changed"),
            run.output("task-definition-arn")
        ),
        ("verified", "true", "")
    );
    assert!(
        run.stdout.contains("~ containerDefinitions[app].image"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"ephemeralStorage\""),
        "the rendered task definition is printed"
    );
    assert!(
        !run.stdout.contains("verbose-value") && !run.summary.contains("verbose-value"),
        "env values hidden"
    );
    assert!(
        run.stdout.contains("::stop-commands::"),
        "the rendered JSON is fenced from command parsing"
    );
    assert_eq!(
        em.count("RegisterTaskDefinition") + em.count("UpdateService"),
        0
    );
    crate::pin!("verify_dry_run", run);
}

#[test]
fn a_template_file_is_the_base_and_read_only_fields_in_it_are_dropped() {
    let em = Emulator::start(&["dev"]);
    let template = (
        "deploy/taskdef.yaml",
        format!(
            "taskDefinitionArn: arn:aws:ecs:us-east-1:123456789012:task-definition/shop-dev-service:1\nrevision: 1\nstatus: ACTIVE\nfamily: shop-dev-service\nnetworkMode: awsvpc\nrequiresCompatibilities: [FARGATE]\ncpu: 512\nmemory: 1024\ncontainerDefinitions:\n  - name: app\n    image: {REPO_URI}:v1\n    memory: 900\n    environment:\n      - name: FROM_TEMPLATE\n        value: \"yes\"\n"
        ),
    );
    let run = crate::support::ActionRun::new(
        Some(&em),
        &crate::support::dev_inputs(&[("template", template.0)]),
    )
    .file(template.0, &template.1)
    .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let sent = em.bodies("RegisterTaskDefinition").pop().unwrap();
    assert!(sent.get("revision").is_none() && sent.get("status").is_none());
    assert_eq!(sent["cpu"], 512);
    let live = &em.state("dev")["live"]["taskDefinition"];
    assert_eq!(
        env_value(container(live, "app"), "FROM_TEMPLATE"),
        Some("yes")
    );
    assert!(
        run.summary.contains("removed app/LOG_LEVEL"),
        "diff against the live revision: {}",
        run.summary
    );
}

#[test]
fn cli_mode_prints_plain_text_and_takes_the_same_option_names() {
    let em = Emulator::start(&["dev"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-ship"))
        .args([
            "verify",
            "--environment",
            "dev",
            "--image-tag",
            "v2",
            "--ssm-prefix",
            PREFIX,
        ])
        .env("AWS_ENDPOINT_URL", em.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        !stdout.lines().any(|l| l.starts_with("::")),
        "no workflow commands in CLI mode: {stdout}"
    );
    assert!(stdout.contains("Result: verified in"), "{stdout}");
}

#[test]
fn a_panic_still_leaves_outputs_a_summary_and_what_was_changed() {
    let em = Emulator::start(&["dev"]);
    let run = crate::support::ActionRun::new(Some(&em), &crate::support::dev_inputs(&[]))
        .env("ECS_SHIP_TEST_PANIC_AT", "after-register")
        .run();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "failed");
    let reason = run.output("failure-reason");
    assert!(
        reason.starts_with("ecs-ship stopped on an internal error at src/apply/register.rs:")
            && reason.contains("after it had registered `shop-dev-service:2`"),
        "{reason}"
    );
    assert!(
        !reason.contains("test panic"),
        "a formatted panic message is not printed"
    );
    assert_eq!(
        run.stderr.matches("::error title=Internal error::").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.summary.starts_with("## ❌ Deploy to dev failed"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("**Internal error:** ecs-ship stopped"));
    assert_eq!(em.count("UpdateService"), 0, "it stopped where it panicked");
}

#[test]
fn a_bare_image_name_that_is_an_ecr_repository_of_the_account_is_refused() {
    let em = Emulator::start(&["dev"]);
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image", "shop-api:v2"),
            ("ssm-prefix", PREFIX),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason").starts_with(
            "image `shop-api:v2` names no registry, so ECS would pull it from Docker Hub, but this account has an ECR repository `shop-api`"
        ),
        "{}",
        run.output("failure-reason")
    );
    assert!(
        run.stdout.contains(&format!(
            "hint: to deploy from ECR, give the full URI: `{REPO_URI}:v2`"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        em.count("RegisterTaskDefinition") + em.count("UpdateService"),
        0
    );
    // A Docker Hub image that is not an ECR repository here goes on, unchecked.
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image", "nginx:1.27"),
            ("ssm-prefix", PREFIX),
            ("container", "app"),
            ("wait", "false"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("image"), "nginx:1.27");
}

#[test]
fn the_production_gate_keys_on_the_target_not_only_the_environment_name() {
    let em = Emulator::start(&["dev", "production"]);
    // A dev deploy aimed at the production cluster and service (tagged environment=production):
    // refused after the reads, before any write.
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("cluster", "shop-production"),
            ("services", "shop-production-service"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "service `shop-production-service` is tagged `environment=production`, a production environment (`production`), and `confirm-production` is empty"
    );
    assert!(em.count("DescribeServices") > 0);
    assert_eq!(em.writes(), Vec::<String>::new());
    // The same with the confirmation goes through.
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("cluster", "shop-production"),
            ("services", "shop-production-service"),
            ("confirm-production", "DEPLOY TO PRODUCTION"),
            ("wait", "false"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);

    // An SSM prefix of production is refused before any AWS call.
    em.reset_calls();
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("ssm-prefix", "/shop/production/ecs"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason").starts_with(
            "SSM prefix `/shop/production/ecs` names production environment `production`"
        ),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(em.calls(), Vec::<String>::new());

    // So is a cluster the config file lists under production, named by the step.
    let run = crate::support::ActionRun::new(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("config", "ecs-ship.yml"),
            ("cluster", "shop-production"),
            ("services", "shop-dev-service"),
        ],
    )
    .file(
        "ecs-ship.yml",
        "environments:\n  dev:\n    cluster: shop-dev\n  live:\n    production: true\n    cluster: shop-production\n",
    )
    .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason").starts_with(
            "cluster `shop-production` belongs to production environment `live` in the config file"
        ),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(em.calls(), Vec::<String>::new());

    // A list of production environments with nothing in it is an error, not "no gate".
    let run = run_action(
        Some(&em),
        &[
            ("environment", "production"),
            ("image-tag", "v2"),
            ("production-environments", " , \n"),
        ],
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.output("failure-reason"),
        "`environments.production.production-environments` in config file `.github/ecs-ship-test.yml` names no environment"
    );
    assert_eq!(em.calls(), Vec::<String>::new());
}

#[test]
fn a_rollback_to_another_familys_revision_is_refused() {
    let em = Emulator::start(&["dev", "production"]);
    let run = run_action(
        Some(&em),
        &[
            ("command", "rollback"),
            ("environment", "dev"),
            ("ssm-prefix", PREFIX),
            ("revision", "shop-production-service:1"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "`revision` is of family `shop-production-service`, but service `shop-dev-service` runs family `shop-dev-service`"
    );
    assert_eq!(em.writes(), Vec::<String>::new());
    // And a rollback of the production service from a dev run is refused by its tags.
    let run = run_action(
        Some(&em),
        &[
            ("command", "rollback"),
            ("environment", "dev"),
            ("cluster", "shop-production"),
            ("services", "shop-production-service"),
            ("revision", "shop-production-service:1"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason")
            .starts_with("service `shop-production-service` is tagged `environment=production`"),
        "{}",
        run.output("failure-reason")
    );
    assert_eq!(em.writes(), Vec::<String>::new());
}

/// The `environment` of the service's live task definition's `app` container, by name.
fn live_environment(em: &Emulator) -> Vec<(String, String)> {
    let live = &em.state("dev")["live"]["taskDefinition"];
    container(live, "app")["environment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn variables_are_removed_or_replaced_as_asked_and_the_summary_says_which_by_name() {
    let em = Emulator::start(&["dev"]);
    // The seeded container has PORT=8080 and LOG_LEVEL=info.
    let run = deploy_dev(
        &em,
        &[("environment-variables", "FEATURE_X: ''\nLOG_LEVEL: ~")],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    assert_eq!(
        live_environment(&em),
        [
            ("PORT".to_string(), "8080".to_string()),
            ("FEATURE_X".to_string(), String::new())
        ],
        "LOG_LEVEL removed, an empty value kept as empty"
    );
    assert!(
        run.summary.contains("app/LOG_LEVEL") && run.summary.contains("removed"),
        "{}",
        run.summary
    );
    // As words: a generated ID can hold the digits 8080 (ecs-svc/…80801…) by chance.
    assert!(
        !crate::support::has_word(&run.summary, "8080")
            && !crate::support::has_word(&run.summary, "info"),
        "values never shown:\n{}",
        run.summary
    );
    let run = deploy_dev(
        &em,
        &[
            ("environment-variables", "ONLY: one"),
            ("environment-mode", "replace"),
        ],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    assert_eq!(
        live_environment(&em),
        [("ONLY".to_string(), "one".to_string())]
    );
    // A name taken out under `replace`: refused before any AWS call.
    em.reset_calls();
    let run = deploy_dev(
        &em,
        &[
            ("environment-variables", "ONLY: two\nOLD: ~"),
            ("environment-mode", "replace"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "input `environment-variables` takes a variable out (a null value), and `environment-mode` is `replace`"
    );
    assert!(em.calls().is_empty(), "{:?}", em.calls());
}

#[test]
fn service_options_ride_on_the_deploys_update_and_are_said_before_and_after() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(
        &em,
        &[(
            "service-settings",
            "propagate-tags: service\nexecute-command: true\necs-managed-tags: true",
        )],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let update = &em.bodies("UpdateService")[0];
    assert_eq!(update["propagateTags"], "SERVICE", "{update}");
    assert_eq!(update["enableExecuteCommand"], true, "{update}");
    assert_eq!(update["enableECSManagedTags"], true, "{update}");
    assert_eq!(em.count("UpdateService"), 1, "in the deploy's own update");
    assert!(
        run.summary.contains("propagate tags: NONE → SERVICE")
            && run.summary.contains("execute command: off → on")
            && run.summary.contains("ECS managed tags: off → on"),
        "{}",
        run.summary
    );
    // Given again: nothing to change.
    let run = deploy_dev(
        &em,
        &[(
            "service-settings",
            "{propagate-tags: SERVICE, execute-command: true, ecs-managed-tags: true}",
        )],
    );
    assert_eq!(run.output("status"), "unchanged", "{}", run.stdout);
    let run = deploy_dev(&em, &[("service-settings", "propagate-tags: EVERYTHING")]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.output("failure-reason"),
        "input `service-settings.propagate-tags` is invalid: expected `TASK_DEFINITION`, `SERVICE` or `NONE`"
    );
}

#[test]
fn docker_labels_are_merged_into_the_target_container_and_shown_in_the_diff() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(
        &em,
        &[(
            "docker-labels",
            "com.example.team: payments\ncom.example.tier: \"1\"",
        )],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let live = &em.state("dev")["live"]["taskDefinition"];
    let labels = &container(live, "app")["dockerLabels"];
    assert_eq!(labels["com.example.team"], "payments", "{labels}");
    assert_eq!(labels["com.example.tier"], "1", "kept as written: {labels}");
    assert!(
        run.stdout.contains("dockerLabels"),
        "the plan shows the change: {}",
        run.stdout
    );
    // Merged: a second deploy with another label keeps the first ones.
    let run = deploy_dev(
        &em,
        &[("docker-labels", "{\"com.example.owner\": \"ops\"}")],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let live = &em.state("dev")["live"]["taskDefinition"];
    let labels = &container(live, "app")["dockerLabels"];
    assert_eq!(labels["com.example.team"], "payments", "{labels}");
    assert_eq!(labels["com.example.owner"], "ops", "{labels}");
    let run = deploy_dev(&em, &[("docker-labels", "\"bad\\u202ekey\": x")]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason")
            .starts_with("input `docker-labels`"),
        "{}",
        run.output("failure-reason")
    );
}

#[test]
fn container_command_replaces_the_images_command_in_the_target_container() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(
        &em,
        &[("container-command", "node server.js --port \"8 080\"")],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let live = &em.state("dev")["live"]["taskDefinition"];
    assert_eq!(
        container(live, "app")["command"],
        serde_json::json!(["node", "server.js", "--port", "8 080"])
    );
    em.reset_calls();
    let run = deploy_dev(&em, &[("container-command", "node 'server.js")]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(em.calls().is_empty(), "refused before any AWS call");
}

#[test]
fn an_environment_file_in_the_workspace_is_merged_under_the_input_map() {
    let em = Emulator::start(&["dev"]);
    let inputs = crate::support::dev_inputs(&[
        ("dotenv-file", "deploy/app.env"),
        ("environment-variables", "LOG_LEVEL: debug"),
    ]);
    let run = crate::support::ActionRun::new(Some(&em), &inputs)
        .file(
            "deploy/app.env",
            "# app settings\nexport LOG_LEVEL=warn\nFEATURE='on'\nGREETING=\"hello\\nworld\"\nHOME_DIR=$HOME\n",
        )
        .run();
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let env: std::collections::BTreeMap<String, String> =
        live_environment(&em).into_iter().collect();
    assert_eq!(env["LOG_LEVEL"], "debug", "the input wins over the file");
    assert_eq!(env["FEATURE"], "on");
    assert_eq!(env["GREETING"], "hello\nworld");
    assert_eq!(env["HOME_DIR"], "$HOME", "nothing expanded");
    assert!(!run.stdout.contains("hello"), "values never printed");

    em.reset_calls();
    let inputs = crate::support::dev_inputs(&[("dotenv-file", "app.env")]);
    let run = crate::support::ActionRun::new(Some(&em), &inputs)
        .file("app.env", "GOOD=1\nthis line holds s3cr3t\n")
        .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "input `dotenv-file`: line 2 of `app.env` is not `NAME=value`"
    );
    assert!(!run.stdout.contains("s3cr3t") && !run.summary.contains("s3cr3t"));
    let inputs = crate::support::dev_inputs(&[("dotenv-file", "../../etc/passwd")]);
    let run = crate::support::ActionRun::new(Some(&em), &inputs).run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason")
            .starts_with("input `dotenv-file`: `../../etc/passwd`"),
        "{}",
        run.output("failure-reason")
    );
    assert!(em.calls().is_empty(), "refused before any AWS call");
    // A byte-order mark an editor wrote at the start is not part of the first name.
    let inputs = crate::support::dev_inputs(&[("dotenv-file", "bom.env")]);
    let run = crate::support::ActionRun::new(Some(&em), &inputs)
        .file("bom.env", "\u{feff}FIRST=1\r\nSECOND=2\r\n")
        .run();
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let env: std::collections::BTreeMap<String, String> =
        live_environment(&em).into_iter().collect();
    assert_eq!((env["FIRST"].as_str(), env["SECOND"].as_str()), ("1", "2"));
    // Beside `task-definition-arn`, the input refused is the one given.
    em.reset_calls();
    let inputs = [
        ("environment", "dev"),
        ("ssm-prefix", "/shop/{environment}/ecs"),
        ("revision", "shop-dev-service:1"),
        ("dotenv-file", "bom.env"),
    ];
    let run = crate::support::ActionRun::new(Some(&em), &inputs)
        .file("bom.env", "FIRST=1\n")
        .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "inputs `revision` and `dotenv-file` are both set"
    );
    assert!(em.calls().is_empty(), "refused before any AWS call");
}

#[test]
fn cpu_and_memory_change_the_task_size_and_a_size_fargate_lacks_is_refused_before_any_write() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(&em, &[("task-settings", "{cpu: 1024, memory: 4096}")]);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let live = &em.state("dev")["live"]["taskDefinition"];
    assert_eq!(
        (live["cpu"].as_str(), live["memory"].as_str()),
        (Some("1024"), Some("4096"))
    );
    // Only the CPU: the memory is the task definition's, and 2048 with 4096 is a Fargate size.
    let run = deploy_dev(&em, &[("task-settings", "cpu: 2048")]);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    em.reset_calls();
    let run = deploy_dev(&em, &[("task-settings", "{cpu: 512, memory: 8192}")]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "inputs `task-settings.cpu` and `task-settings.memory`: CPU 512 with memory 8192 is not a Fargate size"
    );
    assert!(
        run.stdout
            .contains("with CPU 512, Fargate's memory is 1024 to 4096 in steps of 1024"),
        "{}",
        run.stdout
    );
    assert!(em.writes().is_empty(), "{:?}", em.writes());
}

#[test]
fn environment_files_are_written_into_the_target_container() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(
        &em,
        &[("environment-files", "arn:aws:s3:::shop-config/dev/app.env")],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let live = &em.state("dev")["live"]["taskDefinition"];
    assert_eq!(
        container(live, "app")["environmentFiles"],
        serde_json::json!([{"value": "arn:aws:s3:::shop-config/dev/app.env", "type": "s3"}])
    );
}

#[test]
fn images_give_other_containers_their_own_checked_and_pinned_images() {
    let em = Emulator::start(&["dev"]);
    // The seeded task has `app` (the deploy's) and a `log-router` sidecar.
    let run = deploy_dev(&em, &[("container-images", "log-router: v1")]);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let live = &em.state("dev")["live"]["taskDefinition"];
    let router = container(live, "log-router")["image"]
        .as_str()
        .unwrap()
        .to_string();
    let app = container(live, "app")["image"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        router.starts_with(&format!("{REPO_URI}@sha256:")) && router != app,
        "the sidecar is pinned to v1's digest, the app to v2's: {router} / {app}"
    );
    // A repository of the account by name, and a tag that is not there.
    em.reset_calls();
    let run = deploy_dev(
        &em,
        &[("container-images", "log-router: \"shop-api:nope\"")],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason")
            .contains("image tag `nope` for container `log-router` (input `container-images`) was not found in ECR repository `shop-api`"),
        "{}",
        run.output("failure-reason")
    );
    assert!(em.writes().is_empty(), "{:?}", em.writes());
    // The deploy's own container is not for `container-images`.
    let run = deploy_dev(&em, &[("container-images", "app: v1")]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "input `container-images` names container `app`, which gets the deploy's image"
    );
}

/// A sidecar from a repository an ECR pull-through cache rule fills, never pulled yet: ECR
/// fetches it on the first pull, so the deploy goes on (said, not pinned), in `container-images` and in
/// the preflight alike.
#[test]
fn images_from_a_pull_through_cache_not_pulled_yet_are_deployed_as_given() {
    let em = Emulator::start(&["dev"]);
    em.pull_through("docker-hub", "registry-1.docker.io");
    let image =
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/amazon/aws-for-fluent-bit:stable";
    let run = deploy_dev(
        &em,
        &[("container-images", &format!("log-router: {image}"))],
    );
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    let live = &em.state("dev")["live"]["taskDefinition"];
    assert_eq!(container(live, "log-router")["image"], image);
    let warning = format!(
        "image `{image}` is not in ECR yet: its pull-through cache rule `docker-hub` fetches it from `registry-1.docker.io` on the first pull, so it was not checked and is not pinned by digest (container `log-router`)"
    );
    assert!(run.summary.contains(&warning), "{}", run.summary);
    // Without the rule it is missing, and the deploy stops before any write.
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(
        &em,
        &[("container-images", &format!("log-router: {image}"))],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(em.writes().is_empty(), "{:?}", em.writes());
}

#[test]
fn an_existing_revision_is_deployed_as_it_is_without_registering() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    assert_eq!(em.running("dev", "shop-dev-service"), "2");
    // Promote revision 1 (say, what passed in staging) exactly as it is.
    em.reset_calls();
    let inputs = [
        ("environment", "dev"),
        ("ssm-prefix", "/shop/{environment}/ecs"),
        ("revision", "shop-dev-service:1"),
    ];
    let run = run_action(Some(&em), &inputs);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    assert_eq!(em.running("dev", "shop-dev-service"), "1");
    assert_eq!(em.count("RegisterTaskDefinition"), 0, "nothing registered");
    // The service moved to another revision: `changed`, as action.yml describes it.
    assert_eq!(run.output("changed"), "true");
    let services: serde_json::Value = serde_json::from_str(run.output("services")).unwrap();
    assert_eq!(services[0]["changed"], true);
    let described = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"),
    )
    .unwrap();
    assert!(
        described
            .contains("newly registered or existing; `false` when every service already runs it"),
        "action.yml's `changed` says what the output does"
    );
    assert!(
        revision(run.output("task-definition-arn")) == "1",
        "{}",
        run.output("task-definition-arn")
    );
    // Given again: nothing to do.
    let run = run_action(Some(&em), &inputs);
    assert_eq!(run.output("status"), "unchanged", "{}", run.stdout);
    assert_eq!(run.output("changed"), "false");
    // Beside an input that would change it: refused before any AWS call.
    em.reset_calls();
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("ssm-prefix", "/shop/{environment}/ecs"),
            ("revision", "shop-dev-service:2"),
            ("image-tag", "v2"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "inputs `revision` and `image-tag` are both set"
    );
    assert!(em.calls().is_empty());
    // Another family needs allow-family-change; an INACTIVE revision is refused.
    em.add_families("dev", &["other-family"]);
    let other = [
        ("environment", "dev"),
        ("ssm-prefix", "/shop/{environment}/ecs"),
        ("revision", "other-family:1"),
    ];
    let run = run_action(Some(&em), &other);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.output("failure-reason").starts_with(
            "`revision` is of family `other-family`, but service `shop-dev-service` runs family `shop-dev-service`"
        ),
        "{}",
        run.output("failure-reason")
    );
    let mut allowed = other.to_vec();
    allowed.push(("allow-family-change", "true"));
    let run = run_action(Some(&em), &allowed);
    assert_eq!(run.output("status"), "deployed", "{}", run.stdout);
    em.deregister("shop-dev-service:2");
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("ssm-prefix", "/shop/{environment}/ecs"),
            ("revision", "shop-dev-service:2"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.output("failure-reason"),
        "task definition `shop-dev-service:2` is INACTIVE, not ACTIVE"
    );
}
