"""Work queue semantics (client-go's), driven by a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from ark.kube.clock import FakeClock
from ark.kube.metrics import Metrics
from ark.kube.ratelimit import ItemExponentialFailureRateLimiter
from ark.kube.workqueue import ShutDown, WorkQueue


def make_queue(clock: FakeClock | None = None, **kwargs: object) -> WorkQueue[str]:
    return WorkQueue[str](clock=clock or FakeClock(), **kwargs)  # type: ignore[arg-type]


async def settle() -> None:
    """Let woken tasks run (several loop iterations, no real time)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_fifo_and_adds_coalesce_while_waiting() -> None:
    q = make_queue()
    for key in ["a", "b", "a", "c", "b"]:
        q.add(key)
    assert len(q) == 3
    assert [await q.get() for _ in range(3)] == ["a", "b", "c"]
    assert len(q) == 0


async def test_readd_while_processing_is_deferred_until_done() -> None:
    q = make_queue()
    q.add("a")
    assert await q.get() == "a"
    assert q.is_processing("a")
    q.add("a")
    q.add("a")
    assert len(q) == 0, "a key being processed must not be handed to another worker"
    q.done("a")
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    assert len(q) == 0
    assert not q.is_processing("a")


async def test_get_blocks_until_an_add() -> None:
    q = make_queue()
    getter = asyncio.create_task(q.get())
    await settle()
    assert not getter.done()
    q.add("x")
    assert await asyncio.wait_for(getter, 1) == "x"


async def test_one_add_wakes_one_getter_and_each_item_goes_to_one_getter() -> None:
    q = make_queue()
    getters = [asyncio.create_task(q.get()) for _ in range(3)]
    await settle()
    q.add("a")
    q.add("b")
    await settle()
    done = [g for g in getters if g.done()]
    assert sorted(g.result() for g in done) == ["a", "b"]
    q.shutdown()
    await settle()
    rest = [g for g in getters if g not in done]
    assert len(rest) == 1
    with pytest.raises(ShutDown):
        await rest[0]


async def test_cancelled_getter_does_not_swallow_the_wakeup() -> None:
    q = make_queue()
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await settle()
    q.add("a")  # wakes `first` ...
    first.cancel()  # ... which is cancelled before it runs
    await settle()
    assert second.done()
    assert second.result() == "a"


async def test_shutdown_drains_queued_items_then_raises_and_ignores_new_adds() -> None:
    q = make_queue()
    q.add("a")
    q.add("b")
    q.shutdown()
    q.add("c")
    q.add_after("d", 0)
    q.add_rate_limited("e")
    assert q.shutting_down
    assert await q.get() == "a"
    assert await q.get() == "b"
    with pytest.raises(ShutDown):
        await q.get()


async def test_shutdown_still_requeues_an_item_dirtied_before_shutdown() -> None:
    q = make_queue()
    q.add("a")
    await q.get()
    q.add("a")  # dirty while processing
    q.shutdown()
    q.done("a")
    assert await q.get() == "a", "an add accepted before shutdown must not be lost"
    q.done("a")
    with pytest.raises(ShutDown):
        await q.get()


async def test_shutdown_with_drain_waits_for_in_flight_items() -> None:
    q = make_queue()
    q.add("a")
    q.add("b")
    a = await q.get()
    b = await q.get()
    drain = asyncio.create_task(q.shutdown_with_drain())
    await settle()
    assert not drain.done()
    q.done(a)
    await settle()
    assert not drain.done(), "b is still being processed"
    q.done(b)
    await asyncio.wait_for(drain, 1)


async def test_plain_shutdown_ends_a_drain_wait() -> None:
    q = make_queue()
    q.add("a")
    await q.get()
    drain = asyncio.create_task(q.shutdown_with_drain())
    await settle()
    assert not drain.done()
    q.shutdown()
    await asyncio.wait_for(drain, 1)


async def test_drain_with_nothing_in_flight_returns_at_once() -> None:
    q = make_queue()
    await asyncio.wait_for(q.shutdown_with_drain(), 1)


async def test_add_after_waits_for_the_clock_and_earliest_deadline_wins() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add_after("a", 10)
    q.add_after("b", 5)
    q.add_after("a", 3)  # earlier: replaces 10
    q.add_after("b", 8)  # later: ignored
    assert q.waiting_delayed() == 2
    clock.advance(2.9)
    assert len(q) == 0
    clock.advance(0.1)
    assert await q.get() == "a"
    clock.advance(1.9)
    assert len(q) == 0
    clock.advance(0.1)
    assert await q.get() == "b"
    clock.advance(100)
    assert len(q) == 0, "the superseded deadline must not add a second time"
    assert q.waiting_delayed() == 0


async def test_add_after_of_a_queued_item_does_not_duplicate_it() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add("a")
    q.add_after("a", 1)
    clock.advance(1)
    assert len(q) == 1
    assert await q.get() == "a"


async def test_add_after_nonpositive_delay_adds_now() -> None:
    q = make_queue()
    q.add_after("a", 0)
    q.add_after("b", -1)
    assert len(q) == 2


async def test_shutdown_drops_delayed_items() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add_after("a", 1)
    q.shutdown()
    clock.advance(5)
    assert len(q) == 0
    assert q.waiting_delayed() == 0
    assert clock.pending_timers() == 0


async def test_getter_waiting_on_empty_queue_gets_a_delayed_item() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    getter = asyncio.create_task(q.get())
    q.add_after("later", 2)
    await settle()
    assert not getter.done()
    clock.advance(2)
    assert await asyncio.wait_for(getter, 1) == "later"


async def test_rate_limited_adds_back_off_per_item_and_forget_resets() -> None:
    clock = FakeClock()
    q = make_queue(clock, rate_limiter=ItemExponentialFailureRateLimiter[str](1.0, 100.0))
    q.add_rate_limited("a")  # 1 s
    assert q.num_requeues("a") == 1
    clock.advance(1)
    assert await q.get() == "a"
    q.done("a")
    q.add_rate_limited("a")  # 2 s
    clock.advance(1.5)
    assert len(q) == 0
    clock.advance(0.5)
    assert await q.get() == "a"
    q.done("a")
    q.forget("a")
    assert q.num_requeues("a") == 0
    q.add_rate_limited("a")  # back to 1 s
    clock.advance(1)
    assert len(q) == 1


async def test_default_rate_limiter_starts_at_5ms() -> None:
    clock = FakeClock()
    q = make_queue(clock)
    q.add_rate_limited("a")
    clock.advance(0.004)
    assert len(q) == 0
    clock.advance(0.001)
    assert len(q) == 1


class RecordingMetrics:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Hashable]] = []

    def add(self, item: Hashable) -> None:
        self.calls.append(("add", item))

    def get(self, item: Hashable) -> None:
        self.calls.append(("get", item))

    def done(self, item: Hashable) -> None:
        self.calls.append(("done", item))

    def retry(self) -> None:
        self.calls.append(("retry", None))


async def test_metrics_hooks_see_adds_gets_dones_and_retries() -> None:
    clock = FakeClock()
    hooks = RecordingMetrics()
    q = WorkQueue[str](clock=clock, metrics=hooks)
    q.add("a")
    q.add("a")  # coalesced: not a new add
    await q.get()
    q.done("a")
    q.add_rate_limited("b")
    clock.advance(1)
    assert hooks.calls == [("add", "a"), ("get", "a"), ("done", "a"), ("retry", None), ("add", "b")]


async def test_prometheus_queue_metrics_track_depth_adds_and_durations() -> None:
    metrics = Metrics()
    now = [0.0]
    q = WorkQueue[str](clock=FakeClock(), metrics=metrics.queue("q1", now=lambda: now[0]))
    q.add("a")
    q.add("b")

    def value(name: str) -> float | None:
        return metrics.registry.get_sample_value(name, {"name": "q1"})

    assert value("workqueue_depth") == 2
    assert value("workqueue_adds_total") == 2
    now[0] = 1.5
    await q.get()
    assert value("workqueue_depth") == 1
    assert value("workqueue_queue_duration_seconds_sum") == pytest.approx(1.5)
    now[0] = 4.0
    assert value("workqueue_unfinished_work_seconds") == pytest.approx(2.5)
    assert value("workqueue_longest_running_processor_seconds") == pytest.approx(2.5)
    q.done("a")
    assert value("workqueue_work_duration_seconds_count") == 1
    assert value("workqueue_work_duration_seconds_sum") == pytest.approx(2.5)
    assert value("workqueue_unfinished_work_seconds") == 0
    q.add_rate_limited("c")
    assert value("workqueue_retries_total") == 1
    assert b"workqueue_depth{" in metrics.render()
