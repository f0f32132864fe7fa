"""The webhook token: where it is read from, and a comparison whose time shows nothing."""

from __future__ import annotations

import random
import secrets
import statistics
import time
from collections.abc import Callable

from ark.webhook.auth import presented_token, token_matches

TOKEN = secrets.token_hex(32)


def test_the_bearer_header_is_read_before_the_query() -> None:
    assert presented_token({"authorization": f"Bearer {TOKEN}"}, {}) == TOKEN
    assert presented_token({"authorization": f"bearer  {TOKEN} "}, {}) == TOKEN
    assert presented_token({}, {"token": TOKEN}) == TOKEN
    assert presented_token({"authorization": "Bearer other"}, {"token": TOKEN}) == "other"
    assert presented_token({"authorization": f"Basic {TOKEN}"}, {"token": TOKEN}) == ""
    assert presented_token({"authorization": "Bearer"}, {}) == ""
    assert presented_token({}, {}) == ""


def test_only_the_exact_token_matches() -> None:
    assert token_matches(TOKEN, TOKEN)
    for other in ("", TOKEN[:-1], TOKEN + "0", TOKEN.upper(), "x" + TOKEN[1:], TOKEN[:-1] + "x"):
        assert not token_matches(other, TOKEN), other
    assert not token_matches("", "")


def _leaky_equal(presented: str, expected: str) -> bool:
    """The comparison not to write: it stops at the first difference (the method's control)."""
    if len(presented) != len(expected):
        return False
    return all(a == b for a, b in zip(presented, expected, strict=True))


def _relative_times(
    compare: Callable[[str, str], bool], rounds: int = 61, calls: int = 400
) -> dict[int, float]:
    """Per matching-prefix length, the median over rounds of (its time / prefix 0's time)."""
    flip = {c: ("0" if c != "0" else "1") for c in "0123456789abcdef"}
    guesses = {
        0: flip[TOKEN[0]] + TOKEN[1:],
        32: TOKEN[:32] + flip[TOKEN[32]] + TOKEN[33:],
        63: TOKEN[:63] + flip[TOKEN[63]],
    }
    order = list(guesses)
    ratios: dict[int, list[float]] = {prefix: [] for prefix in guesses}
    shuffle = random.Random(7)
    for _ in range(rounds):
        shuffle.shuffle(order)
        taken = {}
        for prefix in order:
            guess = guesses[prefix]
            start = time.perf_counter_ns()
            for _ in range(calls):
                compare(guess, TOKEN)
            taken[prefix] = time.perf_counter_ns() - start
        for prefix in guesses:
            ratios[prefix].append(taken[prefix] / taken[0])
    return {prefix: statistics.median(values) for prefix, values in ratios.items()}


def test_the_time_taken_does_not_depend_on_how_much_of_the_token_matches() -> None:
    """Method: guesses sharing 0, 32 and 63 leading characters with the token are each timed
    over batches of 400 comparisons, in a shuffled order within each of 61 rounds, so machine
    noise hits them alike; each round gives the ratio of a guess's time to the 0-prefix
    guess's, and the median ratio over the rounds is the statistic. A comparison that stops at
    the first difference (the control) shows the prefix at once (ratio over 2 at 63); ours
    stays within a generous 25 % of 1."""
    leaky = _relative_times(_leaky_equal)
    assert leaky[63] > 2.0, leaky  # the method sees a leak where there is one
    ours = _relative_times(token_matches)
    assert all(0.8 <= ratio <= 1.25 for ratio in ours.values()), ours
