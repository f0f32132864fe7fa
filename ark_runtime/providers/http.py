"""POSTing JSON to a model API: bounded in size and time, retried within the task deadline.

Each attempt is capped at :meth:`Limits.response_cap` bytes of decoded body (see
:mod:`ark_runtime.net.bounds`) and at ``AGENT_MODEL_TIMEOUT_SECONDS`` or the task's remaining
time, whichever is shorter, for the whole call: a server that trickles a byte a second is cut
off at the deadline like one that never answers. Every error names the URL that was called.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from ark_runtime.limits import DERIVED_RESPONSE_CEILING, Limits
from ark_runtime.net.bounds import BODY_CAP, PeerError, display_url, headers_error, oversized_headers
from ark_runtime.net.client import bounded_client
from ark_runtime.providers.base import ChatRequest, ProviderError
from ark_runtime.providers.retry import backoff_seconds, is_retryable_status, retry_after_seconds, should_stop

_SNIPPET = 200
DEADLINE_MARGIN = 0.2
"""Seconds before the task deadline an attempt gives up, so this (which can name the URL) reports it
rather than the tool-use loop's own guard at the deadline itself."""


class JsonPoster:
    """One pooled client per provider; :meth:`post` retries and classifies errors.

    ``not_found_hint`` is added to a 404 that is not about the model (so the path itself is
    wrong), e.g. how the base URL should end.
    """

    def __init__(self, service: str, limits: Limits, not_found_hint: str = "") -> None:
        self.service = service
        self.limits = limits
        self.not_found_hint = not_found_hint
        self._client = bounded_client(
            default_cap=limits.max_response_bytes or DERIVED_RESPONSE_CEILING,
            connect_timeout=limits.connect_timeout,
            read_timeout=limits.model_timeout,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def post(
        self, url: str, headers: Mapping[str, str], body: Mapping[str, Any], request: ChatRequest
    ) -> dict[str, Any]:
        """POST ``body`` and return the decoded JSON object; raises :class:`ProviderError`."""
        stop_reason = ""

        def stop(state: RetryCallState) -> bool:
            nonlocal stop_reason
            stop_reason = should_stop(state.attempt_number, state.upcoming_sleep, request.remaining())
            return bool(stop_reason)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, ProviderError) else None
            return backoff_seconds(state.attempt_number, retry_after)

        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and e.retryable),
            wait=wait,
            stop=stop,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post_once(url, headers, body, request)
        except ProviderError as exc:
            if exc.retryable and stop_reason:
                raise ProviderError(f"{exc} ({stop_reason})", status=exc.status) from None
            raise
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _post_once(
        self, url: str, headers: Mapping[str, str], body: Mapping[str, Any], request: ChatRequest
    ) -> dict[str, Any]:
        where = f"{self.service} at {display_url(url)}"
        remaining = request.remaining()
        if remaining is not None:
            remaining -= DEADLINE_MARGIN
            if remaining <= 0:
                raise ProviderError(f"no answer from {where} before the task deadline")
        budget = self.limits.model_timeout if remaining is None else min(remaining, self.limits.model_timeout)
        try:
            async with asyncio.timeout(budget):
                response = await self._client.post(
                    url,
                    headers=dict(headers),
                    json=body,
                    timeout=httpx.Timeout(budget, connect=min(self.limits.connect_timeout, budget)),
                    extensions={BODY_CAP: self.limits.response_cap(request.max_tokens)},
                )
        except TimeoutError:
            raise ProviderError(self._too_slow(where, budget, remaining)) from None
        except PeerError as exc:
            raise ProviderError(f"{self.service}: {exc}") from None
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout) and (remaining is None or remaining > 1):
                raise ProviderError(f"cannot reach {where}: connect timeout", retryable=True) from None
            raise ProviderError(self._too_slow(where, budget, remaining)) from None
        except httpx.TransportError as exc:
            if oversized_headers(exc):
                raise ProviderError(f"{self.service}: {headers_error(url)}") from None
            raise ProviderError(
                f"cannot reach {where}: {type(exc).__name__} {exc}".rstrip(), retryable=True
            ) from None
        if response.status_code >= 400:
            message = _error_message(response)
            # "model not found" is a 404 too; any other 404 means the URL itself does not exist.
            wrong_path = response.status_code == 404 and "model" not in message.lower()
            hint = f" ({self.not_found_hint})" if wrong_path and self.not_found_hint else ""
            raise ProviderError(
                f"{where} answered HTTP {response.status_code}: {message}{hint}",
                retryable=is_retryable_status(response.status_code),
                status=response.status_code,
                retry_after=retry_after_seconds(response.headers, time.time()),
            )
        return _json_object(response, where)

    def _too_slow(self, where: str, budget: float, remaining: float | None) -> str:
        if remaining is not None and remaining <= self.limits.model_timeout:
            return f"no complete answer from {where} before the task deadline"
        return f"no complete answer from {where} within {budget:.0f}s (AGENT_MODEL_TIMEOUT_SECONDS)"


def _json_object(response: httpx.Response, where: str) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = response.content
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ProviderError(
            f"{where} answered HTTP {response.status_code} with a body that is not valid UTF-8 ({exc.reason} "
            f"at byte {exc.start}): {_snippet(raw)}",
            status=response.status_code,
        ) from None
    except json.JSONDecodeError as exc:
        if content_type == "text/html" or raw.lstrip()[:1] == b"<":
            what = "an HTML page instead of JSON (a proxy's or server's error page?)"
        elif content_type == "text/event-stream":
            what = "an event stream instead of one JSON answer (ark does not ask for streaming)"
        else:
            what = f"a body that is not JSON ({exc.msg} at character {exc.pos})"
        raise ProviderError(
            f"{where} answered HTTP {response.status_code} with {what}: {_snippet(raw)}",
            status=response.status_code,
        ) from None
    if not isinstance(data, dict):
        raise ProviderError(f"{where} sent a malformed response body (not a JSON object): {_snippet(raw)}")
    return data


def _snippet(raw: bytes) -> str:
    text = raw[:_SNIPPET].decode("utf-8", "replace")
    return repr(text + ("..." if len(raw) > _SNIPPET else ""))


def _error_message(response: httpx.Response) -> str:
    # Both APIs answer {"error": {"message": ...}}; fall back to the raw text.
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = response.content[:500].decode("utf-8", "replace").strip()
        return text or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:500]
        if isinstance(error, str):
            return error[:500]
    return response.content[:500].decode("utf-8", "replace")
