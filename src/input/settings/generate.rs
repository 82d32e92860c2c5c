//! The generated documents: action.yml's `inputs:` and `outputs:`, and the README's settings and
//! outputs tables. A test compares each with the checked-in file and, with
//! `ECS_SHIP_BLESS=1`, rewrites it (`scripts/generate` does that).

use std::fmt::Write as _;

use super::{Group, OUTPUTS, RENAMED, SETTINGS, Setting, Shape, fields};

/// Where each generated block lives in the README.
pub const README_BLOCKS: [(&str, &str); 3] = [
    ("<!-- settings:start -->", "<!-- settings:end -->"),
    ("<!-- outputs:start -->", "<!-- outputs:end -->"),
    ("<!-- renamed:start -->", "<!-- renamed:end -->"),
];

/// A YAML double-quoted scalar (JSON's string syntax is one).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// A setting's full description: its help, its fields, its default.
fn description(setting: &Setting, markdown: bool) -> String {
    let mut text = setting.help.to_string();
    let fields = fields(setting);
    if !fields.is_empty() {
        let items: Vec<String> = fields
            .iter()
            .map(|f| format!("`{}` ({})", f.name, f.help))
            .collect();
        text.push(' ');
        text.push_str(&items.join("; "));
        text.push('.');
    }
    if markdown {
        text = text.replace('|', "\\|");
    }
    text
}

/// action.yml from `inputs:` up to (not including) `runs:`.
pub fn action_yml_inputs_and_outputs() -> String {
    let mut out = String::from("inputs:\n");
    for group in Group::ALL {
        let inputs: Vec<&Setting> = SETTINGS
            .iter()
            .filter(|s| s.places.action && s.group == group)
            .collect();
        if inputs.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  # {}", group.title());
        for setting in inputs {
            let mut description = description(setting, false);
            if let Some(default) = setting.default {
                let _ = write!(description, " Default: `{default}`.");
            }
            let _ = writeln!(out, "  {}:", setting.name);
            let _ = writeln!(out, "    description: {}", quoted(&description));
            let required = setting.name == "environment";
            let _ = writeln!(out, "    required: {required}");
            // Only a value the runner alone can resolve: any other default is applied after the
            // config file, so that an input left out leaves the file's value.
            if let Some(default) = setting.default.filter(|d| d.starts_with("${{")) {
                let _ = writeln!(out, "    default: {default}");
            }
        }
    }
    out.push_str("\noutputs:\n");
    for output in OUTPUTS {
        let _ = writeln!(out, "  {}:", output.name);
        let _ = writeln!(out, "    description: {}", quoted(output.help));
    }
    out.push('\n');
    out
}

/// Where a setting may be given, for the README.
fn places(setting: &Setting) -> &'static str {
    let p = setting.places;
    match (p.action, p.file, p.cli) {
        (true, true, true) => "input, file, CLI",
        (true, false, true) => "input, CLI",
        (false, true, true) => "file, CLI",
        (false, false, true) => "CLI",
        (false, true, false) => "file",
        _ => "input",
    }
}

/// The README's settings tables, one per group.
pub fn readme_settings() -> String {
    let mut out = String::new();
    for group in Group::ALL {
        let settings: Vec<&Setting> = SETTINGS.iter().filter(|s| s.group == group).collect();
        let _ = writeln!(out, "\n### {}\n", group.title());
        out.push_str("| setting | where | default | what |\n|---|---|---|---|\n");
        for setting in settings {
            let default = match (setting.name, setting.default) {
                ("environment", _) => "**required**".to_string(),
                (_, Some(default)) => format!("`{default}`"),
                (_, None) => String::new(),
            };
            let kind = match setting.kind {
                Shape::Mapping(_) => " (mapping)",
                Shape::Map => " (map)",
                Shape::List => " (list)",
                _ => "",
            };
            let _ = writeln!(
                out,
                "| `{}`{kind} | {} | {default} | {} |",
                setting.name,
                places(setting),
                description(setting, true)
            );
        }
    }
    out.push('\n');
    out
}

/// The README's outputs table.
pub fn readme_outputs() -> String {
    let mut out = String::from("\n| output | what |\n|---|---|\n");
    for output in OUTPUTS {
        let _ = writeln!(
            out,
            "| `{}` | {} |",
            output.name,
            output.help.replace('|', "\\|")
        );
    }
    out.push('\n');
    out
}

/// The README's table of old names.
pub fn readme_renamed() -> String {
    let mut out = String::from("\n| was | now |\n|---|---|\n");
    for renamed in RENAMED {
        let _ = writeln!(
            out,
            "| `{}` | {} |",
            renamed.old,
            renamed.instead.replace('|', "\\|")
        );
    }
    out.push('\n');
    out
}

/// `text` with the part between `start` and `end` replaced by `block`; `None` when the markers
/// are missing.
pub fn replace_between(text: &str, start: &str, end: &str, block: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = from + text[from..].find(end)?;
    Some(format!("{}{block}{}", &text[..from], &text[to..]))
}

/// action.yml with its inputs and outputs regenerated.
pub fn action_yml(current: &str) -> Option<String> {
    let from = current.find("\ninputs:\n")? + 1;
    let to = current.find("\nruns:\n")? + 1;
    Some(format!(
        "{}{}{}",
        &current[..from],
        action_yml_inputs_and_outputs(),
        &current[to..]
    ))
}

/// The README with its generated tables regenerated.
pub fn readme(current: &str) -> Option<String> {
    let blocks = [readme_settings(), readme_outputs(), readme_renamed()];
    let mut text = current.to_string();
    for ((start, end), block) in README_BLOCKS.iter().zip(blocks) {
        text = replace_between(&text, start, end, &block)?;
    }
    Some(text)
}
