//! Task definitions as AWS wire JSON: turning a described one into a registrable one, rendering the
//! requested changes, normalising for comparison, and redacting for display.
//!
//! The document is never copied field by field: we remove what AWS rejects on register (the
//! read-only fields) and change only what was asked, so every other field survives, including
//! fields newer than the SDK we were built with.

use serde_json::{Map, Value, json};

pub mod diff;
pub mod logs;
pub mod needs;

/// Fields `DescribeTaskDefinition` returns that `RegisterTaskDefinition` does not accept.
pub const READ_ONLY_FIELDS: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

/// Turns a `DescribeTaskDefinition` response (`{"taskDefinition": ..., "tags": [...]}`), or a
/// bare task definition as in a template file, into a `RegisterTaskDefinition` request body.
pub fn registrable(document: &Value) -> Value {
    let (body, tags) = match document.get("taskDefinition") {
        Some(inner) => (inner, document.get("tags")),
        None => (document, None),
    };
    let mut body = body.as_object().cloned().unwrap_or_default();
    for field in READ_ONLY_FIELDS {
        body.remove(*field);
    }
    if let Some(tags) = tags.filter(|t| t.as_array().is_some_and(|a| !a.is_empty())) {
        body.insert("tags".into(), tags.clone());
    }
    Value::Object(body)
}

/// An awslogs configuration to set, with the region already resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsLogs {
    pub group: String,
    pub region: String,
    pub stream_prefix: Option<String>,
}

/// The changes a deploy makes to a task definition. Everything not named here is kept.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub family: Option<String>,
    /// Containers that get the image, env, secrets and logs. Must exist in the base.
    pub containers: Vec<String>,
    pub image: String,
    pub environment: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
    /// Replace the containers' environment with exactly `environment`, instead of merging.
    pub replace_environment: bool,
    /// Names to take out of the containers' environment and secrets.
    pub remove_environment: Vec<String>,
    pub remove_secrets: Vec<String>,
    /// Docker labels set on the containers (merged by key).
    pub docker_labels: Vec<(String, String)>,
    /// Other containers' images: container name and the reference written.
    pub images: Vec<(String, String)>,
    /// The command the containers run instead of the image's.
    pub command: Option<Vec<String>>,
    /// S3 object ARNs of environment files (`environmentFiles`), added to the containers' (or,
    /// with `replace_environment`, replacing them).
    pub environment_files: Vec<String>,
    /// Task-level CPU units and memory (MiB).
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub logs: Option<AwsLogs>,
    pub execution_role_arn: Option<String>,
    pub task_role_arn: Option<String>,
}

/// The names of the containers of a task definition, in order.
pub fn container_names(td: &Value) -> Vec<String> {
    containers(td)
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn containers(td: &Value) -> &[Value] {
    td.get("containerDefinitions")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A hint listing a task definition's containers: `` its containers are: `a`, `b` ``.
pub fn containers_hint(names: &[String]) -> String {
    format!(
        "its containers are: {}",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The current image of a named container.
pub fn container_image<'a>(td: &'a Value, container: &str) -> Option<&'a str> {
    containers(td)
        .iter()
        .find(|c| c["name"] == container)
        .and_then(|c| c.get("image"))
        .and_then(Value::as_str)
}

/// Applies `changes` to a registrable task definition. Fails only if a named container is missing.
pub fn render(base: &Value, changes: &Changes) -> Result<Value, String> {
    let mut td = registrable(base);
    let body = td.as_object_mut().expect("registrable returns an object");
    if let Some(family) = &changes.family {
        body.insert("family".into(), json!(family));
    }
    if let Some(arn) = &changes.execution_role_arn {
        body.insert("executionRoleArn".into(), json!(arn));
    }
    if let Some(arn) = &changes.task_role_arn {
        body.insert("taskRoleArn".into(), json!(arn));
    }
    // Task-level sizes are strings in the API.
    if let Some(cpu) = changes.cpu {
        body.insert("cpu".into(), json!(cpu.to_string()));
    }
    if let Some(memory) = changes.memory {
        body.insert("memory".into(), json!(memory.to_string()));
    }
    let Some(Value::Array(defs)) = body.get_mut("containerDefinitions") else {
        return Err("the task definition has no `containerDefinitions`".into());
    };
    for (name, image) in &changes.images {
        let container = defs
            .iter_mut()
            .find(|c| c["name"] == name.as_str())
            .and_then(Value::as_object_mut)
            .ok_or_else(|| {
                format!("the task definition has no container `{name}` (input `container-images`)")
            })?;
        container.insert("image".into(), json!(image));
    }
    for name in &changes.containers {
        let container = defs
            .iter_mut()
            .find(|c| c["name"] == name.as_str())
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("the task definition has no container `{name}`"))?;
        container.insert("image".into(), json!(changes.image));
        if changes.replace_environment {
            container.insert("environment".into(), json!([]));
        }
        for (key, value) in &changes.environment {
            set_named(container, "environment", key, "value", value);
            remove_named(container, "secrets", key);
        }
        for (key, value_from) in &changes.secrets {
            set_named(container, "secrets", key, "valueFrom", value_from);
            remove_named(container, "environment", key);
        }
        for key in &changes.remove_environment {
            remove_named(container, "environment", key);
        }
        for key in &changes.remove_secrets {
            remove_named(container, "secrets", key);
        }
        if changes.replace_environment || !changes.environment_files.is_empty() {
            set_environment_files(
                container,
                &changes.environment_files,
                changes.replace_environment,
            );
        }
        if let Some(command) = &changes.command {
            container.insert("command".into(), json!(command));
        }
        if !changes.docker_labels.is_empty() {
            let labels = container.entry("dockerLabels").or_insert_with(|| json!({}));
            if !labels.is_object() {
                *labels = json!({});
            }
            let labels = labels.as_object_mut().expect("made an object above");
            for (key, value) in &changes.docker_labels {
                labels.insert(key.clone(), json!(value));
            }
        }
        if let Some(logs) = &changes.logs {
            set_awslogs(container, logs);
        }
    }
    Ok(td)
}

/// Adds the S3 environment files not there yet (or, replacing, sets exactly these).
fn set_environment_files(container: &mut Map<String, Value>, arns: &[String], replace: bool) {
    let files = container
        .entry("environmentFiles")
        .or_insert_with(|| json!([]));
    if replace || !files.is_array() {
        *files = json!([]);
    }
    let files = files.as_array_mut().expect("made an array above");
    for arn in arns {
        if !files.iter().any(|f| f["value"] == arn.as_str()) {
            files.push(json!({"value": arn, "type": "s3"}));
        }
    }
}

/// Sets `{name, <field>: value}` in the named list, in place when the name exists, else appended.
fn set_named(container: &mut Map<String, Value>, list: &str, name: &str, field: &str, value: &str) {
    let entries = container.entry(list).or_insert_with(|| json!([]));
    if !entries.is_array() {
        *entries = json!([]);
    }
    let entries = entries.as_array_mut().expect("made an array above");
    match entries.iter_mut().find(|e| e["name"] == name) {
        Some(entry) => entry[field] = json!(value),
        None => entries.push(json!({ "name": name, field: value })),
    }
}

fn remove_named(container: &mut Map<String, Value>, list: &str, name: &str) {
    if let Some(Value::Array(entries)) = container.get_mut(list) {
        entries.retain(|e| e["name"] != name);
    }
}

fn set_awslogs(container: &mut Map<String, Value>, logs: &AwsLogs) {
    let current = container
        .get("logConfiguration")
        .filter(|c| c["logDriver"] == "awslogs");
    let mut config = current
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut options = config
        .get("options")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let prefix = logs
        .stream_prefix
        .clone()
        .or_else(|| {
            options
                .get("awslogs-stream-prefix")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "ecs".into());
    options.insert("awslogs-group".into(), json!(logs.group));
    options.insert("awslogs-region".into(), json!(logs.region));
    options.insert("awslogs-stream-prefix".into(), json!(prefix));
    config.insert("logDriver".into(), json!("awslogs"));
    config.insert("options".into(), Value::Object(options));
    container.insert("logConfiguration".into(), Value::Object(config));
}

/// Sets (or replaces) one tag on a registrable task definition.
pub fn set_tag(td: &mut Value, key: &str, value: &str) {
    let body = td.as_object_mut().expect("registrable returns an object");
    let tags = body.entry("tags").or_insert_with(|| json!([]));
    if !tags.is_array() {
        *tags = json!([]);
    }
    let tags = tags.as_array_mut().expect("made an array above");
    tags.retain(|t| t["key"] != key);
    tags.push(json!({"key": key, "value": value}));
}

/// Tags ecs-ship writes about a deploy; they say nothing about what runs, so comparisons skip them.
pub const OWN_TAG_PREFIX: &str = "ecs-ship:";

/// The value of a tag in a task definition or describe response.
pub fn tag<'a>(document: &'a Value, key: &str) -> Option<&'a str> {
    let tags = document
        .get("tags")
        .or_else(|| document.get("taskDefinition").and_then(|t| t.get("tags")))?;
    tags.as_array()?.iter().find(|t| t["key"] == key)?["value"].as_str()
}

/// A form of a task definition for comparison: read-only fields gone, empty values and defaults
/// that AWS (or moto) fills in dropped, named lists sorted, `cpu`/`memory` as strings.
pub fn normalized(td: &Value) -> Value {
    let mut td = registrable(td);
    let body = td.as_object_mut().expect("registrable returns an object");
    for field in ["cpu", "memory"] {
        if let Some(n) = body.get(field).and_then(Value::as_u64) {
            body.insert(field.into(), json!(n.to_string()));
        }
    }
    if let Some(Value::Array(tags)) = body.get_mut("tags") {
        tags.retain(|t| {
            !t["key"]
                .as_str()
                .is_some_and(|k| k.starts_with(OWN_TAG_PREFIX))
        });
    }
    if let Some(tags) = body.get_mut("tags") {
        sort_by_key(tags, "key");
    }
    if let Some(Value::Array(list)) = body.get_mut("requiresCompatibilities") {
        list.sort_by_key(ToString::to_string);
    }
    if let Some(Value::Array(defs)) = body.get_mut("containerDefinitions") {
        for container in defs.iter_mut().filter_map(Value::as_object_mut) {
            for list in ["environment", "secrets"] {
                if let Some(entries) = container.get_mut(list) {
                    sort_by_key(entries, "name");
                }
            }
            if container.get("cpu").and_then(Value::as_u64) == Some(0) {
                container.remove("cpu");
            }
            if container.get("essential") == Some(&Value::Bool(true)) {
                container.remove("essential");
            }
            if let Some(Value::Array(ports)) = container.get_mut("portMappings") {
                for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                    if port.get("protocol").is_some_and(|p| p == "tcp") {
                        port.remove("protocol");
                    }
                }
            }
        }
    }
    drop_empty(&mut td);
    td
}

fn sort_by_key(list: &mut Value, key: &str) {
    if let Value::Array(items) = list {
        items.sort_by(|a, b| a[key].as_str().cmp(&b[key].as_str()));
    }
}

/// Removes nulls, empty arrays and empty objects, recursively.
fn drop_empty(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(drop_empty);
            map.retain(|_, v| !is_empty(v));
        }
        Value::Array(items) => items.iter_mut().for_each(drop_empty),
        _ => {}
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A copy safe to print: every environment variable's value replaced by `***`.
pub fn redacted(td: &Value) -> Value {
    let mut td = td.clone();
    if let Some(Value::Array(defs)) = td.get_mut("containerDefinitions") {
        for container in defs {
            if let Some(Value::Array(env)) = container.get_mut("environment") {
                for entry in env.iter_mut().filter(|e| e.get("value").is_some()) {
                    entry["value"] = json!("***");
                }
            }
        }
    }
    td
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

/// Fargate's task sizes: for each CPU value (units), the memory (MiB) it allows, from, to, step.
const FARGATE_SIZES: [(u32, u32, u32, u32); 7] = [
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122_880, 8192),
];

/// Whether Fargate runs a task of `cpu` units and `memory` MiB; if not, what it allows, one line.
pub fn fargate_size(cpu: u32, memory: u32) -> Result<(), String> {
    let Some((_, from, to, step)) = FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu) else {
        return Err(format!(
            "Fargate's CPU values are {}",
            FARGATE_SIZES
                .iter()
                .map(|(c, ..)| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    // 256 CPU allows 512, 1024 and 2048 only.
    let allowed = if cpu == 256 {
        [512, 1024, 2048].contains(&memory)
    } else {
        (*from..=*to).contains(&memory) && (memory - from).is_multiple_of(*step)
    };
    if allowed {
        Ok(())
    } else if cpu == 256 {
        Err("with CPU 256, Fargate's memory is 512, 1024 or 2048".into())
    } else {
        Err(format!(
            "with CPU {cpu}, Fargate's memory is {from} to {to} in steps of {step}"
        ))
    }
}

/// Whether the task definition requires Fargate.
pub fn requires_fargate(td: &Value) -> bool {
    td["requiresCompatibilities"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c == "FARGATE"))
}
