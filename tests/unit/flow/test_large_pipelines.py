"""Pipelines of thousands of steps: the engine schedules, skips and finishes them like small ones."""

from __future__ import annotations

from ark.api.loading import load_texts
from ark.api.team import ArkTeam
from ark.flow.engine import Engine, EngineOptions
from ark.flow.plan import build_plan
from ark.flow.state import RunState
from tests.bench.workloads import chain, layered
from tests.unit.flow.support import Harness, echo, harness


def flat(steps: int, skipped_every: int) -> str:
    roles = "".join(f"  - {{name: s{i}, model: m, systemPrompt: p}}\n" for i in range(steps))
    pipeline = "".join(
        f"  - {{role: s{i}, inputs: {{n: '{i}'}}"
        + (", if: 'false'" if i % skipped_every == 0 else "")
        + "}\n"
        for i in range(steps)
    )
    return f"roles:\n{roles}pipeline:\n{pipeline}"


def test_a_wide_pipeline_runs_in_order_within_its_slots_and_skips_at_once() -> None:
    h = harness(flat(600, skipped_every=3), max_parallel=3)

    first = h.start()

    # Every step whose `if` is false is skipped as soon as it is ready, slots or not.
    assert [task.step for task in first] == ["s1", "s2", "s4"]
    assert sum(1 for _, phase, _ in h.changes if phase == "Skipped") == 200
    running = 3
    while h.open:
        task = h.open.pop(0)
        running = max(running, sum(1 for s in h.state.steps.values() if s.phase == "Running"))
        h.answer(task, f"answer of {task.step}")
    submitted = [s.task.step for s in h.submitted]
    assert submitted == [f"s{i}" for i in range(600) if i % 3]
    assert running == 3
    assert h.state.phase == "Succeeded"


def run_generated(text: str) -> Harness:
    (team,) = load_texts([("team.yaml", text)]).objects
    assert isinstance(team, ArkTeam)
    spec = team.spec
    engine = Engine(build_plan("t", spec), EngineOptions(max_parallel=10))
    h = Harness(engine, engine.new_state("r1", {"topic": "x"}))
    h.run(echo, limit=25_000)
    return h


def test_ten_thousand_step_chains_and_layers_succeed() -> None:
    for text in (chain(10_000), layered(10_000, 10)):
        h = run_generated(text)

        assert h.state.phase == "Succeeded"
        assert len(h.submitted) == 10_000
        assert h.state.output == "answer of s9999"


def test_a_run_resumed_from_its_serialised_state_carries_on() -> None:
    h = harness(flat(40, skipped_every=10), max_parallel=3)
    h.start()
    restored = Harness(h.engine, RunState.from_json(h.state.to_json()), now=h.now)

    resubmitted = restored.record(h.engine.resume(restored.state, restored.now))

    assert [task.step for task in resubmitted] == ["s1", "s2", "s3"]
    while restored.open:
        task = restored.open.pop(0)
        restored.answer(task, "done")
    assert restored.state.phase == "Succeeded"
    assert [s.task.step for s in restored.submitted] == [f"s{i}" for i in range(40) if i % 10]


def test_validate_reads_a_ten_thousand_step_team_and_warns_about_the_cluster_bound() -> None:
    result = load_texts([("big.yaml", layered(10_000, 10))])

    (document,) = result.documents
    assert [(issue.location, issue.severity) for issue in document.issues] == [
        ("spec.roles", "warning"),
        ("spec.pipeline", "warning"),
    ]
    assert document.issues[0].message == (
        "10,000 roles: the API server accepts at most 1,000 (the CRD's maxItems)"
    )
