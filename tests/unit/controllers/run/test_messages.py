"""Translations between engine actions and queue entries in the run controller."""

from __future__ import annotations

from ark.api.run import ArkRunStatus
from ark.api.shared import TokenUsage
from ark.controllers.run.messages import (
    child_result,
    failed_before_start,
    owed_replies,
    refusal,
    reply_for,
)
from ark.flow.actions import DelegationReply
from ark_runtime.protocol import DelegationRequest
from tests.unit.flow.support import harness, ok

DYNAMIC = """
entry: triage
roles:
  - {name: triage, model: m, systemPrompt: p, canDelegate: [billing]}
  - {name: billing, model: m, systemPrompt: p}
"""


def test_a_reply_goes_to_the_parent_tasks_reply_stream_under_the_calls_id() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    child_id, actions = h.engine.delegate(h.state, entry.id, "billing", "p", h.now, delegation_id="call-7")
    h.record(actions)
    stream, result = reply_for(h.state, "ns", DelegationReply(child_id, "paid")) or ("", None)
    assert stream == f"ark:replies:ns:{entry.id}"
    assert result is not None
    assert (result.id, result.status, result.output, result.step) == (
        "call-7",
        "ok",
        "paid",
        "triage/billing",
    )
    _, failed = reply_for(h.state, "ns", DelegationReply(child_id, "", "model down")) or ("", None)
    assert failed is not None
    assert (failed.status, failed.error, failed.output) == ("error", "model down", "")


def test_no_reply_when_the_parent_no_longer_waits() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    child_id, actions = h.engine.delegate(h.state, entry.id, "billing", "p", h.now, delegation_id="c")
    h.record(actions)
    h.answer(entry, "done without it")
    assert reply_for(h.state, "ns", DelegationReply(child_id, "late")) is None
    assert reply_for(h.state, "ns", DelegationReply("unknown", "x")) is None


def test_answers_owed_after_a_restart_are_those_of_finished_hops_with_a_waiting_parent() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    first, actions = h.engine.delegate(h.state, entry.id, "billing", "a", h.now, delegation_id="c1")
    h.record(actions)
    _, actions = h.engine.delegate(h.state, entry.id, "billing", "b", h.now, delegation_id="c2")
    h.record(actions)
    task = next(t for t in h.open if t.id == first)
    h.answer(task, ok(task, "answer 1"))
    owed = owed_replies(h.state, "ns")
    assert [(s, r.id, r.output) for s, r in owed] == [(f"ark:replies:ns:{entry.id}", "c1", "answer 1")]


def test_a_refusal_answers_the_request_itself() -> None:
    request = DelegationRequest("req", "run", "parent", "docs", "p", "ark:replies:ns:parent")
    stream, result = refusal(request, "role 'docs' is not one 'triage' may delegate to")
    assert stream == "ark:replies:ns:parent"
    assert (result.id, result.status, result.error) == (
        "req",
        "error",
        "role 'docs' is not one 'triage' may delegate to",
    )


def test_a_team_steps_result_comes_from_its_runs_end() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    step = h.state.steps["triage"]
    running = ArkRunStatus(phase="Running")
    assert child_result(step, "other", running, "r1") is None
    usage = TokenUsage(input_tokens=3, output_tokens=4, total_tokens=7)
    done = child_result(
        step, "other", ArkRunStatus(phase="Succeeded", output="out", total_token_usage=usage), "r1"
    )
    assert done is not None
    assert (done.id, done.run, done.status, done.output, done.total_tokens) == (
        entry.id,
        "r1",
        "ok",
        "out",
        7,
    )
    failed = child_result(step, "other", ArkRunStatus(phase="Failed", message='step "a" failed: x'), "r1")
    assert failed is not None
    assert (failed.status, failed.error) == ("error", 'team other: step "a" failed: x')


def test_a_run_that_cannot_start_fails_with_the_reason() -> None:
    status = failed_before_start("InvalidDAG", "dependency cycle: a -> b -> a", 1_700_000_000.0, 2)
    assert (status.phase, status.message, status.observed_generation, status.duration_seconds) == (
        "Failed",
        "dependency cycle: a -> b -> a",
        2,
        0.0,
    )
    (ready,) = status.conditions or []
    assert (ready.status, ready.reason) == ("False", "InvalidDAG")
