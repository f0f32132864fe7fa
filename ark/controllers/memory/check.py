"""What an ArkMemory's reachability check is, from its spec and Secret alone (no I/O).

Either the answer is known already (:class:`Verdict`: ``in-context`` needs nothing; a missing
Secret or key, a malformed URL, an unsupported provider fail at once), or there is a
:class:`Target` to reach. :func:`recheck_after` is the requeue: a failure is checked again after
5 s, doubling to 5 min; a backend that answered is checked every 5 min, so an outage shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ark.api import ArkMemorySpec
from ark.controllers.memory.secret import Obj, secret_ref, secret_value

FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 300.0
HEALTHY_RECHECK_SECONDS = 300.0
SUPPORTED_PROVIDERS = ("qdrant", "weaviate")


@dataclass(frozen=True)
class Verdict:
    """The ``Ready`` condition to show; ``retry`` when checking again may change it."""

    ready: bool
    reason: str
    message: str
    retry: bool = True


@dataclass(frozen=True)
class Target:
    """A backend to reach."""

    kind: str
    """``redis``, ``qdrant`` or ``weaviate``."""
    url: str = field(repr=False)
    api_key: str = field(default="", repr=False)
    collection: str = ""


def plan_check(spec: ArkMemorySpec, secret: Obj | None) -> Verdict | Target:
    """The verdict when no I/O is needed, else the target to reach."""
    if spec.backend == "in-context":
        return Verdict(
            True, "InContext", "in-context memory stores nothing; there is no backend to reach", False
        )
    ref = secret_ref(spec)
    value = ""
    if ref is not None:
        name, key = ref
        if secret is None:
            return Verdict(False, "SecretNotFound", f"Secret {name} (key {key}) does not exist")
        found = secret_value(secret, key)
        if found is None:
            return Verdict(False, "SecretKeyMissing", f"Secret {name} has no key {key} (or it is not UTF-8)")
        value = found
    if spec.backend == "redis":
        return _redis(value, ref[0] if ref else "")
    store = spec.vector_store
    assert store is not None  # the CRD requires it for vector-store
    if store.provider not in SUPPORTED_PROVIDERS:
        return Verdict(
            False,
            "UnsupportedProvider",
            f"vector-store provider {store.provider} is not supported by the agent runtime (qdrant and "
            "weaviate are): agents run without memory",
            retry=False,
        )
    parts = urlsplit(store.endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Verdict(
            False,
            "InvalidEndpoint",
            f"endpoint {store.endpoint!r} is not an http:// or https:// URL",
            retry=False,
        )
    return Target(store.provider, store.endpoint, value, store.collection)


def _redis(url: str, secret: str) -> Verdict | Target:
    text = url.strip()
    if "://" not in text:
        host, _, port = text.rpartition(":")
        if host and port.isdigit():
            return Target("redis", f"redis://{host}:{port}/0")
    else:
        parts = urlsplit(text)
        if parts.scheme in ("redis", "rediss") and parts.hostname:
            return Target("redis", text)
    return Verdict(
        False,
        "InvalidRedisUrl",
        f"REDIS_URL of Secret {secret} is not host:port or a redis:// URL",
        retry=False,
    )


def recheck_after(verdict: Verdict, failures: int) -> float | None:
    """Seconds until the next check (None: only when the ArkMemory or its Secret changes).

    ``failures`` counts the failed checks in a row, this one included."""
    if verdict.ready:
        return HEALTHY_RECHECK_SECONDS if verdict.retry else None
    if not verdict.retry:
        return None
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** max(0, failures - 1))
