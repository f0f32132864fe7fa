"""The queue wait read off a Redis stream entry id."""

from __future__ import annotations

import pytest

from ark_runtime.telemetry import queue_wait_ms


@pytest.mark.parametrize(
    ("entry_id", "now_ms", "waited"),
    [
        ("1700000000000-0", 1700000000250, 250),
        ("1700000000000-7", 1700000000000, 0),
        ("1700000000500-0", 1700000000000, 0),  # Redis's clock ahead of ours: no negative wait
        ("", 1700000000000, 0),
        ("abc-0", 1700000000000, 0),
        ("1700000000000", 1700000000000, 0),
        ("1700000000000-x", 1700000000000, 0),
    ],
)
def test_queue_wait_ms(entry_id: str, now_ms: int, waited: int) -> None:
    assert queue_wait_ms(entry_id, now_ms) == waited
