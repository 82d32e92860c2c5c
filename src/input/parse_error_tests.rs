use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

use super::*;
use crate::input::maps::parse_map;
use crate::request::PreDeployTask;

const SECRET: &str = "S3CR3T";

/// The `one-off-task` input read and checked, as a run does.
fn pre_deploy_task(text: &str) -> Result<Option<PreDeployTask>, crate::error::UserError> {
    crate::input::predeploy::parse(text)?
        .as_ref()
        .map(crate::request::predeploy::validate)
        .transpose()
}

#[test]
fn the_reported_leak_names_the_path_and_the_shape_only() {
    let err = crate::input::services::parse("- service: web\n  environment-variables: S3CR3T")
        .unwrap_err();
    assert_eq!(
        err.message,
        "input `services`: [0].environment-variables: expected a map of names to values, found a string at line 2 column 26"
    );
}

#[test]
fn serde_messages_are_rebuilt_without_values() {
    for (message, expected) in [
        (
            "invalid type: string \"S3CR3T\", expected a map",
            "expected a map, found a string",
        ),
        (
            "a.b[2]: invalid type: integer `12345`, expected a string at line 4 column 7",
            "a.b[2]: expected a string, found an integer",
        ),
        (
            "invalid value: string \"S3CR3T\", expected a boolean",
            "expected a boolean, found a string",
        ),
        (
            "environments.dev: unknown field `clustr`, expected one of `cluster`, `service`",
            "environments.dev: unknown field `clustr`",
        ),
        (
            "unknown variant `S3CR3T`, expected `A` or `B`",
            "unknown value, expected `A` or `B`",
        ),
        ("duplicate entry with key \"db\"", "duplicate key `db`"),
        (
            "did not find expected key, while parsing a block mapping",
            "did not find expected key, while parsing a block mapping",
        ),
        ("something new: 'S3CR3T' and \"S3CR3T\"", "something new:…"),
        (
            "environment-variables: the value of `A` is empty",
            "environment-variables: the value of `A` is empty",
        ),
    ] {
        assert_eq!(describe(message, None), expected, "{message}");
    }
}

/// A YAML value built from keys our parsers know (and some they do not), with the secret in
/// every scalar.
fn document() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("service"),
        Just("container"),
        Just("environment-variables"),
        Just("secrets"),
        Just("task-definition-family"),
        Just("family"),
        Just("command"),
        Just("subnets"),
        Just("timeout-minutes"),
        Just("assign-public-ip"),
        Just("environments"),
        Just("defaults"),
        Just("dev"),
        Just("cluster"),
        Just("production"),
        Just("services"),
        Just("PORT"),
    ];
    let leaf = prop_oneof![
        (0u32..1000).prop_map(|n| Value::String(format!("{SECRET}-{n}"))),
        (0u32..1000).prop_map(|n| Value::String(format!("x {SECRET} {n}: y"))),
        Just(Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
            tag: serde_yaml::value::Tag::new("x"),
            value: Value::String(SECRET.into()),
        }))),
    ];
    leaf.prop_recursive(4, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            prop::collection::vec((key.clone(), inner), 0..4).prop_map(|pairs| {
                Value::Mapping(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (Value::String(k.into()), v))
                        .collect::<Mapping>(),
                )
            }),
        ]
    })
}

/// The document as text, sometimes damaged (so syntax errors are tried too).
fn text() -> impl Strategy<Value = String> {
    (
        document(),
        any::<bool>(),
        0usize..400,
        prop_oneof![Just(":"), Just("\n  -"), Just("{"), Just("\""), Just("\t")],
    )
        .prop_map(|(doc, damage, at, with)| {
            let mut text = serde_yaml::to_string(&doc).unwrap_or_default();
            if damage && !text.is_empty() {
                let at = crate::text::floor_boundary(&text, at % text.len());
                text.insert_str(at, with);
            }
            text
        })
}

fn has_key(value: &Value, needle: &str) -> bool {
    match value {
        Value::Mapping(m) => m.iter().any(|(k, v)| {
            serde_yaml::to_string(k).is_ok_and(|k| k.contains(needle)) || has_key(v, needle)
        }),
        Value::Sequence(items) => items.iter().any(|v| has_key(v, needle)),
        Value::Tagged(t) => has_key(&t.value, needle),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn no_parser_of_ours_echoes_a_value(text in text()) {
        // Damage can turn a value into a key (`S3CR3T:`); keys are named on purpose.
        let secret_is_a_key = serde_yaml::from_str::<Value>(&text).is_ok_and(|v| has_key(&v, SECRET));
        prop_assume!(!secret_is_a_key);
        let messages = [
            crate::input::services::parse(&text)
                .and_then(|specs| crate::request::services::check(&specs))
                .err()
                .map(|e| e.message),
            pre_deploy_task(&text).err().map(|e| e.message),
            parse_map("environment-variables", &text).err().map(|e| e.message),
            serde_yaml::from_str::<serde_json::Value>(&text).err().map(|e| yaml(&e)),
        ];
        for message in messages.into_iter().flatten() {
            prop_assert!(!message.contains(SECRET), "{}\n---\n{}", message, text);
        }
    }

    #[test]
    fn json_errors_echo_nothing_either(doc in document()) {
        let text = serde_json::to_string(&doc).unwrap_or_default();
        for cut in [text.len(), text.len() / 2] {
            let at = crate::text::floor_boundary(&text, cut);
            let part = &text[..at];
            if let Err(e) = parse_map("secrets", part) {
                prop_assert!(!e.message.contains(SECRET), "{}", e.message);
            }
            if let Err(e) = serde_json::from_str::<std::collections::BTreeMap<String, bool>>(part) {
                prop_assert!(!json(&e).contains(SECRET), "{}", json(&e));
            }
        }
    }
}

#[test]
fn pre_deploy_tasks_parse_as_before() {
    assert_eq!(
        pre_deploy_task("family: x").unwrap(),
        Some(PreDeployTask {
            family: Some("x".into()),
            ..PreDeployTask::default()
        })
    );
}
