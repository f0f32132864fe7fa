"""Waiting for an ArkRun to end, woken by the runs informer (no polling): webhook sync mode and
ArkService tasks answer from it.

Interface::

    waiter = RunWaiter(runs_cache)        # subscribes to every runs informer of the cache
    run = await waiter.wait("ns", "name", timeout=60)   # the terminal run; None on timeout
    waiter.close()

The cache is checked after the waiter is registered, so a run that ended before the wait began
is seen at once, and one that ends meanwhile wakes it through the informer's event. A run
deleted while waited for raises :class:`RunDeleted`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ark.controllers.cache import Cache
from ark.kube.informer import EventHandler, HandlerRegistration
from ark.kube.store import object_key

Obj = dict[str, Any]
TERMINAL = ("Succeeded", "Failed")


class RunDeleted(Exception):
    """The run was deleted before it ended."""


def _terminal(run: Obj | None) -> bool:
    return run is not None and (run.get("status") or {}).get("phase") in TERMINAL


class RunWaiter:
    """Futures keyed ``namespace/name``, resolved by the runs informers' events."""

    def __init__(self, runs: Cache) -> None:
        self._runs = runs
        self._waiting: dict[str, set[asyncio.Future[Obj]]] = {}
        handler = EventHandler(
            on_add=self._seen, on_update=lambda _old, new: self._seen(new), on_delete=self._deleted
        )
        self._registrations: list[HandlerRegistration] = [
            informer.add_event_handler(handler) for informer in runs.informers.values()
        ]

    async def wait(self, namespace: str, name: str, timeout: float) -> Obj | None:
        """The run once Succeeded or Failed; None if ``timeout`` seconds pass first."""
        key = f"{namespace}/{name}"
        future: asyncio.Future[Obj] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, set()).add(future)
        try:
            run = self._runs.get(namespace, name)
            if _terminal(run):
                assert run is not None
                return run
            try:
                async with asyncio.timeout(timeout):
                    return await future
            except TimeoutError:
                return None
        finally:
            waiting = self._waiting.get(key)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._waiting[key]

    def close(self) -> None:
        """Stop listening to the informers."""
        for registration in self._registrations:
            registration.remove()
        self._registrations.clear()

    def _seen(self, run: Obj) -> None:
        if not _terminal(run):
            return
        for future in self._waiting.get(object_key(run), ()):
            if not future.done():
                future.set_result(run)

    def _deleted(self, run: Obj) -> None:
        for future in self._waiting.get(object_key(run), ()):
            if not future.done():
                name = run["metadata"]["name"]
                future.set_exception(RunDeleted(f"ArkRun {name} was deleted before it ended"))
