"""Clocks: the real one and a fake one that tests drive by hand.

Interface::

    clock.now() -> float                       # monotonic seconds
    clock.wall() -> datetime                   # timezone-aware UTC wall time
    clock.call_later(delay, callback) -> Timer # timer.cancel()
    await clock.sleep(delay)

    fake = FakeClock(); fake.advance(seconds)  # fires due timers in deadline order

Everything time-dependent in ``ark.kube`` (rate limiters, delayed queue adds,
leader election, resync) takes a :class:`Clock`, so unit tests never wait on
real time.
"""

from __future__ import annotations

import asyncio
import datetime
import heapq
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable


class Timer(ABC):
    """A scheduled callback that can be cancelled before it fires."""

    @abstractmethod
    def cancel(self) -> None:
        """Stop the callback from running; harmless if it already ran."""


class Clock(ABC):
    """Source of time and timers."""

    @abstractmethod
    def now(self) -> float:
        """Monotonic seconds; only differences are meaningful."""

    @abstractmethod
    def wall(self) -> datetime.datetime:
        """Current wall-clock time in UTC (for timestamps written to the API)."""

    @abstractmethod
    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` (synchronously, on the event loop) after ``delay`` seconds."""

    async def sleep(self, delay: float) -> None:
        """Suspend the calling task for ``delay`` seconds of this clock's time."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(delay, wake)
        try:
            await future
        finally:
            timer.cancel()


class _LoopTimer(Timer):
    __slots__ = ("_handle",)

    def __init__(self, handle: asyncio.TimerHandle) -> None:
        self._handle = handle

    def cancel(self) -> None:
        self._handle.cancel()


class RealClock(Clock):
    """The event loop's monotonic clock and the system's wall clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return _LoopTimer(asyncio.get_running_loop().call_later(max(0.0, delay), callback))

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(max(0.0, delay))


class _FakeTimer(Timer):
    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock(Clock):
    """A clock that only moves when :meth:`advance` is called.

    Timers fire synchronously inside :meth:`advance`, in deadline order, with
    :meth:`now` set to each timer's deadline while it runs (so a callback that
    schedules another timer sees the time it was due, as with a real clock).
    Tasks woken by :meth:`sleep` run at the event loop's next iteration.
    """

    def __init__(self, start: float = 1000.0, wall_start: datetime.datetime | None = None) -> None:
        self._now = start
        self._start = start
        self._wall_start = wall_start or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    def wall(self) -> datetime.datetime:
        return self._wall_start + datetime.timedelta(seconds=self._now - self._start)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = _FakeTimer(self._now + max(0.0, delay), callback)
        heapq.heappush(self._timers, (timer.deadline, next(self._seq), timer))
        return timer

    def pending_timers(self) -> int:
        """How many timers are scheduled and not cancelled."""
        return sum(1 for _, _, t in self._timers if not t.cancelled)

    def next_deadline(self) -> float | None:
        """When the earliest live timer is due, or None if there is none."""
        self._drop_cancelled()
        return self._timers[0][0] if self._timers else None

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer that becomes due."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        target = self._now + seconds
        while True:
            self._drop_cancelled()
            if not self._timers or self._timers[0][0] > target:
                break
            deadline, _, timer = heapq.heappop(self._timers)
            self._now = max(self._now, deadline)
            timer.callback()
        self._now = target

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
