"""Bounded ``httpx`` clients (:mod:`.bounds`): the providers', inline tools' and simple tool servers'."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from ark_runtime.net.bounds import response_hook, stream_class
from ark_runtime.net.decode import ACCEPTED_ENCODINGS

_Stream = stream_class(httpx.AsyncByteStream)


def bounded_client(
    *, default_cap: int, connect_timeout: float, read_timeout: float, headers: Mapping[str, str] | None = None
) -> httpx.AsyncClient:
    """A client capping every response at ``default_cap`` decoded bytes (or the ``BODY_CAP`` extension).

    ``read_timeout`` bounds the wait between two reads (and a write or a pooled connection);
    callers bound the whole call themselves, by the task deadline.
    """
    return httpx.AsyncClient(
        headers={**(headers or {}), "Accept-Encoding": ACCEPTED_ENCODINGS},
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        event_hooks={"response": [response_hook(_Stream, default_cap)]},
    )


async def read_prefix(response: httpx.Response, limit: int) -> bytes:
    """The first ``limit`` decoded bytes of a streamed ``response`` (or all of a shorter body); the rest
    is never read."""
    parts: list[bytes] = []
    size = 0
    async for piece in response.aiter_bytes():
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return b"".join(parts)[:limit]
