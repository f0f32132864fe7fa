"""The ArkRun one fire creates for one target, and which runs still hold a Forbid event (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ark.api import API_VERSION
from ark.api.run import RunTrigger, TriggerType
from ark.controllers.event.chains import DEPTH_ANNOTATION
from ark.controllers.event.inputs import render_target_input
from ark.controllers.event.names import fire_run_name
from ark.runs.create import run_for_team

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


def event_owner_reference(event: Obj) -> Obj:
    """An owner reference to ``event``: its runs and its token Secret go when it goes."""
    meta = event["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ArkEvent",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def target_run(
    event: Obj,
    team: Obj,
    index: int,
    fire_key: str,
    templates: Mapping[str, str],
    trigger: Mapping[str, Any],
    trigger_type: TriggerType,
    depth: int = 0,
) -> Obj:
    """The run of ``team`` (target ``index``) for the fire keyed ``fire_key``; ``depth`` > 0 (a
    team-output fire) is recorded in annotation ``arkonis.dev/trigger-depth``.

    Raises ``TargetInputError`` (a template failed) or ``InputError`` (a required input missing).
    """
    meta = event["metadata"]
    inputs = render_target_input(templates, trigger)
    body = run_for_team(team, inputs, RunTrigger(type=trigger_type, source=meta["name"])).body
    run_meta = body["metadata"]
    del run_meta["generateName"]
    run_meta["name"] = fire_run_name(meta["name"], fire_key, index)
    run_meta["ownerReferences"] = [event_owner_reference(event)]
    if depth:
        run_meta.setdefault("annotations", {})[DEPTH_ANNOTATION] = str(depth)
    return body


def running(runs: Iterable[Obj]) -> list[str]:
    """Names of the runs not yet in a terminal phase."""
    return sorted(
        run["metadata"]["name"] for run in runs if (run.get("status") or {}).get("phase") not in TERMINAL
    )


def webhook_url(base: str | None, namespace: str, name: str) -> str | None:
    """``<base>/triggers/<namespace>/<name>/fire``; None without a base URL."""
    if not base:
        return None
    return f"{base.rstrip('/')}/triggers/{namespace}/{name}/fire"
