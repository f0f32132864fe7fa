"""Team runs in the local cluster: real ``ark-operator`` and real ``ark-runtime`` pods (mock model)
started by the pod runner.

Figures (measured, never asserted):

* ``cluster_step_transition_p50`` / ``_p99``: a step's result written by a runtime -> the next
  step's task on its stream, both seen by one observer reading the streams (XREAD, no group);
  over the 4 transitions of 20 sequential 5-step runs;
* ``cluster_run_5_steps``: one 5-step chain, ArkRun created -> a watch sees it Succeeded (median of
  the 20 runs above);
* ``local_run_5_steps``: ``ark run --provider mock`` of the same team, the whole process (median of 5);
  ``cluster_vs_local_ratio``: the two above;
* ``cluster_runs_100_concurrent``: 100 runs of a 3-step pipeline created at once -> all Succeeded;
* ``operator_rss_100_runs``: the operator's resident memory once those 100 runs are done (and its
  peak, ``operator_rss_100_runs_peak``).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from localcluster import ControlPlane, RedisServer
from podrunner.stages import DEFAULT_REPOSITORY

from ark.api.run import RunTrigger
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.runs.create import run_for_team
from ark_runtime.protocol import Result, Task, results_stream, tasks_stream
from ark_runtime.queue.connection import connect, stream_entries
from tests.bench.crds import install_crds
from tests.e2e.operator.support import OperatorProcess
from tests.support.runner_cluster import PodRunnerProcess
from tests.support.wait import wait_for, wait_for_sync

BIN = Path(sys.executable).parent
NAMESPACE = "bench"
SEQUENTIAL = 20
CONCURRENT = 100


def chain(name: str, steps: int) -> dict[str, Any]:
    roles = [
        {"name": f"s{i}", "model": "mock", "systemPrompt": "p", "limits": {"maxConcurrentTasks": 50}}
        for i in range(1, steps + 1)
    ]
    pipeline: list[dict[str, Any]] = [{"role": "s1", "inputs": {"task": "{{ .input.num }}"}}]
    pipeline += [
        {
            "role": f"s{i}",
            "dependsOn": [f"s{i - 1}"],
            "inputs": {"before": f"{{{{ .steps.s{i - 1}.output }}}}"},
        }
        for i in range(2, steps + 1)
    ]
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkTeam",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "inputs": [{"name": "num", "required": True}],
            "successfulRunsHistoryLimit": 200,
            "roles": roles,
            "pipeline": pipeline,
        },
    }


class Observer:
    """Sees every task and result the moment it enters its stream (plain XREAD, before any XDEL)."""

    def __init__(self, url: str, agents: list[str]) -> None:
        self.redis = connect(url, read_timeout=30)
        self.cursors = {tasks_stream(NAMESPACE, a): "$" for a in agents}
        self.cursors[results_stream(NAMESPACE)] = "$"
        self.tasks: dict[tuple[str, str], float] = {}
        self.results: dict[tuple[str, str], float] = {}

    async def start(self) -> None:
        """Pin every ``$`` cursor to its stream's last entry now: ``$`` means "after now" at every
        XREAD, so an entry added between two reads would be missed."""
        for stream, cursor in self.cursors.items():
            if cursor == "$":
                last = await self.redis.xrevrange(stream, count=1)
                self.cursors[stream] = last[0][0] if last else "0-0"

    async def run(self) -> None:
        while True:
            response = await self.redis.xread(self.cursors, block=5000, count=1000)
            now = time.perf_counter()
            for stream, batch in response or ():
                for entry_id, fields in stream_entries([(stream, batch)]):
                    self.cursors[stream] = entry_id
                    if stream == results_stream(NAMESPACE):
                        result = Result.from_fields(fields)
                        self.results.setdefault((result.run, result.step), now)
                    else:
                        task = Task.from_fields(fields)
                        self.tasks.setdefault((task.run, task.step), now)

    def transitions(self, run_uid: str, steps: int) -> list[float]:
        return [
            self.tasks[(run_uid, f"s{i + 1}")] - self.results[(run_uid, f"s{i}")] for i in range(1, steps)
        ]


async def runs_version(client: KubeClient) -> str:
    """The runs' resourceVersion now: a watch from it sees every run created afterwards."""
    return str((await client.list(ARK_RUNS, NAMESPACE, limit=1))["metadata"]["resourceVersion"])


async def watch_runs(client: KubeClient, done: dict[str, float], changed: asyncio.Event, rv: str) -> None:
    while True:
        async with contextlib.aclosing(
            client.watch(ARK_RUNS, NAMESPACE, resource_version=rv, timeout_seconds=300)
        ) as events:
            async for event in events:
                rv = event.object.get("metadata", {}).get("resourceVersion", rv)
                if (event.object.get("status") or {}).get("phase") == "Succeeded":
                    done.setdefault(event.object["metadata"]["name"], time.perf_counter())
                    changed.set()


async def wait_done(names: list[str], done: dict[str, float], changed: asyncio.Event) -> None:
    while not all(n in done for n in names):
        changed.clear()
        await asyncio.wait_for(changed.wait(), 120)


async def team_ready(client: KubeClient, name: str) -> bool:
    team = await client.get(ARK_TEAMS, name, NAMESPACE)
    return (team.get("status") or {}).get("phase") == "Ready"


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def local_run(team: dict[str, Any]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        yaml.safe_dump(team, file)
        file.flush()
        times = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(
                [str(BIN / "ark"), "run", file.name, "--mock", "--input", "num=1"],
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(cp: ControlPlane, redis: RedisServer, operator: OperatorProcess) -> None:
    five, three = chain("chain5", 5), chain("chain3", 3)
    async with await KubeClient.from_kubeconfig(cp.kubeconfig) as client:
        for team in (five, three):
            await client.create(ARK_TEAMS, team)
        for name in ("chain5", "chain3"):
            await wait_for(lambda n=name: team_ready(client, n), timeout=120, message=f"{name} Ready")
        observer = Observer(redis.url, [f"chain5-s{i}" for i in range(1, 6)])
        done: dict[str, float] = {}
        changed = asyncio.Event()
        await observer.start()
        rv = await runs_version(client)
        tasks = [
            asyncio.create_task(observer.run()),
            asyncio.create_task(watch_runs(client, done, changed, rv)),
        ]
        try:
            team5 = await client.get(ARK_TEAMS, "chain5", NAMESPACE)
            transitions: list[float] = []
            durations: list[float] = []
            for n in range(SEQUENTIAL):
                body = run_for_team(team5, {"num": str(n)}, RunTrigger(type="manual", source="bench")).body
                started = time.perf_counter()
                created = await client.create(ARK_RUNS, body)
                name = created["metadata"]["name"]
                await wait_done([name], done, changed)
                durations.append(done[name] - started)
                transitions += observer.transitions(created["metadata"]["uid"], 5)
            transitions.sort()
            p50 = statistics.median(transitions) * 1000
            p99 = transitions[min(len(transitions) - 1, int(len(transitions) * 0.99))] * 1000
            print(f"bench: cluster_step_transition_p50 {p50:.1f} ms", flush=True)
            print(f"bench: cluster_step_transition_p99 {p99:.1f} ms", flush=True)
            cluster = statistics.median(durations)
            print(f"bench: cluster_run_5_steps {cluster:.3f} s", flush=True)
            local = local_run(five)
            print(f"bench: local_run_5_steps {local:.3f} s", flush=True)
            print(f"bench: cluster_vs_local_ratio {cluster / local:.2f} x", flush=True)

            team3 = await client.get(ARK_TEAMS, "chain3", NAMESPACE)
            bodies = [
                run_for_team(team3, {"num": str(n)}, RunTrigger(type="manual", source="bench")).body
                for n in range(CONCURRENT)
            ]
            started = time.perf_counter()
            created_runs = await asyncio.gather(*(client.create(ARK_RUNS, b) for b in bodies))
            names = [c["metadata"]["name"] for c in created_runs]
            await wait_done(names, done, changed)
            print(
                f"bench: cluster_runs_100_concurrent {max(done[n] for n in names) - started:.2f} s",
                flush=True,
            )
            peak = peak_rss_mb(operator.proc.pid)
            print(f"bench: operator_rss_100_runs {operator.rss_mb():.1f} MB", flush=True)
            print(f"bench: operator_rss_100_runs_peak {peak:.1f} MB", flush=True)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await observer.redis.aclose()


def main() -> None:
    """A cluster whose agent pods run, the operator (mock model everywhere), then the figures."""
    cp = ControlPlane(pod_runner_repository=DEFAULT_REPOSITORY)
    cp.start()
    redis = RedisServer()
    redis.start()
    logs = Path(tempfile.mkdtemp(prefix="bench-pods-"))
    runner: PodRunnerProcess | None = None
    operator: OperatorProcess | None = None
    try:
        install_crds(cp.kubeconfig, NAMESPACE)
        runner = PodRunnerProcess(cp.kubeconfig, logs)
        wait_for_sync(runner.ready, timeout=60, message="pod runner")
        operator = OperatorProcess(
            cp.kubeconfig, NAMESPACE, redis.url, "--agent-env=AGENT_PROVIDER=mock", "--log-level=warning"
        )
        wait_for_sync(operator.ready, timeout=60, message="operator ready")
        asyncio.run(measure(cp, redis, operator))
    finally:
        for proc in (operator, runner):
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.terminate(timeout=20)
                proc.close()
        redis.stop()
        cp.stop()
