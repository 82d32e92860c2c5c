"""Benchmarks of ecs-ship against moto plus the scenario layer (tests/support/moto_server.py).

What it measures, each over several runs:
  * verdict latency: from the moment the scenario layer marks our deployment COMPLETED (or, with
    bake time, its service deployment SUCCESSFUL) to the
    moment ecs-ship exits with its verdict (rollouts completing 1-6 s after the update);
  * crash-loop latency: from the third failed task of our deployment (no circuit breaker) to exit;
  * pre-deploy latency: from the migration task stopping with exit 0 to the service update;
  * wall time and AWS calls of a deploy without waiting and of an unchanged redeploy, and the
    time the preflight adds to it;
  * wall time of 1, 10 and 50 services (wait on), and the AWS reads in the busiest minute of a
    2-minute wait for each that never finishes;
  * where AWS is far away (a proxy adding a 50 ms round trip to every call, see
    latency_proxy.py): a deploy without waiting, its calls made one after another and the longest
    pause between an answer and the next call, the verdict after COMPLETED; and, given
    `--aws-actions DIR` (checkouts of aws-actions/amazon-ecs-render-task-definition and
    amazon-ecs-deploy-task-definition, with their dist/), the AWS render + deploy actions the
    same way.
The binary is $ECS_SHIP_BIN; the emulator runs on 127.0.0.1 only.
"""

import argparse
import collections
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

from latency_proxy import LatencyProxy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.environ.get("ECS_SHIP_BIN", os.path.join(ROOT, "target/debug/ecs-ship"))
PREFIX = "/shop/{environment}/ecs"
CLUSTER, SERVICE = "shop-dev", "shop-dev-service"


class Emulator:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/support/moto_server.py"), "--seed", "dev"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        info = json.loads(self.proc.stdout.readline())
        self.aws, self.control_port = info["aws"], info["control"]
        self.repository = info["world"]["repositoryUri"]

    def image(self, tag):
        return f"{self.repository}:{tag}"

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.control_port}{path}", data=data, method=method)
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)

    def scenario(self, service=SERVICE, **scenario):
        self.control("POST", "/scenario", {"cluster": CLUSTER, "service": service, **scenario})

    def close(self):
        self.proc.kill()
        self.proc.wait()


def aws_env(port):
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="bench",
               AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    env.pop("GITHUB_ACTIONS", None)
    return env


def deploy(em, n, *extra, port=None):
    env = aws_env(port or em.aws)
    # A new env value each run, so every deploy registers a revision and starts a rollout.
    args = [BIN, "deploy", "--environment", "dev", "--image-tag", "v2", "--ssm-prefix", PREFIX,
            "--environment-variables", json.dumps({"BENCH_RUN": str(n)}), *extra]
    start = time.time()
    done = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return start, time.time(), done


def verdict_latencies(em, run, delays):
    """Seconds from the scenario marking each rollout COMPLETED to ecs-ship exiting; and the run count."""
    latencies = []
    for delay in delays:
        run += 1
        em.scenario(outcome="complete", delay=delay)
        _, end, done = deploy(em, run)
        assert done.returncode == 0, done.stdout
        completed = [e for e in em.control("GET", "/timeline") if e["what"] == "completed"][-1]["t"]
        latencies.append(end - completed)
    return latencies, run


def many_services(em, run):
    """Wall time of a deploy (wait on, 1.5 s rollouts) of 1 service, of 10 services on 10 families,
    and of 50 services on 10 families (5 on each; 50 distinct families cannot all register in
    the 20-call burst); and the reads a minute of a 2-minute wait for 1, 10 and 50 services."""
    results = []
    ten = [f"ten{i}" for i in range(10)]
    em.control("POST", "/services", {"env": "dev", "names": ten})
    families = em.control("POST", "/families", {"env": "dev", "names": [f"fam{i}" for i in range(10)]})
    fifty = []
    for i, (family, arn) in enumerate(sorted(families.items())):
        names = [f"fifty{i}x{j}" for j in range(5)]
        em.control("POST", "/services", {"env": "dev", "names": names, "task_definition": arn})
        fifty.extend(names)

    def timed(names, label):
        walls = []
        for _ in range(3):
            nonlocal run
            run += 1
            # Each deploy starts with AWS's RegisterTaskDefinition bucket full again (it refills
            # at 1/s): what is measured is one deploy, not the previous one's throttling.
            time.sleep(11)
            for name in names:
                em.scenario(service=name, outcome="complete", delay=1.5)
            extra = ["--services=" + "".join(f"- {n}\n" for n in names)] if names != [SERVICE] else []
            start, end, done = deploy(em, run, *extra)
            assert done.returncode == 0, done.stdout
            walls.append(end - start)
        results.append((label, summary(walls)))
        return statistics.median(walls)

    one = timed([SERVICE], "Deploy of 1 service, wait on (1.5 s rollout), wall time")
    many = timed(ten, "Deploy of 10 services on 10 families, wait on (1.5 s rollouts), wall time")
    results.append(("10 services / 1 service", f"{many / one:.2f}×"))
    many = timed(fifty, "Deploy of 50 services on 10 families, wait on (1.5 s rollouts), wall time")
    results.append(("50 services / 1 service", f"{many / one:.2f}×"))

    for names, label in (([SERVICE], "1 service"), (ten, "10 services"), (fifty, "50 services")):
        run += 1
        time.sleep(11)
        for name in names:
            em.scenario(service=name, outcome="hang", delay=0)
        em.control("POST", "/calls/reset")
        extra = ["--services=" + "".join(f"- {n}\n" for n in names)] if names != [SERVICE] else []
        _, _, done = deploy(em, run, *extra, "--time-limit-minutes", "2", "--on-failure", "leave")
        assert done.returncode == 3, done.stdout
        calls = em.control("GET", "/calls")
        first = min(c["t"] for c in calls if c["op"] == "UpdateService")
        waiting = [c for c in calls if c["t"] >= first and c["op"] not in ("UpdateService", "RegisterTaskDefinition")]
        busiest = max(sum(1 for d in waiting if c["t"] <= d["t"] < c["t"] + 60) for c in waiting)
        late = collections.Counter(c["op"] for c in waiting if c["t"] > first + 60)
        rate = ", ".join(f"{op} {n}" for op, n in late.most_common())
        results.append((f"AWS reads of a 2-minute wait for {label} that never finish: the busiest minute "
                        f"(from the first update), and the second minute by operation",
                        f"{busiest} in the busiest minute; second minute {sum(late.values())}: {rate}"))
    return results


def stages(requests):
    """The requests a client made (the latency proxy's notes) as stages made one after another:
    a request is in the stage after the latest one whose answer it had before it was sent. And
    the longest pause between the answer a stage waited for and its first request."""
    depth, pause = [], 0.0
    for request in requests:
        before = [(d, r["answered"]) for r, d in zip(requests, depth)
                  if r["answered"] is not None and r["answered"] <= request["sent"]]
        depth.append(max((d + 1 for d, _ in before), default=0))
        if before:
            pause = max(pause, request["sent"] - max(t for _, t in before))
    return max(depth, default=-1) + 1, depth, pause


ROUND_TRIP = 0.05


def far_away(em, run, runs, actions_dir):
    """A deploy, and the AWS actions, with a 50 ms round trip added to every AWS call: without
    connection set-up (every call one round trip, as if each had a connection open already),
    then with TCP's and TLS's two round trips for each new connection."""
    results = []
    for connect, said in ((0, "connections free"), (2, "a new connection 2 more (TCP + TLS)")):
        proxy = LatencyProxy(em.aws, ROUND_TRIP, connect)
        try:
            walls, depths, pauses, connections, trail = [], [], [], [], ""
            for _ in range(runs):
                run += 1
                time.sleep(1.2)
                em.control("POST", "/calls/reset")
                proxy.reset()
                opened = proxy.connections
                start, end, done = deploy(em, run, "--wait", "none", port=proxy.port)
                assert done.returncode == 0, done.stdout
                walls.append(end - start)
                connections.append(proxy.connections - opened)
                count, depth, pause = stages(proxy.reset())
                depths.append(count)
                pauses.append(pause)
                # Which calls made each stage: the emulator's log holds them in the order they came.
                ops = [c["op"] for c in em.control("GET", "/calls")]
                if len(ops) == len(depth):
                    by_stage = collections.defaultdict(set)
                    for op, d in zip(ops, depth):
                        by_stage[d].add(op)
                    trail = " → ".join(" ∥ ".join(sorted(by_stage[d])) for d in sorted(by_stage))
            ours = statistics.median(walls)
            results.append((f"Deploy without waiting (the preflight on), 50 ms round trip per AWS call, {said} "
                            f"(latency proxy), wall time", summary(walls) + f"; {statistics.median(connections):.0f} connections"))
            if connect == 0:
                results.append(("Its AWS calls one after another (stages; ∥: made together), and the longest "
                                "pause between an answer and the next call",
                                f"{statistics.median(depths):.0f} stages (runs: {sorted(set(depths))}){': ' + trail if trail else ''}; "
                                f"longest pause {max(pauses) * 1000:.0f} ms"))
            if actions_dir:
                theirs = []
                for _ in range(runs):
                    run += 1
                    time.sleep(1.2)
                    theirs.append(aws_actions(em, proxy.port, actions_dir, run))
                results.append((f"The AWS render + deploy actions (`task-definition-family`, no waiting; two node "
                                f"start-ups), {said}", summary(theirs)))
                results.append((f"ecs-ship / the AWS actions, {said}", f"{ours / statistics.median(theirs):.2f}×"))
            if connect == 0:
                continue
            latencies = []
            for _ in range(max(3, runs // 2)):
                run += 1
                em.scenario(outcome="complete", delay=random.uniform(1.0, 4.0))
                _, end, done = deploy(em, run, port=proxy.port)
                assert done.returncode == 0, done.stdout
                completed = [e for e in em.control("GET", "/timeline") if e["what"] == "completed"][-1]["t"]
                latencies.append(end - completed)
            results.append((f"Verdict after COMPLETED at 50 ms per call, {said} (1-4 s rollouts)", summary(latencies)))
        finally:
            proxy.close()
    return results, run


def aws_actions(em, port, actions_dir, n):
    """Wall time of amazon-ecs-render-task-definition then amazon-ecs-deploy-task-definition (no
    waiting), as a workflow's two steps run them."""
    import tempfile
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "output")
        open(out, "w").close()
        env = dict(aws_env(port), GITHUB_OUTPUT=out, GITHUB_WORKSPACE=work, RUNNER_TEMP=work)
        start = time.time()
        subprocess.run(["node", os.path.join(actions_dir, "amazon-ecs-render-task-definition/dist/index.js")],
                       env={**env, "INPUT_TASK-DEFINITION-FAMILY": SERVICE, "INPUT_CONTAINER-NAME": "app",
                            "INPUT_IMAGE": em.image("v2"), "INPUT_ENVIRONMENT-VARIABLES": f"BENCH_RUN={n}"},
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rendered = open(out).read().splitlines()[1]
        open(out, "w").close()
        subprocess.run(["node", os.path.join(actions_dir, "amazon-ecs-deploy-task-definition/dist/index.js")],
                       env={**env, "INPUT_TASK-DEFINITION": rendered, "INPUT_SERVICE": SERVICE, "INPUT_CLUSTER": CLUSTER,
                            "INPUT_WAIT-FOR-SERVICE-STABILITY": "false"},
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        took = time.time() - start
        assert "task-definition-arn" in open(out).read()
        return took


def summary(values):
    return f"median {statistics.median(values):.2f} s, min {min(values):.2f}, max {max(values):.2f} (n={len(values)})"


class Done(Exception):
    """Ends the measurements early (`--only`)."""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--aws-actions", metavar="DIR", help="a directory with amazon-ecs-render-task-definition/ and "
                        "amazon-ecs-deploy-task-definition/ (their dist/): measure them through the latency proxy too")
    parser.add_argument("--only", choices=["far", "many"], help="only one group of measurements")
    args = parser.parse_args()
    random.seed(7)
    em = Emulator()
    results = []
    try:
        run = 0
        if args.only == "many":
            results.extend(many_services(em, run))
            raise Done
        far, run = far_away(em, run, args.runs, args.aws_actions)
        if args.only == "far":
            results.extend(far)
            raise Done
        # Verdict latency after COMPLETED, for rollouts of short and of quiet length.
        short, run = verdict_latencies(em, run, [random.uniform(1.0, 6.0) for _ in range(args.runs)])
        results.append(("Verdict after ECS marks the deployment COMPLETED (1-6 s rollouts)", summary(short)))
        quiet, run = verdict_latencies(em, run, [random.uniform(18.0, 22.0) for _ in range(2)])
        results.append(("Verdict after COMPLETED, after a quiet ~20 s rollout (polling slowed to 2 s)", summary(quiet)))

        # With bake time: from the service deployment turning SUCCESSFUL (bake time over) to the
        # verdict; the deployments list said COMPLETED seconds before.
        latencies = []
        for _ in range(max(3, args.runs // 2)):
            run += 1
            em.scenario(outcome="complete", delay=random.uniform(1.0, 3.0), bake=random.uniform(2.0, 5.0))
            _, end, done = deploy(em, run)
            assert done.returncode == 0, done.stdout
            baked = [e for e in em.control("GET", "/timeline") if e["what"] == "baked"][-1]["t"]
            latencies.append(end - baked)
        results.append(("Verdict after ECS's service deployment is SUCCESSFUL (bake time 2-5 s after COMPLETED)",
                        summary(latencies)))

        # Crash loop without a circuit breaker: third failed task to verdict.
        latencies = []
        for _ in range(max(3, args.runs // 2)):
            run += 1
            em.scenario(outcome="crash", delay=0.5, interval=random.uniform(2.0, 4.0), exit_code=1)
            _, end, done = deploy(em, run, "--on-failure", "leave")
            assert done.returncode == 3, done.stdout
            timeline = em.control("GET", "/timeline")
            rollout = [e for e in timeline if e["what"] == "rollout-started"][-1]["deployment"]
            stops = [e["t"] for e in timeline if e["what"] == "task-stopped" and e["deployment"] == rollout]
            latencies.append(end - stops[2])
        results.append(("Verdict after the third failed task (no circuit breaker)", summary(latencies)))

        # Migration first: from the one-off task stopping (exit 0) to the service update.
        latencies = []
        for _ in range(max(3, args.runs // 2)):
            run += 1
            time.sleep(1.2)  # past the emulated RegisterTaskDefinition throttle
            em.control("POST", "/task-scenario", {"family": SERVICE, "duration": random.uniform(1.0, 4.0)})
            _, _, done = deploy(em, run, "--wait", "none", "--one-off-task", "command: [migrate]")
            assert done.returncode == 0, done.stdout
            timeline = em.control("GET", "/timeline")
            stopped = [e for e in timeline if e["what"] == "one-off-stopped"][-1]["t"]
            updated = [e for e in timeline if e["what"] == "rollout-started"][-1]["t"]
            latencies.append(updated - stopped)
        results.append(("Service update after the pre-deploy task stopped with exit 0 (1-4 s migrations)", summary(latencies)))

        # on-cancel: rollback: from SIGTERM to exit, the service deployment stopped with a rollback.
        exits = []
        for _ in range(max(3, args.runs // 2)):
            run += 1
            em.scenario(outcome="hang", delay=0)
            env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{em.aws}", AWS_ACCESS_KEY_ID="bench",
                       AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
            env.pop("GITHUB_ACTIONS", None)
            child = subprocess.Popen([BIN, "deploy", "--environment", "dev", "--image-tag", "v2", "--ssm-prefix", PREFIX,
                                      "--environment-variables", json.dumps({"BENCH_RUN": str(run)}),
                                      "--on-cancel", "rollback"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(random.uniform(2.0, 3.0))
            sent = time.time()
            child.send_signal(signal.SIGTERM)
            assert child.wait(timeout=30) == 130
            exits.append(time.time() - sent)
            assert "StopServiceDeployment" in [c["op"] for c in em.control("GET", "/calls")]
        results.append(("Exit after SIGTERM with `on-cancel: rollback` (service deployment stopped first)", summary(exits)))

        # A deploy without waiting, and an unchanged redeploy: wall time and calls.
        walls, counts = [], None
        for _ in range(args.runs):
            run += 1
            # Successive deploys a second apart, so AWS's RegisterTaskDefinition throttle (which the
            # emulator enforces, and which back-to-back runs would hit) is not what is measured.
            time.sleep(1.2)
            em.control("POST", "/calls/reset")
            start, end, done = deploy(em, run, "--wait", "none")
            assert done.returncode == 0, done.stdout
            walls.append(end - start)
            counts = collections.Counter(c["op"] for c in em.control("GET", "/calls"))
        results.append(("Deploy without waiting (register + update), wall time, deploys 1.2 s apart", summary(walls)))
        results.append(("AWS calls of a deploy without waiting", ", ".join(f"{op} {n}" for op, n in sorted(counts.items()))))
        # The preflight's cost: the same deploy with it (the default) and without, alternating.
        with_checks, without = [], []
        for i in range(2 * args.runs):
            run += 1
            time.sleep(1.2)
            checks = i % 2 == 0
            start, end, done = deploy(em, run, "--wait", "none", "--preflight", "true" if checks else "false")
            assert done.returncode == 0, done.stdout
            (with_checks if checks else without).append(end - start)
        added = statistics.median(with_checks) - statistics.median(without)
        results.append(("Time the preflight adds to a deploy without waiting (medians, alternating runs)",
                        f"{added * 1000:.0f} ms (with: {summary(with_checks)}; without: {summary(without)})"))
        walls = []
        for _ in range(args.runs):
            em.control("POST", "/calls/reset")
            start, end, done = deploy(em, run, "--wait", "none")
            assert done.returncode == 0 and "Result: unchanged" in done.stdout, done.stdout
            walls.append(end - start)
            counts = collections.Counter(c["op"] for c in em.control("GET", "/calls"))
        results.append(("Unchanged redeploy, wall time", summary(walls)))
        results.append(("AWS calls of an unchanged redeploy", ", ".join(f"{op} {n}" for op, n in sorted(counts.items()))))
        results.extend(many_services(em, run))
        results.extend(far)
    except Done:
        pass
    finally:
        em.close()

    print(f"Binary: {os.path.relpath(BIN, ROOT) if BIN.startswith(ROOT) else BIN}; emulator: moto on 127.0.0.1\n")
    print("| measurement | result |\n|---|---|")
    for name, value in results:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
