"""The ArkRun bodies triggers create: snapshot, resolved input, names and labels."""

from __future__ import annotations

from typing import Any

import pytest

from ark.api import parse_object
from ark.api.run import ArkRun, RunTrigger
from ark.flow.inputs import InputError
from ark.runs.create import child_run, child_run_name, label_value, retry_run, run_for_team, with_snapshot

TEAM: dict[str, Any] = {
    "apiVersion": "arkonis.dev/v1alpha1",
    "kind": "ArkTeam",
    "metadata": {"name": "planner", "namespace": "kitchen", "uid": "u-team", "generation": 3},
    "spec": {
        "inputs": [{"name": "dish", "required": True}, {"name": "diet", "default": "none"}],
        "roles": [{"name": "chef", "model": "m", "systemPrompt": "p"}],
        "pipeline": [{"role": "chef", "inputs": {"prompt": "{{ .input.dish }}"}}],
    },
}
RUN: dict[str, Any] = {
    "apiVersion": "arkonis.dev/v1alpha1",
    "kind": "ArkRun",
    "metadata": {"name": "planner-abcde", "namespace": "kitchen", "uid": "u-run"},
    "spec": {
        "teamRef": {"name": "planner"},
        "teamGeneration": 3,
        "input": {"dish": "soup", "diet": "none"},
        "teamSpec": TEAM["spec"],
    },
}


def test_a_run_carries_the_snapshot_the_resolved_input_and_the_labels() -> None:
    new = run_for_team(TEAM, {"dish": "soup", "extra": "x"}, RunTrigger(type="manual", source="alice"))
    body = new.body
    assert body["metadata"] == {
        "generateName": "planner-",
        "namespace": "kitchen",
        "labels": {
            "arkonis.dev/team": "planner",
            "arkonis.dev/trigger": "manual",
            "app.kubernetes.io/managed-by": "ark",
        },
    }
    assert body["spec"]["input"] == {"dish": "soup", "diet": "none", "extra": "x"}
    assert body["spec"]["teamSpec"] == TEAM["spec"]
    assert body["spec"]["teamSpec"] is not TEAM["spec"]
    assert (body["spec"]["teamGeneration"], body["spec"]["trigger"]) == (
        3,
        {"type": "manual", "source": "alice"},
    )
    assert new.warnings == [
        'input "extra" is not declared by the team (declared: diet, dish); passed through'
    ]
    run = parse_object({**body, "metadata": {"name": "planner-x"}})
    assert isinstance(run, ArkRun)


def test_a_missing_required_input_is_refused_before_anything_exists() -> None:
    with pytest.raises(InputError, match='missing required input "dish"'):
        run_for_team(TEAM, {}, RunTrigger(type="manual"))


def test_a_child_run_is_named_after_its_parent_step_and_attempt_and_owned_by_the_parent() -> None:
    body = child_run(RUN, "research", 2, TEAM, {"dish": "stew"})
    assert body["metadata"]["name"] == "planner-abcde-research-2"
    assert body["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "arkonis.dev/v1alpha1",
            "kind": "ArkRun",
            "name": "planner-abcde",
            "uid": "u-run",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert body["spec"]["trigger"] == {"type": "step", "source": "planner-abcde/research"}
    assert body["metadata"]["labels"]["arkonis.dev/trigger"] == "step"


def test_long_names_are_shortened_deterministically() -> None:
    long = "a" * 70
    assert len(label_value(long)) == 63
    assert label_value(long) == label_value(long) != label_value("a" * 71)
    name = child_run_name("p" * 60, "step", 1)
    assert len(name) <= 63
    assert name == child_run_name("p" * 60, "step", 1) != child_run_name("p" * 60, "step", 2)


def test_a_retry_runs_the_same_snapshot_and_input_and_names_what_it_reuses() -> None:
    body = retry_run(RUN, ["chef"], source="alice")
    assert body["metadata"]["generateName"] == "planner-"
    assert body["spec"]["retryOf"] == {"run": "planner-abcde", "reuse": ["chef"]}
    assert body["spec"]["trigger"] == {"type": "retry", "source": "alice"}
    assert (body["spec"]["input"], body["spec"]["teamSpec"]) == (RUN["spec"]["input"], TEAM["spec"])
    assert isinstance(parse_object({**body, "metadata": {"name": "planner-y"}}), ArkRun)


def test_a_run_made_by_hand_gets_its_snapshot_once() -> None:
    patch = with_snapshot({"spec": {"teamRef": {"name": "planner"}, "input": {"dish": "tea"}}}, TEAM)
    assert patch == {
        "spec": {"teamSpec": TEAM["spec"], "input": {"diet": "none", "dish": "tea"}, "teamGeneration": 3}
    }
    with pytest.raises(InputError):
        with_snapshot({"spec": {"teamRef": {"name": "planner"}}}, TEAM)
