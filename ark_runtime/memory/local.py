"""In-process memory (``ark run`` without a Redis): the redis backend's rules, kept in a dict.

Entries live ``ttl_seconds`` (0: forever) and at most ``max_entries`` are kept per scope (0:
unlimited), the oldest evicted first, exactly as the redis backend keeps them. Nothing is shared
between scopes. The clock is injectable, so the rules are tested without waiting.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ark_runtime.memory.base import MemoryEntry, Scope
from ark_runtime.memory.expiry import alive
from ark_runtime.protocol import Task

Clock = Callable[[], int]
"""Wall-clock milliseconds."""


class LocalStore:
    """Every scope's entries, oldest first."""

    def __init__(self, ttl_seconds: int, max_entries: int, clock: Clock) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[Scope, deque[MemoryEntry]] = {}

    def add(self, scope: Scope, entry: MemoryEntry) -> None:
        """Keep ``entry``; evict the oldest beyond ``max_entries`` and whatever has expired."""
        kept = self._entries.setdefault(scope, deque())
        kept.append(entry)
        while self.max_entries and len(kept) > self.max_entries:
            kept.popleft()
        self._expire(kept)

    def newest(self, scope: Scope, limit: int) -> list[MemoryEntry]:
        """The ``limit`` newest live entries of ``scope``, newest first."""
        kept = self._entries.get(scope)
        if kept is None:
            return []
        self._expire(kept)
        return [kept[-1 - i] for i in range(min(limit, len(kept)))]

    def _expire(self, kept: deque[MemoryEntry]) -> None:
        now = self.clock()
        while kept and not alive(kept[0].at_ms, now, self.ttl_seconds):
            kept.popleft()


class LocalMemory:
    """A :class:`~.base.MemoryBackend` over one scope of a :class:`LocalStore`."""

    def __init__(self, store: LocalStore, scope: Scope) -> None:
        self.store = store
        self.scope = scope
        self.description = "in-process memory"

    async def recall(self, task: Task, limit: int) -> list[MemoryEntry]:
        """The newest live entries."""
        return self.store.newest(self.scope, limit)

    async def remember(self, entry: MemoryEntry) -> None:
        """Keep ``entry``."""
        self.store.add(self.scope, entry)

    async def maintain(self) -> None:
        """Nothing: expiry happens on every read and write."""

    async def aclose(self) -> None:
        """Nothing to release."""
