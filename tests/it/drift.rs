//! action.yml, the CLI and the README must declare the same inputs and outputs, with the same
//! defaults. Each test fails naming what drifted.

use std::collections::BTreeMap;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// Rows of the first Markdown table after `heading`: the first cell (backticks removed) → the row.
fn readme_table(heading: &str) -> BTreeMap<String, Vec<String>> {
    let text = readme();
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no `{heading}` section"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<String> = row
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            (cells[0].trim_matches('`').to_string(), cells)
        })
        .collect()
}

fn action_yml() -> serde_yaml::Value {
    serde_yaml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap(),
    )
    .unwrap()
}

#[test]
fn action_yml_and_cli_declare_the_same_inputs_and_defaults() {
    // A default the runner evaluates (`${{ github.token }}`) has no CLI counterpart: the CLI reads
    // `GITHUB_TOKEN` instead.
    let expressions: Vec<String> = crate::support::declared_inputs()
        .into_iter()
        .filter(|(_, d)| d.as_deref().is_some_and(|d| d.starts_with("${{")))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(expressions, ["github-token"]);
    let action: BTreeMap<String, Option<String>> = crate::support::declared_inputs()
        .into_iter()
        .map(|(n, d)| (n, d.filter(|d| !d.starts_with("${{"))))
        .collect();
    let mut cli: BTreeMap<String, Option<String>> =
        ecs_ship::input::cli::all_inputs().into_iter().collect();
    // The CLI picks the command with a subcommand; the action with this input.
    cli.insert(
        ecs_ship::input::cli::COMMAND_INPUT.to_string(),
        Some("deploy".to_string()),
    );
    assert_eq!(
        action, cli,
        "action.yml inputs (left) and CLI options (right) differ"
    );
}

#[test]
fn only_environment_is_required_and_the_binary_enforces_it() {
    let action = action_yml();
    let required: Vec<&str> = action["inputs"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, v)| v["required"].as_bool() == Some(true))
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(required, ["environment"]);
    // The runner does not enforce `required`: the binary must.
    let run = crate::support::run_action(None, &[("image-tag", "v1")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("input `environment` is required"),
        "{}",
        run.stdout
    );
}

#[test]
fn readme_input_table_matches_action_yml() {
    let table = readme_table("## Inputs");
    let action = action_yml();
    let inputs = action["inputs"].as_mapping().unwrap();
    let names: Vec<&str> = inputs.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(
        table.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut n = names.clone();
            n.sort_unstable();
            n
        },
        "README inputs differ"
    );
    for (name, spec) in inputs {
        let name = name.as_str().unwrap();
        let row = &table[name];
        let expected_default = if spec["required"].as_bool() == Some(true) {
            "**required**".to_string()
        } else {
            spec.get("default")
                .and_then(|d| d.as_str())
                .map_or(String::new(), |d| format!("`{d}`"))
        };
        assert_eq!(row[1], expected_default, "README default of `{name}`");
        assert_eq!(
            row[2],
            spec["description"].as_str().unwrap(),
            "README description of `{name}`"
        );
    }
}

#[test]
fn outputs_agree_between_action_yml_readme_and_the_binary() {
    let action = action_yml();
    let mut declared: Vec<String> = action["outputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    declared.sort();
    let mut written: Vec<String> = ecs_ship::report::Report::new("x")
        .outputs()
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect();
    written.sort();
    assert_eq!(
        declared, written,
        "action.yml outputs vs outputs the binary writes"
    );
    let table: Vec<String> = readme_table("## Outputs").into_keys().collect();
    assert_eq!(table, declared, "README outputs vs action.yml");
}

#[test]
fn the_readme_documents_every_config_file_key_and_no_other() {
    let text = readme();
    let start = text
        .find("<!-- config-keys -->")
        .expect("README marks the config keys");
    let end = text
        .find("<!-- /config-keys -->")
        .expect("README closes the config keys");
    let documented: std::collections::BTreeSet<String> = text[start..end]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    let keys: std::collections::BTreeSet<String> = ecs_ship::input::config::keys()
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        documented, keys,
        "README config keys (left) and the keys the file accepts (right) differ"
    );
}

/// The AWS actions the code calls: each SDK operation in `src/aws/<service>.rs` (ECS's tasks in
/// `tasks.rs`, its service deployments in `deployments.rs`), as IAM names.
fn aws_actions_called() -> std::collections::BTreeSet<String> {
    let mut actions = std::collections::BTreeSet::new();
    for (file, prefix) in [
        ("ecs.rs", "ecs"),
        ("tasks.rs", "ecs"),
        ("deployments.rs", "ecs"),
        ("ecr.rs", "ecr"),
        ("ssm.rs", "ssm"),
        ("elb.rs", "elasticloadbalancing"),
        ("secrets.rs", "secretsmanager"),
        ("iam.rs", "iam"),
        ("logs.rs", "logs"),
        ("events.rs", "events"),
        ("scheduler.rs", "scheduler"),
    ] {
        let path = format!("{}/src/aws/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        // Every `.name()` call, wherever it stands in a line.
        let calls = text.split('.').skip(1).filter_map(|after_dot| {
            let name: String = after_dot
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            after_dot[name.len()..].starts_with("()").then_some(name)
        });
        for name in calls {
            let name = name.as_str();
            let is_operation = [
                "describe_",
                "list_",
                "register_",
                "deregister_",
                "update_",
                "run_",
                "continue_service_",
                "stop_service_",
                "put_",
                "get_",
                "batch_",
                "simulate_",
            ]
            .iter()
            .any(|p| name.starts_with(p))
                && !name.ends_with("_details");
            if is_operation {
                let pascal: String = name
                    .split('_')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next().map_or_else(String::new, |f| {
                            f.to_ascii_uppercase().to_string() + c.as_str()
                        })
                    })
                    .collect();
                actions.insert(format!("{prefix}:{pascal}"));
            }
        }
    }
    // Tags ride on RegisterTaskDefinition (`tag-revisions`), and registering and running tasks
    // with roles passes them.
    actions.insert("ecs:TagResource".into());
    actions.insert("iam:PassRole".into());
    actions
}

#[test]
fn the_example_iam_policy_allows_every_action_called_and_nothing_more() {
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/iam-policy.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut allowed = std::collections::BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        match &statement["Action"] {
            serde_json::Value::String(a) => {
                allowed.insert(a.clone());
            }
            serde_json::Value::Array(list) => {
                allowed.extend(list.iter().map(|a| a.as_str().unwrap().to_string()));
            }
            other => panic!("unexpected Action {other}"),
        }
    }
    let called = aws_actions_called();
    assert!(
        called.contains("ecs:RunTask") && called.contains("ecr:PutImage"),
        "{called:?}"
    );
    assert_eq!(
        allowed, called,
        "policy (left) and the calls in src/aws (right) differ"
    );
    let readme = readme();
    for action in &called {
        assert!(
            readme.contains(&format!("`{action}`")),
            "README's Permissions section misses `{action}`"
        );
    }
}
