"""When and how long to retry a model call: pure decisions, used by :mod:`.http`.

Retried: 429, 408, 409 and every 5xx (Anthropic's 529 "overloaded" included), connection
failures. Not retried: other 4xx (the request itself is wrong) and malformed bodies. A
``Retry-After`` (or OpenAI's ``retry-after-ms``) is honoured; otherwise the wait grows
exponentially with jitter. Nothing waits past the task deadline.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Mapping

RETRYABLE_STATUS = frozenset({408, 409, 429})
BASE_BACKOFF = 0.5
MAX_BACKOFF = 20.0
MAX_ATTEMPTS = 6


def is_retryable_status(status: int) -> bool:
    """True for statuses a later attempt may succeed on."""
    return status in RETRYABLE_STATUS or status >= 500


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """The server's requested wait in seconds, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be seconds or an HTTP date; ``now`` is the current epoch time for the latter.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms", "").strip()
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = lowered.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def backoff_seconds(attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
    if retry_after is not None:
        return retry_after
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * 2 ** (attempt - 1))
    return float(ceiling * (0.5 + 0.5 * (rng or random).random()))


def should_stop(attempt: int, wait: float, remaining: float | None, max_attempts: int = MAX_ATTEMPTS) -> str:
    """Why not to try again ('' to go on): attempts used up, or the wait would pass the deadline."""
    if attempt >= max_attempts:
        return f"gave up after {attempt} attempts"
    if remaining is not None and wait >= remaining:
        return f"gave up after {attempt} attempts: waiting {wait:.1f}s more would pass the task deadline"
    return ""
