//! Parsers for single input values. Each error names the input and quotes the value, escaped.

use std::time::Duration;

use crate::error::UserError;
use crate::text::{plain_name, printable, problem, shorten};

/// `None` for an absent or blank input: the runner sets every declared input, empty when unset.
pub(crate) fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// An input whose value is wrong. The value is never quoted (it may be anything, a pasted secret
/// included); what is wrong with it is described instead (see [`problem`]).
pub(crate) fn invalid(input: &str, value: &str, why: &str) -> UserError {
    UserError::new(format!(
        "input `{input}` is invalid{}: {why}",
        problem(value).map_or_else(String::new, |p| format!(" ({p})"))
    ))
}

/// A map key (an environment variable or secret name) that is wrong. A key that looks like one
/// (see [`plain_name`]) is shown, since it says which entry is meant; anything else is described
/// like a value.
pub(crate) fn invalid_name(input: &str, name: &str, why: &str) -> UserError {
    invalid_nth_name(input, name, None, why)
}

/// A name that is invalid, named: quoted (escaped, at most 40 characters) when it reads as a
/// name; when it has the shape of a pasted value or line (whitespace, `=`, `:`), by its place
/// in the map (`position`: its number and how many there are) and what is wrong with it, never
/// quoted.
pub(crate) fn invalid_nth_name(
    input: &str,
    name: &str,
    position: Option<(usize, usize)>,
    why: &str,
) -> UserError {
    if let Some(name) = plain_name(name) {
        return UserError::new(format!(
            "input `{input}`: the name `{name}` is invalid: {why}"
        ));
    }
    let pasted = name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '=' || c == ':');
    let unusual = problem(name).map_or_else(String::new, |p| format!(" ({p})"));
    if !pasted {
        return UserError::new(format!(
            "input `{input}`: the name `{}` is invalid{unusual}: {why}",
            shorten(&printable(name), 40)
        ));
    }
    let which = match position {
        Some((n, of)) if of > 1 => format!("name {n} of {of}"),
        _ => "a name".to_string(),
    };
    UserError::new(format!(
        "input `{input}`: {which} is invalid{unusual}: {why}"
    ))
}

pub(crate) fn parse_bool(input: &str, value: &str) -> Result<bool, UserError> {
    // The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them.
    match value.trim() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        other => Err(invalid(input, other, "expected `true` or `false`")),
    }
}

/// Splits a list input on commas and newlines, dropping blanks.
pub(crate) fn parse_list(value: Option<&String>) -> Vec<String> {
    given(value).map_or_else(Vec::new, split_list)
}

pub use crate::domain::arn::is_role_arn;
pub use crate::domain::names::{is_ecs_name, is_env_name, is_environment_name};
use crate::text::split_list;

/// ECS names: up to 255 letters, digits, `-` and `_`; ARNs are accepted as they are.
pub(crate) fn ecs_name(input: &str, value: Option<&String>) -> Result<Option<String>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    let ok = if value.starts_with("arn:") {
        !value.chars().any(char::is_whitespace)
    } else {
        is_ecs_name(value)
    };
    if ok {
        Ok(Some(value.to_string()))
    } else {
        Err(invalid(
            input,
            value,
            "use letters, digits, `-` and `_` (at most 255), or an ARN",
        ))
    }
}

pub(crate) fn role_arn(input: &str, value: Option<&String>) -> Result<Option<String>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    if is_role_arn(value) {
        Ok(Some(value.to_string()))
    } else {
        Err(invalid(
            input,
            value,
            "expected an IAM role ARN like `arn:aws:iam::123456789012:role/name`",
        ))
    }
}

pub(crate) fn is_region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

pub(crate) fn region(input: &str, value: Option<&String>) -> Result<Option<String>, UserError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    if is_region(value) {
        Ok(Some(value.to_string()))
    } else {
        Err(invalid(
            input,
            value,
            "expected an AWS region like `us-east-1`",
        ))
    }
}

pub(crate) fn whole_number(
    input: &str,
    value: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, UserError> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            invalid(
                input,
                value,
                &format!(
                    "expected a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// A positive number of minutes, decimals allowed (`0.5` is 30 s), at most 6 hours.
pub(crate) fn minutes(input: &str, value: &str) -> Result<Duration, UserError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|m| m.is_finite() && *m > 0.0 && *m <= 360.0)
        .map(|m| Duration::from_secs_f64(m * 60.0))
        .ok_or_else(|| {
            invalid(
                input,
                value,
                "expected a number of minutes above 0 and at most 360, e.g. `15` or `0.5`",
            )
        })
}

/// Refuses the first name of `pairs` (environment variables or secrets of input `input`) that is
/// not a variable name.
pub(crate) fn check_names(
    input: &str,
    kind: &str,
    pairs: &[(String, String)],
) -> Result<(), UserError> {
    match pairs.iter().enumerate().find(|(_, (n, _))| !is_env_name(n)) {
        Some((i, (name, _))) => Err(invalid_nth_name(
            input,
            name,
            Some((i + 1, pairs.len())),
            &format!(
                "{kind} names start with a letter or `_`, then letters, digits, `_`, `.`, `-`"
            ),
        )),
        None => Ok(()),
    }
}
