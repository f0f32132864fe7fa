"""The trigger webhook ASGI app (reference §6.3): ``POST /triggers/{namespace}/{name}/fire``.

Checks, in order, each with its answer (every body is JSON with ``error`` naming the reason):

====  ========================================================================================
404   another path; no such ArkEvent (or its namespace is not watched)
405   another method on the fire path (``Allow: POST``)
400   not a webhook event; ``mode`` not ``sync``/``async``; a bad ``timeout``; sync with more
      than one target
503   the event's spec is invalid, or its token Secret does not exist yet (``Retry-After: 1``)
401   the token (``Authorization: Bearer`` or ``?token=``) is missing, empty or wrong
503   the event is suspended
413   the body is over 1 MiB (refused before reading it, or at the first byte over)
408   the body did not arrive within the read timeout
429   the event's token bucket is empty (``Retry-After``)
409   ``concurrencyPolicy: Forbid`` and a run of the event is still going
422   no target could start (each named); when some could, the fire is a 202 naming the rest
====  ========================================================================================

Then ``202 {"fired": true, "firedAt", "trigger", "targets", "runs"}``, or with ``?mode=sync``
the run's end: ``200 {"status": "succeeded", "output", "durationMs", "run"}``, ``500 {"status":
"failed", "error", "durationMs", "run"}``, or ``504 {"error", "durationMs", "run"}`` naming the
run to poll. ``GET /healthz`` answers ``ok``. Tokens never reach a log line, an Event or a body.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ark.api import ArkEventSpec
from ark.api.run import OutputRef
from ark.cli.duration import DurationError, parse_duration
from ark.controllers.cache import Cache
from ark.controllers.event.controller import TOKEN_KEY, token_secret_name
from ark.controllers.event.firelimit import FireLimiter
from ark.controllers.event.runs import running
from ark.kube.client import ApiError, KubeClient, TransportError
from ark.kube.conditions import get_condition
from ark.kube.events import EventRecorder, format_time
from ark.kube.store import OWNER_UID_INDEX
from ark.runs.outputs import read_output
from ark.runs.waiter import RunDeleted, RunWaiter
from ark.webhook.auth import presented_token, token_matches
from ark.webhook.body import BodyTimeout, BodyTooLarge, parse_body, read_body
from ark.webhook.fire import fire_targets
from ark.webhook.tracing import fire_span

Obj = dict[str, Any]
log = logging.getLogger(__name__)

DEFAULT_SYNC_TIMEOUT = 60.0
MAX_SYNC_TIMEOUT = 300.0
FIRE_PATH = "/triggers/{namespace}/{name}/fire"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class WebhookState:
    """What the app reads (informer caches) and uses (client, limiter, waiter) to fire."""

    client: KubeClient
    events: Cache
    teams: Cache
    runs: Cache
    secrets: Cache
    limiter: FireLimiter
    waiter: RunWaiter
    recorder: EventRecorder
    read_timeout: float
    tracing: bool = False
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)


def _error(status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _closing(status: int, message: str) -> JSONResponse:
    # The slow body is abandoned, so the connection cannot carry another request.
    return _error(status, message, {"Connection": "close"})


def _token(secret: Obj | None) -> str | None:
    encoded = ((secret or {}).get("data") or {}).get(TOKEN_KEY)
    if not isinstance(encoded, str):
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _sync_timeout(raw: str | None) -> float:
    if raw is None:
        return DEFAULT_SYNC_TIMEOUT
    try:
        seconds = parse_duration(raw)
    except DurationError as exc:
        raise ValueError(f"timeout: {exc}") from None
    if seconds <= 0:
        raise ValueError(f"timeout: must be positive, got {raw!r}")
    return min(seconds, MAX_SYNC_TIMEOUT)


def _millis(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def _failure_message(run: Obj) -> str:
    status = run.get("status") or {}
    ready = get_condition(status.get("conditions"), "Ready") or {}
    return str(ready.get("message") or status.get("message") or "the run failed")


class FireHandler:
    """``POST /triggers/{namespace}/{name}/fire``; see the module docstring."""

    def __init__(self, state: WebhookState) -> None:
        self.state = state

    async def handle(self, request: Request) -> Response:
        """Answer one request to the fire path."""
        start = time.monotonic()
        namespace = request.path_params["namespace"]
        name = request.path_params["name"]
        response = await self._fire(request, namespace, name, start)
        # Our own access line: uvicorn's would print the query string, which may hold ?token=.
        log.info(
            "webhook fire",
            extra={"event": f"{namespace}/{name}", "status": response.status_code, "ms": _millis(start)},
        )
        return response

    async def _fire(self, request: Request, namespace: str, name: str, start: float) -> Response:
        state = self.state
        if request.method != "POST":
            return _error(405, f"{request.method} is not allowed; use POST", {"Allow": "POST"})
        event = state.events.get(namespace, name)
        if event is None:
            return _error(404, f'ArkEvent "{namespace}/{name}" not found')
        raw_spec = event.get("spec") or {}
        source_type = (raw_spec.get("source") or {}).get("type")
        if source_type != "webhook":
            return _error(400, f'ArkEvent "{namespace}/{name}" is a {source_type} event, not a webhook')
        try:
            spec = ArkEventSpec.model_validate(raw_spec, by_alias=True, by_name=False)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            return _error(503, f'ArkEvent "{namespace}/{name}" is invalid: spec.{field}: {first["msg"]}')
        expected = _token(state.secrets.get(namespace, token_secret_name(name)))
        if expected is None:
            return _error(
                503, f"the token Secret {token_secret_name(name)} is not ready yet", {"Retry-After": "1"}
            )
        presented = presented_token(request.headers, request.query_params)
        if not token_matches(presented, expected):
            return _error(401, "missing or wrong token", {"WWW-Authenticate": 'Bearer realm="ark"'})
        if spec.suspended:
            return _error(503, f'ArkEvent "{namespace}/{name}" is suspended')
        mode = request.query_params.get("mode", "async")
        if mode not in ("async", "sync"):
            return _error(400, f"mode: must be sync or async, got {mode!r}")
        timeout = DEFAULT_SYNC_TIMEOUT
        if mode == "sync":
            try:
                timeout = _sync_timeout(request.query_params.get("timeout"))
            except ValueError as exc:
                return _error(400, str(exc))
            if len(spec.targets) != 1:
                return _error(400, f"mode=sync needs exactly one target; this event has {len(spec.targets)}")
        try:
            data = await read_body(
                request.stream(), request.headers.get("content-length"), timeout=state.read_timeout
            )
        except BodyTooLarge as exc:
            # Not a closing answer: closing with unread bytes resets the connection and the
            # client would see that instead of the 413. The server drops the rest unbuffered.
            return _error(413, str(exc))
        except BodyTimeout as exc:
            return _closing(408, str(exc))
        retry_after = state.limiter.take((namespace, name))
        if retry_after is not None:
            return _error(
                429, f"too many fires of {namespace}/{name}; retry later", {"Retry-After": str(retry_after)}
            )
        if spec.concurrency_policy == "Forbid":
            active = running(state.runs.by_index(OWNER_UID_INDEX, event["metadata"]["uid"]))
            if active:
                return _error(409, f"concurrencyPolicy Forbid: {', '.join(active)} still running")
        fired_at = format_time(state.now())
        trigger = {"name": name, "firedAt": fired_at, "body": parse_body(data)}
        with fire_span(state.tracing, namespace, name) as traceparent:
            try:
                fired = await fire_targets(state.client, event, spec, state.teams, trigger, traceparent)
            except (ApiError, TransportError) as exc:
                return _error(503, f"could not create the ArkRun: {exc}", {"Retry-After": "1"})
        # No Event for a fire that worked: at hundreds of fires a second that would be as many
        # Event writes; the run itself (owned, labelled arkonis.dev/trigger=webhook) records it.
        if fired.failures:
            state.recorder.warning(event, "FireFailed", "; ".join(fired.failures))
        if not fired.runs:
            return _error(422, "; ".join(fired.failures), errors=fired.failures)
        if mode == "sync":
            return await self._wait(namespace, fired.runs[0], timeout, start)
        body: Obj = {
            "fired": True,
            "firedAt": fired_at,
            "trigger": name,
            "targets": len(fired.runs),
            "runs": fired.runs,
        }
        if fired.failures:
            body["errors"] = fired.failures
        return JSONResponse(body, status_code=202)

    async def _wait(self, namespace: str, run_name: str, timeout: float, start: float) -> Response:
        try:
            run = await self.state.waiter.wait(namespace, run_name, timeout)
        except RunDeleted as exc:
            return JSONResponse(
                {"status": "failed", "error": str(exc), "durationMs": _millis(start), "run": run_name},
                status_code=500,
            )
        if run is None:
            return JSONResponse(
                {
                    "error": f"timed out after {timeout:g}s waiting for ArkRun {namespace}/{run_name}",
                    "durationMs": _millis(start),
                    "run": run_name,
                    "namespace": namespace,
                },
                status_code=504,
            )
        status = run.get("status") or {}
        if status.get("phase") == "Succeeded":
            return JSONResponse(
                {
                    "status": "succeeded",
                    "output": await self._output(namespace, status),
                    "durationMs": _millis(start),
                    "run": run_name,
                }
            )
        return JSONResponse(
            {
                "status": "failed",
                "error": _failure_message(run),
                "durationMs": _millis(start),
                "run": run_name,
            },
            status_code=500,
        )

    async def _output(self, namespace: str, status: Obj) -> str:
        """The full output: read back from its ConfigMaps when the status keeps only a preview."""
        ref = status.get("outputRef")
        if not ref:
            return str(status.get("output") or "")
        output, _ = await read_output(self.state.client, namespace, OutputRef.model_validate(ref))
        return output


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(404, f"no such path: {request.url.path}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, str(exc.detail), exc.headers)


def build_app(state: WebhookState) -> Starlette:
    """The ASGI app serving fires and ``/healthz``."""
    routes = [
        Route(FIRE_PATH, FireHandler(state).handle, methods=ALL_METHODS),
        Route("/healthz", _healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: _not_found, HTTPException: _http_error})
