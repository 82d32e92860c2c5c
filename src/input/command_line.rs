//! The one grammar for a command (`container-command`, the pre-deploy task's `command`): a list of
//! arguments (`[npm, run, migrate]`, in YAML or JSON), or a line split into arguments as a shell
//! would (quotes and backslashes; nothing expanded, no shell run).

use crate::error::UserError;
use crate::text::problem;

/// Parses a command given as text. `label` names the setting in errors; the value is never
/// quoted.
pub fn parse(label: &str, text: &str) -> Result<Vec<String>, UserError> {
    let text = text.trim();
    let args = if text.starts_with('[') {
        serde_yaml::from_str::<Vec<String>>(text).map_err(|_| {
            invalid(
                label,
                text,
                "expected a list of strings, like `[npm, start]`",
            )
        })?
    } else {
        shlex::split(text).ok_or_else(|| {
            invalid(
                label,
                text,
                "its quotes are not closed (it is split into arguments as a shell would)",
            )
        })?
    };
    check(label, text, args)
}

/// A command given as a list: at least one argument, the first not empty.
pub fn check(label: &str, text: &str, args: Vec<String>) -> Result<Vec<String>, UserError> {
    if args.first().is_none_or(|a| a.trim().is_empty()) {
        return Err(invalid(label, text, "expected a program and its arguments"));
    }
    Ok(args)
}

fn invalid(label: &str, value: &str, why: &str) -> UserError {
    UserError::new(format!(
        "{label} is invalid{}: {why}",
        problem(value).map_or_else(String::new, |p| format!(" ({p})"))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_as_a_shell_would_and_a_list_is_kept() {
        assert_eq!(
            parse("x", r#"sh -c "npm run migrate && echo done""#).unwrap(),
            ["sh", "-c", "npm run migrate && echo done"]
        );
        assert_eq!(parse("x", "[npm, start]").unwrap(), ["npm", "start"]);
        assert!(parse("x", "echo 'open").is_err());
        assert!(parse("x", "[]").is_err());
        assert!(parse("x", "  ").is_err());
    }
}
