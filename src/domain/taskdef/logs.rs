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

/// What a task definition holds that its tasks' output must not show: every environment value
/// of every container (the first list) and every secret reference (`valueFrom`, and the name it
/// ends in), the second.
pub fn sensitive_values(task_definition: &Value) -> (Vec<String>, Vec<String>) {
    let body = super::registrable(task_definition);
    let mut values = Vec::new();
    let mut references = Vec::new();
    for c in body["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for e in c["environment"].as_array().into_iter().flatten() {
            if let Some(v) = e["value"].as_str() {
                values.push(v.to_string());
            }
        }
        let secrets = c["secrets"]
            .as_array()
            .into_iter()
            .chain(c["logConfiguration"]["secretOptions"].as_array())
            .flatten();
        for s in secrets {
            if let Some(from) = s["valueFrom"].as_str() {
                references.push(from.to_string());
                let name = from
                    .rsplit_once(":secret:")
                    .map(|(_, rest)| rest.split(':').next().unwrap_or(rest))
                    .or_else(|| from.rsplit_once(":parameter").map(|(_, rest)| rest))
                    .unwrap_or(from);
                references.push(name.to_string());
            }
        }
    }
    (values, references)
}
