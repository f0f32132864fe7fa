"""The caller's webhook token and its constant-time check (pure).

The token comes from ``Authorization: Bearer <token>`` or, without that header, ``?token=``.
Both sides are hashed with SHA-256 before :func:`hmac.compare_digest` compares them: the digests
always have the same length, and ``compare_digest`` looks at every byte of them whatever differs,
so neither the matching prefix of the token nor its length shows in the time taken (D122).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

_BEARER = "bearer"


def presented_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str:
    """The token the caller presents; ``""`` when there is none (or the header is not Bearer)."""
    header = headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        return token.strip() if scheme.lower() == _BEARER else ""
    return query.get("token", "")


def token_matches(presented: str, expected: str) -> bool:
    """Whether ``presented`` is ``expected``, in time independent of where they differ."""
    if not presented or not expected:
        return False
    given = hashlib.sha256(presented.encode()).digest()
    wanted = hashlib.sha256(expected.encode()).digest()
    return hmac.compare_digest(given, wanted)
