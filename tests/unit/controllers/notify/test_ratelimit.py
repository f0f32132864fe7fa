"""Rate-limit windows per (team or agent, event type): open at the first send, close after the window."""

from __future__ import annotations

import datetime

from ark.api.notify import RateLimiting
from ark.controllers.notify.ratelimit import admit, open_windows

T0 = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)
LIMIT = RateLimiting(window_seconds=60, max_per_window=2)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def test_max_per_window_pass_then_the_excess_is_dropped_until_the_window_ends() -> None:
    windows: list[dict[str, object]] = []
    sent = []
    for second in (0, 10, 20, 59, 60, 61, 70):
        decision = admit(windows, "ArkTeam/blog", "TeamFailed", LIMIT, at(second))
        windows = decision.windows
        sent.append(decision.send)
    assert sent == [True, True, False, False, True, True, False]
    assert windows == [
        {"subject": "ArkTeam/blog", "event": "TeamFailed", "start": "2026-12-03T10:01:00Z", "count": 2}
    ]


def test_pairs_are_limited_apart() -> None:
    windows: list[dict[str, object]] = []
    for subject, event in [
        ("ArkTeam/a", "TeamFailed"),
        ("ArkTeam/a", "TeamSucceeded"),
        ("ArkAgent/a", "TeamFailed"),
    ]:
        for _ in range(2):
            decision = admit(windows, subject, event, LIMIT, at(0))
            assert decision.send
            windows = decision.windows
    assert len(windows) == 3
    assert not admit(windows, "ArkTeam/a", "TeamFailed", LIMIT, at(1)).send


def test_the_docs_form_window_is_one_message_per_rate_limit_seconds() -> None:
    once = RateLimiting(window_seconds=300, max_per_window=1)
    first = admit([], "ArkTeam/a", "TeamFailed", once, at(0))
    assert first.send
    assert not admit(first.windows, "ArkTeam/a", "TeamFailed", once, at(299)).send
    assert admit(first.windows, "ArkTeam/a", "TeamFailed", once, at(300)).send


def test_without_a_limit_everything_passes_and_no_window_is_kept() -> None:
    decision = admit(
        [{"subject": "x", "event": "TeamFailed", "start": "2026-12-03T10:00:00Z", "count": 9}],
        "x",
        "TeamFailed",
        None,
        at(0),
    )
    assert decision.send
    assert decision.windows == []


def test_closed_and_unreadable_windows_are_dropped() -> None:
    windows = [
        {"subject": "a", "event": "TeamFailed", "start": "2026-12-03T10:00:00Z", "count": 1},
        {"subject": "b", "event": "TeamFailed", "start": "2026-12-03T09:00:00Z", "count": 1},
        {"subject": "c", "event": "TeamFailed", "start": "garbage", "count": 1},
    ]
    assert [w["subject"] for w in open_windows(windows, LIMIT, at(30))] == ["a"]
