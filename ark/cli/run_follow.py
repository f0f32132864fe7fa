"""Following an ArkRun in the cluster: a watch on the object, and ``ark run --watch``'s view fed from it.

Interface::

    actions = transitions(before, after, plan)   # pure: StepChanged/RunFinished between two RunStates
    with RunView(sys.stderr) as view:            # LiveWatch on a terminal, LineWatch otherwise
        view.update(state, plan)                 # after each status: the view gets the transitions
    follower = RunFollower(cluster, "blog-x4kpz", view)
    run = await follower.wait()              # until Succeeded/Failed; follower.last is the latest object
    async for run in follow(cluster, name)   # the object now, then after every change (a watch)

The operator writes the status after every engine transition; a watch delivers each write, but a
client that connects late, or a burst of writes between two events, sees several transitions
at once. :func:`transitions` therefore compares whole states: a step that is new or changed
phase, attempt, task or message is reported; a step seen finished without having been seen
Running is first reported Running, and one submitted again (a retry, a loop turn) first
reported Pending with the engine's reason, so the lines read as ``ark run --watch``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any, TextIO

from ark.cli.cluster import Cluster, ClusterError
from ark.cli.run_state import run_plan, run_state, terminal
from ark.cli.run_view import LineWatch, LiveWatch
from ark.controllers.resources import ARK_RUNS
from ark.flow.actions import Action, RunFinished, StepChanged
from ark.flow.engine import RETRY_PREFIX
from ark.flow.plan import RunPlan
from ark.flow.state import RunState, StepState
from ark.kube.client import Gone, TransportError

Obj = dict[str, Any]

WATCH_SECONDS = 300
"""Server-side timeout of one watch request; the watch is re-opened from the last version."""
RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Back-off between attempts to re-open a broken watch; past the last, the command gives up."""


def _changed(old: StepState | None, new: StepState) -> bool:
    if old is None:
        return new.phase != "Pending" or new.message is not None
    return (old.phase, old.attempt, old.task_id, old.message, old.iterations) != (
        new.phase,
        new.attempt,
        new.task_id,
        new.message,
        new.iterations,
    )


def _requeued(old: StepState | None, new: StepState, plan: RunPlan) -> StepChanged | None:
    """The Pending moment of a step submitted again within one engine call (a retry, a loop turn)."""
    if old is None or old.phase == "Pending" or new.phase != "Running" or new.attempt <= old.attempt:
        return None
    planned = plan.step(new.name)
    if new.iterations > old.iterations and planned is not None:
        # The engine's words for the next loop turn (ark.flow.engine).
        message = f"loop: iteration {new.iterations + 1} of at most {planned.max_iterations}"
        return StepChanged(new.name, "Pending", message)
    if new.retry_reason:
        return StepChanged(new.name, "Pending", f"{RETRY_PREFIX}{new.retry_reason}")
    return None


def transitions(before: RunState | None, after: RunState, plan: RunPlan) -> list[Action]:
    """What happened between two states of one run, as the engine would have told an observer."""
    out: list[Action] = []
    for step in after.steps.values():
        old = before.steps.get(step.name) if before is not None else None
        if not _changed(old, step):
            continue
        ran = step.start_time is not None and step.phase in ("Succeeded", "Failed")
        if ran and (old is None or old.phase != "Running"):
            out.append(StepChanged(step.name, "Running"))
        requeued = _requeued(old, step, plan)
        if requeued is not None:
            out.append(requeued)
        out.append(StepChanged(step.name, step.phase, step.message))
    if after.finished and (before is None or not before.finished):
        reason = after.reason or ("Succeeded" if after.phase == "Succeeded" else "StepFailed")
        out.append(RunFinished(after.phase, reason, after.message, after.failed_step))
    return out


class RunView:
    """``ark run --watch``'s view (on ``stream``) driven by successive states of a cluster run."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._watch: LineWatch | LiveWatch | None = None
        self._previous: RunState | None = None

    def __enter__(self) -> RunView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._watch is not None:
            self._watch.__exit__(None, None, None)

    def update(self, state: RunState, plan: RunPlan) -> None:
        """Show what changed since the previous state (of a run of ``plan``)."""
        if self._watch is None:
            self._watch = LiveWatch(self.stream, state) if self.stream.isatty() else LineWatch(self.stream)
            self._watch.__enter__()
        for action in transitions(self._previous, state, plan):
            self._watch.observe(state, action)
        self._previous = state


async def follow(cluster: Cluster, name: str) -> AsyncGenerator[Obj, None]:
    """ArkRun ``name`` as it is now, then after every change, until the caller stops.

    A LIST gives the current object and the version to watch from; the watch is re-opened from
    the last version seen when the server ends it, relisted when that version is too old, and
    re-tried with back-off when the connection breaks. Raises ``ClusterError`` when the run
    does not exist or is deleted, or the server stays unreachable.
    """
    selector = f"metadata.name={name}"
    version: str | None = None
    failures = 0
    while True:
        try:
            if version is None:
                page = await cluster.list_page(ARK_RUNS, field_selector=selector)
                items = page.get("items") or []
                if not items:
                    raise ClusterError(f"ArkRun {cluster.namespace}/{name} not found")
                yield items[0]
                version = str((page.get("metadata") or {}).get("resourceVersion") or "")
            events = cluster.watch(
                ARK_RUNS, field_selector=selector, resource_version=version, timeout_seconds=WATCH_SECONDS
            )
            async with contextlib.aclosing(events):
                async for event in events:
                    failures = 0
                    version = str((event.object.get("metadata") or {}).get("resourceVersion") or version)
                    if event.type == "DELETED":
                        raise ClusterError(f"ArkRun {cluster.namespace}/{name} was deleted")
                    if event.type in ("ADDED", "MODIFIED"):
                        yield event.object
        except Gone:
            version = None
        except TransportError as exc:
            if failures >= len(RECONNECT_DELAYS):
                raise cluster.error("watch", ARK_RUNS, exc) from None
            await asyncio.sleep(RECONNECT_DELAYS[failures])
            failures += 1


class RunFollower:
    """Waits for one run to finish, feeding an optional view every status on the way."""

    def __init__(self, cluster: Cluster, name: str, view: RunView | None = None) -> None:
        self.cluster = cluster
        self.name = name
        self.view = view
        self.last: Obj | None = None
        """The latest object seen (for the message when waiting times out)."""
        self._plan: RunPlan | None = None

    def plan(self, run: Obj) -> RunPlan | None:
        """The run's plan, once it has a team snapshot (the spec never changes after that)."""
        if self._plan is None and (run.get("spec") or {}).get("teamSpec") is not None:
            self._plan = run_plan(run)
        return self._plan

    async def wait(self) -> Obj:
        """The run once Succeeded or Failed."""
        async with contextlib.aclosing(follow(self.cluster, self.name)) as runs:
            async for run in runs:
                self.last = run
                plan = self.plan(run)
                if self.view is not None and plan is not None:
                    self.view.update(run_state(run, plan), plan)
                if terminal(run):
                    return run
        raise AssertionError("follow() ends only by raising")
