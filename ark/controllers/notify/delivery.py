"""One HTTP POST with retries and backoff (D134).

A 2xx answer delivers. A 5xx or 429 answer, a timeout or a transport error is retried with
exponential backoff (``tenacity``) until ``attempts`` tries were made; any other answer (3xx,
4xx: redirects are not followed) fails at once. Each attempt is bounded in time
(:data:`TIMEOUT`) and at most :data:`MAX_RESPONSE_BYTES` of an answer are read.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from ark.controllers.notify.channels import ID_HEADER, Payload, Target

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "ark-operator-notify"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a delivery is retried."""

    attempts: int = 4
    initial_backoff: float = 0.5
    max_backoff: float = 4.0


@dataclass(frozen=True)
class Outcome:
    """What happened: delivered or not, the last HTTP status (None: no answer), attempts made."""

    delivered: bool
    status: int | None
    attempts: int
    error: str = ""

    def describe(self) -> str:
        """``HTTP 500 after 4 attempts`` / ``timed out after 4 attempts`` (no URL, no body)."""
        what = f"HTTP {self.status}" if self.status is not None else self.error
        tries = "attempt" if self.attempts == 1 else "attempts"
        return f"{what} after {self.attempts} {tries}"


class _Retryable(Exception):
    def __init__(self, status: int | None, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


async def _post_once(client: httpx.AsyncClient, target: Target, payload: Payload, ident: str) -> int:
    headers = {
        **dict(target.headers),
        "Content-Type": payload.content_type,
        "User-Agent": USER_AGENT,
        ID_HEADER: ident,
    }
    try:
        async with client.stream("POST", target.url, content=payload.body, headers=headers) as response:
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read >= MAX_RESPONSE_BYTES:
                    break  # the answer's body is not used; reading it all would be unbounded
            status = response.status_code
    except httpx.TimeoutException as exc:
        raise _Retryable(None, "timed out") from exc
    except httpx.TransportError as exc:
        # The exception text can carry the URL (and its token): keep only the class name.
        raise _Retryable(None, f"connection failed ({type(exc).__name__})") from exc
    if status >= 500 or status == 429:
        raise _Retryable(status, f"HTTP {status}")
    return status


async def post(
    client: httpx.AsyncClient, target: Target, payload: Payload, ident: str, policy: RetryPolicy
) -> Outcome:
    """POST ``payload`` to ``target`` with retries; never raises for HTTP or network trouble."""
    attempts = 0
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff),
        retry=retry_if_exception_type(_Retryable),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                attempts += 1
                status = await _post_once(client, target, payload, ident)
    except _Retryable as exc:
        return Outcome(False, exc.status, attempts, exc.error)
    return Outcome(200 <= status < 300, status, attempts)


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes tens of milliseconds (hundreds on a busy node): once per process.
    return httpx.create_ssl_context(trust_env=False)


def client() -> httpx.AsyncClient:
    """An HTTP client for deliveries: bounded timeouts, no redirects, no proxy from the env."""
    return httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, trust_env=False, verify=_tls())
