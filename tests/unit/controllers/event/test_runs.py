"""The run one fire creates for one target, Forbid's view of runs, and the webhook URL."""

from __future__ import annotations

from typing import Any

import pytest

from ark.controllers.event.chains import DEPTH_ANNOTATION
from ark.controllers.event.controller import event_teams
from ark.controllers.event.inputs import TargetInputError
from ark.controllers.event.names import fire_run_name
from ark.controllers.event.runs import running, target_run, webhook_url
from ark.flow.inputs import InputError

Obj = dict[str, Any]

EVENT: Obj = {"metadata": {"name": "nightly", "namespace": "ops", "uid": "e-1"}}
TEAM: Obj = {
    "metadata": {"name": "digest", "namespace": "ops", "uid": "t-1", "generation": 3},
    "spec": {
        "inputs": [{"name": "summary", "required": True}],
        "entry": "read",
        "roles": [{"name": "read", "model": "mock", "systemPrompt": "p"}],
    },
}


def test_a_target_run_is_named_for_its_fire_owned_by_the_event_and_carries_the_trigger() -> None:
    run = target_run(
        EVENT,
        TEAM,
        1,
        "2026-01-05T09:00:00Z",
        {"summary": "at {{ .trigger.firedAt }}"},
        {"name": "nightly", "firedAt": "2026-01-05T09:00:00Z"},
        "cron",
    )
    meta = run["metadata"]
    assert meta["name"] == fire_run_name("nightly", "2026-01-05T09:00:00Z", 1)
    assert "generateName" not in meta
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkEvent",
            "name": "nightly",
            "uid": "e-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert meta["labels"]["arkonis.dev/trigger"] == "cron"
    assert meta["labels"]["arkonis.dev/team"] == "digest"
    assert run["spec"]["trigger"] == {"type": "cron", "source": "nightly"}
    assert run["spec"]["input"] == {"summary": "at 2026-01-05T09:00:00Z"}
    assert run["spec"]["teamGeneration"] == 3


def test_a_team_output_run_carries_its_chain_depth_and_a_root_run_none() -> None:
    trigger = {"name": "nightly", "output": "x"}
    deep = target_run(EVENT, TEAM, 0, "up-1", {"summary": "s"}, trigger, "team-output", depth=3)
    assert deep["metadata"]["annotations"][DEPTH_ANNOTATION] == "3"
    root = target_run(EVENT, TEAM, 0, "t", {"summary": "s"}, trigger, "cron")
    assert DEPTH_ANNOTATION not in (root["metadata"].get("annotations") or {})


def test_a_failing_template_and_a_missing_required_input_are_named() -> None:
    with pytest.raises(TargetInputError, match="input 'summary'"):
        target_run(EVENT, TEAM, 0, "k", {"summary": "{{ .trigger.name"}, {"name": "n"}, "cron")
    with pytest.raises(InputError, match="summary"):
        target_run(EVENT, TEAM, 0, "k", {}, {"name": "n"}, "cron")


def test_running_is_every_run_not_yet_terminal() -> None:
    runs = [
        {"metadata": {"name": "c"}, "status": {"phase": "Running"}},
        {"metadata": {"name": "a"}},
        {"metadata": {"name": "b"}, "status": {"phase": "Succeeded"}},
        {"metadata": {"name": "d"}, "status": {"phase": "Failed"}},
        {"metadata": {"name": "e"}, "status": {"phase": "Pending"}},
    ]
    assert running(runs) == ["a", "c", "e"]


def test_webhook_url_needs_a_base() -> None:
    assert webhook_url(None, "ops", "deploys") is None
    assert webhook_url("", "ops", "deploys") is None
    assert webhook_url("http://h:8092/", "ops", "deploys") == "http://h:8092/triggers/ops/deploys/fire"


def test_events_are_indexed_by_the_teams_they_target_and_watch() -> None:
    event = {
        "metadata": {"name": "relay", "namespace": "ops"},
        "spec": {
            "source": {"type": "team-output", "teamOutput": {"name": "source"}},
            "targets": [{"team": "sink"}, {"pipeline": "legacy"}, {"team": "sink"}, "garbage"],
        },
    }
    assert event_teams(event) == ["ops/legacy", "ops/sink", "ops/source"]
    assert event_teams({"metadata": {"name": "x", "namespace": "ops"}}) == []
