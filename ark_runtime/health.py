"""``/healthz``, ``/readyz`` (reference §12) and ``/metrics`` (Prometheus, :mod:`ark_runtime.metrics`).

``/healthz`` is 200 ``ok`` while the process serves HTTP. ``/readyz`` is 200 ``ready`` when there
is no validator prompt (``ping``); otherwise the validator prompt runs as a probe task with a
15 s timeout and the pod is ready only if the answer contains ``HEALTHY``. The verdict is cached
for the probe interval; a failure is 503 with the reason. A pod still connecting its tool servers
(:attr:`Readiness.waiting`), or draining, is not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ark_runtime.protocol import Result

if TYPE_CHECKING:
    from ark_runtime.metrics import RuntimeMetrics

PROBE_TIMEOUT = 15.0
HEALTHY_MARKER = "HEALTHY"
MAX_REQUEST_HEAD_BYTES = 16 * 1024
"""A request head still incomplete past this many bytes is refused (400); memory stays bounded by it
and by one socket read."""
MAX_CONNECTIONS = 32
"""Kubelet probes need one or two; past this the server answers 503 rather than queueing."""

Probe = Callable[[float], Awaitable[Result]]
"""``async (timeout_seconds) -> Result`` running the validator prompt as a task."""

log = logging.getLogger("ark_runtime.health")


class Readiness:
    """The cached readiness verdict."""

    def __init__(self, probe: Probe | None, interval: float, timeout: float = PROBE_TIMEOUT) -> None:
        self.probe = probe
        self.interval = interval
        self.timeout = timeout
        self.draining = False
        self.waiting = ""
        """Why the agent is not taking work yet ('' once it is)."""
        self._verdict: tuple[float, bool, str] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> tuple[bool, str]:
        """``(ready, reason)``."""
        if self.draining:
            return False, "shutting down"
        if self.waiting:
            return False, self.waiting
        if self.probe is None:
            return True, "ready"
        async with self._lock:  # concurrent kubelet probes share one model call
            if self._verdict is None or time.monotonic() - self._verdict[0] >= self.interval:
                ready, reason = await self._probe(self.probe)
                self._verdict = (time.monotonic(), ready, reason)
                if not ready:
                    log.warning("semantic readiness check failed", extra={"reason": reason})
            return self._verdict[1], self._verdict[2]

    async def _probe(self, probe: Probe) -> tuple[bool, str]:
        try:
            async with asyncio.timeout(self.timeout + 1):
                result = await probe(self.timeout)
        except TimeoutError:
            return False, f"the validator prompt got no answer within {self.timeout:.0f}s"
        if result.status != "ok":
            return False, f"the validator prompt failed: {result.error}"
        if HEALTHY_MARKER not in result.output:
            return (
                False,
                f"the validator answer lacks {HEALTHY_MARKER}: {result.output[:200]!r}",
            )
        return True, "ready"


def health_app(readiness: Readiness, metrics: RuntimeMetrics | None = None) -> Starlette:
    """The health endpoints (and ``/metrics`` with ``metrics``) as an ASGI app."""

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> PlainTextResponse:
        ready, reason = await readiness.check()
        return PlainTextResponse(reason, status_code=200 if ready else 503)

    routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
    if metrics is not None:
        exposition = metrics

        async def serve_metrics(_: Request) -> Response:
            return Response(exposition.render(), media_type=CONTENT_TYPE_LATEST)

        routes.append(Route("/metrics", serve_metrics))
    return Starlette(routes=routes)


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the agent owns SIGTERM and drains first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class HealthServer:
    """uvicorn serving :func:`health_app` in the agent's event loop."""

    def __init__(
        self,
        readiness: Readiness,
        port: int,
        host: str = "0.0.0.0",
        metrics: RuntimeMetrics | None = None,
    ) -> None:
        # h11 explicitly, so the head bound holds whichever HTTP parsers are installed.
        config = uvicorn.Config(
            health_app(readiness, metrics),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_keep_alive=5,
        )
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # re-raise why it could not start (e.g. the port is taken)
                raise RuntimeError("health server stopped before it started")
            await asyncio.sleep(0.01)
        port: int = self._server.servers[0].sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        """Stop serving."""
        self._server.should_exit = True
        if self._task is not None:
            await self._task
