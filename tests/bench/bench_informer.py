"""Informer cost at 10k objects on a real API server: memory per object and list+watch sync time.

Starts its own control plane (hack/localcluster.py), fills a namespace with
10,000 ConfigMaps from a child process (so this process's memory only grows
by what the informer keeps), then starts one informer and prints:

    bench: informer_sync_10k <seconds> s                  start -> listed, and a new object seen by the watch
    bench: informer_overhead_per_object <bytes> B         RSS growth per object minus its JSON size
    bench: informer_json_per_object <bytes> B             compact JSON of one cached object

The JSON size is measured on the objects as cached (without managedFields,
which the informer drops), so the overhead is what the Python representation
and the indexes cost on top of the data itself.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from pathlib import Path

from ark.kube.client import KubeClient
from ark.kube.informer import EventHandler, SharedInformer
from ark.kube.resources import CONFIGMAPS, NAMESPACES

COUNT = 10_000
NAMESPACE = "bench-informer"
HACK = Path(__file__).resolve().parents[2] / "hack"


def rss_bytes() -> int:
    """Resident set size of this process."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def configmap(i: int) -> dict[str, object]:
    """A typical small ConfigMap: a few labels, an annotation, a few data keys."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"config-{i:05d}",
            "namespace": NAMESPACE,
            "labels": {
                "app": f"app-{i % 100}",
                "tier": ["web", "db", "cache"][i % 3],
                "ark.dev/managed": "true",
            },
            "annotations": {"ark.dev/owner": f"team-{i % 17}"},
        },
        "data": {
            "mode": "production",
            "replicas": str(i % 5 + 1),
            "endpoint": f"http://service-{i}.svc:8080",
        },
    }


async def populate(kubeconfig: str) -> None:
    """Child-process mode: create the namespace and the ConfigMaps."""
    client = await KubeClient.from_kubeconfig(kubeconfig)
    try:
        await client.create(
            NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        )
        limit = asyncio.Semaphore(64)

        async def create(i: int) -> None:
            async with limit:
                await client.create(CONFIGMAPS, configmap(i))

        await asyncio.gather(*(create(i) for i in range(COUNT)))
    finally:
        await client.close()


async def measure(kubeconfig: str) -> None:
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(sys.executable, __file__, "populate", kubeconfig)
    if await child.wait() != 0:
        raise RuntimeError("populating the namespace failed")
    print(f"bench: informer_populate_10k {time.monotonic() - started:.1f} s")

    client = await KubeClient.from_kubeconfig(kubeconfig)
    try:
        # Warm up the client (TLS session, imports, JSON decoder) on a small list first.
        await client.list(CONFIGMAPS, NAMESPACE, limit=10)
        gc.collect()
        before = rss_bytes()
        informer = SharedInformer(client, CONFIGMAPS, namespace=NAMESPACE)
        probe_seen = asyncio.Event()
        informer.add_event_handler(
            EventHandler(on_add=lambda o: probe_seen.set() if o["metadata"]["name"] == "probe" else None)
        )
        started = time.monotonic()
        informer.start()
        await informer.wait_for_sync()
        listed_seconds = time.monotonic() - started
        # Synced means listed; one object created now and seen proves the watch is live too.
        await client.create(
            CONFIGMAPS,
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": NAMESPACE}},
        )
        await probe_seen.wait()
        sync_seconds = time.monotonic() - started
        gc.collect()
        after = rss_bytes()
        cached = informer.store.list()
        json_bytes = sum(len(json.dumps(o, separators=(",", ":"))) for o in cached) / len(cached)
        overhead = (after - before) / len(cached) - json_bytes
        print(f"bench: informer_sync_10k {sync_seconds:.2f} s")
        print(f"bench: informer_list_10k {listed_seconds:.2f} s")
        print(f"bench: informer_overhead_per_object {overhead:.0f} B")
        print(f"bench: informer_json_per_object {json_bytes:.0f} B")
        print(f"bench: informer_rss_growth_10k {(after - before) / 2**20:.1f} MiB for {len(cached)} objects")
        await informer.stop()
    finally:
        await client.close()


async def main() -> None:
    """Start a control plane, fill it, measure, stop it."""
    if str(HACK) not in sys.path:
        sys.path.insert(0, str(HACK))
    from localcluster import ControlPlane

    plane = ControlPlane()
    await asyncio.to_thread(plane.start)
    try:
        await measure(str(plane.kubeconfig))
    finally:
        await asyncio.to_thread(plane.stop)


if __name__ == "__main__":
    if sys.argv[1:2] == ["populate"]:
        asyncio.run(populate(sys.argv[2]))
    else:
        asyncio.run(main())
