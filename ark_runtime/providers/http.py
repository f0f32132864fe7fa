"""POSTing JSON to a model API with retries bounded by the task deadline."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from ark_runtime.providers.base import ChatRequest, ProviderError
from ark_runtime.providers.retry import backoff_seconds, is_retryable_status, retry_after_seconds, should_stop

# Without a task deadline a single call still may not hang forever.
DEFAULT_CALL_TIMEOUT = 600.0


class JsonPoster:
    """One pooled :class:`httpx.AsyncClient` per provider; :meth:`post` retries and classifies errors."""

    def __init__(self, service: str, client: httpx.AsyncClient | None = None) -> None:
        self.service = service
        self._client = client or httpx.AsyncClient(timeout=DEFAULT_CALL_TIMEOUT)

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
        remaining = request.remaining()
        if remaining is not None and remaining <= 0:
            raise ProviderError(f"no answer from {self.service} before the task deadline")
        timeout = DEFAULT_CALL_TIMEOUT if remaining is None else remaining
        try:
            response = await self._client.post(url, headers=dict(headers), json=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout) and (remaining is None or remaining > 1):
                raise ProviderError(
                    f"cannot reach {self.service} at {url}: connect timeout", retryable=True
                ) from None
            raise ProviderError(f"no answer from {self.service} before the task deadline") from None
        except httpx.TransportError as exc:
            raise ProviderError(
                f"cannot reach {self.service} at {url}: {type(exc).__name__} {exc}".rstrip(), retryable=True
            ) from None
        if response.status_code >= 400:
            raise ProviderError(
                f"{self.service} answered HTTP {response.status_code}: {_error_message(response)}",
                retryable=is_retryable_status(response.status_code),
                status=response.status_code,
                retry_after=retry_after_seconds(response.headers, time.time()),
            )
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProviderError(
                f"{self.service} sent a malformed response body (not JSON: {exc}): {response.text[:200]!r}",
                status=response.status_code,
            ) from None
        if not isinstance(data, dict):
            raise ProviderError(f"{self.service} sent a malformed response body (not a JSON object)")
        return data


def _error_message(response: httpx.Response) -> str:
    # Both APIs answer {"error": {"message": ...}}; fall back to the raw text.
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:500] or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return response.text[:500]
