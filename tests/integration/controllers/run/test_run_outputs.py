"""Outputs bigger than an ArkRun can hold: 3 MiB over four steps, across an operator restart."""

from __future__ import annotations

import json

import pytest

from ark.api.run import ArkRunStatus
from ark.controllers.resources import ARK_RUNS
from ark.kube.resources import CONFIGMAPS
from ark.runs.outputs import OUTPUT_OF_LABEL, restore_outputs
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.run.support import apply_team, finished, run_status, step, trigger

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

BIG = 800 * 1024
TEAM = """
metadata: {name: essays}
spec:
  roles:
    - {name: s1, model: mock, systemPrompt: p}
    - {name: s2, model: mock, systemPrompt: p}
    - {name: s3, model: mock, systemPrompt: p}
    - {name: s4, model: mock, systemPrompt: p}
  pipeline:
    - {role: s1}
    - {role: s2, dependsOn: [s1], inputs: {before: "{{ .steps.s1.output }}"}}
    - {role: s3, dependsOn: [s2], inputs: {before: "{{ .steps.s2.output }}"}}
    - {role: s4, dependsOn: [s3], inputs: {before: "{{ .steps.s3.output }}"}}
  output: "{{ .steps.s1.output }}{{ .steps.s4.output }}"
"""


def essay(index: int) -> str:
    # Under the 1 MiB result cap on its own; more than 3 MiB over the four steps.
    line = f"essay {index}: " + "é" * 4 + "a" * 36 + "\n"
    return (line * (BIG // len(line) + 1))[:BIG]


async def test_outputs_of_3_mib_are_kept_whole_outside_the_status(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, TEAM)
    name = await trigger(kube, namespace, "essays")
    await pods.answer(await pods.task("essays-s1", "s1"), essay(1))
    s2 = await pods.task("essays-s2", "s2")
    assert essay(1) in s2.prompt
    await pods.answer(s2, essay(2))
    await pods.task("essays-s3", "s3")
    # A new operator must take the run over from its status and the ConfigMaps alone.
    await cluster.stop()
    cluster = await start_operator()
    s3 = await pods.task("essays-s3", "s3")
    assert essay(2) in s3.prompt
    await pods.answer(s3, essay(3))
    s4 = await pods.task("essays-s4", "s4")
    assert essay(3) in s4.prompt
    await pods.answer(s4, essay(4))
    status = await finished(kube, namespace, name)
    assert status["phase"] == "Succeeded"
    run = await kube.get(ARK_RUNS, name, namespace)
    assert len(json.dumps(run).encode()) < 1024 * 1024
    for index in range(1, 5):
        ref = step(status, f"s{index}")["outputRef"]
        assert ref["size"] == BIG
        assert step(status, f"s{index}")["output"].startswith(f"essay {index}: ")
    full = await restore_outputs(
        kube, namespace, ArkRunStatus.model_validate(status, by_alias=True, by_name=False)
    )
    assert [s.output for s in full.steps or ()] == [essay(i) for i in range(1, 5)]
    assert full.output == essay(1) + essay(4)
    parts = await kube.list(
        CONFIGMAPS, namespace, label_selector=f"{OUTPUT_OF_LABEL}={run['metadata']['uid']}"
    )
    # Owned by the run: the garbage collector removes them with it.
    assert all(p["metadata"]["ownerReferences"][0]["name"] == name for p in parts["items"])
    total = sum(len(p["data"]["part"].encode()) for p in parts["items"])
    assert total > 3 * 1024 * 1024


async def test_a_run_status_stays_readable_while_running(start_operator: Start, namespace: str) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, TEAM)
    name = await trigger(kube, namespace, "essays")
    await pods.answer(await pods.task("essays-s1", "s1"), essay(1))
    await pods.task("essays-s2", "s2")
    status = await run_status(kube, namespace, name)
    assert step(status, "s1")["output"].endswith("characters in all; `ark status` shows the whole output]")
