"""``metav1.Condition`` helpers for status writers.

Interface::

    changed = set_condition(status.setdefault("conditions", []), "Ready", "True", "Available",
                            "all replicas ready", observed_generation=obj["metadata"]["generation"], now=wall)
    get_condition(conditions, "Ready") -> dict | None
    is_true(conditions, "Ready") -> bool
    remove_condition(conditions, "Ready") -> bool

``lastTransitionTime`` moves only when ``status`` changes, so it tells users
when the condition last flipped rather than when the controller last ran.
"""

from __future__ import annotations

import datetime
from typing import Any

from ark.kube.events import format_time

Condition = dict[str, Any]
_STATUSES = ("True", "False", "Unknown")


def get_condition(conditions: list[Condition] | None, condition_type: str) -> Condition | None:
    """The condition of ``condition_type``, if present."""
    for condition in conditions or ():
        if condition.get("type") == condition_type:
            return condition
    return None


def is_true(conditions: list[Condition] | None, condition_type: str) -> bool:
    """True if the condition is present with status ``True``."""
    condition = get_condition(conditions, condition_type)
    return condition is not None and condition.get("status") == "True"


def set_condition(
    conditions: list[Condition],
    condition_type: str,
    status: str,
    reason: str,
    message: str = "",
    *,
    observed_generation: int | None = None,
    now: datetime.datetime | None = None,
) -> bool:
    """Add or update a condition in place; returns True if anything changed.

    ``reason`` must be CamelCase (the API validates it); ``status`` is
    ``True``, ``False`` or ``Unknown``.
    """
    if status not in _STATUSES:
        raise ValueError(f"condition status must be one of {_STATUSES}, not {status!r}")
    if not reason:
        raise ValueError("a condition needs a reason")
    moment = format_time(now or datetime.datetime.now(datetime.UTC))
    wanted: Condition = {"type": condition_type, "status": status, "reason": reason, "message": message}
    if observed_generation is not None:
        wanted["observedGeneration"] = observed_generation
    existing = get_condition(conditions, condition_type)
    if existing is None:
        wanted["lastTransitionTime"] = moment
        conditions.append(wanted)
        return True
    changed = False
    if existing.get("status") != status or not existing.get("lastTransitionTime"):
        existing["lastTransitionTime"] = moment
        changed = True
    for key, value in wanted.items():
        if existing.get(key) != value:
            existing[key] = value
            changed = True
    return changed


def remove_condition(conditions: list[Condition], condition_type: str) -> bool:
    """Remove the condition of ``condition_type``; returns True if it was there."""
    for index, condition in enumerate(conditions):
        if condition.get("type") == condition_type:
            del conditions[index]
            return True
    return False
