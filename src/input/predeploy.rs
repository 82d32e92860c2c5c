//! The `one-off-task` input as written: a task-definition family name, or a mapping.
//!
//! ```yaml
//! family: api-migrate          # default: the (first) service's own task definition
//! container: app               # default: the first container the deploy updates
//! command: [npm, run, migrate] # or "npm run migrate"; default: the image's command
//! subnets: [subnet-0abc]       # default: the service's awsvpc network configuration
//! security-groups: [sg-0abc]
//! assign-public-ip: false
//! time-limit-minutes: 10       # default: `time-limit-minutes`
//! ```
//!
//! The same shape is read from the step's text ([`parse`]) and from the config file
//! (`Deserialize`); [`crate::request`] validates its values.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor, value::MapAccessDeserializer};

use crate::domain::names::is_ecs_name;
use crate::error::UserError;
use crate::input::maps::OneOrMany;

/// The task as written.
#[derive(Debug, Clone, PartialEq)]
pub enum PreDeployInput {
    /// A task-definition family to run, with everything else as the deploy's.
    Family(String),
    Mapping(PreDeployMapping),
}

/// The mapping form, fields as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PreDeployMapping {
    pub family: Option<String>,
    pub container: Option<String>,
    pub command: Option<OneOrMany>,
    pub subnets: Option<OneOrMany>,
    pub security_groups: Option<OneOrMany>,
    pub assign_public_ip: Option<bool>,
    pub time_limit_minutes: Option<serde_yaml::Value>,
}

const INPUT: &str = "one-off-task";
pub const HINT: &str = "give a family name, or a mapping with `family`, `container`, `command`, \
                        `subnets`, `security-groups`, `assign-public-ip`, `time-limit-minutes`";

/// Reads the step's text; blank text is no task.
pub fn parse(text: &str) -> Result<Option<PreDeployInput>, UserError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if is_ecs_name(text) {
        return Ok(Some(PreDeployInput::Family(text.to_string())));
    }
    let mapping: PreDeployMapping = serde_yaml::from_str(text).map_err(|err| {
        UserError::new(format!(
            "input `{INPUT}`: {}",
            crate::input::parse_error::yaml(&err)
        ))
        .hint(HINT)
    })?;
    Ok(Some(PreDeployInput::Mapping(mapping)))
}

impl<'de> Deserialize<'de> for PreDeployInput {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InputVisitor;
        impl<'de> Visitor<'de> for InputVisitor {
            type Value = PreDeployInput;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a task-definition family name or a mapping")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PreDeployInput, E> {
                if is_ecs_name(v.trim()) {
                    Ok(PreDeployInput::Family(v.trim().to_string()))
                } else {
                    Err(E::custom(
                        "a task-definition family name is letters, digits, `-` and `_`",
                    ))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PreDeployInput, A::Error> {
                PreDeployMapping::deserialize(MapAccessDeserializer::new(map))
                    .map(PreDeployInput::Mapping)
            }
        }
        deserializer.deserialize_any(InputVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_the_config_file_give_the_same_shape() {
        assert_eq!(parse(" \n").unwrap(), None);
        assert_eq!(
            parse("api-migrate").unwrap(),
            Some(PreDeployInput::Family("api-migrate".into()))
        );
        let from_text = parse("command: [npm, run, migrate]\ntime-limit-minutes: 2").unwrap();
        let from_file: PreDeployInput =
            serde_yaml::from_str("command: [npm, run, migrate]\ntime-limit-minutes: 2").unwrap();
        assert_eq!(from_text, Some(from_file));
        let family: PreDeployInput = serde_yaml::from_str("api-migrate").unwrap();
        assert_eq!(family, PreDeployInput::Family("api-migrate".into()));
        assert!(serde_yaml::from_str::<PreDeployInput>("npm run migrate").is_err());
        let err = parse("comand: [x]").unwrap_err();
        assert!(
            err.message.contains("unknown field `comand`"),
            "{}",
            err.message
        );
    }
}
