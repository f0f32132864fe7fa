"""JSON over HTTP for the memory's peers (embeddings, vector stores): bounded, errors named.

Each response is capped at :data:`MAX_RESPONSE_BYTES` (:mod:`ark_runtime.net.bounds`) and each
call at the memory timeout by its caller. Every failure is a :class:`~.base.MemoryBackendError`
naming the service and the URL (without credentials or query) and what came back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from ark_runtime.limits import MiB
from ark_runtime.memory.base import BackendUnreachableError, MemoryBackendError
from ark_runtime.net.bounds import PeerError, display_url
from ark_runtime.net.client import bounded_client

MAX_RESPONSE_BYTES = 4 * MiB
"""The largest answer read from an embeddings endpoint or a vector store."""
_SNIPPET = 200


class JsonHttp:
    """A pooled client for one service at one base URL."""

    def __init__(self, service: str, base_url: str, headers: Mapping[str, str], timeout: float) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self._client = bounded_client(
            default_cap=MAX_RESPONSE_BYTES, connect_timeout=timeout, read_timeout=timeout, headers=headers
        )

    async def call(
        self, method: str, path: str, body: Any = None, *, accept: tuple[int, ...] = ()
    ) -> tuple[int, Any]:
        """``(status, decoded JSON)`` for a success or a status in ``accept`` (data None); any
        other status from 400 up raises."""
        url = self.base_url + path
        where = f"{self.service} at {display_url(url)}"
        try:
            response = await self._client.request(method, url, json=body)
        except PeerError as exc:
            raise MemoryBackendError(f"{self.service}: {exc}") from None
        except httpx.HTTPError as exc:
            raise BackendUnreachableError(
                f"cannot reach {where}: {type(exc).__name__} {exc}".rstrip()
            ) from None
        if response.status_code in accept:
            return response.status_code, None
        if response.status_code >= 400:
            raise MemoryBackendError(
                f"{where} answered HTTP {response.status_code}: {_snippet(response.content)}"
            )
        if not response.content.strip():
            return response.status_code, None
        try:
            return response.status_code, json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MemoryBackendError(
                f"{where} answered HTTP {response.status_code} with a body that is not JSON: "
                f"{_snippet(response.content)}"
            ) from None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _snippet(raw: bytes) -> str:
    text = raw[:_SNIPPET].decode("utf-8", "replace")
    return repr(text + ("..." if len(raw) > _SNIPPET else ""))
