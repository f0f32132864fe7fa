"""The fire's body: capped at 1 MiB, given one deadline, read as a JSON object or ignored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ark.webhook.body import MAX_BODY_BYTES, BodyTimeout, BodyTooLarge, parse_body, read_body


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_body_up_to_the_cap_is_read_whole() -> None:
    body = b"x" * MAX_BODY_BYTES
    assert await read_body(chunks(body[:10], body[10:]), str(len(body)), timeout=5) == body
    assert await read_body(chunks(), None, timeout=5) == b""


async def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    async def untouchable() -> AsyncIterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover - makes this a generator

    with pytest.raises(BodyTooLarge, match=f"{MAX_BODY_BYTES + 1} bytes"):
        await read_body(untouchable(), str(MAX_BODY_BYTES + 1), timeout=5)


async def test_an_undeclared_body_stops_at_the_first_byte_over() -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            sent.append(64 * 1024)
            yield b"x" * 64 * 1024

    with pytest.raises(BodyTooLarge):
        await read_body(endless(), None, timeout=5)
    assert sum(sent) == MAX_BODY_BYTES + 64 * 1024


async def test_the_whole_body_has_one_deadline_not_one_per_chunk() -> None:
    # A byte at every turn of the loop: never idle, yet the body never ends.
    async def trickle() -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0)
            yield b"x"

    with pytest.raises(BodyTimeout, match=r"within 0\.3s"):
        await read_body(trickle(), None, timeout=0.3)


def test_only_a_json_object_becomes_the_trigger_body() -> None:
    assert parse_body(b'{"service": "billing", "n": 2}') == {"service": "billing", "n": 2}
    for ignored in (b"", b"  ", b"{not json", b"[1]", b'"s"', b"3", b"null", b"\xff\xfe", b"[" * 100000):
        assert parse_body(ignored) == {}, ignored
