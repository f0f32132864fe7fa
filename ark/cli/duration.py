"""Durations as the cluster commands read and print them. Pure: no I/O.

Interface::

    parse_duration("1h30m")       # 5400.0 seconds; Go's time.ParseDuration syntax; DurationError
    timeout_arg("90s")            # argparse type: a positive duration, in seconds
    human_duration(200.0)         # "3m20s": kubectl's AGE format (k8s.io/apimachinery HumanDuration)
    short_duration(3.21)          # "3.2s": a run's DURATION (tenths below a minute, then as AGE)

``--timeout`` took a Go ``time.Duration`` in the original CLI, so the syntax is Go's: one or more
decimal numbers each with a unit (``ns``, ``us``/``µs``, ``ms``, ``s``, ``m``, ``h``), an
optional sign, and ``0`` alone. A bare number is refused, as Go refuses it, with the fix spelled out.
"""

from __future__ import annotations

import argparse
import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # µs, micro sign
    "\u03bcs": 1e-6,  # μs, Greek small letter mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)([^\d.]*)")
_EXAMPLES = "e.g. 90s, 5m, 1h30m"


class DurationError(ValueError):
    """Not a duration; the message quotes the text and says how to write one."""


def parse_duration(text: str) -> float:
    """Seconds in ``text``, a Go duration such as ``90s``, ``1.5h`` or ``1h30m``."""
    rest = text.strip()
    sign = 1.0
    if rest[:1] in ("+", "-"):
        sign = -1.0 if rest[0] == "-" else 1.0
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise DurationError(f"invalid duration {text!r}: empty ({_EXAMPLES})")
    total = 0.0
    position = 0
    while position < len(rest):
        match = _PART.match(rest, position)
        if match is None:
            raise DurationError(f"invalid duration {text!r}: expected a number at {rest[position:]!r}")
        number, unit = match.groups()
        if not unit:
            raise DurationError(
                f"invalid duration {text!r}: missing unit (write {number.rstrip('.')}s, {_EXAMPLES})"
            )
        if unit not in _UNITS:
            raise DurationError(
                f"invalid duration {text!r}: unknown unit {unit!r} (use ns, us, ms, s, m or h; {_EXAMPLES})"
            )
        total += float(number) * _UNITS[unit]
        position = match.end()
    return sign * total


def timeout_arg(text: str) -> float:
    """``--timeout``: a positive duration in seconds (for argparse ``type=``)."""
    try:
        seconds = parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive duration ({_EXAMPLES}), got {text!r}")
    return seconds


def human_duration(seconds: float) -> str:
    """kubectl's rounding of an age: ``45s``, ``3m20s``, ``15m``, ``5h10m``, ``3d4h``, ``2y30d``."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


def short_duration(seconds: float) -> str:
    """A run's duration: tenths of a second below a minute (mock runs take milliseconds), else as AGE."""
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f}s"
    return human_duration(seconds)
