"""The trigger webhook server: uvicorn serving :func:`~ark.webhook.app.build_app` in the operator.

It runs on every replica, not only the leader: it is a manager runnable with
``needs_leader=False``, started once the informer caches have synced (the pod's ``/readyz`` is
503 until then, so no Service sends it requests before). A non-leader creates the ArkRun and the
leader's run controller runs it. The socket is bound when the server is set up, so a busy port
fails the operator's start instead of passing unnoticed.

Interface::

    server = setup_webhook_server(manager, WebhookOptions(host="0.0.0.0", port=8092))
    server.port                    # the bound port (useful with port 0)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import uvicorn

from ark.controllers.cache import Cache
from ark.controllers.event.controller import ARK_EVENTS
from ark.controllers.event.firelimit import FireLimiter
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS, FIELD_MANAGER
from ark.kube.clock import RealClock
from ark.kube.manager import Manager
from ark.kube.resources import SECRETS
from ark.listen import listen
from ark.runs.waiter import RunWaiter
from ark.webhook.app import WebhookState, build_app


@dataclass(frozen=True)
class WebhookOptions:
    """How the webhook server runs (``--trigger-webhook-*`` flags)."""

    host: str = "0.0.0.0"
    port: int = 8092
    namespaces: Sequence[str] = ()
    rate: float = 10.0
    """Fires a second per event, on average (the token bucket's refill)."""
    burst: int = 100
    """Fires an event takes at once before 429s (the bucket's size)."""
    read_timeout: float = 10.0
    """Seconds the whole request body may take to arrive."""
    tracing: bool = False
    graceful_timeout: float = 5.0
    """Seconds in-flight requests (sync waits) get on shutdown before they are cancelled."""


class WebhookServer:
    """One uvicorn server on a socket bound up front."""

    def __init__(self, state: WebhookState, host: str, port: int, graceful_timeout: float) -> None:
        self.state = state
        self._socket = listen(host, port)
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            build_app(state),
            http="h11",  # its 16 KiB cap on the request line and headers bounds them
            lifespan="off",
            log_config=None,
            access_log=False,  # it would log ?token= (the app logs its own line)
            server_header=False,
            timeout_graceful_shutdown=int(graceful_timeout),
        )
        self._server = uvicorn.Server(config)

    async def serve(self) -> None:
        """Serve until cancelled, then let in-flight requests finish (up to the grace)."""
        server = self._server
        config = server.config
        if not config.loaded:
            config.load()
        server.lifespan = config.lifespan_class(config)
        sockets = [self._socket]
        await server.startup(sockets=sockets)
        try:
            await server.main_loop()
        finally:
            server.should_exit = True
            self.state.waiter.close()
            await asyncio.shield(server.shutdown(sockets=sockets))


def setup_webhook_server(manager: Manager, options: WebhookOptions) -> WebhookServer:
    """Bind the server and add it to ``manager`` as a runnable of every replica."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    runs = Cache(factory, ARK_RUNS, namespaces)
    state = WebhookState(
        client=manager.client,
        events=Cache(factory, ARK_EVENTS, namespaces),
        teams=Cache(factory, ARK_TEAMS, namespaces),
        runs=runs,
        secrets=Cache(factory, SECRETS, namespaces),
        limiter=FireLimiter(options.rate, options.burst, RealClock()),
        waiter=RunWaiter(runs),
        recorder=manager.event_recorder(FIELD_MANAGER),
        read_timeout=options.read_timeout,
        tracing=options.tracing,
    )
    server = WebhookServer(state, options.host, options.port, options.graceful_timeout)
    manager.add_runnable(server.serve, needs_leader=False)
    return server
