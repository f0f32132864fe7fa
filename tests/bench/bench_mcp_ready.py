"""How long an agent pod takes to be ready when it has tool servers to connect first.

- ``runtime_ready_with_mcp``: ``ark-runtime`` process start -> ``/readyz`` 200, with two reachable
  MCP servers (the npm reference server over streamable HTTP and over SSE), median of
  :data:`SAMPLES` starts. Ready means both servers connected and their 26 tools listed.
- ``runtime_ready_no_mcp``: the same without tool servers, for comparison.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from localcluster import RedisServer, free_port

from tests.support.mcp_reference import ReferenceServer

RUNTIME = str(Path(sys.executable).parent / "ark-runtime")
SAMPLES = 7
POLL = 0.005
TIMEOUT = 60.0


def ready_ms(redis_url: str, mcp: list[dict[str, str]]) -> float:
    """One start: milliseconds from spawning the process to the first 200 from ``/readyz``."""
    port = free_port()
    env = {
        **os.environ,
        "AGENT_MODEL": "mock",
        "AGENT_SYSTEM_PROMPT": "You are a benchmark agent.",
        "TASK_QUEUE_URL": redis_url,
        "AGENT_NAMESPACE": "bench",
        "AGENT_NAME": "ready",
        "AGENT_HEALTH_PORT": str(port),
        "AGENT_MCP_SERVERS": json.dumps(mcp),
        "LOG_LEVEL": "WARNING",
    }
    url = f"http://127.0.0.1:{port}/readyz"
    started = time.perf_counter()
    proc = subprocess.Popen([RUNTIME], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=2) as client:
            while time.perf_counter() - started < TIMEOUT:
                if proc.poll() is not None:
                    raise RuntimeError(f"ark-runtime exited with {proc.returncode}")
                try:
                    if client.get(url).status_code == 200:
                        return (time.perf_counter() - started) * 1000
                except httpx.TransportError:
                    pass  # not serving yet
                time.sleep(POLL)
        raise RuntimeError(f"/readyz not 200 within {TIMEOUT:g}s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    """Print the medians."""
    redis = RedisServer()
    redis.start()
    servers = [ReferenceServer(kind).wait_ready() for kind in ("streamableHttp", "sse")]
    try:
        mcp = [{"name": f"ref{i}", "url": s.url} for i, s in enumerate(servers)]
        ready_ms(redis.url, mcp)  # warm-up: file caches, the servers' first sessions
        with_mcp = statistics.median(ready_ms(redis.url, mcp) for _ in range(SAMPLES))
        without = statistics.median(ready_ms(redis.url, []) for _ in range(SAMPLES))
        print(f"bench: runtime_ready_with_mcp {with_mcp:.0f} ms", flush=True)
        print(f"bench: runtime_ready_no_mcp {without:.0f} ms", flush=True)
    finally:
        for server in servers:
            server.close()
        redis.stop()


if __name__ == "__main__":
    main()
