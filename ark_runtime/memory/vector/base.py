"""What memory needs from a vector store, and the checks every store shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ark_runtime.memory.base import DimensionMismatchError, MemoryBackendError, MemoryEntry


@dataclass(frozen=True, slots=True)
class Point:
    """One entry with its vector, stored under ``scope`` (``<namespace>/<name>``)."""

    id: str
    vector: list[float]
    scope: str
    entry: MemoryEntry


class VectorStore(Protocol):
    """A collection of points; every method may raise :class:`MemoryBackendError`."""

    description: str

    async def prepare(self, dimension: int) -> None:
        """Create the collection for ``dimension``-long vectors, or check an existing one has them."""
        ...

    async def upsert(self, point: Point) -> None:
        """Store ``point``."""
        ...

    async def search(
        self, vector: list[float], scope: str, oldest_ms: int, limit: int, min_score: float
    ) -> list[MemoryEntry]:
        """At most ``limit`` entries of ``scope`` remembered at ``oldest_ms`` or later whose cosine
        similarity to ``vector`` is at least ``min_score``, nearest first."""
        ...

    async def delete_older(self, scope: str, before_ms: int) -> None:
        """Delete the entries of ``scope`` remembered before ``before_ms``."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def dimension_mismatch(store: str, collection: str, has: int, wants: int) -> DimensionMismatchError:
    """The error for an existing collection made for other vectors."""
    return DimensionMismatchError(
        f"{store} collection {collection!r} holds {has}-dimensional vectors but the embeddings are "
        f"{wants}-dimensional: use another collection, or the embedding model the collection was made with"
    )


def payload_entry(payload: Any, score: float | None, where: str) -> MemoryEntry:
    """A stored payload back as an entry; a wrong shape raises :class:`MemoryBackendError`."""
    if not isinstance(payload, dict):
        raise MemoryBackendError(f"{where} returned a point without a payload object")
    at = payload.get("at")
    if not isinstance(at, int | float) or isinstance(at, bool):
        raise MemoryBackendError(f"{where} returned a point whose 'at' is not a number")
    return MemoryEntry(
        task=str(payload.get("task") or ""),
        result=str(payload.get("result") or ""),
        at_ms=int(at),
        task_id=str(payload.get("taskId") or ""),
        score=score,
    )
