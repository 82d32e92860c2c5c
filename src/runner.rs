//! The runner's files: `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`.
//!
//! Outputs are written as the toolkit writes them: `name<<ghadelimiter_<uuid>`, the value, the
//! delimiter, refusing a name or value that contains the delimiter. All outputs go out in one
//! `write_all` so a cancelled run never leaves half an entry. [`parse_file_command`] is the
//! runner's own parser (`EnvFileKeyValuePairs`), used by tests to read what we wrote.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

/// Formats outputs in the runner's heredoc form with a fresh random delimiter.
pub fn format_outputs(outputs: &[(&str, String)]) -> anyhow::Result<String> {
    let delimiter = format!("ghadelimiter_{}", uuid::Uuid::new_v4());
    let mut text = String::new();
    for (name, value) in outputs {
        if name.is_empty() || name.contains(['\n', '\r', '=', '<']) {
            bail!("output name `{}` is not allowed", name.escape_default());
        }
        if name.contains(&delimiter) || value.contains(&delimiter) {
            bail!("output `{name}` contains the delimiter");
        }
        let _ = write!(text, "{name}<<{delimiter}\n{value}\n{delimiter}\n");
    }
    Ok(text)
}

/// Appends outputs to the `GITHUB_OUTPUT` file.
pub fn write_outputs(path: &Path, outputs: &[(&str, String)]) -> anyhow::Result<()> {
    append(path, &format_outputs(outputs)?)
        .with_context(|| format!("writing outputs to `{}`", path.display()))
}

/// Appends Markdown to the `GITHUB_STEP_SUMMARY` file.
pub fn write_summary(path: &Path, markdown: &str) -> anyhow::Result<()> {
    append(path, markdown)
        .with_context(|| format!("writing the step summary to `{}`", path.display()))
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())?;
    file.flush()
}

/// Parses a file command file (`GITHUB_OUTPUT`, `GITHUB_ENV`) with the runner's rules: lines split
/// on `\n` only, `name=value` split at the first `=`, `name<<DELIM` up to a line equal to `DELIM`.
/// Any malformed entry fails the whole file, as it fails the whole step on a runner.
pub fn parse_file_command(text: &str) -> Result<Vec<(String, String)>, String> {
    let lines: Vec<&str> = text.split('\n').collect();
    // A trailing newline leaves one empty last element, which is not a line.
    let count = if text.ends_with('\n') {
        lines.len() - 1
    } else {
        lines.len()
    };
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < count {
        let line = lines[i];
        i += 1;
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                let (key, value) = line.split_at(e);
                if key.is_empty() {
                    return Err(format!("Invalid format '{line}'. Name must not be empty"));
                }
                pairs.push((key.to_string(), value[1..].to_string()));
            }
            (_, Some(h)) => {
                let (key, delimiter) = (&line[..h], &line[h + 2..]);
                if key.is_empty() || delimiter.is_empty() {
                    return Err(format!(
                        "Invalid format '{line}'. Name must not be empty and delimiter must not be empty"
                    ));
                }
                let start = i;
                loop {
                    if i >= count {
                        return Err(format!(
                            "Invalid value. Matching delimiter not found '{delimiter}'"
                        ));
                    }
                    if lines[i] == delimiter {
                        break;
                    }
                    i += 1;
                }
                pairs.push((key.to_string(), lines[start..i].join("\n")));
                i += 1;
            }
            _ => return Err(format!("Invalid format '{line}'")),
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_round_trip_through_the_runner_parser() {
        let outputs = [
            ("status", "deployed".to_string()),
            ("multi", "a\nb\r\nc".to_string()),
            ("empty", String::new()),
        ];
        let text = format_outputs(&outputs).unwrap();
        let parsed = parse_file_command(&text).unwrap();
        assert_eq!(
            parsed,
            outputs
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_hostile_value_cannot_inject_another_output() {
        // With a fixed delimiter like EOF this value would end the entry and add `status=deployed`.
        let value = "x\nEOF\nstatus=deployed\nghadelimiter_guess".to_string();
        let text = format_outputs(&[("image", value.clone())]).unwrap();
        let parsed = parse_file_command(&text).unwrap();
        assert_eq!(parsed, vec![("image".to_string(), value)]);
    }

    #[test]
    fn delimiters_are_random_per_write() {
        let a = format_outputs(&[("x", "1".into())]).unwrap();
        let b = format_outputs(&[("x", "1".into())]).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("x<<ghadelimiter_"));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(format_outputs(&[("a=b", "1".into())]).is_err());
        assert!(format_outputs(&[("a\nb", "1".into())]).is_err());
    }

    #[test]
    fn the_parser_follows_the_runner() {
        assert_eq!(
            parse_file_command("a=b=c\n\nd=\n").unwrap(),
            vec![("a".into(), "b=c".into()), ("d".into(), String::new())]
        );
        assert_eq!(
            parse_file_command("a=x\r\n").unwrap(),
            vec![("a".into(), "x\r".into())],
            "CR stays in the value on Linux"
        );
        assert!(parse_file_command("novalue\n").is_err());
        assert!(
            parse_file_command("a<<EOF\nvalue\n")
                .unwrap_err()
                .contains("Matching delimiter not found")
        );
        assert!(parse_file_command("=x\n").is_err());
    }

    #[test]
    fn writes_append_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        write_outputs(&path, &[("a", "1".into())]).unwrap();
        write_outputs(&path, &[("b", "2".into())]).unwrap();
        let parsed = parse_file_command(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(parsed.len(), 2);
    }
}
