"""The pod status the runner reports, computed as the kubelet computes it. Pure, no I/O.

Interface::

    view = ContainerView(name="agent", image="ghcr.io/arkonis-dev/ark:0.1.0")   # ContainerCreating
    view.state = Running(started_at); view.ready = True; view.container_id = "podrunner://1234"
    pod_status(pod, [view, ...], terminal=False, start_time=t, now=t, previous=last_written)
        -> the ``status`` to patch

What it contains, as from a kubelet: ``phase`` (``getPhase``: Pending while a container has
never started, Running while one runs or is being restarted, Succeeded/Failed once no container
will run again), ``conditions`` Initialized, PodReadyToStartContainers, ContainersReady and
Ready (Ready also needs every readiness gate; ``lastTransitionTime`` moves only when a status
changes), ``containerStatuses`` (``state``, ``lastState``, ``ready``, ``started``,
``restartCount``, ``containerID``), ``startTime`` and the pod's addresses: ``127.0.0.1``,
because the processes share the host's network. Init containers are not run, so they get no
status. ``containerID`` is ``podrunner://<pid>``: the process to look at.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
LOOPBACK = "127.0.0.1"
CONTAINER_ID_SCHEME = "podrunner://"


def format_time(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC with second precision (``metav1.Time``)."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Running:
    """The process runs."""

    started_at: datetime.datetime


@dataclass(frozen=True)
class Waiting:
    """Not running: being created, blocked on its configuration, or backing off before a restart."""

    reason: str
    message: str = ""


@dataclass(frozen=True)
class Terminated:
    """The process ended (or could not be started: ``StartError``, exit code 128)."""

    exit_code: int
    reason: str
    finished_at: datetime.datetime
    started_at: datetime.datetime | None = None
    message: str = ""
    container_id: str = ""


State = Running | Waiting | Terminated


@dataclass
class ContainerView:
    """What the runner knows about one container of a pod."""

    name: str
    image: str
    state: State = field(default_factory=lambda: Waiting("ContainerCreating"))
    last_state: Terminated | None = None
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    container_id: str = ""


def _state(state: State) -> Obj:
    if isinstance(state, Running):
        return {"running": {"startedAt": format_time(state.started_at)}}
    if isinstance(state, Waiting):
        waiting: Obj = {"reason": state.reason}
        if state.message:
            waiting["message"] = state.message
        return {"waiting": waiting}
    terminated: Obj = {
        "exitCode": state.exit_code,
        "reason": state.reason,
        "finishedAt": format_time(state.finished_at),
    }
    if state.started_at is not None:
        terminated["startedAt"] = format_time(state.started_at)
    if state.message:
        terminated["message"] = state.message
    if state.container_id:
        terminated["containerID"] = state.container_id
    return {"terminated": terminated}


def container_status(view: ContainerView) -> Obj:
    """One ``containerStatuses`` entry."""
    status: Obj = {
        "name": view.name,
        "image": view.image,
        "imageID": "",
        "ready": view.ready,
        "started": view.started,
        "restartCount": view.restart_count,
        "state": _state(view.state),
        "lastState": _state(view.last_state) if view.last_state else {},
    }
    if view.container_id and not isinstance(view.state, Waiting):
        status["containerID"] = view.container_id
    return status


def pod_phase(restart_policy: str, views: Sequence[ContainerView], *, terminal: bool) -> str:
    """The kubelet's ``getPhase`` for pods without init containers."""
    running = waiting = stopped = succeeded = restartable = 0
    for view in views:
        if isinstance(view.state, Running):
            running += 1
            continue
        finished = view.state if isinstance(view.state, Terminated) else view.last_state
        if finished is None:
            waiting += 1
            continue
        stopped += 1
        succeeded += finished.exit_code == 0
        restartable += restart_policy == "Always" or (
            restart_policy == "OnFailure" and finished.exit_code != 0
        )
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped and (terminal or restartable == 0):
        return "Succeeded" if stopped == succeeded else "Failed"
    return "Running" if stopped else "Pending"


def _condition(
    previous: Obj, now: datetime.datetime, kind: str, ok: bool, reason: str = "", message: str = ""
) -> Obj:
    status = "True" if ok else "False"
    before = next((c for c in previous.get("conditions") or () if c.get("type") == kind), None)
    since = before.get("lastTransitionTime") if before and before.get("status") == status else None
    condition: Obj = {"type": kind, "status": status, "lastTransitionTime": since or format_time(now)}
    if not ok:
        condition.update({k: v for k, v in (("reason", reason), ("message", message)) if v})
    return condition


def _readiness(pod: Obj, views: Sequence[ContainerView], phase: str) -> tuple[bool, str, str]:
    if phase in ("Succeeded", "Failed"):
        return False, "PodCompleted" if phase == "Succeeded" else "PodFailed", ""
    unready = [view.name for view in views if not view.ready]
    if unready:
        return False, "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"
    return True, "", ""


def _gates(pod: Obj) -> tuple[bool, str]:
    conditions = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or ()}
    messages = []
    for gate in (pod.get("spec") or {}).get("readinessGates") or ():
        kind = gate.get("conditionType")
        if kind not in conditions:
            messages.append(f'corresponding condition of pod readiness gate "{kind}" does not exist.')
        elif conditions[kind] != "True":
            messages.append(
                f'the status of pod readiness gate "{kind}" is not "True", but {conditions[kind]}'
            )
    return not messages, ", ".join(messages)


def pod_status(
    pod: Obj,
    views: Sequence[ContainerView],
    *,
    terminal: bool,
    start_time: datetime.datetime,
    now: datetime.datetime,
    previous: Obj | None = None,
) -> Obj:
    """The pod's ``status`` as the runner reports it (see the module docstring).

    ``previous`` is the status last written, if the pod object may not show it yet; a condition
    keeps its ``lastTransitionTime`` from it (else from the pod) while its status is unchanged.
    """
    before = previous if previous is not None else pod.get("status") or {}
    restart_policy = str((pod.get("spec") or {}).get("restartPolicy", "Always"))
    phase = pod_phase(restart_policy, views, terminal=terminal)
    containers_ready, reason, message = _readiness(pod, views, phase)
    ready, gate_message = (containers_ready, message) if not containers_ready else _gates(pod)
    ready_reason = reason if not containers_ready else "ReadinessGatesNotReady"
    return {
        "phase": phase,
        "conditions": [
            _condition(before, now, "PodReadyToStartContainers", True),
            _condition(before, now, "Initialized", True),
            _condition(before, now, "ContainersReady", containers_ready, reason, message),
            _condition(before, now, "Ready", ready, ready_reason, gate_message),
        ],
        "containerStatuses": [container_status(view) for view in views],
        "hostIP": LOOPBACK,
        "hostIPs": [{"ip": LOOPBACK}],
        "podIP": LOOPBACK,
        "podIPs": [{"ip": LOOPBACK}],
        "startTime": format_time(start_time),
    }
