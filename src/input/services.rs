//! The `services` input: several services that get the same image in one deploy.
//!
//! A YAML (or JSON) list; each item is a service name, or a mapping with `service` and optionally
//! `container` (a name or a list), `family`, and `environment-variables` /
//! `secrets` added to the shared maps for that service only. Values keep the text written, as in
//! the shared maps. Unknown keys are an error that names the key and where it is.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor, value::MapAccessDeserializer};

use crate::error::UserError;
use crate::input::maps::{OneOrMany, Pairs, YamlScalar, scalar_pairs};

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

/// Parses the `services` input; empty text is an empty list. Names are checked by
/// [`crate::request`].
pub fn parse(text: &str) -> Result<Vec<ServiceSpec>, UserError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<Item> = serde_yaml::from_str(text).map_err(|err| {
        UserError::new(format!("input `services`: {}", crate::input::parse_error::yaml(&err)))
            .hint("write a list: `- api` or `- service: worker` with optional `container`, `family`, `environment-variables`, `secrets`")
    })?;
    Ok(items.into_iter().map(|Item(spec)| spec).collect())
}

/// `services` as the config file gives it: one service (a name or ARN), or a list.
#[derive(Debug, Clone)]
pub enum OneOrList {
    One(String),
    List(Vec<ServiceSpec>),
}

impl<'de> Deserialize<'de> for OneOrList {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrListVisitor;
        impl<'de> Visitor<'de> for OneOrListVisitor {
            type Value = OneOrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a service name or a list of services")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrList, E> {
                Ok(OneOrList::One(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrList, A::Error> {
                let mut specs = Vec::new();
                while let Some(Item(spec)) = seq.next_element::<Item>()? {
                    specs.push(spec);
                }
                Ok(OneOrList::List(specs))
            }
        }
        deserializer.deserialize_any(OneOrListVisitor)
    }
}

/// `services` given as text: one service (a name or ARN on one line), or a YAML/JSON list.
pub fn parse_setting(text: &str) -> Result<OneOrList, UserError> {
    let text = text.trim();
    let one_line = !text.contains('\n');
    if one_line && !text.starts_with(['[', '-', '{']) {
        return Ok(OneOrList::One(text.to_string()));
    }
    parse(text).map(OneOrList::List)
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
    family: Option<String>,
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
                    .map(|c| c.into_vec(crate::text::split_list))
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
                    family: full.family,
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
        let specs = parse(
            "- api\n- service: worker\n  container: [app, sidecar]\n  environment-variables:\n    QUEUE_CONCURRENCY: 10\n    RATIO: 1.10\n- service: scheduler\n  family: sched\n  secrets:\n    CRON_TOKEN: arn:aws:ssm:us-east-1:123456789012:parameter/cron\n",
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
    fn a_json_list_works_too() {
        let specs = parse(r#"["api", {"service": "worker", "container": "app"}]"#).unwrap();
        assert_eq!(
            (specs[0].service.as_str(), specs[1].containers.as_slice()),
            ("api", ["app".to_string()].as_slice())
        );
    }

    #[test]
    fn unknown_keys_name_the_key_and_where_it_is() {
        let err = parse("- api\n- service: worker\n  containers: app\n").unwrap_err();
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
    fn a_mapping_is_not_a_list() {
        assert!(parse("api: x\n").is_err());
    }
}
