"""Memory over a vector store: entries found by the similarity of their task to the new one.

A task is embedded (its prompt), and so is every remembered task; recall returns the nearest
entries of the agent's scope whose cosine similarity reaches ``AGENT_MEMORY_MIN_SCORE`` and
which are younger than ``ttlSeconds``. The collection is prepared (made, or its dimension
checked) on first use and again whenever the embeddings' dimension changes; a failed
preparation is retried on the next use. Expired entries are also deleted, by :meth:`maintain`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from ark_runtime.memory.base import MemoryEntry, Scope
from ark_runtime.memory.embeddings import Embeddings
from ark_runtime.memory.expiry import oldest_alive_ms
from ark_runtime.memory.vector.base import Point, VectorStore
from ark_runtime.protocol import Task


class VectorMemory:
    """A :class:`~.base.MemoryBackend` over a :class:`~.vector.base.VectorStore`."""

    def __init__(
        self,
        store: VectorStore,
        embeddings: Embeddings,
        scope: Scope,
        ttl_seconds: int,
        min_score: float,
        clock: Callable[[], int],
    ) -> None:
        self.store = store
        self.embeddings = embeddings
        self.scope = scope
        self.ttl_seconds = ttl_seconds
        self.min_score = min_score
        self.clock = clock
        self.description = f"{store.description} with {embeddings.description}"
        self._prepared: int | None = None

    async def _vector(self, text: str) -> list[float]:
        vector = await self.embeddings.embed(text)
        if self._prepared != len(vector):
            await self.store.prepare(len(vector))
            self._prepared = len(vector)
        return vector

    async def recall(self, task: Task, limit: int) -> list[MemoryEntry]:
        """The nearest live entries, nearest first."""
        vector = await self._vector(task.prompt)
        oldest = oldest_alive_ms(self.clock(), self.ttl_seconds)
        return await self.store.search(vector, self.scope.key, oldest, limit, self.min_score)

    async def remember(self, entry: MemoryEntry) -> None:
        """Store ``entry`` under the vector of its task."""
        vector = await self._vector(entry.task)
        await self.store.upsert(Point(str(uuid.uuid4()), vector, self.scope.key, entry))

    async def maintain(self) -> None:
        """Delete this scope's expired entries (nothing when entries never expire, or before the
        collection was first used)."""
        if self.ttl_seconds and self._prepared is not None:
            await self.store.delete_older(self.scope.key, oldest_alive_ms(self.clock(), self.ttl_seconds))

    async def aclose(self) -> None:
        """Close the store and the embeddings client."""
        await self.store.aclose()
        await self.embeddings.aclose()
