"""Delegation through the operator, arkTeam steps as child runs, and retries."""

from __future__ import annotations

import pytest

from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.runs.create import retry_run
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.run.support import apply_team, finished, run_status, step, trigger

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

DESK = """
metadata: {name: desk}
spec:
  entry: triage
  roles:
    - {name: triage, model: mock, systemPrompt: p, canDelegate: [billing]}
    - {name: billing, model: mock, systemPrompt: p}
"""


async def test_a_delegation_becomes_a_child_step_and_its_answer_reaches_the_caller(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, DESK)
    name = await trigger(kube, namespace, "desk", task="invoice 7 is wrong")
    entry = await pods.task("desk-triage", "triage")
    request = await pods.delegate(entry, "billing", "check invoice 7", ident=f"{entry.id}/billing.abc")
    child = await pods.task("desk-billing", "triage/billing")
    assert (child.kind, child.parent, child.path, child.prompt) == (
        "delegate",
        entry.id,
        "triage/billing",
        "check invoice 7",
    )
    status = await run_status(kube, namespace, name)
    hop = step(status, "triage/billing")
    assert (hop["parent"], hop["role"], hop["delegationID"], hop["phase"]) == (
        "triage",
        "billing",
        request.id,
        "Running",
    )
    # The same call again (a pod that crashed and re-ran the task) creates no second hop.
    await pods.delegate(entry, "billing", "check invoice 7", ident=request.id)
    await pods.answer(child, "invoice 7 was paid twice")
    reply = await pods.reply(request)
    assert (reply.status, reply.output) == ("ok", "invoice 7 was paid twice")
    refused = await pods.delegate(entry, "triage", "loop", ident=f"{entry.id}/triage.x")
    answer = await pods.reply(refused)
    assert (answer.status, answer.error) == (
        "error",
        "role 'triage' is not one 'triage' may delegate to (canDelegate: billing)",
    )
    await pods.answer(entry, "refunded")
    status = await finished(kube, namespace, name)
    assert status["phase"] == "Succeeded"
    assert [s["name"] for s in status["steps"]] == ["triage", "triage/billing"]
    assert [t.id for t in await pods.tasks("desk-billing")] == [child.id]


OUTER = """
metadata: {name: outer}
spec:
  roles:
    - {name: research, arkTeam: inner}
    - {name: write, model: mock, systemPrompt: p}
  pipeline:
    - {role: research, inputs: {topic: "ice"}}
    - {role: write, dependsOn: [research], inputs: {notes: "{{ .steps.research.output }}"}}
"""
INNER = """
metadata: {name: inner}
spec:
  inputs: [{name: topic, required: true}]
  roles: [{name: look, model: mock, systemPrompt: p}]
  pipeline: [{role: look, inputs: {q: "{{ .input.topic }}"}}]
"""


async def test_an_ark_team_step_runs_the_team_as_a_child_run(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, INNER)
    await apply_team(kube, namespace, OUTER)
    name = await trigger(kube, namespace, "outer")
    look = await pods.task("inner-look", "look")
    assert look.prompt == "q: ice\n"
    child = await kube.get(ARK_RUNS, f"{name}-research-1", namespace)
    assert child["metadata"]["ownerReferences"][0]["name"] == name
    assert child["spec"]["trigger"] == {"type": "step", "source": f"{name}/research"}
    await pods.answer(look, "ice is cold", tokens=2)
    write = await pods.task("outer-write", "write")
    assert "ice is cold" in write.prompt
    await pods.answer(write, "a poem", tokens=1)
    status = await finished(kube, namespace, name)
    assert (status["phase"], step(status, "research")["output"]) == ("Succeeded", "ice is cold")
    assert step(status, "research")["tokenUsage"]["totalTokens"] == 4


async def test_a_retry_reuses_what_succeeded_and_runs_the_failed_step_again(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(
        kube,
        namespace,
        """
metadata: {name: two}
spec:
  roles: [{name: a, model: mock, systemPrompt: p}, {name: b, model: mock, systemPrompt: p}]
  pipeline: [{role: a}, {role: b, dependsOn: [a], inputs: {x: "{{ .steps.a.output }}"}}]
""",
    )
    name = await trigger(kube, namespace, "two")
    await pods.answer(await pods.task("two-a", "a"), "from a")
    await pods.answer(await pods.task("two-b", "b"), error="model down")
    failed = await finished(kube, namespace, name)
    assert failed["failedStep"] == "b"
    previous = await kube.get(ARK_RUNS, name, namespace)
    retried = await kube.create(ARK_RUNS, retry_run(previous, ["a"], source="test"))
    again = retried["metadata"]["name"]
    b_again = await pods.task("two-b", "b", run=retried["metadata"]["uid"])
    assert "from a" in b_again.prompt
    await pods.answer(b_again, "from b")
    status = await finished(kube, namespace, again)
    assert status["phase"] == "Succeeded"
    assert step(status, "a")["message"] == f"reused from run {name}"
    assert not [t for t in await pods.tasks("two-a") if t.run == retried["metadata"]["uid"]]


async def test_editing_the_team_does_not_change_a_run_already_started(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(
        kube,
        namespace,
        """
metadata: {name: edited}
spec:
  roles: [{name: a, model: mock, systemPrompt: p}, {name: b, model: mock, systemPrompt: p}]
  pipeline: [{role: a}, {role: b, dependsOn: [a], inputs: {ask: "the first wording"}}]
""",
    )
    name = await trigger(kube, namespace, "edited")
    first = await pods.task("edited-a", "a")
    team = await kube.get(ARK_TEAMS, "edited", namespace)
    pipeline = team["spec"]["pipeline"]
    pipeline[1]["inputs"] = {"ask": "a new wording"}
    await kube.patch(ARK_TEAMS, "edited", {"spec": {"pipeline": pipeline}}, namespace)
    await pods.answer(first, "a done")
    second = await pods.task("edited-b", "b")
    assert second.prompt == "ask: the first wording\n"
    await pods.answer(second, "b done")
    assert (await finished(kube, namespace, name))["phase"] == "Succeeded"
    later = await trigger(kube, namespace, "edited")
    run = await kube.get(ARK_RUNS, later, namespace)
    assert (run["spec"]["teamGeneration"], run["spec"]["teamSpec"]["pipeline"][1]["inputs"]) == (
        2,
        {"ask": "a new wording"},
    )
