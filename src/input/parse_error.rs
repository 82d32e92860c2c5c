//! Parse errors that say where and what shape was expected, and never quote the value.
//!
//! serde's messages quote what they found (`invalid type: string "S3CR3T", expected a map`), and
//! the document is a user's input: a secret pasted one line too far left would be printed in the
//! annotation, the summary and `failure-reason`. [`yaml`] and [`json`] rebuild the message from
//! its parts instead: the path in the document (`environments.dev.services[1]`), the kind of
//! value found (`a string`), what was expected, and the line and column. Key names (``unknown
//! field `clustr` ``) are kept when they look like keys: they name the mistake. Anything not
//! recognised loses every quoted part.

use std::fmt::Write as _;

/// Where a YAML error is and what went wrong, without any value from the document.
pub fn yaml(err: &serde_yaml::Error) -> String {
    describe(
        &err.to_string(),
        err.location().map(|l| (l.line(), l.column())),
    )
}

/// Where a JSON error is and what went wrong, without any value from the document.
pub fn json(err: &serde_json::Error) -> String {
    let at = (err.line() > 0).then(|| (err.line(), err.column()));
    describe(&err.to_string(), at)
}

/// Rebuilds a serde message: `[path: ]what[ at line L column C]`.
fn describe(message: &str, at: Option<(usize, usize)>) -> String {
    let first = message.lines().next().unwrap_or_default();
    // `serde_yaml` and `serde_json` end with ` at line L column C` (libyaml may add `, while …`).
    let body = first.find(" at line ").map_or(first, |i| &first[..i]);
    let (path, what) = split_path(body);
    let mut out = String::new();
    if let Some(path) = path {
        out.push_str(&path);
        out.push_str(": ");
    }
    out.push_str(&shape(what));
    if let Some((line, column)) = at {
        let _ = write!(out, " at line {line} column {column}");
    }
    out
}

/// `serde_yaml` puts the path first (`environments.dev: …`, `.[0].container: …`).
fn split_path(body: &str) -> (Option<String>, &str) {
    let Some((head, rest)) = body.split_once(": ") else {
        return (None, body);
    };
    let is_path = !head.is_empty()
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '[' | ']' | '-' | '_'));
    if is_path {
        let path = head.strip_prefix('.').unwrap_or(head);
        (Some(printable(path)), rest)
    } else {
        (None, body)
    }
}

/// A message part as it may be shown: at most 300 characters, control characters escaped.
fn printable(text: &str) -> String {
    text.chars()
        .take(300)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Messages our own deserializers write: they name keys, never values.
const OURS: &[&str] = &["a value is needed here", "the value of `"];

/// What went wrong, in words that quote no value.
fn shape(what: &str) -> String {
    if let Some(rest) = what.strip_prefix("invalid type: ") {
        return found_expected(rest);
    }
    if let Some(rest) = what.strip_prefix("invalid value: ") {
        return found_expected(rest);
    }
    for (prefix, label) in [
        ("unknown field ", "unknown field"),
        ("missing field ", "missing field"),
        ("duplicate field ", "duplicate field"),
    ] {
        if let Some(rest) = what.strip_prefix(prefix) {
            return format!("{label} `{}`", key(rest));
        }
    }
    if let Some(rest) = what.strip_prefix("duplicate entry with key ") {
        return format!("duplicate key `{}`", key(rest));
    }
    if let Some((_, expected)) = what
        .strip_prefix("unknown variant ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return format!("unknown value, expected {expected}");
    }
    if what.starts_with("invalid length ")
        || OURS.iter().any(|ours| what.contains(ours))
        || !what.contains(['"', '`', '\''])
    {
        return printable(what);
    }
    if what.contains("untagged enum OneOrMany") {
        return "expected a name or a list of names".into();
    }
    printable(&before_any_quote(what))
}

/// `string "x", expected a map` → `expected a map, found a string`.
fn found_expected(rest: &str) -> String {
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let kind = found
        .split([' ', '"', '`'])
        .take_while(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let kind = match kind.as_str() {
        "" => "something else".to_string(),
        "integer" | "unit" | "enum" | "map" | "Option" => format!("an {kind}"),
        other => format!("a {other}"),
    };
    if expected.is_empty() {
        format!("found {kind}")
    } else {
        format!("expected {}, found {kind}", printable(expected))
    }
}

/// The key in `` `name`, expected one of … `` (or `"name"`) when it looks like one of ours
/// (lower-case letters, digits and `-`, at most 40, like `clustr`): anything else in a key's place
/// may be a value that slipped, and is not shown.
fn key(rest: &str) -> String {
    let quote = rest.chars().next().unwrap_or('`');
    let name = rest
        .get(quote.len_utf8()..)
        .and_then(|r| r.split(quote).next())
        .unwrap_or_default();
    let plain = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if plain {
        name.to_string()
    } else {
        "…".to_string()
    }
}

/// The text up to its first quote (`"`, `` ` `` or `'`): in a message we do not know, what is
/// quoted may be a value, and quotes inside it may be escaped, so nothing after one is kept.
fn before_any_quote(text: &str) -> String {
    match text.find(['"', '`', '\'']) {
        Some(at) => format!("{}…", text[..at].trim_end()),
        None => text.to_string(),
    }
}

#[cfg(test)]
#[path = "parse_error_tests.rs"]
mod tests;
