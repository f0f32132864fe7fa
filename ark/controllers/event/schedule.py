"""When a cron ArkEvent is due and when it fires next, from its schedule and the clock (pure).

Missed fires collapse into one: however many scheduled times passed since the last fire (an
operator down across several), the event is due once, for the latest of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Timing:
    """``due`` is the scheduled time to fire for now (None: nothing due); ``next`` the one after."""

    due: datetime | None
    next: datetime


def cron_timing(schedule: str, since: datetime, now: datetime) -> Timing:
    """The timing of ``schedule`` (5 UTC fields or a descriptor) for a source last fired at ``since``.

    ``since`` is the last fire, or the event's creation when it never fired; a scheduled time
    equal to ``since`` counts as already fired.
    """
    from croniter import croniter  # only cron sources pay for it

    now = now.astimezone(UTC)
    # croniter's get_prev is strictly before its start and works in whole seconds: starting from
    # the next whole second includes ``now`` itself yet never a time after it.
    latest = croniter(schedule, now.replace(microsecond=0) + timedelta(seconds=1)).get_prev(datetime)
    following = croniter(schedule, now).get_next(datetime)
    due = latest if latest > since.astimezone(UTC) else None
    return Timing(due=due, next=following)
