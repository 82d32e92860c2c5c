//! Where a task definition's containers write their output, and which of them are essential.

use serde_json::Value;

use super::needs::SecretRef;

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
/// of every container (the first list) and every secret reference as [`super::needs`] finds them
/// (`valueFrom`, and the name it ends in), the second.
pub fn sensitive_values(task_definition: &Value) -> (Vec<String>, Vec<String>) {
    let body = super::registrable(task_definition);
    let values = body["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["environment"].as_array().into_iter().flatten())
        .filter_map(|e| e["value"].as_str().map(str::to_string))
        .collect();
    let mut references = Vec::new();
    for secret in super::needs::needs(&body).secrets {
        match &secret.reference {
            SecretRef::Secret { arn, .. } => {
                references.extend(
                    arn.rsplit_once(":secret:")
                        .map(|(_, name)| name.to_string()),
                );
            }
            SecretRef::Parameter { names, .. } => references.extend(names.iter().cloned()),
            SecretRef::SecretName(name) => references.push(name.clone()),
            SecretRef::Invalid(_) => {}
        }
        references.push(secret.value_from);
    }
    (values, references)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_environment_value_and_every_secret_reference_is_sensitive() {
        let td = json!({"taskDefinition": {"containerDefinitions": [
            {"name": "app",
             "environment": [{"name": "TOKEN", "value": "tok-1"}],
             "secrets": [
                {"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf:password::"},
                {"name": "KEY", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/app/key"}],
             "logConfiguration": {"logDriver": "awsfirelens",
                "secretOptions": [{"name": "apikey", "valueFrom": "/app/log-key"}]}},
            {"name": "proxy", "environment": [{"name": "MODE", "value": "edge"}],
             "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:1:secret:hub-XyZ"}}
        ]}});
        let (values, references) = sensitive_values(&td);
        assert_eq!(values, ["tok-1", "edge"]);
        assert_eq!(
            references,
            [
                "db-AbCdEf",
                "arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf:password::",
                "/app/key",
                "arn:aws:ssm:us-east-1:1:parameter/app/key",
                "/app/log-key",
                "/app/log-key",
                "hub-XyZ",
                "arn:aws:secretsmanager:us-east-1:1:secret:hub-XyZ",
            ]
        );
    }
}
