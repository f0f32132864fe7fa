"""Restarts wait like the kubelet's crash loop: at once, then doubling up to the cap, reset after quiet."""

from __future__ import annotations

import pytest
from podrunner.backoff import CrashBackoff


def test_first_restart_is_immediate_then_the_delay_doubles_up_to_the_cap() -> None:
    backoff = CrashBackoff(base=10, cap=45)
    assert [backoff.after_exit(t) for t in (0, 1, 12, 33, 74, 120, 170)] == [0, 10, 20, 40, 45, 45, 45]


def test_a_long_quiet_spell_starts_over() -> None:
    backoff = CrashBackoff(base=1, cap=4)
    assert [backoff.after_exit(t) for t in (0, 1, 2)] == [0, 1, 2]
    # More than 2 * cap after the previous exit: the container had been running well.
    assert [backoff.after_exit(t) for t in (10.5, 11, 12)] == [0, 1, 2]
    assert backoff.after_exit(20) == 4


@pytest.mark.parametrize(("base", "cap"), [(0, 1), (2, 1), (-1, 5)])
def test_bad_settings_are_refused(base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="0 < base <= cap"):
        CrashBackoff(base, cap)
