"""Cron timing: due once for the latest missed time, next strictly after now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ark.controllers.event.schedule import Timing, cron_timing, every_interval


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 1, 5, hour, minute, second, tzinfo=UTC)


def test_nothing_due_before_the_first_scheduled_minute() -> None:
    assert cron_timing("*/5 * * * *", since=at(9, 1), now=at(9, 3)) == Timing(None, at(9, 5))


def test_due_exactly_at_the_scheduled_minute() -> None:
    assert cron_timing("*/5 * * * *", since=at(9, 1), now=at(9, 5)) == Timing(at(9, 5), at(9, 10))


def test_a_time_already_fired_is_not_due_again() -> None:
    assert cron_timing("*/5 * * * *", since=at(9, 5), now=at(9, 5, 30)) == Timing(None, at(9, 10))


def test_three_missed_times_collapse_into_one_fire_for_the_latest() -> None:
    timing = cron_timing("*/5 * * * *", since=at(9, 0), now=at(9, 17))
    assert timing == Timing(at(9, 15), at(9, 20))


def test_descriptors_are_read_in_utc() -> None:
    assert cron_timing("@hourly", since=at(9, 0), now=at(10, 0, 1)) == Timing(at(10, 0), at(11, 0))


def test_now_in_another_zone_is_converted_to_utc() -> None:
    plus_two = at(9, 6).astimezone(timezone(timedelta(hours=2)))
    assert cron_timing("*/5 * * * *", since=at(9, 0), now=plus_two) == Timing(at(9, 5), at(9, 10))


def test_a_wake_up_a_fraction_before_the_minute_is_not_due_yet() -> None:
    early = at(9, 4, 59) + timedelta(microseconds=500_000)
    assert cron_timing("*/5 * * * *", since=at(9, 0), now=early) == Timing(None, at(9, 5))


def test_every_fires_whole_intervals_after_its_anchor() -> None:
    created = at(9, 0, 10)
    assert cron_timing("@every 90s", since=created, now=at(9, 1, 30), anchor=created) == Timing(
        None, at(9, 1, 40)
    )
    assert cron_timing("@every 90s", since=created, now=at(9, 1, 40), anchor=created) == Timing(
        at(9, 1, 40), at(9, 3, 10)
    )


def test_every_collapses_missed_intervals_into_one_fire_for_the_latest() -> None:
    created = at(9, 0)
    timing = cron_timing("@every 1m", since=at(9, 1), now=at(9, 4, 30), anchor=created)
    assert timing == Timing(at(9, 4), at(9, 5))
    assert cron_timing("@every 1m", since=at(9, 4), now=at(9, 4, 59), anchor=created) == Timing(
        None, at(9, 5)
    )


def test_every_reads_go_durations_like_robfig_cron() -> None:
    assert every_interval("1h30m") == timedelta(hours=1, minutes=30)
    assert every_interval("2.5s") == timedelta(seconds=2)  # truncated to whole seconds
    assert every_interval("10ms") == timedelta(seconds=1)  # at least one second
    for bad in ("", "5", "1d", "1h 30m", "-1s", "s"):
        with pytest.raises(ValueError, match="not a Go duration"):
            every_interval(bad)
