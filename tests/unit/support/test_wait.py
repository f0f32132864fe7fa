"""wait_for returns the first truthy value or fails with what it waited for and the last value seen."""

from __future__ import annotations

import itertools

import pytest

from tests.support.wait import WaitTimeout, wait_for, wait_for_sync


async def test_returns_the_first_truthy_value_of_an_async_predicate() -> None:
    counter = itertools.count()

    async def third() -> int | None:
        n = next(counter)
        return n if n >= 2 else None

    assert await wait_for(third, timeout=5, interval=0) == 2


async def test_exceptions_mean_not_yet_and_are_reported_on_timeout() -> None:
    def boom() -> bool:
        raise ValueError("not there")

    with pytest.raises(WaitTimeout, match=r"waiting for the thing; last: ValueError\('not there'\)"):
        await wait_for(boom, timeout=0.05, interval=0.01, message="the thing")


def test_sync_twin_reports_the_last_falsy_value() -> None:
    values = iter([0, "", [], None, 7])
    assert wait_for_sync(lambda: next(values), timeout=5, interval=0) == 7
    with pytest.raises(WaitTimeout, match="last: 0"):
        wait_for_sync(lambda: 0, timeout=0.05, interval=0.01)
