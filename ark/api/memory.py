"""ArkMemory: a persistent memory backend claimed by ArkAgent memoryRef."""

from typing import Literal

from pydantic import Field

from ark.api.base import ArkModel, CelRule
from ark.api.meta import AGE_COLUMN, ArkObject, Conditions, KindInfo, PrinterColumn
from ark.api.settings import MemoryBackend
from ark.api.shared import NameRef


class RedisMemory(ArkModel):
    """Redis-backed memory."""

    secret_ref: NameRef
    """Secret holding the connection URL under key ``REDIS_URL``."""
    ttl_seconds: int = Field(default=3600, ge=0)
    """Entry lifetime; 0 keeps entries forever."""
    max_entries: int = Field(default=0, ge=0)
    """Entries kept per agent instance, oldest evicted first; 0 is unlimited."""


class VectorStoreMemory(ArkModel):
    """Vector-store-backed memory."""

    provider: Literal["qdrant", "pinecone", "weaviate"]
    """Vector store product."""
    endpoint: str = Field(min_length=1)
    """Base URL of the store."""
    collection: str = Field(default="agent-memories", min_length=1)
    """Collection (index) name."""
    secret_ref: NameRef | None = None
    """Secret holding the API key under key ``VECTOR_STORE_API_KEY``."""
    ttl_seconds: int = Field(default=0, ge=0)
    """Entry lifetime; 0 keeps entries forever."""


class ArkMemorySpec(ArkModel):
    """Desired state of an ArkMemory."""

    crd_rules = (
        CelRule(
            "self.backend != 'redis' || has(self.redis)", "the redis backend needs redis", field_path=".redis"
        ),
        CelRule(
            "self.backend != 'vector-store' || has(self.vectorStore)",
            "the vector-store backend needs vectorStore",
            field_path=".vectorStore",
        ),
    )

    backend: MemoryBackend
    """in-context, redis or vector-store."""
    redis: RedisMemory | None = None
    """Settings of the redis backend."""
    vector_store: VectorStoreMemory | None = None
    """Settings of the vector-store backend."""


class ArkMemoryStatus(ArkModel):
    """Observed state of an ArkMemory."""

    observed_generation: int | None = Field(default=None, ge=0)
    """The generation this status describes."""
    conditions: Conditions | None = None
    """``Ready``."""


class ArkMemory(ArkObject):
    """A persistent memory backend the runtime reads before and writes after each task."""

    info = KindInfo(
        plural="arkmemories",
        printer_columns=(PrinterColumn("Backend", "string", ".spec.backend", "Memory backend"), AGE_COLUMN),
    )

    kind: Literal["ArkMemory"] = "ArkMemory"
    spec: ArkMemorySpec
    """Desired state."""
    status: ArkMemoryStatus | None = None
    """Observed state, written by the operator."""
