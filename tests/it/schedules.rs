//! `schedules`: after a verified deploy, the EventBridge rules and Scheduler schedules that ran
//! the revision the service ran before are moved to the new one, every other field of their
//! targets kept; one pinned to another revision is left alone; a failed deploy moves nothing.

use crate::support::{Emulator, SSM_PREFIX, run_action};
use serde_json::{Value, json};

const CLUSTER: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/shop-dev";

fn revision(n: u32) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:task-definition/shop-dev-service:{n}")
}

fn network() -> Value {
    json!({"awsvpcConfiguration": {"Subnets": ["subnet-0abc", "subnet-0def"],
        "SecurityGroups": ["sg-0abc"], "AssignPublicIp": "DISABLED"}})
}

/// A rule whose ECS target runs `td`, with every optional field a real one has.
fn rule(em: &Emulator, name: &str, td: &str) {
    em.aws(
        "events",
        "put_rule",
        &json!({"Name": name, "ScheduleExpression": "cron(0 3 * * ? *)"}),
    );
    em.aws(
        "events",
        "put_targets",
        &json!({"Rule": name, "Targets": [{"Id": "job", "Arn": CLUSTER,
            "RoleArn": "arn:aws:iam::123456789012:role/events",
            "Input": "{\"containerOverrides\":[{\"name\":\"app\",\"command\":[\"./nightly\"]}]}",
            "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
            "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:jobs-dlq"},
            "EcsParameters": {"TaskDefinitionArn": td, "TaskCount": 1, "LaunchType": "FARGATE",
                "PlatformVersion": "1.4.0", "NetworkConfiguration": network(),
                // Not their defaults (false): the SDK leaves a default-valued boolean out of a
                // request, and AWS answers it with its default again; moto would not.
                "Group": "nightly", "EnableExecuteCommand": true, "EnableECSManagedTags": true,
                "Tags": [{"Key": "job", "Value": "nightly"}]}}]}),
    );
}

fn rule_targets(em: &Emulator, name: &str) -> Value {
    em.aws("events", "list_targets_by_rule", &json!({"Rule": name}))["Targets"].clone()
}

fn schedule(em: &Emulator, td: &str) {
    em.aws(
        "scheduler",
        "create_schedule",
        &json!({"Name": "hourly", "ScheduleExpression": "rate(1 hour)",
            "Description": "hourly report", "State": "ENABLED",
            "ScheduleExpressionTimezone": "Europe/Paris",
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            "Target": {"Arn": CLUSTER, "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:jobs-dlq"},
                "Input": "{}",
                "EcsParameters": {"TaskDefinitionArn": td, "TaskCount": 1, "LaunchType": "FARGATE",
                    "NetworkConfiguration": network()}}}),
    );
}

fn schedule_read(em: &Emulator) -> Value {
    let mut read = em.aws("scheduler", "get_schedule", &json!({"Name": "hourly"}));
    // Set by AWS on every update.
    for field in ["LastModificationDate", "CreationDate"] {
        read.as_object_mut().unwrap().remove(field);
    }
    read
}

/// `value` with one task definition ARN replaced by another, for comparing all else.
fn with_revision(value: &Value, from: &str, to: &str) -> Value {
    serde_json::from_str(&value.to_string().replace(from, to)).unwrap()
}

fn deploy(em: &Emulator, tag: &str) -> crate::support::Run {
    run_action(
        Some(em),
        &[
            ("environment", "dev"),
            ("image-tag", tag),
            ("ssm-prefix", SSM_PREFIX),
            ("schedules", "follow"),
        ],
    )
}

#[test]
fn a_verified_deploy_moves_the_jobs_that_ran_its_old_revision_and_keeps_every_other_field() {
    let em = Emulator::start(&["dev"]);
    // Revision 2 exists before the deploy: a job pinned to it is pinned on purpose.
    em.aws(
        "ecs",
        "register_task_definition",
        &json!({"family": "shop-dev-service", "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 128}]}),
    );
    rule(&em, "nightly", &revision(1));
    rule(&em, "pinned", &revision(2));
    schedule(&em, &revision(1));
    let (nightly, pinned, hourly) = (
        rule_targets(&em, "nightly"),
        rule_targets(&em, "pinned"),
        schedule_read(&em),
    );
    let run = deploy(&em, "v2");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("task-definition-arn"), revision(3));
    assert_eq!(
        rule_targets(&em, "nightly"),
        with_revision(&nightly, &revision(1), &revision(3)),
        "only the task definition changed"
    );
    assert_eq!(
        rule_targets(&em, "pinned"),
        pinned,
        "pinned on purpose: left alone"
    );
    assert_eq!(
        schedule_read(&em),
        with_revision(&hourly, &revision(1), &revision(3)),
        "only the task definition changed"
    );
    assert!(
        run.stdout
            .contains("Left alone: rule pinned runs shop-dev-service:2"),
        "{}",
        run.stdout
    );
    let services: Value = serde_json::from_str(run.output("services")).unwrap();
    let moved: Vec<&str> = services[0]["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(moved, ["nightly", "default/hourly"]);
    assert!(
        run.summary.contains("### Scheduled jobs moved"),
        "{}",
        run.summary
    );
    crate::pin!("schedules_follow", run);

    // A failed deploy moves nothing.
    em.circuit_breaker("shop-dev", "shop-dev-service");
    em.scenario("shop-dev", "shop-dev-service", "fail", 0.5);
    let (nightly, hourly) = (rule_targets(&em, "nightly"), schedule_read(&em));
    let run = deploy(&em, "v3");
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(rule_targets(&em, "nightly"), nightly);
    assert_eq!(schedule_read(&em), hourly);
    assert_eq!(
        em.count("PutTargets") + em.count("UpdateSchedule"),
        2,
        "the first deploy's only: {:?}",
        em.calls()
    );
}

#[test]
fn a_named_job_moves_alone_and_a_name_that_matched_nothing_is_said() {
    let em = Emulator::start(&["dev"]);
    rule(&em, "nightly", &revision(1));
    rule(&em, "weekly", &revision(1));
    let weekly = rule_targets(&em, "weekly");
    let run = run_action(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("ssm-prefix", SSM_PREFIX),
            ("schedules", "nightly, ghost"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        rule_targets(&em, "nightly")[0]["EcsParameters"]["TaskDefinitionArn"],
        revision(2)
    );
    assert_eq!(rule_targets(&em, "weekly"), weekly, "not named: left alone");
    assert!(
        run.summary.contains("`ghost` was not moved"),
        "{}",
        run.summary
    );
}
