//! End-to-end runs as a table: each case is a world, inputs and the verdict expected, and the
//! whole run (exit code, every output, the step summary, the log) is pinned as a snapshot in
//! `tests/it/snapshots/` with run-specific values filtered (`support::pin`).
//!
//! One run-and-check for all; each case is its own test so they run in parallel. Review a
//! snapshot change with `cargo insta review` (or `INSTA_UPDATE=always` and `git diff`).

use crate::support::{Emulator, Run, SSM_PREFIX, revision, run_action};
use serde_json::json;

const CLUSTER: &str = "shop-dev";
const SERVICE: &str = "shop-dev-service";

/// What a case may ask of AWS.
enum Aws {
    /// Not one call, read or write (input refused, or the production gate closed).
    Untouched,
    /// Exactly these writes, in this order.
    Writes(&'static [&'static str]),
}

struct Case {
    /// The snapshot's name; `None` for a run whose text depends on timing (a crash loop: how
    /// many tasks crashed before the poll that judged it), checked by its fields alone.
    name: Option<&'static str>,
    environment: &'static str,
    /// The scenario the emulator plays for the service, before the run.
    setup: fn(&Emulator),
    inputs: &'static [(&'static str, &'static str)],
    code: i32,
    status: &'static str,
    aws: Aws,
    /// Given in the inputs, never to appear in the log, summary or outputs.
    secret: Option<&'static str>,
    /// Checks on the world after the run, beyond what the snapshot shows.
    then: fn(&Emulator, &Run),
}

fn nothing(_: &Emulator) {}
fn no_more(_: &Emulator, _: &Run) {}

const DEPLOY: &[&str] = &["RegisterTaskDefinition", "UpdateService"];
/// A deploy that ended deployed, and its record (the latest, and the one for its revision).
const DEPLOYED: &[&str] = &[
    "RegisterTaskDefinition",
    "UpdateService",
    "PutParameter",
    "PutParameter",
];

fn run_case(case: &Case) {
    let em = Emulator::start(&[case.environment]);
    (case.setup)(&em);
    let run = run_action(Some(&em), case.inputs);
    assert_eq!(
        (run.code, run.outputs.iter().find(|(n, _)| n == "status")),
        (
            case.code,
            Some(&("status".to_string(), case.status.to_string()))
        ),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    match case.aws {
        Aws::Untouched => assert_eq!(em.calls(), Vec::<String>::new(), "no AWS call at all"),
        Aws::Writes(writes) => assert_eq!(em.writes(), writes, "{:?}", em.calls()),
    }
    if let Some(secret) = case.secret {
        for (what, text) in [("log", &run.stdout), ("summary", &run.summary_md)] {
            assert!(!text.contains(secret), "the {what} shows a value: {text}");
        }
        assert!(run.outputs.iter().all(|(_, v)| !v.contains(secret)));
    }
    (case.then)(&em, &run);
    if let Some(name) = case.name {
        crate::pin!(name, run);
    }
}

macro_rules! cases {
    ($($name:ident: $case:expr;)*) => {
        $(
            #[test]
            fn $name() {
                run_case(&$case);
            }
        )*
    };
}

cases! {
    missing_tag_is_refused_listing_recent_tags: Case {
        name: Some("missing_tag"),
        environment: "dev",
        setup: nothing,
        inputs: &[("environment", "dev"), ("image-tag", "v9"), ("ssm-prefix", SSM_PREFIX)],
        code: 2,
        status: "failed",
        aws: Aws::Writes(&[]),
        secret: None,
        then: no_more,
    };
    production_without_confirmation_makes_no_aws_call: Case {
        name: Some("production_unconfirmed"),
        environment: "production",
        setup: nothing,
        inputs: &[("environment", "production"), ("image-tag", "v2"), ("ssm-prefix", SSM_PREFIX)],
        code: 2,
        status: "failed",
        aws: Aws::Untouched,
        secret: None,
        then: no_more,
    };
    production_with_the_wrong_confirmation_makes_no_aws_call: Case {
        name: Some("production_wrong_confirmation"),
        environment: "production",
        setup: nothing,
        inputs: &[
            ("environment", "production"),
            ("image-tag", "v2"),
            ("ssm-prefix", SSM_PREFIX),
            ("confirm-production", "deploy to production"),
        ],
        code: 2,
        status: "failed",
        aws: Aws::Untouched,
        secret: None,
        then: no_more,
    };
    production_with_the_confirmation_deploys: Case {
        name: Some("production_confirmed"),
        environment: "production",
        setup: nothing,
        inputs: &[
            ("environment", "production"),
            ("image-tag", "v2"),
            ("ssm-prefix", SSM_PREFIX),
            ("confirm-production", "DEPLOY TO PRODUCTION"),
        ],
        code: 0,
        status: "deployed",
        aws: Aws::Writes(DEPLOYED),
        secret: None,
        then: no_more,
    };
    malformed_env_json_is_refused_before_any_aws_call_without_echoing_values: Case {
        name: Some("malformed_environment_variables"),
        environment: "dev",
        setup: nothing,
        inputs: &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("ssm-prefix", SSM_PREFIX),
            ("environment-variables", r#"{"TOKEN": "hunter2-secret",}"#),
        ],
        code: 2,
        status: "failed",
        aws: Aws::Untouched,
        secret: Some("hunter2"),
        then: no_more,
    };
    wait_false_reports_started_not_deployed: Case {
        name: Some("wait_false"),
        environment: "dev",
        setup: |em| em.scenario(CLUSTER, SERVICE, "hang", 0.0),
        inputs: &[("environment", "dev"), ("image-tag", "v2"), ("ssm-prefix", SSM_PREFIX), ("wait", "false")],
        code: 0,
        status: "started",
        aws: Aws::Writes(DEPLOY),
        secret: None,
        then: no_more,
    };
    force_new_deployment_redeploys_the_same_revision: Case {
        name: Some("force_new_deployment"),
        environment: "dev",
        setup: nothing,
        inputs: &[
            ("environment", "dev"),
            ("image-tag", "v1"),
            ("ssm-prefix", SSM_PREFIX),
            ("pin-image-digest", "false"),
            ("force-new-deployment", "true"),
        ],
        code: 0,
        status: "deployed",
        aws: Aws::Writes(&["UpdateService", "PutParameter", "PutParameter"]),
        secret: None,
        then: |_, run| assert_eq!(run.output("changed"), "false"),
    };
    circuit_breaker_rollback_fails_the_step_even_though_the_service_is_stable: Case {
        name: Some("circuit_breaker_rolled_back"),
        environment: "dev",
        setup: |em| {
            em.circuit_breaker(CLUSTER, SERVICE);
            em.scenario(CLUSTER, SERVICE, "fail", 0.5);
        },
        inputs: &[("environment", "dev"), ("image-tag", "v2"), ("ssm-prefix", SSM_PREFIX)],
        code: 3,
        status: "rolled-back",
        aws: Aws::Writes(DEPLOY),
        secret: None,
        then: |em, _| {
            // ECS rolled back; after it settles the service runs the previous revision again.
            std::thread::sleep(std::time::Duration::from_millis(2500));
            let service = em.state("dev")["service"]["taskDefinition"].clone();
            assert_eq!(revision(service.as_str().unwrap()), "1");
        },
    };
    run_task_without_a_task_is_refused_before_any_aws_call: Case {
        name: Some("run_task_without_a_task"),
        environment: "dev",
        setup: nothing,
        inputs: &[("command", "run-task"), ("environment", "dev"), ("image-tag", "v2"), ("ssm-prefix", SSM_PREFIX)],
        code: 2,
        status: "failed",
        aws: Aws::Untouched,
        secret: None,
        then: no_more,
    };
    run_task_in_production_without_confirmation_makes_no_aws_call: Case {
        name: None,
        environment: "production",
        setup: nothing,
        inputs: &[
            ("command", "run-task"),
            ("environment", "production"),
            ("image-tag", "v2"),
            ("ssm-prefix", SSM_PREFIX),
            ("one-off-task", "command: [./backfill.sh]"),
        ],
        code: 2,
        status: "failed",
        aws: Aws::Untouched,
        secret: None,
        then: no_more,
    };
    run_task_with_a_hostile_command_is_refused_without_echoing_it: Case {
        name: None,
        environment: "dev",
        setup: nothing,
        inputs: &[
            ("command", "run-task"),
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("ssm-prefix", SSM_PREFIX),
            ("one-off-task", "family: \"evil\\n::set-output name=status::completed\"\ncommand: [x]"),
        ],
        code: 2,
        status: "failed",
        aws: Aws::Untouched,
        secret: Some("::set-output"),
        then: no_more,
    };
    a_hostile_schedule_name_is_refused_without_echoing_it: Case {
        name: None,
        environment: "dev",
        setup: nothing,
        inputs: &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("ssm-prefix", SSM_PREFIX),
            ("schedules", "nightly, evil\u{2028}::set-output name=status::deployed"),
        ],
        code: 2,
        status: "failed",
        aws: Aws::Untouched,
        secret: Some("::set-output"),
        then: |_, run| assert!(run.stdout.contains("`environments.dev.schedules` in config file `.github/ecs-ship-test.yml` is invalid: name 2"), "{}", run.stdout),
    };
    with_rollback_off_a_failed_deploy_stays_failed_where_it_is: Case {
        name: None,
        environment: "dev",
        setup: |em| {
            em.scenario_with(CLUSTER, SERVICE, &json!({"outcome": "crash", "delay": 0.2, "interval": 0.3}));
        },
        inputs: &[("environment", "dev"), ("image-tag", "v2"), ("ssm-prefix", SSM_PREFIX), ("on-failure", "leave")],
        code: 3,
        status: "failed",
        aws: Aws::Writes(DEPLOY),
        secret: None,
        then: |em, run| {
            assert_eq!(run.output("rollback-task-definition-arn"), "");
            assert_eq!(em.running("dev", SERVICE), "2");
        },
    };
}
