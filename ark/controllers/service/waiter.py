"""Waiting for ArkRuns to end, driven by the runs informer (no polling).

Interface::

    waiter = RunWaiter(runs_cache)                 # registers a handler on the cache's informers
    run = await waiter.wait("ns", "svc-x4kpz", timeout=60)
    # the run once Succeeded or Failed; its last state if it was deleted; None after the timeout
"""

from __future__ import annotations

import asyncio
from typing import Any

from ark.controllers.cache import Cache
from ark.kube.informer import EventHandler

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


def _key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def _ended(obj: Obj) -> bool:
    return (obj.get("status") or {}).get("phase") in TERMINAL


class RunWaiter:
    """Resolves waits on runs as the informer sees them end (or go)."""

    def __init__(self, runs: Cache) -> None:
        self.runs = runs
        self._waiting: dict[str, set[asyncio.Future[Obj]]] = {}
        handler = EventHandler(
            on_add=self._seen, on_update=lambda _, new: self._seen(new), on_delete=self._gone
        )
        for informer in runs.informers.values():
            informer.add_event_handler(handler)

    def _resolve(self, obj: Obj) -> None:
        for future in self._waiting.get(_key(obj), ()):
            if not future.done():
                future.set_result(obj)

    def _seen(self, obj: Obj) -> None:
        if _ended(obj):
            self._resolve(obj)

    def _gone(self, obj: Obj) -> None:
        self._resolve(obj)

    @property
    def waiting(self) -> int:
        """How many waits are going on."""
        return sum(len(f) for f in self._waiting.values())

    async def wait(self, namespace: str, name: str, timeout: float) -> Obj | None:
        """The run once it ended (or its last state when deleted); None after ``timeout`` seconds."""
        key = f"{namespace}/{name}"
        future: asyncio.Future[Obj] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, set()).add(future)
        try:
            cached = self.runs.get(namespace, name)
            if cached is not None and _ended(cached):
                return cached  # it ended before this wait began
            try:
                return await asyncio.wait_for(future, timeout)
            except TimeoutError:
                return None
        finally:
            futures = self._waiting.get(key)
            if futures is not None:
                futures.discard(future)
                if not futures:
                    del self._waiting[key]
