"""Qdrant over its REST API (``/collections/...``): one collection, points filtered by scope and age.

The collection is made on first use with one unnamed cosine vector of the embeddings' dimension
(``PUT /collections/{name}``; a 409 from a pod that made it first is fine); an existing one must
have that dimension. Entries carry ``scope``, ``task``, ``result``, ``taskId`` and ``at`` (ms) in
their payload; a search filters on ``scope`` and ``at``, deletion of expired entries too. The API
key, if any, goes in the ``api-key`` header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ark_runtime.memory.base import MemoryBackendError, MemoryEntry
from ark_runtime.memory.http import JsonHttp
from ark_runtime.memory.vector.base import Point, dimension_mismatch, payload_entry
from ark_runtime.net.bounds import display_url


def _filter(scope: str, at: dict[str, int]) -> dict[str, Any]:
    return {"must": [{"key": "scope", "match": {"value": scope}}, {"key": "at", "range": at}]}


def collection_size(data: Any, collection: str) -> int:
    """The vector size of a ``GET /collections/{name}`` answer."""
    try:
        vectors = data["result"]["config"]["params"]["vectors"]
    except (KeyError, TypeError):
        raise MemoryBackendError(
            f"qdrant described collection {collection!r} without its vector parameters"
        ) from None
    size = vectors.get("size") if isinstance(vectors, dict) else None
    if not isinstance(size, int) or isinstance(size, bool):
        raise MemoryBackendError(
            f"qdrant collection {collection!r} has named vectors or no vector size; "
            "ark needs one unnamed vector"
        )
    return size


class QdrantStore:
    """A :class:`~.base.VectorStore` on a Qdrant server."""

    def __init__(self, endpoint: str, collection: str, api_key: str, timeout: float) -> None:
        self.collection = collection
        self.description = f"qdrant at {display_url(endpoint)} (collection {collection!r})"
        self._path = f"/collections/{quote(collection, safe='')}"
        headers = {"api-key": api_key} if api_key else {}
        self._http = JsonHttp("qdrant", endpoint, headers, timeout)

    async def prepare(self, dimension: int) -> None:
        """Create the collection, or check its vector size."""
        status, data = await self._http.call("GET", self._path, accept=(404,))
        if status == 404:
            body = {"vectors": {"size": dimension, "distance": "Cosine"}}
            status, _ = await self._http.call("PUT", self._path, body, accept=(409,))
            if status != 409:
                return
            status, data = await self._http.call("GET", self._path)
        size = collection_size(data, self.collection)
        if size != dimension:
            raise dimension_mismatch("qdrant", self.collection, size, dimension)

    async def upsert(self, point: Point) -> None:
        """``PUT .../points?wait=true``."""
        entry = point.entry
        payload = {
            "scope": point.scope,
            "task": entry.task,
            "result": entry.result,
            "taskId": entry.task_id,
            "at": entry.at_ms,
        }
        body = {"points": [{"id": point.id, "vector": point.vector, "payload": payload}]}
        await self._http.call("PUT", f"{self._path}/points?wait=true", body)

    async def search(
        self, vector: list[float], scope: str, oldest_ms: int, limit: int, min_score: float
    ) -> list[MemoryEntry]:
        """``POST .../points/search`` with a score threshold and the scope and age filter."""
        body = {
            "vector": vector,
            "limit": limit,
            "with_payload": True,
            "score_threshold": min_score,
            "filter": _filter(scope, {"gte": oldest_ms}),
        }
        _, data = await self._http.call("POST", f"{self._path}/points/search", body)
        hits = data.get("result") if isinstance(data, dict) else None
        if not isinstance(hits, list):
            raise MemoryBackendError(f"{self.description} answered a search without a 'result' list")
        entries = []
        for hit in hits:
            score = hit.get("score") if isinstance(hit, dict) else None
            if not isinstance(score, int | float):
                raise MemoryBackendError(f"{self.description} answered a search hit without a score")
            entries.append(payload_entry(hit.get("payload"), float(score), self.description))
        return entries

    async def delete_older(self, scope: str, before_ms: int) -> None:
        """``POST .../points/delete`` by filter."""
        body = {"filter": _filter(scope, {"lt": before_ms})}
        await self._http.call("POST", f"{self._path}/points/delete?wait=true", body)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
