"""Exactly once under faults (architecture §4): 20 concurrent runs of a 5-step pipeline survive
kill -9 of the operator at each instant of the protocol, kill -9 of an agent mid-step, a Redis
restart and a leader failover. Model calls may repeat (delivery is at least once); a recorded
result never doubles and none is lost."""

from __future__ import annotations

import asyncio
import copy
import os
import random
import signal
from collections.abc import Iterator

import pytest
from localcluster import RedisServer

from ark.controllers.resources import ARK_TEAMS
from ark.kube.client import KubeClient
from ark.kube.resources import PODS
from tests.e2e.cluster.conftest import StartOperator
from tests.e2e.cluster.faults import TEAM, CountingModel, agent_env, check_all, team_ready, trigger_all
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]


@pytest.fixture
def model() -> Iterator[CountingModel]:
    server = CountingModel()
    server.start()
    yield server
    server.stop()


async def _apply(kube: KubeClient, namespace: str) -> None:
    team = copy.deepcopy(TEAM)
    team["metadata"]["namespace"] = namespace
    await kube.create(ARK_TEAMS, team)
    await team_ready(kube, namespace)


# "Between the status write and the XADD" and "between the status write and the XACK" are one
# instant here: both go to Redis in the pipeline that follows the status write. Killing on an early
# hit lands after a write that records submissions; a later hit, after one that records results.
FAILPOINTS = [
    ("before submit", "run.before-status-write=kill@3"),
    ("between status write and XADD", "run.after-status-write=kill@4"),
    ("between result and status write", "run.after-result=kill@12"),
    ("between status write and XACK", "run.after-status-write=kill@45"),
]


@pytest.mark.parametrize(("scenario", "failpoint"), FAILPOINTS, ids=[f[0] for f in FAILPOINTS])
async def test_the_operator_killed_at_an_instant_of_the_protocol(
    scenario: str,
    failpoint: str,
    model: CountingModel,
    start_operator: StartOperator,
    kube: KubeClient,
    namespace: str,
) -> None:
    flags = agent_env(model)
    # A first operator sets the team up; the one that dies takes over with the failpoint armed.
    first = start_operator(*flags)
    await _apply(kube, namespace)
    first.terminate()
    doomed = start_operator(*flags, env={"ARK_FAILPOINTS": failpoint})
    runs = await trigger_all(kube, namespace)
    await wait_for(
        lambda: doomed.proc.poll() is not None, timeout=120, message=f"the operator killed {scenario}"
    )
    assert doomed.proc.returncode == -signal.SIGKILL, doomed.log_text()[-2000:]
    start_operator(*flags)
    outcome = await check_all(kube, namespace, runs, model)
    print(outcome.line(f"operator kill -9 {scenario}"))
    assert outcome.doubled_results == 0


async def test_the_operator_killed_at_a_random_moment(
    model: CountingModel, start_operator: StartOperator, kube: KubeClient, namespace: str
) -> None:
    flags = agent_env(model)
    doomed = start_operator(*flags)
    await _apply(kube, namespace)
    runs = await trigger_all(kube, namespace)
    await asyncio.sleep(random.uniform(0.1, 1.5))  # the fault itself: a moment nobody chose
    doomed.kill()
    start_operator(*flags)
    outcome = await check_all(kube, namespace, runs, model)
    print(outcome.line("operator kill -9 at random"))
    assert outcome.doubled_results == 0


async def test_an_agent_killed_mid_step_has_its_task_reclaimed(
    model: CountingModel, start_operator: StartOperator, kube: KubeClient, namespace: str
) -> None:
    flags = agent_env(model)
    start_operator(*flags)
    await _apply(kube, namespace)
    model.slow_step, model.delay = 3, 2.0
    runs = await trigger_all(kube, namespace)
    await asyncio.to_thread(model.in_flight.acquire, timeout=60)
    (pod,) = (await kube.list(PODS, namespace, label_selector="arkonis.dev/deployment=chain-s3"))["items"]
    pid = int(pod["status"]["containerStatuses"][0]["containerID"].removeprefix("podrunner://"))
    os.kill(pid, signal.SIGKILL)
    outcome = await check_all(kube, namespace, runs, model)
    print(outcome.line("agent kill -9 mid-step"))
    assert outcome.doubled_results == 0
    assert outcome.repeated_calls >= 1  # the killed agent's calls ran again elsewhere


async def test_a_redis_restart_mid_run(
    model: CountingModel, start_operator: StartOperator, kube: KubeClient, namespace: str, queue: RedisServer
) -> None:
    flags = agent_env(model)
    start_operator(*flags)
    await _apply(kube, namespace)
    model.slow_step, model.delay = 2, 0.5
    runs = await trigger_all(kube, namespace)
    await asyncio.to_thread(model.in_flight.acquire, timeout=60)
    await asyncio.to_thread(queue.restart)
    outcome = await check_all(kube, namespace, runs, model)
    print(outcome.line("Redis restart mid-run"))
    assert outcome.doubled_results == 0


async def test_a_leader_failover_mid_run(
    model: CountingModel, start_operator: StartOperator, kube: KubeClient, namespace: str
) -> None:
    flags = agent_env(model)
    first = start_operator(*flags)
    await _apply(kube, namespace)
    await wait_for(first.leading, timeout=60, message="the first operator leading")
    second = start_operator(*flags)
    model.slow_step, model.delay = 2, 0.5
    runs = await trigger_all(kube, namespace)
    await asyncio.to_thread(model.in_flight.acquire, timeout=60)
    first.kill()
    await wait_for(second.leading, timeout=60, message="the second operator taking over")
    outcome = await check_all(kube, namespace, runs, model)
    print(outcome.line("leader failover mid-run"))
    assert outcome.doubled_results == 0
