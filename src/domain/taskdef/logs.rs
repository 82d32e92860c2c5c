//! Where a task definition's containers write their output, and which of them are essential.

use serde_json::Value;

/// Where a container's `awslogs` output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLocation {
    pub group: String,
    pub region: String,
    /// Known only with an `awslogs-stream-prefix` (`prefix/container/task-id`).
    pub stream: Option<String>,
}

/// The containers of a task definition that are essential (`essential` defaults to true).
pub fn essential_containers(task_definition: &Value) -> Vec<String> {
    super::registrable(task_definition)["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["essential"].as_bool() != Some(false))
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

/// Where `container`'s output goes, from its `awslogs` log configuration.
pub fn log_location(
    task_definition: &Value,
    container: &str,
    task_id: Option<&str>,
    region: &str,
) -> Option<LogLocation> {
    let body = super::registrable(task_definition);
    let def = body["containerDefinitions"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == container)?;
    let logs = &def["logConfiguration"];
    if logs["logDriver"] != "awslogs" {
        return None;
    }
    let options = &logs["options"];
    let group = options["awslogs-group"].as_str()?.to_string();
    let stream = match (options["awslogs-stream-prefix"].as_str(), task_id) {
        (Some(prefix), Some(id)) => Some(format!("{prefix}/{container}/{id}")),
        _ => None,
    };
    Some(LogLocation {
        group,
        region: options["awslogs-region"]
            .as_str()
            .unwrap_or(region)
            .to_string(),
        stream,
    })
}
