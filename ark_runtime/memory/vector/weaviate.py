"""Weaviate over its REST and GraphQL APIs, with vectors ark brings (``"vectorizer": "none"``).

The collection is a Weaviate class named from ``collection`` (``agent-memories`` ->
``AgentMemories``: Weaviate wants a capitalised alphanumeric name), made on first use with a
cosine HNSW index and the properties ``scope`` (exact-match tokenization), ``task``, ``result``,
``taskId`` and ``at`` (ms, a number). Weaviate fixes a class's dimension with its first vector,
so an existing class is checked against one stored object's vector. Search is a GraphQL
``nearVector`` with a maximum distance of ``1 - min_score`` and a ``where`` on scope and age;
deletion of expired entries is a batch delete with the same filter. The API key, if any, is a
bearer token.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ark_runtime.memory.base import MemoryBackendError, MemoryEntry
from ark_runtime.memory.http import JsonHttp
from ark_runtime.memory.vector.base import Point, dimension_mismatch, payload_entry
from ark_runtime.net.bounds import display_url

PROPERTIES = ("scope", "task", "result", "taskId", "at")


class Bare(str):
    """A GraphQL enum value (``And``, ``Equal``): written without quotes in a query, a string in JSON."""

    __slots__ = ()


def class_name(collection: str) -> str:
    """The Weaviate class for ``collection``: its alphanumeric parts, each capitalised."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", collection) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts)
    return name if name[:1].isalpha() else f"C{name}"


def class_schema(name: str) -> dict[str, Any]:
    """The class definition made on first use."""
    return {
        "class": name,
        "vectorizer": "none",
        "vectorIndexType": "hnsw",
        "vectorIndexConfig": {"distance": "cosine"},
        "properties": [
            {"name": "scope", "dataType": ["text"], "tokenization": "field"},
            {"name": "task", "dataType": ["text"]},
            {"name": "result", "dataType": ["text"]},
            {"name": "taskId", "dataType": ["text"], "tokenization": "field"},
            {"name": "at", "dataType": ["number"]},
        ],
    }


def where(scope: str, operator: str, at_ms: int) -> dict[str, Any]:
    """The filter "this scope, ``at`` <operator> ``at_ms``"."""
    return {
        "operator": Bare("And"),
        "operands": [
            {"path": ["scope"], "operator": Bare("Equal"), "valueText": scope},
            {"path": ["at"], "operator": Bare(operator), "valueNumber": at_ms},
        ],
    }


def _graphql_value(value: Any) -> str:
    # A GraphQL input object: JSON with bare keys; JSON strings and numbers are valid GraphQL.
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_graphql_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_graphql_value(v) for v in value) + "]"
    if isinstance(value, Bare):
        return str(value)
    return json.dumps(value)


def near_query(
    name: str, vector: list[float], scope: str, oldest_ms: int, limit: int, min_score: float
) -> str:
    """The GraphQL ``Get`` of the nearest entries."""
    near = _graphql_value({"vector": vector, "distance": 1.0 - min_score})
    filt = _graphql_value(where(scope, "GreaterThanEqual", oldest_ms))
    fields = " ".join(PROPERTIES)
    return (
        f"{{ Get {{ {name}(nearVector: {near}, where: {filt}, limit: {int(limit)}) "
        f"{{ {fields} _additional {{ distance }} }} }} }}"
    )


class WeaviateStore:
    """A :class:`~.base.VectorStore` on a Weaviate server."""

    def __init__(self, endpoint: str, collection: str, api_key: str, timeout: float) -> None:
        self.collection = collection
        self.name = class_name(collection)
        self.description = f"weaviate at {display_url(endpoint)} (class {self.name})"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = JsonHttp("weaviate", endpoint, headers, timeout)

    async def prepare(self, dimension: int) -> None:
        """Create the class, or check a stored vector's dimension."""
        status, _ = await self._http.call("GET", f"/v1/schema/{self.name}", accept=(404,))
        if status == 404:
            status, _ = await self._http.call("POST", "/v1/schema", class_schema(self.name), accept=(422,))
            if status != 422:
                return
            await self._http.call("GET", f"/v1/schema/{self.name}")  # made by another pod meanwhile?
        _, data = await self._http.call("GET", f"/v1/objects?class={self.name}&limit=1&include=vector")
        objects = data.get("objects") if isinstance(data, dict) else None
        if not isinstance(objects, list):
            raise MemoryBackendError(f"{self.description} listed objects without an 'objects' list")
        if objects:
            vector = objects[0].get("vector") if isinstance(objects[0], dict) else None
            if not isinstance(vector, list):
                raise MemoryBackendError(f"{self.description} returned an object without its vector")
            if len(vector) != dimension:
                raise dimension_mismatch("weaviate", self.name, len(vector), dimension)

    async def upsert(self, point: Point) -> None:
        """``POST /v1/objects`` with the vector."""
        entry = point.entry
        body = {
            "class": self.name,
            "id": point.id,
            "vector": point.vector,
            "properties": {
                "scope": point.scope,
                "task": entry.task,
                "result": entry.result,
                "taskId": entry.task_id,
                "at": entry.at_ms,
            },
        }
        await self._http.call("POST", "/v1/objects", body)

    async def search(
        self, vector: list[float], scope: str, oldest_ms: int, limit: int, min_score: float
    ) -> list[MemoryEntry]:
        """GraphQL ``nearVector``; a GraphQL error raises."""
        query = near_query(self.name, vector, scope, oldest_ms, limit, min_score)
        _, data = await self._http.call("POST", "/v1/graphql", {"query": query})
        if isinstance(data, dict) and data.get("errors"):
            errors = data["errors"]
            first = (
                errors[0].get("message")
                if isinstance(errors, list) and isinstance(errors[0], dict)
                else errors
            )
            raise MemoryBackendError(f"{self.description} refused the search: {str(first)[:300]}")
        try:
            hits = data["data"]["Get"][self.name]
        except (KeyError, TypeError):
            raise MemoryBackendError(
                f"{self.description} answered the search without data.Get.{self.name}"
            ) from None
        if not isinstance(hits, list):
            raise MemoryBackendError(f"{self.description} answered the search with {self.name} not a list")
        entries = []
        for hit in hits:
            extra = hit.get("_additional") if isinstance(hit, dict) else None
            distance = extra.get("distance") if isinstance(extra, dict) else None
            if not isinstance(distance, int | float):
                raise MemoryBackendError(f"{self.description} answered a search hit without its distance")
            entries.append(payload_entry(hit, 1.0 - float(distance), self.description))
        return entries

    async def delete_older(self, scope: str, before_ms: int) -> None:
        """``DELETE /v1/batch/objects`` matching the scope and age."""
        body = {"match": {"class": self.name, "where": where(scope, "LessThan", before_ms)}}
        await self._http.call("DELETE", "/v1/batch/objects", body)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
