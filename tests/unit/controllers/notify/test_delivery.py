"""Deliveries over real loopback HTTP: 2xx delivers, 5xx/429 and silence are retried with backoff,
other answers fail at once, and a huge answer is not read to its end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ark.controllers.notify.channels import Payload, Target
from ark.controllers.notify.delivery import MAX_RESPONSE_BYTES, Outcome, RetryPolicy, client, post
from tests.support.receiver import Receiver

FAST = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.02)
BODY = Payload(b'{"text": "hi"}', "application/json")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def target(url: str) -> Target:
    return Target("spec.channel (webhook)", "webhook", url, (("Authorization", "Bearer t"),))


async def test_a_2xx_answer_delivers_with_the_headers(receiver: Receiver) -> None:
    async with client() as http:
        outcome = await post(http, target(receiver.url("/in")), BODY, "id-1", FAST)
    assert outcome == Outcome(True, 200, 1)
    [request] = receiver.requests("/in")
    assert request.body == BODY.body
    assert request.headers["authorization"] == "Bearer t"
    assert request.headers["x-ark-notification-id"] == "id-1"
    assert request.headers["content-type"] == "application/json"


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_5xx_and_429_are_retried_until_an_answer_delivers(receiver: Receiver, status: int) -> None:
    receiver.script("/in", status, status)
    async with client() as http:
        outcome = await post(http, target(receiver.url("/in")), BODY, "id", FAST)
    assert outcome == Outcome(True, 200, 3)
    assert len(receiver.requests("/in")) == 3


async def test_retries_end_after_the_last_attempt(receiver: Receiver) -> None:
    receiver.always("/in", 502)
    async with client() as http:
        outcome = await post(http, target(receiver.url("/in")), BODY, "id", FAST)
    assert outcome == Outcome(False, 502, 3, "HTTP 502")
    assert outcome.describe() == "HTTP 502 after 3 attempts"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 301])
async def test_other_answers_fail_at_once(receiver: Receiver, status: int) -> None:
    receiver.always("/in", status)
    async with client() as http:
        outcome = await post(http, target(receiver.url("/in")), BODY, "id", FAST)
    assert (outcome.delivered, outcome.status, outcome.attempts) == (False, status, 1)
    assert outcome.describe() == f"HTTP {status} after 1 attempt"


async def test_a_refused_connection_is_retried_and_named_without_the_url() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    async with client() as http:
        outcome = await post(http, target(f"http://127.0.0.1:{port}/x?token=abc"), BODY, "id", FAST)
    assert (outcome.delivered, outcome.status, outcome.attempts) == (False, None, 3)
    assert outcome.describe() == "connection failed (ConnectError) after 3 attempts"


@pytest.fixture
async def silent() -> AsyncIterator[str]:
    """A server that accepts and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_a_receiver_that_never_answers_times_out_each_attempt(silent: str) -> None:
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=0.2) as http:
        outcome = await post(http, target(silent), BODY, "id", RetryPolicy(attempts=2, initial_backoff=0.01))
    assert outcome.describe() == "timed out after 2 attempts"
    assert time.monotonic() - started < 5


@pytest.fixture
async def endless() -> AsyncIterator[str]:
    """A server answering 200 with a body that never ends."""

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
        try:
            while True:
                writer.write(b"x" * 65536)
                await writer.drain()
        except (ConnectionError, OSError):
            return

    server = await asyncio.start_server(flood, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    server.close()
    await server.wait_closed()


async def test_a_huge_answer_is_read_only_up_to_the_bound(endless: str) -> None:
    async with client() as http:
        outcome = await post(http, target(endless), BODY, "id", FAST)
    assert outcome == Outcome(True, 200, 1)
    assert MAX_RESPONSE_BYTES == 64 * 1024
