"""TTL arithmetic shared by every backend: an entry lives ``ttl`` seconds after it was remembered."""

from __future__ import annotations


def alive(at_ms: int, now_ms: int, ttl_seconds: int) -> bool:
    """True while ``now_ms`` is less than ``ttl_seconds`` after ``at_ms``; 0 means forever."""
    return ttl_seconds == 0 or now_ms - at_ms < ttl_seconds * 1000


def oldest_alive_ms(now_ms: int, ttl_seconds: int) -> int:
    """The smallest ``at_ms`` still alive at ``now_ms`` (0 when nothing expires)."""
    return 0 if ttl_seconds == 0 else now_ms - ttl_seconds * 1000 + 1


def cleanup_interval(ttl_seconds: int) -> float:
    """Seconds between deletions of expired entries: a tenth of the TTL, between 1 s and 5 min."""
    return min(300.0, max(1.0, ttl_seconds / 10))
