"""An ArkTeam as a user drives it with kubectl: agents appear, phases follow readiness, missing
references are named and found again, budgets scale the team down and back, history is pruned."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from ark.controllers.budget import team_budget_key
from ark.controllers.resources import ARK_AGENTS, ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient, NotFound
from ark.kube.resources import EVENTS
from ark_runtime.queue.budget import WINDOW_MS
from tests.conftest import Kubectl
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.run.support import apply_team, finished, trigger
from tests.integration.controllers.support import condition, env_of, get_deployment
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

REPO = Path(__file__).resolve().parents[4]
SAMPLES = REPO / "manifests" / "samples"


async def _team(kube: KubeClient, namespace: str, name: str) -> dict[str, Any]:
    return await kube.get(ARK_TEAMS, name, namespace)


async def _phase(kube: KubeClient, namespace: str, name: str, phase: str) -> dict[str, Any] | None:
    team = await _team(kube, namespace, name)
    status = team.get("status") or {}
    generation = team["metadata"]["generation"]
    return team if status.get("phase") == phase and status.get("observedGeneration") == generation else None


async def test_a_pipeline_team_gets_its_agents_and_becomes_ready(
    start_operator: Start, namespace: str, kubectl: Kubectl
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    kubectl("create", "secret", "generic", "llm-credentials", "-n", namespace, "--from-literal=K=v")
    kubectl("apply", "-n", namespace, "-f", str(SAMPLES / "team-pipeline.yaml"))
    team = await wait_for(
        lambda: _phase(kube, namespace, "recipe-planner", "Ready"), timeout=60, message="Ready"
    )
    status = team["status"]
    assert status["mode"] == "Pipeline"
    assert status["roles"] == [
        {"name": "chef", "agent": "recipe-planner-chef", "readyReplicas": 2, "replicas": 2},
        {"name": "critic", "agent": "recipe-planner-critic", "readyReplicas": 1, "replicas": 1},
        {"name": "nutritionist", "agent": "recipe-planner-nutritionist", "readyReplicas": 1, "replicas": 1},
    ]
    assert condition(team, "Ready")["reason"] == "RolesReady"
    chef = await kube.get(ARK_AGENTS, "recipe-planner-chef", namespace)
    assert chef["spec"]["limits"]["timeoutSeconds"] == 90
    assert chef["spec"]["envFrom"] == [{"secretRef": {"name": "llm-credentials"}}]
    assert {"name": "AGENT_TEAM_ROLE", "value": "chef"} in chef["spec"]["env"]
    assert chef["metadata"]["ownerReferences"][0]["kind"] == "ArkTeam"
    name = await trigger(kube, namespace, "recipe-planner", dish="soup")
    columns = await wait_for(
        lambda: _columns(kubectl, namespace, name), timeout=30, message="Last Run column"
    )
    assert columns == ["recipe-planner", "Pipeline", "Ready", name]  # Entry is empty for a pipeline
    events = await kube.list(EVENTS, namespace, field_selector="involvedObject.name=recipe-planner")
    assert "Ready" in {e["reason"] for e in events["items"]}


def _columns(kubectl: Kubectl, namespace: str, run: str) -> list[str] | None:
    out = kubectl("get", "arkteam", "recipe-planner", "-n", namespace, "--no-headers").stdout.split()
    return out[:4] if run in out else None


DESK = """
metadata: {name: desk}
spec:
  entry: triage
  roles:
    - {name: triage, model: mock, systemPrompt: p, canDelegate: [billing, tech]}
    - {name: billing, arkAgent: billing-agent}
    - {name: tech, model: mock, systemPrompt: p}
"""


async def test_a_missing_agent_is_named_found_by_watch_and_losing_it_degrades_the_team(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, DESK)
    pending = await wait_for(
        lambda: _reason(kube, namespace, "desk", "MissingReference"), timeout=30, message="MissingReference"
    )
    assert pending["status"]["phase"] == "Pending"
    assert condition(pending, "Ready")["message"] == 'ArkAgent "billing-agent" (role billing) does not exist'
    routes = await kube.get(ARK_AGENTS, "desk-triage", namespace)
    route_var = next(v for v in routes["spec"]["env"] if v["name"] == "AGENT_TEAM_ROUTES")
    assert json.loads(route_var["value"]) == {
        "billing": f"ark:tasks:{namespace}:billing-agent",
        "tech": f"ark:tasks:{namespace}:desk-tech",
    }
    agent = {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkAgent",
        "metadata": {"name": "billing-agent", "namespace": namespace},
        "spec": {"model": "mock", "systemPrompt": "bills"},
    }
    await kube.create(ARK_AGENTS, agent)
    await wait_for(
        lambda: _phase(kube, namespace, "desk", "Ready"), timeout=60, message="Ready once it exists"
    )
    billing = await wait_for(
        lambda: _env_has(kube, namespace, "billing-agent", "AGENT_TEAM_ROLE"), timeout=30, message="team env"
    )
    assert (billing["AGENT_TEAM_NAME"]["value"], billing["AGENT_TEAM_ROLE"]["value"]) == ("desk", "billing")
    await kube.patch(ARK_AGENTS, "billing-agent", {"spec": {"replicas": 0}}, namespace)
    degraded = await wait_for(
        lambda: _phase(kube, namespace, "desk", "Degraded"), timeout=60, message="Degraded"
    )
    assert condition(degraded, "Ready")["message"] == "no ready replica: billing 0/0"


async def _env_has(kube: KubeClient, namespace: str, agent: str, name: str) -> dict[str, Any] | None:
    deployment = await get_deployment(kube, namespace, agent)
    env = env_of(deployment) if deployment is not None else {}
    return env if name in env else None


async def _reason(kube: KubeClient, namespace: str, name: str, reason: str) -> dict[str, Any] | None:
    team = await _team(kube, namespace, name)
    return team if condition(team, "Ready").get("reason") == reason else None


async def test_an_agent_of_a_removed_role_is_deleted(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(
        kube,
        namespace,
        DESK.replace("canDelegate: [billing, tech]", "canDelegate: [tech]").replace(
            "    - {name: billing, arkAgent: billing-agent}\n", ""
        ),
    )
    await wait_for(lambda: _exists(kube, namespace, "desk-tech"), timeout=30, message="desk-tech")
    team = await _team(kube, namespace, "desk")
    roles = [r for r in team["spec"]["roles"] if r["name"] != "tech"]
    roles[0].pop("canDelegate")
    await kube.patch(ARK_TEAMS, "desk", {"spec": {"roles": roles}}, namespace)
    await wait_for(lambda: _gone(kube, namespace, "desk-tech"), timeout=30, message="desk-tech deleted")
    assert await _exists(kube, namespace, "desk-triage")


async def _exists(kube: KubeClient, namespace: str, name: str) -> bool:
    try:
        await kube.get(ARK_AGENTS, name, namespace)
    except NotFound:
        return False
    return True


async def _gone(kube: KubeClient, namespace: str, name: str) -> bool:
    return not await _exists(kube, namespace, name)


BUDGETED = """
metadata: {name: frugal}
spec:
  limits: {maxDailyTokens: 100}
  successfulRunsHistoryLimit: 1
  roles: [{name: a, model: mock, systemPrompt: p, replicas: 2}]
  pipeline: [{role: a}]
"""


async def test_the_team_budget_scales_its_agents_to_zero_and_back_when_the_window_frees(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, BUDGETED)
    name = await trigger(kube, namespace, "frugal")
    await pods.answer(await pods.task("frugal-a", "a"), "ok", tokens=30)
    await finished(kube, namespace, name)
    # Recorded from the result: 60 tokens. An older 50 pushes the team over until it leaves the window.
    key = team_budget_key(namespace, "frugal")
    # Written in the Redis round trip that follows the status write that the test saw.
    members = await wait_for(lambda: cluster.redis.zrange(key, 0, -1), timeout=10, message="usage recorded")
    assert members == [f"{(await pods.tasks('frugal-a'))[0].id}:60"]
    leaves_in_ms = 6000
    await cluster.redis.zadd(key, {"older.a.1:50": time.time_ns() // 1_000_000 - WINDOW_MS + leaves_in_ms})
    await kube.patch(ARK_TEAMS, "frugal", {"metadata": {"annotations": {"nudge": "1"}}}, namespace)
    second = await trigger(kube, namespace, "frugal")
    spent = await wait_for(lambda: _reason(kube, namespace, "frugal", "BudgetExceeded"), timeout=30)
    assert condition(spent, "BudgetExceeded")["reason"] == "DailyLimitReached"
    agent = await kube.get(ARK_AGENTS, "frugal-a", namespace)
    assert agent["spec"]["replicas"] == 0
    third = await trigger(kube, namespace, "frugal")
    refused = await finished(kube, namespace, third)
    assert refused["message"].startswith("ArkTeam frugal: 110 of 100 tokens used in the last 24 h")
    await wait_for(lambda: _replicas(kube, namespace, "frugal-a", 2), timeout=30, message="scaled back")
    assert second


async def _replicas(kube: KubeClient, namespace: str, name: str, count: int) -> bool:
    agent = await kube.get(ARK_AGENTS, name, namespace)
    return bool(agent["spec"]["replicas"] == count)


async def test_history_limits_delete_older_runs(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, BUDGETED.replace("  limits: {maxDailyTokens: 100}\n", ""))
    names = []
    for _ in range(3):
        name = await trigger(kube, namespace, "frugal")
        task = await pods.task(
            "frugal-a", "a", run=(await kube.get(ARK_RUNS, name, namespace))["metadata"]["uid"]
        )
        await pods.answer(task, "ok")
        await finished(kube, namespace, name)
        names.append(name)
    await wait_for(lambda: _runs_left(kube, namespace, [names[-1]]), timeout=30, message="older runs deleted")


async def _runs_left(kube: KubeClient, namespace: str, expected: list[str]) -> bool:
    runs = await kube.list(ARK_RUNS, namespace)
    return sorted(r["metadata"]["name"] for r in runs["items"]) == sorted(expected)
