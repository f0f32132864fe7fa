"""The pod status the runner writes: phase, conditions and container statuses as the kubelet's."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from podrunner.status import (
    ContainerView,
    Running,
    Terminated,
    Waiting,
    container_status,
    pod_phase,
    pod_status,
)

Obj = dict[str, Any]
T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(seconds=7)


def pod(restart_policy: str = "Always", **extra: Any) -> Obj:
    return {
        "metadata": {"name": "p", "namespace": "n", "uid": "u"},
        "spec": {"restartPolicy": restart_policy, "containers": [{"name": "agent"}], **extra},
        "status": {"conditions": [{"type": "PodScheduled", "status": "True"}]},
    }


def view(**fields: Any) -> ContainerView:
    return ContainerView(name="agent", image="ghcr.io/arkonis-dev/ark:1", **fields)


def exited(code: int) -> Terminated:
    return Terminated(
        code, "Completed" if code == 0 else "Error", T1, started_at=T0, container_id="podrunner://9"
    )


def conditions(status: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in status["conditions"]}


@pytest.mark.parametrize(
    ("policy", "views", "terminal", "phase"),
    [
        ("Always", [view()], False, "Pending"),
        (
            "Always",
            [view(state=Waiting("CreateContainerConfigError", 'secret "x" not found'))],
            False,
            "Pending",
        ),
        ("Always", [view(state=Running(T0))], False, "Running"),
        ("Always", [view(state=Waiting("CrashLoopBackOff"), last_state=exited(1))], False, "Running"),
        ("Always", [view(state=exited(0))], False, "Running"),
        ("Always", [view(state=exited(0))], True, "Succeeded"),
        ("Always", [view(state=exited(143))], True, "Failed"),
        ("Never", [view(state=exited(0))], False, "Succeeded"),
        ("Never", [view(state=exited(2))], False, "Failed"),
        ("OnFailure", [view(state=exited(0))], False, "Succeeded"),
        ("OnFailure", [view(state=exited(1))], False, "Running"),
        ("Never", [view(state=Running(T0)), view(state=exited(1))], False, "Running"),
        ("Never", [view(), view(state=Running(T0))], False, "Pending"),
    ],
)
def test_phase(policy: str, views: list[ContainerView], terminal: bool, phase: str) -> None:
    assert pod_phase(policy, views, terminal=terminal) == phase


def test_a_running_ready_container() -> None:
    ready = view(state=Running(T0), ready=True, started=True, restart_count=2, container_id="podrunner://42")
    ready.last_state = exited(137)
    status = pod_status(pod(), [ready], terminal=False, start_time=T0, now=T1)
    assert status["phase"] == "Running"
    assert status["containerStatuses"] == [
        {
            "name": "agent",
            "image": "ghcr.io/arkonis-dev/ark:1",
            "imageID": "",
            "ready": True,
            "started": True,
            "restartCount": 2,
            "state": {"running": {"startedAt": "2026-01-02T03:04:05Z"}},
            "lastState": {
                "terminated": {
                    "exitCode": 137,
                    "reason": "Error",
                    "finishedAt": "2026-01-02T03:04:12Z",
                    "startedAt": "2026-01-02T03:04:05Z",
                    "containerID": "podrunner://9",
                }
            },
            "containerID": "podrunner://42",
        }
    ]
    assert {k: c["status"] for k, c in conditions(status).items()} == {
        "PodReadyToStartContainers": "True",
        "Initialized": "True",
        "ContainersReady": "True",
        "Ready": "True",
    }
    assert (status["podIP"], status["hostIP"], status["startTime"]) == (
        "127.0.0.1",
        "127.0.0.1",
        "2026-01-02T03:04:05Z",
    )


def test_an_unready_container_is_named_and_a_waiting_one_has_no_container_id() -> None:
    blocked = view(
        state=Waiting("CreateContainerConfigError", 'secret "llm" not found'), container_id="podrunner://1"
    )
    status = pod_status(pod(), [blocked], terminal=False, start_time=T0, now=T1)
    entry = status["containerStatuses"][0]
    assert entry["state"] == {
        "waiting": {"reason": "CreateContainerConfigError", "message": 'secret "llm" not found'}
    }
    assert "containerID" not in entry
    assert entry["lastState"] == {}
    for kind in ("ContainersReady", "Ready"):
        assert conditions(status)[kind] == {
            "type": kind,
            "status": "False",
            "lastTransitionTime": "2026-01-02T03:04:12Z",
            "reason": "ContainersNotReady",
            "message": "containers with unready status: [agent]",
        }


def test_transition_times_move_only_when_a_condition_changes() -> None:
    first = pod_status(pod(), [view()], terminal=False, start_time=T0, now=T0)
    later = T0 + datetime.timedelta(minutes=1)
    same = pod_status(pod(), [view()], terminal=False, start_time=T0, now=later, previous=first)
    assert conditions(same)["Ready"]["lastTransitionTime"] == "2026-01-02T03:04:05Z"
    ready = view(state=Running(T0), ready=True, started=True)
    changed = pod_status(pod(), [ready], terminal=False, start_time=T0, now=later, previous=first)
    assert conditions(changed)["Ready"]["lastTransitionTime"] == "2026-01-02T03:05:05Z"
    assert conditions(changed)["Initialized"]["lastTransitionTime"] == "2026-01-02T03:04:05Z"


def test_readiness_gates_hold_ready_back_until_their_condition_is_true() -> None:
    gated = pod(readinessGates=[{"conditionType": "example.com/lb"}])
    ready = [view(state=Running(T0), ready=True, started=True)]
    missing = conditions(pod_status(gated, ready, terminal=False, start_time=T0, now=T1))
    assert missing["ContainersReady"]["status"] == "True"
    assert missing["Ready"]["status"] == "False"
    assert missing["Ready"]["reason"] == "ReadinessGatesNotReady"
    assert (
        missing["Ready"]["message"]
        == 'corresponding condition of pod readiness gate "example.com/lb" does not exist.'
    )
    gated["status"]["conditions"].append({"type": "example.com/lb", "status": "True"})
    assert (
        conditions(pod_status(gated, ready, terminal=False, start_time=T0, now=T1))["Ready"]["status"]
        == "True"
    )


def test_a_terminal_pod_is_not_ready() -> None:
    status = pod_status(pod(), [view(state=exited(0))], terminal=True, start_time=T0, now=T1)
    assert status["phase"] == "Succeeded"
    assert conditions(status)["Ready"]["reason"] == "PodCompleted"
    failed = pod_status(pod(), [view(state=exited(137))], terminal=True, start_time=T0, now=T1)
    assert (failed["phase"], conditions(failed)["Ready"]["reason"]) == ("Failed", "PodFailed")


def test_container_status_of_a_start_error() -> None:
    failed = Terminated(128, "StartError", T1, message='exec: "nope": executable file not found in /venv/bin')
    entry = container_status(view(state=failed))
    assert entry["state"] == {
        "terminated": {
            "exitCode": 128,
            "reason": "StartError",
            "finishedAt": "2026-01-02T03:04:12Z",
            "message": 'exec: "nope": executable file not found in /venv/bin',
        }
    }
