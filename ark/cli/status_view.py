"""What ``ark status`` prints: the runs of a namespace, or one run in detail. Pure: no I/O.

Interface::

    text = runs_table(runs, now)            # NAME TEAM PHASE STEPS TOKENS DURATION AGE, newest first
    document = runs_json(runs, now)         # the same as JSON (docs/cli.md)
    text = run_detail(run, state, now)      # header, the steps with the delegation tree, the output
    table(rows)                             # kubectl's plain columns (3 spaces apart)

``runs`` are ArkRun objects as the API server returns them; ``state`` is the run as a
``RunState`` (:mod:`ark.cli.run_state`), with full outputs when they were read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ark.cli.duration import human_duration, short_duration
from ark.cli.run_view import depth, ordered_steps, step_note
from ark.flow.state import RunState, StepState

Obj = dict[str, Any]
JSON_VERSION = 1
NONE = "-"
LIST_COLUMNS = ("NAME", "TEAM", "PHASE", "STEPS", "TOKENS", "DURATION", "AGE")
STEP_COLUMNS = ("STEP", "PHASE", "TOKENS", "DURATION", "MESSAGE")
_DONE = ("Succeeded", "Skipped")


def _epoch(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns three spaces apart, as ``kubectl get`` prints them."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def expected_steps(run: Obj) -> int:
    """Steps a run will have at least: its pipeline's; a routed run's route and dispatch; an entry task."""
    snapshot = (run.get("spec") or {}).get("teamSpec") or {}
    if snapshot.get("pipeline"):
        return len(snapshot["pipeline"])
    return 2 if snapshot.get("routing") else 1


def step_counts(run: Obj) -> tuple[int, int]:
    """Steps done (Succeeded or Skipped) and in all (delegation hops count as they appear)."""
    steps = (run.get("status") or {}).get("steps") or []
    done = sum(1 for step in steps if step.get("phase") in _DONE)
    return done, max(len(steps), expected_steps(run))


def run_seconds(run: Obj, now: float) -> float | None:
    """How long the run took (or has been running)."""
    status = run.get("status") or {}
    if isinstance(status.get("durationSeconds"), int | float):
        return float(status["durationSeconds"])
    start = _epoch(status.get("startTime"))
    if start is None:
        return None
    end = _epoch(status.get("completionTime"))
    return max(0.0, (end if end is not None else now) - start)


def _created(run: Obj) -> float:
    return _epoch(run["metadata"].get("creationTimestamp")) or 0.0


def newest_first(runs: Sequence[Obj]) -> list[Obj]:
    """Runs by creation time, newest first (ties by name)."""
    by_name = sorted(runs, key=lambda run: run["metadata"]["name"])
    return sorted(by_name, key=_created, reverse=True)


def run_row(run: Obj, now: float) -> tuple[str, ...]:
    """One line of the runs table."""
    status = run.get("status") or {}
    done, total = step_counts(run)
    seconds = run_seconds(run, now)
    created = _epoch(run["metadata"].get("creationTimestamp"))
    return (
        run["metadata"]["name"],
        str(((run.get("spec") or {}).get("teamRef") or {}).get("name") or NONE),
        str(status.get("phase") or "Pending"),
        f"{done}/{total}",
        str((status.get("totalTokenUsage") or {}).get("totalTokens") or 0),
        short_duration(seconds) if seconds is not None else NONE,
        human_duration(now - created) if created is not None else NONE,
    )


def runs_table(runs: Sequence[Obj], now: float) -> str:
    """The runs of a namespace, newest first."""
    return table([LIST_COLUMNS, *(run_row(run, now) for run in newest_first(runs))])


def runs_json(runs: Sequence[Obj], namespace: str, now: float) -> dict[str, Any]:
    """``ark status -o json``: one summary per run, newest first."""
    items = []
    for run in newest_first(runs):
        status = run.get("status") or {}
        done, total = step_counts(run)
        seconds = run_seconds(run, now)
        items.append(
            {
                "name": run["metadata"]["name"],
                "team": ((run.get("spec") or {}).get("teamRef") or {}).get("name"),
                "phase": status.get("phase") or "Pending",
                "steps": {"done": done, "total": total},
                "tokens": (status.get("totalTokenUsage") or {}).get("totalTokens") or 0,
                "durationSeconds": round(seconds, 3) if seconds is not None else None,
                "creationTimestamp": run["metadata"].get("creationTimestamp"),
                "startTime": status.get("startTime"),
                "completionTime": status.get("completionTime"),
                "trigger": (run.get("spec") or {}).get("trigger"),
            }
        )
    return {"version": JSON_VERSION, "namespace": namespace, "runs": items}


def _step_name(state: RunState, step: StepState) -> str:
    level = depth(state, step)
    if not level:
        return step.name
    # Under its parent a hop needs only its last path part (``docs`` of ``triage/tech/docs``).
    return "  " * (level - 1) + "└─ " + step.name.rsplit("/", 1)[-1]


def _step_seconds(step: StepState, now: float) -> str:
    if step.start_time is None:
        return NONE
    end = step.completion_time if step.completion_time is not None else now
    return short_duration(max(0.0, end - step.start_time))


def _trigger(run: Obj) -> str:
    spec = run.get("spec") or {}
    trigger = spec.get("trigger") or {}
    text = str(trigger.get("type") or "manual")
    retry = spec.get("retryOf") or {}
    if retry.get("run"):
        text += f" of {retry['run']}"
        if retry.get("reuse"):
            text += f" (reusing {', '.join(retry['reuse'])})"
    if trigger.get("source") and trigger.get("source") != retry.get("run"):
        text += f" by {trigger['source']}"
    return text


def run_detail(run: Obj, state: RunState, now: float) -> str:
    """One run: what ran, how it went step by step (hops under their parent), and its output."""
    meta = run["metadata"]
    created = _epoch(meta.get("creationTimestamp"))
    seconds = run_seconds(run, now)
    phase = state.phase + (f" ({state.reason})" if state.reason and state.reason != state.phase else "")
    fields = [
        ("Name", meta["name"]),
        ("Namespace", str(meta.get("namespace") or NONE)),
        ("Team", f"{state.team} ({state.mode})"),
        ("Trigger", _trigger(run)),
        ("Phase", phase),
        (
            "Created",
            f"{meta.get('creationTimestamp') or NONE}"
            + (f" ({human_duration(now - created)} ago)" if created else ""),
        ),
        ("Duration", short_duration(seconds) if seconds is not None else NONE),
        ("Tokens", f"{state.total_tokens} ({state.input_tokens} in, {state.output_tokens} out)"),
    ]
    if state.message and state.phase != "Failed":
        fields.append(("Message", state.message))
    width = max(len(label) for label, _ in fields) + 3
    lines = [f"{label + ':':<{width}}{value}" for label, value in fields]
    lines.append("Input:" if state.inputs else "Input:".ljust(width) + "(none)")
    lines += [f"  {key}: {value}" for key, value in sorted(state.inputs.items())]
    rows = [STEP_COLUMNS]
    for step in ordered_steps(state):
        rows.append(
            (
                _step_name(state, step),
                step.phase,
                str(step.total_tokens),
                _step_seconds(step, now),
                step_note(step),
            )
        )
    lines += ["", table(rows).rstrip("\n")]
    if state.phase == "Failed":
        where = f'step "{state.failed_step}": ' if state.failed_step else ""
        failed = state.steps.get(state.failed_step or "")
        reason = failed.message if failed is not None and failed.message else state.message
        lines += ["", f"Failed: {where}{reason or state.reason}"]
    elif state.phase == "Succeeded":
        lines += ["", "Output:", state.output or ""]
    return "\n".join(lines) + "\n"
