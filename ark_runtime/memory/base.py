"""What a memory holds, whose it is, and what every backend does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ark_runtime.protocol import Result, Task

MAX_TASK_CHARS = 2000
"""A remembered task prompt is cut to this many characters."""
MAX_RESULT_CHARS = 4000
"""A remembered answer is cut to this many characters."""
REMEMBERED_KINDS = frozenset({"step", "delegate"})
"""Task kinds that recall and are remembered: a route pick, a judge's verdict or a probe is not
worth remembering, and a judge must answer about the output alone."""


class MemoryBackendError(Exception):
    """A memory backend failed; the message says which and why (never a secret)."""

    reason = "BackendError"
    """What the ArkMemory's status calls it when agent pods report it (``memory.health``)."""


class BackendUnreachableError(MemoryBackendError):
    """The backend (or the embeddings endpoint) could not be reached."""

    reason = "Unreachable"


class DimensionMismatchError(MemoryBackendError):
    """An existing collection holds vectors of another dimension than the embeddings'."""

    reason = "DimensionMismatch"


@dataclass(frozen=True, slots=True)
class MemoryEntry:
    """One remembered task and its answer."""

    task: str
    result: str
    at_ms: int
    """When it was remembered (wall clock, milliseconds)."""
    task_id: str = ""
    score: float | None = None
    """Similarity to the task recalling it (vector stores only)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose memory: an agent (or ``AGENT_MEMORY_SCOPE``) within one namespace, never across."""

    namespace: str
    name: str

    @property
    def key(self) -> str:
        """``<namespace>/<name>``: the value stored with every entry and filtered on."""
        return f"{self.namespace}/{self.name}"


def entry_for(task: Task, result: Result, at_ms: int) -> MemoryEntry:
    """The entry remembering ``task`` answered by ``result`` (both cut to their caps)."""
    return MemoryEntry(
        task=task.prompt[:MAX_TASK_CHARS],
        result=result.output[:MAX_RESULT_CHARS],
        at_ms=at_ms,
        task_id=task.id,
    )


def takes_part(task: Task) -> bool:
    """True when ``task`` recalls memory (and may be remembered)."""
    return task.kind in REMEMBERED_KINDS


def worth_remembering(task: Task, result: Result) -> bool:
    """True for a successful step or delegated task with an answer."""
    return takes_part(task) and result.status == "ok" and bool(result.output.strip())


class MemoryBackend(Protocol):
    """A store of entries for one scope. Methods may raise; :class:`~.guard.Memory` contains it."""

    description: str
    """What it is, for log lines: ``redis at redis://host:6379/0``, ``qdrant at http://...``."""

    async def recall(self, task: Task, limit: int) -> list[MemoryEntry]:
        """At most ``limit`` live entries for ``task``, most relevant first."""
        ...

    async def remember(self, entry: MemoryEntry) -> None:
        """Store ``entry``, evicting what the backend's limits say."""
        ...

    async def maintain(self) -> None:
        """Periodic upkeep (deleting expired entries); a no-op for most backends."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
