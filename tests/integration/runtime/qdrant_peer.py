"""A test peer speaking the subset of Qdrant's documented REST API that ark's memory uses.

It is not Qdrant: it keeps points in a dict and implements, as https://api.qdrant.tech documents
them, ``GET``/``PUT /collections/{name}`` (one unnamed vector, ``Cosine``; 409 when it exists),
``PUT /collections/{name}/points`` (upsert; a vector of the wrong dimension is a 400),
``POST /collections/{name}/points/search`` (``filter.must`` with ``match.value`` and ``range``,
``score_threshold``, ``limit``, ``with_payload``) and ``POST /collections/{name}/points/delete``
by filter, answering in Qdrant's ``{"result", "status", "time"}`` envelope. An ``api-key`` header
is required when :attr:`QdrantPeer.api_key` is set. :attr:`QdrantPeer.fault` makes every answer a
500 (``"500"``) or a body that is not JSON (``"garbage"``).
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.integration.runtime.support import ThreadedServer


def _answer(result: Any, status: int = 200) -> Response:
    return Response(
        json.dumps({"result": result, "status": "ok", "time": 0.0001}), status, media_type="application/json"
    )


def _error(message: str, status: int) -> Response:
    return Response(
        json.dumps({"status": {"error": message}, "time": 0.0}), status, media_type="application/json"
    )


def _cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def _matches(payload: dict[str, Any], condition: dict[str, Any]) -> bool:
    value = payload.get(condition["key"])
    if "match" in condition:
        return bool(value == condition["match"]["value"])
    bounds = condition["range"]
    checks = {
        "gte": lambda b: value >= b,
        "gt": lambda b: value > b,
        "lte": lambda b: value <= b,
        "lt": lambda b: value < b,
    }
    return value is not None and all(checks[op](bound) for op, bound in bounds.items())


def _selected(payload: dict[str, Any], where: dict[str, Any] | None) -> bool:
    return all(_matches(payload, c) for c in (where or {}).get("must", []))


class QdrantPeer(ThreadedServer):
    """The peer on a loopback port; :attr:`collections` and :attr:`requests` are open to the test."""

    def __init__(self, api_key: str = "") -> None:
        self.api_key = api_key
        self.fault: str | None = None
        self.collections: dict[str, dict[str, Any]] = {}
        """name -> {"size": int, "points": {id: {"vector", "payload"}}}"""
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        routes = [
            Route("/collections/{name}", self._collection, methods=["GET", "PUT"]),
            Route("/collections/{name}/points", self._upsert, methods=["PUT"]),
            Route("/collections/{name}/points/search", self._search, methods=["POST"]),
            Route("/collections/{name}/points/delete", self._delete, methods=["POST"]),
        ]
        super().__init__(Starlette(routes=routes))

    def _refusal(self, request: Request) -> Response | None:
        self.requests.append((request.method, request.url.path, dict(request.headers)))
        if self.fault == "500":
            return Response("Internal Server Error", 500)
        if self.fault == "garbage":
            return Response("<html>not a vector store</html>", 200, media_type="text/html")
        if self.api_key and request.headers.get("api-key") != self.api_key:
            return _error("Must provide an API key or an Authorization bearer token", 401)
        return None

    async def _collection(self, request: Request) -> Response:
        refused = self._refusal(request)
        if refused:
            return refused
        name = request.path_params["name"]
        with self._lock:
            found = self.collections.get(name)
            if request.method == "GET":
                if found is None:
                    return _error(f"Not found: Collection `{name}` doesn't exist!", 404)
                params = {"vectors": {"size": found["size"], "distance": "Cosine"}, "shard_number": 1}
                return _answer(
                    {"status": "green", "points_count": len(found["points"]), "config": {"params": params}}
                )
            if found is not None:
                return _error(f"Wrong input: Collection `{name}` already exists!", 409)
            body = await request.json()
            self.collections[name] = {"size": body["vectors"]["size"], "points": {}}
        return _answer(True)

    async def _upsert(self, request: Request) -> Response:
        refused = self._refusal(request)
        if refused:
            return refused
        name = request.path_params["name"]
        body = await request.json()
        with self._lock:
            found = self.collections.get(name)
            if found is None:
                return _error(f"Not found: Collection `{name}` doesn't exist!", 404)
            for point in body["points"]:
                if len(point["vector"]) != found["size"]:
                    got = len(point["vector"])
                    return _error(
                        f"Wrong input: Vector dimension error: expected dim: {found['size']}, got {got}", 400
                    )
                found["points"][point["id"]] = {
                    "vector": point["vector"],
                    "payload": point.get("payload", {}),
                }
        return _answer({"operation_id": 1, "status": "completed"})

    async def _search(self, request: Request) -> Response:
        refused = self._refusal(request)
        if refused:
            return refused
        name = request.path_params["name"]
        body = await request.json()
        with self._lock:
            found = self.collections.get(name)
            if found is None:
                return _error(f"Not found: Collection `{name}` doesn't exist!", 404)
            hits = []
            for point_id, point in found["points"].items():
                if not _selected(point["payload"], body.get("filter")):
                    continue
                score = _cosine(point["vector"], body["vector"])
                if "score_threshold" in body and score < body["score_threshold"]:
                    continue
                hit: dict[str, Any] = {"id": point_id, "version": 1, "score": score}
                if body.get("with_payload"):
                    hit["payload"] = point["payload"]
                hits.append(hit)
        hits.sort(key=lambda h: h["score"], reverse=True)
        return _answer(hits[: body.get("limit", 10)])

    async def _delete(self, request: Request) -> Response:
        refused = self._refusal(request)
        if refused:
            return refused
        name = request.path_params["name"]
        body = await request.json()
        with self._lock:
            found = self.collections.get(name)
            if found is None:
                return _error(f"Not found: Collection `{name}` doesn't exist!", 404)
            doomed = [i for i, p in found["points"].items() if _selected(p["payload"], body.get("filter"))]
            for point_id in doomed:
                del found["points"][point_id]
        return _answer({"operation_id": 2, "status": "completed"})
