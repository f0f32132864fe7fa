"""Property-based tests of the work queue's two promises, over random interleavings.

* No concurrent processing: a key is never handed to a worker while another
  worker holds it (between its get() and done()).
* No lost key: every add accepted before shutdown is followed by a get() of
  that key; and no key is handed out without an add it answers (no duplicates).

A state machine drives a real WorkQueue on its own event loop with a fake
clock: workers start gets, finish items, cancel waiting gets; keys are added
directly, with delays, through the rate limiter; time advances; the queue is
shut down (with or without drain). The model tracks what is owed per key.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ark.kube.clock import FakeClock
from ark.kube.ratelimit import ItemExponentialFailureRateLimiter
from ark.kube.workqueue import ShutDown, WorkQueue

KEYS = st.sampled_from(["a", "b", "c", "d"])
WORKERS = st.integers(min_value=0, max_value=2)
# Multiples of 0.5 keep every deadline exact in binary floating point.
DELAYS = st.integers(min_value=0, max_value=12).map(lambda n: n / 2)


@dataclass
class Worker:
    getter: asyncio.Task[str] | None = None
    holding: str | None = None
    finished: bool = False


@dataclass
class Model:
    owed: dict[str, bool] = field(default_factory=dict)
    delayed: dict[str, float] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)
    shut_down: bool = False


class WorkQueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock(start=0.0)
        self.queue = WorkQueue[str](
            clock=self.clock, rate_limiter=ItemExponentialFailureRateLimiter[str](0.5, 8.0)
        )
        self.shadow_limiter = ItemExponentialFailureRateLimiter[str](0.5, 8.0)
        self.workers = [Worker() for _ in range(3)]
        self.model = Model()
        self.drains: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ helpers

    def settle(self) -> None:
        async def spin() -> None:
            for _ in range(6):
                await asyncio.sleep(0)

        self.loop.run_until_complete(spin())
        for worker in self.workers:
            task = worker.getter
            if task is None or not task.done():
                continue
            worker.getter = None
            if task.cancelled():
                continue
            error = task.exception()
            if isinstance(error, ShutDown):
                assert self.model.shut_down, "ShutDown raised before shutdown"
                worker.finished = True
                continue
            assert error is None, error
            key = task.result()
            assert key not in self.model.in_flight, f"{key} handed out while another worker holds it"
            assert self.model.owed.get(key), f"{key} handed out without an add to answer (duplicate)"
            self.model.owed[key] = False
            self.model.in_flight.add(key)
            worker.holding = key

    def model_add(self, key: str) -> None:
        if not self.model.shut_down:
            self.model.owed[key] = True

    # ------------------------------------------------------------------ rules

    @rule(key=KEYS)
    def add(self, key: str) -> None:
        self.queue.add(key)
        self.model_add(key)
        self.settle()

    @rule(key=KEYS, delay=DELAYS)
    def add_after(self, key: str, delay: float) -> None:
        self.queue.add_after(key, delay)
        if self.model.shut_down:
            return
        if delay <= 0:
            self.model_add(key)
        else:
            due = self.clock.now() + delay
            self.model.delayed[key] = min(due, self.model.delayed.get(key, due))
        self.settle()

    @rule(key=KEYS)
    def add_rate_limited(self, key: str) -> None:
        was_shut_down = self.model.shut_down
        self.queue.add_rate_limited(key)
        if was_shut_down:
            return
        delay = self.shadow_limiter.when(key)
        due = self.clock.now() + delay
        self.model.delayed[key] = min(due, self.model.delayed.get(key, due))
        self.settle()

    @rule(key=KEYS)
    def forget(self, key: str) -> None:
        self.queue.forget(key)
        self.shadow_limiter.forget(key)
        assert self.queue.num_requeues(key) == 0

    @rule(seconds=DELAYS)
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        now = self.clock.now()
        for key, due in list(self.model.delayed.items()):
            if due <= now:
                del self.model.delayed[key]
                self.model_add(key)
        self.settle()

    @rule(index=WORKERS)
    def start_get(self, index: int) -> None:
        worker = self.workers[index]
        if worker.getter is None and worker.holding is None and not worker.finished:
            worker.getter = self.loop.create_task(self.queue.get())
        self.settle()

    @rule(index=WORKERS)
    def cancel_get(self, index: int) -> None:
        worker = self.workers[index]
        if worker.getter is not None and not worker.getter.done():
            worker.getter.cancel()
        self.settle()

    @rule(index=WORKERS)
    def done(self, index: int) -> None:
        worker = self.workers[index]
        if worker.holding is not None:
            key, worker.holding = worker.holding, None
            self.model.in_flight.discard(key)
            self.queue.done(key)
        self.settle()

    @precondition(lambda self: not self.model.shut_down)
    @rule(drain=st.booleans())
    def shutdown(self, drain: bool) -> None:
        self.model.shut_down = True
        self.model.delayed.clear()  # delayed adds are dropped at shutdown, by contract
        if drain:
            self.drains.append(self.loop.create_task(self.queue.shutdown_with_drain()))
        else:
            self.queue.shutdown()
        self.settle()

    # ------------------------------------------------------------------ invariants

    @invariant()
    def processing_set_matches_what_workers_hold(self) -> None:
        for key in "abcd":
            assert self.queue.is_processing(key) == (key in self.model.in_flight)

    @invariant()
    def drain_waits_only_while_something_is_in_flight(self) -> None:
        for drain in self.drains:
            if not drain.done():
                assert self.model.in_flight, "shutdown_with_drain waiting with nothing in flight"

    def teardown(self) -> None:
        try:
            self.clock.advance(10_000)
            for key in list(self.model.delayed):
                self.model_add(key)
            self.model.delayed.clear()
            for _ in range(50):
                self.settle()
                for index, worker in enumerate(self.workers):
                    if worker.holding is not None:
                        self.done(index)
                    elif worker.getter is None and not worker.finished:
                        self.start_get(index)
                if not any(self.model.owed.values()) and not self.model.in_flight:
                    break
            owed = sorted(k for k, v in self.model.owed.items() if v)
            assert not owed, f"keys added but never handed out: {owed}"
            self.model.shut_down = True
            self.queue.shutdown()
            self.settle()
            for drain in self.drains:
                assert drain.done(), "shutdown_with_drain still waiting with nothing in flight"
        finally:
            for worker in self.workers:
                if worker.getter is not None:
                    worker.getter.cancel()
            with contextlib.suppress(Exception):
                self.settle()
            self.loop.close()


WorkQueueMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
test_workqueue_invariants = WorkQueueMachine.TestCase
