"""The live ``--watch`` table of a run with more steps than the terminal has lines."""

from __future__ import annotations

from rich.console import Console

from ark.cli.run_view import watch_table
from ark.flow.state import RunState, StepState


def rows_of(table: object) -> list[list[str]]:
    console = Console(width=120, record=True, color_system=None)
    console.print(table)
    lines = [line for line in console.export_text().splitlines() if line.startswith("│")]
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]


def test_a_long_run_shows_what_runs_or_failed_then_what_finished_last_and_counts_the_rest() -> None:
    state = RunState("r", "big", "Pipeline", phase="Running", start_time=0.0)
    for i in range(30):
        done = i < 20
        state.steps[f"s{i}"] = StepState(
            f"s{i}",
            f"s{i}",
            "a",
            phase="Succeeded" if done else "Running" if i < 22 else "Pending",
            start_time=float(i) if i < 22 else None,
            completion_time=float(i) + 0.5 if done else None,
        )

    rows = rows_of(watch_table(state, 40.0, max_rows=6))

    assert [row[0] for row in rows] == ["s17", "s18", "s19", "s20", "s21", "…"]
    assert rows[-1][-1] == "25 more: 8 Pending, 17 Succeeded"


def test_without_a_limit_every_step_has_its_row() -> None:
    state = RunState("r", "big", "Pipeline", phase="Running", start_time=0.0)
    for i in range(30):
        state.steps[f"s{i}"] = StepState(f"s{i}", f"s{i}", "a")

    assert len(rows_of(watch_table(state, 1.0))) == 30
