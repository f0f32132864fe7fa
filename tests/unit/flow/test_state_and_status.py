"""The run state survives JSON and ``ArkRun.status`` round trips, at every point of a run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ark.api.kinds import parse_object, to_wire
from ark.api.run import ArkRun
from ark.flow.state import RunState, StepState
from ark.flow.status import from_status, to_status
from ark_runtime.protocol import Task
from tests.unit.flow.support import Harness, error, harness, ok
from tests.unit.flow.test_engine_modes import AGENTS, CAPABILITIES, DYNAMIC, ROUTED
from tests.unit.flow.test_engine_pipeline import LOOP, SCHEMA, SEMANTIC

SPEC_WITH_EVERYTHING = """
maxTokens: 100000
timeoutSeconds: 600
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
  - {name: c, model: m, systemPrompt: p}
pipeline:
  - role: a
    outputSchema: '{"type": "object", "required": ["n"]}'
  - role: b
    dependsOn: [a]
    if: "{{ .steps.a.data.n }}"
    validate: {semantic: "ok?", contains: "x", onFailure: retry, maxRetries: 2}
  - role: c
    dependsOn: [a]
    if: "{{ .input.never }}"
"""


def _through_status(h: Harness) -> RunState:
    """What the controller would rebuild after persisting ``status`` (via the wire form)."""
    wire = to_wire(ArkRun.model_validate({"spec": {"teamRef": {"name": "t"}}, "status": to_status(h.state)}))
    run = parse_object(wire)
    assert isinstance(run, ArkRun)
    assert run.status is not None
    return from_status(run.status, h.engine.plan, run_uid=h.state.run_uid, inputs=h.state.inputs)


def _comparable(state: RunState) -> dict[str, object]:
    data = state.to_dict()
    for step in data["steps"]:  # not in the API: resume restarts in-flight deadlines
        step.pop("submitted_at", None)
    return data


def _check_round_trips(h: Harness) -> None:
    assert RunState.from_json(h.state.to_json()) == h.state
    assert _comparable(_through_status(h)) == _comparable(h.state)


def _answers() -> Callable[[Task], object]:
    replies = iter(['{"m": 1}', '{"n": 1}', "no", "FAIL: bad", "x marks", "pass"])
    return lambda task: next(replies)


def test_every_intermediate_state_of_a_pipeline_round_trips() -> None:
    h = harness(SPEC_WITH_EVERYTHING)
    h.start()
    _check_round_trips(h)
    answer = _answers()
    while h.open and not h.state.finished:
        task = h.open[0]
        h.answer(task, answer(task))  # type: ignore[arg-type]
        _check_round_trips(h)
    assert h.state.phase == "Succeeded"
    assert h.state.steps["b"].validation_retries == 2
    assert h.state.steps["a"].schema_retries == 1
    assert h.state.steps["c"].phase == "Skipped"


@pytest.mark.parametrize("spec", [SCHEMA, SEMANTIC, LOOP])
def test_retrying_judging_and_looping_steps_round_trip(spec: str) -> None:
    h = harness(spec)
    h.start()
    replies = iter(["not json", '{"ok": 1}', "fail: no", "x", "pass", "DONE"] * 3)
    for _ in range(6):
        if not h.open or h.state.finished:
            break
        h.answer(h.open[0], next(replies))
        _check_round_trips(h)


def test_a_resumed_state_continues_exactly_like_the_original() -> None:
    h = harness(SEMANTIC)
    (task,) = h.start()
    (judge,) = h.answer(task, "an answer")
    rebuilt = _through_status(h)
    assert rebuilt.steps["n"].judging
    resumed = Harness(h.engine, rebuilt, now=h.now)
    (again,) = resumed.record(h.engine.resume(rebuilt, h.now))
    assert again == judge
    resumed.answer(again, "fail: nope")
    (retry,) = resumed.open
    assert retry.id == "r1.n.2"
    assert retry.prompt.endswith("rejected: validate.semantic: nope\nAnswer again and fix that.\n")


def test_dynamic_and_routed_states_round_trip() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    child, actions = h.engine.delegate(h.state, entry.id, "tech", "why?", h.now)
    h.record(actions)
    grandchild, actions = h.engine.delegate(h.state, child, "docs", "find it", h.now, delegation_id="d1")
    h.record(actions)
    _check_round_trips(h)
    rebuilt = _through_status(h)
    assert rebuilt.steps["triage/tech/docs"].kind == "delegate"
    assert rebuilt.steps["triage/tech/docs"].agent == "t-docs"
    assert rebuilt.steps["triage/tech/docs"].delegation_id == "d1"
    task = next(t for t in h.open if t.id == grandchild)
    h.answer(task, error(task, "no docs"))
    _check_round_trips(h)

    r = harness(ROUTED, {"task": "q"}, capabilities=CAPABILITIES, agents=AGENTS)
    (route,) = r.start()
    _check_round_trips(r)
    (dispatched,) = r.answer(route, '{"capability": "kubernetes", "reason": "pods"}')
    _check_round_trips(r)
    rebuilt = _through_status(r)
    assert (rebuilt.steps["route"].kind, rebuilt.steps["route"].agent) == ("route", "t-router")
    assert rebuilt.steps["k8s-expert"].agent == "k8s-expert"
    r.answer(dispatched, "kubectl get pods")
    _check_round_trips(r)


def test_status_carries_the_documented_fields() -> None:
    h = harness(SCHEMA)
    h.run(lambda task: ok(task, '{"steps": []}', tokens=7))
    status = to_status(h.state)
    wire = status.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert wire["phase"] == "Succeeded"
    assert wire["totalTokenUsage"] == {"inputTokens": 7, "outputTokens": 7, "totalTokens": 14}
    assert wire["durationSeconds"] == 1.0
    (step,) = wire["steps"]
    assert step["taskID"] == "r1.chef.1"
    assert step["outputJSON"] == '{"steps":[]}'
    assert step["tokenUsage"]["totalTokens"] == 14
    (ready,) = wire["conditions"]
    assert (ready["type"], ready["status"], ready["reason"]) == ("Ready", "True", "Succeeded")


def test_a_failed_run_has_a_false_ready_condition_with_the_reason() -> None:
    h = harness(SCHEMA)
    h.run(lambda task: "nope")
    status = to_status(h.state)
    assert status.failed_step == "chef"
    assert status.conditions is not None
    (ready,) = status.conditions
    assert (ready.status, ready.reason) == ("False", "StepFailed")
    assert ready.message == status.message


def test_unknown_fields_and_phases_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown step state fields: colour"):
        StepState.from_dict({"name": "a", "role": "a", "agent": "x", "colour": "red"})
    with pytest.raises(ValueError, match="unknown phase 'Done'"):
        StepState.from_dict({"name": "a", "role": "a", "agent": "x", "phase": "Done"})
    with pytest.raises(ValueError, match="unknown run phase"):
        RunState.from_dict({"run_uid": "r", "team": "t", "mode": "Pipeline", "phase": "Over"})


def test_run_uids_with_dots_are_refused() -> None:
    h = harness(SCHEMA)
    with pytest.raises(ValueError, match="must not contain"):
        h.engine.new_state("a.b", {})
