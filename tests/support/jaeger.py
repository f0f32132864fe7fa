"""Jaeger, built by ``hack/build-jaeger.sh``: OTLP/HTTP in, its HTTP query API out, all on loopback.

It runs a configuration of our own (the all-in-one one, trimmed): in-memory storage, the OTLP
receiver over HTTP and the query service, each on a free 127.0.0.1 port, nothing else listening
(no Jaeger/Zipkin receivers, no sampling, zpages or metrics endpoints), and its own telemetry
off (the query service's ``enable_tracing``, metrics and traces level ``none``), so it stops at
once on SIGTERM instead of retrying an export for 10 s.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml
from localcluster import VERSIONS, free_port

from tests.support.process import LoggedProcess
from tests.support.wait import wait_for_sync

Obj = dict[str, Any]
MAX_ANSWER_BYTES = 8 << 20


def jaeger_binary() -> Path:
    """``${ARK_CACHE:-~/.cache/ark}/jaeger/<version>/bin/jaeger``; an AssertionError says how to build it."""
    root = Path(os.environ.get("ARK_CACHE", Path.home() / ".cache" / "ark"))
    path = root / "jaeger" / VERSIONS["JAEGER_VERSION"] / "bin" / "jaeger"
    assert os.access(path, os.X_OK), f"{path} is missing: build it with hack/build-jaeger.sh (make test does)"
    return path


def _config(otlp_port: int, query_port: int, query_grpc_port: int, health_port: int) -> Obj:
    loopback = "127.0.0.1"
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["batch"],
                    "exporters": ["jaeger_storage_exporter"],
                }
            },
            "telemetry": {
                "metrics": {"level": "none"},
                "traces": {"level": "none"},
                "logs": {"level": "warn"},
            },
        },
        "extensions": {
            "jaeger_storage": {"backends": {"memstore": {"memory": {"max_traces": 10000}}}},
            "jaeger_query": {
                "storage": {"traces": "memstore"},
                # Its own spans would go to an OTLP/gRPC endpoint on 4317, retried on exit.
                "enable_tracing": False,
                "http": {"endpoint": f"{loopback}:{query_port}"},
                "grpc": {"endpoint": f"{loopback}:{query_grpc_port}"},
            },
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"{loopback}:{health_port}"}},
        },
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"{loopback}:{otlp_port}"}}}},
        # Spans reach storage within 100 ms of arriving.
        "processors": {"batch": {"timeout": "100ms"}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "memstore"}},
    }


class Jaeger(LoggedProcess):
    """One Jaeger on free loopback ports; :attr:`otlp_url` takes spans, :meth:`trace` reads one back."""

    def __init__(self) -> None:
        self.otlp_port, self.query_port = free_port(), free_port()
        self.health_port = free_port()
        config = _config(self.otlp_port, self.query_port, free_port(), self.health_port)
        self._config = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w", prefix="jaeger-", suffix=".yaml", delete=False
        )
        self._config.write(yaml.safe_dump(config))
        self._config.close()
        env = {"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir()}
        super().__init__([str(jaeger_binary()), f"--config={self._config.name}"], env, "jaeger-")

    @property
    def otlp_url(self) -> str:
        """The ``OTEL_EXPORTER_OTLP_ENDPOINT`` that exports here (OTLP/HTTP)."""
        return f"http://127.0.0.1:{self.otlp_port}"

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.query_port}"

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"jaeger exited with {self.proc.returncode}:\n{self.log_text()}")
        try:
            health = httpx.get(f"http://127.0.0.1:{self.health_port}/status", timeout=2)
            services = httpx.get(f"{self.query_url}/api/services", timeout=2)
        except httpx.TransportError:
            return False
        return health.status_code == 200 and services.status_code == 200

    def wait_ready(self, timeout: float = 60) -> Jaeger:
        """Block until the receiver's health check and the query API answer."""
        wait_for_sync(self._ready, timeout=timeout, interval=0.05, message="jaeger ready")
        return self

    def _get(self, path: str) -> Obj | None:
        with httpx.stream("GET", f"{self.query_url}{path}", timeout=10) as answer:
            if answer.status_code == 404:
                return None
            answer.raise_for_status()
            body = b""
            for chunk in answer.iter_bytes():
                body += chunk
                assert len(body) <= MAX_ANSWER_BYTES, (
                    f"jaeger's answer to {path} is over {MAX_ANSWER_BYTES} bytes"
                )
        document: Obj = json.loads(body)
        return document

    def trace(self, trace_id: str) -> Obj | None:
        """``GET /api/traces/<id>``: the trace (``spans``, ``processes``), or None before it arrived."""
        answer = self._get(f"/api/traces/{trace_id}")
        data = (answer or {}).get("data") or []
        return data[0] if data else None

    def services(self) -> list[str]:
        """``GET /api/services``: the service names that sent spans."""
        return list(((self._get("/api/services") or {}).get("data")) or [])

    def close(self) -> None:
        super().close()
        Path(self._config.name).unlink(missing_ok=True)
