"""The run controller continues the trace the trigger stored on the ArkRun (real operator, real Redis)."""

from __future__ import annotations

import pytest

from ark.api.run import RunTrigger
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.runs.create import run_for_team
from ark.runs.trace_context import with_traceparent
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.run.support import apply_team, finished
from tests.support.spans import Spans

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

TEAM = """
metadata: {name: traced}
spec:
  roles:
    - {name: a, model: mock, systemPrompt: p}
    - {name: b, model: mock, systemPrompt: p}
  pipeline:
    - {role: a, inputs: {prompt: "one"}}
    - {role: b, dependsOn: [a], inputs: {prompt: "two"}}
  output: "{{ .steps.b.output }}"
"""
ROOT_TRACE, ROOT_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


async def test_step_tasks_are_submitted_in_the_runs_trace(
    start_operator: Start, namespace: str, spans: Spans
) -> None:
    cluster = await start_operator()
    kube, pods = cluster.kube, cluster.pods
    await apply_team(kube, namespace, TEAM)
    team = await kube.get(ARK_TEAMS, "traced", namespace)
    body = run_for_team(team, {}, RunTrigger(type="manual", source="test")).body
    created = await kube.create(ARK_RUNS, with_traceparent(body, f"00-{ROOT_TRACE}-{ROOT_SPAN}-01"))
    name = created["metadata"]["name"]

    first = await pods.task("traced-a", "a")
    await pods.answer(first, "done a", tokens=1)
    second = await pods.task("traced-b", "b")
    await pods.answer(second, "done b", tokens=1)
    assert (await finished(kube, namespace, name))["phase"] == "Succeeded"

    # A submit span ends before its task is written, so both are finished by now.
    found = [s for s in spans.finished() if s.name == "ark.step.submit"]
    by_step = {(s.attributes or {})["ark.step"]: s for s in found if (s.attributes or {})["ark.run"] == name}
    assert sorted(by_step) == ["a", "b"]
    for task in (first, second):
        span = by_step[task.step]
        assert span.parent is not None
        assert format(span.parent.span_id, "016x") == ROOT_SPAN
        assert (span.attributes or {})["ark.team"] == "traced"
        _, trace_id, span_id, _ = task.traceparent.split("-")
        assert (trace_id, span_id) == (ROOT_TRACE, format(span.context.span_id, "016x"))
