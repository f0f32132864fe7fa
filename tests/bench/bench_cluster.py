"""Local control plane: warm start of etcd + apiserver + kcm + scheduler + kwok to a Ready node."""

from __future__ import annotations

import time

from localcluster import ControlPlane, RedisServer


def main() -> None:
    """Print the warm start time of the control plane and of Redis."""
    started = time.monotonic()
    cp = ControlPlane()
    cp.start()
    print(f"bench: cluster_warm_start {time.monotonic() - started:.2f} s", flush=True)
    cp.stop()
    started = time.monotonic()
    redis = RedisServer()
    redis.start()
    print(f"bench: redis_start {(time.monotonic() - started) * 1000:.0f} ms", flush=True)
    redis.stop()
