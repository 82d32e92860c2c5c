//! Test support: a local AWS (moto plus our scenario layer, `moto_server.py`) on loopback, and a
//! runner imitation that runs the real binary the way the GitHub runner runs a container action.

#![allow(dead_code)]

pub mod github;
pub mod pin;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

pub const REPO_URI: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api";

fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python with moto installed: `ECS_SHIP_PYTHON`, else the project's `.venv`.
fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("ECS_SHIP_PYTHON") {
        return PathBuf::from(path);
    }
    let venv = project_dir().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no {} (run `scripts/test`, which creates it with moto installed)",
        venv.display()
    );
    venv
}

/// A running emulator with a fresh world. Back to [`POOL`] on drop, for the next test to reset
/// and reuse; killed instead when its test failed or it holds a stalled call.
pub struct Emulator {
    /// The connection the emulator lives for: closing it ends the process.
    link: Option<TcpStream>,
    pub aws_port: u16,
    pub control_port: u16,
    pub world: Value,
    /// False once a stall was planted: a call held in the emulator could land in the next world.
    reusable: std::cell::Cell<bool>,
}

/// Emulators between tests: forking one costs about 0.5 s of CPU, resetting one (`/reset`:
/// moto's backends, scenarios, faults and recorded calls forgotten) a few tens of ms.
static POOL: std::sync::Mutex<Vec<(TcpStream, u16, u16)>> = std::sync::Mutex::new(Vec::new());

/// The emulator factory (`moto_server.py --zygote`): imports moto and warms botocore's models
/// once (about 2 s of CPU; a fresh Python paid it for every emulator, 30 s of a run's CPU), then
/// forks each emulator. It ends with the test process (its stdin closes).
static ZYGOTE: std::sync::Mutex<Option<(Child, u16)>> = std::sync::Mutex::new(None);

fn zygote_port() -> u16 {
    let mut zygote = ZYGOTE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, port)) = zygote.as_ref() {
        return *port;
    }
    let mut child = Command::new(python())
        .arg(project_dir().join("tests/support/moto_server.py"))
        .arg("--zygote")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting moto_server.py --zygote");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reading the zygote's port");
    let info: Value =
        serde_json::from_str(&line).unwrap_or_else(|err| panic!("zygote said {line:?}: {err}"));
    let port = u16::try_from(info["zygote"].as_u64().expect("a port")).unwrap();
    *zygote = Some((child, port));
    port
}

impl Emulator {
    /// Starts moto with the standard world seeded for the given environments.
    pub fn start(environments: &[&str]) -> Self {
        Self::start_with(environments, &[])
    }

    /// Starts moto with some environments seeded behind a load balancer.
    pub fn start_with(environments: &[&str], load_balanced: &[&str]) -> Self {
        let pooled = POOL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        if let Some((link, aws_port, control_port)) = pooled {
            let mut em = Self {
                link: Some(link),
                aws_port,
                control_port,
                world: Value::Null,
                reusable: std::cell::Cell::new(true),
            };
            em.world = em.control(
                "POST",
                "/reset",
                Some(&json!({"environments": environments, "load_balanced": load_balanced})),
            );
            return em;
        }
        Self::spawn(environments, load_balanced)
    }

    fn spawn(environments: &[&str], load_balanced: &[&str]) -> Self {
        let mut link = TcpStream::connect(("127.0.0.1", zygote_port())).expect("the zygote");
        writeln!(
            link,
            "{}",
            json!({"seed": environments, "seed_lb": load_balanced})
        )
        .unwrap();
        let mut answer = String::new();
        BufReader::new(&link)
            .read_line(&mut answer)
            .expect("reading the emulator's ports");
        let info: Value = serde_json::from_str(&answer)
            .unwrap_or_else(|err| panic!("emulator said {answer:?}: {err}"));
        Self {
            link: Some(link),
            aws_port: u16::try_from(info["aws"].as_u64().unwrap()).unwrap(),
            control_port: u16::try_from(info["control"].as_u64().unwrap()).unwrap(),
            world: info["world"].clone(),
            reusable: std::cell::Cell::new(true),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.aws_port)
    }

    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut stream = TcpStream::connect(("127.0.0.1", self.control_port))
            .expect("connecting to the control API");
        write!(stream, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, payload) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "control {path}: {head}\n{payload}"
        );
        serde_json::from_str(payload).unwrap()
    }

    /// Turns the service's circuit breaker on with rollback, as its infrastructure would (an
    /// `UpdateService`, unrecorded): only then does a `fail` scenario end in ECS's rollback.
    pub fn circuit_breaker(&self, cluster: &str, service: &str) {
        self.aws(
            "ecs",
            "update_service",
            &json!({"cluster": cluster, "service": service,
                    "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}}),
        );
    }

    /// Sets how the next rollouts of a service behave: `complete`, `fail` or `hang`.
    pub fn scenario(&self, cluster: &str, service: &str, outcome: &str, delay_seconds: f64) {
        self.control("POST", "/scenario", Some(&json!({"cluster": cluster, "service": service, "outcome": outcome, "delay": delay_seconds})));
    }

    /// Sets a full scenario (see `moto_server.py`) for the next rollout of a service.
    pub fn scenario_with(&self, cluster: &str, service: &str, scenario: &Value) {
        let mut body = scenario.clone();
        body["cluster"] = json!(cluster);
        body["service"] = json!(service);
        self.control("POST", "/scenario", Some(&body));
    }

    /// Sets how the next one-off task (`RunTask`) of a family goes (see `moto_server.py`).
    pub fn task_scenario(&self, family: &str, scenario: &Value) {
        let mut body = scenario.clone();
        body["family"] = json!(family);
        self.control("POST", "/task-scenario", Some(&body));
    }

    /// Makes calls of one AWS operation fail (see `moto_server.py`'s `/fault`): `kind` is `500`,
    /// `throttle`, `denied`, `client`, `stall`, `lose` or `reset`; `more` adds `after`, `times`
    /// (-1: all), `seconds`, `message`.
    pub fn fault(&self, op: &str, kind: &str, more: &Value) {
        if kind == "stall" {
            self.reusable.set(false);
        }
        let mut body = more.clone();
        body["op"] = json!(op);
        body["kind"] = json!(kind);
        self.control("POST", "/fault", Some(&body));
    }

    pub fn clear_faults(&self) {
        self.control("POST", "/faults/clear", None);
    }

    /// Deletes a service, as someone would in the middle of a rollout.
    pub fn delete_service(&self, cluster: &str, service: &str) {
        self.control(
            "POST",
            "/delete-service",
            Some(&json!({"cluster": cluster, "service": service})),
        );
    }

    /// Any AWS call through boto3, unrecorded: a test's setup (`iam`, `delete_role`, args).
    pub fn aws(&self, service: &str, op: &str, args: &Value) -> Value {
        self.control(
            "POST",
            "/aws",
            Some(&json!({"service": service, "op": op, "args": args})),
        )
    }

    /// Makes a revision INACTIVE, as deregistering it would.
    pub fn deregister(&self, task_definition: &str) {
        self.control(
            "POST",
            "/deregister",
            Some(&json!({"taskDefinition": task_definition})),
        );
    }

    /// Adds services that run an existing revision.
    pub fn add_services_running(&self, env: &str, names: &[&str], task_definition: &str) -> Value {
        self.control(
            "POST",
            "/services",
            Some(&json!({"env": env, "names": names, "task_definition": task_definition})),
        )
    }

    /// The revision (`N` of `family:N`) the service runs in an environment's cluster.
    pub fn running(&self, env: &str, service: &str) -> String {
        revision(
            self.service_state(env, service)["service"]["taskDefinition"]
                .as_str()
                .unwrap(),
        )
        .to_string()
    }

    /// The calls so far that change something in AWS.
    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| WRITES.contains(&c.as_str()))
            .collect()
    }

    /// The AWS calls that were answered with an injected fault: `(op, kind)`.
    pub fn faulted(&self) -> Vec<(String, String)> {
        self.calls_detailed()
            .iter()
            .filter_map(|c| {
                Some((
                    c["op"].as_str()?.to_string(),
                    c["fault"].as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// Registers task-definition families (copies of the environment's main one, no service).
    pub fn add_families(&self, env: &str, names: &[&str]) -> Value {
        self.control(
            "POST",
            "/families",
            Some(&json!({"env": env, "names": names})),
        )
    }

    /// Adds services to an environment's cluster, each with its own family; returns their ARNs.
    pub fn add_services(&self, env: &str, names: &[&str]) -> Value {
        self.control(
            "POST",
            "/services",
            Some(&json!({"env": env, "names": names})),
        )
    }

    /// A service's state in an environment's cluster.
    pub fn service_state(&self, env: &str, service: &str) -> Value {
        let cluster = self.world["environments"][env]["cluster"]
            .as_str()
            .unwrap()
            .to_string();
        self.control(
            "GET",
            &format!("/state?cluster={cluster}&service={service}"),
            None,
        )
    }

    /// An ECR pull-through cache rule: repositories under `prefix/` are filled from `upstream`.
    pub fn pull_through(&self, prefix: &str, upstream: &str) {
        self.control(
            "POST",
            "/pull-through",
            Some(&json!({"prefix": prefix, "upstream": upstream})),
        );
    }

    /// Creates an empty ECR repository.
    pub fn create_repository(&self, name: &str) {
        self.control("POST", "/repository", Some(&json!({"name": name})));
    }

    /// An SSM parameter's value, or `None` when it does not exist.
    pub fn parameter(&self, name: &str) -> Option<String> {
        self.control("GET", &format!("/parameter?name={name}"), None)["value"]
            .as_str()
            .map(str::to_string)
    }

    /// The tags of one image in an ECR repository.
    pub fn image_tags(&self, repository: &str, digest: &str) -> Vec<Value> {
        self.control(
            "GET",
            &format!("/image-tags?repository={repository}&digest={digest}"),
            None,
        )
        .as_array()
        .unwrap()
        .clone()
    }

    /// What the scenario layer did and when (unix seconds).
    pub fn timeline(&self) -> Vec<Value> {
        self.control("GET", "/timeline", None)
            .as_array()
            .unwrap()
            .clone()
    }

    /// The AWS operations called so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.control("GET", "/calls", None)
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["op"].as_str().unwrap().to_string())
            .collect()
    }

    /// The AWS operations called so far, with time and whether the emulator throttled them.
    pub fn calls_detailed(&self) -> Vec<Value> {
        self.control("GET", "/calls", None)
            .as_array()
            .unwrap()
            .clone()
    }

    /// Makes the dev service run a revision naming its secret by its full ARN (with the suffix
    /// Secrets Manager adds, as Terraform and CDK write it; the seeded one names it without);
    /// returns that ARN.
    pub fn name_secret_by_full_arn(&self) -> String {
        let secret = self.aws(
            "secretsmanager",
            "describe_secret",
            &json!({"SecretId": "shop-dev-db"}),
        )["ARN"]
            .as_str()
            .unwrap()
            .to_string();
        let mut live = self.aws(
            "ecs",
            "describe_task_definition",
            &json!({"taskDefinition": "shop-dev-service"}),
        )["taskDefinition"]
            .clone();
        let body = live.as_object_mut().unwrap();
        for field in [
            "taskDefinitionArn",
            "revision",
            "status",
            "requiresAttributes",
            "compatibilities",
            "registeredAt",
            "registeredBy",
        ] {
            body.remove(field);
        }
        live["containerDefinitions"][0]["secrets"][0]["valueFrom"] = json!(secret);
        let arn = self.aws("ecs", "register_task_definition", &live)["taskDefinition"]
            ["taskDefinitionArn"]
            .clone();
        self.aws(
            "ecs",
            "update_service",
            &json!({"cluster": "shop-dev", "service": "shop-dev-service", "taskDefinition": arn}),
        );
        secret
    }

    /// Holds every AWS call `seconds` before serving it, as a Region's round trip would.
    pub fn latency(&self, seconds: f64) {
        self.control("POST", "/latency", Some(&json!({ "seconds": seconds })));
    }

    /// The calls so far as stages one after another: a call is in the stage after the latest
    /// one whose call was answered before it was made (calls made together share a stage).
    /// With latency set, the number of stages is the number of round trips a deploy waits for.
    pub fn stages(&self) -> Vec<Vec<String>> {
        let calls = self.calls_detailed();
        let at = |c: &Value, key: &str| c[key].as_f64().unwrap_or(f64::INFINITY);
        let mut depth: Vec<usize> = Vec::with_capacity(calls.len());
        for call in &calls {
            let after = calls
                .iter()
                .zip(&depth)
                .filter(|(before, _)| at(before, "end") <= at(call, "t"))
                .map(|(_, d)| d + 1)
                .max()
                .unwrap_or(0);
            depth.push(after);
        }
        let mut stages = vec![Vec::new(); depth.iter().max().map_or(0, |d| d + 1)];
        for (call, d) in calls.iter().zip(&depth) {
            stages[*d].push(call["op"].as_str().unwrap_or("?").to_string());
        }
        stages
    }

    pub fn count(&self, op: &str) -> usize {
        self.calls().iter().filter(|c| *c == op).count()
    }

    pub fn reset_calls(&self) {
        self.control("POST", "/calls/reset", None);
    }

    /// Raw request bodies of one operation.
    pub fn bodies(&self, op: &str) -> Vec<Value> {
        self.control("GET", &format!("/calls/bodies?op={op}"), None)
            .as_array()
            .unwrap()
            .iter()
            .map(|b| serde_json::from_str(b.as_str().unwrap()).unwrap())
            .collect()
    }

    /// Raw request bodies of one operation, as sent (a query-protocol form, say).
    pub fn bodies_raw(&self, op: &str) -> Vec<String> {
        self.control("GET", &format!("/calls/bodies?op={op}"), None)
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap().to_string())
            .collect()
    }

    /// The service, the revisions of its family, and its live task definition.
    pub fn state(&self, env: &str) -> Value {
        let e = &self.world["environments"][env];
        self.control(
            "GET",
            &format!(
                "/state?cluster={}&service={}",
                e["cluster"].as_str().unwrap(),
                e["service"].as_str().unwrap()
            ),
            None,
        )
    }

    pub fn env(&self, env: &str, key: &str) -> String {
        self.world["environments"][env][key]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let Some(link) = self.link.take() else {
            return;
        };
        // Alive while the connection is open and silent (it never writes after its first line).
        let alive = link.set_nonblocking(true).is_ok()
            && matches!(link.peek(&mut [0; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
            && link.set_nonblocking(false).is_ok();
        if alive && self.reusable.get() && !std::thread::panicking() {
            POOL.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((link, self.aws_port, self.control_port));
        } else {
            // The emulator exits when its connection closes, stalled calls and all.
            let _ = link.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// The AWS operations that change something.
pub const WRITES: [&str; 10] = [
    "RegisterTaskDefinition",
    "UpdateService",
    "RunTask",
    "StopTask",
    "PutTargets",
    "UpdateSchedule",
    "PutParameter",
    "PutImage",
    "DeregisterTaskDefinition",
    "TagResource",
];

/// The revision number of a task definition ARN (`…:family:7` → `7`).
pub fn revision(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap()
}

/// What a run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Parsed with the runner's own rules; a malformed file fails the test like it fails a step.
    pub outputs: Vec<(String, String)>,
    /// The step summary as a reader sees it (character references decoded, `<code>` dropped).
    pub summary: String,
    /// The step summary's Markdown as written.
    pub summary_md: String,
}

impl Run {
    pub fn output(&self, name: &str) -> &str {
        self.outputs.iter().find(|(n, _)| n == name).map_or_else(
            || panic!("no output `{name}` in {:?}", self.outputs),
            |(_, v)| v.as_str(),
        )
    }
}

/// The SSM prefix of the seeded world (`/shop/<env>/ecs` names cluster, service, ...).
pub const SSM_PREFIX: &str = "/shop/{environment}/ecs";

/// Inputs of a deploy of `v2` to the seeded `dev` environment (names from SSM), then `more`.
pub fn dev_inputs<'a>(more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut inputs = vec![
        ("environment", "dev"),
        ("image-tag", "v2"),
        ("ssm-prefix", SSM_PREFIX),
    ];
    inputs.extend_from_slice(more);
    inputs
}

/// Runs a deploy of `v2` to the seeded `dev` environment with `more` inputs.
pub fn deploy_dev(em: &Emulator, more: &[(&str, &str)]) -> Run {
    run_action(Some(em), &dev_inputs(more))
}

/// The inputs action.yml declares, with their defaults.
pub fn declared_inputs() -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(project_dir().join("action.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    doc["inputs"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                v.get("default").map(|d| {
                    d.as_str().map_or_else(
                        || serde_yaml::to_string(d).unwrap().trim().to_string(),
                        str::to_string,
                    )
                }),
            )
        })
        .collect()
}

/// The config file `settings_in_a_file` writes, relative to the workspace.
pub const TEST_CONFIG: &str = ".github/ecs-ship-test.yml";

/// `inputs` with the settings action.yml does not declare (those a repository sets once, in the
/// config file) written into a config file in `workspace` (their environment's section) and
/// `config` naming it, as a user would. A test that gives its own `config` writes them there
/// itself.
pub fn settings_in_a_file<'a>(
    inputs: &[(&'a str, &'a str)],
    workspace: &Path,
) -> Vec<(&'a str, &'a str)> {
    let declared = declared_inputs();
    let is_input = |name: &str| declared.iter().any(|(d, _)| d == name);
    let file_only: Vec<(&str, &str)> = inputs
        .iter()
        .copied()
        .filter(|(n, _)| !is_input(n))
        .collect();
    let mut inputs: Vec<(&str, &str)> = inputs
        .iter()
        .copied()
        .filter(|(n, _)| is_input(n))
        .collect();
    if file_only.is_empty() {
        return inputs;
    }
    for (name, _) in &file_only {
        assert!(
            ecs_ship::input::settings::find(name).is_some_and(|s| s.places.file),
            "`{name}` is neither an input in action.yml nor a config file setting"
        );
    }
    assert!(
        !inputs.iter().any(|(n, _)| *n == "config"),
        "the test gives `config`: write {file_only:?} into it"
    );
    let environment = inputs
        .iter()
        .find(|(n, _)| *n == "environment")
        .map_or("dev", |(_, v)| *v);
    let mut section = serde_yaml::Mapping::new();
    for (name, value) in &file_only {
        section.insert((*name).into(), (*value).into());
    }
    let mut environments = serde_yaml::Mapping::new();
    environments.insert(environment.into(), section.into());
    let mut file = serde_yaml::Mapping::new();
    file.insert("environments".into(), environments.into());
    std::fs::create_dir_all(workspace.join(".github")).unwrap();
    std::fs::write(
        workspace.join(TEST_CONFIG),
        serde_yaml::to_string(&file).unwrap(),
    )
    .unwrap();
    inputs.push(("config", TEST_CONFIG));
    inputs
}

/// Runs the binary as the runner runs a container action: no arguments, `GITHUB_ACTIONS=true`,
/// every declared input set (`INPUT_<NAME>` with hyphens kept; the default or empty when not
/// given), file commands in temp files, AWS pointed at the emulator.
pub fn run_action(emulator: Option<&Emulator>, inputs: &[(&str, &str)]) -> Run {
    let action = ActionRun::new(emulator, inputs);
    let out = action.command().output().expect("running ecs-ship");
    action.finish(out.status.code(), &out.stdout, &out.stderr)
}

/// A prepared action run: its command and the temp files the runner would read afterwards.
pub struct ActionRun {
    dir: tempfile::TempDir,
    emulator_endpoint: Option<String>,
    inputs: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

/// What the runner puts in `${{ github.token }}` for these tests.
pub const TEST_TOKEN: &str = "ghs_TestToken0123456789abcdefghijklmnopq";

impl ActionRun {
    /// `inputs` that action.yml does not declare go into a config file (see
    /// [`settings_in_a_file`]).
    pub fn new(emulator: Option<&Emulator>, inputs: &[(&str, &str)]) -> Self {
        let declared = declared_inputs();
        let dir = tempfile::tempdir().unwrap();
        let inputs = settings_in_a_file(inputs, dir.path());
        std::fs::write(dir.path().join("output"), "").unwrap();
        std::fs::write(dir.path().join("summary"), "").unwrap();
        let inputs = declared
            .iter()
            .map(|(name, default)| {
                let given = inputs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| (*v).to_string());
                // The runner evaluates expression defaults before the container starts.
                let default = default
                    .as_deref()
                    .map(|d| d.replace("${{ github.token }}", TEST_TOKEN));
                (name.clone(), given.or(default).unwrap_or_default())
            })
            .collect();
        Self {
            dir,
            emulator_endpoint: emulator.map(Emulator::endpoint),
            inputs,
            env: Vec::new(),
        }
    }

    /// The checkout (`GITHUB_WORKSPACE`, and the working directory, as the runner sets them).
    pub fn workspace(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file into the workspace (as if committed), at `name` relative to it.
    #[must_use]
    pub fn file(self, name: &str, text: &str) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
        self
    }

    /// An extra variable of the job's environment (`GITHUB_API_URL`, `GITHUB_RUN_ID`, ...).
    #[must_use]
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Runs it to the end.
    pub fn run(&self) -> Run {
        let out = self.command().output().expect("running ecs-ship");
        self.finish(out.status.code(), &out.stdout, &out.stderr)
    }

    pub fn command(&self) -> Command {
        let dir = self.dir.path();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecs-ship"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_WORKSPACE", dir)
            .env("GITHUB_OUTPUT", dir.join("output"))
            .env("GITHUB_STEP_SUMMARY", dir.join("summary"))
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_SHA", "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // The SDK's retries back off for milliseconds (debug builds): the same attempts,
            // without the seconds of waiting a fault costs against real AWS.
            .env("ECS_SHIP_TEST_QUICK_RETRIES", "1")
            // Nothing listens on port 9: without an emulator any AWS call fails loudly.
            .env(
                "AWS_ENDPOINT_URL",
                self.emulator_endpoint
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:9".into()),
            )
            .current_dir(dir);
        for (name, value) in &self.inputs {
            cmd.env(format!("INPUT_{}", name.to_uppercase()), value);
        }
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Runs it until stdout shows `marker`, waits 1.5 s, then sends SIGTERM as the runner does
    /// on cancel. Returns the run and how long the process took to exit after the signal.
    pub fn cancel_after(&self, marker: &str) -> (Run, std::time::Duration) {
        let mut running = self.spawn();
        running.wait_for(marker);
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let sent = std::time::Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &running.child.id().to_string()])
            .status()
            .unwrap();
        let run = running.finish();
        (run, sent.elapsed())
    }

    /// Starts it in the background; the test can act on the world while it runs.
    pub fn spawn(&self) -> Running<'_> {
        use std::process::Stdio;
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            run: self,
            child,
            received,
            seen: String::new(),
        }
    }

    /// Reads the files back the way the runner does once the process has ended.
    pub fn finish(&self, code: Option<i32>, stdout: &[u8], stderr: &[u8]) -> Run {
        let outputs = ecs_ship::runner::parse_file_command(
            &std::fs::read_to_string(self.dir.path().join("output")).unwrap(),
        )
        .unwrap_or_else(|err| panic!("the runner would fail the step on GITHUB_OUTPUT: {err}"));
        let summary_md = std::fs::read_to_string(self.dir.path().join("summary")).unwrap();
        Run {
            code: code.unwrap_or(-1),
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
            outputs,
            summary: ecs_ship::report::markdown::decoded(&summary_md),
            summary_md,
        }
    }
}

/// A run going on in the background.
pub struct Running<'a> {
    run: &'a ActionRun,
    child: Child,
    received: std::sync::mpsc::Receiver<String>,
    seen: String,
}

impl Running<'_> {
    /// Waits (at most 60 s) until stdout shows `marker`.
    pub fn wait_for(&mut self, marker: &str) {
        while !self.seen.contains(marker) {
            let Ok(line) = self
                .received
                .recv_timeout(std::time::Duration::from_mins(1))
            else {
                let _ = self.child.kill();
                panic!("never printed `{marker}`: {}", self.seen);
            };
            self.seen.push_str(&(line + "\n"));
        }
    }

    /// Waits for the run to end and reads what it left.
    pub fn finish(mut self) -> Run {
        while let Ok(line) = self
            .received
            .recv_timeout(std::time::Duration::from_mins(2))
        {
            self.seen.push_str(&(line + "\n"));
        }
        let status = self.child.wait().unwrap();
        self.run.finish(status.code(), self.seen.as_bytes(), &[])
    }
}

/// Whether `word` stands in `text` on its own: not inside a longer run of letters and digits (a
/// generated ID that happens to contain it does not count).
pub fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}
