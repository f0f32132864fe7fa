"""The rolling 24 h window: what counts, when it is used up, and when it frees up again."""

from __future__ import annotations

from ark.controllers.budget import evaluate
from ark_runtime.queue.budget import WINDOW_MS

NOW = 1_700_000_000_000
MINUTE = 60_000


def test_no_usage() -> None:
    state = evaluate([], 100, NOW)
    assert (state.used, state.exceeded, state.resumes_at_ms, state.oldest_leaves_at_ms) == (
        0,
        False,
        None,
        None,
    )
    assert state.resets_in_minutes == 0
    assert state.seconds_until_resume() is None


def test_under_the_limit_reports_when_the_oldest_usage_leaves() -> None:
    state = evaluate([(NOW - 10 * MINUTE, 30), (NOW - WINDOW_MS + 90 * 1000, 20)], 100, NOW)
    assert state.used == 50
    assert not state.exceeded
    assert state.oldest_leaves_at_ms == NOW + 90 * 1000
    assert state.resets_in_minutes == 2  # 1.5 minutes, rounded up


def test_entries_at_or_before_the_window_start_do_not_count() -> None:
    # The runtime prunes score <= now - 24 h; an entry exactly at the edge is gone.
    state = evaluate([(NOW - WINDOW_MS, 500), (NOW - WINDOW_MS - 1, 500), (NOW - WINDOW_MS + 1, 7)], 100, NOW)
    assert state.used == 7


def test_reaching_the_limit_exactly_is_exceeded() -> None:
    assert evaluate([(NOW - 1, 100)], 100, NOW).exceeded


def test_resumes_when_the_oldest_entry_leaves_if_that_is_enough() -> None:
    old = NOW - WINDOW_MS + 5000
    state = evaluate([(NOW - 1000, 30), (old, 80)], 100, NOW)
    assert state.exceeded
    assert state.resumes_at_ms == old + WINDOW_MS == NOW + 5000
    assert state.seconds_until_resume() == 5.0
    assert state.resets_in_minutes == 1


def test_resumes_only_once_enough_old_entries_have_left() -> None:
    # 3 x 40 = 120 over a limit of 100: the first leaving leaves 80 < 100.
    entries = [(NOW - 3 * MINUTE, 40), (NOW - 2 * MINUTE, 40), (NOW - MINUTE, 40)]
    assert evaluate(entries, 100, NOW).resumes_at_ms == NOW - 3 * MINUTE + WINDOW_MS
    # A limit of 50 needs two of them gone.
    assert evaluate(entries, 50, NOW).resumes_at_ms == NOW - 2 * MINUTE + WINDOW_MS
    # One big recent task: nothing frees up until it leaves itself.
    assert evaluate([*entries, (NOW - 1, 1000)], 100, NOW).resumes_at_ms == NOW - 1 + WINDOW_MS


def test_entries_sharing_a_timestamp_leave_together() -> None:
    entries = [(NOW - MINUTE, 60), (NOW - MINUTE, 60), (NOW - 1, 10)]
    state = evaluate(entries, 100, NOW)
    assert state.resumes_at_ms == NOW - MINUTE + WINDOW_MS
    later = evaluate(entries, 100, state.resumes_at_ms)
    assert later.used == 10
    assert not later.exceeded


def test_order_of_entries_does_not_matter() -> None:
    entries = [(NOW - 5, 10), (NOW - 50_000, 60), (NOW - 5000, 40)]
    assert evaluate(entries, 100, NOW) == evaluate(list(reversed(entries)), 100, NOW)
