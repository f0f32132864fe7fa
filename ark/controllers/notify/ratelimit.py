"""At most ``maxPerWindow`` notifications per (team or agent, event type) per window (pure; D133).

A window opens with the first notification of a pair and lasts ``windowSeconds``; within it the
pair may send ``maxPerWindow`` times, the excess is dropped (and counted). The docs form's
``rateLimitSeconds: N`` is a window of N seconds with one notification. The windows are part of
the ArkNotify's status (``rateLimitWindows``), so an operator restart keeps them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ark.api.notify import RateLimiting
from ark.kube.events import format_time

Obj = dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """Whether to send, and the windows to store afterwards."""

    send: bool
    windows: list[Obj]


def _start(window: Obj) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(str(window.get("start"))).astimezone(datetime.UTC)
    except ValueError:
        return None


def open_windows(windows: list[Obj], limit: RateLimiting | None, now: datetime.datetime) -> list[Obj]:
    """The windows still open at ``now`` (all of them go when the policy has no limit)."""
    if limit is None:
        return []
    kept = []
    for window in windows:
        start = _start(window)
        if start is not None and (now - start).total_seconds() < limit.window_seconds:
            kept.append(dict(window))
    return kept


def admit(
    windows: list[Obj], subject: str, event: str, limit: RateLimiting | None, now: datetime.datetime
) -> Decision:
    """Decide one notification of (``subject``, ``event``) at ``now``."""
    current = open_windows(windows, limit, now)
    if limit is None:
        return Decision(True, current)
    for window in current:
        if window.get("subject") == subject and window.get("event") == event:
            if int(window.get("count") or 0) >= limit.max_per_window:
                return Decision(False, current)
            window["count"] = int(window.get("count") or 0) + 1
            return Decision(True, current)
    current.append({"subject": subject, "event": event, "start": format_time(now), "count": 1})
    return Decision(True, current)
