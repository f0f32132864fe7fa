"""Run history limits: the newest runs of each terminal phase are kept."""

from __future__ import annotations

from typing import Any

from ark.controllers.team.history import latest_run, runs_to_delete


def _run(
    name: str,
    phase: str | None,
    done: str = "",
    created: str = "2026-01-01T00:00:00Z",
    trigger: str = "manual",
) -> dict[str, Any]:
    status = {"phase": phase, "completionTime": done} if phase else {}
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {"trigger": {"type": trigger}},
        "status": status,
    }


def test_older_runs_past_each_limit_are_deleted_oldest_first() -> None:
    runs = [_run(f"s{i}", "Succeeded", f"2026-01-01T00:00:0{i}Z") for i in range(5)]
    runs += [_run(f"f{i}", "Failed", f"2026-01-01T00:01:0{i}Z") for i in range(3)]
    runs += [_run("going", "Running"), _run("new", None)]
    assert runs_to_delete(runs, succeeded=2, failed=1) == ["s0", "s1", "s2", "f0", "f1"]
    assert runs_to_delete(runs, succeeded=0, failed=0) == ["s0", "s1", "s2", "s3", "s4", "f0", "f1", "f2"]


def test_runs_that_are_steps_of_another_run_are_left_to_their_parent() -> None:
    runs = [_run("child", "Succeeded", "2026-01-01T00:00:00Z", trigger="step"), _run("own", "Succeeded", "1")]
    assert runs_to_delete(runs, succeeded=0, failed=0) == ["own"]


def test_the_latest_run_is_the_newest_created() -> None:
    runs = [
        _run("a", "Succeeded", created="2026-01-01T00:00:01Z"),
        _run("b", None, created="2026-01-01T00:00:02Z"),
    ]
    assert latest_run(runs) == ("b", None)
    assert latest_run([]) is None
