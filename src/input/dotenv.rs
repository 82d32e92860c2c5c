//! `dotenv-file`: a dotenv file in the workspace, read strictly.
//!
//! `KEY=value` lines; blank lines and `#` comments; an optional `export ` prefix; values
//! unquoted (up to a ` #` comment, trimmed), single-quoted (literal), or double-quoted (with
//! `\n`, `\r`, `\t`, `\"`, `\\` and `\$` escapes). Nothing is expanded: `$VAR` stays `$VAR`
//! (dotenv crates substitute from the process environment, which on a runner holds its secrets,
//! so this parser is our own). A line that does not parse is an error naming the file and the
//! line, never its text; a name given twice is an error naming both lines.

use crate::error::UserError;

/// The variables of a dotenv file's text, in order. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<(String, String)>, UserError> {
    // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut vars: Vec<(String, String, usize)> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export")
            .filter(|rest| rest.starts_with([' ', '\t']))
            .map_or(line, str::trim_start);
        let bad = |why: &str| {
            UserError::new(format!(
                "input `dotenv-file`: line {number} of `{file}` {why}"
            ))
            .hint(
                "lines are `NAME=value`, `# comments` or blank; values may be quoted with ' or \"",
            )
        };
        let Some((name, rest)) = line.split_once('=') else {
            return Err(bad("is not `NAME=value`"));
        };
        let name = name.trim_end();
        if !crate::domain::names::is_env_name(name) {
            return Err(bad(
                "does not start with a variable name (letters, digits, `_`, `.`, `-`; not a digit first)",
            ));
        }
        let value = value(rest.trim_start()).map_err(bad)?;
        if value.contains('\0') {
            // No environment variable can hold one; an editor that saved the file as UTF-16
            // writes them everywhere.
            return Err(bad(
                "has a NUL character in its value, which no environment variable can hold (is the file saved as UTF-16?)",
            ));
        }
        if let Some((_, _, first)) = vars.iter().find(|(n, _, _)| n == name) {
            return Err(UserError::new(format!(
                "input `dotenv-file`: `{name}` is set twice in `{file}` (lines {first} and {number})"
            )));
        }
        vars.push((name.to_string(), value, number));
    }
    Ok(vars.into_iter().map(|(n, v, _)| (n, v)).collect())
}

/// A value as written after `=`: quoted or not; what follows a closing quote may only be a
/// comment.
fn value(rest: &str) -> Result<String, &'static str> {
    let (value, after) = if let Some(quoted) = rest.strip_prefix('\'') {
        let end = quoted.find('\'').ok_or("has a ' that is not closed")?;
        (quoted[..end].to_string(), &quoted[end + 1..])
    } else if let Some(quoted) = rest.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some('t') => value.push('\t'),
                    Some(c @ ('"' | '\\' | '$')) => value.push(c),
                    Some(other) => {
                        value.push('\\');
                        value.push(other);
                    }
                    None => return Err("has a \" that is not closed"),
                },
                c => value.push(c),
            }
        }
        let end = end.ok_or("has a \" that is not closed")?;
        (value, &quoted[end..])
    } else {
        let value = match rest.find(" #").or_else(|| rest.find("\t#")) {
            Some(comment) => &rest[..comment],
            None => rest,
        };
        return Ok(value.trim_end().to_string());
    };
    let after = after.trim_start();
    if after.is_empty() || after.starts_with('#') {
        Ok(value)
    } else {
        Err("has text after its closing quote")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> Vec<(String, String)> {
        parse(".env", text).unwrap()
    }

    fn pair(name: &str, value: &str) -> (String, String) {
        (name.to_string(), value.to_string())
    }

    #[test]
    fn the_usual_forms_read_as_written() {
        let text = "# settings\n\nPORT=8080\nexport LOG_LEVEL=info # the default\r\nEMPTY=\nSPACED =  a b  \nSINGLE='it''s'\nLITERAL='$HOME \\n # not a comment'\nDOUBLE=\"line\\nnext \\\"quoted\\\" \\$HOME \\\\ end\" # comment\nURL=https://example.com/a#frag\nDOTS.AND-DASH=1\n";
        assert_eq!(
            parse(".env", text).unwrap_err().message,
            "input `dotenv-file`: line 7 of `.env` has text after its closing quote"
        );
        let text = text.replace("SINGLE='it''s'\n", "SINGLE='its'\n");
        assert_eq!(
            vars(&text),
            [
                pair("PORT", "8080"),
                pair("LOG_LEVEL", "info"),
                pair("EMPTY", ""),
                pair("SPACED", "a b"),
                pair("SINGLE", "its"),
                pair("LITERAL", "$HOME \\n # not a comment"),
                pair("DOUBLE", "line\nnext \"quoted\" $HOME \\ end"),
                pair("URL", "https://example.com/a#frag"),
                pair("DOTS.AND-DASH", "1"),
            ]
        );
    }

    #[test]
    fn nothing_is_expanded() {
        assert_eq!(
            vars("A=$PATH\nB=\"${HOME}\"\nC=`whoami`\n"),
            [
                pair("A", "$PATH"),
                pair("B", "${HOME}"),
                pair("C", "`whoami`")
            ]
        );
    }

    #[test]
    fn a_bad_line_names_the_file_and_line_never_its_text() {
        for (text, line, why) in [
            ("OK=1\nthe-secret-value\n", 2, "is not `NAME=value`"),
            ("1ST=x\n", 1, "does not start with a variable name"),
            ("A='s3cr3t\n", 1, "has a ' that is not closed"),
            ("A=\"s3cr3t\n", 1, "has a \" that is not closed"),
            ("A=\"s3cr3t\" tail\n", 1, "has text after its closing quote"),
            (
                "exportA=1\nexport =x\n",
                2,
                "does not start with a variable name",
            ),
        ] {
            let err = parse("config/app.env", text).unwrap_err();
            assert!(
                err.message.starts_with(&format!(
                    "input `dotenv-file`: line {line} of `config/app.env` {why}"
                )),
                "{text:?}: {}",
                err.message
            );
            assert!(
                !err.message.contains("s3cr3t") && !err.message.contains("the-secret-value"),
                "{}",
                err.message
            );
        }
        assert_eq!(
            parse(".env", "A=1\n\nA=2\n").unwrap_err().message,
            "input `dotenv-file`: `A` is set twice in `.env` (lines 1 and 3)"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_value_written_in_double_quotes_reads_back(value in "([^\u{0}]|\n){0,40}") {
            let escaped: String = value
                .chars()
                .map(|c| match c {
                    '\n' => "\\n".to_string(),
                    '\r' => "\\r".to_string(),
                    '\t' => "\\t".to_string(),
                    '"' => "\\\"".to_string(),
                    '\\' => "\\\\".to_string(),
                    '$' => "\\$".to_string(),
                    c => c.to_string(),
                })
                .collect();
            let text = format!("NAME=\"{escaped}\"\n");
            proptest::prop_assert_eq!(parse(".env", &text).unwrap(), vec![pair("NAME", &value)]);
        }

        /// A NUL anywhere in a value (no environment variable can hold one) is refused, naming
        /// the line, never the value.
        #[test]
        fn a_nul_in_any_value_is_refused_by_line(before in "[a-z ]{0,10}", after in "[a-z]{0,10}") {
            let text = format!("A=1\nNAME={before}\u{0}{after}\n");
            let err = parse(".env", &text).unwrap_err();
            proptest::prop_assert!(err.message.starts_with("input `dotenv-file`: line 2 of `.env` has a NUL character"), "{}", err.message);
        }
    }
}
