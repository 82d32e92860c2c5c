//! Round trips: with every AWS call held as long as a Region's round trip, the calls a deploy
//! makes one after another (each waiting for an answer) are counted, not timed. Independent
//! calls are made together, so a deploy waits for as few answers in a row as its data allows:
//! the names (SSM), then everything they lead to, then the checks, then the two writes.

use crate::support::{Emulator, deploy_dev};

/// The stages of a no-wait deploy of the seeded service, each stage's calls sorted.
fn stages_of(em: &Emulator, inputs: &[(&str, &str)]) -> Vec<Vec<String>> {
    em.latency(0.15);
    em.reset_calls();
    let mut all = vec![("wait", "false"), ("environment-variables", "X: 1")];
    all.extend_from_slice(inputs);
    let run = deploy_dev(em, &all);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let mut stages = em.stages();
    for stage in &mut stages {
        stage.sort();
    }
    stages
}

fn has(stage: &[String], op: &str) -> bool {
    stage.iter().any(|o| o == op)
}

#[test]
fn a_deploy_with_its_preflight_waits_for_six_answers_in_a_row() {
    let em = Emulator::start(&["dev"]);
    let stages = stages_of(&em, &[]);
    let shown = format!("{stages:#?}");
    assert!(stages.len() <= 6, "{shown}");
    // The names come from SSM; the service, its task definition (its family's newest revision,
    // guessed beside the service read), the cluster and the image are read together.
    assert_eq!(stages[0], ["GetParameters"], "{shown}");
    for op in [
        "DescribeServices",
        "DescribeTaskDefinition",
        "DescribeImages",
        "DescribeClusters",
    ] {
        assert!(has(&stages[1], op), "{op} in the second stage: {shown}");
    }
    // The preflight's reads, its simulation of the roles (beside the roles' own read) and the
    // services read again before the writes, all together.
    for op in [
        "GetRole",
        "SimulatePrincipalPolicy",
        "DescribeServices",
        "DescribeLogGroups",
        "DescribeSecret",
    ] {
        assert!(has(&stages[2], op), "{op} in the third stage: {shown}");
    }
    // The writes come last, one after the other: nothing is written before the checks end.
    let last = stages.len() - 1;
    assert_eq!(stages[last - 1], ["RegisterTaskDefinition"], "{shown}");
    assert_eq!(stages[last], ["UpdateService"], "{shown}");
}

#[test]
fn without_the_preflight_a_deploy_waits_for_four_answers_in_a_row() {
    let em = Emulator::start(&["dev"]);
    let stages = stages_of(&em, &[("preflight", "false")]);
    let shown = format!("{stages:#?}");
    // Nothing waits on AWS between the services' read and the writes: no second read.
    assert_eq!(stages.len(), 4, "{shown}");
    assert_eq!(stages[0], ["GetParameters"], "{shown}");
    assert_eq!(stages[2], ["RegisterTaskDefinition"], "{shown}");
    assert_eq!(stages[3], ["UpdateService"], "{shown}");
    assert_eq!(
        stages
            .iter()
            .flatten()
            .filter(|op| *op == "DescribeServices")
            .count(),
        1,
        "{shown}"
    );
}

/// A secret named by its full ARN (as Terraform and CDK write it) is asked about as written,
/// beside `DescribeSecret`: no stage waits for its answer. (The seeded task definition names its
/// secret without the suffix, whose full ARN only `DescribeSecret` tells.)
#[test]
fn a_secret_named_by_its_full_arn_is_simulated_without_waiting_for_its_description() {
    let em = Emulator::start(&["dev"]);
    let secret = em.name_secret_by_full_arn();
    let stages = stages_of(&em, &[]);
    let shown = format!("{stages:#?}");
    assert_eq!(stages.len(), 5, "{shown}");
    assert!(has(&stages[2], "DescribeSecret"), "{shown}");
    assert!(has(&stages[2], "SimulatePrincipalPolicy"), "{shown}");
    assert_eq!(stages[3], ["RegisterTaskDefinition"], "{shown}");
    // Its permission was still checked, on the ARN ECS will read.
    let asked = em.bodies_raw("SimulatePrincipalPolicy");
    assert!(
        asked
            .iter()
            .any(|b| b.contains("GetSecretValue") && b.contains(&secret.replace(':', "%3A"))),
        "{asked:#?}"
    );
}

/// After ECS's verdict, what follows a success is made at once: the digests ECS resolved (for
/// the summary) and the record's two parameters, one round trip before the exit.
#[test]
fn after_the_verdict_the_digests_and_the_record_take_one_round_trip() {
    let em = Emulator::start(&["dev"]);
    em.scenario("shop-dev", "shop-dev-service", "complete", 1.0);
    em.latency(0.15);
    em.reset_calls();
    let run = deploy_dev(&em, &[("environment-variables", "X: 1")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let mut stages = em.stages();
    for stage in &mut stages {
        stage.sort();
    }
    let shown = format!("{stages:#?}");
    assert_eq!(
        stages.last().unwrap(),
        &["DescribeServiceRevisions", "PutParameter", "PutParameter"],
        "{shown}"
    );
}
