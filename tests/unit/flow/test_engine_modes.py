"""Dynamic (delegation tree) and routed (router call, fallback) runs, and mixed pipelines."""

from __future__ import annotations

import json

import pytest

from ark.flow.engine import DelegationRefused
from ark.flow.plan import AgentLimits, Capability
from tests.unit.flow.support import Harness, error, harness, ok

DYNAMIC = """
entry: triage
roles:
  - {name: triage, model: m, systemPrompt: p, canDelegate: [billing, tech]}
  - {name: billing, model: m, systemPrompt: p}
  - {name: tech, model: m, systemPrompt: p, canDelegate: [docs]}
  - {name: docs, model: m, systemPrompt: p}
"""


def _delegate(h: Harness, parent_id: str, role: str, prompt: str = "sub-task") -> str:
    child, actions = h.engine.delegate(h.state, parent_id, role, prompt, h.now)
    h.record(actions)
    return child


def test_the_entry_task_gets_the_input_and_its_answer_is_the_output() -> None:
    h = harness(DYNAMIC, {"task": "refund please", "customer": "ann"})
    (entry,) = h.start()
    assert (entry.step, entry.kind, entry.prompt) == (
        "triage",
        "step",
        "customer: ann\ntask: refund please\n",
    )
    assert h.submitted[0].agent == "t-triage"
    h.answer(entry, "done")
    assert (h.state.phase, h.state.output) == ("Succeeded", "done")


def test_delegations_are_recorded_as_a_tree_of_child_steps() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    billing = _delegate(h, entry.id, "billing", "invoice 7?")
    tech = _delegate(h, entry.id, "tech")
    tech_task = next(s.task for s in h.submitted if s.task.id == tech)
    docs = _delegate(h, tech, "docs")
    assert (billing, tech, docs) == ("r1.triage/billing.1", "r1.triage/tech.1", "r1.triage/tech/docs.1")
    child = h.submitted[1]
    assert child.agent == "t-billing"
    assert (child.task.kind, child.task.parent, child.task.path, child.task.prompt) == (
        "delegate",
        entry.id,
        "triage/billing",
        "invoice 7?",
    )
    assert tech_task.path == "triage/tech"
    assert next(s.task for s in h.submitted if s.task.id == docs).path == "triage/tech/docs"
    steps = h.state.steps
    assert (steps["triage/tech/docs"].parent, steps["triage/tech/docs"].role) == ("triage/tech", "docs")
    assert steps["triage/billing"].kind == "delegate"


def test_a_child_result_answers_the_waiting_delegate_call() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    child_id = _delegate(h, entry.id, "billing")
    child = next(t for t in h.open if t.id == child_id)
    h.answer(child, ok(child, "invoice paid", tokens=3))
    assert h.replies[-1].task_id == child_id
    assert (h.replies[-1].output, h.replies[-1].error) == ("invoice paid", None)
    assert h.state.steps["triage/billing"].phase == "Succeeded"
    assert h.state.total_tokens == 6
    assert h.state.phase == "Running"


def test_a_failed_child_reports_to_its_parent_and_does_not_fail_the_run() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    child_id = _delegate(h, entry.id, "billing")
    child = next(t for t in h.open if t.id == child_id)
    h.answer(child, error(child, "model down"))
    assert (h.replies[-1].output, h.replies[-1].error) == ("", "model down")
    assert h.state.steps["triage/billing"].phase == "Failed"
    h.answer(entry, "did it myself")
    assert h.state.phase == "Succeeded"


def test_a_call_made_again_with_its_delegation_id_finds_the_recorded_hop() -> None:
    # An agent that crashed mid-task runs it again and makes the same delegate() call.
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    first, actions = h.engine.delegate(h.state, entry.id, "billing", "p", h.now, delegation_id="call-1")
    h.record(actions)
    again, repeat = h.engine.delegate(h.state, entry.id, "billing", "p", h.now, delegation_id="call-1")
    assert (again, repeat) == (first, [])
    assert [s.task.id for s in h.submitted].count(first) == 1
    child = next(t for t in h.open if t.id == first)
    h.answer(child, ok(child, "paid"))
    _, replayed = h.engine.delegate(h.state, entry.id, "billing", "p", h.now, delegation_id="call-1")
    assert [(a.task_id, a.output, a.error) for a in replayed] == [(first, "paid", None)]  # type: ignore[union-attr]
    assert h.state.steps["triage/billing"].delegation_id == "call-1"
    assert set(h.state.steps) == {"triage", "triage/billing"}


def test_a_repeated_call_to_a_failed_hop_gets_its_error_again() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    first, actions = h.engine.delegate(h.state, entry.id, "billing", "p", h.now, delegation_id="c")
    h.record(actions)
    child = next(t for t in h.open if t.id == first)
    h.answer(child, error(child, "model down"))
    _, replayed = h.engine.delegate(h.state, entry.id, "billing", "p", h.now, delegation_id="c")
    assert [(a.output, a.error) for a in replayed] == [("", "model down")]  # type: ignore[union-attr]


def test_repeated_delegations_to_one_role_get_numbered_steps() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    names = [_delegate(h, entry.id, "billing") for _ in range(3)]
    assert names == ["r1.triage/billing.1", "r1.triage/billing#2.1", "r1.triage/billing#3.1"]


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("docs", "role 'docs' is not one 'triage' may delegate to (canDelegate: billing, tech)"),
        ("nobody", "role 'nobody' is not one 'triage' may delegate to (canDelegate: billing, tech)"),
    ],
)
def test_delegation_outside_can_delegate_is_refused(role: str, message: str) -> None:
    h = harness(DYNAMIC, {"task": "x"})
    (entry,) = h.start()
    with pytest.raises(DelegationRefused, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        h.engine.delegate(h.state, entry.id, role, "p", h.now)
    assert set(h.state.steps) == {"triage"}


def test_delegation_back_along_the_path_is_refused() -> None:
    spec = """
entry: a
roles:
  - {name: a, model: m, systemPrompt: p, canDelegate: [b]}
  - {name: b, model: m, systemPrompt: p, canDelegate: [a]}
"""
    # ark validate refuses this cycle; the engine still guards against it at run time (§18 #12).
    h = harness(spec, {"task": "x"})
    (entry,) = h.start()
    child = _delegate(h, entry.id, "b")
    with pytest.raises(DelegationRefused, match=r"would loop back along the path a -> b -> a"):
        h.engine.delegate(h.state, child, "a", "p", h.now)


def test_delegation_depth_is_bounded() -> None:
    spec = (
        "entry: r0\nroles:\n"
        + "".join(
            f"  - {{name: r{i}, model: m, systemPrompt: p, canDelegate: [r{i + 1}]}}\n" for i in range(4)
        )
        + "  - {name: r4, model: m, systemPrompt: p}\n"
    )
    h = harness(spec, {"task": "x"}, max_depth=2)
    (entry,) = h.start()
    hop1 = _delegate(h, entry.id, "r1")
    hop2 = _delegate(h, hop1, "r2")
    with pytest.raises(DelegationRefused, match=r"delegation depth limit 2 reached \(path r0 -> r1 -> r2\)"):
        h.engine.delegate(h.state, hop2, "r3", "p", h.now)


def test_delegation_is_refused_once_the_budget_is_spent_or_the_run_is_over() -> None:
    h = harness(DYNAMIC + "maxTokens: 5\n", {"task": "x"})
    (entry,) = h.start()
    child_id = _delegate(h, entry.id, "billing")
    child = next(t for t in h.open if t.id == child_id)
    h.answer(child, ok(child, "big", tokens=10))
    with pytest.raises(DelegationRefused, match=r"token budget \(spec.maxTokens\) is spent"):
        h.engine.delegate(h.state, entry.id, "tech", "p", h.now)
    h.answer(entry, "over")
    assert h.state.reason == "BudgetExceeded"
    with pytest.raises(DelegationRefused, match="already finished"):
        h.engine.delegate(h.state, entry.id, "tech", "p", h.now)


def test_unknown_parent_task_is_refused() -> None:
    h = harness(DYNAMIC, {"task": "x"})
    h.start()
    with pytest.raises(DelegationRefused, match="is not running in this run"):
        h.engine.delegate(h.state, "r1.nobody.1", "billing", "p", h.now)


def test_when_the_run_ends_running_children_are_cancelled_and_their_callers_answered() -> None:
    h = harness(DYNAMIC + "timeoutSeconds: 10\n", {"task": "x"})
    (entry,) = h.start()
    child_id = _delegate(h, entry.id, "billing")
    h.tick(h.now + 10)
    assert h.state.reason == "TimedOut"
    assert h.replies[-1].task_id == child_id
    assert h.replies[-1].error == "cancelled: the run timed out"
    assert sorted(h.cancelled) == sorted([entry.id, child_id])


def test_a_delegated_task_times_out_like_a_step_without_failing_the_run() -> None:
    h = harness(
        DYNAMIC.replace(
            "{name: billing, model: m, systemPrompt: p}",
            "{name: billing, model: m, systemPrompt: p, limits: {timeoutSeconds: 10}}",
        ),
        {"task": "x"},
        grace=0,
    )
    (entry,) = h.start()
    child_id = _delegate(h, entry.id, "billing")
    h.tick(h.now + 10)
    assert h.state.steps["triage/billing"].phase == "Failed"
    assert h.replies[-1].error == "the task gave no result within 10 s (limits.timeoutSeconds)"
    assert h.state.phase == "Running"
    assert child_id in h.cancelled


def test_mixed_pipelines_delegate_from_steps() -> None:
    spec = """
roles:
  - {name: writer, model: m, systemPrompt: p, canDelegate: [fact]}
  - {name: fact, model: m, systemPrompt: p}
pipeline:
  - {role: writer, inputs: {topic: x}}
"""
    h = harness(spec)
    (writer,) = h.start()
    assert h.engine.plan.mode == "Mixed"
    child_id = _delegate(h, writer.id, "fact")
    child = next(t for t in h.open if t.id == child_id)
    h.answer(child, "a fact")
    h.answer(writer, "an article")
    assert h.state.phase == "Succeeded"
    assert h.state.output == "an article"  # delegation hops are not pipeline sinks


CAPABILITIES = (
    Capability("sql-expert", "sql", "Writes SQL.", ("data",)),
    Capability("k8s-expert", "kubernetes", "Kubernetes help."),
    Capability("a-sql-too", "sql", "Also SQL."),
)
AGENTS = {
    "sql-expert": AgentLimits(60, 1000),
    "k8s-expert": AgentLimits(),
    "a-sql-too": AgentLimits(),
    "generalist": AgentLimits(),
}
ROUTED = """
routing: {registryRef: {name: reg}, model: cheap, fallback: generalist}
"""


def _routed(spec: str = ROUTED, inputs: dict[str, str] | None = None) -> Harness:
    return harness(spec, inputs or {"task": "slow query"}, capabilities=CAPABILITIES, agents=AGENTS)


def test_the_router_sees_the_capabilities_and_must_answer_one_of_them() -> None:
    h = _routed()
    (route,) = h.start()
    assert (route.kind, route.step, route.id) == ("route", "route", "r1.route.1")
    assert h.submitted[0].agent == "t-router"
    assert route.prompt.startswith(
        "Capabilities:\n- sql: Writes SQL. (tags: data)\n- kubernetes: Kubernetes help.\n\n"
        "Task:\ntask: slow query\n"
    )
    schema = json.loads(route.output_schema)
    assert schema["properties"]["capability"]["enum"] == ["sql", "kubernetes", "none"]


def test_the_chosen_capability_dispatches_the_whole_task_to_its_agent() -> None:
    h = _routed()
    (route,) = h.start()
    (task,) = h.answer(route, '{"capability": "sql", "reason": "a query"}')
    assert (h.submitted[-1].agent, task.step, task.prompt) == ("a-sql-too", "a-sql-too", "task: slow query\n")
    route_step = h.state.steps["route"]
    assert (route_step.resolved_agent, route_step.selected_capability, route_step.routing_reason) == (
        "a-sql-too",
        "sql",
        "a query",
    )
    assert route_step.message == "routed to a-sql-too (capability sql)"
    h.answer(task, "SELECT 1")
    assert (h.state.phase, h.state.output) == ("Succeeded", "SELECT 1")
    assert list(h.state.steps) == ["route", "a-sql-too"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ('{"capability": "none", "reason": "cooking"}', "cooking"),
        ('{"capability": "poetry", "reason": "a poem"}', "no agent offers capability 'poetry' (a poem)"),
        ("I think SQL", "the router did not answer with JSON"),
    ],
)
def test_no_fitting_capability_falls_back(answer: str, reason: str) -> None:
    h = _routed()
    (route,) = h.start()
    h.answer(route, answer)
    assert h.submitted[-1].agent == "generalist"
    assert h.state.steps["route"].routing_reason == reason
    assert h.state.steps["route"].message == "routed to generalist (fallback)"


def test_a_failed_router_call_falls_back_too() -> None:
    h = _routed()
    (route,) = h.start()
    h.answer(route, error(route, "HTTP 500"))
    assert h.state.steps["route"].routing_reason == "the router call failed: HTTP 500"
    assert h.submitted[-1].agent == "generalist"


def test_without_a_fallback_an_unroutable_task_fails_the_run() -> None:
    h = _routed("routing: {registryRef: {name: reg}, model: cheap}\n")
    (route,) = h.start()
    h.answer(route, '{"capability": "none", "reason": "cooking"}')
    assert h.state.phase == "Failed"
    assert h.state.failed_step == "route"
    assert h.state.steps["route"].message == "no capability fits (cooking) and routing.fallback is not set"


def test_a_fallback_that_is_not_known_fails_the_run_naming_it() -> None:
    h = harness(ROUTED, {"task": "x"}, capabilities=CAPABILITIES, agents={"sql-expert": AgentLimits()})
    (route,) = h.start()
    h.answer(route, '{"capability": "none", "reason": "?"}')
    assert h.state.steps["route"].message == 'agent "generalist" is not available to run the task'


def test_the_dispatched_task_uses_its_agents_limits() -> None:
    capabilities = (Capability("sql-expert", "sql", "Writes SQL."),)
    h = harness(ROUTED, {"task": "x"}, capabilities=capabilities, agents=AGENTS)
    (route,) = h.start()
    assert route.max_tokens == 8000
    (task,) = h.answer(route, '{"capability": "sql", "reason": "q"}')
    assert task.max_tokens == 1000
    assert task.deadline_ms == int((h.now + 60) * 1000)
