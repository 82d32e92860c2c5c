//! Many services at AWS's real limits, on the model's paused clock: `RegisterTaskDefinition`'s
//! token bucket (a burst of 20, one more a second, shared by every deploy in the account), the
//! refusal of two registrations into one family at once, and services updated as soon as their
//! own revision is registered.

use std::time::Duration;

use ecs_ship::cloud::AwsError;
use ecs_ship::report::Status;

use crate::model::Model;
use crate::paused::{deploy, output};

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

fn services_input(names: &[String]) -> String {
    names.iter().flat_map(|n| ["- ", n, "\n"]).collect()
}

#[tokio::test(start_paused = true)]
async fn ten_families_are_registered_at_once_within_the_burst() {
    let names = names("svc", 10);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let model = Model::new(&refs);
    let (_, report, log, took) = deploy(&model, &[("services", &services_input(&names))]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(report.services.iter().all(|s| s.status == Status::Deployed));
    let at = model.calls("RegisterTaskDefinition");
    assert_eq!(at.len(), 10, "one registration per family, none throttled");
    assert!(
        at.last().unwrap().saturating_sub(at[0]) < Duration::from_millis(100),
        "all at once, not paced: {at:?}"
    );
    assert!(model.throttled().is_empty());
    assert!(
        took < Duration::from_secs(3),
        "ten services in the time of one (0.5 s rollouts): {took:?}"
    );
    // The model refuses more than 10 services per DescribeServices call.
    assert!(model.calls("DescribeServices").len() >= 2);
    for name in &names {
        assert_eq!(model.running(name), format!("{name}:2"));
    }
}

#[tokio::test(start_paused = true)]
async fn thirty_families_go_through_the_throttle_and_each_service_updates_when_its_revision_is_in()
{
    let names = names("svc", 30);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let model = Model::new(&refs);
    let (_, report, log, took) = deploy(&model, &[("services", &services_input(&names))]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(report.services.iter().all(|s| s.status == Status::Deployed));
    assert!(
        !model.throttled().is_empty(),
        "more than the burst is throttled"
    );
    let registered = model.calls("RegisterTaskDefinition").len() - model.throttled().len();
    assert_eq!(registered, 30, "each family once");
    // 20 at once, then one a second: the last registration about 10 s in, and a verdict soon after.
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(25),
        "about as long as the bucket allows: {took:?}"
    );
    let updates = model.calls("UpdateService");
    assert_eq!(updates.len(), 30);
    assert!(
        updates[0] < Duration::from_secs(1),
        "the first services are updated without waiting for the last registrations: {updates:?}"
    );
    assert!(log.contains("throttled"), "{log}");
    for name in &names {
        assert_eq!(model.running(name), format!("{name}:2"));
    }
}

#[tokio::test(start_paused = true)]
async fn two_deploys_at_once_share_the_bucket_and_both_succeed() {
    let first = names("a", 15);
    let second = names("b", 15);
    let all: Vec<&str> = first.iter().chain(&second).map(String::as_str).collect();
    let model = Model::new(&all);
    let (first_input, second_input) = (services_input(&first), services_input(&second));
    let (first_inputs, second_inputs) = (
        [("services", first_input.as_str())],
        [("services", second_input.as_str())],
    );
    let (one, two) = tokio::join!(
        deploy(&model, &first_inputs),
        deploy(&model, &second_inputs)
    );
    assert_eq!(one.1.status, Status::Deployed, "{}", one.2);
    assert_eq!(two.1.status, Status::Deployed, "{}", two.2);
    assert!(
        !model.throttled().is_empty(),
        "30 registrations at once exceed the burst"
    );
    for name in &all {
        assert_eq!(model.running(name), format!("{name}:2"));
    }
}

#[tokio::test(start_paused = true)]
async fn services_sharing_a_family_register_its_revisions_one_after_the_other() {
    // Three services on one family, each with its own variable: three revisions of one family.
    let model = Model::new(&["api", "worker", "scheduler"]);
    model.share_family(&["worker", "scheduler"], "api");
    let services = "- service: api\n  environment-variables: {ROLE: web}\n- service: worker\n  environment-variables: {ROLE: worker}\n- service: scheduler\n  environment-variables: {ROLE: cron}\n";
    let (_, report, log, _) = deploy(&model, &[("services", services)]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    let at = model.calls("RegisterTaskDefinition");
    assert_eq!(
        at.len(),
        3,
        "never two into the family at once, so never refused: {at:?}"
    );
    let mut running: Vec<String> = ["api", "worker", "scheduler"]
        .iter()
        .map(|s| model.running(s))
        .collect();
    running.sort();
    assert_eq!(running, ["api:2", "api:3", "api:4"]);
}

/// Within `RegisterTaskDefinition`'s burst every revision is registered before the first update:
/// one that fails for good updates nothing, so nothing is rolled back.
#[tokio::test(start_paused = true)]
async fn within_the_burst_a_registration_that_fails_for_good_updates_nothing() {
    let names = names("svc", 3);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let model = Model::new(&refs);
    model.fault(
        "RegisterTaskDefinition",
        2,
        &AwsError::service(
            "AccessDeniedException",
            "not authorized to perform: ecs:RegisterTaskDefinition on family svc2",
        ),
        1,
    );
    let (_, report, log, _) = deploy(&model, &[("services", &services_input(&names))]).await;
    assert_eq!(report.exit as i32, 1, "{log}");
    assert_eq!(output(&report, "status"), "failed");
    assert!(model.calls("UpdateService").is_empty(), "{log}");
    let statuses: Vec<(&str, Status)> = report
        .services
        .iter()
        .map(|s| (s.failure.as_deref().unwrap_or_default(), s.status))
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|(why, _)| why.contains("registering its task definition failed"))
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        report.services.iter().all(|s| s.status != Status::Deployed),
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|(why, status)| why
                .contains("could not be registered, so no service was updated")
                && *status == Status::NotUpdated)
            .count(),
        2,
        "{statuses:?}"
    );
    let back: Vec<String> = names.iter().map(|n| model.running(n)).collect();
    assert!(back.iter().all(|r| r.ends_with(":1")), "{back:?}\n{log}");
}

/// Beyond the burst each service is updated as its revision is in and watched from its own
/// update: one whose registration fails for good is left alone, and those already updated are
/// put back (all or nothing).
#[tokio::test(start_paused = true)]
async fn beyond_the_burst_a_registration_that_fails_for_good_leaves_its_service_alone_and_the_others_are_put_back()
 {
    let names = names("svc", 25);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let model = Model::new(&refs);
    model.fault(
        "RegisterTaskDefinition",
        2,
        &AwsError::service(
            "AccessDeniedException",
            "not authorized to perform: ecs:RegisterTaskDefinition on family svc2",
        ),
        1,
    );
    let (_, report, log, _) = deploy(&model, &[("services", &services_input(&names))]).await;
    assert_eq!(report.exit as i32, 3, "{log}");
    assert_eq!(
        output(&report, "status"),
        "rolled-back",
        "every service is on its previous revision again"
    );
    let failed: Vec<_> = report
        .services
        .iter()
        .filter(|s| {
            s.failure
                .as_deref()
                .is_some_and(|f| f.contains("registering its task definition failed"))
        })
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", report.services);
    assert!(
        failed[0]
            .now
            .as_deref()
            .is_some_and(|n| n.ends_with("(not updated)"))
    );
    let back: Vec<String> = names.iter().map(|n| model.running(n)).collect();
    assert!(back.iter().all(|r| r.ends_with(":1")), "{back:?}\n{log}");
}

/// Beyond the burst, a service updated early is watched from its own update: its crash loop fails
/// the deploy while the last revisions still wait for the bucket, and the services not updated
/// yet are left alone rather than updated and rolled back.
#[tokio::test(start_paused = true)]
async fn beyond_the_burst_a_crash_loop_is_seen_from_its_own_update_and_holds_the_rest() {
    let names = names("svc", 30);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let model = Model::new(&refs);
    model.scenario(
        "svc0",
        &[crate::model::Scenario::Crash {
            delay: 0.2,
            interval: 0.5,
            exit: 1,
            reason: None,
        }],
    );
    let (_, report, log, _) = deploy(&model, &[("services", &services_input(&names))]).await;
    assert_eq!(report.exit as i32, 3, "{log}");
    let crashed_at = log
        .lines()
        .find(|l| l.contains("svc0: task") && l.contains("stopped"))
        .expect("the crash was seen");
    assert!(
        crashed_at.starts_with("[  1.") || crashed_at.starts_with("[  2."),
        "seen within seconds of the update: {crashed_at}\n{log}"
    );
    let held = report
        .services
        .iter()
        .filter(|s| s.status == Status::NotUpdated)
        .count();
    assert!(held > 0, "services not updated yet were held back: {log}");
    assert!(
        model.calls("UpdateService").len() < 30 + 30,
        "fewer updates and rollbacks than all of them: {:?}",
        model.calls("UpdateService").len()
    );
    for name in &names {
        assert!(
            model.running(name).ends_with(":1"),
            "{name}: {}",
            model.running(name)
        );
    }
}

/// A long wait for 50 services spends at most 60 AWS reads in any minute of it (from the first
/// update), the first one included: the rollout's own task starts are not read as failures, and
/// polls are spaced by what they cost.
#[tokio::test(start_paused = true)]
async fn a_wait_for_fifty_services_reads_at_most_sixty_times_in_any_minute() {
    // 50 services on 10 families (five each), as a deploy of many services usually is.
    let names = names("svc", 50);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let model = Model::new(&refs);
    for group in refs.chunks(5) {
        model.share_family(&group[1..], group[0]);
    }
    for name in &names {
        model.scenario(name, &[crate::model::Scenario::Hang]);
    }
    let (_, report, log, took) = deploy(
        &model,
        &[
            ("services", &services_input(&names)),
            ("time-limit-minutes", "10"),
            ("on-failure", "leave"),
        ],
    )
    .await;
    assert_eq!(output(&report, "status"), "failed", "{log}");
    assert!(took >= Duration::from_mins(9));
    let first_update = model.calls("UpdateService")[0];
    let mut reads: Vec<Duration> = [
        "DescribeServices",
        "DescribeServiceDeployments",
        "ListServiceDeployments",
        "DescribeServiceRevisions",
        "ListTasks",
        "DescribeTasks",
    ]
    .iter()
    .flat_map(|op| model.calls(op))
    .filter(|at| *at >= first_update)
    .collect();
    reads.sort();
    let busiest = reads
        .iter()
        .map(|from| {
            reads
                .iter()
                .filter(|at| **at >= *from && **at < *from + Duration::from_mins(1))
                .count()
        })
        .max()
        .unwrap_or_default();
    assert!(busiest <= 60, "{busiest} reads in one minute of the wait");
    // The rollout's own starts are not signs of failure: stopped tasks are only read by the
    // safety net, one service at a time, once its turn comes (5 s per service short of tasks).
    let task_reads = model.calls("ListTasks");
    assert!(
        task_reads.iter().all(|at| *at >= Duration::from_secs(250)),
        "{task_reads:?}"
    );
    assert!(
        task_reads
            .windows(2)
            .all(|w| w[1].saturating_sub(w[0]) >= Duration::from_secs(2)),
        "one a poll: {task_reads:?}"
    );
}

/// 20 services on their own families (fast 0.5 s rollouts, more than one read a poll) get their
/// verdict in about the time of one: two polls a second apart come first.
#[tokio::test(start_paused = true)]
async fn twenty_quick_rollouts_take_about_as_long_as_one() {
    let one = Model::new(&["api"]);
    let (_, report, log, alone) = deploy(&one, &[("services", "api")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    let names = names("svc", 20);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let model = Model::new(&refs);
    let (_, report, log, many) = deploy(&model, &[("services", &services_input(&names))]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert!(
        many.as_secs_f64() <= alone.as_secs_f64() * 1.3,
        "{many:?} for 20 services, {alone:?} for one"
    );
}

/// A registration AWS throttles for good is tried until `time-limit-minutes`, not for 5 minutes,
/// and the log says so while it waits.
#[tokio::test(start_paused = true)]
async fn a_registration_throttled_for_good_stops_at_timeout_minutes_and_says_so() {
    let model = Model::new(&["api"]);
    model.fault(
        "RegisterTaskDefinition",
        0,
        &AwsError::service("ThrottlingException", "Rate exceeded"),
        100_000,
    );
    let (_, report, log, took) = deploy(
        &model,
        &[("services", "api"), ("time-limit-minutes", "0.1")],
    )
    .await;
    assert_eq!(output(&report, "status"), "failed", "{log}");
    assert!(
        took <= Duration::from_secs(6),
        "stopped by the deadline: {took:?}"
    );
    assert!(
        log.contains("AWS is throttling RegisterTaskDefinition (family api): retry 1, ")
            && log.contains("AWS is throttling RegisterTaskDefinition (family api): retry 2, "),
        "said while it waits: {log}"
    );
    let reason = output(&report, "failure-reason");
    assert!(
        reason.contains("RegisterTaskDefinition did not go through in ")
            && reason.contains("and `time-limit-minutes` is reached"),
        "{reason}"
    );
    assert!(model.calls("UpdateService").is_empty());
}

/// Services of one family deployed at different times run different (identical) revisions: one
/// new revision serves them all, not one each that differ only in the revision each replaced.
/// It records no single revision it replaced, since they replaced different ones.
#[tokio::test(start_paused = true)]
async fn services_sharing_a_family_on_different_revisions_get_one_new_revision() {
    let model = Model::new(&["api", "worker", "scheduler"]);
    model.share_family(&["worker", "scheduler"], "api");
    model.run_copy("worker"); // worker runs api:2, a copy of api:1
    let services = "- api\n- worker\n- scheduler\n";
    let (_, report, log, _) = deploy(&model, &[("services", services)]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    assert_eq!(
        model.calls("RegisterTaskDefinition").len(),
        1,
        "one revision for the family: {log}"
    );
    for service in ["api", "worker", "scheduler"] {
        assert_eq!(model.running(service), "api:3", "{service}");
    }
    let described = ecs_ship::cloud::TaskDefinitions::describe_task_definition(&model, "api:3")
        .await
        .unwrap();
    assert_eq!(
        ecs_ship::domain::taskdef::tag(&described, ecs_ship::plan::PREVIOUS_TAG),
        None,
        "it replaced api:1 on two services and api:2 on one"
    );
    // Two services that replaced the same revision keep the tag.
    let model = Model::new(&["api", "worker"]);
    model.share_family(&["worker"], "api");
    let (_, report, log, _) = deploy(&model, &[("services", "- api\n- worker\n")]).await;
    assert_eq!(report.status, Status::Deployed, "{log}");
    let described = ecs_ship::cloud::TaskDefinitions::describe_task_definition(&model, "api:2")
        .await
        .unwrap();
    assert!(
        ecs_ship::domain::taskdef::tag(&described, ecs_ship::plan::PREVIOUS_TAG)
            .is_some_and(|t| t.ends_with("task-definition/api:1")),
        "{described}"
    );
}
