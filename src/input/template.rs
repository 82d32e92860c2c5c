//! The `template` setting: a task definition template file in the workspace, read and
//! parsed (JSON, or YAML with AWS's field names).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::UserError;
use crate::input::workspace::Workspace;
use crate::text::printable;

/// A task definition template read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub path: PathBuf,
    pub document: Value,
}

/// Reads and parses the template at `path` (in the workspace).
pub fn read(workspace: &Workspace, path: &str) -> Result<Template, UserError> {
    let text = workspace.read("template", path)?;
    let is_json = Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    let document: Value = if is_json {
        serde_json::from_str(&text).map_err(|err| {
            UserError::new(format!(
                "input `template`: `{}` is not valid JSON: {}",
                printable(path),
                crate::input::parse_error::json(&err)
            ))
        })?
    } else {
        serde_yaml::from_str(&text).map_err(|err| {
            UserError::new(format!(
                "input `template`: `{}` is not valid YAML: {}",
                printable(path),
                crate::input::parse_error::yaml(&err)
            ))
        })?
    };
    let body = document.get("taskDefinition").unwrap_or(&document);
    if !body
        .get("containerDefinitions")
        .is_some_and(Value::is_array)
    {
        return Err(UserError::new(format!(
            "input `template`: `{}` has no `containerDefinitions` list",
            printable(path)
        ))
        .hint("use AWS's field names, as `aws ecs describe-task-definition` prints them"));
    }
    Ok(Template {
        path: PathBuf::from(path),
        document,
    })
}
