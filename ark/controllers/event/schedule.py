"""When a cron ArkEvent is due and when it fires next, from its schedule and the clock (pure).

Missed fires collapse into one: however many scheduled times passed since the last fire (an
operator down across several), the event is due once, for the latest of them.

``@every <Go duration>`` schedules fire at ``anchor + k * interval`` (k >= 1), the anchor being
the event's creation: the times survive a restart and need no state of their own (D116).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EVERY = "@every "
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")


@dataclass(frozen=True)
class Timing:
    """``due`` is the scheduled time to fire for now (None: nothing due); ``next`` the one after."""

    due: datetime | None
    next: datetime


def every_interval(duration: str) -> timedelta:
    """A Go duration (``1h30m``, ``90s``) as robfig/cron's ``@every`` reads it: truncated to whole
    seconds, at least one second. Raises ``ValueError`` for anything else."""
    text = duration.strip()
    parts = _GO_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"{duration!r} is not a Go duration such as 1h30m")
    seconds = int(sum(float(number) * _GO_UNITS[unit] for number, unit in parts))
    return timedelta(seconds=max(seconds, 1))


def cron_timing(schedule: str, since: datetime, now: datetime, anchor: datetime | None = None) -> Timing:
    """The timing of ``schedule`` (5 UTC fields, a descriptor or ``@every``) for a source last
    fired at ``since``.

    ``since`` is the last fire, or the event's creation when it never fired; a scheduled time
    equal to ``since`` counts as already fired. ``anchor`` (default ``since``) is where an
    ``@every`` schedule counts its intervals from.
    """
    now = now.astimezone(UTC)
    since = since.astimezone(UTC)
    text = schedule.strip()
    if text.startswith(EVERY):
        return _every_timing(every_interval(text.removeprefix(EVERY)), since, now, anchor or since)
    from croniter import croniter  # only cron sources pay for it

    # croniter's get_prev is strictly before its start and works in whole seconds: starting from
    # the next whole second includes ``now`` itself yet never a time after it.
    latest = croniter(schedule, now.replace(microsecond=0) + timedelta(seconds=1)).get_prev(datetime)
    following = croniter(schedule, now).get_next(datetime)
    due = latest if latest > since else None
    return Timing(due=due, next=following)


def _every_timing(interval: timedelta, since: datetime, now: datetime, anchor: datetime) -> Timing:
    anchor = anchor.astimezone(UTC).replace(microsecond=0)
    elapsed = (now - anchor) // interval  # whole intervals passed: the latest time is anchor + that
    latest = anchor + max(elapsed, 0) * interval
    due = latest if elapsed >= 1 and latest > since else None
    return Timing(due=due, next=anchor + (max(elapsed, 0) + 1) * interval)
