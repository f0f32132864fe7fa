"""One probe against real endpoints: an HTTP server on loopback, TCP ports, real commands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from podrunner.probes import ProbeSpec, Target, check
from podrunner.serving import free_port, localise
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from tests.integration.runtime.support import ThreadedServer

Obj = dict[str, Any]
CONTAINER: Obj = {"name": "agent", "ports": [{"name": "health", "containerPort": 8080}]}


async def readyz(request: Request) -> PlainTextResponse:
    # Ready only for a kubelet-like prober that sends the declared header.
    kubelet = request.headers.get("user-agent", "").startswith("kube-probe/")
    ok = kubelet and request.headers.get("x-token") == "t"
    return PlainTextResponse("ok" if ok else "no", status_code=200 if ok else 503)


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    app = Starlette(
        routes=[
            Route("/readyz", readyz),
            Route("/moved", lambda _: RedirectResponse("/readyz?x=1", status_code=302)),
        ]
    )
    running = ThreadedServer(app)
    running.start()
    yield running
    running.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(verify=False, follow_redirects=True) as client:
        yield client


def target(http: httpx.AsyncClient, port: int, bin_dir: Path = Path("/usr/bin")) -> Target:
    """A runtime container whose pod port 8080 (``health``) was moved to ``port``."""
    return Target(CONTAINER, localise(["ark-runtime"], {"X": "1"}, port), bin_dir, http)


def probe(**handler: Any) -> ProbeSpec:
    return ProbeSpec.parse({"timeoutSeconds": 2, **handler})


async def test_http_probes_go_to_the_moved_port_as_a_kubelet_and_judge_by_status(
    server: ThreadedServer, http: httpx.AsyncClient
) -> None:
    moved = target(http, server.port)
    headers = [{"name": "X-Token", "value": "t"}]
    assert (
        await check(probe(httpGet={"path": "/readyz", "port": "health", "httpHeaders": headers}), moved)
    ).ok
    assert (await check(probe(httpGet={"path": "/moved", "port": 8080, "httpHeaders": headers}), moved)).ok
    refused = await check(probe(httpGet={"path": "/readyz", "port": "health"}), moved)
    assert refused.message == "HTTP probe failed with statuscode: 503"
    unknown = await check(probe(httpGet={"path": "/readyz", "port": "metrics"}), moved)
    assert unknown.message == "port 'metrics' is not a port of container agent"
    closed = await check(probe(httpGet={"path": "/readyz", "port": "health"}), target(http, free_port()))
    assert not closed.ok
    assert closed.message.startswith('Get "http://127.0.0.1:')


async def test_tcp_probes(server: ThreadedServer, http: httpx.AsyncClient) -> None:
    assert (await check(probe(tcpSocket={"port": "health"}), target(http, server.port))).ok
    closed = await check(probe(tcpSocket={"port": 8080}), target(http, free_port()))
    assert not closed.ok
    assert closed.message.startswith("dial tcp 127.0.0.1:")


async def test_exec_probes_run_the_images_programs_with_the_containers_env(http: httpx.AsyncClient) -> None:
    local = target(http, free_port(), bin_dir=Path("/usr/bin"))
    assert (await check(probe(exec={"command": ["true"]}), local)).ok
    failed = await check(probe(exec={"command": ["false"]}), local)
    assert failed.message.startswith("command exited with 1")
    # The container's environment (including the moved port) is the command's.
    assert (await check(probe(exec={"command": ["env"]}), local)).ok
    has_port = await check(probe(exec={"command": ["sh", "-c", 'test "$AGENT_HEALTH_PORT" -gt 0']}), local)
    assert has_port.ok
    slow = await check(ProbeSpec.parse({"timeoutSeconds": 1, "exec": {"command": ["sleep", "5"]}}), local)
    assert slow.message == "command timed out after 1s"
    missing = await check(probe(exec={"command": ["no-such-program"]}), local)
    assert missing.message == "exec probe: ['no-such-program'] is not a program of the image"


async def test_a_probe_the_runner_cannot_run_fails_saying_so(http: httpx.AsyncClient) -> None:
    outcome = await check(probe(grpc={"port": 9000}), target(http, free_port()))
    assert not outcome.ok
    assert "the pod runner cannot run this probe" in outcome.message
