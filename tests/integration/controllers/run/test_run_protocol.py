"""The data-plane rules of a run (architecture §4), with the test playing the agent pods."""

from __future__ import annotations

import re

import pytest

from ark.controllers.resources import ARK_RUNS
from ark.kube.resources import EVENTS
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.run.support import (
    apply_team,
    finished,
    run_snapshot,
    run_status,
    step,
    trigger,
)
from tests.support.wait import wait_for

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

CHAIN = """
metadata: {name: chain}
spec:
  inputs: [{name: topic, required: true}]
  roles:
    - {name: a, model: mock, systemPrompt: p}
    - {name: b, model: mock, systemPrompt: p, limits: {timeoutSeconds: 1}}
  pipeline:
    - {role: a, inputs: {prompt: "write about {{ .input.topic }}"}}
    - {role: b, dependsOn: [a], inputs: {draft: "{{ .steps.a.output }}"}}
  output: "{{ .steps.b.output }}"
"""


async def test_each_task_is_recorded_before_it_is_submitted_and_each_result_once(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, CHAIN)
    name = await trigger(kube, namespace, "chain", topic="otters")
    first = await pods.task("chain-a", "a")
    status = await run_status(kube, namespace, name)
    assert (status["phase"], step(status, "a")["phase"], step(status, "a")["taskID"]) == (
        "Running",
        "Running",
        first.id,
    )
    assert first.prompt == "prompt: write about otters\n"
    await pods.answer(first, "otters are great", tokens=5)
    await pods.answer(first, "a second delivery of the same result", tokens=5)
    second = await pods.task("chain-b", "b")
    assert second.prompt == 'draft: <ark:step-output step="a">\notters are great\n</ark:step-output>\n'
    await pods.answer(second, "Otters: great.", tokens=3)
    status = await finished(kube, namespace, name)
    assert (status["phase"], status["output"]) == ("Succeeded", "Otters: great.")
    assert step(status, "a")["output"] == "otters are great"
    assert status["totalTokenUsage"] == {"inputTokens": 8, "outputTokens": 8, "totalTokens": 16}
    assert [t.id for t in await pods.tasks("chain-a")] == [first.id]
    assert await wait_for(lambda: _clean(pods), timeout=10, message="results acknowledged and removed")


async def _clean(pods: object) -> bool:
    return await pods.leftovers() == (0, 0)  # type: ignore[attr-defined, no-any-return]


async def test_garbage_and_results_for_unknown_tasks_are_dropped_and_nothing_else_is_disturbed(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, CHAIN)
    name = await trigger(kube, namespace, "chain", topic="otters")
    first = await pods.task("chain-a", "a")
    await pods.write({"hello": "world"})
    await pods.write({"id": "x", "run": first.run, "step": "a", "status": "maybe"})
    await pods.write({"id": "no-such-run.a.1", "run": "no-such-run", "step": "a", "status": "ok"})
    await pods.write(
        {"id": f"{first.run}.a.7", "run": first.run, "step": "a", "status": "ok", "output": "stale"}
    )
    await pods.answer(first, "real")
    second = await pods.task("chain-b", "b")
    await pods.answer(second, "fine")
    status = await finished(kube, namespace, name)
    assert (status["phase"], step(status, "a")["output"]) == ("Succeeded", "real")
    assert await wait_for(lambda: _clean(pods), timeout=10, message="every entry acknowledged")


async def test_a_step_whose_agent_never_answers_fails_at_its_timeout_naming_the_step(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator(step_grace=0.5)
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, CHAIN)
    name = await trigger(kube, namespace, "chain", topic="otters")
    await pods.answer(await pods.task("chain-a", "a"), "ok")
    await pods.task("chain-b", "b")
    status = await finished(kube, namespace, name, timeout=30)
    message = status["message"]
    assert (status["phase"], status["failedStep"]) == ("Failed", "b")
    assert re.fullmatch(
        r'step "b" failed: the task gave no result within 1 s \(limits\.timeoutSeconds; waited 2\.\d s, '
        r"allowing for a redelivery after a crash\)",
        message,
    ), message
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "StepFailed")
    events = await wait_for(lambda: _events(kube, namespace, name, "StepFailed"), timeout=10, message="Event")
    assert events[0]["message"] == message


async def _events(kube: object, namespace: str, name: str, reason: str) -> list[dict[str, object]]:
    page = await kube.list(EVENTS, namespace, field_selector=f"involvedObject.name={name}")  # type: ignore[attr-defined]
    return [e for e in page["items"] if e["reason"] == reason]


MISSING_AGENT = """
metadata: {name: desk}
spec:
  entry: triage
  roles:
    - {name: triage, model: mock, systemPrompt: p, canDelegate: [billing]}
    - {name: billing, arkAgent: billing-agent}
"""


async def test_a_run_of_a_team_whose_agent_is_missing_fails_naming_it(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    await apply_team(cluster.kube, namespace, MISSING_AGENT)
    name = await trigger(cluster.kube, namespace, "desk", task="hello")
    status = await finished(cluster.kube, namespace, name)
    assert status["message"] == 'ArkAgent "billing-agent" (role "billing") does not exist'
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "AgentNotFound"
    assert await wait_for(lambda: _events(cluster.kube, namespace, name, "AgentNotFound"), timeout=10)


async def test_a_run_written_by_hand_gets_its_snapshot_and_runs(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    await apply_team(kube, namespace, CHAIN)
    for name, spec in (
        ("by-hand", {"teamRef": {"name": "chain"}, "input": {"topic": "owls"}}),
        ("no-team", {"teamRef": {"name": "nobody"}}),
        ("no-input", {"teamRef": {"name": "chain"}}),
    ):
        body = {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkRun",
            "metadata": {"name": name},
            "spec": spec,
        }
        await kube.create(ARK_RUNS, body, namespace)
    task = await cluster.pods.task("chain-a", "a")
    assert task.prompt == "prompt: write about owls\n"
    run = await kube.get(ARK_RUNS, "by-hand", namespace)
    assert run["spec"]["teamSpec"]["pipeline"][0]["role"] == "a"
    assert run["spec"]["teamGeneration"] == 1
    missing = await finished(kube, namespace, "no-team")
    assert missing["message"] == f"ArkTeam {namespace}/nobody does not exist"
    no_input = await finished(kube, namespace, "no-input")
    assert no_input["message"] == 'missing required input "topic": pass --input topic=...'
    assert next(c for c in no_input["conditions"] if c["type"] == "Ready")["reason"] == "InvalidInput"


async def test_a_snapshot_with_a_cycle_fails_the_run_as_an_invalid_dag(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    snapshot = {
        "roles": [
            {"name": "a", "model": "m", "systemPrompt": "p"},
            {"name": "b", "model": "m", "systemPrompt": "p"},
        ],
        "pipeline": [{"role": "a", "dependsOn": ["b"]}, {"role": "b", "dependsOn": ["a"]}],
    }
    status = await run_snapshot(cluster.kube, namespace, "cyclic", snapshot)
    assert status["message"] == "dependency cycle: a -> b -> a"
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["reason"] == "InvalidDAG"


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        # Unknown fields: the CRD keeps what it no longer checks (D193), the operator names it.
        (
            {"entry": "a", "roles": [{"name": "a", "model": "m", "systemPrompt": "p", "colour": "red"}]},
            "the ArkRun spec is invalid: spec.teamSpec.roles[0].colour: Extra inputs are not permitted",
        ),
        # A rule the ArkTeam CRD enforces with CEL.
        (
            {"entry": "a", "roles": [{"name": "a", "model": "m"}]},
            "the ArkRun spec is invalid: spec.teamSpec.roles[0].systemPrompt: "
            "an inline role needs systemPrompt or systemPromptRef",
        ),
    ],
    ids=["unknown-field", "team-rule"],
)
async def test_a_snapshot_written_by_hand_is_checked_by_the_operator(
    start_operator: Start, namespace: str, snapshot: dict[str, object], message: str
) -> None:
    cluster = await start_operator()
    status = await run_snapshot(cluster.kube, namespace, "by-hand", snapshot)
    assert status["phase"] == "Failed"
    assert status["message"] == message
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["reason"] == "InvalidSpec"


async def test_a_result_over_the_cap_is_recorded_as_the_steps_error(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator("--agent-env=AGENT_MAX_RESULT_BYTES=1000")
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, CHAIN)
    name = await trigger(kube, namespace, "chain", topic="otters")
    await pods.answer(await pods.task("chain-a", "a"), "x" * 1001)
    status = await finished(kube, namespace, name)
    assert status["message"] == (
        'step "a" failed: the output is 1001 bytes, more than the 1000-byte result cap '
        "(AGENT_MAX_RESULT_BYTES); not recorded"
    )
    assert "output" not in step(status, "a")
