//! The config file end to end: a step with only `environment`, `image-tag` and `config`.

use crate::support::{ActionRun, Emulator};
use serde_json::Value;

#[test]
fn a_step_with_only_environment_and_tag_deploys_what_the_file_describes() {
    let em = Emulator::start(&["dev"]);
    em.add_services("dev", &["shop-dev-worker"]);
    let config = ".github/ecs-ship.yml";
    let file = (
        config,
        "defaults:\n  ssm-prefix: /shop/{environment}/ecs\n  environment-variables: { RATIO: 1.10 }\n\
         environments:\n  dev:\n    services:\n      - shop-dev-service\n      - service: shop-dev-worker\n\
         \x20       environment-variables: { ROLE: worker }\n    one-off-task: { command: [npm, run, migrate] }\n\
         \x20 production:\n    production: true\n    cluster: shop-production\n",
    );
    let run = ActionRun::new(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("config", config),
        ],
    )
    .file(file.0, file.1)
    .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let services: Vec<Value> = serde_json::from_str(run.output("services")).unwrap();
    assert_eq!(
        services
            .iter()
            .map(|s| (
                s["service"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            ("shop-dev-service", "deployed"),
            ("shop-dev-worker", "deployed")
        ]
    );
    assert_eq!(run.output("one-off-task-exit-code"), "0");
    let worker = em.service_state("dev", "shop-dev-worker");
    let env = &worker["live"]["taskDefinition"]["containerDefinitions"][0]["environment"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "RATIO" && e["value"] == "1.10"),
        "{env}"
    );
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "ROLE" && e["value"] == "worker"),
        "{env}"
    );

    // The file's production gate holds before any AWS call.
    em.reset_calls();
    let run = ActionRun::new(
        Some(&em),
        &[
            ("environment", "production"),
            ("image-tag", "v2"),
            ("config", config),
        ],
    )
    // The file's `production: true` holds even when its `production-environments` names others.
    .file(
        file.0,
        &file.1.replace(
            "defaults:\n",
            "defaults:\n  production-environments: [prod]\n",
        ),
    )
    .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.output("failure-reason").contains("confirm-production"));
    assert!(em.calls().is_empty(), "{:?}", em.calls());
}

/// Every environment's cluster has a `web`: dev's deploys without the production confirmation,
/// and a dev step that really points at production's cluster is refused before any write. The
/// production environment names its cluster only through its SSM prefix, which is read beside
/// the deploy's own parameters.
#[test]
fn the_same_service_name_in_every_environment_is_gated_by_its_cluster() {
    let em = Emulator::start(&["dev", "production"]);
    em.add_services("dev", &["web"]);
    em.add_services("production", &["web"]);
    let production_runs = em.running("production", "web");
    let config = ".github/ecs-ship.yml";
    let text = "defaults:\n  ssm-prefix: /shop/{environment}/ecs\n\
                environments:\n  dev:\n    services: web\n  production:\n    production: true\n    services: web\n";
    let run = ActionRun::new(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("config", config),
        ],
    )
    .file(config, text)
    .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.output("status"), "deployed");
    assert_eq!(run.output("changed"), "true");
    assert_eq!(em.running("production", "web"), production_runs);

    // The same step aimed at production's cluster: the service there is production's.
    em.reset_calls();
    let run = ActionRun::new(
        Some(&em),
        &[
            ("environment", "dev"),
            ("image-tag", "v2"),
            ("config", config),
            ("cluster", "shop-production"),
        ],
    )
    .file(config, text)
    .run();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.output("failure-reason"),
        "service `web` in cluster `shop-production` belongs to production environment `production` in the config file, and `confirm-production` is empty"
    );
    assert!(em.writes().is_empty(), "{:?}", em.writes());
    assert_eq!(em.running("production", "web"), production_runs);
}
