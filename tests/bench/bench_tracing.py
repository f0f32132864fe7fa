"""What exporting traces costs a team run in the local cluster (real operator, real agent pods, mock
model, Jaeger built from its Go module receiving every span over OTLP/HTTP on loopback).

Figures (measured, never asserted):

* ``tracing_step_transition_off_p50`` / ``_on_p50``: a step's result written by a runtime -> the
  next step's task on its stream (the observer of ``bench_team_runs``), over the 4 transitions of
  sequential 5-step runs, with the operator and its agents exporting nowhere / to Jaeger;
* ``tracing_overhead_step_transition_pct``: on vs off, in percent of off (target <= 10 %).

The two settings alternate (off, on, three times over; a new operator process each time, and a
team of its own whose agent pods start with that operator's ``OTEL_*``), so a machine that gets
busier or calmer during the benchmark weighs on both alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
from pathlib import Path

from localcluster import ControlPlane, RedisServer
from podrunner.stages import DEFAULT_REPOSITORY

from ark.api.run import RunTrigger
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.runs.create import run_for_team
from ark_runtime.protocol import tasks_stream
from tests.bench.bench_team_runs import (
    NAMESPACE,
    Observer,
    chain,
    runs_version,
    team_ready,
    wait_done,
    watch_runs,
)
from tests.bench.crds import install_crds
from tests.e2e.operator.support import OperatorProcess
from tests.support.jaeger import Jaeger
from tests.support.runner_cluster import PodRunnerProcess
from tests.support.wait import wait_for, wait_for_sync

RUNS_PER_ROUND = 10
ROUNDS = ("off", "on") * 3
STEPS = 5


async def round_transitions(cp: ControlPlane, redis: RedisServer, team_name: str) -> list[float]:
    """Step transitions of ``RUNS_PER_ROUND`` sequential runs of a new 5-step team."""
    async with await KubeClient.from_kubeconfig(cp.kubeconfig) as client:
        team = chain(team_name, STEPS)
        await client.create(ARK_TEAMS, team)
        await wait_for(lambda: team_ready(client, team_name), timeout=180, message=f"{team_name} Ready")
        agents = [f"{team_name}-s{i}" for i in range(1, STEPS + 1)]
        observer = Observer(redis.url, agents)
        # The team's task streams are new: read them from their start, since XREAD's "$" means
        # "after now" at every call and would miss an entry added between two reads.
        observer.cursors.update({tasks_stream(NAMESPACE, agent): "0" for agent in agents})
        done: dict[str, float] = {}
        changed = asyncio.Event()
        await observer.start()
        rv = await runs_version(client)
        tasks = [
            asyncio.create_task(observer.run()),
            asyncio.create_task(watch_runs(client, done, changed, rv)),
        ]
        try:
            stored = await client.get(ARK_TEAMS, team_name, NAMESPACE)
            transitions: list[float] = []
            # One run first, not counted: the agents' first task pays for their imports.
            for n in range(RUNS_PER_ROUND + 1):
                body = run_for_team(stored, {"num": str(n)}, RunTrigger(type="manual", source="bench")).body
                created = await client.create(ARK_RUNS, body)
                await wait_done([created["metadata"]["name"]], done, changed)
                if n:
                    transitions += observer.transitions(created["metadata"]["uid"], STEPS)
            return transitions
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await observer.redis.aclose()
            # Its agents go with it (owner references), so rounds do not pile up agent processes.
            await client.delete(ARK_TEAMS, team_name, NAMESPACE)


def main() -> None:
    """A cluster whose agent pods run, Jaeger, then one operator per round."""
    cp = ControlPlane(pod_runner_repository=DEFAULT_REPOSITORY)
    cp.start()
    redis = RedisServer()
    redis.start()
    jaeger = Jaeger().wait_ready()
    logs = Path(tempfile.mkdtemp(prefix="bench-tracing-pods-"))
    runner: PodRunnerProcess | None = None
    try:
        install_crds(cp.kubeconfig, NAMESPACE)
        runner = PodRunnerProcess(cp.kubeconfig, logs)
        wait_for_sync(runner.ready, timeout=60, message="pod runner")
        measured: dict[str, list[float]] = {"off": [], "on": []}
        for index, setting in enumerate(ROUNDS):
            env = {"OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_url} if setting == "on" else {}
            operator = OperatorProcess(
                cp.kubeconfig,
                NAMESPACE,
                redis.url,
                "--agent-env=AGENT_PROVIDER=mock",
                "--log-level=warning",
                env=env,
            )
            try:
                wait_for_sync(operator.ready, timeout=60, message="operator ready")
                measured[setting] += asyncio.run(round_transitions(cp, redis, f"trace{index}"))
            finally:
                with contextlib.suppress(Exception):
                    operator.terminate(timeout=20)
                operator.close()
        off, on = (statistics.median(measured[s]) * 1000 for s in ("off", "on"))
        print(f"bench: tracing_step_transition_off_p50 {off:.1f} ms", flush=True)
        print(f"bench: tracing_step_transition_on_p50 {on:.1f} ms", flush=True)
        print(f"bench: tracing_overhead_step_transition_pct {(on - off) / off * 100:.1f} %", flush=True)
        services = [s for s in jaeger.services() if s.startswith("ark-")]
        print(f"# jaeger received spans from {len(services)} services", flush=True)
    finally:
        if runner is not None:
            with contextlib.suppress(Exception):
                runner.terminate(timeout=30)
            runner.close()
        jaeger.terminate(timeout=15)
        jaeger.close()
        redis.stop()
        cp.stop()
