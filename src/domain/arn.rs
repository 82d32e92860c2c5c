//! Names inside ECS ARNs. Every split of an ARN happens here.
//!
//! `arn:aws:ecs:<region>:<account>:<kind>/<path>`: a cluster (`cluster/main`), a service
//! (`service/main/api`), a task (`task/main/abc123`), a task definition
//! (`task-definition/api:7`). Bare names are taken as they are.

use std::fmt;

/// The last part of an ARN's path, or a bare name as it is: `…:cluster/main` → `main`,
/// `…:service/main/api` → `api`, `…:task/main/abc` → `abc`, `…:task-definition/api:7` → `api:7`.
pub fn name_of(arn_or_name: &str) -> &str {
    arn_or_name.rsplit('/').next().unwrap_or(arn_or_name)
}

/// A task definition by family and revision, from its ARN or `family:revision` (or a bare family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDefinitionId<'a> {
    pub family: &'a str,
    pub revision: Option<u64>,
}

impl<'a> TaskDefinitionId<'a> {
    pub fn parse(arn_or_name: &'a str) -> Self {
        let short = name_of(arn_or_name);
        match short.rsplit_once(':') {
            Some((family, revision)) => Self {
                family,
                revision: revision.parse().ok(),
            },
            None => Self {
                family: short,
                revision: None,
            },
        }
    }
}

impl fmt::Display for TaskDefinitionId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.revision {
            Some(revision) => write!(f, "{}:{revision}", self.family),
            None => f.write_str(self.family),
        }
    }
}

/// `family:revision` of a task definition ARN, for display.
pub fn short_task_definition(arn: &str) -> &str {
    name_of(arn)
}

/// The family of a task definition ARN or `family:revision`.
pub fn family_of(arn: &str) -> &str {
    TaskDefinitionId::parse(arn).family
}

/// Whether `text` is a task definition as `to` may name one: `family:revision`, or an ARN of a
/// task definition.
pub fn is_task_definition_ref(text: &str) -> bool {
    let name = match text.strip_prefix("arn:") {
        Some(_) => match text.split_once(":task-definition/") {
            Some((_, name)) => name,
            None => return false,
        },
        None => text,
    };
    // Revisions count from 1 (`family:0` names none); an ARN may leave the revision out.
    match name.rsplit_once(':') {
        Some((family, revision)) => {
            super::names::is_ecs_name(family) && revision.parse::<u32>().is_ok_and(|n| n >= 1)
        }
        None => text.starts_with("arn:") && super::names::is_ecs_name(name),
    }
}

/// The AWS partition a region belongs to: its own domains and console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Aws,
    China,
    GovCloud,
}

impl Partition {
    pub fn of(region: &str) -> Self {
        if region.starts_with("cn-") {
            Self::China
        } else if region.starts_with("us-gov-") {
            Self::GovCloud
        } else {
            Self::Aws
        }
    }

    /// The partition as ARNs name it (`arn:<partition>:...`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::China => "aws-cn",
            Self::GovCloud => "aws-us-gov",
        }
    }

    /// The domain service endpoints (and ECR registries) live under.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Self::China => "amazonaws.com.cn",
            Self::Aws | Self::GovCloud => "amazonaws.com",
        }
    }

    /// The AWS console for a region.
    pub fn console(self, region: &str) -> String {
        match self {
            Self::Aws => format!("https://{region}.console.aws.amazon.com"),
            Self::China => format!("https://{region}.console.amazonaws.cn"),
            Self::GovCloud => "https://console.amazonaws-us-gov.com".to_string(),
        }
    }
}

/// The name of a load balancer target group from its ARN (`…:targetgroup/<name>/<id>`).
pub fn target_group_name(arn: &str) -> &str {
    arn.split('/').nth(1).unwrap_or(arn)
}

/// An IAM role ARN (`arn:aws:iam::123456789012:role/name`).
pub fn is_role_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
        && !value.chars().any(char::is_whitespace)
}

/// A service deployment's ARN:
/// `arn:<partition>:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeploymentArn {
    pub arn: String,
    pub region: String,
    pub cluster: String,
    pub service: String,
    pub id: String,
}

impl ServiceDeploymentArn {
    /// The parts of a service deployment ARN, or `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        let [arn, partition, "ecs", region, account, resource] = parts[..] else {
            return None;
        };
        let path: Vec<&str> = resource
            .strip_prefix("service-deployment/")?
            .split('/')
            .collect();
        let [cluster, service, id] = path[..] else {
            return None;
        };
        let name = |s: &str| super::names::is_ecs_name(s);
        let ok = arn == "arn"
            && ["aws", "aws-cn", "aws-us-gov"].contains(&partition)
            && !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && name(cluster)
            && name(service)
            && name(id);
        ok.then(|| Self {
            arn: value.to_string(),
            region: region.to_string(),
            cluster: cluster.to_string(),
            service: service.to_string(),
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_deployment_arns_are_taken_apart_and_nothing_else_is() {
        let arn =
            "arn:aws:ecs:eu-west-1:123456789012:service-deployment/main/api/ejGvqq2ilnbKT9qj0vLJe";
        assert_eq!(
            ServiceDeploymentArn::parse(arn),
            Some(ServiceDeploymentArn {
                arn: arn.into(),
                region: "eu-west-1".into(),
                cluster: "main".into(),
                service: "api".into(),
                id: "ejGvqq2ilnbKT9qj0vLJe".into(),
            })
        );
        for bad in [
            "",
            "arn:aws:ecs:eu-west-1:123456789012:service/main/api",
            "arn:aws:ecs:eu-west-1:123456789012:service-deployment/main/api",
            "arn:aws:ecs:eu-west-1:123456789012:service-deployment/main/api/x/y",
            "arn:aws:ecs:eu-west-1:12345678901:service-deployment/main/api/x",
            "arn:aws:iam:eu-west-1:123456789012:service-deployment/main/api/x",
            "arn:aws:ecs:eu-west-1:123456789012:service-deployment/main/api/x\n",
            "arn:aws:ecs:EU:123456789012:service-deployment/main/api/x",
            "arn:evil:ecs:eu-west-1:123456789012:service-deployment/main/api/x",
        ] {
            assert_eq!(ServiceDeploymentArn::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_come_from_the_last_part_of_the_path() {
        assert_eq!(name_of("arn:aws:ecs:us-east-1:1:cluster/main"), "main");
        assert_eq!(name_of("arn:aws:ecs:us-east-1:1:service/main/api"), "api");
        assert_eq!(
            name_of("arn:aws:ecs:us-east-1:1:task/main/abc123"),
            "abc123"
        );
        assert_eq!(name_of("api"), "api");
        assert_eq!(
            short_task_definition("arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"),
            "api:7"
        );
        assert_eq!(short_task_definition("api:7"), "api:7");
        assert_eq!(
            target_group_name(
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/6d0ecf831eec9f09"
            ),
            "web"
        );
    }

    #[test]
    fn task_definitions_have_a_family_and_a_revision() {
        let id = TaskDefinitionId::parse("arn:aws:ecs:us-east-1:1:task-definition/api-web:42");
        assert_eq!((id.family, id.revision), ("api-web", Some(42)));
        assert_eq!(id.to_string(), "api-web:42");
        assert_eq!(family_of("api:3"), "api");
        assert_eq!(family_of("api"), "api");
        assert!(is_task_definition_ref("api:3"));
        assert!(is_task_definition_ref(
            "arn:aws:ecs:us-east-1:1:task-definition/api:3"
        ));
        assert!(!is_task_definition_ref("api"));
        assert!(!is_task_definition_ref("api:x"));
        assert!(!is_task_definition_ref("a b:3"));
        assert!(!is_task_definition_ref("api:03x"));
        assert!(!is_task_definition_ref("a/b:3"), "a family has no slash");
        assert!(!is_task_definition_ref("api:0"), "revisions count from 1");
        assert!(!is_task_definition_ref("api:-1"));
        assert!(!is_task_definition_ref(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/api:0"
        ));
        assert!(is_task_definition_ref(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/api"
        ));
        assert!(!is_task_definition_ref(
            "arn:aws:ecs:us-east-1:123456789012:task-definition/a b:1"
        ));
    }
}
