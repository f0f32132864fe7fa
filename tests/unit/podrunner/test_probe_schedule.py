"""Probe schedules: readiness is fast until the first success, thresholds count, liveness keeps its timing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

from podrunner.probes import FAST_INTERVAL, Outcome, ProbeSpec, liveness, readiness, startup


def spec(**fields: float) -> ProbeSpec:
    values = {"initialDelaySeconds": 60, "periodSeconds": 60, "successThreshold": 1, "failureThreshold": 3}
    values.update(fields)
    return ProbeSpec.parse({"httpGet": {"path": "/"}, **values})


class Script:
    """Scripted outcomes with the time each probe ran; then waits forever."""

    def __init__(self, outcomes: Iterator[bool]) -> None:
        self.outcomes = outcomes
        self.times: list[float] = []
        self.exhausted = asyncio.Event()

    async def __call__(self) -> Outcome:
        self.times.append(time.monotonic())
        for ok in self.outcomes:
            return Outcome(ok, "" if ok else f"failure {len(self.times)}")
        self.exhausted.set()
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")


async def test_readiness_ignores_the_initial_delay_and_then_uses_the_period() -> None:
    script = Script(iter([False, False, True, False, False]))
    reports: list[tuple[bool, str]] = []
    started = time.monotonic()
    task = asyncio.create_task(readiness(spec(periodSeconds=0.3), script, lambda *r: reports.append(r)))
    await asyncio.wait_for(script.exhausted.wait(), timeout=10)
    task.cancel()
    # Fast while never ready (not the 60 s initial delay), the declared period after the first success.
    assert script.times[0] - started < 0.05
    assert all(b - a < FAST_INTERVAL * 3 for a, b in zip(script.times[:3], script.times[1:3], strict=False))
    assert all(b - a >= 0.3 for a, b in zip(script.times[2:], script.times[3:], strict=False))
    # Ready after one success; two failures are below the threshold of three.
    assert reports == [(True, "")]


async def test_readiness_thresholds() -> None:
    script = Script(iter([True, True, False, False, True, False, False, False]))
    reports: list[tuple[bool, str]] = []
    task = asyncio.create_task(
        readiness(spec(periodSeconds=0.01, successThreshold=2), script, lambda *r: reports.append(r))
    )
    await asyncio.wait_for(script.exhausted.wait(), timeout=10)
    task.cancel()
    # Ready after two successes; not ready after three failures in a row, not after two.
    assert reports == [(True, ""), (False, "failure 8")]
    # A second success in a row was needed the first time too: one True alone did not make it ready.
    script = Script(iter([True, False, True, True]))
    reports.clear()
    task = asyncio.create_task(
        readiness(spec(periodSeconds=0.01, successThreshold=2), script, lambda *r: reports.append(r))
    )
    await asyncio.wait_for(script.exhausted.wait(), timeout=10)
    task.cancel()
    assert reports == [(True, "")]
    assert len(script.times) == 5


async def test_startup_is_fast_but_fails_only_when_the_kubelet_would() -> None:
    assert await startup(spec(initialDelaySeconds=0, periodSeconds=1), Script(iter([False, True]))) is None
    started = time.monotonic()
    failing = Script(iter([False] * 1000))
    message = await startup(spec(initialDelaySeconds=0.2, periodSeconds=0.1, failureThreshold=2), failing)
    assert message == f"failure {len(failing.times)}"
    assert time.monotonic() - started >= 0.4
    assert len(failing.times) >= 3


async def test_liveness_waits_its_delay_and_needs_consecutive_failures() -> None:
    started = time.monotonic()
    script = Script(iter([False, True, False, False, False, True]))
    message = await liveness(spec(initialDelaySeconds=0.2, periodSeconds=0.01), script)
    assert message == "failure 5"
    assert script.times[0] - started >= 0.2
