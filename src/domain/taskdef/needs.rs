//! What a task definition needs from the account before its tasks can start: the secrets and
//! parameters its containers reference, its roles, its log groups and its images. Pure: read off
//! the task definition, for the preflight to check.

use serde_json::Value;

use crate::domain::image::{EcrRepository, ImageRef};

/// Where a secret reference (`valueFrom`) points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An SSM parameter, by name or ARN.
    Parameter {
        /// The names it may have: an ARN `parameter/a` is the name `/a` or `a`.
        names: Vec<String>,
        /// From an ARN: the parameter's region and account (`None`: the deploy's).
        region: Option<String>,
        account: Option<String>,
    },
    /// A Secrets Manager secret, by ARN (the suffix forms name a JSON key and a version).
    Secret {
        /// The secret's ARN, without the `:json-key:version-stage:version-id` suffix.
        arn: String,
        region: String,
        account: String,
        json_key: Option<String>,
        version_stage: Option<String>,
        version_id: Option<String>,
    },
    /// A Secrets Manager secret by name, in the task's own region and account: what
    /// `repositoryCredentials.credentialsParameter` may give besides an ARN (the API reference:
    /// "if the secret exists in the same Region as the task that you're launching then you can use
    /// either the full ARN or the name of the secret").
    SecretName(String),
    /// Neither: what is wrong with it.
    Invalid(String),
}

impl SecretRef {
    /// Parses `repositoryCredentials.credentialsParameter`: a Secrets Manager secret by ARN, or
    /// by name in the task's own region (never an SSM parameter).
    pub fn credentials(value_from: &str) -> Self {
        if value_from.starts_with("arn:") {
            return Self::parse(value_from);
        }
        let valid = !value_from.is_empty()
            && value_from.len() <= 512
            && value_from
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
        if valid {
            Self::SecretName(value_from.to_string())
        } else {
            Self::Invalid("not a Secrets Manager secret name or ARN".into())
        }
    }

    /// Parses a `valueFrom`: a Secrets Manager ARN, an SSM parameter ARN, or a parameter name (a
    /// parameter in the task's own region and account, as ECS reads it).
    pub fn parse(value_from: &str) -> Self {
        let Some(rest) = value_from.strip_prefix("arn:") else {
            if value_from.is_empty() || value_from.chars().any(char::is_whitespace) {
                return Self::Invalid("not a parameter name or an ARN".into());
            }
            return Self::Parameter {
                names: vec![value_from.to_string()],
                region: None,
                account: None,
            };
        };
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [_partition, service, region, account, resource] = parts[..] else {
            return Self::Invalid("an ARN has six `:`-separated parts".into());
        };
        match service {
            "ssm" => {
                let Some(path) = resource.strip_prefix("parameter") else {
                    return Self::Invalid("an SSM ARN names a `parameter/...`".into());
                };
                if !path.starts_with('/') || path.len() < 2 {
                    return Self::Invalid("an SSM ARN names a `parameter/...`".into());
                }
                let mut names = vec![path.to_string()];
                if path.matches('/').count() == 1 {
                    names.push(path[1..].to_string());
                }
                Self::Parameter {
                    names,
                    region: Some(region.to_string()),
                    account: Some(account.to_string()),
                }
            }
            "secretsmanager" => {
                let Some(after) = resource.strip_prefix("secret:") else {
                    return Self::Invalid("a Secrets Manager ARN names a `secret:...`".into());
                };
                let mut fields = after.split(':');
                let name = fields.next().unwrap_or_default();
                let mut field = || fields.next().filter(|f| !f.is_empty()).map(str::to_string);
                let (json_key, version_stage, version_id) = (field(), field(), field());
                if name.is_empty() || fields.next().is_some() {
                    return Self::Invalid(
                        "a Secrets Manager ARN is `...:secret:name[:json-key:version-stage:version-id]`"
                            .into(),
                    );
                }
                let arn_len = value_from.len() - after.len() + name.len();
                Self::Secret {
                    arn: value_from[..arn_len].to_string(),
                    region: region.to_string(),
                    account: account.to_string(),
                    json_key,
                    version_stage,
                    version_id,
                }
            }
            _ => Self::Invalid("not an SSM parameter or Secrets Manager ARN".into()),
        }
    }
}

/// One secret a container uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretUse {
    pub container: String,
    /// The environment variable (or log option, or `repositoryCredentials`) it fills.
    pub name: String,
    /// The `valueFrom` as written.
    pub value_from: String,
    pub reference: SecretRef,
}

/// One container's awslogs log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupUse {
    pub container: String,
    pub group: String,
    /// `awslogs-region`, when given.
    pub region: Option<String>,
    /// `awslogs-create-group` is true as the awslogs driver reads it ([`go_bool`]): the driver
    /// creates the group.
    pub create: bool,
    /// `awslogs-create-group` as written, when the driver cannot read it as a boolean.
    pub create_unreadable: Option<String>,
}

/// A boolean as Go's `strconv.ParseBool` reads it, which the awslogs log driver uses for
/// `awslogs-create-group`: `1`, `t`, `T`, `TRUE`, `true`, `True` and their false twins; anything
/// else is not a boolean (`None`).
pub fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// One container's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUse {
    pub container: String,
    pub image: String,
    /// Its ECR repository, tag and digest; `None` for another registry.
    pub ecr: Option<(EcrRepository, ImageRef)>,
}

/// What a task definition needs to start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub execution_role: Option<String>,
    pub task_role: Option<String>,
    pub secrets: Vec<SecretUse>,
    pub log_groups: Vec<LogGroupUse>,
    pub images: Vec<ImageUse>,
}

/// What `task_definition` (registrable form or `DescribeTaskDefinition`'s answer) needs.
pub fn needs(task_definition: &Value) -> Needs {
    let td = super::registrable(task_definition);
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let mut found = Needs {
        execution_role: text(&td["executionRoleArn"]),
        task_role: text(&td["taskRoleArn"]),
        ..Needs::default()
    };
    for c in td["containerDefinitions"].as_array().into_iter().flatten() {
        let container = c["name"].as_str().unwrap_or_default().to_string();
        let mut secret = |name: &str, value_from: &str, reference: SecretRef| {
            found.secrets.push(SecretUse {
                container: container.clone(),
                name: name.to_string(),
                value_from: value_from.to_string(),
                reference,
            });
        };
        let pairs = c["secrets"]
            .as_array()
            .into_iter()
            .chain(c["logConfiguration"]["secretOptions"].as_array())
            .flatten();
        for s in pairs {
            if let (Some(name), Some(from)) = (s["name"].as_str(), s["valueFrom"].as_str()) {
                secret(name, from, SecretRef::parse(from));
            }
        }
        if let Some(from) = c["repositoryCredentials"]["credentialsParameter"].as_str() {
            secret("repositoryCredentials", from, SecretRef::credentials(from));
        }
        let logs = &c["logConfiguration"];
        if logs["logDriver"] == "awslogs"
            && let Some(group) = logs["options"]["awslogs-group"].as_str()
        {
            let create = logs["options"]["awslogs-create-group"].as_str();
            found.log_groups.push(LogGroupUse {
                container: container.clone(),
                group: group.to_string(),
                region: text(&logs["options"]["awslogs-region"]),
                create: create.and_then(go_bool) == Some(true),
                create_unreadable: create.filter(|v| go_bool(v).is_none()).map(str::to_string),
            });
        }
        if let Some(image) = c["image"].as_str() {
            let ecr = ImageRef::parse_pulled(image).ok().and_then(|r| {
                EcrRepository::parse_uri(&r.repository).map(|repo| (repo, r.clone()))
            });
            found.images.push(ImageUse {
                container: container.clone(),
                image: image.to_string(),
                ecr,
            });
        }
    }
    found
}

/// Whether a role's trust policy lets ECS tasks assume it: an `Allow` of `sts:AssumeRole` to the
/// service principal `ecs-tasks.amazonaws.com` (or to every principal). `None` when the policy is
/// not JSON we can read (then nothing is said).
pub fn trusts_ecs_tasks(trust_policy: &str) -> Option<bool> {
    let doc: Value = serde_json::from_str(trust_policy).ok()?;
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        _ => return None,
    };
    Some(statements.iter().any(|s| {
        let allows = s["Effect"] == "Allow";
        let assume = list(&s["Action"]).iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a == "sts:assumerole" || a == "sts:*" || a == "*"
        });
        let principal = &s["Principal"];
        let ecs = principal == "*"
            || list(&principal["Service"])
                .iter()
                .any(|p| p == "ecs-tasks.amazonaws.com" || p.starts_with("ecs-tasks."))
            || list(&principal["AWS"]).iter().any(|p| p == "*");
        allows && assume && ecs
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_manager_arns_with_every_suffix_form() {
        let base = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
        let parsed = |s: &str| SecretRef::parse(s);
        let secret = |key: Option<&str>, stage: Option<&str>, id: Option<&str>| SecretRef::Secret {
            arn: base.into(),
            region: "eu-west-1".into(),
            account: "123456789012".into(),
            json_key: key.map(Into::into),
            version_stage: stage.map(Into::into),
            version_id: id.map(Into::into),
        };
        assert_eq!(parsed(base), secret(None, None, None));
        assert_eq!(
            parsed(&format!("{base}:password::")),
            secret(Some("password"), None, None)
        );
        assert_eq!(
            parsed(&format!("{base}::AWSPREVIOUS:")),
            secret(None, Some("AWSPREVIOUS"), None)
        );
        assert_eq!(
            parsed(&format!("{base}:password::0f1e-id")),
            secret(Some("password"), None, Some("0f1e-id"))
        );
        assert!(matches!(
            parsed(&format!("{base}:a:b:c:d")),
            SecretRef::Invalid(_)
        ));
        assert!(matches!(
            parsed("arn:aws:secretsmanager:eu-west-1:123456789012:secret:"),
            SecretRef::Invalid(_)
        ));
    }

    #[test]
    fn repository_credentials_are_a_secret_by_name_or_arn() {
        assert_eq!(
            SecretRef::credentials("dockerhub-creds"),
            SecretRef::SecretName("dockerhub-creds".into())
        );
        assert!(matches!(
            SecretRef::credentials("arn:aws:secretsmanager:us-east-1:1:secret:hub-AbCdEf"),
            SecretRef::Secret { .. }
        ));
        // Credentials pasted where the name belongs are not a name.
        assert!(matches!(
            SecretRef::credentials(r#"{"username":"u","password":"p"}"#),
            SecretRef::Invalid(_)
        ));
        let td = json!({"containerDefinitions": [{"name": "proxy", "image": "nginx",
            "repositoryCredentials": {"credentialsParameter": "dockerhub-creds"}}]});
        assert_eq!(
            needs(&td).secrets[0].reference,
            SecretRef::SecretName("dockerhub-creds".into())
        );
    }

    #[test]
    fn parameters_by_name_or_arn() {
        assert_eq!(
            SecretRef::parse("/app/prod/db"),
            SecretRef::Parameter {
                names: vec!["/app/prod/db".into()],
                region: None,
                account: None
            }
        );
        assert_eq!(
            SecretRef::parse("arn:aws:ssm:us-east-1:123456789012:parameter/app/db"),
            SecretRef::Parameter {
                names: vec!["/app/db".into()],
                region: Some("us-east-1".into()),
                account: Some("123456789012".into())
            }
        );
        assert_eq!(
            SecretRef::parse("arn:aws:ssm:us-east-1:123456789012:parameter/db"),
            SecretRef::Parameter {
                names: vec!["/db".into(), "db".into()],
                region: Some("us-east-1".into()),
                account: Some("123456789012".into())
            }
        );
        for bad in [
            "",
            "has space",
            "arn:aws:ssm:us-east-1:123456789012:document/x",
            "arn:aws:s3:::bucket",
            "arn:aws",
        ] {
            assert!(
                matches!(SecretRef::parse(bad), SecretRef::Invalid(_)),
                "{bad}"
            );
        }
    }

    #[test]
    fn needs_read_off_a_task_definition() {
        let td = json!({"taskDefinition": {
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "containerDefinitions": [
            {"name": "app", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1",
             "secrets": [{"name": "DB", "valueFrom": "/app/db"}],
             "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/app", "awslogs-create-group": "true"},
                "secretOptions": [{"name": "apikey", "valueFrom": "/app/log-key"}]}},
            {"name": "proxy", "image": "nginx:1.27",
             "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:123456789012:secret:hub"}}
        ]}});
        let n = needs(&td);
        assert_eq!(
            n.execution_role.as_deref(),
            Some("arn:aws:iam::123456789012:role/exec")
        );
        assert_eq!(n.task_role, None);
        let secrets: Vec<(&str, &str)> = n
            .secrets
            .iter()
            .map(|s| (s.container.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            secrets,
            [
                ("app", "DB"),
                ("app", "apikey"),
                ("proxy", "repositoryCredentials")
            ]
        );
        assert_eq!(n.log_groups.len(), 1);
        assert!(n.log_groups[0].create);
        assert!(n.images[0].ecr.is_some());
        assert!(n.images[1].ecr.is_none());
        // An ECR image without a tag is `latest`, as ECS pulls it: still an ECR image to check.
        let td = json!({"containerDefinitions": [{"name": "app",
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api"}]});
        let (repo, reference) = needs(&td).images[0].ecr.clone().unwrap();
        assert_eq!(repo.name, "api");
        assert_eq!(reference.tag.as_deref(), Some("latest"));
    }

    #[test]
    fn awslogs_create_group_is_read_as_go_reads_a_boolean() {
        let create = |value: &str| {
            let td = json!({"containerDefinitions": [{"name": "app", "image": "nginx",
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/app", "awslogs-create-group": value}}}]});
            let group = needs(&td).log_groups.remove(0);
            (group.create, group.create_unreadable)
        };
        for yes in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(create(yes), (true, None), "{yes}");
        }
        for no in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(create(no), (false, None), "{no}");
        }
        for unreadable in ["yes", "tRuE", " true", ""] {
            assert_eq!(
                create(unreadable),
                (false, Some(unreadable.to_string())),
                "{unreadable:?}"
            );
        }
    }

    #[test]
    fn trust_policies() {
        let ecs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs-tasks.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;
        let lambda = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["sts:AssumeRole"]}}"#;
        let denied = r#"{"Statement":[{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(trusts_ecs_tasks(ecs), Some(true));
        assert_eq!(trusts_ecs_tasks(lambda), Some(false));
        assert_eq!(trusts_ecs_tasks(denied), Some(false));
        assert_eq!(trusts_ecs_tasks("not json"), None);
    }
}
