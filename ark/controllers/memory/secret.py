"""The Secret an ArkMemory reads (``REDIS_URL`` or ``VECTOR_STORE_API_KEY``) and the digest of
everything an agent's memory depends on."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from ark.api import ArkMemorySpec

Obj = dict[str, Any]
REDIS_KEY = "REDIS_URL"
API_KEY = "VECTOR_STORE_API_KEY"


def secret_ref(spec: ArkMemorySpec) -> tuple[str, str] | None:
    """``(secret name, key)`` the backend reads, or None."""
    if spec.backend == "redis" and spec.redis is not None:
        return spec.redis.secret_ref.name, REDIS_KEY
    if spec.backend == "vector-store" and spec.vector_store is not None and spec.vector_store.secret_ref:
        return spec.vector_store.secret_ref.name, API_KEY
    return None


def raw_secret_name(memory: Obj) -> str | None:
    """The Secret named by a cached ArkMemory's raw spec (any shape tolerated): for watches."""
    raw = memory.get("spec")
    spec: Obj = raw if isinstance(raw, dict) else {}
    for part in ("redis", "vectorStore"):
        section = spec.get(part)
        ref = section.get("secretRef") if isinstance(section, dict) else None
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            return str(ref["name"])
    return None


def secret_value(secret: Obj | None, key: str) -> str | None:
    """The decoded value of ``key`` in a Secret object (None when absent or not UTF-8 base64)."""
    if secret is None:
        return None
    data = secret.get("data") or {}
    if key not in data:
        return None
    try:
        return base64.b64decode(str(data[key]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def memory_digest(spec: Obj, secret: Obj | None, key: str | None) -> str:
    """A short digest of an ArkMemory's spec and its Secret value: it changes exactly when what the
    agents' memory uses does (the value itself never leaves this function)."""
    value = secret_value(secret, key) if key else None
    material = json.dumps({"spec": spec, "secret": value}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()[:16]
