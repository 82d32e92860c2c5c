//! Parsing the `environment-variables` and `secrets` maps.
//!
//! Both accept a JSON object (a `BACKEND_ENV_JSON`-style secret as it is) or a YAML mapping. Values are
//! kept as the exact text the user wrote: `8080`, `1.10`, `on` and `0123` stay as written, never
//! re-formatted through a number or a boolean. Order is kept and duplicate names are an error.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::UserError;

/// Parses a map setting where a null value (`NAME: ~`, `"NAME": null`) takes the name out.
/// `label` names the setting in errors; values are never echoed.
pub fn parse_map_nullable(
    label: &str,
    text: &str,
) -> Result<Vec<(String, Option<String>)>, UserError> {
    parse(label, text, true)
}

/// Parses a map input. `input` names the input in errors; values are never echoed.
pub fn parse_map(input: &str, text: &str) -> Result<Vec<(String, String)>, UserError> {
    Ok(parse(&format!("`{input}`"), text, false)?
        .into_iter()
        .map(|(n, v)| (n, v.unwrap_or_default()))
        .collect())
}

fn parse(label: &str, text: &str, nulls: bool) -> Result<Vec<(String, Option<String>)>, UserError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let pairs = if trimmed.starts_with('{') {
        parse_json(label, trimmed, nulls)?
    } else {
        parse_yaml(label, trimmed, nulls)?
    };
    if let Some(name) = crate::text::first_duplicate(pairs.iter().map(|(n, _)| n)) {
        let which = crate::text::plain_name(name)
            .map_or_else(|| "a name".to_string(), |n| format!("`{n}`"));
        return Err(UserError::new(format!("{label} names {which} twice"))
            .hint("each name may appear once"));
    }
    Ok(pairs)
}

fn parse_json(
    label: &str,
    text: &str,
    nulls: bool,
) -> Result<Vec<(String, Option<String>)>, UserError> {
    let raw: Pairs<Box<RawValue>> = serde_json::from_str(text).map_err(|err| {
        UserError::new(format!(
            "{label} is not a valid JSON object: {}",
            describe_json_error(&err)
        ))
        .hint(r#"write it as {"NAME": "value"} or as a YAML mapping `NAME: value`"#)
    })?;
    raw.0
        .into_iter()
        .map(|(name, value)| {
            if nulls && value.get() == "null" {
                return Ok((name, None));
            }
            let text =
                json_scalar_text(value.get()).ok_or_else(|| not_a_scalar(label, &name, nulls))?;
            Ok((name, Some(text)))
        })
        .collect()
}

/// The text of a JSON scalar exactly as written (numbers keep their digits), or `None` for
/// objects, arrays and null.
fn json_scalar_text(raw: &str) -> Option<String> {
    match raw.as_bytes().first()? {
        b'"' => serde_json::from_str::<String>(raw).ok(),
        b'{' | b'[' | b'n' => None,
        _ => Some(raw.to_string()),
    }
}

/// Where and what went wrong, without quoting the document.
fn describe_json_error(err: &serde_json::Error) -> String {
    crate::input::parse_error::json(err)
}

fn parse_yaml(
    label: &str,
    text: &str,
    nulls: bool,
) -> Result<Vec<(String, Option<String>)>, UserError> {
    // First pass: the kind of each value (a null, `~`, reads as text when asked for a string).
    let typed = serde_yaml::from_str::<Pairs<serde_yaml::Value>>(text)
        .map(|Pairs(typed)| typed)
        .unwrap_or_default();
    if let Some((name, _)) = typed.iter().find(|(_, v)| {
        (v.is_null() && !nulls)
            || v.is_mapping()
            || v.is_sequence()
            || matches!(v, serde_yaml::Value::Tagged(_))
    }) {
        return Err(not_a_scalar(label, name, nulls));
    }
    let null = |name: &str| typed.iter().any(|(n, v)| n == name && v.is_null());
    // Second pass: the text of each value exactly as written.
    let raw: Pairs<YamlScalar> = serde_yaml::from_str(text).map_err(|err| {
        let location = err.location().map(|l| format!(" at line {} column {}", l.line(), l.column())).unwrap_or_default();
        let what = if err.to_string().contains("scalar") || err.to_string().contains("sequence") {
            "a value is not a string, number or boolean"
        } else {
            "it is not a JSON object or a YAML mapping"
        };
        UserError::new(format!("{label} could not be read{location}: {what}"))
            .hint("write `NAME: value` lines, or a JSON object {\"NAME\": \"value\"}; nested maps and lists are not allowed")
    })?;
    raw.0
        .into_iter()
        .map(|(name, YamlScalar(value))| match value {
            Some(_) if nulls && null(&name) => Ok((name, None)),
            Some(text) => Ok((name, Some(text))),
            None if nulls => Ok((name, None)),
            None => Err(not_a_scalar(label, &name, nulls)),
        })
        .collect()
}

fn not_a_scalar(label: &str, name: &str, nulls: bool) -> UserError {
    let name = crate::text::printable(name);
    let also = if nulls {
        ", or null to take it out"
    } else {
        ""
    };
    UserError::new(format!(
        "{label}: the value of `{name}` must be a string, number or boolean{also}"
    ))
    .hint("quote the value; for an empty value write \"\"")
}

/// A map read as ordered pairs, so duplicate names can be reported instead of silently dropped.
pub(crate) struct Pairs<V>(pub(crate) Vec<(String, V)>);

impl<'de, V: de::Deserialize<'de>> de::Deserialize<'de> for Pairs<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: de::Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = Pairs<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    pairs.push((key, value));
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))
    }
}

/// Name/value pairs from a YAML mapping of scalars; an empty value is an error naming it.
pub(crate) fn scalar_pairs(
    pairs: Option<Pairs<YamlScalar>>,
    what: &str,
) -> Result<Vec<(String, String)>, String> {
    pairs
        .map(|Pairs(p)| p)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, YamlScalar(value))| {
            value
                .map(|v| (name.clone(), v))
                .ok_or_else(|| format!("{what}: the value of `{name}` is empty"))
        })
        .collect()
}

/// A YAML value that is one string or a list of strings (`container: app` or `[app, sidecar]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The list; a single string is split with `split` (e.g. on commas).
    pub fn into_vec(self, split: fn(&str) -> Vec<String>) -> Vec<String> {
        match self {
            Self::One(text) => split(&text),
            Self::Many(items) => items,
        }
    }
}

/// `base` with `top`'s pairs added, `top` winning on a name both have; order kept.
pub fn merged(base: &[(String, String)], top: &[(String, String)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = base
        .iter()
        .filter(|(n, _)| !top.iter().any(|(t, _)| t == n))
        .cloned()
        .collect();
    all.extend(top.iter().cloned());
    all
}

/// A YAML scalar as the text written; `None` for null (`~`, `null` or nothing).
pub(crate) struct YamlScalar(pub(crate) Option<String>);

impl<'de> de::Deserialize<'de> for YamlScalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = YamlScalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(YamlScalar(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(YamlScalar(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(YamlScalar(None))
            }
        }
        deserializer.deserialize_str(ScalarVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn json_object_keeps_exact_number_text_and_order() {
        let got = parse_map(
            "environment-variables",
            r#"{"PORT": 8080, "RATIO": 1.10, "ZIP": "0123", "ON": true, "A": "x"}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("PORT", "8080"),
                ("RATIO", "1.10"),
                ("ZIP", "0123"),
                ("ON", "true"),
                ("A", "x")
            ])
        );
    }

    #[test]
    fn seed_004_backend_env_json_works_as_is() {
        let got = parse_map(
            "environment-variables",
            r#"{"DB_HOST":"db.internal","DB_PORT":"5432","FEATURE_X":"on"}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("DB_HOST", "db.internal"),
                ("DB_PORT", "5432"),
                ("FEATURE_X", "on")
            ])
        );
        let secrets = parse_map("secrets", r#"{"OPENAI_API_KEY":"arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf"}"#).unwrap();
        assert_eq!(
            secrets[0].1,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:openai-AbCdEf"
        );
    }

    #[test]
    fn yaml_mapping_keeps_the_text_as_written() {
        let got = parse_map("environment-variables", "PORT: 8080\nRATIO: 1.10\nFLAG: on\nZIP: 0123\nHEX: 0x1F\nQUOTED: 'a: b'\nEMPTY: \"\"\n").unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("PORT", "8080"),
                ("RATIO", "1.10"),
                ("FLAG", "on"),
                ("ZIP", "0123"),
                ("HEX", "0x1F"),
                ("QUOTED", "a: b"),
                ("EMPTY", "")
            ])
        );
    }

    #[test]
    fn empty_input_is_an_empty_map() {
        assert!(parse_map("secrets", "  \n").unwrap().is_empty());
        assert!(parse_map("secrets", "{}").unwrap().is_empty());
    }

    #[test]
    fn malformed_json_names_the_input_and_never_echoes_values() {
        let err = parse_map("environment-variables", r#"{"TOKEN": "s3cr3t-value",}"#).unwrap_err();
        assert!(
            err.message
                .starts_with("`environment-variables` is not a valid JSON object"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("s3cr3t"), "{}", err.message);
    }

    #[test]
    fn nested_values_and_nulls_are_refused_by_name() {
        let err = parse_map("environment-variables", r#"{"A": {"b": 1}}"#).unwrap_err();
        assert_eq!(
            err.message,
            "`environment-variables`: the value of `A` must be a string, number or boolean"
        );
        let err = parse_map("environment-variables", r#"{"A": null}"#).unwrap_err();
        assert!(err.message.contains("`A`"));
        let err = parse_map("environment-variables", "A:\nB: 1\n").unwrap_err();
        assert!(err.message.contains("`A`"), "{}", err.message);
        let err = parse_map("environment-variables", "A: [1, 2]\n").unwrap_err();
        assert_eq!(
            err.message,
            "`environment-variables`: the value of `A` must be a string, number or boolean"
        );
        let err = parse_map("environment-variables", "A: ~\n").unwrap_err();
        assert!(err.message.contains("`A`"), "{}", err.message);
    }

    #[test]
    fn duplicate_names_are_an_error() {
        let err = parse_map("environment-variables", r#"{"A": "1", "A": "2"}"#).unwrap_err();
        assert_eq!(err.message, "`environment-variables` names `A` twice");
        assert!(parse_map("environment-variables", "A: 1\nA: 2\n").is_err());
    }

    #[test]
    fn a_yaml_list_or_plain_text_is_not_a_map() {
        assert!(parse_map("environment-variables", "- a\n- b\n").is_err());
        assert!(parse_map("environment-variables", "just text").is_err());
    }
}
