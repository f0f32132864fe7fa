"""A real Weaviate server (built by ``hack/build-weaviate.sh``) for the memory tests.

Weaviate's gRPC (50051) and cluster (7946-7947) ports listen on every interface, hard-coded, so
it runs in a private network namespace with loopback only, and its HTTP port is relayed to a
free port on the machine's loopback (:mod:`tests.support.netns_relay`); nothing else of it can
be reached from outside. A single anonymous node, bring-your-own vectors, data in a temp dir.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from localcluster import free_port

from tests.support.netns_relay import die_with_parent
from tests.support.wait import wait_for_sync

REPO = Path(__file__).resolve().parents[2]
INNER_PORT = 8080
"""Weaviate's HTTP port inside its own namespace (nothing else is there)."""


def weaviate_binary() -> Path:
    """The binary hack/build-weaviate.sh made; a clear failure naming the command when it is missing."""
    versions = dict(
        line.split("=", 1) for line in (REPO / "hack/versions.env").read_text().splitlines() if "=" in line
    )
    cache = Path(os.environ.get("ARK_CACHE") or Path.home() / ".cache/ark")
    binary = cache / "weaviate" / versions["WEAVIATE_VERSION"] / "bin/weaviate-server"
    if not binary.exists():
        raise FileNotFoundError(f"{binary} missing: run hack/build-weaviate.sh (a prerequisite of make test)")
    return binary


class WeaviateServer:
    """Start, reach at :attr:`url`, stop."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="ark-weaviate-"))
        self.socket = self.workdir / "http.sock"
        self.port = free_port()
        self._log = (self.workdir / "weaviate.log").open("wb")
        self._procs: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        env = {
            **os.environ,
            "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED": "true",
            "AUTHORIZATION_ADMINLIST_ENABLED": "false",
            "PERSISTENCE_DATA_PATH": str(self.workdir / "data"),
            "DEFAULT_VECTORIZER_MODULE": "none",
            "ENABLE_MODULES": "",
            "API_BASED_MODULES_DISABLED": "true",
            "CLUSTER_HOSTNAME": "node1",
            "CLUSTER_BIND_ADDR": "127.0.0.1",
            "CLUSTER_ADVERTISE_ADDR": "127.0.0.1",
            "CLUSTER_IN_LOCALHOST": "true",
            "DISABLE_TELEMETRY": "true",
            "GO_PROFILING_DISABLE": "true",
        }
        server = [
            str(weaviate_binary()),
            "--host",
            "127.0.0.1",
            "--port",
            str(INNER_PORT),
            "--scheme",
            "http",
        ]
        relay = [sys.executable, "-m", "tests.support.netns_relay"]
        for args in (
            [
                "unshare",
                "--map-root-user",
                "--net",
                *relay,
                "inside",
                str(self.socket),
                str(INNER_PORT),
                "--",
                *server,
            ],
            [*relay, "outside", str(self.socket), str(self.port)],
        ):
            self._procs.append(
                subprocess.Popen(
                    args,
                    env=env,
                    cwd=REPO,
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent,
                )
            )
        wait_for_sync(self._ready, timeout=timeout, interval=0.2, message=f"weaviate (log: {self._log.name})")

    def _ready(self) -> bool:
        for proc in self._procs:
            if proc.poll() is not None:
                raise RuntimeError(f"weaviate exited while starting; see {self._log.name}")
        try:
            return httpx.get(f"{self.url}/v1/.well-known/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
