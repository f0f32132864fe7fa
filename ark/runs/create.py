"""The ArkRun a trigger creates (reference §5, decision §18 #2). Pure: no I/O.

Interface::

    new = run_for_team(team, {"dish": "soup"}, RunTrigger(type="manual", source="alice"))
    new.body, new.warnings                # the object to POST; undeclared-input warnings
    body = child_run(parent_run, "research", 1, team, {"topic": "..."})   # an arkTeam step
    body = retry_run(previous_run, ["chef"], source="alice")               # ark retry
    body = with_snapshot(run, team)       # the spec patch for a run created by hand

``team``, ``parent_run`` and ``previous_run`` are objects as the API server returns them. Input
is resolved here (declared defaults, legacy ``spec.input``, then the trigger's values; §18 #10),
so a missing required input raises :class:`~ark.flow.inputs.InputError` before anything exists.
The team spec is copied as the server stores it (``spec.teamSpec``), so later edits of the team
never change the run.

Names: ``generateName: <team>-`` (the server adds five characters); a child run is named after
its parent, step and attempt, so creating it again after a crash finds the first one. Labels:
``arkonis.dev/team``, ``arkonis.dev/trigger`` (the trigger type) and
``app.kubernetes.io/managed-by: ark``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ark.api import API_VERSION, ArkTeamSpec
from ark.api.run import RunTrigger, TriggerType
from ark.flow.inputs import resolve_inputs

Obj = dict[str, Any]

TEAM_LABEL = "arkonis.dev/team"
TRIGGER_LABEL = "arkonis.dev/trigger"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "ark"
MAX_LABEL_VALUE = 63
MAX_CHILD_NAME = 63


@dataclass(frozen=True)
class NewRun:
    """An ArkRun to create, and what was odd about the trigger's input."""

    body: Obj
    warnings: list[str] = field(default_factory=list)


def label_value(name: str) -> str:
    """``name`` as a label value: as is up to 63 characters, else shortened with a hash."""
    if len(name) <= MAX_LABEL_VALUE:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_LABEL_VALUE - 11].rstrip('-.')}-{digest}"


def run_labels(team: str, trigger: TriggerType) -> dict[str, str]:
    """Labels of every run of ``team`` (§18 #2)."""
    return {TEAM_LABEL: label_value(team), TRIGGER_LABEL: trigger, MANAGED_BY_LABEL: MANAGED_BY}


def team_spec_of(team: Obj) -> ArkTeamSpec:
    """The parsed spec of a team object (raises ``pydantic.ValidationError`` when invalid)."""
    return ArkTeamSpec.model_validate(team.get("spec") or {}, by_alias=True, by_name=False)


def _spec(team: Obj, inputs: Mapping[str, str], trigger: RunTrigger) -> Obj:
    meta = team["metadata"]
    spec: Obj = {
        "teamRef": {"name": meta["name"]},
        "input": dict(inputs),
        "teamSpec": copy.deepcopy(team.get("spec") or {}),
        "trigger": trigger.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    if meta.get("generation") is not None:
        spec["teamGeneration"] = int(meta["generation"])
    return spec


def run_for_team(team: Obj, given: Mapping[str, str], trigger: RunTrigger) -> NewRun:
    """A run of ``team`` with the trigger's input; raises ``InputError`` for a missing input."""
    resolved = resolve_inputs(team_spec_of(team), given)
    meta = team["metadata"]
    body: Obj = {
        "apiVersion": API_VERSION,
        "kind": "ArkRun",
        "metadata": {
            "generateName": f"{meta['name']}-",
            "namespace": meta["namespace"],
            "labels": run_labels(meta["name"], trigger.type),
        },
        "spec": _spec(team, resolved.values, trigger),
    }
    return NewRun(body, list(resolved.warnings))


def child_run_name(parent: str, step: str, attempt: int) -> str:
    """Deterministic name of the run an ``arkTeam`` step starts."""
    name = f"{parent}-{step}-{attempt}"
    if len(name) <= MAX_CHILD_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{parent[: MAX_CHILD_NAME - 11].rstrip('-.')}-{digest}"


def owner_reference(run: Obj) -> Obj:
    """An owner reference to ``run`` (its children go when it goes)."""
    meta = run["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkRun",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def child_run(parent: Obj, step: str, attempt: int, team: Obj, inputs: Mapping[str, str]) -> Obj:
    """The run of ``team`` that plays step ``step`` (attempt ``attempt``) of ``parent``.

    Raises ``InputError`` when the step's inputs lack one the team requires.
    """
    resolved = resolve_inputs(team_spec_of(team), inputs)
    meta = parent["metadata"]
    trigger = RunTrigger(type="step", source=f"{meta['name']}/{step}")
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkRun",
        "metadata": {
            "name": child_run_name(meta["name"], step, attempt),
            "namespace": meta["namespace"],
            "labels": run_labels(team["metadata"]["name"], "step"),
            "ownerReferences": [owner_reference(parent)],
        },
        "spec": _spec(team, resolved.values, trigger),
    }


def retry_run(previous: Obj, reuse: Sequence[str], source: str | None = None) -> Obj:
    """A new run of ``previous``'s snapshot and input that reuses the outputs of ``reuse``."""
    meta = previous["metadata"]
    spec = previous["spec"]
    team = spec["teamRef"]["name"]
    new_spec: Obj = {
        "teamRef": {"name": team},
        "input": dict(spec.get("input") or {}),
        "teamSpec": copy.deepcopy(spec.get("teamSpec") or {}),
        "trigger": {"type": "retry", "source": source or meta["name"]},
        "retryOf": {"run": meta["name"], "reuse": list(reuse)},
    }
    if spec.get("teamGeneration") is not None:
        new_spec["teamGeneration"] = spec["teamGeneration"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkRun",
        "metadata": {
            "generateName": f"{team}-",
            "namespace": meta["namespace"],
            "labels": run_labels(team, "retry"),
        },
        "spec": new_spec,
    }


def with_snapshot(run: Obj, team: Obj) -> Obj:
    """The merge patch completing a run created without ``teamSpec`` (resolves its input).

    Raises ``InputError`` when the run's input lacks a required one.
    """
    resolved = resolve_inputs(team_spec_of(team), run.get("spec", {}).get("input") or {})
    patch: Obj = {"teamSpec": copy.deepcopy(team.get("spec") or {}), "input": resolved.values}
    generation = team["metadata"].get("generation")
    if generation is not None:
        patch["teamGeneration"] = int(generation)
    return {"spec": patch}
