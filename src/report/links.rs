//! Links into the AWS console, region-aware (the standard, China and `GovCloud` partitions). Names are
//! percent-encoded, so a link can never carry Markdown or HTML out of its attribute.

use std::fmt::Write as _;

use crate::domain::arn::{Partition, TaskDefinitionId, name_of};

/// The console's base URL for a region.
fn base(region: &str) -> String {
    Partition::of(region).console(region)
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn service(region: &str, cluster: &str, service: &str) -> String {
    format!(
        "{}/ecs/v2/clusters/{}/services/{}/health?region={region}",
        base(region),
        encode(name_of(cluster)),
        encode(name_of(service))
    )
}

/// A task definition revision, from its ARN or `family:revision`.
pub fn task_definition(region: &str, task_definition: &str) -> String {
    let id = TaskDefinitionId::parse(task_definition);
    format!(
        "{}/ecs/v2/task-definitions/{}/{}/containers?region={region}",
        base(region),
        encode(id.family),
        id.revision.map_or_else(String::new, |r| r.to_string())
    )
}

pub fn task(region: &str, cluster: &str, task_arn: &str) -> String {
    format!(
        "{}/ecs/v2/clusters/{}/tasks/{}/configuration?region={region}",
        base(region),
        encode(name_of(cluster)),
        encode(name_of(task_arn))
    )
}

/// A CloudWatch Logs group, or one stream of it. The console's fragment encodes twice, with `$`
/// for `%` (`/` is `$252F`).
pub fn logs(region: &str, group: &str, stream: Option<&str>) -> String {
    let fragment = |s: &str| encode(&encode(s)).replace('%', "$");
    let mut url = format!(
        "{}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{}",
        base(region),
        fragment(group)
    );
    if let Some(stream) = stream {
        url.push_str("/log-events/");
        url.push_str(&fragment(stream));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_region_and_partition() {
        assert_eq!(
            service("eu-west-1", "arn:aws:ecs:eu-west-1:1:cluster/main", "api"),
            "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/main/services/api/health?region=eu-west-1"
        );
        assert!(
            service("cn-north-1", "c", "s").starts_with("https://cn-north-1.console.amazonaws.cn/")
        );
        assert!(
            service("us-gov-west-1", "c", "s").starts_with("https://console.amazonaws-us-gov.com/")
        );
        assert_eq!(
            task_definition(
                "us-east-1",
                "arn:aws:ecs:us-east-1:1:task-definition/api:42"
            ),
            "https://us-east-1.console.aws.amazon.com/ecs/v2/task-definitions/api/42/containers?region=us-east-1"
        );
        assert_eq!(
            task(
                "us-east-1",
                "main",
                "arn:aws:ecs:us-east-1:1:task/main/abc123"
            ),
            "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/main/tasks/abc123/configuration?region=us-east-1"
        );
    }

    #[test]
    fn log_links_use_the_consoles_double_encoding() {
        assert_eq!(
            logs("us-east-1", "/ecs/api", Some("app/app/abc")),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fecs$252Fapi/log-events/app$252Fapp$252Fabc"
        );
    }

    #[test]
    fn hostile_names_cannot_leave_the_url() {
        let url = service("us-east-1", "c", "a)](javascript:x) <b>\"");
        assert!(!url.contains([')', '(', '<', '"', ' ']), "{url}");
    }
}
