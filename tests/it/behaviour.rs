//! One ECS behaviour, two speeds: the same rollout scenarios run through the paused-clock model
//! (`model.rs`, in-process) and the emulator's scenario layer (`moto_server.py`, over the wire),
//! both following `tests/support/ecs-behaviour.json`. What AWS's answers show at the end (read
//! through ecs-ship's own `Cloud` traits on both: the service, its deployments, ECS's service
//! deployment) and what the deploy made of the way there (its outputs) must be the same.
//!
//! Why one description both execute, rather than the Rust model served behind the emulator's ECS
//! endpoints: the model's worth is the paused clock (a 15-minute wait in no time), which a model
//! behind a wire protocol on real time would lose; and the emulator's worth is moto's real wire
//! format. So each keeps its engine and both take every timing, stage, reason and threshold from
//! the one file, and this test catches an engine that drifts from it.

use ecs_ship::cloud::Cloud;
use ecs_ship::report::Report;
use serde_json::{Value, json};

use crate::model::{CLUSTER, Model, Scenario, Strategy};
use crate::support::{Emulator, deploy_dev};

const EM_CLUSTER: &str = "shop-dev";
const EM_SERVICE: &str = "shop-dev-service";

/// One scenario, as each simulator takes it.
struct Case {
    name: &'static str,
    model: Scenario,
    strategy: Strategy,
    emulator: Value,
    /// Extra inputs of the deploy.
    inputs: &'static [(&'static str, &'static str)],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "complete",
            model: Scenario::Complete { delay: 1.0 },
            strategy: Strategy::default(),
            emulator: json!({"outcome": "complete", "delay": 1.0}),
            inputs: &[],
        },
        Case {
            name: "circuit breaker rolls back",
            model: Scenario::Fail { delay: 1.0 },
            strategy: Strategy {
                breaker: true,
                ..Strategy::default()
            },
            emulator: json!({"outcome": "fail", "delay": 1.0}),
            inputs: &[],
        },
        Case {
            // No breaker: ECS keeps launching tasks that fail; ecs-ship counts them and rolls
            // back itself (its own UpdateService, a service deployment of its own).
            name: "tasks fail without a circuit breaker",
            model: Scenario::Fail { delay: 1.0 },
            strategy: Strategy::default(),
            emulator: json!({"outcome": "fail", "delay": 1.0}),
            inputs: &[],
        },
        Case {
            name: "blue/green stages",
            model: Scenario::Complete { delay: 1.4 },
            strategy: Strategy {
                blue_green: true,
                ..Strategy::default()
            },
            emulator: json!({"outcome": "complete", "delay": 1.4, "blue_green": true}),
            inputs: &[],
        },
        Case {
            name: "bake time",
            model: Scenario::Complete { delay: 0.5 },
            strategy: Strategy {
                bake: 1.5,
                ..Strategy::default()
            },
            emulator: json!({"outcome": "complete", "delay": 0.5, "bake": 1.5}),
            inputs: &[],
        },
        Case {
            name: "an alarm in bake time rolls back",
            model: Scenario::Complete { delay: 0.5 },
            strategy: Strategy {
                bake: 3.0,
                alarm: Some((0.5, "api-5xx")),
                ..Strategy::default()
            },
            emulator: json!({"outcome": "complete", "delay": 0.5, "bake": 3.0,
                             "alarm": {"at": 0.5, "name": "api-5xx"}}),
            inputs: &[],
        },
        Case {
            name: "a PAUSE hook",
            model: Scenario::Complete { delay: 1.4 },
            strategy: Strategy {
                blue_green: true,
                pause: true,
                ..Strategy::default()
            },
            emulator: json!({"outcome": "complete", "delay": 1.4, "pause": true}),
            inputs: &[("wait", "paused")],
        },
    ]
}

/// What AWS's answers show, and what the deploy made of it, without names, ids and times.
#[derive(Debug, PartialEq)]
struct Seen {
    /// The service runs the revision the deploy registered (else the one before).
    runs_new: bool,
    /// Each deployment of the service: status, rollout state, all tasks running.
    deployments: Vec<(String, Option<String>, bool)>,
    /// ECS's record of the deploy's rollout.
    record: Option<Record>,
    /// The deploy's outputs that say how it went.
    outputs: Vec<(String, String)>,
}

#[derive(Debug, PartialEq)]
struct Record {
    status: String,
    stage: Option<String>,
    rollback_reason: Option<String>,
    breaker: Option<(i32, i32)>,
    triggered_alarms: Vec<String>,
    strategy: Option<String>,
    bake_time_minutes: Option<i32>,
    hooks: Vec<(String, Option<String>)>,
}

/// Reads the service and its current service deployment through `cloud`.
async fn seen<C: Cloud>(cloud: &C, cluster: &str, service: &str, report: &Report) -> Seen {
    let state = ecs_ship::cloud::describe_active(cloud, cluster, &[service.to_string()])
        .await
        .expect("the service")
        .pop()
        .expect("one service");
    let record = match &state.current_service_deployment {
        Some(arn) => cloud
            .describe_service_deployments(std::slice::from_ref(arn))
            .await
            .expect("the service deployment")
            .pop(),
        None => None,
    };
    let registered = report.task_definition_arn.clone().unwrap_or_default();
    Seen {
        runs_new: state.task_definition == registered,
        deployments: state
            .deployments
            .iter()
            .map(|d| {
                (
                    d.status.as_str().to_string(),
                    d.rollout_state.as_ref().map(|r| r.as_str().to_string()),
                    d.running == d.desired,
                )
            })
            .collect(),
        record: record.map(|r| Record {
            status: r.status.as_str().to_string(),
            stage: r.lifecycle_stage.map(|s| s.as_str().to_string()),
            rollback_reason: r.rollback_reason,
            breaker: r.circuit_breaker.map(|b| (b.failed, b.threshold)),
            triggered_alarms: r.triggered_alarms,
            strategy: r.strategy,
            bake_time_minutes: r.bake_time_minutes,
            hooks: r
                .hooks
                .iter()
                .map(|h| (h.status.as_str().to_string(), h.timeout_action.clone()))
                .collect(),
        }),
        outputs: ["status", "lifecycle-stage"]
            .iter()
            .map(|name| {
                let value = report
                    .outputs()
                    .into_iter()
                    .find_map(|(n, v)| (n == *name).then_some(v))
                    .unwrap_or_default();
                ((*name).to_string(), value)
            })
            .chain(std::iter::once((
                "rolled back".to_string(),
                report.rollback_task_definition_arn.is_some().to_string(),
            )))
            .collect(),
    }
}

/// The case through the paused-clock model.
fn through_model(case: &Case) -> Seen {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let model = Model::new(&["api"]);
        model.strategy("api", case.strategy);
        model.scenario("api", &[case.model]);
        let mut inputs = vec![("services", "api")];
        inputs.extend_from_slice(case.inputs);
        let (_, report, log, _) = crate::paused::deploy(&model, &inputs).await;
        assert!(!log.is_empty());
        seen(&model, CLUSTER, "api", &report).await
    })
}

/// The case through the emulator: the real binary, then ecs-ship's own SDK code reading moto.
fn through_emulator(case: &Case, em: &Emulator) -> Seen {
    if case.strategy.pause {
        // The service's own PAUSE hook (infrastructure), which the model's strategy implies.
        crate::deployments::with_pause_hook(em, None);
    }
    if case.strategy.breaker {
        em.circuit_breaker(EM_CLUSTER, EM_SERVICE);
    }
    em.scenario_with(EM_CLUSTER, EM_SERVICE, &case.emulator);
    let run = deploy_dev(em, case.inputs);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = aws_config::SdkConfig::builder()
            .http_client(ecs_ship::aws::http_client())
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(em.endpoint())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("test", "test", None, None, "test"),
                ),
            )
            .build();
        let clients = ecs_ship::aws::Clients::from_config(config).expect("clients");
        let mut report = Report::new("dev");
        report.task_definition_arn = Some(run.output("task-definition-arn").to_string());
        report.rollback_task_definition_arn =
            Some(run.output("rollback-task-definition-arn").to_string()).filter(|a| !a.is_empty());
        let mut seen = seen(&clients, EM_CLUSTER, EM_SERVICE, &report).await;
        seen.outputs = vec![
            ("status".into(), run.output("status").to_string()),
            (
                "lifecycle-stage".into(),
                run.output("lifecycle-stage").to_string(),
            ),
            (
                "rolled back".into(),
                report.rollback_task_definition_arn.is_some().to_string(),
            ),
        ];
        seen
    })
}

#[test]
fn the_model_and_the_emulator_show_the_same_ecs() {
    let cases = cases();
    let mut differ = Vec::new();
    let mut ends = std::collections::BTreeSet::new();
    // Each case on an emulator of its own (a fresh world: the model's starting point), together.
    let seen: Vec<(Seen, Seen)> = std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|case| {
                scope.spawn(move || {
                    let em = Emulator::start(&["dev"]);
                    (through_model(case), through_emulator(case, &em))
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    for (case, (fast, wire)) in cases.iter().zip(seen) {
        if let Some(record) = &fast.record {
            ends.insert(record.status.clone());
        }
        if fast != wire {
            differ.push(format!(
                "{}:\n  model:    {fast:?}\n  emulator: {wire:?}",
                case.name
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // Not vacuous: the cases end in each of ECS's verdicts.
    assert_eq!(
        ends,
        ["IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]
            .map(String::from)
            .into()
    );
}
