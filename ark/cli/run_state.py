"""An ArkRun object as the engine's ``RunState``, so the cluster commands show runs as ``ark run`` does. Pure.

Interface::

    plan = run_plan(run)                            # from spec.teamSpec (or a team spec given)
    state = run_state(run, plan)                    # status -> RunState (ark.flow.status.from_status)
    state = run_state(run, plan, restored_status)   # with outputs read back from ConfigMaps
    document = run_json(run, state)                 # ``ark run -o json``'s shape, ``run`` = the ArkRun name
    terminal(run)                                   # Succeeded or Failed

The state's ``run_uid`` is the ArkRun's ``metadata.uid``: task ids are ``{uid}.{step}.{attempt}``,
which is how a step being judged is told apart. A run with no status yet shows its plan's steps
as Pending.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ark.api import ArkRunStatus, ArkTeamSpec
from ark.cli.run_view import result_json
from ark.flow.engine import Engine, EngineOptions
from ark.flow.plan import PlanError, RunPlan, build_plan
from ark.flow.state import TERMINAL_RUN_PHASES, RunState
from ark.flow.status import from_status

Obj = dict[str, Any]


class RunDataError(ValueError):
    """The ArkRun cannot be shown (no team snapshot, or one that does not parse)."""


def team_name(run: Obj) -> str:
    """The team a run ran (``spec.teamRef.name``)."""
    return str(((run.get("spec") or {}).get("teamRef") or {}).get("name") or "")


def run_plan(run: Obj, team_spec: Obj | None = None) -> RunPlan:
    """The plan of ``run``: its ``spec.teamSpec`` snapshot, else ``team_spec`` (the live team's)."""
    name = run["metadata"]["name"]
    snapshot = (run.get("spec") or {}).get("teamSpec") or team_spec
    if snapshot is None:
        raise RunDataError(f"ArkRun {name} has no team snapshot (spec.teamSpec) yet")
    try:
        spec = ArkTeamSpec.model_validate(snapshot, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise RunDataError(f"ArkRun {name}: spec.teamSpec is not a valid team spec: {exc}") from None
    try:
        return build_plan(team_name(run), spec)
    except PlanError:
        # The operator fails such a run (InvalidDAG); its status still shows as recorded.
        return RunPlan(team=team_name(run), mode=spec.mode)


def run_state(run: Obj, plan: RunPlan, status: ArkRunStatus | None = None) -> RunState:
    """``run``'s status (or ``status``, e.g. with outputs restored) as a ``RunState``."""
    meta = run["metadata"]
    uid = str(meta.get("uid") or meta["name"]).replace(".", "-")
    inputs = dict((run.get("spec") or {}).get("input") or {})
    if status is None:
        try:
            status = ArkRunStatus.model_validate(run.get("status") or {})
        except ValidationError as exc:
            raise RunDataError(f"ArkRun {meta['name']}: the status does not parse: {exc}") from None
    state = from_status(status, plan, run_uid=uid, inputs=inputs)
    if not state.steps and (plan.steps or plan.entry or plan.routing):
        state.steps = Engine(plan, EngineOptions()).new_state(uid, inputs).steps
    return state


def run_json(run: Obj, state: RunState) -> dict[str, Any]:
    """The ``-o json`` document: ``ark run``'s (docs/run.md), with the ArkRun's name as ``run``."""
    document = result_json(state, {})
    document["run"] = run["metadata"]["name"]
    return document


def terminal(run: Obj) -> bool:
    """Whether the run has reached a phase that never changes."""
    return (run.get("status") or {}).get("phase") in TERMINAL_RUN_PHASES
