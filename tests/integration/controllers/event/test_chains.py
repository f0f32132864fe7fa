"""Team-output chains as a user builds them: A -> B -> C runs end to end, a cycle of events is
refused naming the events, and a lineage that is already deep does not fire again."""

from __future__ import annotations

import pytest

from ark.api.run import RunTrigger
from ark.controllers.event.chains import DEPTH_ANNOTATION, MAX_CHAIN_DEPTH
from ark.controllers.event.controller import ARK_EVENTS
from ark.controllers.event.names import fire_run_name
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.runs.create import run_for_team
from tests.integration.controllers.conftest import Cluster, Start
from tests.integration.controllers.event.support import (
    apply_event,
    event_status,
    fired,
    get_run,
    ready_reason,
    with_reason,
)
from tests.integration.controllers.run.support import apply_team, finished
from tests.integration.controllers.support import condition
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]


def team(name: str) -> str:
    return f"""
metadata: {{name: {name}}}
spec:
  inputs: [{{name: text}}]
  entry: work
  roles: [{{name: work, model: mock, systemPrompt: p}}]
"""


def relay(name: str, watched: str, target: str) -> str:
    return f"""
metadata: {{name: {name}}}
spec:
  source: {{type: team-output, teamOutput: {{name: {watched}}}}}
  targets: [{{team: {target}, input: {{text: "{{{{ .trigger.output }}}} then {target}"}}}}]
"""


async def start_run(kube: KubeClient, namespace: str, name: str, depth: int = 0) -> str:
    """A manual run of team ``name``; ``depth`` > 0 as if a chain that deep had created it."""
    body = run_for_team(
        await kube.get(ARK_TEAMS, name, namespace), {"text": "go"}, RunTrigger(type="manual", source="test")
    ).body
    if depth:
        body["metadata"]["annotations"] = {DEPTH_ANNOTATION: str(depth)}
    return str((await kube.create(ARK_RUNS, body))["metadata"]["name"])


async def play(cluster: Cluster, team_name: str, run: str, output: str) -> None:
    """Answer the run's one task as team ``team_name``'s agent would, and wait for Succeeded."""
    uid = (await cluster.kube.get(ARK_RUNS, run, cluster.namespace))["metadata"]["uid"]
    task = await cluster.pods.task(f"{team_name}-work", "work", run=uid)
    await cluster.pods.answer(task, output)
    assert (await finished(cluster.kube, cluster.namespace, run))["phase"] == "Succeeded"


async def test_a_chain_of_three_teams_runs_end_to_end(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    for name in ("a", "b", "c"):
        await apply_team(kube, namespace, team(name))
    await apply_event(kube, namespace, relay("a-to-b", "a", "b"))
    await apply_event(kube, namespace, relay("b-to-c", "b", "c"))
    await ready_reason(kube, namespace, "b-to-c", "Watching")

    first = await start_run(kube, namespace, "a")
    await play(cluster, "a", first, "A")
    second = fire_run_name("a-to-b", first, 0)
    run_b = await wait_for(lambda: get_run(kube, namespace, second), timeout=30, message="B's run")
    assert run_b["spec"]["input"] == {"text": "A then b"}
    assert run_b["metadata"]["annotations"][DEPTH_ANNOTATION] == "1"
    await play(cluster, "b", second, "B")
    third = fire_run_name("b-to-c", second, 0)
    run_c = await wait_for(lambda: get_run(kube, namespace, third), timeout=30, message="C's run")
    assert run_c["spec"]["input"] == {"text": "B then c"}
    assert run_c["metadata"]["annotations"][DEPTH_ANNOTATION] == "2"
    await play(cluster, "c", third, "C")
    assert (await kube.get(ARK_RUNS, third, namespace))["status"]["output"] == "C"
    for name in ("a-to-b", "b-to-c"):
        assert (await event_status(kube, namespace, name))["firedCount"] == 1


async def test_a_cycle_of_events_is_refused_naming_them_and_lifted_when_broken(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    for name in ("a", "b"):
        await apply_team(kube, namespace, team(name))
    await apply_event(kube, namespace, relay("a-to-b", "a", "b"))
    await ready_reason(kube, namespace, "a-to-b", "Watching")
    await apply_event(kube, namespace, relay("b-to-a", "b", "a"))

    # Closing the cycle is noticed by the event that was there first too: no edit of it.
    for name, cycle in (
        ("a-to-b", "a-to-b (a -> b), b-to-a (b -> a)"),
        ("b-to-a", "b-to-a (b -> a), a-to-b (a -> b)"),
    ):
        ready = await ready_reason(kube, namespace, name, "TeamOutputCycle")
        assert ready["status"] == "False"
        assert ready["message"] == f"spec.targets[0].team: team-output events form a cycle: {cycle}"
    assert "TeamOutputCycle" in (
        await wait_for(
            lambda: with_reason(kube, namespace, "a-to-b", "TeamOutputCycle"), timeout=10, message="the Event"
        )
    )

    upstream = await start_run(kube, namespace, "a")
    await play(cluster, "a", upstream, "A")
    await kube.delete(ARK_EVENTS, "b-to-a", namespace)
    await ready_reason(kube, namespace, "a-to-b", "Watching")
    # Refused, it did not fire; once the cycle is gone it fires for the run that ended meanwhile.
    await wait_for(lambda: fired(kube, namespace, "a-to-b", 1), timeout=30, message="the late fire")
    assert await get_run(kube, namespace, fire_run_name("a-to-b", upstream, 0)) is not None


async def test_a_lineage_already_at_the_bound_does_not_fire(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    for name in ("a", "b"):
        await apply_team(kube, namespace, team(name))
    await apply_event(kube, namespace, relay("a-to-b", "a", "b"))
    await ready_reason(kube, namespace, "a-to-b", "Watching")

    last_allowed = await start_run(kube, namespace, "a", depth=MAX_CHAIN_DEPTH - 1)
    await play(cluster, "a", last_allowed, "A")
    run = await wait_for(
        lambda: get_run(kube, namespace, fire_run_name("a-to-b", last_allowed, 0)), timeout=30, message="fire"
    )
    assert run["metadata"]["annotations"][DEPTH_ANNOTATION] == str(MAX_CHAIN_DEPTH)

    too_deep = await start_run(kube, namespace, "a", depth=MAX_CHAIN_DEPTH)
    await play(cluster, "a", too_deep, "A")
    reasons = await wait_for(
        lambda: with_reason(kube, namespace, "a-to-b", "ChainTooDeep"), timeout=30, message="ChainTooDeep"
    )
    expected = (
        f"ArkRun {too_deep} is {MAX_CHAIN_DEPTH} team-output fires deep "
        f"(annotation {DEPTH_ANNOTATION}): not firing, the chain may be a loop"
    )
    assert reasons["ChainTooDeep"] == expected
    status = await event_status(kube, namespace, "a-to-b")
    assert condition({"status": status}, "Fired")["reason"] == "ChainTooDeep"
    assert status["firedCount"] == 1
    assert await get_run(kube, namespace, fire_run_name("a-to-b", too_deep, 0)) is None
