//! What a verified success leaves behind, and what a failure does not: the SSM deployment record
//! and the ECR promotion tag, end to end against moto.

use crate::support::{Emulator, deploy_dev, run_action};
use serde_json::{Value, json};

const PREFIX: &str = crate::support::SSM_PREFIX;

fn parameter(em: &Emulator, name: &str) -> Option<String> {
    em.parameter(name)
}

#[test]
fn a_verified_success_writes_the_record_and_promotes_the_image() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(&em, &[("promote-tag", "{environment}-latest")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        parameter(&em, "/shop/dev/ecs/current-image-tag").as_deref(),
        Some("v2")
    );
    let record: Value =
        serde_json::from_str(&parameter(&em, "/shop/dev/ecs/deployment").unwrap()).unwrap();
    assert_eq!(record["image-tag"], "v2");
    assert_eq!(record["image-digest"], run.output("image-digest"));
    assert_eq!(
        record["services"]["shop-dev-service"]["task-definition-arn"],
        run.output("task-definition-arn")
    );
    assert_eq!(
        record["git-sha"],
        "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    );
    assert!(record["deployed-at"].as_str().unwrap().ends_with('Z'));
    // The promotion tag points at the deployed manifest.
    let tags = em.image_tags("shop-api", run.output("image-digest"));
    assert!(
        tags.contains(&json!("dev-latest")) && tags.contains(&json!("v2")),
        "{tags:?}"
    );
}

#[test]
fn a_failed_deploy_leaves_the_record_and_tags_untouched() {
    let em = Emulator::start(&["dev"]);
    let first = deploy_dev(&em, &[]);
    assert_eq!(first.output("status"), "deployed");
    let before = parameter(&em, "/shop/dev/ecs/deployment").unwrap();
    em.circuit_breaker("shop-dev", "shop-dev-service");
    em.scenario("shop-dev", "shop-dev-service", "fail", 0.8);
    em.reset_calls();
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v3"),
            ("ssm-prefix", PREFIX),
            ("promote-tag", "dev-latest"),
        ],
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(
        parameter(&em, "/shop/dev/ecs/current-image-tag").as_deref(),
        Some("v2")
    );
    assert_eq!(parameter(&em, "/shop/dev/ecs/deployment").unwrap(), before);
    assert_eq!(
        em.count("PutParameter") + em.count("PutImage"),
        0,
        "a failed deploy writes no record and no tag: {:?}",
        em.calls()
    );
}

#[test]
fn without_waiting_nothing_is_recorded() {
    let em = Emulator::start(&["dev"]);
    let run = deploy_dev(&em, &[("wait", "false")]);
    assert_eq!(run.output("status"), "started");
    assert_eq!(
        parameter(&em, "/shop/dev/ecs/current-image-tag"),
        None,
        "unverified deploys are not recorded"
    );
}

#[test]
fn keep_revisions_deregisters_old_ones_but_never_the_live_or_rollback_target() {
    let em = Emulator::start(&["dev"]);
    for (i, tag) in ["v2", "v3", "v1", "v2"].iter().enumerate() {
        let vars = format!("RUN: {i}");
        let run = run_action(
            Some(&em),
            &[
                ("environment", "dev"),
                ("image-tag", tag),
                ("ssm-prefix", PREFIX),
                ("environment-variables", &vars),
                ("keep-revisions", "2"),
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stdout);
    }
    // Revisions 1..5 were registered; 5 runs, 4 was its rollback target: both kept, and nothing else.
    let active: Vec<String> = em.state("dev")["taskDefinitionArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().rsplit(':').next().unwrap().to_string())
        .collect();
    assert_eq!(active, ["4", "5"], "{active:?}");
    assert_eq!(em.count("DeregisterTaskDefinition"), 3);
}

/// Scheduled jobs (an EventBridge rule's ECS target, an EventBridge Scheduler schedule's) run
/// revisions no service runs: `keep-revisions` keeps them, since ECS refuses to start a task
/// from an INACTIVE revision; when the schedules cannot be read, nothing is deregistered.
#[test]
fn keep_revisions_never_deregisters_what_a_scheduled_job_runs() {
    let em = Emulator::start(&["dev"]);
    let deploy = |i: usize| {
        let vars = format!("RUN: {i}");
        run_action(
            Some(&em),
            &[
                ("environment", "dev"),
                ("image-tag", "v2"),
                ("ssm-prefix", PREFIX),
                ("environment-variables", &vars),
                ("keep-revisions", "1"),
            ],
        )
    };
    let first = deploy(0);
    assert_eq!(first.code, 0, "{}", first.stdout);
    let cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/shop-dev";
    let revision =
        |n: u32| format!("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-dev-service:{n}");
    // A nightly job (a rule) runs revision 1, an hourly one (a schedule) revision 2.
    em.aws(
        "events",
        "put_rule",
        &json!({"Name": "nightly", "ScheduleExpression": "cron(0 3 * * ? *)"}),
    );
    em.aws(
        "events",
        "put_targets",
        &json!({"Rule": "nightly", "Targets": [{"Id": "job", "Arn": cluster,
            "RoleArn": "arn:aws:iam::123456789012:role/events",
            "EcsParameters": {"TaskDefinitionArn": revision(1), "TaskCount": 1}}]}),
    );
    em.aws(
        "scheduler",
        "create_schedule",
        &json!({"Name": "hourly", "ScheduleExpression": "rate(1 hour)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": cluster, "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
                "EcsParameters": {"TaskDefinitionArn": revision(2)}}}),
    );
    for i in 1..4 {
        let run = deploy(i);
        assert_eq!(run.code, 0, "{}", run.stdout);
    }
    // 5 runs, 4 is its rollback target, 1 and 2 run on a schedule: 3 goes, nothing else.
    let active: Vec<String> = em.state("dev")["taskDefinitionArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().rsplit(':').next().unwrap().to_string())
        .collect();
    assert_eq!(active, ["1", "2", "4", "5"], "{active:?}");
    // Schedules that cannot be read: nothing is deregistered, and the run says why.
    em.fault("ListSchedules", "denied", &json!({"times": -1}));
    em.reset_calls();
    let run = deploy(9);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(em.count("DeregisterTaskDefinition"), 0, "{:?}", em.calls());
    assert!(
        run.summary
            .contains("could not be read in full, so none was deregistered")
            && run.summary.contains("EventBridge Scheduler"),
        "{}",
        run.summary
    );
}

#[test]
fn the_fallback_image_is_used_only_for_an_empty_repository_and_said_loudly() {
    let em = Emulator::start(&["dev"]);
    em.create_repository("shop-new");
    let fallback = "public.ecr.aws/nginx/nginx:1.27";
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v1"),
            ("ssm-prefix", PREFIX),
            ("repository", "shop-new"),
            ("container", "app"),
            ("fallback-image", fallback),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("image"), fallback);
    assert!(
        run.summary
            .contains("has no images yet: deploying the fallback image"),
        "{}",
        run.summary
    );
    assert!(run.stdout.contains("::warning title="), "{}", run.stdout);
    // A repository with images but not this tag is an error, fallback or not.
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v9"),
            ("ssm-prefix", PREFIX),
            ("fallback-image", fallback),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("image tag `v9` was not found"),
        "{}",
        run.stdout
    );
}

/// The record's two parameters are written together: when one is refused, the warning names
/// it and says the other was written; the deploy is still deployed.
#[test]
fn a_record_half_written_says_which_half() {
    let em = Emulator::start(&["dev"]);
    em.fault(
        "PutParameter",
        "client",
        &json!({"times": 1, "message": "Parameter limit exceeded"}),
    );
    let run = deploy_dev(&em, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("status"), "deployed");
    let written: Vec<&str> = ["current-image-tag", "deployment"]
        .into_iter()
        .filter(|name| parameter(&em, &format!("{PREFIX_DEV}/{name}")).is_some())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let refused = if written[0] == "deployment" {
        "current-image-tag"
    } else {
        "deployment"
    };
    let warning =
        format!("Deployment not recorded: `{PREFIX_DEV}/{refused}`: writing SSM parameter");
    assert!(run.summary.contains(&warning), "{}", run.summary);
    assert!(
        run.summary
            .contains(&format!("(`{PREFIX_DEV}/{}` was written)", written[0])),
        "{}",
        run.summary
    );
}

const PREFIX_DEV: &str = "/shop/dev/ecs";
