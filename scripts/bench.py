"""Benchmarks of ecs-ship against moto plus the scenario layer (tests/support/moto_server.py).

What it measures, each over several runs:
  * verdict latency: from the moment the scenario layer marks our deployment COMPLETED (or, with
    bake time, its service deployment SUCCESSFUL) to the
    moment ecs-ship exits with its verdict (rollouts completing 1-6 s after the update);
  * crash-loop latency: from the third failed task of our deployment (no circuit breaker) to exit;
  * pre-deploy latency: from the migration task stopping with exit 0 to the service update;
  * API calls per minute while waiting on a rollout that never finishes, by operation;
  * wall time and AWS calls of a deploy without waiting and of an unchanged redeploy, and the
    time the preflight adds to it;
  * wall time of 1, 10 and 50 services (wait on), and the reads a minute of a quiet wait for 50.
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.environ.get("ECS_SHIP_BIN", os.path.join(ROOT, "target/debug/ecs-ship"))
PREFIX = "/bellyfed/{environment}/ecs"
CLUSTER, SERVICE = "bellyfed-dev", "bellyfed-dev-service"


class Emulator:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/support/moto_server.py"), "--seed", "dev"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        info = json.loads(self.proc.stdout.readline())
        self.aws, self.control_port = info["aws"], info["control"]

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


def deploy(em, n, *extra):
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{em.aws}", AWS_ACCESS_KEY_ID="bench",
               AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    env.pop("GITHUB_ACTIONS", None)
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
    the 20-call burst); and the reads a minute of a quiet wait for those 50."""
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

    run += 1
    for name in fifty:
        em.scenario(service=name, outcome="hang", delay=0)
    em.control("POST", "/calls/reset")
    _, _, done = deploy(em, run, "--services=" + "".join(f"- {n}\n" for n in fifty),
                        "--timeout-minutes", "2", "--rollback", "false")
    assert done.returncode == 3, done.stdout
    calls = em.control("GET", "/calls")
    updated = max(c["t"] for c in calls if c["op"] == "UpdateService")
    quiet = [c["op"] for c in calls if updated + 30 < c["t"] <= updated + 120]
    per_minute = collections.Counter(quiet)
    rate = ", ".join(f"{op} {n / 1.5:.0f}" for op, n in per_minute.most_common())
    results.append(("AWS calls per minute of a quiet wait for 50 services (after its first 30 s)",
                    f"{len(quiet) / 1.5:.0f} in all: {rate}"))
    return results


def summary(values):
    return f"median {statistics.median(values):.2f} s, min {min(values):.2f}, max {max(values):.2f} (n={len(values)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--quiet-minutes", type=float, default=1.0, help="length of the never-finishing rollout")
    args = parser.parse_args()
    random.seed(7)
    em = Emulator()
    results = []
    try:
        run = 0
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
            _, end, done = deploy(em, run, "--rollback", "false")
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
            _, _, done = deploy(em, run, "--wait", "false", "--pre-deploy-task", "command: [migrate]")
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

        # Calls per minute while waiting on a rollout that never finishes.
        run += 1
        em.scenario(outcome="hang", delay=0)
        em.control("POST", "/calls/reset")
        _, _, done = deploy(em, run, "--timeout-minutes", str(args.quiet_minutes), "--rollback", "false")
        assert done.returncode == 3, done.stdout
        calls = [c["op"] for c in em.control("GET", "/calls")]
        waiting = calls[calls.index("UpdateService") + 1:]
        per_minute = collections.Counter(waiting)
        rate = ", ".join(f"{op} {n / args.quiet_minutes:.0f}" for op, n in per_minute.most_common())
        results.append((f"AWS calls per minute of waiting ({args.quiet_minutes:g} min rollout that never finishes)",
                        f"{len(waiting) / args.quiet_minutes:.0f} in all: {rate}"))

        # A deploy without waiting, and an unchanged redeploy: wall time and calls.
        walls, counts = [], None
        for _ in range(args.runs):
            run += 1
            # Successive deploys a second apart, so AWS's RegisterTaskDefinition throttle (which the
            # emulator enforces, and which back-to-back runs would hit) is not what is measured.
            time.sleep(1.2)
            em.control("POST", "/calls/reset")
            start, end, done = deploy(em, run, "--wait", "false")
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
            start, end, done = deploy(em, run, "--wait", "false", "--preflight", "true" if checks else "false")
            assert done.returncode == 0, done.stdout
            (with_checks if checks else without).append(end - start)
        added = statistics.median(with_checks) - statistics.median(without)
        results.append(("Time the preflight adds to a deploy without waiting (medians, alternating runs)",
                        f"{added * 1000:.0f} ms (with: {summary(with_checks)}; without: {summary(without)})"))
        walls = []
        for _ in range(args.runs):
            em.control("POST", "/calls/reset")
            start, end, done = deploy(em, run, "--wait", "false")
            assert done.returncode == 0 and "Result: unchanged" in done.stdout, done.stdout
            walls.append(end - start)
            counts = collections.Counter(c["op"] for c in em.control("GET", "/calls"))
        results.append(("Unchanged redeploy, wall time", summary(walls)))
        results.append(("AWS calls of an unchanged redeploy", ", ".join(f"{op} {n}" for op, n in sorted(counts.items()))))
        results.extend(many_services(em, run))
    finally:
        em.close()

    print(f"Binary: {os.path.relpath(BIN, ROOT) if BIN.startswith(ROOT) else BIN}; emulator: moto on 127.0.0.1\n")
    print("| measurement | result |\n|---|---|")
    for name, value in results:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
