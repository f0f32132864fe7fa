"""The MCP reference server (npm ``@modelcontextprotocol/server-everything``): a real peer nobody here wrote.

Installed by ``hack/install-mcp-reference.sh`` into the cache (pinned, every dependency by the
committed lock file), here first when missing. ``streamableHttp`` serves ``/mcp``, ``sse`` serves
``/sse`` (and ``/message``); ``hack/mcp-reference/loopback.cjs`` makes it listen on 127.0.0.1 only.
It offers 13 tools to a client like ours, among them ``echo`` (``Echo: <message>``), ``get-sum``,
``get-structured-content`` (text and structured content) and ``get-resource-reference`` (a tool
error for a resource id below 1).
"""

from __future__ import annotations

import os
import socket
import subprocess
from functools import cache
from pathlib import Path
from typing import Literal

from localcluster import free_port

from tests.support.process import LoggedProcess
from tests.support.wait import wait_for_sync

HACK = Path(__file__).resolve().parents[2] / "hack"
LOOPBACK = HACK / "mcp-reference" / "loopback.cjs"
Kind = Literal["streamableHttp", "sse"]
PATHS: dict[Kind, str] = {"streamableHttp": "/mcp", "sse": "/sse"}
TOOLS = 13


@cache
def executable() -> str:
    """The server's executable, installing it first when it is missing (seconds)."""
    done = subprocess.run(
        [str(HACK / "install-mcp-reference.sh")], capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"hack/install-mcp-reference.sh failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


class ReferenceServer(LoggedProcess):
    """One reference server on a loopback port; :meth:`restart` brings it back on the same port."""

    def __init__(self, kind: Kind, port: int | None = None) -> None:
        self.kind = kind
        self.port = port or free_port()
        super().__init__(
            ["node", "--require", str(LOOPBACK), executable(), kind],
            {**os.environ, "PORT": str(self.port)},
            f"mcp-everything-{kind}-",
        )

    @property
    def url(self) -> str:
        """The MCP endpoint: ``/mcp`` or ``/sse``."""
        return f"http://127.0.0.1:{self.port}{PATHS[self.kind]}"

    def wait_ready(self, timeout: float = 30) -> ReferenceServer:
        """Block until it accepts connections."""

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"the reference server exited:\n{self.log_text()}")
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for_sync(listening, timeout=timeout, interval=0.02, message=f"the {self.kind} reference server")
        return self

    def restart(self) -> ReferenceServer:
        """Kill it (a crash) and start a new one on the same port; returns the new one, ready."""
        self.kill()
        self.close()
        return ReferenceServer(self.kind, self.port).wait_ready()
