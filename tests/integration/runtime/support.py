"""Real parts for the runtime tests: a loopback model server and real ``ark-runtime`` processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from localcluster import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.process import LoggedProcess
from tests.support.wait import wait_for_sync

RUNTIME = str(Path(sys.executable).parent / "ark-runtime")


@dataclass
class Reply:
    """One scripted HTTP answer: a JSON body (or raw text), a status, headers, an optional delay."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | bytes | None = None
    delay: float = 0.0


Responder = Callable[[dict[str, Any]], Reply]


def anthropic_text(text: str, input_tokens: int = 10, output_tokens: int = 5) -> Reply:
    """A final Messages answer."""
    return Reply(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
    )


def anthropic_tool_use(call_id: str, name: str, arguments: dict[str, Any], text: str = "") -> Reply:
    """A Messages answer asking for one tool call."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content.append({"type": "tool_use", "id": call_id, "name": name, "input": arguments})
    return Reply(
        {
            "id": "msg_t",
            "type": "message",
            "role": "assistant",
            "content": content,
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 20, "output_tokens": 8},
        }
    )


def openai_text(text: str, prompt_tokens: int = 10, completion_tokens: int = 5) -> Reply:
    """A final Chat Completions answer."""
    return Reply(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": 15,
            },
        }
    )


def openai_tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> Reply:
    """A Chat Completions answer asking for one tool call."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Reply(
        {
            "id": "chatcmpl-t",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
        }
    )


class ThreadedServer:
    """An ASGI app served by uvicorn on a loopback port, in its own thread and event loop."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.run(self._server.serve())

    def start(self) -> None:
        self._thread.start()

        def up() -> bool:
            if not self._thread.is_alive():
                raise RuntimeError(f"server on port {self.port} died while starting")
            return bool(self._server.started)

        wait_for_sync(up, timeout=10, interval=0.01, message=f"the loopback server on port {self.port}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Gate:
    """An ASGI wrapper holding every request until :meth:`open` (a server slow to come up)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.opened = threading.Event()
        self.held = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.held += 1
            await asyncio.to_thread(self.opened.wait, 60)
        await self.app(scope, receive, send)

    def open(self) -> None:
        self.opened.set()


class ModelServer(ThreadedServer):
    """Speaks Anthropic ``/v1/messages``, OpenAI ``/v1/chat/completions`` and ``/v1/embeddings``.

    Answers come from :attr:`script` in order, else from :attr:`responder`. Every request is
    recorded (path, headers, JSON body) in :attr:`requests`. Embeddings come from :attr:`embedder`
    (text -> vector; a 500 without one); their requests are recorded in :attr:`embedding_requests`.
    """

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.responder: Responder | None = None
        self.embedder: Callable[[str], list[float]] | None = None
        self.requests: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        app = Starlette(
            routes=[
                Route("/v1/messages", self._handle, methods=["POST"]),
                Route("/v1/chat/completions", self._handle, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
            ]
        )
        super().__init__(app)

    async def _embeddings(self, request: Request) -> Response:
        body = await request.json()
        with self._lock:
            self.embedding_requests.append({"headers": dict(request.headers), "body": body})
        if self.embedder is None:
            return Response('{"error":{"message":"no embedder"}}', status_code=500)
        vector = self.embedder(body["input"])
        answer = {
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": vector}],
            "model": body.get("model", ""),
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
        return Response(json.dumps(answer), media_type="application/json")

    async def _handle(self, request: Request) -> Response:
        body = await request.json()
        entry = {
            "path": request.url.path,
            "headers": dict(request.headers),
            "body": body,
            "at": time.monotonic(),
        }
        with self._lock:
            self.requests.append(entry)
            reply = self.script.pop(0) if self.script else None
        if reply is None:
            if self.responder is None:
                return Response('{"error":{"message":"no scripted reply"}}', status_code=500)
            reply = self.responder(entry)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        content = reply.raw if reply.raw is not None else json.dumps(reply.body)
        return Response(
            content, status_code=reply.status, headers=reply.headers, media_type="application/json"
        )

    @property
    def openai_base(self) -> str:
        return f"{self.url}/v1"


def last_user_text(body: dict[str, Any]) -> str:
    """The task prompt of a recorded request, in either wire format."""
    for message in body["messages"]:
        if message["role"] == "user":
            content = message["content"]
            return content if isinstance(content, str) else content[0].get("text", "")
    return ""


class RuntimeProcess(LoggedProcess):
    """A real ``ark-runtime`` process with its own environment; logs go to a temp file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env}
        self.health_port = int(self.env.setdefault("AGENT_HEALTH_PORT", str(free_port())))
        super().__init__([RUNTIME], self.env, "ark-runtime-")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def logs(self) -> list[dict[str, Any]]:
        lines = Path(self._log.name).read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def started(self) -> bool:
        return any(e.get("msg") == "agent started" for e in self.logs())


@contextlib.contextmanager
def runtimes(*envs: dict[str, str]) -> Iterator[list[RuntimeProcess]]:
    """Start one runtime per environment; every one is killed on exit."""
    procs = [RuntimeProcess(env) for env in envs]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.close()
