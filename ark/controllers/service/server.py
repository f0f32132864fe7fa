"""The task server: ``POST /v1/tasks`` for every ArkService, served by every operator replica.

A Service the ArkService controller creates (``<service>.<namespace>.svc:<HTTP port>``) leads
here; the Host header names the ArkService. ``POST
/v1/namespaces/{namespace}/arkservices/{name}/tasks`` names it in the path instead (for callers
behind a proxy). Each task becomes an ArkRun (trigger ``service``) of the selected agent, so it
shows in ``ark status``; the answer waits for the run to end (watch-driven) and always names it:

* ``200 {"run", "status": "succeeded", "output", "tokens", "durationMs"}``
* ``500 {"run", "status": "failed", "error", "durationMs"}`` -- the run failed (its message)
* ``504 {"run", "status": "running", "error", "durationMs"}`` -- no end within ``timeoutSeconds``;
  the run goes on (``ark status <run>``)
* ``400`` bad body or an unknown Host, ``404`` no such ArkService or no HTTP port, ``405`` not a
  POST, ``408`` the body took longer than 10 s, ``409`` an ArkTeam has the ArkService's name,
  ``413`` a body over 1 MiB (refused from its ``Content-Length`` without reading it, or as soon
  as the stream passes the cap), ``503`` the agent has no ready pods (``Retry-After``), the
  ArkService's spec is invalid, or the API server refused the run.

Interface::

    server = TaskServer(services, runs, deployments, client, host="0.0.0.0", port=8093)
    server.port                     # bound at construction, so a taken port fails at start-up
    manager.add_runnable(server.run, needs_leader=False)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Generator
from typing import Any

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from ark.api import ArkServiceSpec
from ark.api.run import ArkRunStatus
from ark.controllers.agent.deployment import deployment_name
from ark.controllers.cache import Cache
from ark.controllers.resources import ARK_RUNS
from ark.controllers.service.objects import http_ports, ready_replicas, task_run
from ark.controllers.service.request import BadTask, host_target, parse_task
from ark.controllers.service.status import TEAM_NAME_TAKEN
from ark.kube.client import ApiError, KubeClient, TransportError
from ark.listen import listen
from ark.runs.outputs import OutputMissing, read_output
from ark.runs.waiter import RunDeleted, RunWaiter

Obj = dict[str, Any]
log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
BODY_TIMEOUT_SECONDS = 10.0
MAX_HEAD_BYTES = 16 * 1024
MAX_CONNECTIONS = 1024
RETRY_AFTER_SECONDS = 5


class _Refused(Exception):
    """An answer other than a run's: status and message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def read_body(request: Request, timeout: float = BODY_TIMEOUT_SECONDS) -> bytes:
    """The body, at most ``MAX_BODY_BYTES``, within ``timeout`` seconds; raises ``_Refused``."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise _Refused(413, f"the body is over {MAX_BODY_BYTES} bytes (Content-Length {length})")

    async def collect() -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _Refused(413, f"the body is over {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(collect(), timeout)
    except TimeoutError:
        raise _Refused(408, f"the body did not arrive within {timeout:g} s") from None


class TaskServer:
    """Serves task submission to ArkServices; see the module docstring."""

    def __init__(
        self,
        services: Cache,
        runs: Cache,
        deployments: Cache,
        teams: Cache,
        client: KubeClient,
        *,
        host: str = "0.0.0.0",
        port: int = 8093,
        body_timeout: float = BODY_TIMEOUT_SECONDS,
    ) -> None:
        self.services = services
        self.body_timeout = body_timeout
        self.deployments = deployments
        self.teams = teams
        self.client = client
        self.waiter = RunWaiter(runs)
        self.host = host
        self.socket = listen(host, port)
        self.port: int = self.socket.getsockname()[1]
        self.app = Starlette(
            routes=[
                Route("/v1/tasks", self._by_host, methods=["POST"]),
                Route("/v1/namespaces/{namespace}/arkservices/{name}/tasks", self._by_path, methods=["POST"]),
                Route("/healthz", self._healthz, methods=["GET"]),
            ]
        )

    # ------------------------------------------------------------------ routes

    async def _healthz(self, _: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def _by_host(self, request: Request) -> JSONResponse:
        host = request.headers.get("host", "")
        target = host_target(host)
        if target is None:
            return _error(
                400,
                f"cannot tell the ArkService from Host {host!r}: reach it by its Service name "
                "(<name>.<namespace>.svc) or POST /v1/namespaces/<namespace>/arkservices/<name>/tasks",
            )
        return await self._submit(request, *target)

    async def _by_path(self, request: Request) -> JSONResponse:
        return await self._submit(request, request.path_params["namespace"], request.path_params["name"])

    # ------------------------------------------------------------------ one task

    def _find(self, namespace: str, name: str) -> Obj:
        if namespace:
            found = self.services.get(namespace, name)
            if found is None:
                raise _Refused(404, f"ArkService {namespace}/{name} does not exist")
            return found
        matches = [
            obj
            for informer in self.services.informers.values()
            for obj in informer.store.list()
            if obj["metadata"]["name"] == name
        ]
        if not matches:
            raise _Refused(404, f"no ArkService named {name!r}")
        if len(matches) > 1:
            spaces = ", ".join(sorted(o["metadata"]["namespace"] for o in matches))
            raise _Refused(
                400, f"ArkService {name!r} exists in several namespaces ({spaces}): use {name}.<namespace>"
            )
        return matches[0]

    def _usable(self, service: Obj) -> ArkServiceSpec:
        meta = service["metadata"]
        where = f"ArkService {meta['namespace']}/{meta['name']}"
        try:
            spec = ArkServiceSpec.model_validate(service.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError:
            raise _Refused(503, f"{where} has an invalid spec (see its Ready condition)") from None
        if not http_ports(spec):
            raise _Refused(404, f"{where} has no HTTP port: it takes no tasks")
        if self.teams.get(meta["namespace"], meta["name"]) is not None:
            raise _Refused(409, f"{where}: {TEAM_NAME_TAKEN}")
        agent = spec.selector.ark_agent
        deployment = self.deployments.get(meta["namespace"], deployment_name(agent))
        if ready_replicas(deployment) == 0:
            raise _Refused(
                503,
                f"{where}: ArkAgent {agent} has no ready pods; try again later",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return spec

    async def _submit(self, request: Request, namespace: str, name: str) -> JSONResponse:
        try:
            service = self._find(namespace, name)
            body = await read_body(request, self.body_timeout)
            task = parse_task(body)
            spec = self._usable(service)
            run = await self._create(task_run(service, spec, task.prompt))
        except _Refused as exc:
            return _error(exc.status, str(exc), exc.headers)
        except BadTask as exc:
            return _error(400, str(exc))
        except ClientDisconnect:
            return _error(400, "the client went away before sending the whole body")
        started = time.monotonic()
        run_name, run_namespace = run["metadata"]["name"], run["metadata"]["namespace"]
        # Never the prompt: it is the caller's data.
        log.info("service task", extra={"service": f"{run_namespace}/{name}", "run": run_name})
        try:
            ended = await self.waiter.wait(run_namespace, run_name, task.timeout)
        except RunDeleted as exc:
            took = int((time.monotonic() - started) * 1000)
            return JSONResponse(
                {"run": run_name, "status": "failed", "error": str(exc), "durationMs": took}, status_code=500
            )
        took = int((time.monotonic() - started) * 1000)
        return await self._answer(run_namespace, run_name, ended, task.timeout, took)

    async def _create(self, body: Obj) -> Obj:
        try:
            created: Obj = await self.client.create(ARK_RUNS, body)
        except (ApiError, TransportError) as exc:
            log.warning("could not create a service run", extra={"error": str(exc)})
            raise _Refused(503, f"the ArkRun could not be created: {exc}") from None
        return created

    async def _answer(
        self, namespace: str, name: str, run: Obj | None, timeout: float, took: int
    ) -> JSONResponse:
        if run is None:
            return JSONResponse(
                {
                    "run": name,
                    "status": "running",
                    "error": f"timed out after {timeout:g} s; ArkRun {name} goes on (ark status {name})",
                    "durationMs": took,
                },
                status_code=504,
            )
        try:
            status = ArkRunStatus.model_validate(run.get("status") or {}, by_alias=True, by_name=False)
        except ValidationError:
            status = ArkRunStatus()
        if status.phase == "Succeeded":
            output = status.output or ""
            if status.output_ref is not None:
                try:
                    output, _ = await read_output(self.client, namespace, status.output_ref)
                except (OutputMissing, ApiError, TransportError) as exc:
                    lost = f"the output is lost: {exc}"
                    return JSONResponse(
                        {"run": name, "status": "failed", "error": lost, "durationMs": took}, status_code=500
                    )
            usage = status.total_token_usage
            tokens = (usage.total_tokens or 0) if usage is not None else 0
            answer = {
                "run": name,
                "status": "succeeded",
                "output": output,
                "tokens": tokens,
                "durationMs": took,
            }
            return JSONResponse(answer)
        error = status.message or "the run failed"
        return JSONResponse(
            {"run": name, "status": "failed", "error": error, "durationMs": took}, status_code=500
        )

    # ------------------------------------------------------------------ serving

    async def run(self) -> None:
        """Serve until cancelled (the manager's stop)."""
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            limit_concurrency=MAX_CONNECTIONS,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=2,
        )
        server = _QuietServer(config)
        log.info("task server: serving POST /v1/tasks", extra={"address": f"{self.host}:{self.port}"})
        serving = asyncio.create_task(server.serve(sockets=[self.socket]))
        try:
            await asyncio.wait({serving})
            serving.result()  # uvicorn stopped by itself: say why
        finally:
            server.should_exit = True
            await asyncio.wait({serving}, timeout=5)
            self.socket.close()
            self.waiter.close()


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the manager owns SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield
