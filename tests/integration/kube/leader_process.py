"""A manager with leader election in its own OS process, for the leader-election tests.

Usage: python leader_process.py KUBECONFIG NAMESPACE LEASE IDENTITY

Prints ``READY`` once its caches have synced, ``LEADING <identity>`` when it
becomes leader, and ``STOPPED`` after a graceful stop (SIGTERM). Exit code 0
on a graceful stop, 3 if leadership was lost.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ark.kube.client import KubeClient
from ark.kube.leaderelection import LeadershipLost
from ark.kube.manager import Manager
from ark.kube.resources import CONFIGMAPS


async def main(kubeconfig: Path, namespace: str, lease: str, identity: str) -> int:
    client = await KubeClient.from_kubeconfig(kubeconfig)
    manager = Manager(
        client,
        name=lease,
        leader_election=True,
        lease_namespace=namespace,
        identity=identity,
        health_port=0,
        graceful_timeout=5,
    )
    manager.informers.informer(CONFIGMAPS, namespace=namespace)

    async def announce_ready() -> None:
        print("READY", flush=True)

    async def lead() -> None:
        print(f"LEADING {identity}", flush=True)
        await asyncio.Event().wait()

    manager.add_runnable(announce_ready, needs_leader=False)
    manager.add_runnable(lead)
    try:
        await manager.run(handle_signals=True)
    except LeadershipLost:
        print("LOST", flush=True)
        return 3
    finally:
        await client.close()
    print("STOPPED", flush=True)
    return 0


if __name__ == "__main__":
    kubeconfig, namespace, lease, identity = sys.argv[1:5]
    sys.exit(asyncio.run(main(Path(kubeconfig), namespace, lease, identity)))
