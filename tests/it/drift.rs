//! action.yml and the README are generated from the settings' declaration (its own tests compare
//! them); these check what the generation cannot: the binary writes the outputs declared, enforces
//! what the runner does not, and the example IAM policy allows exactly what the code calls.

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
fn action_yml_declares_the_settings_given_as_inputs_and_no_default_but_the_token() {
    let action = action_yml();
    let declared: Vec<&str> = action["inputs"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    let settings: Vec<&str> = ecs_ship::input::settings::action_inputs()
        .map(|s| s.name)
        .collect();
    assert_eq!(declared, settings);
    assert!(declared.len() <= 40, "{} inputs", declared.len());
    let defaults: Vec<(String, Option<String>)> = crate::support::declared_inputs()
        .into_iter()
        .filter(|(_, d)| d.is_some())
        .collect();
    assert_eq!(
        defaults,
        [(
            "github-token".to_string(),
            Some("${{ github.token }}".to_string())
        )]
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
    let table: Vec<String> = readme_table("<!-- outputs:start -->").into_keys().collect();
    assert_eq!(table, declared, "README outputs vs action.yml");
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
                "stop_task",
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
    // Tags ride on RegisterTaskDefinition (`revision-tags`), and registering and running tasks
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

/// Every ecs-ship step of the example workflows (and the workflows of this repository) gives only
/// inputs action.yml declares: an old or misspelt name would be refused at run time.
#[test]
fn example_workflows_give_only_declared_inputs() {
    let declared: Vec<String> = crate::support::declared_inputs()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut steps = 0;
    let dirs = ["examples", ".github/workflows"];
    for dir in dirs {
        let Ok(entries) =
            std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "yml") || path.ends_with("ecs-ship.yml") {
                continue;
            }
            let doc: serde_yaml::Value =
                serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let Some(jobs) = doc["jobs"].as_mapping() else {
                continue;
            };
            for job in jobs.values() {
                for step in job["steps"].as_sequence().into_iter().flatten() {
                    let uses = step["uses"].as_str().unwrap_or("");
                    if !(uses.contains("ecs-ship") || uses == "./") {
                        continue;
                    }
                    steps += 1;
                    for key in step["with"]
                        .as_mapping()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k)
                    {
                        let key = key.as_str().unwrap();
                        assert!(
                            declared.iter().any(|d| d == key),
                            "{}: input `{key}` is not declared in action.yml",
                            path.display()
                        );
                    }
                }
            }
        }
    }
    assert!(steps >= 8, "{steps} ecs-ship steps found");
}
