"""Run history limits (``successfulRunsHistoryLimit``, ``failedRunsHistoryLimit``; §18 #15). Pure.

The newest runs of each terminal phase are kept (by completion time, then creation time, then
name); older ones are deleted, and their outputs and child runs go with them (owner references).
Runs that are steps of another run (``trigger.type: step``) are not counted: they belong to their
parent and go when it goes. Runs still going are never deleted.

Interface::

    names = runs_to_delete(runs, succeeded=10, failed=5)
    name, phase = latest_run(runs)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Obj = dict[str, Any]


def _is_step(run: Obj) -> bool:
    return bool(((run.get("spec") or {}).get("trigger") or {}).get("type") == "step")


def _created(run: Obj) -> tuple[str, str, str]:
    # creationTimestamp has whole seconds; the start time (written by the operator) breaks ties.
    meta = run.get("metadata") or {}
    started = str((run.get("status") or {}).get("startTime") or "")
    return str(meta.get("creationTimestamp") or ""), started, str(meta.get("name") or "")


def _finished(run: Obj) -> tuple[str, str, str, str]:
    status = run.get("status") or {}
    return (str(status.get("completionTime") or ""), *_created(run))


def runs_to_delete(runs: Sequence[Obj], *, succeeded: int, failed: int) -> list[str]:
    """Names of the runs past the history limits, oldest first."""
    out: list[str] = []
    for phase, keep in (("Succeeded", succeeded), ("Failed", failed)):
        done = [r for r in runs if (r.get("status") or {}).get("phase") == phase and not _is_step(r)]
        done.sort(key=_finished, reverse=True)
        out += [r["metadata"]["name"] for r in reversed(done[keep:])]
    return out


def latest_run(runs: Sequence[Obj]) -> tuple[str, str | None] | None:
    """(name, phase) of the most recently created run."""
    if not runs:
        return None
    newest = max(runs, key=_created)
    return newest["metadata"]["name"], (newest.get("status") or {}).get("phase")
