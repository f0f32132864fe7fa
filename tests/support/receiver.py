"""A loopback HTTP receiver that records every POST and answers with scripted statuses.

Usage::

    with Receiver() as receiver:
        receiver.script("/flaky", 500, 500)      # the first two POSTs to /flaky get 500, then 200
        url = receiver.url("/flaky")             # http://127.0.0.1:<port>/flaky
        ...
        receiver.requests("/flaky")              # [Received(path, headers, body), ...]
        release = receiver.hold("/slow")         # POSTs to /slow wait until release.set()
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that gave up (a timeout under test) closed its end: not news


class Receiver:
    """A ``ThreadingHTTPServer`` on 127.0.0.1 (a free port), run in a thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: dict[str, list[Received]] = defaultdict(list)
        self._scripts: dict[str, deque[int]] = defaultdict(deque)
        self._fixed: dict[str, int] = {}
        self._held: dict[str, threading.Event] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length)
                path = self.path.split("?", 1)[0]
                status = receiver._record(
                    Received(path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                held = receiver._held.get(path)
                if held is not None:
                    held.wait(timeout=60)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: pytest shows failures, not access logs

        self._server = _Server(("127.0.0.1", 0), Handler)
        # A short poll so that shutdown() returns at once (the default waits up to 0.5 s).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def _record(self, request: Received) -> int:
        with self._lock:
            self._received[request.path].append(request)
            script = self._scripts[request.path]
            if script:
                return script.popleft()
            return self._fixed.get(request.path, 200)

    def script(self, path: str, *statuses: int) -> None:
        """Answer the next POSTs to ``path`` with ``statuses`` in order, then 200."""
        with self._lock:
            self._scripts[path].extend(statuses)

    def always(self, path: str, status: int) -> None:
        """Answer every POST to ``path`` with ``status``."""
        with self._lock:
            self._fixed[path] = status

    def hold(self, path: str) -> threading.Event:
        """Answer POSTs to ``path`` only once the returned event is set (a receiver that hangs)."""
        with self._lock:
            return self._held.setdefault(path, threading.Event())

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def requests(self, path: str) -> list[Received]:
        with self._lock:
            return list(self._received[path])

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        for held in self._held.values():
            held.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
