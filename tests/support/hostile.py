"""A loopback HTTP/1.1 server that misbehaves on purpose, written on raw sockets.

A well-behaved framework cannot send what a broken proxy or a hostile peer sends, so this one
writes the bytes itself. The first path segment picks the behaviour (``/endless/chat/completions``);
``/by-prompt/...`` picks it from a ``hostile:<name>`` marker in the request body and answers a normal
OpenAI completion when there is none, so one model URL can serve hostile and ordinary tasks. A
path ending in ``/tools/list`` gets a valid simple-HTTP tools list whatever the behaviour, so the
tool call itself is what misbehaves.

Every loop is bounded (bytes and seconds) and stops as soon as the client goes away.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import zlib
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from localcluster import free_port

from tests.support.wait import wait_for_sync

GIB = 1 << 30
CHUNK = 64 * 1024
MAX_SECONDS = 120.0
"""No behaviour sends for longer than this, whether or not anyone reads."""

BEHAVIOURS = ("endless", "huge", "gzip-bomb", "deflate-bomb", "drip", "huge-headers", "big-headers")
"""The behaviours that test size and time bounds (each also has a name in the module's functions)."""

_MARKER = re.compile(rb"hostile:([a-z-]+)")
_JSON_START = b'{"choices":[{"index":0,"message":{"role":"assistant","content":"'


@cache
def bomb(encoding: str) -> bytes:
    """About 1 MiB of ``gzip`` or ``deflate`` that inflates to 1 GiB of a JSON string's inside.

    Built in a fraction of a second: after a full flush the compressor forgets its history, so
    every further 1 MiB block of ``a`` compresses to the same bytes, which are repeated; only the
    checksum trailer is computed over the whole 1 GiB.
    """
    gzip = encoding == "gzip"
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
    block = b"a" * (1 << 20)
    first = packer.compress(_JSON_START) + packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    repeat = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush()
    crc, adler = zlib.crc32(_JSON_START), zlib.adler32(_JSON_START)
    for _ in range(1024):
        crc, adler = zlib.crc32(block, crc), zlib.adler32(block, adler)
    size = len(_JSON_START) + 1024 * len(block)
    if gzip:
        trailer = crc.to_bytes(4, "little") + (size % (1 << 32)).to_bytes(4, "little")
        return first + repeat * 1023 + end[:-8] + trailer
    return first + repeat * 1023 + end[:-4] + adler.to_bytes(4, "big")


def openai_answer(text: str) -> bytes:
    """A valid Chat Completions body answering ``text``."""
    return json.dumps(
        {
            "id": "chatcmpl-h",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    ).encode()


def tools_list() -> bytes:
    """A simple-HTTP tools list with one tool, ``fetch``."""
    return json.dumps(
        {"tools": [{"name": "fetch", "description": "Fetch a thing", "inputSchema": {"type": "object"}}]}
    ).encode()


class _Client:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.deadline = time.monotonic() + MAX_SECONDS

    async def send(self, data: bytes) -> bool:
        """Write and drain; False once the client has gone or the time is up."""
        if time.monotonic() > self.deadline or self.writer.is_closing():
            return False
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError):
            return False
        return True

    async def head(self, status: str, headers: list[tuple[str, str]]) -> bool:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "", ""]
        return await self.send("\r\n".join(lines).encode("latin-1"))


async def _endless(client: _Client) -> None:
    if not await client.head(
        "200 OK", [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]
    ):
        return
    chunk = b"%x\r\n%s\r\n" % (CHUNK, b"a" * CHUNK)
    await client.send(b"%x\r\n%s\r\n" % (len(_JSON_START), _JSON_START))
    sent = 0
    while sent < 64 * GIB and await client.send(chunk):
        sent += CHUNK


async def _huge(client: _Client) -> None:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(GIB))]
    if not await client.head("200 OK", headers) or not await client.send(_JSON_START):
        return
    sent, block = len(_JSON_START), b"a" * CHUNK
    while sent < GIB and await client.send(block[: GIB - sent]):
        sent += CHUNK


async def _bomb(client: _Client, encoding: str) -> None:
    body = bomb(encoding)
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Encoding", encoding),
        ("Content-Length", str(len(body))),
    ]
    if await client.head("200 OK", headers):
        for start in range(0, len(body), CHUNK):
            if not await client.send(body[start : start + CHUNK]):
                return


async def _drip(client: _Client) -> None:
    body = openai_answer("drip " * 200)
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if not await client.head("200 OK", headers):
        return
    for byte in body:
        if not await client.send(bytes([byte])):
            return
        await asyncio.sleep(1.0)


async def _headers(client: _Client, total: int) -> None:
    junk = [(f"X-Junk-{i}", "j" * 1000) for i in range(total // 1000)]
    body = openai_answer("after the headers")
    await client.head(
        "200 OK", [*junk, ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    await client.send(body)


async def _normal(client: _Client, request: bytes) -> None:
    # The last message's content is the task prompt (the system prompt comes first).
    contents = re.findall(rb'"content": ?"([^"]*)"', request)
    body = openai_answer(f"ok: {contents[-1].decode() if contents else ''}")
    if await client.head(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    ):
        await client.send(body)


def _behaviour(name: str) -> Callable[[_Client], Awaitable[None]] | None:
    return {
        "endless": _endless,
        "huge": _huge,
        "gzip-bomb": lambda c: _bomb(c, "gzip"),
        "deflate-bomb": lambda c: _bomb(c, "deflate"),
        "drip": _drip,
        "huge-headers": lambda c: _headers(c, 1 << 20),
        "big-headers": lambda c: _headers(c, 80 * 1024),
    }.get(name)


class HostileServer:
    """The server, on a loopback port, in its own thread and event loop."""

    def __init__(self) -> None:
        self.port = free_port()
        self.served: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None
        self._stopping = asyncio.Event()
        self._stopping = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        wait_for_sync(lambda: self._server is not None, timeout=10, message="the hostile server")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        async with await asyncio.start_server(self._handle, "127.0.0.1", self.port) as server:
            self._server = server
            await self._stopping.wait()
            server.close()
            # A connection accepted while closing starts a handler late: repeat until none is left.
            while handlers := [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                for task in handlers:
                    task.cancel()
                await asyncio.gather(*handlers, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = _Client(writer)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                path, body = request
                await self._answer(client, path, body)
                if writer.is_closing():
                    return
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        finally:
            writer.close()

    async def _answer(self, client: _Client, path: str, body: bytes) -> None:
        first = path.strip("/").split("/")[0]
        if path.endswith("/tools/list"):
            listing = tools_list()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(listing)))]
            await client.head("200 OK", headers)
            await client.send(listing)
            return
        if first == "by-prompt":
            marker = _MARKER.search(body)
            first = marker.group(1).decode() if marker else "normal"
        self.served.append(first)
        behaviour = _behaviour(first)
        if behaviour is None:
            await _normal(client, body)
            return
        await behaviour(client)
        client.writer.close()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, bytes] | None:
    head = await reader.readuntil(b"\r\n\r\n")
    if not head:
        return None
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = min(int(value.strip() or 0), 16 << 20)
    body = await reader.readexactly(length) if length else b""
    return path, body


def hostile_asgi(app: Any, behaviour: str, methods: tuple[str, ...] = ("tools/call",)) -> Any:
    """``app`` (a real MCP server) whose answers to the JSON-RPC ``methods`` misbehave as ``behaviour``:
    ``endless``, ``gzip-bomb``, ``drip``, ``huge-headers``, ``endless-event`` (an event stream whose
    one event never ends), ``hang`` (no answer) or ``rpc-error`` (a JSON-RPC error). Every other
    message is the real server's. The handshake is ``server/discover`` then ``initialize``."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            rpc = json.loads(body)
        except ValueError:
            rpc = {}
        called = rpc.get("method") if isinstance(rpc, dict) else None
        if called not in methods:
            replayed = iter([{"type": "http.request", "body": body, "more_body": False}])

            async def replay() -> Any:
                return next(replayed, None) or await receive()

            await app(scope, replay, send)
            return
        await _misbehave(send, behaviour, rpc.get("id"))

    return wrapped


async def _misbehave(send: Any, behaviour: str, rpc_id: Any) -> None:
    deadline = time.monotonic() + MAX_SECONDS

    async def start(headers: list[tuple[bytes, bytes]]) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def body(data: bytes, more: bool = True) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": more})

    json_type = (b"content-type", b"application/json")
    if behaviour == "endless":
        await start([json_type])
        for _ in range(GIB // CHUNK):
            if time.monotonic() > deadline:
                break
            await body(b"a" * CHUNK)
    elif behaviour == "gzip-bomb":
        await start([json_type, (b"content-encoding", b"gzip")])
        data = bomb("gzip")
        for offset in range(0, len(data), CHUNK):
            await body(data[offset : offset + CHUNK])
    elif behaviour == "drip":
        await start([json_type])
        for byte in b'{"jsonrpc": "2.0", "id": 1, "result": {"content": []}}':
            await body(bytes([byte]))
            await asyncio.sleep(1.0)
    elif behaviour == "huge-headers":
        await start([json_type, *((f"x-junk-{i}".encode(), b"j" * 1000) for i in range(1024))])
    elif behaviour == "hang":
        await asyncio.sleep(MAX_SECONDS)
    elif behaviour == "rpc-error":
        error = {"code": -32603, "message": "the server is misconfigured"}
        await start([json_type])
        await body(json.dumps({"jsonrpc": "2.0", "id": rpc_id, "error": error}).encode())
    elif behaviour == "endless-event":
        await start([(b"content-type", b"text/event-stream")])
        await body(b"event: message\ndata: ")
        for _ in range(GIB // CHUNK):
            if time.monotonic() > deadline:
                break
            await body(b"a" * CHUNK)
    await body(b"", more=False)
