#!/usr/bin/env python3
"""A local AWS for ecs-ship's tests and demo: moto in-process on 127.0.0.1, plus

* a call recorder (every AWS operation by name, with request bodies), so tests can assert
  "zero AWS calls" and count calls per deploy;
* a seeded world like a real deploy-code setup (ECR images, cluster, Fargate service, task definition,
  SSM parameters under /shop/{env}/ecs);
* a scenario layer that makes ECS rollouts behave like ECS: moto never moves a deployment forward,
  so after UpdateService we create the new PRIMARY deployment ourselves and, per the scenario set
  for that service, complete it, fail it with a circuit-breaker rollback, or leave it hanging.

It prints one JSON line {"aws": <port>, "control": <port>} on stdout once both servers listen,
then serves until stdin closes or it is killed. The control API (JSON over HTTP):

  POST /reset     {"environments": [...], "load_balanced": [...]}   forget everything (moto's state,
                  scenarios, rollouts, faults, recorded calls), then seed as `--seed` does; the
                  tests' pool of emulators uses it to hand a fresh world to the next test
  POST /seed      {"environments": ["dev", ...], "load_balanced": [...]}   seed the standard world
                  (load-balanced environments get an ALB target group with two healthy targets)
  POST /scenario  {"cluster", "service", "outcome", "delay", ...}   how the next rollout goes:
                  complete: COMPLETED after `delay`;
                  fail:     tasks fail to start (CannotPullContainerError); at `delay`, if the service's
                            circuit breaker is on with rollback (its deploymentConfiguration, as an
                            UpdateService set it), the breaker marks it FAILED and rolls back to the
                            previous revision; without one, tasks keep failing and it stays IN_PROGRESS;
                  crash:    no circuit breaker; from `delay` on, a task of the deployment stops every
                            `interval` s (essential container exits `exit_code`, having written an
                            application's output and the lines of `log` to its stream), forever; with
                            `"health": true` the tasks instead fail the load balancer's health
                            checks and their targets show unhealthy;
                  hang:     stays IN_PROGRESS.
                  A scenario applies to the next rollout of that service (`times`: the next n);
                  later ones complete after 0.5 s, or go as `then` (a scenario) says.
                  complete also takes `pause` (true: a PAUSE lifecycle hook 4/7 of the way, in stage
                  POST_TEST_TRAFFIC_SHIFT; the rollout waits for ContinueServiceDeployment
                  CONTINUE or ROLLBACK; StopServiceDeployment ROLLBACK or ABORT stops any), and
                  `bake` (seconds of bake time after the rollout completed:
                  the service's deployments say COMPLETED, its service deployment stays
                  IN_PROGRESS in stage BAKE_TIME) and `alarm` ({"at", "name"}: a CloudWatch alarm
                  that goes off `at` seconds into bake time, and ECS rolls back).
  Each rollout also gets ECS's record of it, a *service deployment* (ListServiceDeployments,
  DescribeServiceDeployments, which moto lacks), named by the service's currentServiceDeployment:
  IN_PROGRESS, then SUCCESSFUL when it completes (after bake time), or ROLLBACK_IN_PROGRESS →
  ROLLBACK_SUCCESSFUL with the rollback reason and the circuit breaker's count when the breaker
  trips (the triggered alarm when an alarm goes off); `blue_green` (or `pause`) walks the
  blue/green lifecycle stages over the rollout. Timings, stages, reasons and thresholds come from
  ecs-behaviour.json beside this file, which tests/it/model.rs follows too. Not modelled: what
  becomes of a service deployment that a newer one replaces (it stays IN_PROGRESS here).
  POST /task-scenario {"family", "exit_code", "duration", "reason", "fail_to_start", "times"}
                  how the next one-off task (RunTask) of a family goes: PROVISIONING, PENDING, RUNNING,
                  then STOPPED after `duration` s (default 1) with the essential container exiting
                  `exit_code` (default 0); `fail_to_start`: stops as TaskFailedToStart with no exit
                  code (CannotPullContainerError); `missing_for`: DescribeTasks does not list it
                  for that many seconds (ECS is eventually consistent). Unset families exit 0
                  after 1 s.
  GET  /parameter?name=..                               an SSM parameter's value (null when missing)
  GET  /image-tags?repository=..&digest=..             the tags of one ECR image
  GET  /timeline                                        [{"t": unix time, "what", "service", "deployment"}]
  GET  /calls                                           [{"service", "op"}] in order
  GET  /calls/bodies?op=RegisterTaskDefinition          raw request bodies of one operation
  POST /families  {"env", "names": [...]}                task-definition families copied from env's main one
  POST /services  {"env", "names": [...], "task_definition"}  more services in env's cluster, one family
                  each (or all running `task_definition`)
  POST /repository {"name"}                             an empty ECR repository
  POST /pull-through {"prefix", "upstream"}             an ECR pull-through cache rule
                  (DescribePullThroughCacheRules, which moto lacks, lists them)
  RegisterTaskDefinition is throttled as AWS documents it (a token bucket of 20, refilled at 1/s,
  shared by every caller: ThrottlingException when empty), and a second registration into a family
  while one is under way is refused (ClientException: Too many concurrent attempts ...).
  POST /fault     {"op", "kind", "after", "times", "seconds", "message"}   fail calls of one AWS
                  operation: after `after` calls, the next `times` (-1: every one) get `kind`: 500,
                  throttle, denied (AccessDenied), client (ClientException `message`), stall (held
                  `seconds`, then answered), lose (done, then a 500: the answer is lost), reset
                  (the connection closed without an answer)
  POST /faults/clear
  POST /latency   {"seconds"}                          hold every AWS call that long before serving it
                  (a Region's round trip): calls made one after another then show apart from calls
                  made together in /calls, whose entries carry `t` (arrived) and `end` (answered)
  POST /delete-service {"cluster", "service"}          delete a service (as someone would, mid-rollout)
  POST /deregister {"taskDefinition"}                  make a revision INACTIVE
  POST /calls/reset
  POST /aws       {"service", "op", "args"}                 any AWS call through boto3 (unrecorded), e.g.
                  {"service": "iam", "op": "delete_role", "args": {"RoleName": ...}}
  The seeded world also has what its task definition needs to start: the execution and task roles
  (trusting ecs-tasks.amazonaws.com; the execution role's inline policy allows ECR pulls, logs,
  the app's secret and its SSM parameters), the secret `shop-{env}-db` and the log group
  `/ecs/shop-{env}`. IAM's SimulatePrincipalPolicy (which moto lacks) evaluates the role's own
  policies (Allow/Deny with wildcards; no conditions). A crashing task (`crash`, or a one-off task
  exiting non-zero) writes what an application prints to its awslogs stream: a start line, its
  configuration (environment values included), the error, the exit.
  Query-protocol calls (IAM, ELB) are recorded and take faults too (`denied`: AccessDenied).
  GET  /state?cluster=..&service=..                     service, its family's revisions, live task def
"""

import argparse
import datetime
import hashlib
import io
import json
import os
import random
import socket
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from fnmatch import fnmatchcase
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape as xml_escape

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# moto's EC2 backend loads its catalogue of public AMIs (megabytes of JSON) each time it is
# created, which was half of every world reset; nothing here uses an AMI.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from moto.core.utils import utcnow  # noqa: E402
from moto.core.exceptions import JsonRESTError  # noqa: E402
from moto.core.responses import ActionResult  # noqa: E402
from moto.ecr.models import ecr_backends  # noqa: E402
from moto.ecr.responses import ECRResponse  # noqa: E402
from moto.ecs.models import Container, EC2ContainerServiceBackend, Task, ecs_backends  # noqa: E402
from moto.ecs.responses import EC2ContainerServiceResponse  # noqa: E402
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup, elbv2_backends  # noqa: E402
from moto.iam.models import iam_backends  # noqa: E402
from moto.logs.models import logs_backends  # noqa: E402
from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: E402
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

REGION = "us-east-1"

# The one description of how ECS moves a rollout, its service deployment and a one-off task, which
# tests/it/model.rs (the paused clock) follows too; tests/it/behaviour.rs compares the two.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ecs-behaviour.json")) as _f:
    BEHAVIOUR = json.load(_f)
ROLLOUT, RECORD, ONE_OFF_B, REGISTER = (BEHAVIOUR["rollout"], BEHAVIOUR["service_deployment"],
                                        BEHAVIOUR["one_off"], BEHAVIOUR["register"])

ACCOUNT = "123456789012"
CONTROL_AGENT = "ecs-ship-test-control"

# ---------------------------------------------------------------------------------------------
# Call recorder


FAULT_ANSWERS = {
    "500": ("500 Internal Server Error", "ServerException", "Service Unavailable (injected)"),
    "throttle": ("400 Bad Request", "ThrottlingException", "Rate exceeded (injected)"),
    "denied": ("400 Bad Request", "AccessDeniedException",
               "User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform: {op} (injected)"),
    "client": ("400 Bad Request", "ClientException", "{message}"),
}


class Recorder:
    """WSGI middleware that records each AWS JSON-protocol call (not the control API's own), and
    injects the faults a test asks for (see `fault`)."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.calls = []
        self.buckets = {}  # op -> (tokens, when last counted)
        self.registering = set()  # families with a RegisterTaskDefinition under way
        self.faults = []  # [{"op", "after", "times", "kind", "seconds", "message"}], first match wins
        self.latency = 0.0  # seconds every AWS call is held before it is served

    def fault(self, spec):
        """Fails calls of one operation: after `after` calls pass, the next `times` (-1: all) get
        `kind`: 500, throttle, denied, client (ClientException `message`), stall (held `seconds`,
        then answered), lose (done, then answered with a 500: the answer is lost), reset (the
        connection is closed without an answer)."""
        with self.lock:
            self.faults.append({"after": 0, "times": 1, "seconds": 30.0, "message": "injected", **spec})

    def take_fault(self, op):
        with self.lock:
            for f in self.faults:
                if f["op"] != op or f["times"] == 0:
                    continue
                if f["after"] > 0:
                    f["after"] -= 1
                    return None
                if f["times"] > 0:
                    f["times"] -= 1
                return dict(f)
        return None

    def answer(self, start_response, status, code, message):
        payload = json.dumps({"__type": code, "message": message}).encode()
        start_response(status, [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(payload)))])
        return [payload]

    def inject(self, fault, environ, start_response, op):
        kind = fault["kind"]
        if kind in FAULT_ANSWERS:
            status, code, message = FAULT_ANSWERS[kind]
            return self.answer(start_response, status, code, message.format(op=op, message=fault["message"]))
        if kind == "stall":
            time.sleep(float(fault["seconds"]))
            return self.app(environ, start_response)
        if kind == "lose":
            # The call is done; its answer never arrives (the client sees a 500 and may retry).
            body = b"".join(self.app(environ, lambda *a, **k: None))
            del body
            return self.answer(start_response, "500 Internal Server Error", "InternalFailure", "the answer was lost (injected)")
        if kind == "reset":
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
            return []
        raise ValueError(f"unknown fault kind {kind}")

    # AWS throttles each API with a token bucket per account and Region, shared by every caller:
    # RegisterTaskDefinition has a burst of 20 refilled at 1/s (its throttling documentation).
    BUCKETS = {"RegisterTaskDefinition": (float(REGISTER["burst"]), float(REGISTER["per_second"]))}

    def take_token(self, op, now):
        """Takes a token from `op`'s bucket at `now`; False when it is empty (throttled)."""
        if op not in self.BUCKETS:
            return True
        capacity, per_second = self.BUCKETS[op]
        tokens, at = self.buckets.get(op, (capacity, now))
        tokens = min(capacity, tokens + (now - at) * per_second)
        if tokens < 1.0:
            self.buckets[op] = (tokens, now)
            return False
        self.buckets[op] = (tokens - 1.0, now)
        return True

    def query_answer(self, start_response, status, code, message):
        """An error as the query protocol (IAM, ELB) answers it: XML."""
        payload = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{xml_escape(code)}</Code>"
                   f"<Message>{xml_escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
                   "</ErrorResponse>").encode()
        start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
        return [payload]

    def query_call(self, environ, start_response):
        """A query-protocol call (form-encoded `Action=...`: IAM, ELB): recorded, faults injected,
        and IAM's SimulatePrincipalPolicy (which moto lacks) answered by `simulate`."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        op = params.get("Action", "")
        scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[-1].split("/")
        service = scope[3] if len(scope) > 3 else "query"
        fault = self.take_fault(op)
        with self.lock:
            self.note(environ, {"service": service, "op": op, "body": body.decode("utf-8", "replace"), "t": time.time(),
                               "throttled": False, "fault": fault["kind"] if fault else None})
        if fault is not None:
            kind = fault["kind"]
            if kind == "denied":
                return self.query_answer(start_response, "403 Forbidden", "AccessDenied",
                                         f"User: arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ci is not authorized to perform: {service}:{op} (injected)")
            if kind in FAULT_ANSWERS:
                status, code, message = FAULT_ANSWERS[kind]
                return self.query_answer(start_response, status, code, message.format(op=op, message=fault["message"]))
            return self.inject(fault, environ, start_response, op)
        if op == "SimulatePrincipalPolicy":
            payload = simulate(params).encode()
            start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
            return [payload]
        return self.app(environ, start_response)

    def rest_call(self, environ, start_response, op):
        """A restJSON call (EventBridge Scheduler's `GET /schedules...`): recorded, faults injected."""
        fault = self.take_fault(op)
        with self.lock:
            self.note(environ, {"service": "scheduler", "op": op, "body": "", "t": time.time(),
                               "throttled": False, "fault": fault["kind"] if fault else None})
        if fault is not None:
            if fault["kind"] == "denied":
                return self.answer(start_response, "403 Forbidden", "AccessDeniedException",
                                   f"User: arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ci is not authorized to perform: scheduler:{op} (injected)")
            return self.inject(fault, environ, start_response, op)
        return self.app(environ, start_response)

    def __call__(self, environ, start_response):
        """Serves one call: held `latency` seconds first when one is set (a Region's round trip,
        so calls made one after another show apart from calls made together), and each recorded
        call's answer time noted as `end`."""
        environ["recorder.arrived"] = time.time()
        if CONTROL_AGENT not in environ.get("HTTP_USER_AGENT", "") and self.latency > 0:
            time.sleep(self.latency)
        answer = self._serve(environ, start_response)
        call = environ.get("recorder.call")
        if call is not None:
            answer = list(answer)
            call["end"] = time.time()
        return answer

    def _serve(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if not target and path.startswith("/schedules") \
                and CONTROL_AGENT not in environ.get("HTTP_USER_AGENT", ""):
            # Scheduler is REST-JSON: the method names the operation (GET list or one, POST
            # CreateSchedule, PUT UpdateSchedule, DELETE DeleteSchedule).
            op = {"GET": "ListSchedules" if path.rstrip("/") == "/schedules" else "GetSchedule",
                  "POST": "CreateSchedule", "PUT": "UpdateSchedule", "DELETE": "DeleteSchedule"}.get(method, method)
            return self.rest_call(environ, start_response, op)
        if not target and environ.get("REQUEST_METHOD") == "POST" \
                and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded") \
                and CONTROL_AGENT not in environ.get("HTTP_USER_AGENT", ""):
            return self.query_call(environ, start_response)
        if target and CONTROL_AGENT not in environ.get("HTTP_USER_AGENT", ""):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            service, _, op = target.rpartition(".")
            now = time.time()
            fault = self.take_fault(op)
            if fault is not None:
                with self.lock:
                    self.note(environ, {"service": service, "op": op, "body": body.decode("utf-8", "replace"), "t": now,
                                       "throttled": False, "fault": fault["kind"]})
                return self.inject(fault, environ, start_response, op)
            family = None
            with self.lock:
                throttled = not self.take_token(op, now)
                busy = False
                if op == "RegisterTaskDefinition" and not throttled:
                    family = json.loads(body or b"{}").get("family")
                    busy = family in self.registering
                    if not busy:
                        self.registering.add(family)
                self.note(environ, {"service": service, "op": op, "body": body.decode("utf-8", "replace"), "t": now,
                                   "throttled": throttled, "fault": None})
            if throttled:
                return self.answer(start_response, "400 Bad Request", "ThrottlingException", "Rate exceeded")
            if busy:
                return self.answer(start_response, "400 Bad Request", "ClientException",
                                   "Too many concurrent attempts to create a new revision of the specified family.")
            try:
                if family is not None:
                    time.sleep(REGISTER["takes"])  # a registration takes a moment; another into the family meanwhile is refused
                return list(self.app(environ, start_response))
            finally:
                if family is not None:
                    with self.lock:
                        self.registering.discard(family)
        return self.app(environ, start_response)

    def note(self, environ, call):
        """Records `call` (under the lock) with its start time `t` taken before any latency, and
        keeps it in `environ` so its end can be noted."""
        call["t"] = environ.setdefault("recorder.arrived", call["t"])
        self.calls.append(call)
        environ["recorder.call"] = call

    def list(self, with_bodies_of=None):
        with self.lock:
            if with_bodies_of:
                return [c["body"] for c in self.calls if c["op"] == with_bodies_of]
            return [{"service": c["service"], "op": c["op"], "t": c["t"], "end": c.get("end"),
                     "throttled": c["throttled"], "fault": c["fault"]}
                    for c in self.calls]

    def reset(self):
        with self.lock:
            self.calls.clear()

    def reset_all(self):
        """Forgets calls, faults and the throttle's memory (for a fresh world)."""
        with self.lock:
            self.calls.clear()
            self.faults.clear()
            self.buckets.clear()
            self.registering.clear()
            self.latency = 0.0


def reset_world():
    """A fresh world for the next test: moto's backends and every piece of scenario state."""
    from moto.moto_api._internal.models import moto_api_backend
    with LOCK:
        SCENARIOS.clear()
        ROLLOUTS.clear()
        TIMELINE.clear()
        TASK_SCENARIOS.clear()
        ONE_OFF.clear()
        UNHEALTHY.clear()
        SERVICE_DEPLOYMENTS.clear()
        SERVICE_REVISIONS.clear()
        PULL_THROUGH_RULES.clear()
        moto_api_backend.reset()


class RecordingMotoServer(ThreadedMotoServer):
    def __init__(self, recorder, **kwargs):
        super().__init__(**kwargs)
        self.recorder = recorder

    def _server_entry(self):
        self.recorder.app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(self._ip_address, self._port, self.recorder, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


# ---------------------------------------------------------------------------------------------
# Scenario layer: ECS rollouts that move

DEFAULT_SCENARIO = {"outcome": "complete", "delay": ROLLOUT["default_delay"]}
SCENARIOS = {}  # "cluster/service" -> scenario for the next rollout
ROLLOUTS = {}  # "cluster/service" -> in-flight rollout
TIMELINE = []  # what the layer did and when (wall clock), for the benchmark
LOCK = threading.RLock()
TASK_SCENARIOS = {}  # family -> scenario for its next one-off task
ONE_OFF = {}  # task ARN -> {"task", "started", "scenario", "definitions"}
SERVICE_DEPLOYMENTS = []  # ECS's record of each rollout (ListServiceDeployments), oldest first


def record(what, service, deployment):
    TIMELINE.append({"t": time.time(), "what": what, "service": service.name, "deployment": deployment["id"]})


UNHEALTHY = {}  # target IP -> (reason, description) reported by DescribeTargetHealth
_original_health_for = FakeTargetGroup.health_for


def health_for(self, target, ec2_backend):
    status = _original_health_for(self, target, ec2_backend)
    bad = UNHEALTHY.get(target["Id"])
    if bad:
        return FakeHealthStatus(target["Id"], status.port, self.health_check_port, "unhealthy", bad[0], bad[1])
    return status


FakeTargetGroup.health_for = health_for


def fail_health_check(service, task):
    """Registers the task's IP with the service's target groups and makes it unhealthy."""
    ip = next(d["value"] for a in task.attachments for d in a["details"] if d["name"] == "privateIPv4Address")
    for lb in service.load_balancers:
        elbv2_backends[ACCOUNT][REGION].register_targets(lb["targetGroupArn"], [{"Id": ip, "Port": lb["containerPort"]}])
    UNHEALTHY[ip] = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [502]")


def stop_task(service, dep, stop_code, reason, exit_code=None, container_reason=None, log=()):
    """A task of `dep` that ECS started and that stopped, as DescribeTasks shows it."""
    backend = ecs_backends[ACCOUNT][REGION]
    cluster = backend.clusters[service.cluster_name]
    td = backend.describe_task_definition(dep["taskDefinition"])
    task = Task(cluster, td, None, None, backend, group=f"service:{service.name}", launch_type="FARGATE",
                started_by=dep["id"], networking_configuration=service.network_configuration or None)
    task.desired_status = "STOPPED"
    task.status = "STOPPED"
    task.stop_code = stop_code
    task.stopped_reason = reason
    task.stopped_at = utcnow()
    container = task.containers[0]
    container.last_status = "STOPPED"
    container.exitCode = exit_code
    if container_reason:
        container.reason = container_reason
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    if exit_code not in (None, 0) and stop_code == "EssentialContainerExited":
        lines = app_log_lines(td, container.name, exit_code, task.id)
        write_task_log(td, container.name, task.id, lines[:-1] + list(log) + lines[-1:])
    if stop_code == "ServiceSchedulerInitiated":
        # The scheduler stopped it (a failed health check): ECS says so.
        add_event(service, f"has stopped 1 running tasks: (task {task.id}).")
    else:
        # It stopped on its own (failed to start, its essential container exited): the scheduler
        # starts a replacement, and that is what the service's events say.
        add_event(service, f"has started 1 tasks: (task {uuid.uuid4().hex}).")
    record("task-stopped", service, dep)
    return task


def deployment_id():
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


def add_event(service, message):
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": f"(service {service.name}) {message}"})


def new_deployment(service, task_definition, desired):
    dep_id = deployment_id()
    now = utcnow()
    old = service.deployments[0] if service.deployments else {}
    return {
        "createdAt": now,
        "desiredCount": desired,
        "failedTasks": 0,
        "id": dep_id,
        "launchType": service.launch_type,
        "pendingCount": desired,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
        "runningCount": 0,
        "platformVersion": old.get("platformVersion"),
        "networkConfiguration": old.get("networkConfiguration"),
        "platformFamily": old.get("platformFamily", "FARGATE"),
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "updatedAt": now,
    }


def next_scenario(key):
    """The scenario for the next rollout of a service; one set with `times: n` lasts n rollouts."""
    scenario = SCENARIOS.get(key)
    if scenario is None:
        return dict(DEFAULT_SCENARIO)
    scenario["times"] = int(scenario.get("times", 1)) - 1
    if scenario["times"] <= 0:
        del SCENARIOS[key]
        if scenario.get("then"):
            # The rollout after this one (a rollback, say) goes as `then` says.
            SCENARIOS[key] = {"outcome": "complete", "delay": ROLLOUT["default_delay"], **scenario["then"]}
    return dict(scenario)


SERVICE_REVISIONS = {}  # ARN -> DescribeServiceRevisions' serviceRevision


def resolved_digest(image):
    """The digest ECS resolves an image reference to: its own, or what ECR has for its tag now."""
    if "@" in image:
        return image.split("@", 1)[1]
    name, _, tag = image.rpartition(":")
    repository = ecr_backends[ACCOUNT][REGION].repositories.get(name.split("/", 1)[-1])
    found = [i for i in (repository.images if repository else []) if tag in (i.image_tags or [i.image_tag])]
    return found[-1].get_image_digest() if found else None


def service_revision(service, task_definition):
    """A service revision summary: ECS's snapshot of the service on one task definition, with the
    image digests resolved when the deployment starts (DescribeServiceRevisions)."""
    arn = (f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/{service.cluster_name}/{service.name}/"
           f"{abs(hash((service.name, task_definition, time.monotonic()))) % 10**19}")
    td = ecs_backends[ACCOUNT][REGION].describe_task_definition(task_definition)
    SERVICE_REVISIONS[arn] = {
        "serviceRevisionArn": arn, "serviceArn": service.arn,
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{service.cluster_name}",
        "taskDefinition": td.arn, "createdAt": datetime.datetime.now(datetime.timezone.utc),
        "containerImages": [{"containerName": c["name"], "image": c.get("image"),
                             "imageDigest": resolved_digest(c.get("image") or "")}
                            for c in td.container_definitions],
    }
    return {"arn": arn, "requestedTaskCount": service.desired_count, "runningTaskCount": 0,
            "pendingTaskCount": service.desired_count}


def describe_service_revisions(self):
    """DescribeServiceRevisions: at most 20; unknown ARNs are failures (`MISSING`)."""
    arns = self._get_param("serviceRevisionArns", [])
    with LOCK:
        return ActionResult({"serviceRevisions": [SERVICE_REVISIONS[a] for a in arns if a in SERVICE_REVISIONS],
                             "failures": [{"arn": a, "reason": "MISSING"} for a in arns if a not in SERVICE_REVISIONS]})


def new_service_deployment(service, target, source):
    """ECS's service deployment for a rollout: IN_PROGRESS until the rollout ends. Rolling updates
    report no lifecycle stage here (ECS documents the stages for blue/green deployments)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    sd = {
        "serviceDeploymentArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{service.cluster_name}/"
                                f"{service.name}/{uuid.uuid4().hex[:22]}",
        "serviceArn": service.arn,
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{service.cluster_name}",
        "createdAt": now, "startedAt": now, "updatedAt": now,
        "status": "IN_PROGRESS",
        "targetServiceRevision": service_revision(service, target),
        "sourceServiceRevisions": [service_revision(service, source)] if source else [],
    }
    SERVICE_DEPLOYMENTS.append(sd)
    # moto's answers serialize model attributes by the API's member names.
    service.current_service_deployment = sd["serviceDeploymentArn"]
    return sd


def end_service_deployment(sd, status, **more):
    now = datetime.datetime.now(datetime.timezone.utc)
    sd.update(status=status, updatedAt=now, **more)
    if status in ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED", "STOPPED"):
        sd["finishedAt"] = now


def list_service_deployments(self):
    """ListServiceDeployments: a service's deployments, newest first, created after `createdAt.after`."""
    service = self._get_param("service", "").rsplit("/", 1)[-1]
    cluster = self._get_param("cluster", "default").rsplit("/", 1)[-1]
    after = (self._get_param("createdAt") or {}).get("after")
    if after is not None:
        # moto hands the timestamp over parsed (a datetime) or as epoch seconds.
        after = after.timestamp() if hasattr(after, "timestamp") else float(after)
    with LOCK:
        found = [sd for sd in reversed(SERVICE_DEPLOYMENTS)
                 if sd["serviceArn"].endswith(f"/{cluster}/{service}")
                 and (after is None or sd["createdAt"].timestamp() >= after)]
        briefs = [{"serviceDeploymentArn": sd["serviceDeploymentArn"], "serviceArn": sd["serviceArn"],
                   "clusterArn": sd["clusterArn"], "createdAt": sd["createdAt"], "startedAt": sd["startedAt"],
                   "status": sd["status"], "targetServiceRevisionArn": sd["targetServiceRevision"]["arn"]}
                  for sd in found]
    return ActionResult({"serviceDeployments": briefs})


def describe_service_deployments(self):
    """DescribeServiceDeployments: at most 20; unknown ARNs are failures (`MISSING`)."""
    arns = self._get_param("serviceDeploymentArns", [])
    with LOCK:
        known = {sd["serviceDeploymentArn"]: dict(sd) for sd in SERVICE_DEPLOYMENTS}
    return ActionResult({"serviceDeployments": [known[a] for a in arns if a in known],
                         "failures": [{"arn": a, "reason": "MISSING"} for a in arns if a not in known]})


def ecs_rolls_back(r, why, event=None, **sd_more):
    """ECS rolls a rollout back: ours FAILED (the service event says `event`, else `why`), a
    PRIMARY deployment of the previous revision that completes ROLLOUT["rollback"]["takes"] s later,
    and its service deployment ROLLBACK_IN_PROGRESS."""
    service, dep = r["service"], r["deployment"]
    dep.update(rolloutState="FAILED", rolloutStateReason=why, status="ACTIVE", updatedAt=utcnow())
    add_event(service, f"deployment {dep['id']} deployment failed: {event or why}")
    record("failed", service, dep)
    rollback = new_deployment(service, r["previous"], service.desired_count)
    for d in service.deployments:
        if d["status"] == "PRIMARY":
            d["status"] = "ACTIVE"
    service.deployments.insert(0, rollback)
    service.task_definition = r["previous"]
    add_event(service, f"rolling back to deployment {rollback['id']}.")
    r.update(phase="rolling-back", deployment=rollback, started=time.monotonic(),
             scenario={"outcome": "complete", "delay": ROLLOUT["rollback"]["takes"]})
    sd = r["service_deployment"]
    end_service_deployment(
        sd, "ROLLBACK_IN_PROGRESS", statusReason=why,
        rollback={"reason": why, "startedAt": datetime.datetime.now(datetime.timezone.utc),
                  "serviceRevisionArn": (sd["sourceServiceRevisions"] or [{}])[0].get("arn")},
        **sd_more)


def rollout_of(arn):
    return next(((k, r) for k, r in ROLLOUTS.items() if r["service_deployment"]["serviceDeploymentArn"] == arn),
                (None, None))


def continue_service_deployment(self):
    """ContinueServiceDeployment: CONTINUE or ROLLBACK at the hook awaiting action."""
    arn, hook, action = self._get_param("serviceDeploymentArn"), self._get_param("hookId"), self._get_param("action", "CONTINUE")
    with LOCK:
        _, r = rollout_of(arn)
        if r is None or r["phase"] != "paused" or r["service_deployment"]["lifecycleHookDetails"][0]["hookId"] != hook:
            raise JsonRESTError("InvalidParameterException", "The lifecycle hook is not awaiting action.")
        sd = r["service_deployment"]
        if action == "ROLLBACK":
            sd["lifecycleHookDetails"][0]["status"] = "FAILED"
            ecs_rolls_back(r, ROLLOUT["rollback"]["hook_reason"])
        else:
            sd["lifecycleHookDetails"][0]["status"] = "SUCCEEDED"
            r["started"] += time.monotonic() - r["paused_at"]
            r.update(phase="rolling", resumed=True)
            end_service_deployment(sd, "IN_PROGRESS")
    return ActionResult({"serviceDeploymentArn": arn})


def stop_service_deployment(self):
    """StopServiceDeployment: ROLLBACK (ECS rolls back) or ABORT (STOPPED, left as it is)."""
    arn, stop = self._get_param("serviceDeploymentArn"), self._get_param("stopType", "ROLLBACK")
    with LOCK:
        key, r = rollout_of(arn)
        if r is None:
            raise JsonRESTError("InvalidParameterException", "The service deployment is not in progress.")
        if stop == "ABORT":
            end_service_deployment(r["service_deployment"], "STOPPED", statusReason=ROLLOUT["rollback"]["abort_reason"])
            del ROLLOUTS[key]
        else:
            ecs_rolls_back(r, ROLLOUT["rollback"]["stop_reason"])
    return ActionResult({"serviceDeploymentArn": arn})


PULL_THROUGH_RULES = []  # DescribePullThroughCacheRules' pullThroughCacheRules


def describe_pull_through_cache_rules(self):
    """DescribePullThroughCacheRules (moto lacks it): the rules `/pull-through` added. The API
    reference: ecrRepositoryPrefix has "an assumed / applied to the end"."""
    with LOCK:
        return ActionResult({"pullThroughCacheRules": [dict(r) for r in PULL_THROUGH_RULES]})


ECRResponse.describe_pull_through_cache_rules = describe_pull_through_cache_rules
EC2ContainerServiceResponse.describe_service_revisions = describe_service_revisions
EC2ContainerServiceResponse.continue_service_deployment = continue_service_deployment
EC2ContainerServiceResponse.stop_service_deployment = stop_service_deployment
EC2ContainerServiceResponse.list_service_deployments = list_service_deployments
EC2ContainerServiceResponse.describe_service_deployments = describe_service_deployments


def start_rollout(service, key):
    """What ECS does on UpdateService with a new task definition (or a forced deployment)."""
    primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
    previous = primary["taskDefinition"] if primary else None
    for d in service.deployments:
        if d["status"] == "PRIMARY":
            d["status"] = "ACTIVE"
            d["updatedAt"] = utcnow()
    dep = new_deployment(service, service.task_definition, service.desired_count)
    service.deployments.insert(0, dep)
    scenario = next_scenario(key)
    sd = new_service_deployment(service, service.task_definition, previous)
    # ServiceDeployment.deploymentConfiguration: the strategy is always there (ROLLING by default).
    sd["deploymentConfiguration"] = {"strategy": "BLUE_GREEN" if blue_green(scenario) else "ROLLING"}
    if scenario.get("bake"):
        sd["deploymentConfiguration"]["bakeTimeInMinutes"] = max(1, int(-(-float(scenario["bake"]) // 60)))
    if blue_green(scenario):
        sd["lifecycleStage"] = RECORD["blue_green_stages"][0]
    if scenario.get("alarm"):
        sd["alarms"] = {"status": "MONITORING", "alarmNames": [scenario["alarm"]["name"]], "triggeredAlarmNames": []}
    ROLLOUTS[key] = {
        "service": service,
        "deployment": dep,
        "previous": previous,
        "started": time.monotonic(),
        "scenario": scenario,
        "phase": "rolling",
        "stopped": 0,
        "service_deployment": sd,
    }
    record("rollout-started", service, dep)


def finish(service, dep):
    dep.update(runningCount=dep["desiredCount"], pendingCount=0, rolloutState="COMPLETED",
               rolloutStateReason=f"ECS deployment {dep['id']} completed.", updatedAt=utcnow())
    service.deployments[:] = [dep]
    service.running_count = dep["desiredCount"]
    service.pending_count = 0
    add_event(service, f"deployment {dep['id']} deployment completed.")
    add_event(service, "has reached a steady state.")
    record("completed", service, dep)


def blue_green(sc):
    """A blue/green rollout (the scenario says so, or has a PAUSE hook, which only blue/green has)."""
    return bool(sc.get("blue_green") or sc.get("pause"))


def blue_green_stage(r, sc, progress, now):
    """Blue/green before bake time: the stage `progress` (0 to 1) into the rollout, or the pause at
    the PAUSE hook's stage (ECS stops at the hook when that stage begins)."""
    stages = RECORD["blue_green_stages"]
    pause = RECORD["pause"]
    index = min(int(progress * len(stages)), len(stages) - 1)
    sd = r["service_deployment"]
    if sc.get("pause") and not r.get("resumed") and index >= stages.index(pause["stage"]):
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=pause["expires_after_hours"])
        end_service_deployment(sd, "IN_PROGRESS", lifecycleStage=pause["stage"],
                               lifecycleHookDetails=[{"hookId": f"hook-{uuid.uuid4().hex[:8]}", "targetType": "PAUSE",
                                                      "status": "AWAITING_ACTION", "expiresAt": expires,
                                                      "timeoutAction": pause["timeout_action"]}])
        r.update(phase="paused", paused_at=now)
    elif sd.get("lifecycleStage") != stages[index]:
        end_service_deployment(sd, "IN_PROGRESS", lifecycleStage=stages[index])


def tick():
    now = time.monotonic()
    with LOCK:
        tick_one_off(now)
        for key, r in list(ROLLOUTS.items()):
            service, dep, sc = r["service"], r["deployment"], r["scenario"]
            elapsed = now - r["started"]
            if r["phase"] == "rolling" and sc["outcome"] == "complete":
                progress = elapsed / sc["delay"] if sc["delay"] > 0 else 1.0
                if progress >= 1.0:
                    sd = r["service_deployment"]
                    finish(service, dep)
                    if sc.get("bake"):
                        # Rolled out; ECS bakes it before the service deployment is SUCCESSFUL.
                        end_service_deployment(sd, "IN_PROGRESS", lifecycleStage=RECORD["baking_stage"])
                        r.update(phase="baking", started=now)
                    else:
                        end_service_deployment(sd, "SUCCESSFUL",
                                               **({"lifecycleStage": RECORD["baked_stage"]} if blue_green(sc) else {}))
                        del ROLLOUTS[key]
                else:
                    if progress >= ROLLOUT["complete"]["first_task_running_at"] and dep["runningCount"] == 0 \
                            and dep["desiredCount"] > 0:
                        dep.update(runningCount=1, pendingCount=dep["desiredCount"] - 1, updatedAt=utcnow())
                        add_event(service, f"has started {dep['desiredCount']} tasks: (task {uuid.uuid4().hex}).")
                    if blue_green(sc):
                        blue_green_stage(r, sc, progress, now)
            elif r["phase"] == "rolling" and sc["outcome"] == "fail" and (elapsed < sc["delay"] or not breaker_rolls_back(service)):
                # Tasks fail to start before the circuit breaker trips; without one, for ever.
                fail = ROLLOUT["fail"]
                progress = elapsed / sc["delay"] if sc["delay"] > 0 else 1.0
                last = fail["failed_tasks_at"][-1]
                if progress > last:
                    due = len(fail["failed_tasks_at"]) + int((progress - last) / fail["without_breaker_every"])
                else:
                    due = sum(1 for at in fail["failed_tasks_at"] if progress >= at)
                while r["stopped"] < due:
                    r["stopped"] += 1
                    dep["failedTasks"] = r["stopped"]
                    stop_task(service, dep, fail["stop_code"],
                              fail["stopped_reason"].replace("{revision}", dep["taskDefinition"].rsplit("/", 1)[-1]))
            elif r["phase"] == "rolling" and sc["outcome"] == "crash" and elapsed >= sc["delay"]:
                crash = ROLLOUT["crash"]
                interval = float(sc.get("interval", crash["default_interval"]))
                if elapsed >= sc["delay"] + r["stopped"] * interval:
                    r["stopped"] += 1
                    if sc.get("health"):
                        groups = ", ".join(lb["targetGroupArn"] for lb in service.load_balancers)
                        task = stop_task(service, dep, "ServiceSchedulerInitiated", f"Task failed ELB health checks in (target-group {groups})",
                                         exit_code=143)
                        fail_health_check(service, task)
                        # ECS counts a task that fails its health checks as a failed task of the
                        # deployment (the circuit breaker's stage 2); an app that exits after it
                        # started does not count.
                        dep["failedTasks"] = dep.get("failedTasks", 0) + 1
                    else:
                        stop_task(service, dep, crash["stop_code"], crash["stopped_reason"],
                                  exit_code=int(sc.get("exit_code", crash["default_exit"])), container_reason=sc.get("reason"),
                                  log=sc.get("log", []))
            elif r["phase"] == "rolling" and sc["outcome"] == "fail" and elapsed >= sc["delay"]:
                # Circuit breaker with rollback: ours FAILED, a new PRIMARY of the previous revision,
                # and ECS's record of it: the circuit breaker tripped.
                fail = ROLLOUT["fail"]
                dep.update(failedTasks=fail["breaker"]["failed"], runningCount=0, pendingCount=0)
                ecs_rolls_back(r, fail["reason"], event=fail["event"],
                               deploymentCircuitBreaker={"status": "TRIGGERED", "failureCount": fail["breaker"]["failed"],
                                                         "threshold": fail["breaker"]["threshold"]})
            elif r["phase"] == "baking" and sc.get("alarm") and elapsed >= float(sc["alarm"]["at"]):
                name = sc["alarm"]["name"]
                sd = r["service_deployment"]
                ecs_rolls_back(r, ROLLOUT["rollback"]["alarm_reason"].replace("{name}", name),
                               alarms={**sd["alarms"], "status": "TRIGGERED", "triggeredAlarmNames": [name]})
            elif r["phase"] == "baking" and elapsed >= float(sc["bake"]):
                end_service_deployment(r["service_deployment"], "SUCCESSFUL", lifecycleStage=RECORD["baked_stage"])
                record("baked", service, dep)
                del ROLLOUTS[key]
            elif r["phase"] == "rolling-back" and elapsed >= r["scenario"]["delay"]:
                finish(service, dep)
                end_service_deployment(r["service_deployment"], "ROLLBACK_SUCCESSFUL")
                r["service_deployment"].pop("lifecycleStage", None)
                del ROLLOUTS[key]


_original_run_task = EC2ContainerServiceBackend.run_task
_original_advance = Task.advance


def run_task(self, cluster_str, task_definition_str, count, overrides, started_by, *args, **kwargs):
    """RunTask as ECS does it: tasks start PROVISIONING, one container entry per container
    definition (moto lists only the first), no exit codes until they stop."""
    tasks = _original_run_task(self, cluster_str, task_definition_str, count, overrides, started_by, *args, **kwargs)
    with LOCK:
        for task in tasks:
            td = self.describe_task_definition(task.task_definition_arn)
            scenario = TASK_SCENARIOS.get(td.family)
            if scenario is not None:
                scenario["times"] = int(scenario.get("times", 1)) - 1
                if scenario["times"] <= 0:
                    del TASK_SCENARIOS[td.family]
            scenario = dict(scenario or {})
            scenario.setdefault("duration", ONE_OFF_B["default_duration"])
            scenario.setdefault("exit_code", 0)
            command_of = {o["name"]: o.get("command") for o in (overrides or {}).get("containerOverrides", [])}
            containers = []
            for definition in td.container_definitions:
                container = Container(td)
                container.name = definition["name"]
                container.image = definition.get("image")
                container.memory = definition.get("memory")
                container.command = command_of.get(definition["name"]) or definition.get("command")
                container.exitCode = None
                container.last_status = "PENDING"
                containers.append(container)
            task.containers = containers
            task.status = "PROVISIONING"
            ONE_OFF[task.task_arn] = {"task": task, "started": time.monotonic(), "scenario": scenario,
                                      "definitions": td.container_definitions}
    return tasks


_original_describe_tasks = EC2ContainerServiceBackend.describe_tasks


def describe_tasks(self, cluster_str, tasks):
    found = _original_describe_tasks(self, cluster_str, tasks)
    now = time.monotonic()
    with LOCK:
        return [t for t in found
                if not (t.task_arn in ONE_OFF and now - ONE_OFF[t.task_arn]["started"] < float(ONE_OFF[t.task_arn]["scenario"].get("missing_for", 0)))]


EC2ContainerServiceBackend.describe_tasks = describe_tasks


def advance(self):
    if self.task_arn not in ONE_OFF:  # ours move on the clock, in tick_one_off
        _original_advance(self)


EC2ContainerServiceBackend.run_task = run_task

_original_stop_task = EC2ContainerServiceBackend.stop_task


def backend_stop_task(self, cluster_str, task_str, reason):
    """StopTask on a one-off task: ECS sends its containers SIGTERM (they exit 143 here, at
    once) and the task ends STOPPED with stopCode UserInitiated and the caller's reason
    (Task.stopCode, StopTask `reason`). The scenario layer stops moving it."""
    with LOCK:
        task = _original_stop_task(self, cluster_str, task_str, reason)
        if task.task_arn in ONE_OFF:
            for c in task.containers:
                c.exitCode = 143
                c.last_status = "STOPPED"
            task.stop_code = "UserInitiated"
            task.stopped_reason = reason or "Task stopped by user"
            task.stopped_at = utcnow()
            task.status = task.desired_status = "STOPPED"
            del ONE_OFF[task.task_arn]
            TIMELINE.append({"t": time.time(), "what": "one-off-stopped", "service": None, "deployment": task.task_arn})
        return task


EC2ContainerServiceBackend.stop_task = backend_stop_task
Task.advance = advance


def tick_one_off(now):
    for arn, r in list(ONE_OFF.items()):
        task, sc, elapsed = r["task"], r["scenario"], now - r["started"]
        # A request thread may read the task while it changes: its containers are settled before
        # the task says STOPPED, so no answer shows a stopped task without its exit codes (ECS's
        # DescribeTasks never does).
        if sc.get("fail_to_start") and elapsed >= ONE_OFF_B["fail_to_start_at"]:
            for c in task.containers:
                c.last_status = "STOPPED"
                c.reason = "CannotPullContainerError: not found"
            task.stop_code = "TaskFailedToStart"
            task.stopped_reason = "CannotPullContainerError: pull image manifest has been retried 7 time(s): not found"
            task.stopped_at = utcnow()
            task.status = task.desired_status = "STOPPED"
            del ONE_OFF[arn]
            TIMELINE.append({"t": time.time(), "what": "one-off-stopped", "service": None, "deployment": arn})
        elif elapsed >= float(sc["duration"]):
            # The first essential container exits; ECS then stops the others (SIGTERM, which a
            # well-behaved sidecar answers with 0).
            essential = [d["name"] for d in r["definitions"] if d.get("essential", True)]
            for c in task.containers:
                c.exitCode = int(sc["exit_code"]) if essential and c.name == essential[0] else 0
                if c.name == essential[0] and sc.get("reason"):
                    c.reason = sc["reason"]
                c.last_status = "STOPPED"
            task.stop_code = "EssentialContainerExited"
            task.stopped_reason = "Essential container in task exited"
            task.stopped_at = utcnow()
            task.status = task.desired_status = "STOPPED"
            if int(sc["exit_code"]) != 0 and essential:
                td = ecs_backends[ACCOUNT][REGION].describe_task_definition(task.task_definition_arn)
                write_task_log(td, essential[0], task.id,
                               app_log_lines(td, essential[0], int(sc["exit_code"]), task.id, one_off=True))
            del ONE_OFF[arn]
            TIMELINE.append({"t": time.time(), "what": "one-off-stopped", "service": None, "deployment": arn})
        elif elapsed >= ONE_OFF_B["running_at"] and task.status != "RUNNING":
            task.status = "RUNNING"
            for c in task.containers:
                c.last_status = "RUNNING"
        elif elapsed >= ONE_OFF_B["pending_at"] and task.status == "PROVISIONING":
            task.status = "PENDING"


def breaker_rolls_back(service):
    """The service's circuit breaker is on with rollback (DeploymentCircuitBreaker), as the
    infrastructure set it with UpdateService (moto keeps the deploymentConfiguration an update
    sends; CreateService's it drops)."""
    config = getattr(service, "deployment_configuration", None) or {}
    breaker = config.get("deploymentCircuitBreaker") or config.get("deployment_circuit_breaker") or {}
    return bool(breaker.get("enable")) and bool(breaker.get("rollback"))


def ticker():
    while True:
        time.sleep(0.05)
        try:
            tick()
        except Exception as err:  # keep the layer alive; a broken tick shows in the test output
            print(f"scenario tick failed: {err!r}", file=sys.stderr, flush=True)


_original_update_service = EC2ContainerServiceBackend.update_service


def update_service(self, service_properties):
    props = dict(service_properties)
    cluster_str = props.get("cluster", "default")
    name = props["service"].split("/")[-1]
    force = bool(props.pop("force_new_deployment", False))
    td_str = props.get("task_definition")
    with LOCK:
        service = self._get_service(cluster_str, name)
        primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
        running_before = service.running_count
        result = _original_update_service(self, props)
        if td_str:
            result.task_definition = self.describe_task_definition(td_str).arn  # ECS stores the ARN
        # moto sets running = desired at once on a count change; ECS does not, and keeps the
        # deployment's own counts.
        result.running_count = running_before
        result.pending_count = max(result.desired_count - running_before, 0)
        key = f"{self._get_cluster(cluster_str).name}/{name}"
        if force or (primary is not None and result.task_definition != primary["taskDefinition"]):
            start_rollout(result, key)
        elif primary is not None:
            primary["desiredCount"] = result.desired_count
            primary["runningCount"] = result.desired_count
            primary["pendingCount"] = 0
            result.running_count = result.desired_count
            result.pending_count = 0
        return result


EC2ContainerServiceBackend.update_service = update_service


# ---------------------------------------------------------------------------------------------
# Seeding


# ---------------------------------------------------------------------------------------------
# IAM's policy simulator (moto has none): the role's own policies, inline and attached, evaluated
# as IAM does for identity policies: an explicit Deny wins, then an Allow, else an implicit deny.
# Conditions, NotAction/NotResource and permissions boundaries are not modelled (a statement with
# a Condition is taken as applying); resource policies are not read, as SimulatePrincipalPolicy
# reads none unless given one.


def role_documents(role_name):
    backend = iam_backends[ACCOUNT]["global"]
    role = backend.get_role(role_name)
    documents = list(role.policies.values())
    for policy in role.managed_policies.values():
        documents.extend(v.document for v in policy.versions if v.is_default_version)
    return [json.loads(d) if isinstance(d, str) else d for d in documents]


def listed(value):
    return [value] if isinstance(value, str) else list(value or [])


def decide(documents, action, resource):
    allowed = False
    for document in documents:
        for st in listed(document.get("Statement")) if isinstance(document.get("Statement"), list) else [document.get("Statement", {})]:
            actions = [a.lower() for a in listed(st.get("Action"))]
            if not any(fnmatchcase(action.lower(), a) for a in actions):
                continue
            if not any(fnmatchcase(resource, r) for r in listed(st.get("Resource"))):
                continue
            if st.get("Effect") == "Deny":
                return "explicitDeny"
            allowed = allowed or st.get("Effect") == "Allow"
    return "allowed" if allowed else "implicitDeny"


def simulate(params):
    """SimulatePrincipalPolicy's answer (XML) for the role named by PolicySourceArn."""
    role_name = params["PolicySourceArn"].rsplit("/", 1)[-1]
    documents = role_documents(role_name)
    actions = [v for k, v in sorted(params.items(), key=lambda kv: kv[0]) if k.startswith("ActionNames.member.")]
    resources = [v for k, v in sorted(params.items(), key=lambda kv: kv[0]) if k.startswith("ResourceArns.member.")] or ["*"]
    members = "".join(
        f"<member><EvalActionName>{xml_escape(a)}</EvalActionName><EvalResourceName>{xml_escape(r)}</EvalResourceName>"
        f"<EvalDecision>{decide(documents, a, r)}</EvalDecision><MatchedStatements/><MissingContextValues/></member>"
        for a in actions for r in resources)
    return ('<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{members}"
            "</EvaluationResults></SimulatePrincipalPolicyResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>")


ECS_TASKS_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def execution_policy(env):
    """What an execution role needs (AmazonECSTaskExecutionRolePolicy, plus the app's secret)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                                       "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                                       "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
         "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:shop-{env}-*"},
        {"Effect": "Allow", "Action": ["ssm:GetParameters"],
         "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/shop/{env}/*"},
    ]})


# ---------------------------------------------------------------------------------------------
# What a crashing application writes before it exits, to its awslogs stream


def app_log_lines(td, container_name, exit_code, task_id, one_off=False):
    """An application starting, printing its configuration (as many do, environment values
    included), then failing."""
    definition = next((d for d in td.container_definitions if d["name"] == container_name), {})
    lines = [f"{container_name} starting (task {task_id})"]
    lines += [f"config {e['name']}={e['value']}" for e in definition.get("environment", [])]
    if one_off:
        lines += ["running migration 0042_add_orders_index", 'ERROR: relation "orders" does not exist',
                  f"migration failed, exiting with {exit_code}"]
    else:
        lines += ["Error: connect ECONNREFUSED 10.0.2.15:5432", "    at TCPConnectWrap.afterConnect (node:net:1595:16)",
                  f"process exited with code {exit_code}"]
    return lines


def write_task_log(td, container_name, task_id, lines):
    """Writes `lines` to the container's awslogs stream (`prefix/container/task-id`), as the
    awslogs driver would; nothing when it logs elsewhere or its group is missing."""
    definition = next((d for d in td.container_definitions if d["name"] == container_name), None)
    config = (definition or {}).get("logConfiguration") or {}
    options = config.get("options") or {}
    if config.get("logDriver") != "awslogs" or "awslogs-stream-prefix" not in options:
        return
    group, region = options["awslogs-group"], options.get("awslogs-region", REGION)
    stream = f"{options['awslogs-stream-prefix']}/{container_name}/{task_id}"
    backend = logs_backends[ACCOUNT][region]
    if group not in backend.groups:
        if options.get("awslogs-create-group") != "true":
            return
        backend.create_log_group(group, {})
    backend.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    backend.put_log_events(group, stream, [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)])


_CLIENTS = {}
_CLIENTS_LOCK = threading.Lock()


def client(name, endpoint):
    """A boto3 client of this emulator (made once: making one costs tens of ms of CPU, and every
    world reset used eight). botocore's clients are thread-safe."""
    with _CLIENTS_LOCK:
        key = (name, endpoint)
        if key not in _CLIENTS:
            _CLIENTS[key] = boto3.client(name, region_name=REGION, endpoint_url=endpoint,
                                         config=Config(user_agent_extra=CONTROL_AGENT))
        return _CLIENTS[key]


def manifest_for(tag):
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1000,
                   "digest": "sha256:" + hashlib.sha256(f"config-{tag}".encode()).hexdigest()},
        "layers": [],
    }, separators=(",", ":"))


def seed(endpoint, environments, load_balanced=()):
    ecr, ecs, ssm, ec2, elb = (client(n, endpoint) for n in ("ecr", "ecs", "ssm", "ec2", "elbv2"))
    try:
        repo = ecr.create_repository(repositoryName="shop-api")["repository"]
    except ecr.exceptions.RepositoryAlreadyExistsException:
        repo = ecr.describe_repositories(repositoryNames=["shop-api"])["repositories"][0]
    for tag in ("v1", "v2", "v3"):
        manifest = manifest_for(tag)
        ecr.put_image(repositoryName="shop-api", imageTag=tag, imageManifest=manifest,
                      imageDigest="sha256:" + hashlib.sha256(manifest.encode()).hexdigest())
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    groups = [g["GroupId"] for g in ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]]
    world = {"repositoryUri": repo["repositoryUri"], "environments": {}}
    for env in environments:
        cluster, family = f"shop-{env}", f"shop-{env}-service"
        execution_role = f"arn:aws:iam::{ACCOUNT}:role/shop-{env}-execution"
        task_role = f"arn:aws:iam::{ACCOUNT}:role/shop-{env}-task"
        # What the task definition needs to start: its roles, its secret, its log group.
        iam, secrets, logs = (client(n, endpoint) for n in ("iam", "secretsmanager", "logs"))
        for name in (f"shop-{env}-execution", f"shop-{env}-task"):
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=ECS_TASKS_TRUST)
        iam.put_role_policy(RoleName=f"shop-{env}-execution", PolicyName="execution", PolicyDocument=execution_policy(env))
        secrets.create_secret(Name=f"shop-{env}-db", SecretString="not-a-real-password")
        logs.create_log_group(logGroupName=f"/ecs/shop-{env}")
        env_tag = [{"key": "environment", "value": env}]
        ecs.create_cluster(clusterName=cluster, tags=env_tag)
        td = ecs.register_task_definition(
            family=family,
            taskRoleArn=task_role,
            executionRoleArn=execution_role,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
            ephemeralStorage={"sizeInGiB": 30},
            volumes=[{"name": "scratch"}],
            tags=[{"key": "app", "value": "shop"}],
            containerDefinitions=[
                {
                    "name": "app",
                    "image": f"{repo['repositoryUri']}:v1",
                    "memory": 448,
                    "essential": True,
                    "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                    "environment": [{"name": "PORT", "value": "8080"}, {"name": "LOG_LEVEL", "value": "info"}],
                    "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:shop-{env}-db"}],
                    "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/scratch"}],
                    "logConfiguration": {"logDriver": "awslogs", "options": {
                        "awslogs-group": f"/ecs/shop-{env}", "awslogs-region": REGION, "awslogs-stream-prefix": "app"}},
                },
                {"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable", "memory": 64, "essential": False},
            ],
        )["taskDefinition"]
        load_balancers = []
        if env in load_balanced:
            vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
            elb.create_load_balancer(Name=f"shop-{env}", Subnets=subnets, SecurityGroups=groups)
            tg = elb.create_target_group(Name=f"shop-{env}-app", Protocol="HTTP", Port=8080, VpcId=vpc,
                                         TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
            elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.1.10", "Port": 8080}, {"Id": "10.0.1.11", "Port": 8080}])
            load_balancers = [{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}]
        os.environ["MOTO_ECS_SERVICE_RUNNING"] = "2"  # the service starts steady, as a real one would be
        ecs.create_service(
            cluster=cluster, serviceName=family, taskDefinition=td["taskDefinitionArn"], desiredCount=2, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": groups, "assignPublicIp": "DISABLED"}},
            loadBalancers=load_balancers, tags=env_tag,
        )
        os.environ.pop("MOTO_ECS_SERVICE_RUNNING")
        prefix = f"/shop/{env}/ecs"
        params = {
            "cluster-name": cluster, "service-name": family, "task-definition-family": family, "container-name": "app",
            "repository-uri": repo["repositoryUri"], "execution-role-arn": execution_role, "task-role-arn": task_role,
        }
        for key, value in params.items():
            ssm.put_parameter(Name=f"{prefix}/{key}", Value=value, Type="String", Overwrite=True)
        world["environments"][env] = {"cluster": cluster, "service": family, "family": family, "ssmPrefix": prefix,
                                      "taskDefinitionArn": td["taskDefinitionArn"]}
    return world


def add_families(endpoint, env, names):
    """Task-definition families copied from an environment's main one (no service runs them)."""
    ecs = client("ecs", endpoint)
    cluster, main = f"shop-{env}", f"shop-{env}-service"
    svc = ecs.describe_services(cluster=cluster, services=[main])["services"][0]
    td = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    keep = ("taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities", "cpu", "memory", "containerDefinitions")
    return svc, {name: ecs.register_task_definition(family=name, **{k: td[k] for k in keep if k in td})["taskDefinition"]["taskDefinitionArn"]
                 for name in names}


def add_services(endpoint, env, names, task_definition=None):
    """More services in an environment's cluster, each with its own family copied from the main one
    (or all running `task_definition`)."""
    ecs = client("ecs", endpoint)
    cluster = f"shop-{env}"
    if task_definition:
        svc = ecs.describe_services(cluster=cluster, services=[f"shop-{env}-service"])["services"][0]
        arns = {name: task_definition for name in names}
    else:
        svc, arns = add_families(endpoint, env, names)
    created = {}
    for name in names:
        arn = arns[name]
        os.environ["MOTO_ECS_SERVICE_RUNNING"] = "1"
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=arn, desiredCount=1, launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": svc["networkConfiguration"]["awsvpcConfiguration"]})
        os.environ.pop("MOTO_ECS_SERVICE_RUNNING")
        created[name] = arn
    return created


def state(endpoint, cluster, service):
    ecs = client("ecs", endpoint)
    svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    family = svc["taskDefinition"].rsplit("/", 1)[-1].rsplit(":", 1)[0]
    arns = ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]
    live = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"], include=["TAGS"])
    return {"service": svc, "taskDefinitionArns": arns, "live": live}


# ---------------------------------------------------------------------------------------------
# Control API


def control_handler(endpoint, recorder):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, payload, status=200):
            body = json.dumps(payload, default=str).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def body(self):
            length = int(self.headers.get("content-length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            try:
                if url.path == "/calls":
                    return self.reply(recorder.list())
                if url.path == "/calls/bodies":
                    return self.reply(recorder.list(with_bodies_of=query["op"]))
                if url.path == "/parameter":
                    ssm = client("ssm", endpoint)
                    try:
                        return self.reply({"value": ssm.get_parameter(Name=query["name"])["Parameter"]["Value"]})
                    except ssm.exceptions.ParameterNotFound:
                        return self.reply({"value": None})
                if url.path == "/image-tags":
                    ecr = client("ecr", endpoint)
                    images = ecr.describe_images(repositoryName=query["repository"], imageIds=[{"imageDigest": query["digest"]}])
                    return self.reply(sorted(t for d in images["imageDetails"] for t in d.get("imageTags", [])))
                if url.path == "/timeline":
                    with LOCK:
                        return self.reply(list(TIMELINE))
                if url.path == "/state":
                    return self.reply(state(endpoint, query["cluster"], query["service"]))
                return self.reply({"error": "not found"}, 404)
            except Exception as err:
                return self.reply({"error": repr(err)}, 500)

        def do_POST(self):
            url = urlparse(self.path)
            try:
                payload = self.body()
                if url.path == "/reset":
                    # A pooled emulator serves the next test: everything forgotten, then seeded.
                    recorder.reset_all()
                    reset_world()
                    balanced = payload.get("load_balanced", [])
                    environments = payload.get("environments", []) + balanced
                    return self.reply(seed(endpoint, environments, balanced) if environments else None)
                if url.path == "/seed":
                    return self.reply(seed(endpoint, payload.get("environments", ["dev"]), payload.get("load_balanced", [])))
                if url.path == "/pull-through":
                    rule = {"ecrRepositoryPrefix": payload["prefix"], "upstreamRegistryUrl": payload["upstream"],
                            "registryId": ACCOUNT, "createdAt": datetime.datetime.now(datetime.timezone.utc)}
                    with LOCK:
                        PULL_THROUGH_RULES.append(rule)
                    return self.reply({"ecrRepositoryPrefix": payload["prefix"]})
                if url.path == "/repository":
                    return self.reply(client("ecr", endpoint).create_repository(repositoryName=payload["name"])["repository"])
                if url.path == "/families":
                    return self.reply(add_families(endpoint, payload.get("env", "dev"), payload["names"])[1])
                if url.path == "/services":
                    return self.reply(add_services(endpoint, payload.get("env", "dev"), payload["names"], payload.get("task_definition")))
                if url.path == "/scenario":
                    scenario = {k: v for k, v in payload.items() if k not in ("cluster", "service")}
                    scenario.setdefault("outcome", "complete")
                    scenario["delay"] = float(scenario.get("delay", ROLLOUT["default_delay"]))
                    with LOCK:
                        SCENARIOS[f"{payload['cluster']}/{payload['service']}"] = scenario
                    return self.reply({"ok": True})
                if url.path == "/task-scenario":
                    with LOCK:
                        TASK_SCENARIOS[payload["family"]] = {k: v for k, v in payload.items() if k != "family"}
                    return self.reply({"ok": True})
                if url.path == "/aws":
                    # Any AWS call through boto3, unrecorded (a test's setup: delete a role, ...).
                    result = getattr(client(payload["service"], endpoint), payload["op"])(**payload.get("args", {}))
                    result.pop("ResponseMetadata", None)
                    return self.reply(json.loads(json.dumps(result, default=str)))
                if url.path == "/calls/reset":
                    recorder.reset()
                    return self.reply({"ok": True})
                if url.path == "/fault":
                    recorder.fault(payload)
                    return self.reply({"ok": True})
                if url.path == "/latency":
                    recorder.latency = float(payload["seconds"])
                    return self.reply({"ok": True})
                if url.path == "/faults/clear":
                    with recorder.lock:
                        recorder.faults.clear()
                    return self.reply({"ok": True})
                if url.path == "/delete-service":
                    ecs = client("ecs", endpoint)
                    ecs.update_service(cluster=payload["cluster"], service=payload["service"], desiredCount=0)
                    return self.reply(ecs.delete_service(cluster=payload["cluster"], service=payload["service"], force=True)["service"]["status"])
                if url.path == "/deregister":
                    return self.reply(client("ecs", endpoint).deregister_task_definition(taskDefinition=payload["taskDefinition"])["taskDefinition"]["status"])
                return self.reply({"error": "not found"}, 404)
            except Exception as err:
                return self.reply({"error": repr(err)}, 500)

    return Handler


def serve(port, seed_envs, seed_lb):
    """Starts the AWS and control servers, seeds, and returns the line that says where they are."""
    recorder = Recorder(None)
    aws = RecordingMotoServer(recorder, ip_address="127.0.0.1", port=port, verbose=False)
    aws.start()
    aws_port = aws.get_host_and_port()[1]
    endpoint = f"http://127.0.0.1:{aws_port}"
    environments = list(seed_envs) + list(seed_lb)
    world = seed(endpoint, environments, seed_lb) if environments else None
    control = ThreadingHTTPServer(("127.0.0.1", 0), control_handler(endpoint, recorder))
    threading.Thread(target=control.serve_forever, daemon=True).start()
    threading.Thread(target=ticker, daemon=True).start()
    return json.dumps({"aws": aws_port, "control": control.server_address[1], "world": world,
                       "pid": os.getpid()})


def warm():
    """What every emulator would load on its first calls, loaded once: botocore's service models
    (a client per service the seed and the control API use) and moto's backends for them."""
    for name in ("ecr", "ecs", "ssm", "ec2", "elbv2", "iam", "secretsmanager", "logs", "sts"):
        boto3.client(name, region_name=REGION, endpoint_url="http://127.0.0.1:9")
        create_backend_app(name)


def zygote():
    """`--zygote`: the tests' emulator factory. Imports and warms once (about 2 s of CPU), then
    forks a fresh emulator for each connection to its port: the connection's first line is
    `{"seed": [...], "seed_lb": [...]}`, the answer is the emulator's JSON line, and the emulator
    lives until the connection closes. Ends when stdin closes (the test process is gone).

    Forking is safe here because the zygote never starts a thread; each child starts its own."""
    import select
    import signal

    warm()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # no zombies: nobody waits for a child
    print(json.dumps({"zygote": listener.getsockname()[1]}), flush=True)
    while True:
        ready, _, _ = select.select([sys.stdin, listener], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
            os._exit(0)
        if listener in ready:
            conn, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                os.close(sys.stdin.fileno())
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                try:
                    request = json.loads(conn.makefile("r").readline())
                    line = serve(0, request.get("seed", []), request.get("seed_lb", []))
                    conn.sendall(line.encode() + b"\n")
                    while conn.recv(4096):
                        pass
                finally:
                    os._exit(0)
            conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="AWS port (0: any free port)")
    parser.add_argument("--seed", action="append", metavar="ENV", help="seed the standard world for ENV at start")
    parser.add_argument("--seed-lb", action="append", metavar="ENV", default=[], help="seed ENV behind a load balancer")
    parser.add_argument("--zygote", action="store_true", help="fork emulators on request (the tests' pool)")
    args = parser.parse_args()
    if args.zygote:
        return zygote()

    print(serve(args.port, args.seed or [], args.seed_lb), flush=True)
    # Serve until our parent goes away (stdin closes) or we are killed.
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
