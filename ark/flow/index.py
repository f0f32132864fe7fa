"""The engine's index of one run: what is in flight, what may start next, and the token total.

It is kept up to date as the engine changes steps, so a transition costs what it touches rather
than the size of the run: a 10,000-step pipeline schedules its last step as cheaply as its
first. The index is derived from the state (rebuilt whenever a state is loaded, or changed other
than through the engine) and never serialised. It relies on two rules the engine keeps: steps
are only ever added (at the end of ``state.steps``), and Succeeded, Failed and Skipped are final.
"""

from __future__ import annotations

import heapq

from ark.flow.plan import RunPlan
from ark.flow.state import SATISFIED_PHASES, RunState, StepState


class RunIndex:
    """Steps in flight, steps waiting outside the pipeline, delegation ids and tokens."""

    __slots__ = ("_delegations", "_position", "_running", "_state", "_waiting", "plan", "ready", "tokens")

    def __init__(self, plan: RunPlan, state: RunState) -> None:
        self.plan = plan
        self._state = state
        self._position: dict[str, int] = {}
        # Entries whose step has moved on are dropped when next read, so that every change of
        # phase need not be reported here; each entry is dropped at most once.
        self._running: dict[str, StepState] = {}
        self._waiting: dict[str, StepState] = {}
        self._delegations: dict[str, StepState] = {}
        self.tokens = 0
        """Tokens of every step; the engine adds each result's."""
        for step in state.steps.values():
            self.added(step)
        self.ready = ReadyIndex(plan, state) if plan.steps else None

    def serves(self, plan: RunPlan, state: RunState) -> bool:
        """Whether this index describes ``state`` under ``plan`` (no step added behind its back)."""
        return self.plan is plan and self._state is state and len(self._position) == len(state.steps)

    def added(self, step: StepState) -> None:
        """``step`` was just added at the end of ``state.steps``."""
        self._position[step.name] = len(self._position)
        self.tokens += step.total_tokens
        if step.phase == "Running":
            self._running[step.name] = step
        elif step.phase == "Pending" and step.name not in self.plan.step_index:
            self._waiting[step.name] = step
        if step.delegation_id is not None:
            self._delegations.setdefault(step.delegation_id, step)

    def started(self, step: StepState) -> None:
        """``step`` became Running."""
        self._running[step.name] = step

    def running(self) -> list[StepState]:
        """Steps with a task in flight, in the order of ``state.steps``."""
        return self._current(self._running, "Running")

    def waiting(self) -> list[StepState]:
        """Pending steps that are not pipeline steps (a dynamic entry, a routed run's steps)."""
        return self._current(self._waiting, "Pending")

    def delegation(self, delegation_id: str) -> StepState | None:
        """The hop recorded for a ``delegate()`` call id."""
        return self._delegations.get(delegation_id)

    def _current(self, steps: dict[str, StepState], phase: str) -> list[StepState]:
        for name in [name for name, step in steps.items() if step.phase != phase]:
            del steps[name]
        return sorted(steps.values(), key=lambda step: self._position[step.name])


class ReadyIndex:
    """Which pipeline steps have every dependency Succeeded or Skipped, and of those which are
    Pending, in pipeline order.

    Pending candidates sit in two heaps by pipeline position: those whose ``if`` is still to be
    evaluated (visited on every scheduling round, as the engine re-evaluates them until they
    start) and the others (visited only while slots last).
    """

    __slots__ = (
        "_blocked",
        "_conditional",
        "_done",
        "_fresh",
        "_order",
        "_plain",
        "_state",
        "candidates",
        "plan",
    )

    def __init__(self, plan: RunPlan, state: RunState) -> None:
        self.plan = plan
        self._state = state
        self._order = {step.name: number for number, step in enumerate(plan.steps)}
        self._done = {s.name for s in plan.steps if state.steps[s.name].phase in SATISFIED_PHASES}
        self._blocked: dict[str, int] = {}
        self.candidates: set[str] = set()
        """Ready steps that are not done (Pending or Running)."""
        self._plain: list[tuple[int, str]] = []
        self._conditional: list[tuple[int, str]] = []
        self._fresh: list[str] = []
        for step in plan.steps:
            if step.name in self._done:
                continue
            blocked = sum(1 for dep in step.depends_on if dep not in self._done)
            self._blocked[step.name] = blocked
            if blocked == 0:
                self.candidates.add(step.name)
                self._fresh.append(step.name)

    def satisfied(self, name: str) -> None:
        """``name`` became Succeeded or Skipped."""
        if name in self._done:
            return
        self._done.add(name)
        self.candidates.discard(name)
        for child in self.plan.dependents.get(name, ()):
            left = self._blocked[child] - 1
            self._blocked[child] = left
            if left == 0:
                self.candidates.add(child)
                self._fresh.append(child)

    def requeue(self, name: str) -> None:
        """``name`` (a candidate) went back to Pending: a retry or another loop iteration."""
        self._fresh.append(name)

    def all_satisfied(self) -> bool:
        """Every pipeline step is Succeeded or Skipped."""
        return len(self._done) == len(self.plan.steps)

    def round(self) -> Round:
        """The Pending candidates as they stand now, to visit in pipeline order."""
        for name in self._fresh:
            self._push(name)
        self._fresh = []
        return Round(self)

    def _push(self, name: str) -> None:
        step = self._state.steps[name]
        if step.phase != "Pending" or name not in self.candidates:
            return
        condition = self.plan.step_index[name].condition
        entry = (self._order[name], name)
        if condition is not None and step.attempt == 0 and step.iterations == 0:
            heapq.heappush(self._conditional, entry)
        else:
            heapq.heappush(self._plain, entry)


class Round:
    """One scheduling pass over the Pending candidates: :meth:`next` gives them in pipeline order
    (steps that become ready meanwhile wait for the next round); :meth:`close` puts back those
    the pass looked at but left Pending."""

    __slots__ = ("_index", "_seen", "_visited")

    def __init__(self, index: ReadyIndex) -> None:
        self._index = index
        self._visited: list[str] = []
        self._seen: set[str] = set()

    def next(self, slots: float) -> StepState | None:
        """The next Pending candidate; with no slot left, only those whose ``if`` is pending."""
        index = self._index
        while True:
            heaps = [index._conditional] if slots <= 0 else [index._plain, index._conditional]
            live = [heap for heap in heaps if heap]
            if not live:
                return None
            heap = min(live, key=lambda h: h[0])
            _, name = heapq.heappop(heap)
            step = index._state.steps[name]
            # An entry is stale if the step started, finished, or is already queued twice.
            if step.phase != "Pending" or name not in index.candidates or name in self._seen:
                continue
            self._seen.add(name)
            self._visited.append(name)
            return step

    def close(self) -> None:
        """Queue again every visited step that is still Pending (it waits for a slot)."""
        for name in self._visited:
            if self._index._state.steps[name].phase == "Pending":
                self._index._push(name)
