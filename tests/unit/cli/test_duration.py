"""Go-style ``--timeout`` durations and the AGE/DURATION columns."""

from __future__ import annotations

import argparse

import pytest

from ark.cli.duration import DurationError, human_duration, parse_duration, short_duration, timeout_arg


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        (".5s", 0.5),
        ("5.s", 5.0),
        ("300ms", 0.3),
        ("1m30s500ms", 90.5),
        ("2us", 2e-6),
        ("2µs", 2e-6),
        ("2μs", 2e-6),
        ("10ns", 1e-8),
        ("0", 0.0),
        ("+2s", 2.0),
        ("-2s", -2.0),
        (" 45s ", 45.0),
        ("1h1h", 7200.0),
    ],
)
def test_go_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("90", "missing unit (write 90s"),
        ("", "empty"),
        ("-", "empty"),
        ("5x", "unknown unit 'x'"),
        ("5sec", "unknown unit 'sec'"),
        ("1h 30m", "unknown unit 'h '"),
        ("s", "expected a number at 's'"),
        ("1..5s", "missing unit (write 1s"),
    ],
)
def test_what_is_not_a_duration_is_refused_with_the_fix(text: str, reason: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert f"invalid duration {text!r}" in str(caught.value)
    assert reason in str(caught.value)


def test_a_timeout_must_be_positive() -> None:
    assert timeout_arg("1m") == 60.0
    for text in ("0", "-5s", "0s"):
        with pytest.raises(argparse.ArgumentTypeError, match="must be a positive duration"):
            timeout_arg(text)
    with pytest.raises(argparse.ArgumentTypeError, match="missing unit"):
        timeout_arg("60")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1.5, "0s"),
        (0, "0s"),
        (59.9, "59s"),
        (119, "119s"),
        (120, "2m"),
        (200, "3m20s"),
        (599, "9m59s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (5 * 3600 + 600, "5h10m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (2 * 86400, "2d"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (8 * 86400, "8d"),
        (700 * 86400, "700d"),
        (2 * 365 * 86400, "2y"),
        (2 * 365 * 86400 + 30 * 86400, "2y30d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_round_like_kubectl(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_run_durations_keep_tenths_below_a_minute() -> None:
    assert [short_duration(s) for s in (0.04, 3.21, 59.94, 60, 200, -1)] == [
        "0.0s",
        "3.2s",
        "59.9s",
        "60s",
        "3m20s",
        "0.0s",
    ]
