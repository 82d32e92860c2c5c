//! The `services` input: several services that get the same image in one deploy.
//!
//! A YAML (or JSON) list; each item is a service name, or a mapping with `service` and optionally
//! `container` (a name or a list), `task-definition-family`, and `environment-variables` /
//! `secrets` added to the shared maps for that service only. Values keep the text written, as in
//! the shared maps. Unknown keys are an error that names the key and where it is.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor, value::MapAccessDeserializer};

use crate::error::UserError;
use crate::input::maps::{OneOrMany, Pairs, YamlScalar, first_duplicate, scalar_pairs};

/// One service of a deploy, as the user described it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceSpec {
    pub service: String,
    pub containers: Vec<String>,
    pub family: Option<String>,
    /// Added to (and overriding) the shared `environment-variables` for this service.
    pub environment_variables: Vec<(String, String)>,
    /// Added to (and overriding) the shared `secrets` for this service.
    pub secrets: Vec<(String, String)>,
}

/// Parses the `services` input; empty text is an empty list.
pub fn parse_services(text: &str) -> Result<Vec<ServiceSpec>, UserError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<Item> = serde_yaml::from_str(text).map_err(|err| {
        UserError::new(format!("input `services`: {}", crate::input::parse_error::yaml(&err)))
            .hint("write a list: `- api` or `- service: worker` with optional `container`, `task-definition-family`, `environment-variables`, `secrets`")
    })?;
    let mut specs: Vec<ServiceSpec> = Vec::new();
    for (i, Item(spec)) in items.into_iter().enumerate() {
        let at = format!("`services[{i}]`");
        if !crate::request::is_ecs_name(&spec.service) {
            return Err(UserError::new(format!(
                "{at}: the service name is invalid{}: use letters, digits, `-` and `_` (at most 255)",
                crate::request::problem(&spec.service)
                    .map_or_else(String::new, |p| format!(" ({p})"))
            )));
        }
        if specs.iter().any(|s| s.service == spec.service) {
            return Err(UserError::new(format!(
                "{at}: service `{}` is listed twice",
                spec.service
            )));
        }
        for (list, names) in [
            ("environment-variables", &spec.environment_variables),
            ("secrets", &spec.secrets),
        ] {
            if let Some(name) = first_duplicate(names.iter().map(|(n, _)| n)) {
                let which = crate::request::plain_name(name)
                    .map_or_else(|| "a name".to_string(), |n| format!("`{n}`"));
                return Err(UserError::new(format!("{at}.{list} names {which} twice")));
            }
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// The list as JSON (a valid `services` input), values as strings so they keep their text.
pub fn to_json(specs: &[ServiceSpec]) -> String {
    let object = |pairs: &[(String, String)]| {
        serde_json::Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        )
    };
    let list: Vec<serde_json::Value> = specs
        .iter()
        .map(|s| {
            let mut item = serde_json::json!({ "service": s.service });
            if !s.containers.is_empty() {
                item["container"] = serde_json::json!(s.containers);
            }
            if let Some(family) = &s.family {
                item["task-definition-family"] = serde_json::json!(family);
            }
            if !s.environment_variables.is_empty() {
                item["environment-variables"] = object(&s.environment_variables);
            }
            if !s.secrets.is_empty() {
                item["secrets"] = object(&s.secrets);
            }
            item
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// A list item: a bare name or a mapping.
#[derive(Debug, Clone)]
pub(crate) struct Item(pub(crate) ServiceSpec);

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Full {
    service: String,
    #[serde(default)]
    container: Option<OneOrMany>,
    #[serde(default)]
    task_definition_family: Option<String>,
    #[serde(default)]
    environment_variables: Option<Pairs<YamlScalar>>,
    #[serde(default)]
    secrets: Option<Pairs<YamlScalar>>,
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a service name or a mapping with `service`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
                Ok(Item(ServiceSpec {
                    service: v.to_string(),
                    ..ServiceSpec::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item, A::Error> {
                let full = Full::deserialize(MapAccessDeserializer::new(map))?;
                let containers = full
                    .container
                    .map(|c| c.into_vec(crate::request::split_list))
                    .unwrap_or_default();
                Ok(Item(ServiceSpec {
                    environment_variables: scalar_pairs(
                        full.environment_variables,
                        "environment-variables",
                    )
                    .map_err(de::Error::custom)?,
                    secrets: scalar_pairs(full.secrets, "secrets").map_err(de::Error::custom)?,
                    service: full.service,
                    containers,
                    family: full.task_definition_family,
                }))
            }
        }
        deserializer.deserialize_any(ItemVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_mappings_mix_and_values_keep_their_text() {
        let specs = parse_services(
            "- api\n- service: worker\n  container: [app, sidecar]\n  environment-variables:\n    QUEUE_CONCURRENCY: 10\n    RATIO: 1.10\n- service: scheduler\n  task-definition-family: sched\n  secrets:\n    CRON_TOKEN: arn:aws:ssm:us-east-1:123456789012:parameter/cron\n",
        )
        .unwrap();
        assert_eq!(
            specs[0],
            ServiceSpec {
                service: "api".into(),
                ..ServiceSpec::default()
            }
        );
        assert_eq!(specs[1].containers, ["app", "sidecar"]);
        assert_eq!(
            specs[1].environment_variables,
            vec![
                ("QUEUE_CONCURRENCY".to_string(), "10".to_string()),
                ("RATIO".to_string(), "1.10".to_string())
            ]
        );
        assert_eq!(specs[2].family.as_deref(), Some("sched"));
        assert_eq!(specs[2].secrets[0].0, "CRON_TOKEN");
    }

    #[test]
    fn the_json_form_parses_back_to_the_same_list() {
        let text = "- api\n- service: worker\n  container: [app, sidecar]\n  task-definition-family: w\n  environment-variables: {RATIO: 1.10}\n  secrets: {T: arn:aws:ssm:us-east-1:1:parameter/t}\n";
        let specs = parse_services(text).unwrap();
        assert_eq!(parse_services(&to_json(&specs)).unwrap(), specs);
    }

    #[test]
    fn a_json_list_works_too() {
        let specs =
            parse_services(r#"["api", {"service": "worker", "container": "app"}]"#).unwrap();
        assert_eq!(
            (specs[0].service.as_str(), specs[1].containers.as_slice()),
            ("api", ["app".to_string()].as_slice())
        );
    }

    #[test]
    fn unknown_keys_name_the_key_and_where_it_is() {
        let err = parse_services("- api\n- service: worker\n  containers: app\n").unwrap_err();
        assert!(
            err.message.starts_with("input `services`: [1]: ")
                && err.message.ends_with(" at line 3 column 3"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("unknown field `containers`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn duplicates_and_bad_names_are_refused() {
        assert_eq!(
            parse_services("- api\n- api\n").unwrap_err().message,
            "`services[1]`: service `api` is listed twice"
        );
        assert!(
            parse_services("- \"a b\"\n")
                .unwrap_err()
                .message
                .contains("the service name is invalid")
        );
        assert!(
            parse_services("api: x\n").is_err(),
            "a mapping is not a list"
        );
    }
}
