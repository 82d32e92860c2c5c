use std::time::Duration;

use super::*;
use crate::domain::service::ServiceEvent;
use crate::domain::taskdef::diff::NameChanges;
use crate::domain::taskdef::diff::{FieldChange, Kind, TaskDefDiff};
use crate::error::Exit;
use crate::report::markdown;
use crate::report::{Kind as RunKind, Rollout};

fn deployed() -> Report {
    let mut r = Report::new("staging");
    r.succeed(Status::Deployed);
    r.region = Some("us-east-1".into());
    r.cluster = Some("main".into());
    r.service = Some("api".into());
    r.image_tag = Some("sha-0a1b2c3".into());
    r.image = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945".into());
    r.image_digest =
        Some("sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945".into());
    r.image_verified = true;
    r.containers = vec!["web".into()];
    r.previous_task_definition_arn =
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:3".into());
    r.task_definition_arn = Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:4".into());
    r.changed = true;
    r.diff = Some(TaskDefDiff {
        fields: vec![FieldChange {
            path: "containerDefinitions[web].image".into(),
            kind: Kind::Changed,
            old: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1".into()),
            new: Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:4f53cd…".into()),
        }],
        environment: NameChanges {
            added: vec!["FEATURE_X".into()],
            changed: vec!["LOG_LEVEL".into()],
            removed: vec![],
        },
        secrets: NameChanges {
            added: vec!["DB_PASSWORD".into()],
            ..NameChanges::default()
        },
    });
    r.rollout = Some(Rollout {
        deployment_id: "ecs-svc/123".into(),
        state: Some("COMPLETED".into()),
        running: 2,
        desired: 2,
    });
    r.log_group = Some(("/ecs/api".into(), "us-east-1".into()));
    r.duration = Duration::from_millis(42_300);
    r
}

#[test]
fn deployed_summary() {
    insta::assert_snapshot!(render(&deployed()));
}

#[test]
fn failed_summary_leads_with_the_cause_and_shows_events() {
    let mut r = deployed();
    r.fail(
        "Rollout failed",
        "deployment ecs-svc/123 failed: ECS deployment circuit breaker: tasks failed to start."
            .into(),
        Some("see the stopped tasks".into()),
        Exit::DeployFailed,
    );
    r.rollout = Some(Rollout {
        deployment_id: "ecs-svc/123".into(),
        state: Some("FAILED".into()),
        running: 0,
        desired: 2,
    });
    r.events = vec![
        ServiceEvent {
            id: "2".into(),
            created_at: "2026-11-23T10:00:05Z".into(),
            message: "(service api) rolling back to deployment ecs-svc/122.".into(),
        },
        ServiceEvent {
            id: "1".into(),
            created_at: "2026-11-23T10:00:01Z".into(),
            message:
                "(service api) deployment ecs-svc/123 deployment failed: tasks failed to start."
                    .into(),
        },
    ];
    insta::assert_snapshot!(render(&r));
}

#[test]
fn hostile_strings_cannot_break_the_table_or_inject_html() {
    let mut r = Report::new("dev");
    r.fail(
        "Invalid input",
        "input `image-tag` has an invalid value `x|y<script>alert(1)</script>\n## pwned`".into(),
        None,
        Exit::UserError,
    );
    r.service = Some("a|b<img src=x>".into());
    r.events = vec![ServiceEvent {
        id: "1".into(),
        created_at: "t".into(),
        message: "evil | cell\n| new | row |".into(),
    }];
    let md = render(&r);
    assert!(!md.contains("<script>") && !md.contains("<img"), "{md}");
    assert!(!md.contains("\n## pwned"));
    for line in md.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(
            line.matches(" | ").count() + 2,
            line.matches('|').count(),
            "cell pipes escaped: {line}"
        );
    }
}

#[test]
fn env_values_never_appear_only_names() {
    let md = render(&deployed());
    assert!(markdown::decoded(&md).contains("added FEATURE_X; changed LOG_LEVEL"));
    assert!(md.contains("(values never shown)"));
}

#[test]
fn unchanged_and_verified_headings() {
    let mut r = deployed();
    r.succeed(Status::Unchanged);
    r.changed = false;
    r.task_definition_arn = r.previous_task_definition_arn.clone();
    r.diff = Some(TaskDefDiff::default());
    let md = markdown::decoded(&render(&r));
    assert!(md.starts_with("## ⏸️ No change for api in staging"), "{md}");
    assert!(md.contains("api:3 (unchanged)"));
    assert!(md.contains("The task definition is the same as the live one."));
    r.succeed(Status::Verified);
    r.changed = true;
    r.task_definition_arn = None;
    assert!(markdown::decoded(&render(&r)).contains("api:3 → (new revision)"));
}

#[test]
fn huge_summaries_are_cut_to_valid_markdown_under_the_limit() {
    let big = format!(
        "## x\n\n<details><summary>d</summary>\n\n<pre>\n{}",
        "line of text\n".repeat(200_000)
    );
    let out = fit(big, MAX_SUMMARY_BYTES);
    assert!(out.len() <= MAX_SUMMARY_BYTES);
    assert!(
        out.ends_with(
            "</pre>\n</details>\n\n_Summary truncated to stay under GitHub's 1 MiB limit._\n"
        ),
        "{}",
        &out[out.len() - 120..]
    );
    let small = "## ok\n".to_string();
    assert_eq!(fit(small.clone(), MAX_SUMMARY_BYTES), small);
}

#[test]
fn a_huge_diff_is_capped() {
    let mut r = deployed();
    let diff = r.diff.as_mut().unwrap();
    diff.fields = (0..5000)
        .map(|i| FieldChange {
            path: format!("f{i}"),
            kind: Kind::Changed,
            old: Some("a".repeat(2000)),
            new: Some("b".repeat(2000)),
        })
        .collect();
    let md = render(&r);
    assert!(md.len() < 200_000, "{}", md.len());
    assert!(md.contains("… and 4600 more"));
}

#[test]
fn rolled_back_summary_names_the_revision_who_and_why_tasks_stopped() {
    use crate::domain::task::{ContainerExit, StoppedTask};
    let mut r = deployed();
    r.fail(
        "Rollout failed",
        "3 tasks of deployment ecs-svc/123 stopped".into(),
        None,
        Exit::DeployFailed,
    );
    r.status = Status::RolledBack;
    r.rollback_task_definition_arn =
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:3".into());
    r.rolled_back_by = Some(crate::domain::outcome::RolledBackBy::EcsShip);
    r.rollback_rollout = Some(Rollout {
        deployment_id: "ecs-svc/124".into(),
        state: Some("COMPLETED".into()),
        running: 2,
        desired: 2,
    });
    r.failed_tasks = vec![StoppedTask {
        arn: "arn:aws:ecs:us-east-1:123456789012:task/main/0f1e2d3c".into(),
        stop_code: Some("EssentialContainerExited".into()),
        stopped_reason: Some("Essential container in task exited".into()),
        stopped_at: Some("2026-11-23T10:00:03Z".into()),
        containers: vec![ContainerExit {
            name: "app".into(),
            exit_code: Some(1),
            reason: None,
        }],
        ..StoppedTask::default()
    }];
    insta::assert_snapshot!(render(&r));
}

#[test]
fn rollback_command_and_cancel_headings() {
    let mut r = deployed();
    r.kind = RunKind::Rollback;
    r.succeed(Status::RolledBack);
    assert!(render(&r).starts_with("## ↩️ Rolled back <code>api</code> in <code>staging</code>"));
    r.kind = RunKind::Deploy;
    r.fail(
        "Cancelled",
        "cancelled while waiting".into(),
        None,
        Exit::Cancelled,
    );
    r.status = Status::Cancelled;
    assert!(
        render(&r)
            .starts_with("## ⏹️ Deploy <code>api</code> to <code>staging</code> was cancelled")
    );
}

#[test]
fn verify_says_which_pre_deploy_task_would_run() {
    let mut r = deployed();
    r.succeed(Status::Verified);
    r.pre_deploy_planned = Some("family `api-migrate`, container `app`".into());
    let md = markdown::decoded(&render(&r));
    assert!(
        md.contains("### Pre-deploy task\n\nWould run family `api-migrate`, container `app` before any service is updated (`verify` runs nothing)."),
        "{md}"
    );
    r.succeed(Status::Deployed);
    assert!(
        !render(&r).contains("Would run"),
        "only `verify` says what would run"
    );
}

#[test]
fn a_failed_migration_shows_the_task_its_logs_and_services_left_alone() {
    use crate::domain::outcome::TaskRun;
    use crate::domain::taskdef::logs::LogLocation;
    use crate::report::ServiceResult;
    let mut r = deployed();
    r.service = Some("api, worker, scheduler".into());
    r.fail(
        "Pre-deploy task failed",
        "`app` exited 1 (Essential container in task exited [EssentialContainerExited]); no service was updated".into(),
        Some("its output is in CloudWatch Logs group `/ecs/api`, stream `app/app/abc123` (us-east-1)".into()),
        Exit::DeployFailed,
    );
    r.rollout = None;
    r.task_definition_arn
        .clone_from(&r.previous_task_definition_arn);
    r.services = ["api", "worker", "scheduler"]
        .iter()
        .enumerate()
        .map(|(i, name)| ServiceResult {
            service: (*name).into(),
            previous_task_definition_arn: format!(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/{name}:{}",
                i + 3
            ),
            task_definition_arn: None,
            changed: true,
            status: Status::NotUpdated,
            rollout: None,
            rollback_task_definition_arn: None,
            rollback_state: None,
            failure: None,
            now: None,
            service_deployment: None,
            service_deployment_arn: None,
        })
        .collect();
    r.pre_deploy = Some(TaskRun {
        task_definition_arn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api-migrate:7"
            .into(),
        container: "app".into(),
        task_arn: Some("arn:aws:ecs:us-east-1:123456789012:task/main/abc123".into()),
        last_status: Some("STOPPED".into()),
        exit_code: Some(1),
        task: None,
        output: None,
        log: Some(LogLocation {
            group: "/ecs/api".into(),
            region: "us-east-1".into(),
            stream: Some("app/app/abc123".into()),
        }),
        succeeded: false,
        ended: true,
        failure: Some(
            "`app` exited 1 (Essential container in task exited [EssentialContainerExited])".into(),
        ),
        duration: Duration::from_secs(14),
    });
    insta::assert_snapshot!(render(&r));
}

mod properties {
    use comrak::nodes::{AstNode, NodeValue};
    use comrak::{Arena, parse_document};
    use proptest::prelude::*;

    use super::*;
    use crate::domain::service::TargetHealth;
    use crate::domain::task::{ContainerExit, StoppedTask};
    use crate::report::ServiceResult;
    use crate::report::markdown::tests::{gfm, hostile};

    /// A hostile string, sometimes huge (a 1.6 MB label, 78,000 quotes and 10,000 emoji).
    fn any_size() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => hostile(),
            1 => (hostile(), 1usize..20_000).prop_map(|(s, n)| s.repeat(n.min(200_000 / (s.len() + 1)))),
            1 => Just(format!("{}{}", "\"".repeat(78_000), "😀".repeat(10_000))),
        ]
    }

    /// Every field a user or AWS can fill, filled with `s`.
    /// Hostile text in what failed tasks printed and in the preflight's findings.
    fn add_logs_and_preflight(r: &mut Report, at: &dyn Fn(usize) -> String) {
        r.task_logs = crate::domain::outcome::TaskLogs {
            logs: vec![
                crate::domain::outcome::TaskLog {
                    task_id: at(50),
                    container: at(51),
                    group: at(52),
                    stream: Some(at(53)),
                    lines: vec![at(54), at(55), at(56)],
                    unread: None,
                },
                crate::domain::outcome::TaskLog {
                    task_id: at(57),
                    container: at(58),
                    group: String::new(),
                    stream: None,
                    lines: Vec::new(),
                    unread: Some(at(59)),
                },
            ],
            masks: vec![at(60)],
        };
        r.preflight = Some(crate::preflight::Preflight {
            checks: 3,
            problems: vec![at(61), at(62)],
            warnings: vec![at(63)],
            notes: vec![at(64)],
            duration: std::time::Duration::from_millis(12),
        });
    }

    fn hostile_report(s: &[String], status: Status) -> Report {
        let at = |i: usize| s[i % s.len()].clone();
        let mut r = deployed();
        r.environment = at(0);
        r.cluster = Some(at(1));
        r.service = Some(at(2));
        r.image_tag = Some(at(3));
        r.image = Some(at(4));
        r.image_digest = Some(at(5));
        r.containers = vec![at(6), at(7)];
        r.previous_task_definition_arn = Some(at(8));
        r.task_definition_arn = Some(at(9));
        r.fail("Rollout failed", at(10), Some(at(11)), Exit::DeployFailed);
        r.status = status;
        r.rollback_task_definition_arn = Some(at(12));
        r.rolled_back_by = Some(crate::domain::outcome::RolledBackBy::CircuitBreaker);
        r.warnings = vec![at(14)];
        r.events = vec![ServiceEvent {
            id: "1".into(),
            created_at: at(15),
            message: at(16),
        }];
        r.failed_tasks = vec![StoppedTask {
            arn: at(17),
            stopped_reason: Some(at(18)),
            stop_code: Some(at(19).as_str().into()),
            stopped_at: Some(at(20)),
            containers: vec![ContainerExit {
                name: at(21),
                exit_code: Some(1),
                reason: Some(at(22)),
            }],
            ..StoppedTask::default()
        }];
        r.target_health = vec![TargetHealth {
            target_group: at(23),
            target: at(24),
            state: at(25),
            reason: Some(at(26)),
            description: Some(at(27)),
            ..TargetHealth::default()
        }];
        add_logs_and_preflight(&mut r, &at);
        r.services = (0..2)
            .map(|i| ServiceResult {
                service: at(28 + i),
                previous_task_definition_arn: at(30),
                task_definition_arn: Some(at(31)),
                changed: true,
                status: Status::Failed,
                rollout: None,
                rollback_task_definition_arn: Some(at(32)),
                rollback_state: None,
                failure: Some(at(33)),
                now: None,
                service_deployment: Some(crate::domain::deployment::ServiceDeployment {
                    arn: at(40),
                    status: crate::domain::deployment::ServiceDeploymentStatus::parse(&at(41)),
                    lifecycle_stage: Some(crate::domain::deployment::LifecycleStage::parse(&at(
                        42,
                    ))),
                    strategy: Some(at(43)),
                    alarms: vec![at(44)],
                    ..Default::default()
                }),
                service_deployment_arn: None,
            })
            .collect();
        let diff = r.diff.as_mut().unwrap();
        diff.fields[0].path = at(34);
        diff.fields[0].old = Some(at(35));
        diff.environment.added = vec![at(36)];
        r.pre_deploy_planned = Some(at(37));
        r.settings_changes = vec![at(45), at(46)];
        r.lifecycle_hooks = vec![at(52)];
        r.deployed_images = vec![crate::report::DeployedImage {
            service: at(47),
            container: at(48),
            image: at(49),
            digest: Some(at(50)),
            expected: Some(at(51)),
        }];
        r.rendered = Some(serde_json::json!({ "family": at(38), "label": at(39) }));
        r
    }

    fn link_urls<'a>(node: &'a AstNode<'a>, urls: &mut Vec<String>, kinds: &mut Vec<String>) {
        match &node.data.borrow().value {
            NodeValue::Link(link) => urls.push(link.url.clone()),
            NodeValue::Image(_) => kinds.push("image".into()),
            NodeValue::Heading(h) => kinds.push(format!("h{}", h.level)),
            NodeValue::HtmlBlock(b) => {
                kinds.push(format!("html:{}", b.literal.lines().next().unwrap_or("")));
            }
            NodeValue::List(_) => kinds.push("list".into()),
            NodeValue::BlockQuote => kinds.push("quote".into()),
            NodeValue::Table(t) => kinds.push(format!("table:{}", t.num_columns)),
            _ => {}
        }
        for child in node.children() {
            link_urls(child, urls, kinds);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_report_renders_only_our_own_structure(
            strings in prop::collection::vec(any_size(), 1..6),
            status in prop_oneof![Just(Status::Failed), Just(Status::RolledBack), Just(Status::Verified), Just(Status::Cancelled)],
            one_service in any::<bool>(),
        ) {
            let mut report = hostile_report(&strings, status);
            if one_service {
                // One service: its own rows (ECS's record of the deployment among them).
                report.services.truncate(1);
            }
            let md = render(&report);
            prop_assert!(md.len() <= MAX_SUMMARY_BYTES);
            let arena = Arena::new();
            let root = parse_document(&arena, &md, &gfm());
            let (mut urls, mut kinds) = (Vec::new(), Vec::new());
            link_urls(root, &mut urls, &mut kinds);
            prop_assert!(!kinds.iter().any(|k| k == "image" || k == "h1" || k.starts_with("h4")), "{:?}", kinds);
            prop_assert!(kinds.iter().filter(|k| *k == "h2").count() == 1, "{:?}", kinds);
            // Our own: the preflight's problems and the changes lists, the hint and warnings as
            // quotes, 2-4 column tables.
            prop_assert!(kinds.iter().filter(|k| *k == "list").count() <= 2, "{:?}", kinds);
            prop_assert!(kinds.iter().filter(|k| k.starts_with("table:")).all(|k| ["table:2", "table:3", "table:4"].contains(&k.as_str())), "{:?}", kinds);
            for line in md.lines().filter(|l| l.starts_with('|')) {
                prop_assert!(line.ends_with('|'), "a row was cut: {}", line);
            }
            for url in &urls {
                prop_assert!(url.starts_with("https://us-east-1.console.aws.amazon.com/"), "{}", url);
            }
            for html in kinds.iter().filter_map(|k| k.strip_prefix("html:")) {
                prop_assert!(["<details><summary>", "<pre>", "</pre>", "</details>"].iter().any(|ours| html.starts_with(ours)), "{}", html);
            }
        }
    }
}

#[test]
fn the_reported_aborts_now_render_under_the_limit() {
    // An `environment` of 78,000 `"` and 10,000 emoji on the invalid-input path.
    let mut r = Report::new(&format!("{}{}", "\"".repeat(78_000), "😀".repeat(10_000)));
    r.fail("Invalid input", "bad".into(), None, Exit::UserError);
    let md = render(&r);
    assert!(md.len() <= MAX_SUMMARY_BYTES && md.starts_with("## ❌ Deploy to <code>&#34;"));
    // A 1.6 MB label in a dry run's rendered task definition.
    let mut r = deployed();
    r.succeed(Status::Verified);
    r.rendered = Some(serde_json::json!({"family": "api", "label": "é".repeat(800_000)}));
    let md = render(&r);
    assert!(md.len() <= MAX_SUMMARY_BYTES, "{}", md.len());
    assert!(md.ends_with(
        "</pre>\n</details>\n\n_Summary truncated to stay under GitHub's 1 MiB limit._\n"
    ));
}

proptest::proptest! {
    #[test]
    fn fit_cuts_anything_at_a_boundary_under_the_limit(
        line in "(.|\n){0,40}",
        repeat in 1usize..3000,
        limit in 200usize..20_000,
    ) {
        let md = line.repeat(repeat);
        let out = fit(md.clone(), limit);
        proptest::prop_assert!(out.len() <= limit.max(md.len().min(limit)));
        if md.len() > limit {
            proptest::prop_assert!(out.ends_with("_Summary truncated to stay under GitHub's 1 MiB limit._\n"));
        } else {
            proptest::prop_assert_eq!(out, md);
        }
    }
}

#[test]
fn fifty_services_list_the_ones_that_failed_first_and_fold_the_rest() {
    let mut r = deployed();
    r.services = (0..50)
        .map(|i| {
            let mut s = ServiceResult::planned(
                &format!("svc{i:02}"),
                &format!("arn:aws:ecs:us-east-1:123456789012:task-definition/svc{i:02}:1"),
                true,
            );
            s.task_definition_arn = Some(format!(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/svc{i:02}:2"
            ));
            s.status = Status::Deployed;
            s
        })
        .collect();
    for (i, why) in [
        (17, "3 tasks of deployment ecs-svc/1 stopped"),
        (42, "timed out"),
    ] {
        r.services[i].status = Status::Failed;
        r.services[i].failure = Some(why.into());
    }
    r.status = Status::Failed;
    let md = crate::report::markdown::decoded(&render(&r));
    let services = &md[md.find("### Services").unwrap()..];
    let first_rows: Vec<&str> = services
        .lines()
        .filter(|l| l.starts_with("| [svc"))
        .take(2)
        .collect();
    assert!(
        first_rows[0].starts_with("| [svc17](") && first_rows[0].contains("failed: 3 tasks"),
        "{services}"
    );
    assert!(first_rows[1].starts_with("| [svc42]("), "{services}");
    assert!(
        services.contains("<details><summary>48 deployed</summary>"),
        "{services}"
    );
    assert_eq!(
        services.matches("| [svc").count(),
        50,
        "every service is listed"
    );
    let folded = &services[services.find("<details>").unwrap()..];
    assert!(!folded.contains("svc17") && !folded.contains("svc42"));
    // Ten services or fewer: one table, in the deploy's order.
    r.services.truncate(10);
    let md = crate::report::markdown::decoded(&render(&r));
    assert!(!md.contains("<details><summary>9 deployed"), "{md}");
}
