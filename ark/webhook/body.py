"""The request body of a fire: bounded in size and in time, then read as a JSON object.

:func:`read_body` refuses a declared ``Content-Length`` over the cap before reading anything,
stops a chunked body at the first byte over it, and gives the whole body one deadline (not a
per-chunk one), so a client sending a byte a second is cut off after ``timeout`` seconds and
holds nothing longer. :func:`parse_body` keeps a JSON object and ignores anything else (§6.3:
invalid JSON is ignored).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """The body is over the cap (413)."""


class BodyTimeout(Exception):
    """The body did not arrive in time (408)."""


async def read_body(
    chunks: AsyncIterator[bytes],
    content_length: str | None,
    *,
    limit: int = MAX_BODY_BYTES,
    timeout: float,
) -> bytes:
    """The body, at most ``limit`` bytes, read within ``timeout`` seconds."""
    if content_length is not None and content_length.strip().isdigit() and int(content_length) > limit:
        raise BodyTooLarge(f"the body is {int(content_length)} bytes; at most {limit} are accepted")
    received = bytearray()
    try:
        async with asyncio.timeout(timeout):
            async for chunk in chunks:
                received += chunk
                if len(received) > limit:
                    raise BodyTooLarge(f"the body is over {limit} bytes")
    except TimeoutError:
        raise BodyTimeout(f"the body did not arrive within {timeout:g}s") from None
    return bytes(received)


def parse_body(data: bytes) -> dict[str, Any]:
    """The body as ``.trigger.body``: a JSON object, else ``{}`` (empty, invalid or not an object)."""
    if not data.strip():
        return {}
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
