"""Turning text into vectors: the agent's OpenAI-compatible ``/v1/embeddings``, or local hashing.

:class:`OpenAIEmbeddings` is the API llama.cpp, vLLM, Ollama and OpenAI serve (``POST
{OPENAI_BASE_URL}/embeddings``, model ``AGENT_MEMORY_EMBEDDING_MODEL``). :class:`HashEmbeddings`
serves the mock provider: deterministic, no network, and texts sharing words get similar vectors
(each word hashed to a signed coordinate, the sum normalised), which is all a test needs.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any, Protocol

from ark_runtime.memory.base import MemoryBackendError
from ark_runtime.memory.http import JsonHttp

HASH_DIMENSION = 256
MAX_DIMENSION = 16384
_WORD = re.compile(r"\w+")


class Embeddings(Protocol):
    """Text to a unit-free vector; raises :class:`MemoryBackendError`."""

    description: str

    async def embed(self, text: str) -> list[float]:
        """The vector of ``text``."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def hash_vector(text: str, dimension: int = HASH_DIMENSION) -> list[float]:
    """A deterministic unit vector for ``text`` (the zero vector's stand-in is the first axis)."""
    vector = [0.0] * dimension
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "big") % dimension
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        vector[0] = 1.0
        return vector
    return [v / norm for v in vector]


class HashEmbeddings:
    """Local embeddings for the mock provider."""

    description = "local hash embeddings"

    def __init__(self, dimension: int = HASH_DIMENSION) -> None:
        self.dimension = dimension

    async def embed(self, text: str) -> list[float]:
        """:func:`hash_vector`."""
        return hash_vector(text, self.dimension)

    async def aclose(self) -> None:
        """Nothing to release."""


def parse_embedding(data: Any, where: str) -> list[float]:
    """The first vector of an embeddings response; a wrong shape raises :class:`MemoryBackendError`."""
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise MemoryBackendError(f"{where} sent a malformed embeddings response (no 'data')")
    vector = items[0].get("embedding")
    if (
        not isinstance(vector, list)
        or not 0 < len(vector) <= MAX_DIMENSION
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in vector
        )
    ):
        raise MemoryBackendError(
            f"{where} sent a malformed embedding (not a list of at most {MAX_DIMENSION} finite numbers)"
        )
    return [float(v) for v in vector]


class OpenAIEmbeddings:
    """``POST {base_url}/embeddings``."""

    def __init__(self, base_url: str, api_key: str, model: str, timeout: float) -> None:
        self.model = model
        self.description = f"embeddings model {model!r} at {base_url.rstrip('/')}/embeddings"
        self._http = JsonHttp(
            "the embeddings endpoint", base_url, {"Authorization": f"Bearer {api_key}"}, timeout
        )

    async def embed(self, text: str) -> list[float]:
        """The vector of ``text``."""
        _, data = await self._http.call("POST", "/embeddings", {"model": self.model, "input": text})
        return parse_embedding(data, self.description)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
