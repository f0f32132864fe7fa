"""A small async driver: the engine, a :class:`TaskQueue` and a clock, until the run ends.

``ark run`` uses it with :class:`~ark.flow.local.InProcessQueue`; anything that can submit
tasks and hand back results can take its place. The driver serialises engine calls (they
never await), applies the actions they return, and wakes up for results, for the engine's next
deadline, and for :meth:`Driver.cancel`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from ark.flow.actions import Action, CancelTask, DelegationReply, SubmitTask
from ark.flow.engine import DelegationRefused, Engine
from ark.flow.state import RunState
from ark_runtime.protocol import Result, Task
from ark_runtime.tools.delegate import DelegationError


class TaskQueue(Protocol):
    """Where tasks go and results come from."""

    async def submit(self, request: SubmitTask) -> None:
        """Queue ``request.task`` for ``request.agent``; a task id already submitted is ignored."""
        ...

    def cancel(self, task_id: str) -> None:
        """Stop working on a task if possible; its result, if any, is ignored."""
        ...

    async def get_result(self) -> Result:
        """Wait for the next result."""
        ...


class Clock(Protocol):
    """Wall-clock seconds since the epoch."""

    def now(self) -> float:
        """The current time."""
        ...


class SystemClock:
    """:func:`time.time`."""

    def now(self) -> float:
        """The current time."""
        return time.time()


Observer = Callable[[RunState, Action], None]


class Driver:
    """Runs one state to a terminal phase."""

    def __init__(
        self,
        engine: Engine,
        state: RunState,
        queue: TaskQueue,
        clock: Clock | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.engine = engine
        self.state = state
        self.queue = queue
        self.clock = clock or SystemClock()
        self.observer = observer
        self._waiting: dict[str, asyncio.Future[str]] = {}
        self._wake = asyncio.Event()

    async def run(self) -> RunState:
        """Start (or resume) the run and drive it until it is Succeeded or Failed."""
        await self._apply(self.engine.start(self.state, self.clock.now()))
        getter: asyncio.Task[Result] | None = None
        # Both waits live until they fire (one task each per wake-up, not per loop).
        waker: asyncio.Task[bool] | None = None
        try:
            while not self.state.finished:
                if getter is None:
                    getter = asyncio.ensure_future(self.queue.get_result())
                if waker is None:
                    waker = asyncio.ensure_future(self._wake.wait())
                deadline = self.engine.next_deadline(self.state)
                timeout = None if deadline is None else max(0.0, deadline - self.clock.now())
                done, _ = await asyncio.wait({getter, waker}, timeout=timeout, return_when="FIRST_COMPLETED")
                if waker in done:
                    waker = None
                    self._wake.clear()
                if getter in done:
                    result = getter.result()
                    getter = None
                    await self._apply(self.engine.on_result(self.state, result, self.clock.now()))
                else:
                    await self._apply(self.engine.on_tick(self.state, self.clock.now()))
        finally:
            for pending in (getter, waker):
                if pending is not None:
                    pending.cancel()
        return self.state

    async def cancel(self, message: str) -> None:
        """Stop the run (reason ``Cancelled``); :meth:`run` returns soon after."""
        await self._apply(self.engine.cancel(self.state, self.clock.now(), message))
        self._wake.set()

    async def delegate(self, role: str, prompt: str, parent: Task) -> str:
        """The :data:`~ark_runtime.tools.delegate.DelegateFn` of ``ark run``: a child step, awaited."""
        try:
            child_id, actions = self.engine.delegate(self.state, parent.id, role, prompt, self.clock.now())
        except DelegationRefused as exc:
            raise DelegationError(str(exc)) from None
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[child_id] = future
        await self._apply(actions)
        return await future

    async def _apply(self, actions: list[Action]) -> None:
        for action in actions:
            if self.observer is not None:
                self.observer(self.state, action)
            if isinstance(action, SubmitTask):
                await self.queue.submit(action)
            elif isinstance(action, CancelTask):
                self.queue.cancel(action.task_id)
            elif isinstance(action, DelegationReply):
                future = self._waiting.pop(action.task_id, None)
                if future is not None and not future.done():
                    if action.error is None:
                        future.set_result(action.output)
                    else:
                        future.set_exception(DelegationError(action.error))
        if self.state.finished:
            self._wake.set()
