"""Deterministic names of the ArkRuns one fire creates (pure).

The same fire (an event, the key of one fire, a target) always gets the same name, so an
operator that crashes between deciding to fire and creating the runs creates them again on
return and meets ``AlreadyExists`` instead of doubling the fire.
"""

from __future__ import annotations

import hashlib

MAX_NAME = 63
_KEY_DIGEST = 10


def fire_run_name(event: str, fire_key: str, target: int) -> str:
    """The run for target ``target`` of the fire keyed ``fire_key`` (a cron time, an upstream run)."""
    key = hashlib.sha256(fire_key.encode()).hexdigest()[:_KEY_DIGEST]
    suffix = f"-{key}-{target}"
    return f"{event[: MAX_NAME - len(suffix)].rstrip('-.')}{suffix}"
