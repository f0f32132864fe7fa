"""Real parts for ``ark run`` tests: the ``ark`` console script and a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ARK = str(Path(sys.executable).parent / "ark")
REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "manifests" / "samples"

Responder = Callable[[dict[str, Any]], dict[str, Any]]


def ark(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ark`` command as a user would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_", "ARK_"))}
    full_env.update(env or {})
    return subprocess.run(
        [ARK, *args], capture_output=True, text=True, env=full_env, timeout=timeout, check=False, cwd=REPO
    )


def text_reply(text: str, prompt_tokens: int = 10, completion_tokens: int = 5) -> dict[str, Any]:
    """A final Chat Completions answer."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def tool_call_reply(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions answer asking for one tool call."""
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return {
        "id": "chatcmpl-t",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
    }


def user_prompt(body: dict[str, Any]) -> str:
    """The task prompt of a Chat Completions request."""
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def system_prompt(body: dict[str, Any]) -> str:
    """The system prompt of a Chat Completions request."""
    return next(m["content"] for m in body["messages"] if m["role"] == "system")


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1: POST ``/v1/chat/completions`` is answered by ``responder``;
    other POST paths by ``routes``. Every request body is recorded."""

    def __init__(
        self,
        responder: Responder | None = None,
        routes: dict[str, Callable[[dict[str, Any]], str]] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.responder = responder
        self.routes = routes or {}
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.paths.append(self.path)
                    if self.path.endswith("/chat/completions"):
                        server.requests.append(body)
                if server.delay:
                    time.sleep(server.delay)
                if self.path.endswith("/chat/completions") and server.responder is not None:
                    payload = json.dumps(server.responder(body)).encode()
                elif self.path in server.routes:
                    payload = server.routes[self.path](body).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """Environment pointing the OpenAI-compatible provider here."""
        return {"OPENAI_BASE_URL": f"{self.url}/v1", "OPENAI_API_KEY": "test-key"}


@contextmanager
def loopback(
    responder: Responder | None = None,
    routes: dict[str, Callable[[dict[str, Any]], str]] | None = None,
    delay: float = 0.0,
) -> Iterator[LoopbackServer]:
    """A running :class:`LoopbackServer`, shut down afterwards."""
    server = LoopbackServer(responder, routes, delay)
    server._thread.start()
    try:
        yield server
    finally:
        server._server.shutdown()
        server._server.server_close()


def write(tmp: Path, name: str, text: str) -> str:
    """Write a file under ``tmp`` and return its path."""
    path = tmp / name
    path.write_text(text)
    return str(path)
