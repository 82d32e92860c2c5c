//! A model of ECS, ECR and SSM behind the [`Cloud`] trait, on tokio's clock: the stages run
//! against it in-process on a paused clock, so crash loops, timeouts and throttled registration take
//! no real time. It follows the one description of ECS's behaviour in
//! `tests/support/ecs-behaviour.json` ([`BEHAVIOUR`]: timings, stages, reasons, thresholds), as
//! `tests/support/moto_server.py`'s scenario layer does over the wire; `tests/it/behaviour.rs`
//! runs the same scenarios through both and compares what AWS's answers show:
//!
//! - `complete`: the new PRIMARY deployment runs its first task at half its delay, then
//!   COMPLETED (the old deployments gone, running = desired) at `delay`;
//! - `fail`: tasks fail to start (`TaskFailedToStart`, counted in `failedTasks`) at quarters of
//!   `delay`; at `delay`, when the service's circuit breaker is on with rollback
//!   (`Strategy::breaker`), the breaker marks ours FAILED and starts a PRIMARY deployment of the
//!   previous revision, which completes 2 s later; with it off, tasks keep failing at the same
//!   pace and the deployment stays `IN_PROGRESS`;
//! - `crash`: no circuit breaker; from `delay` on a task of ours stops every `interval` (its
//!   essential container exits `exit`), forever; ECS does not count these in `failedTasks`;
//! - `hang`: stays `IN_PROGRESS`.
//!
//! Each rollout also gets ECS's record of it, a service deployment (`ListServiceDeployments`,
//! `DescribeServiceDeployments`), named by the service's `currentServiceDeployment`:
//! `IN_PROGRESS` while it rolls out; with a [`Strategy`] (the service's deployment
//! configuration), blue/green lifecycle stages while it rolls out and `BAKE_TIME` after the
//! rollout completed (the deployments list then says COMPLETED, the service deployment does not),
//! and CloudWatch alarms that roll it back when they go off during bake time; `SUCCESSFUL` at the
//! end, or `ROLLBACK_IN_PROGRESS` → `ROLLBACK_SUCCESSFUL` when ECS rolls back (the circuit breaker
//! of `fail`, or an alarm). As in the scenario layer, a deployment a newer one replaces stays
//! `IN_PROGRESS`.
//!
//! `RegisterTaskDefinition` is throttled as AWS documents it (a token bucket of 20, refilled at
//! one a second, shared by every caller of the model), takes 50 ms, and refuses a second
//! registration into a family while one is under way.
//!
//! One-off tasks (`RunTask`) go PROVISIONING, PENDING, RUNNING, then STOPPED as a
//! [`TaskScenario`] says. Every call is logged with its virtual time, so tests can check pacing
//! and call counts.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use ecs_ship::cloud::{
    AwsError, Cloud, DescribedServices, Evaluation, FoundImage, HookAction, Iam, Images, InRegion,
    LoadBalancers, Logs, OneOffTask, ParameterInfo, Parameters, PullThroughRule, Region,
    Repository, RoleInfo, Schedules, SecretInfo, Secrets, ServiceDeploymentBrief,
    ServiceDeployments, ServiceUpdate, Services, StopType, TaskDefinitions, Tasks, Wanted,
};
use ecs_ship::domain::deployment::{
    BreakerCount, ContainerImage, Hook, HookStatus, LifecycleStage, ServiceDeployment,
    ServiceDeploymentStatus, ServiceRevision,
};
use ecs_ship::domain::service::{
    Deployment, Placement, ServiceEvent, ServiceState, Tag, TargetHealth,
};
use ecs_ship::domain::states::{
    DeploymentStatus, DeploymentStrategy, RolloutState, ServiceStatus, StopCode, TaskStatus,
};
use ecs_ship::domain::task::{ContainerExit, StoppedTask};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

/// The one description of how ECS moves a rollout, its service deployment and a one-off task,
/// shared with the emulator's scenario layer.
pub static BEHAVIOUR: std::sync::LazyLock<Behaviour> = std::sync::LazyLock::new(|| {
    serde_json::from_str(include_str!("../support/ecs-behaviour.json"))
        .expect("tests/support/ecs-behaviour.json describes ECS")
});

/// `tests/support/ecs-behaviour.json`, as far as the model reads it.
#[derive(Debug, Deserialize)]
pub struct Behaviour {
    pub rollout: RolloutBehaviour,
    pub service_deployment: RecordBehaviour,
    pub one_off: OneOffBehaviour,
    pub register: RegisterBehaviour,
}

#[derive(Debug, Deserialize)]
pub struct RolloutBehaviour {
    pub default_delay: f64,
    pub complete: CompleteBehaviour,
    pub fail: FailBehaviour,
    pub crash: CrashBehaviour,
    pub rollback: RollbackBehaviour,
}

#[derive(Debug, Deserialize)]
pub struct CompleteBehaviour {
    pub first_task_running_at: f64,
}

#[derive(Debug, Deserialize)]
pub struct FailBehaviour {
    pub failed_tasks_at: Vec<f64>,
    /// With the service's circuit breaker off: another task fails every this much of `delay`,
    /// for ever.
    pub without_breaker_every: f64,
    pub stop_code: String,
    pub stopped_reason: String,
    pub breaker: Breaker,
    pub reason: String,
    pub event: String,
}

#[derive(Debug, Deserialize)]
pub struct Breaker {
    pub failed: i32,
    pub threshold: i32,
}

#[derive(Debug, Deserialize)]
pub struct CrashBehaviour {
    pub stop_code: String,
    pub stopped_reason: String,
}

#[derive(Debug, Deserialize)]
pub struct RollbackBehaviour {
    pub takes: f64,
    pub alarm_reason: String,
    pub hook_reason: String,
    pub stop_reason: String,
    pub abort_reason: String,
}

#[derive(Debug, Deserialize)]
pub struct RecordBehaviour {
    pub blue_green_stages: Vec<String>,
    pub baking_stage: String,
    pub baked_stage: String,
    pub pause: PauseBehaviour,
}

#[derive(Debug, Deserialize)]
pub struct PauseBehaviour {
    pub stage: String,
    pub expires_after_hours: u64,
    pub timeout_action: String,
}

#[derive(Debug, Deserialize)]
pub struct OneOffBehaviour {
    pub pending_at: f64,
    pub running_at: f64,
    pub fail_to_start_at: f64,
    pub default_duration: f64,
}

#[derive(Debug, Deserialize)]
pub struct RegisterBehaviour {
    pub burst: f64,
    pub per_second: f64,
    pub takes: f64,
}

impl RecordBehaviour {
    fn stages(&self) -> Vec<LifecycleStage> {
        self.blue_green_stages
            .iter()
            .map(|s| LifecycleStage::parse(s))
            .collect()
    }

    /// The index of the PAUSE hook's stage among the blue/green stages.
    fn pause_stage(&self) -> usize {
        self.blue_green_stages
            .iter()
            .position(|s| *s == self.pause.stage)
            .expect("the pause stage is a blue/green stage")
    }
}

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const REPOSITORY: &str = "api";
pub const CLUSTER: &str = "main";

/// How the next rollout of a service goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scenario {
    Complete {
        delay: f64,
    },
    Fail {
        delay: f64,
    },
    /// The essential container exits `exit`, with `reason` when given.
    Crash {
        delay: f64,
        interval: f64,
        exit: i32,
        reason: Option<&'static str>,
    },
    Hang,
}

/// How the next one-off task (`RunTask`) goes, as the scenario layer's `/task-scenario`:
/// PROVISIONING, PENDING, RUNNING, then STOPPED after `duration` with the essential container
/// exiting `exit`; or, `fail_to_start`, stopped at 0.5 s without running (no exit code).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskScenario {
    pub duration: f64,
    pub exit: i32,
    pub fail_to_start: bool,
}

impl Default for TaskScenario {
    fn default() -> Self {
        Self {
            duration: BEHAVIOUR.one_off.default_duration,
            exit: 0,
            fail_to_start: false,
        }
    }
}

/// A service's deployment configuration, as far as service deployments show it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Strategy {
    /// Blue/green: the lifecycle stages before bake time, spread over the rollout.
    pub blue_green: bool,
    /// Bake time, in seconds, after the rollout completed (ECS counts minutes; the model is
    /// quicker, and says `bakeTimeInMinutes` rounded up).
    pub bake: f64,
    /// An alarm that goes off this many seconds into bake time, and its name.
    pub alarm: Option<(f64, &'static str)>,
    /// A PAUSE lifecycle hook at `POST_TEST_TRAFFIC_SHIFT` (blue/green): the deployment waits
    /// there for `ContinueServiceDeployment` (for a day, then rolls back).
    pub pause: bool,
    /// The service's circuit breaker, on with rollback (the infrastructure's setting): only then
    /// does a `Fail` scenario end in ECS's rollback.
    pub breaker: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Rolling,
    /// Waiting at a PAUSE hook since then.
    Paused(Instant),
    /// Rolled out; ECS bakes it (service deployment in `BAKE_TIME`).
    Baking,
    RollingBack,
}

#[derive(Debug)]
struct Rollout {
    deployment: String,
    previous: String,
    started: Instant,
    scenario: Scenario,
    phase: Phase,
    stopped: u32,
    /// Its service deployment (an index into `World::records`).
    record: usize,
    /// Its PAUSE hook was passed (continued).
    resumed: bool,
}

#[derive(Debug, Default)]
struct World {
    parameters: BTreeMap<String, String>,
    services: BTreeMap<String, ServiceState>,
    /// Family → revisions (the `taskDefinition` bodies), revision n at index n - 1.
    families: BTreeMap<String, Vec<Value>>,
    tags: BTreeMap<String, Value>,
    /// Image digest → tags, in push order.
    images: Vec<(String, Vec<String>)>,
    rollouts: BTreeMap<String, Rollout>,
    scenarios: BTreeMap<String, VecDeque<Scenario>>,
    stopped: Vec<StoppedTask>,
    /// One-off tasks (`RunTask`): how each goes, and when it started.
    one_off: BTreeMap<String, (Instant, TaskScenario)>,
    /// One-off tasks `StopTask` was called for, and when (ECS sends SIGTERM; the model's
    /// containers exit 143 at once).
    stopped_one_off: BTreeMap<String, Instant>,
    task_scenario: Option<TaskScenario>,
    next_id: u64,
    calls: Vec<(Duration, &'static str)>,
    /// Operation → calls to let through, then errors to answer with, in order.
    faults: BTreeMap<&'static str, (usize, VecDeque<AwsError>)>,
    /// Service deployments, oldest first, with when each was created.
    records: Vec<(ServiceDeployment, SystemTime)>,
    strategies: BTreeMap<String, Strategy>,
    /// `UpdateService` and `DescribeServices` do not name the current service deployment.
    no_current_record: bool,
    /// The wall clock at the model's start (service deployments carry wall-clock times).
    epoch: Option<(Instant, SystemTime)>,
    /// A digest the next tag looked up moves to right after the lookup.
    moves_after_check: Option<String>,
    /// AWS's token bucket for `RegisterTaskDefinition`: a burst of 20, one more a second.
    register_bucket: TokenBucket,
    /// When registrations were throttled (since the model was made).
    throttled: Vec<Duration>,
    /// Families with a registration under way.
    registering: std::collections::BTreeSet<String>,
    /// Operations whose next call is done, and its answer lost (a 500 after the fact).
    lose_answer: std::collections::BTreeSet<&'static str>,
    /// Operations whose next call never answers.
    hang: std::collections::BTreeSet<&'static str>,
    /// Services someone else deploys right before our next update of them.
    cut_in: std::collections::BTreeSet<String>,
    /// ECR's pull-through cache rules (the deploy's registry and region).
    pull_through: Vec<PullThroughRule>,
    /// Secrets Manager secrets by ARN (metadata only).
    secrets: BTreeMap<String, SecretInfo>,
    /// IAM roles by name.
    roles: BTreeMap<String, RoleInfo>,
    /// CloudWatch Logs: log group → stream → messages, oldest first.
    logs: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

/// A token bucket as AWS throttles an API with: `capacity` calls at once, refilled at `per_second`.
#[derive(Debug)]
struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    at: Option<Instant>,
}

impl Default for TokenBucket {
    fn default() -> Self {
        let register = &BEHAVIOUR.register;
        Self {
            capacity: register.burst,
            per_second: register.per_second,
            tokens: register.burst,
            at: None,
        }
    }
}

impl TokenBucket {
    /// Takes a token at `now`, if there is one.
    fn take(&mut self, now: Instant) -> bool {
        if let Some(at) = self.at {
            self.tokens =
                (self.tokens + (now - at).as_secs_f64() * self.per_second).min(self.capacity);
        }
        self.at = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The model; shared by reference with the stages.
pub struct Model {
    start: Instant,
    world: Mutex<World>,
}

fn td_arn(family: &str, revision: usize) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}")
}

fn timestamp() -> String {
    "2026-12-06T10:00:00Z".to_string()
}

impl Model {
    /// Services named in `services`, each running revision 1 of its own family (named like the
    /// service) with image `api:v1`, 2 tasks, one container `app`; images `v1` and `v2` in ECR.
    pub fn new(services: &[&str]) -> Self {
        let mut world = World::default();
        for (i, tag) in ["v1", "v2"].iter().enumerate() {
            world.images.push((
                format!("sha256:{}", format!("{i}").repeat(64)),
                vec![(*tag).into()],
            ));
        }
        for name in services {
            let image = format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:v1");
            world.families.insert(
                (*name).to_string(),
                vec![json!({
                    "taskDefinitionArn": td_arn(name, 1),
                    "family": name,
                    "revision": 1,
                    "status": "ACTIVE",
                    "requiresCompatibilities": ["FARGATE"],
                    "networkMode": "awsvpc",
                    "cpu": "256",
                    "memory": "512",
                    "containerDefinitions": [{
                        "name": "app",
                        "image": image,
                        "essential": true,
                        "environment": [{"name": "MODE", "value": "web"}],
                    }],
                })],
            );
            let deployment = Deployment {
                id: format!("ecs-svc/{name}-0"),
                status: DeploymentStatus::Primary,
                task_definition: td_arn(name, 1),
                desired: 2,
                running: 2,
                pending: 0,
                failed_tasks: 0,
                rollout_state: Some(RolloutState::Completed),
                rollout_state_reason: None,
                created_at: None,
            };
            world.services.insert(
                (*name).to_string(),
                ServiceState {
                    arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{name}"),
                    name: (*name).to_string(),
                    cluster_arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"),
                    status: ServiceStatus::Active,
                    task_definition: td_arn(name, 1),
                    desired: 2,
                    running: 2,
                    pending: 0,
                    deployments: vec![deployment],
                    placement: Placement {
                        launch_type: Some("FARGATE".into()),
                        network: Some(ecs_ship::domain::service::AwsVpc {
                            subnets: vec!["subnet-a".into()],
                            security_groups: vec!["sg-a".into()],
                            assign_public_ip: false,
                        }),
                        ..Placement::default()
                    },
                    ..ServiceState::default()
                },
            );
        }
        let start = Instant::now();
        // The stages read the wall clock (to find a service deployment by when it was created);
        // virtual time runs ahead of it, never behind.
        world.epoch = Some((start, SystemTime::now()));
        Self {
            start,
            world: Mutex::new(world),
        }
    }

    /// The service's deployment configuration from now on.
    pub fn strategy(&self, service: &str, strategy: Strategy) {
        let mut world = self.lock();
        let settings = &mut world.services.get_mut(service).unwrap().settings;
        if strategy.pause {
            settings.lifecycle_hooks = vec!["PAUSE at POST_TEST_TRAFFIC_SHIFT".into()];
        }
        if strategy.breaker {
            settings.circuit_breaker =
                Some(ecs_ship::domain::deployment_settings::CircuitBreaker {
                    enable: true,
                    rollback: true,
                });
        }
        world.strategies.insert(service.to_string(), strategy);
    }

    /// `services` run revision 1 of `family` instead of their own.
    pub fn share_family(&self, services: &[&str], family: &str) {
        let mut world = self.lock();
        for service in services {
            world.families.remove(*service);
            let state = world.services.get_mut(*service).unwrap();
            state.task_definition = td_arn(family, 1);
            for d in &mut state.deployments {
                d.task_definition = td_arn(family, 1);
            }
        }
    }

    /// `service` runs a new revision of its family that is the same as the one it runs (as after
    /// an unchanged redeploy of it alone): services of one family on different revisions.
    pub fn run_copy(&self, service: &str) {
        let mut world = self.lock();
        let live = world.services[service].task_definition.clone();
        let family = live
            .rsplit('/')
            .next()
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .to_string();
        let revisions = world.families.get_mut(&family).unwrap();
        let mut copy = revisions.last().unwrap().clone();
        let arn = td_arn(&family, revisions.len() + 1);
        copy["taskDefinitionArn"] = json!(arn);
        copy["revision"] = json!(revisions.len() + 1);
        revisions.push(copy);
        let state = world.services.get_mut(service).unwrap();
        state.task_definition.clone_from(&arn);
        for d in &mut state.deployments {
            d.task_definition.clone_from(&arn);
        }
    }

    /// The next call of `operation` (`ContinueServiceDeployment`, `StopServiceDeployment`) is
    /// done, and its answer lost.
    pub fn lose_next_answer(&self, operation: &'static str) {
        self.lock().lose_answer.insert(operation);
    }

    /// The next call of `operation` never answers (`DescribeServiceRevisions`).
    pub fn hang_next(&self, operation: &'static str) {
        self.lock().hang.insert(operation);
    }

    /// A Secrets Manager secret (metadata only), an IAM role trusting ECS tasks, a log group.
    pub fn add_secret(&self, arn: &str) {
        self.lock().secrets.insert(
            arn.to_string(),
            SecretInfo {
                arn: arn.to_string(),
                kms_key: None,
                versions: BTreeMap::from([("v1".into(), vec!["AWSCURRENT".into()])]),
                deleted: false,
            },
        );
    }

    pub fn add_role(&self, name: &str) {
        let trust = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        self.lock().roles.insert(
            name.to_string(),
            RoleInfo {
                arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
                trust_policy: Some(trust.into()),
            },
        );
    }

    /// A log group with a stream of `lines` (none: just the group).
    pub fn add_log(&self, group: &str, stream: Option<(&str, &[&str])>) {
        let mut world = self.lock();
        let streams = world.logs.entry(group.to_string()).or_default();
        if let Some((name, lines)) = stream {
            streams.insert(
                name.to_string(),
                lines.iter().map(|l| (*l).to_string()).collect(),
            );
        }
    }

    /// Revision 1 of `family` logs with awslogs to `group` (stream prefix `app`).
    pub fn log_to(&self, family: &str, group: &str) {
        let mut world = self.lock();
        let revision = &mut world.families.get_mut(family).unwrap()[0];
        revision["containerDefinitions"][0]["logConfiguration"] = json!({
            "logDriver": "awslogs",
            "options": {"awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": "app"},
        });
        world.logs.entry(group.to_string()).or_default();
    }

    /// Waits forever when the next call of `operation` is to hang.
    async fn maybe_hang(&self, operation: &'static str) {
        let hangs = self.lock().hang.remove(operation);
        if hangs {
            std::future::pending::<()>().await;
        }
    }

    /// The next tag looked up in ECR is pushed again (to `digest`) right after the lookup.
    pub fn move_tag_after_check(&self, digest: &str) {
        self.lock().moves_after_check = Some(digest.to_string());
    }

    /// An ECR pull-through cache rule: repositories under `prefix/` are filled from `upstream`.
    pub fn pull_through(&self, prefix: &str, upstream: &str) {
        self.lock().pull_through.push(PullThroughRule {
            prefix: prefix.to_string(),
            upstream: upstream.to_string(),
        });
    }

    /// Someone else's deploy lands right before the next `UpdateService` of `service`: a new
    /// revision of its family (a copy of the one it runs), deployed and completed a moment
    /// before ours; ours then replaces theirs.
    pub fn deploy_before_next_update(&self, service: &str) {
        self.lock().cut_in.insert(service.to_string());
    }

    /// ECS's answers stop naming the current service deployment (`currentServiceDeployment`),
    /// so it has to be found with `ListServiceDeployments`.
    pub fn without_current_service_deployment(&self) {
        self.lock().no_current_record = true;
    }

    /// Someone else's deployment of `service`, created `ago` before now and already
    /// `SUCCESSFUL` (it deployed what the service runs): the kind a look-up by creation time
    /// alone would take for the next update's.
    pub fn finished_deployment_before(&self, service: &str, ago: Duration) {
        let mut world = self.lock();
        let now = Instant::now();
        let td = world.services[service].task_definition.clone();
        let index = world.new_record(service, &td, &td, now);
        let created = world.wall_clock(now) - ago;
        world.records[index].1 = created;
        world.update_record(index, now, |r| {
            r.created_at = Some(ecs_ship::text::rfc3339(created));
            r.status = ServiceDeploymentStatus::Successful;
        });
    }

    /// The service deployments of `service`, oldest first.
    pub fn service_deployments(&self, service: &str) -> Vec<ServiceDeployment> {
        let mut world = self.lock();
        world.advance(Instant::now());
        world
            .records
            .iter()
            .filter(|(r, _)| r.service_arn.ends_with(&format!("/{service}")))
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// How the next rollouts of `service` go, in order; later ones complete after 0.5 s.
    pub fn scenario(&self, service: &str, scenarios: &[Scenario]) {
        self.lock()
            .scenarios
            .insert(service.to_string(), scenarios.iter().copied().collect());
    }

    /// How the next one-off task goes.
    pub fn task_scenario(&self, scenario: TaskScenario) {
        self.lock().task_scenario = Some(scenario);
    }

    /// After `after` more calls that go through, `operation` answers `error` `times` times.
    pub fn fault(&self, operation: &'static str, after: usize, error: &AwsError, times: usize) {
        self.lock().faults.insert(
            operation,
            (after, std::iter::repeat_n(error.clone(), times).collect()),
        );
    }

    /// When registrations were throttled, since the model was made.
    pub fn throttled(&self) -> Vec<Duration> {
        self.lock().throttled.clone()
    }

    /// When each call of `operation` was made, since the model was made.
    pub fn calls(&self, operation: &str) -> Vec<Duration> {
        self.lock()
            .calls
            .iter()
            .filter(|(_, op)| *op == operation)
            .map(|(at, _)| *at)
            .collect()
    }

    /// The revision the service's PRIMARY deployment runs (`family:n`), after the model moved on.
    pub fn running(&self, service: &str) -> String {
        let mut world = self.lock();
        world.advance(Instant::now());
        let state = &world.services[service];
        state
            .task_definition
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap()
    }

    /// Logs the call, moves rollouts on to now, and answers a planted fault if there is one.
    fn call(
        &self,
        operation: &'static str,
    ) -> Result<std::sync::MutexGuard<'_, World>, anyhow::Error> {
        let now = Instant::now();
        let mut world = self.lock();
        world.calls.push((now - self.start, operation));
        world.advance(now);
        if let Some((after, errors)) = world.faults.get_mut(operation) {
            if *after > 0 {
                *after -= 1;
            } else if let Some(error) = errors.pop_front() {
                return Err(anyhow::Error::new(error).context(format!("calling {operation}")));
            }
        }
        Ok(world)
    }
}

impl World {
    /// A service revision the model made (`…/service-revision/<cluster>/<service>/<family:n>`):
    /// its task definition's images, each resolved to the digest ECR has for its tag.
    fn revision(&self, arn: &str) -> Option<ServiceRevision> {
        let (_, family_revision) = arn.rsplit_once('/')?;
        let (family, n) = family_revision.rsplit_once(':')?;
        let body = self
            .families
            .get(family)?
            .get(n.parse::<usize>().ok()?.checked_sub(1)?)?;
        let images = body["containerDefinitions"]
            .as_array()?
            .iter()
            .map(|c| {
                let image = c["image"].as_str().unwrap_or_default().to_string();
                let digest = match image.split_once('@') {
                    Some((_, digest)) => Some(digest.to_string()),
                    None => image.rsplit_once(':').and_then(|(_, tag)| {
                        self.images
                            .iter()
                            .find(|(_, tags)| tags.iter().any(|t| t == tag))
                            .map(|(d, _)| d.clone())
                    }),
                };
                ContainerImage {
                    container: c["name"].as_str().unwrap_or_default().to_string(),
                    image,
                    digest,
                }
            })
            .collect();
        Some(ServiceRevision {
            arn: arn.to_string(),
            task_definition: td_arn(family, n.parse().ok()?),
            images,
        })
    }

    /// The status of a revision (`ACTIVE`, `INACTIVE`) by ARN or `family:revision`.
    fn revision_status(&self, task_definition: &str) -> Option<&str> {
        let (family, n) = task_definition.rsplit('/').next()?.split_once(':')?;
        self.families
            .get(family)?
            .get(n.parse::<usize>().ok()?.checked_sub(1)?)?["status"]
            .as_str()
    }

    /// `Ok`, or, when the answer of `operation` is to be lost, the error its caller sees.
    fn answer_or_lose(&mut self, operation: &'static str) -> anyhow::Result<()> {
        if self.lose_answer.remove(operation) {
            return Err(anyhow::Error::new(AwsError::service(
                "InternalFailure",
                "the answer was lost (injected)",
            )));
        }
        Ok(())
    }

    /// The service as ECS's answers show it.
    fn answer(&self, service: &str) -> ServiceState {
        let mut state = self.services[service].clone();
        if self.no_current_record {
            state.current_service_deployment = None;
        }
        state
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn event(&mut self, service: &str, message: &str) {
        let id = self.id();
        let state = self.services.get_mut(service).unwrap();
        state.events.insert(
            0,
            ServiceEvent {
                id: id.to_string(),
                created_at: timestamp(),
                message: format!("(service {service}) {message}"),
            },
        );
    }

    fn stop_task(
        &mut self,
        service: &str,
        deployment: &str,
        code: StopCode,
        reason: &str,
        exit: Option<i32>,
        container_reason: Option<&str>,
    ) {
        let id = self.id();
        let state = &self.services[service];
        let task_definition = state
            .deployment(deployment)
            .map(|d| d.task_definition.clone())
            .unwrap_or_default();
        self.stopped.insert(
            0,
            StoppedTask {
                arn: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{id:032x}"),
                task_definition,
                started_by: deployment.to_string(),
                stop_code: Some(code),
                stopped_reason: Some(reason.to_string()),
                stopped_at: Some(timestamp()),
                containers: vec![ContainerExit {
                    name: "app".into(),
                    exit_code: exit,
                    reason: container_reason.map(str::to_string),
                }],
                private_ip: Some(format!("10.0.0.{}", id % 250)),
            },
        );
        // It stopped on its own (failed to start, or its essential container exited): the
        // scheduler starts a replacement, and that is what the service's events say (a
        // scheduler-initiated stop would say "has stopped").
        let replacement = self.id();
        self.event(
            service,
            &format!("has started 1 tasks: (task {replacement:032x})."),
        );
    }

    /// How the service deploys: as a test set it, else as its deployment configuration says
    /// (a blue/green strategy, bake time in minutes).
    fn strategy_of(&self, service: &str) -> Strategy {
        if let Some(strategy) = self.strategies.get(service) {
            return *strategy;
        }
        let settings = &self.services[service].settings;
        Strategy {
            blue_green: settings.strategy == Some(DeploymentStrategy::BlueGreen),
            bake: f64::from(settings.bake_time_minutes.unwrap_or(0)) * 60.0,
            alarm: None,
            pause: false,
            breaker: settings
                .circuit_breaker
                .is_some_and(|cb| cb.enable && cb.rollback),
        }
    }

    /// The service whose rollout has service deployment `arn`.
    fn rollout_of(&self, arn: &str) -> Option<String> {
        self.rollouts
            .iter()
            .find(|(_, r)| self.records[r.record].0.arn == arn)
            .map(|(service, _)| service.clone())
    }

    fn wall_clock(&self, at: Instant) -> SystemTime {
        let (start, wall) = self.epoch.expect("the model's epoch");
        wall + at.saturating_duration_since(start)
    }

    /// ECS's service deployment for a rollout of `service` from `previous` to `task_definition`,
    /// made the service's current one; its index.
    fn new_record(
        &mut self,
        service: &str,
        task_definition: &str,
        previous: &str,
        now: Instant,
    ) -> usize {
        let id = self.id();
        let strategy = self.strategy_of(service);
        let created = self.wall_clock(now);
        let revision = |td: &str| {
            format!(
                "arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/{CLUSTER}/{service}/{}",
                td.rsplit('/').next().unwrap_or_default()
            )
        };
        let state = &self.services[service];
        let record = ServiceDeployment {
            arn: format!(
                "arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{CLUSTER}/{service}/sd{id:020}"
            ),
            service_arn: state.arn.clone(),
            status: ServiceDeploymentStatus::InProgress,
            lifecycle_stage: strategy.blue_green.then_some(LifecycleStage::PreScaleUp),
            target_revision: Some(revision(task_definition)),
            source_revisions: vec![revision(previous)],
            alarms: strategy
                .alarm
                .map(|(_, name)| vec![name.to_string()])
                .unwrap_or_default(),
            circuit_breaker: state
                .settings
                .circuit_breaker
                .filter(|cb| cb.enable)
                .map(|_| BreakerCount {
                    failed: 0,
                    threshold: BEHAVIOUR.rollout.fail.breaker.threshold,
                }),
            strategy: Some(
                if strategy.blue_green {
                    "BLUE_GREEN"
                } else {
                    "ROLLING"
                }
                .into(),
            ),
            #[allow(clippy::cast_possible_truncation)]
            bake_time_minutes: (strategy.bake > 0.0).then(|| (strategy.bake / 60.0).ceil() as i32),
            created_at: Some(ecs_ship::text::rfc3339(created)),
            updated_at: Some(ecs_ship::text::rfc3339(created)),
            ..ServiceDeployment::default()
        };
        let arn = record.arn.clone();
        self.records.push((record, created));
        self.services
            .get_mut(service)
            .unwrap()
            .current_service_deployment = Some(arn);
        self.records.len() - 1
    }

    /// Moves a service deployment on: its status, stage and what else `change` sets.
    fn update_record(
        &mut self,
        index: usize,
        at: Instant,
        change: impl FnOnce(&mut ServiceDeployment),
    ) {
        let time = ecs_ship::text::rfc3339(self.wall_clock(at));
        let record = &mut self.records[index].0;
        change(record);
        record.updated_at = Some(time.clone());
        if matches!(
            record.status,
            ServiceDeploymentStatus::Successful
                | ServiceDeploymentStatus::RollbackSuccessful
                | ServiceDeploymentStatus::RollbackFailed
                | ServiceDeploymentStatus::Stopped
        ) {
            record.finished_at = Some(time);
        }
    }

    /// ECS rolls a deployment back itself: ours FAILED with `why` (the service's event says
    /// `event`), a PRIMARY deployment of the previous revision that completes
    /// [`RollbackBehaviour::takes`] after `at`, and its service deployment `ROLLBACK_IN_PROGRESS`.
    fn ecs_rolls_back(
        &mut self,
        service: &str,
        at: Instant,
        (why, event): (&str, &str),
        change: impl FnOnce(&mut ServiceDeployment),
    ) {
        let r = &self.rollouts[service];
        let (deployment, previous, record) = (r.deployment.clone(), r.previous.clone(), r.record);
        let state = self.services.get_mut(service).unwrap();
        if let Some(d) = state.deployments.iter_mut().find(|d| d.id == deployment) {
            d.rollout_state = Some(RolloutState::Failed);
            d.rollout_state_reason = Some(why.to_string());
            d.status = DeploymentStatus::Active;
        }
        self.event(
            service,
            &format!("deployment {deployment} deployment failed: {event}"),
        );
        let rollback = self.deploy(service, &previous);
        self.event(service, &format!("rolling back to deployment {rollback}."));
        let why = why.to_string();
        self.update_record(record, at, |r| {
            r.status = ServiceDeploymentStatus::RollbackInProgress;
            r.status_reason = Some(why.clone());
            r.rollback_reason = Some(why);
            change(r);
        });
        let r = self.rollouts.get_mut(service).unwrap();
        *r = Rollout {
            deployment: rollback,
            previous: previous.clone(),
            started: at,
            scenario: Scenario::Complete {
                delay: BEHAVIOUR.rollout.rollback.takes,
            },
            phase: Phase::RollingBack,
            stopped: 0,
            record,
            resumed: true,
        };
    }

    /// A new PRIMARY deployment of `task_definition`, created now; the old PRIMARY becomes
    /// ACTIVE (the API reference, `Deployment.status`: "ACTIVE: deployments that are still
    /// running tasks but are in the process of being replaced with a new PRIMARY deployment").
    fn deploy(&mut self, service: &str, task_definition: &str) -> String {
        let id = format!("ecs-svc/{}", 1_000_000 + self.id());
        let created_at = Some(self.wall_clock(Instant::now()));
        let state = self.services.get_mut(service).unwrap();
        for d in &mut state.deployments {
            if d.status == DeploymentStatus::Primary {
                d.status = DeploymentStatus::Active;
            }
        }
        state.deployments.insert(
            0,
            Deployment {
                id: id.clone(),
                status: DeploymentStatus::Primary,
                task_definition: task_definition.to_string(),
                desired: state.desired,
                running: 0,
                pending: state.desired,
                failed_tasks: 0,
                rollout_state: Some(RolloutState::InProgress),
                rollout_state_reason: Some(format!("ECS deployment {id} in progress.")),
                created_at,
            },
        );
        state.task_definition = task_definition.to_string();
        let desired = state.desired;
        let task = self.id();
        self.event(
            service,
            &format!("has started {desired} tasks: (task {task:032x})."),
        );
        id
    }

    /// Someone else's deploy of `service`: a copy of the revision it runs as a new revision,
    /// deployed and completed by `now`, created a second before.
    fn someone_else_deploys(&mut self, service: &str, now: Instant) {
        let live = self.services[service].task_definition.clone();
        let family = live
            .rsplit('/')
            .next()
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .to_string();
        let revisions = self.families.get_mut(&family).unwrap();
        let mut copy = revisions.last().unwrap().clone();
        let arn = td_arn(&family, revisions.len() + 1);
        copy["taskDefinitionArn"] = json!(arn);
        copy["revision"] = json!(revisions.len() + 1);
        copy["containerDefinitions"][0]["environment"] =
            json!([{"name": "MODE", "value": "hotfix"}]);
        revisions.push(copy);
        let theirs = self.deploy(service, &arn);
        self.finish(service, &theirs);
        let created = self.wall_clock(now) - Duration::from_secs(1);
        let state = self.services.get_mut(service).unwrap();
        state.deployments[0].created_at = Some(created);
    }

    fn finish(&mut self, service: &str, deployment: &str) {
        let state = self.services.get_mut(service).unwrap();
        state.deployments.retain(|d| d.id == deployment);
        let d = &mut state.deployments[0];
        d.running = d.desired;
        d.pending = 0;
        d.rollout_state = Some(RolloutState::Completed);
        state.running = state.desired;
        self.event(
            service,
            &format!("deployment {deployment} deployment completed."),
        );
        self.event(service, "has reached a steady state.");
    }

    /// The rollout completed at `delay`: baked next, or successful.
    fn rolled_out(&mut self, service: &str, delay: f64, strategy: &Strategy, now: Instant) {
        let (deployment, record) = {
            let r = &self.rollouts[service];
            (r.deployment.clone(), r.record)
        };
        self.finish(service, &deployment);
        let done = self.rollouts[service].started + Duration::from_secs_f64(delay);
        if strategy.bake > 0.0 {
            self.update_record(record, done, |r| {
                r.lifecycle_stage = Some(LifecycleStage::parse(
                    &BEHAVIOUR.service_deployment.baking_stage,
                ));
            });
            let r = self.rollouts.get_mut(service).unwrap();
            r.phase = Phase::Baking;
            r.started = done;
            self.advance_one(service, now);
        } else {
            // A deployment that reported stages (blue/green) ends in the last one.
            let baked = strategy
                .blue_green
                .then(|| LifecycleStage::parse(&BEHAVIOUR.service_deployment.baked_stage));
            self.update_record(record, done, |r| {
                r.status = ServiceDeploymentStatus::Successful;
                r.lifecycle_stage = baked;
            });
            self.rollouts.remove(service);
        }
    }

    /// Blue/green before bake time: the stage `progress` (0 to 1) into the rollout, or the
    /// pause at the PAUSE hook's stage.
    fn blue_green_stage(
        &mut self,
        service: &str,
        progress: f64,
        delay: f64,
        strategy: &Strategy,
        now: Instant,
    ) {
        let stages = BEHAVIOUR.service_deployment.stages();
        let pause_stage = BEHAVIOUR.service_deployment.pause_stage();
        #[allow(clippy::cast_precision_loss)]
        let count = stages.len() as f64;
        let index = (whole(progress * count) as usize).min(stages.len() - 1);
        let (resumed, started, record) = {
            let r = &self.rollouts[service];
            (r.resumed, r.started, r.record)
        };
        if strategy.pause && !resumed && index >= pause_stage {
            // ECS stops at the hook when the stage begins.
            let stage = f64::from(u8::try_from(pause_stage).unwrap());
            self.pause(
                service,
                started + Duration::from_secs_f64(delay * stage / count),
            );
            return;
        }
        let stage = stages[index].clone();
        if self.records[record].0.lifecycle_stage.as_ref() != Some(&stage) {
            self.update_record(record, now, |r| r.lifecycle_stage = Some(stage));
        }
    }

    /// The deployment reaches its PAUSE hook at `at`: it waits there, the hook awaiting action.
    fn pause(&mut self, service: &str, at: Instant) {
        let record = self.rollouts[service].record;
        let pause = &BEHAVIOUR.service_deployment.pause;
        let expires = ecs_ship::text::rfc3339(
            self.wall_clock(at) + Duration::from_hours(pause.expires_after_hours),
        );
        self.update_record(record, at, |r| {
            r.lifecycle_stage = Some(LifecycleStage::parse(&pause.stage));
            r.hooks = vec![Hook {
                id: format!("hook-{record}"),
                status: HookStatus::AwaitingAction,
                expires_at: Some(expires),
                timeout_action: Some(pause.timeout_action.clone()),
            }];
        });
        self.rollouts.get_mut(service).unwrap().phase = Phase::Paused(at);
    }

    /// `ContinueServiceDeployment` on the paused rollout of `service`, at `now`.
    fn act_on_hook(&mut self, service: &str, action: HookAction, now: Instant) {
        let r = self.rollouts.get_mut(service).unwrap();
        let Phase::Paused(since) = r.phase else {
            unreachable!("checked paused")
        };
        let record = r.record;
        match action {
            HookAction::Continue => {
                // The clock of the rollout stops while it waits.
                r.started += now - since;
                r.phase = Phase::Rolling;
                r.resumed = true;
                self.update_record(record, now, |r| r.hooks[0].status = HookStatus::Succeeded);
            }
            HookAction::Rollback => {
                self.update_record(record, now, |r| r.hooks[0].status = HookStatus::Failed);
                let why = &BEHAVIOUR.rollout.rollback.hook_reason;
                self.ecs_rolls_back(service, now, (why, why), |_| {});
            }
        }
    }

    /// Bake time, `elapsed` into it: an alarm that goes off rolls back; at its end, successful.
    fn bake(&mut self, service: &str, elapsed: f64, strategy: &Strategy, now: Instant) {
        let (started, record) = {
            let r = &self.rollouts[service];
            (r.started, r.record)
        };
        match strategy.alarm {
            Some((at, name)) if elapsed >= at && at < strategy.bake => {
                let why = BEHAVIOUR
                    .rollout
                    .rollback
                    .alarm_reason
                    .replace("{name}", name);
                self.ecs_rolls_back(
                    service,
                    started + Duration::from_secs_f64(at),
                    (&why, &why),
                    |r| r.triggered_alarms = vec![name.to_string()],
                );
                self.advance_one(service, now);
            }
            _ if elapsed >= strategy.bake => {
                let baked = started + Duration::from_secs_f64(strategy.bake);
                self.update_record(record, baked, |r| {
                    r.status = ServiceDeploymentStatus::Successful;
                    r.lifecycle_stage = Some(LifecycleStage::parse(
                        &BEHAVIOUR.service_deployment.baked_stage,
                    ));
                });
                self.rollouts.remove(service);
            }
            _ => {}
        }
    }

    /// A failing rollout's tasks fail to start at [`FailBehaviour::failed_tasks_at`] of its delay
    /// (`progress`), each counted in `failedTasks`; `stopped` have already.
    /// Whether the service's circuit breaker is on with rollback (`DeploymentCircuitBreaker`).
    fn breaker_rolls_back(&self, service: &str) -> bool {
        self.services[service]
            .settings
            .circuit_breaker
            .is_some_and(|cb| cb.enable && cb.rollback)
    }

    fn tasks_fail_to_start(
        &mut self,
        service: &str,
        deployment: &str,
        stopped: u32,
        progress: f64,
    ) {
        let fail = &BEHAVIOUR.rollout.fail;
        let listed = fail.failed_tasks_at.len();
        let last = fail.failed_tasks_at.last().copied().unwrap_or(0.0);
        // Past the listed ones only without a breaker (with one, ECS has rolled back by then).
        let due = if progress > last {
            listed + usize::try_from(whole((progress - last) / fail.without_breaker_every)).unwrap()
        } else {
            fail.failed_tasks_at
                .iter()
                .filter(|at| progress >= **at)
                .count()
        };
        let revision = ecs_ship::domain::arn::short_task_definition(
            &self.services[service]
                .deployment(deployment)
                .map(|d| d.task_definition.clone())
                .unwrap_or_default(),
        )
        .to_string();
        let reason = fail.stopped_reason.replace("{revision}", &revision);
        for n in stopped..u32::try_from(due).unwrap() {
            self.rollouts.get_mut(service).unwrap().stopped = n + 1;
            self.stop_task(
                service,
                deployment,
                StopCode::from(fail.stop_code.as_str()),
                &reason,
                None,
                None,
            );
            let state = self.services.get_mut(service).unwrap();
            if let Some(d) = state.deployments.iter_mut().find(|d| d.id == deployment) {
                d.failed_tasks = i32::try_from(n + 1).unwrap();
            }
        }
    }

    /// A completing rollout runs its first task [`CompleteBehaviour::first_task_running_at`] into
    /// its delay (`progress`).
    fn first_task_running(&mut self, service: &str, deployment: &str, progress: f64) {
        if progress < BEHAVIOUR.rollout.complete.first_task_running_at {
            return;
        }
        let state = self.services.get_mut(service).unwrap();
        if let Some(d) = state.deployments.iter_mut().find(|d| d.id == deployment)
            && d.running == 0
            && d.desired > 0
        {
            d.running = 1;
            d.pending = d.desired - 1;
        }
    }

    /// Moves every rollout on to `now`, as ECS would have.
    fn advance(&mut self, now: Instant) {
        let services: Vec<String> = self.rollouts.keys().cloned().collect();
        for service in services {
            self.advance_one(&service, now);
        }
    }

    fn advance_one(&mut self, service: &str, now: Instant) {
        let r = &self.rollouts[service];
        let (deployment, scenario, phase, stopped, record) = (
            r.deployment.clone(),
            r.scenario,
            r.phase,
            r.stopped,
            r.record,
        );
        let elapsed = (now - r.started).as_secs_f64();
        let strategy = self.strategy_of(service);
        match (phase, scenario) {
            (Phase::Rolling, Scenario::Complete { delay }) if elapsed >= delay => {
                self.rolled_out(service, delay, &strategy, now);
            }
            (Phase::Rolling, Scenario::Complete { delay }) if strategy.blue_green => {
                self.first_task_running(service, &deployment, elapsed / delay);
                self.blue_green_stage(service, elapsed / delay, delay, &strategy, now);
            }
            (Phase::Rolling, Scenario::Complete { delay }) => {
                self.first_task_running(service, &deployment, elapsed / delay);
            }
            (Phase::Baking, _) => self.bake(service, elapsed, &strategy, now),
            (Phase::Rolling, Scenario::Fail { delay })
                if elapsed < delay || !self.breaker_rolls_back(service) =>
            {
                self.tasks_fail_to_start(service, &deployment, stopped, elapsed / delay);
            }
            (Phase::Rolling, Scenario::Fail { delay }) => {
                let fail = &BEHAVIOUR.rollout.fail;
                let at = self.rollouts[service].started + Duration::from_secs_f64(delay);
                self.ecs_rolls_back(service, at, (&fail.reason, &fail.event), |r| {
                    r.circuit_breaker = Some(BreakerCount {
                        failed: fail.breaker.failed,
                        threshold: fail.breaker.threshold,
                    });
                });
                let state = self.services.get_mut(service).unwrap();
                if let Some(d) = state.deployments.iter_mut().find(|d| d.id == deployment) {
                    d.failed_tasks = fail.breaker.failed;
                    d.running = 0;
                    d.pending = 0;
                }
                self.advance_one(service, now);
            }
            (
                Phase::Rolling,
                Scenario::Crash {
                    delay,
                    interval,
                    exit,
                    reason,
                },
            ) if elapsed >= delay => {
                let due = whole((elapsed - delay) / interval) + 1;
                for n in stopped..due {
                    self.rollouts.get_mut(service).unwrap().stopped = n + 1;
                    let crash = &BEHAVIOUR.rollout.crash;
                    self.stop_task(
                        service,
                        &deployment,
                        StopCode::from(crash.stop_code.as_str()),
                        &crash.stopped_reason,
                        Some(exit),
                        reason,
                    );
                }
            }
            (Phase::RollingBack, Scenario::Complete { delay }) if elapsed >= delay => {
                self.finish(service, &deployment);
                let done = self.rollouts[service].started + Duration::from_secs_f64(delay);
                self.update_record(record, done, |r| {
                    r.status = ServiceDeploymentStatus::RollbackSuccessful;
                    r.lifecycle_stage = None;
                });
                self.rollouts.remove(service);
            }
            _ => {}
        }
    }
}

/// How many whole steps `x` is (0 for a negative `x`).
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole(x: f64) -> u32 {
    x.max(0.0).floor() as u32
}

fn not_found(code: &str, message: &str) -> anyhow::Error {
    anyhow::Error::new(AwsError::service(code, message))
}

impl Cloud for Model {}

impl Region for Model {
    fn region(&self) -> &str {
        REGION
    }
}

impl Parameters for Model {
    async fn get_parameters(&self, names: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
        let world = self.call("GetParameters")?;
        Ok(names
            .iter()
            .filter_map(|n| world.parameters.get(n).map(|v| (n.clone(), v.clone())))
            .collect())
    }
    async fn put_parameter(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let mut world = self.call("PutParameter")?;
        world.parameters.insert(name.to_string(), value.to_string());
        Ok(())
    }
    async fn describe_parameters(
        &self,
        _region: InRegion<'_>,
        names: &[String],
    ) -> anyhow::Result<Vec<ParameterInfo>> {
        let world = self.call("DescribeParameters")?;
        Ok(names
            .iter()
            .filter(|n| world.parameters.contains_key(*n))
            .map(|n| ParameterInfo {
                name: n.clone(),
                kms_key: None,
            })
            .collect())
    }
}

impl Services for Model {
    async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<DescribedServices> {
        assert!(
            names.len() <= 10,
            "DescribeServices takes at most 10 services"
        );
        let world = self.call("DescribeServices")?;
        if cluster != CLUSTER {
            return Err(not_found("ClusterNotFoundException", "Cluster not found."));
        }
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            match world.services.get(name) {
                Some(_) => found.push(world.answer(name)),
                None => missing.push((name.clone(), "MISSING".to_string())),
            }
        }
        Ok((found, missing))
    }
    async fn poll_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> anyhow::Result<DescribedServices> {
        self.describe_services(cluster, names).await
    }
    async fn cluster_tags(&self, _cluster: &str) -> anyhow::Result<Vec<Tag>> {
        let _world = self.call("DescribeClusters")?;
        Ok(Vec::new())
    }
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> anyhow::Result<ServiceState> {
        assert_eq!(cluster, CLUSTER);
        let mut world = self.call("UpdateService")?;
        let now = Instant::now();
        if !world.services.contains_key(service) {
            return Err(not_found("ServiceNotFoundException", "Service not found."));
        }
        if world.cut_in.remove(service) {
            world.someone_else_deploys(service, now);
        }
        // The API reference, DeregisterTaskDefinition: "you can't update an existing service to
        // use an INACTIVE task definition"; ECS answers a ClientException.
        if let Some(td) = &update.task_definition
            && world.revision_status(td) == Some("INACTIVE")
        {
            return Err(not_found("ClientException", "TaskDefinition is inactive"));
        }
        let state = world.services.get_mut(service).unwrap();
        if let Some(count) = update.desired_count {
            state.desired = count;
        }
        if let Some(settings) = &update.settings {
            state.settings = settings.clone();
        }
        let previous = state.task_definition.clone();
        let to = update
            .task_definition
            .clone()
            .unwrap_or_else(|| previous.clone());
        if update.task_definition.is_some() || update.force_new_deployment {
            let deployment = world.deploy(service, &to);
            let record = world.new_record(service, &to, &previous, now);
            let scenario = world
                .scenarios
                .get_mut(service)
                .and_then(VecDeque::pop_front)
                .unwrap_or(Scenario::Complete {
                    delay: BEHAVIOUR.rollout.default_delay,
                });
            world.rollouts.insert(
                service.to_string(),
                Rollout {
                    deployment,
                    previous,
                    started: now,
                    scenario,
                    phase: Phase::Rolling,
                    stopped: 0,
                    record,
                    resumed: false,
                },
            );
        }
        Ok(world.answer(service))
    }
    async fn list_clusters(&self) -> anyhow::Result<Vec<String>> {
        let _world = self.call("ListClusters")?;
        Ok(vec![format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
        )])
    }
    async fn list_services(&self, _cluster: &str) -> anyhow::Result<Vec<String>> {
        let world = self.call("ListServices")?;
        Ok(world.services.values().map(|s| s.arn.clone()).collect())
    }
}

impl ServiceDeployments for Model {
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: SystemTime,
    ) -> anyhow::Result<Vec<ServiceDeploymentBrief>> {
        assert_eq!(cluster, CLUSTER);
        let world = self.call("ListServiceDeployments")?;
        Ok(world
            .records
            .iter()
            .rev()
            .filter(|(r, created)| {
                r.service_arn.ends_with(&format!("/{service}")) && *created >= created_after
            })
            .map(|(r, created)| ServiceDeploymentBrief {
                arn: r.arn.clone(),
                created_at: Some(*created),
                status: r.status.clone(),
                target_revision: r.target_revision.clone(),
            })
            .collect())
    }
    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> anyhow::Result<Vec<ServiceDeployment>> {
        assert!(
            arns.len() <= 20,
            "DescribeServiceDeployments takes at most 20"
        );
        let world = self.call("DescribeServiceDeployments")?;
        Ok(arns
            .iter()
            .filter_map(|arn| world.records.iter().find(|(r, _)| r.arn == *arn))
            .map(|(r, _)| r.clone())
            .collect())
    }
    async fn describe_service_revisions(
        &self,
        arns: &[String],
    ) -> anyhow::Result<Vec<ServiceRevision>> {
        assert!(
            arns.len() <= 20,
            "DescribeServiceRevisions takes at most 20"
        );
        let hangs = self.lock().hang.remove("DescribeServiceRevisions");
        if hangs {
            std::future::pending::<()>().await;
        }
        let world = self.call("DescribeServiceRevisions")?;
        Ok(arns.iter().filter_map(|arn| world.revision(arn)).collect())
    }
    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: HookAction,
    ) -> anyhow::Result<()> {
        let mut world = self.call("ContinueServiceDeployment")?;
        let now = Instant::now();
        let Some((record, _)) = world.records.iter().find(|(r, _)| r.arn == arn) else {
            return Err(not_found(
                "ServiceDeploymentNotFoundException",
                "The service deployment does not exist.",
            ));
        };
        let awaiting = record
            .hooks
            .iter()
            .any(|h| h.id == hook_id && h.status == HookStatus::AwaitingAction);
        let paused = world
            .rollout_of(arn)
            .filter(|s| matches!(world.rollouts[s].phase, Phase::Paused(_)));
        match (awaiting, paused) {
            (true, Some(service)) => {
                world.act_on_hook(&service, action, now);
                world.answer_or_lose("ContinueServiceDeployment")
            }
            _ => Err(not_found(
                "InvalidParameterException",
                "The lifecycle hook is not awaiting action.",
            )),
        }
    }
    async fn stop_service_deployment(&self, arn: &str, stop: StopType) -> anyhow::Result<()> {
        let mut world = self.call("StopServiceDeployment")?;
        let now = Instant::now();
        let Some(service) = world.rollout_of(arn) else {
            return Err(not_found(
                "InvalidParameterException",
                "The service deployment is not in progress.",
            ));
        };
        let record = world.rollouts[&service].record;
        match stop {
            StopType::Rollback => {
                let why = &BEHAVIOUR.rollout.rollback.stop_reason;
                world.ecs_rolls_back(&service, now, (why, why), |_| {});
            }
            StopType::Abort => {
                world.update_record(record, now, |r| {
                    r.status = ServiceDeploymentStatus::Stopped;
                    r.status_reason = Some(BEHAVIOUR.rollout.rollback.abort_reason.clone());
                });
                world.rollouts.remove(&service);
            }
        }
        world.answer_or_lose("StopServiceDeployment")
    }
}

impl TaskDefinitions for Model {
    async fn describe_task_definition(&self, task_definition: &str) -> anyhow::Result<Value> {
        let world = self.call("DescribeTaskDefinition")?;
        let name = task_definition
            .rsplit('/')
            .next()
            .unwrap_or(task_definition);
        let (family, revision) = match name.split_once(':') {
            Some((family, revision)) => (family, revision.parse::<usize>().ok()),
            None => (name, None),
        };
        let revisions = world
            .families
            .get(family)
            .ok_or_else(|| not_found("ClientException", "Unable to describe task definition."))?;
        let body = match revision {
            Some(n) => revisions.get(n - 1),
            None => revisions.iter().rev().find(|r| r["status"] == "ACTIVE"),
        }
        .ok_or_else(|| not_found("ClientException", "Unable to describe task definition."))?;
        let arn = body["taskDefinitionArn"].as_str().unwrap_or_default();
        Ok(
            json!({"taskDefinition": body, "tags": world.tags.get(arn).cloned().unwrap_or(json!([]))}),
        )
    }
    async fn register_task_definition(&self, body: &Value) -> anyhow::Result<String> {
        let family = body["family"].as_str().expect("a family").to_string();
        {
            let mut world = self.call("RegisterTaskDefinition")?;
            let now = Instant::now();
            if !world.register_bucket.take(now) {
                world.throttled.push(now - self.start);
                return Err(anyhow::Error::new(AwsError::service(
                    "ThrottlingException",
                    "Rate exceeded",
                )));
            }
            if !world.registering.insert(family.clone()) {
                return Err(anyhow::Error::new(AwsError::service(
                    "ClientException",
                    "Too many concurrent attempts to create a new revision of the specified family.",
                )));
            }
        }
        // A registration takes a moment; another into the same family meanwhile is refused.
        tokio::time::sleep(Duration::from_secs_f64(BEHAVIOUR.register.takes)).await;
        let mut world = self.lock();
        world.registering.remove(&family);
        let revisions = world.families.entry(family.clone()).or_default();
        let arn = td_arn(&family, revisions.len() + 1);
        let mut stored = body.clone();
        let tags = stored
            .as_object_mut()
            .and_then(|o| o.remove("tags"))
            .unwrap_or(json!([]));
        stored["taskDefinitionArn"] = json!(arn);
        stored["revision"] = json!(revisions.len() + 1);
        stored["status"] = json!("ACTIVE");
        revisions.push(stored);
        world.tags.insert(arn.clone(), tags);
        Ok(arn)
    }
    async fn active_revisions(&self, family: &str) -> anyhow::Result<Vec<String>> {
        let world = self.call("ListTaskDefinitions")?;
        Ok(world
            .families
            .get(family)
            .into_iter()
            .flatten()
            .rev()
            .filter(|r| r["status"] == "ACTIVE")
            .filter_map(|r| r["taskDefinitionArn"].as_str().map(str::to_string))
            .collect())
    }
    async fn deregister_task_definition(&self, arn: &str) -> anyhow::Result<()> {
        let mut world = self.call("DeregisterTaskDefinition")?;
        for revisions in world.families.values_mut() {
            for r in revisions.iter_mut() {
                if r["taskDefinitionArn"] == arn {
                    r["status"] = json!("INACTIVE");
                }
            }
        }
        Ok(())
    }
}

impl Tasks for Model {
    async fn run_task(&self, task: &OneOffTask<'_>) -> anyhow::Result<String> {
        assert!(
            task.placement.network.is_some(),
            "an awsvpc task needs a network configuration"
        );
        let mut world = self.call("RunTask")?;
        let id = world.id();
        let arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{id:032x}");
        let scenario = world.task_scenario.take().unwrap_or_default();
        world
            .one_off
            .insert(arn.clone(), (Instant::now(), scenario));
        Ok(arn)
    }
    async fn task_status(
        &self,
        _cluster: &str,
        arn: &str,
    ) -> anyhow::Result<Option<(TaskStatus, StoppedTask)>> {
        let world = self.call("DescribeTasks")?;
        let Some((started, scenario)) = world.one_off.get(arn) else {
            return Ok(None);
        };
        let elapsed = started.elapsed().as_secs_f64();
        let mut task = StoppedTask {
            arn: arn.to_string(),
            ..StoppedTask::default()
        };
        let one_off = &BEHAVIOUR.one_off;
        let status = if world.stopped_one_off.contains_key(arn) {
            task.stop_code = Some(StopCode::UserInitiated);
            task.stopped_reason = Some("Task stopped by user".into());
            task.containers = vec![ContainerExit {
                name: "app".into(),
                exit_code: Some(143),
                reason: None,
            }];
            TaskStatus::Stopped
        } else if scenario.fail_to_start && elapsed >= one_off.fail_to_start_at {
            task.stop_code = Some(StopCode::TaskFailedToStart);
            task.stopped_reason = Some("CannotPullContainerError: not found".into());
            task.containers = vec![ContainerExit {
                name: "app".into(),
                exit_code: None,
                reason: Some("CannotPullContainerError: not found".into()),
            }];
            TaskStatus::Stopped
        } else if !scenario.fail_to_start && elapsed >= scenario.duration {
            task.stop_code = Some(StopCode::EssentialContainerExited);
            task.stopped_reason = Some("Essential container in task exited".into());
            task.containers = vec![ContainerExit {
                name: "app".into(),
                exit_code: Some(scenario.exit),
                reason: None,
            }];
            TaskStatus::Stopped
        } else if elapsed < one_off.pending_at {
            TaskStatus::Provisioning
        } else if elapsed < one_off.running_at {
            TaskStatus::Pending
        } else {
            TaskStatus::Running
        };
        Ok(Some((status, task)))
    }
    async fn list_stopped_tasks(
        &self,
        _cluster: &str,
        started_by: &str,
    ) -> anyhow::Result<Vec<String>> {
        let world = self.call("ListTasks")?;
        Ok(world
            .stopped
            .iter()
            .filter(|t| t.started_by == started_by)
            .take(100)
            .map(|t| t.arn.clone())
            .collect())
    }
    async fn describe_tasks(
        &self,
        _cluster: &str,
        arns: &[String],
    ) -> anyhow::Result<Vec<StoppedTask>> {
        assert!(arns.len() <= 100, "DescribeTasks takes at most 100 tasks");
        let world = self.call("DescribeTasks")?;
        Ok(world
            .stopped
            .iter()
            .filter(|t| arns.contains(&t.arn))
            .cloned()
            .collect())
    }
    async fn list_running_tasks(&self, _cluster: &str) -> anyhow::Result<Vec<String>> {
        let _world = self.call("ListTasks")?;
        Ok(Vec::new())
    }
    async fn stop_task(&self, _cluster: &str, arn: &str, _reason: &str) -> anyhow::Result<()> {
        let mut world = self.call("StopTask")?;
        // StopTask on a task ECS does not know is a client error (InvalidParameterException).
        anyhow::ensure!(
            world.one_off.contains_key(arn),
            "InvalidParameterException: The referenced task was not found."
        );
        world
            .stopped_one_off
            .entry(arn.to_string())
            .or_insert_with(Instant::now);
        Ok(())
    }
}

impl Images for Model {
    async fn find_image(
        &self,
        repository: &Repository,
        wanted: Wanted<'_>,
    ) -> anyhow::Result<FoundImage> {
        let mut world = self.call("DescribeImages")?;
        // Another account's repository answers AccessDenied unless its repository policy lets
        // this account in (the model has none).
        if repository
            .registry_id
            .as_deref()
            .is_some_and(|r| r != ACCOUNT)
        {
            return Err(not_found(
                "AccessDeniedException",
                "User is not authorized to perform: ecr:DescribeImages on resource (another account)",
            ));
        }
        if repository.name != REPOSITORY {
            return Err(not_found(
                "RepositoryNotFoundException",
                "The repository does not exist.",
            ));
        }
        let found = world
            .images
            .iter()
            .find(|(digest, tags)| match wanted {
                Wanted::Tag(tag) => tags.iter().any(|t| t == tag),
                Wanted::Digest(d) => digest == d,
            })
            .map(|(digest, tags)| FoundImage {
                registry_id: ACCOUNT.into(),
                repository: REPOSITORY.into(),
                digest: digest.clone(),
                tags: tags.clone(),
            })
            .ok_or_else(|| not_found("ImageNotFoundException", "The image does not exist."));
        if let (Wanted::Tag(tag), Some(moved)) = (wanted, world.moves_after_check.take()) {
            // Someone pushes the tag again right after the check.
            for (_, tags) in &mut world.images {
                tags.retain(|t| t != tag);
            }
            world.images.push((moved, vec![tag.to_string()]));
        }
        found
    }
    async fn recent_tags(&self, _repository: &Repository, n: usize) -> anyhow::Result<Vec<String>> {
        let world = self.call("DescribeImages")?;
        Ok(world
            .images
            .iter()
            .rev()
            .flat_map(|(_, t)| t.clone())
            .take(n)
            .collect())
    }
    async fn any_image(&self, _repository: &Repository) -> anyhow::Result<Option<String>> {
        let world = self.call("DescribeImages")?;
        Ok((!world.images.is_empty()).then(|| ACCOUNT.to_string()))
    }
    async fn pull_through_rules(
        &self,
        _repository: &Repository,
    ) -> anyhow::Result<Vec<PullThroughRule>> {
        let world = self.call("DescribePullThroughCacheRules")?;
        Ok(world.pull_through.clone())
    }
    async fn tag_image(
        &self,
        _repository: &Repository,
        digest: &str,
        tag: &str,
    ) -> anyhow::Result<()> {
        let mut world = self.call("PutImage")?;
        if let Some((_, tags)) = world.images.iter_mut().find(|(d, _)| d == digest) {
            tags.push(tag.to_string());
        }
        Ok(())
    }
}

impl Secrets for Model {
    async fn describe_secret(
        &self,
        _region: InRegion<'_>,
        secret_id: &str,
    ) -> anyhow::Result<SecretInfo> {
        self.maybe_hang("DescribeSecret").await;
        let world = self.call("DescribeSecret")?;
        // Another account's secret answers AccessDenied, not "not found": its resource policy
        // decides who may describe it (Secrets Manager's cross-account access), and the model
        // has none.
        if secret_id.starts_with("arn:") && secret_id.split(':').nth(4) != Some(ACCOUNT) {
            return Err(not_found(
                "AccessDeniedException",
                "User is not authorized to perform: secretsmanager:DescribeSecret on resource (another account)",
            ));
        }
        world
            .secrets
            .iter()
            .find(|(arn, _)| arn.as_str() == secret_id || arn.starts_with(&format!("{secret_id}-")))
            .map(|(_, info)| info.clone())
            .ok_or_else(|| {
                not_found(
                    "ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret.",
                )
            })
    }
}

impl Iam for Model {
    async fn get_role(&self, name: &str) -> anyhow::Result<RoleInfo> {
        let world = self.call("GetRole")?;
        world.roles.get(name).cloned().ok_or_else(|| {
            not_found(
                "NoSuchEntity",
                &format!("The role with name {name} cannot be found."),
            )
        })
    }
    async fn simulate_principal_policy(
        &self,
        _principal_arn: &str,
        _actions: &[String],
        _resources: &[String],
    ) -> anyhow::Result<Vec<Evaluation>> {
        let _world = self.call("SimulatePrincipalPolicy")?;
        // The model has no policies: the deploy role may not simulate them.
        Err(not_found(
            "AccessDenied",
            "User is not authorized to perform: iam:SimulatePrincipalPolicy",
        ))
    }
}

impl Logs for Model {
    async fn log_group_exists(&self, _region: InRegion<'_>, group: &str) -> anyhow::Result<bool> {
        let world = self.call("DescribeLogGroups")?;
        Ok(world.logs.contains_key(group))
    }
    async fn log_tail(
        &self,
        _region: InRegion<'_>,
        group: &str,
        stream: &str,
        lines: u16,
    ) -> anyhow::Result<Vec<String>> {
        self.maybe_hang("GetLogEvents").await;
        let world = self.call("GetLogEvents")?;
        let messages = world
            .logs
            .get(group)
            .and_then(|streams| streams.get(stream))
            .ok_or_else(|| {
                not_found(
                    "ResourceNotFoundException",
                    "The specified log stream does not exist.",
                )
            })?;
        let skip = messages.len().saturating_sub(usize::from(lines));
        Ok(messages[skip..].to_vec())
    }
}

impl Schedules for Model {
    async fn rule_task_definitions(
        &self,
        cluster_arn: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        // The model has no scheduled jobs (the end-to-end tests create them in moto).
        let _world = self.call("ListRuleNamesByTarget")?;
        let _ = cluster_arn;
        Ok(Vec::new())
    }
    async fn schedule_task_definitions(&self) -> anyhow::Result<Vec<(String, String)>> {
        let _world = self.call("ListSchedules")?;
        Ok(Vec::new())
    }
    async fn move_rule_targets(
        &self,
        _rule: &str,
        _cluster_arn: &str,
        _from: &str,
        _to: &str,
    ) -> anyhow::Result<usize> {
        let _world = self.call("ListTargetsByRule")?;
        Ok(0)
    }
    async fn move_schedule(&self, _schedule: &str, _from: &str, _to: &str) -> anyhow::Result<bool> {
        let _world = self.call("GetSchedule")?;
        Ok(false)
    }
}

impl LoadBalancers for Model {
    async fn target_health(&self, _target_group_arn: &str) -> anyhow::Result<Vec<TargetHealth>> {
        let _world = self.call("DescribeTargetHealth")?;
        Ok(Vec::new())
    }
}
