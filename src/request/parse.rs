//! Parsers for single input values. Each error names the input and quotes the value, escaped.

use std::time::Duration;

use crate::error::UserError;

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
    match plain_name(name) {
        Some(name) => UserError::new(format!(
            "input `{input}`: the name `{name}` is invalid: {why}"
        )),
        None => UserError::new(format!(
            "input `{input}`: a name is invalid{}: {why}",
            problem(name).map_or_else(String::new, |p| format!(" ({p})"))
        )),
    }
}

/// `name` when it can be shown as a name: 1 to 64 ASCII letters, digits, `_`, `.` and `-`.
pub fn plain_name(name: &str) -> Option<&str> {
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    plain.then_some(name)
}

/// What makes a value unusual, without quoting it: a line break, a control, invisible or
/// non-ASCII character (shown by its code point, so a lookalike letter is visible), whitespace,
/// or its length. `None` when nothing stands out (the rule in the message says the rest).
pub fn problem(value: &str) -> Option<String> {
    for (i, c) in value.chars().enumerate() {
        let at = i + 1;
        let what = match c {
            '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => "a line break".to_string(),
            c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
            c if crate::report::markdown::is_hidden(c) => {
                format!("the invisible character U+{:04X}", u32::from(c))
            }
            c if !c.is_ascii() => format!("the non-ASCII character `{c}` (U+{:04X})", u32::from(c)),
            c if c.is_whitespace() => "a space".to_string(),
            _ => continue,
        };
        return Some(format!("it contains {what} at character {at}"));
    }
    let length = value.chars().count();
    (length > 255).then(|| format!("it is {length} characters long"))
}

/// A value as it may be quoted in an error: one line, control characters shown escaped.
pub fn printable(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(200)
        .flat_map(char::escape_default)
        .collect();
    if value.chars().count() > 200 {
        out.push('…');
    }
    out
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

/// Splits a comma- or newline-separated list, trimming items and dropping blanks.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub use crate::domain::ecs::is_ecs_name;

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

pub fn is_role_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
        && !value.chars().any(char::is_whitespace)
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
    match pairs.iter().find(|(n, _)| !is_env_name(n)) {
        Some((name, _)) => Err(invalid_name(
            input,
            name,
            &format!(
                "{kind} names start with a letter or `_`, then letters, digits, `_`, `.`, `-`"
            ),
        )),
        None => Ok(()),
    }
}

pub(crate) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub(crate) fn is_environment_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}
