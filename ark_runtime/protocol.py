"""The task and result records exchanged between the operator (or `ark run`) and agents.

These are the entries of the Redis Streams protocol (architecture §4) and of the
in-process queue alike, so one shape serves both. Every field travels as a string
in a stream entry; :meth:`Task.to_fields` / :meth:`Task.from_fields` convert.

Keys of the Redis protocol:

- ``ark:tasks:{ns}:{agent}``  stream, group ``workers``: tasks for one agent (consumer = pod name)
- ``ark:results:{ns}``        stream, group ``operator``: results, and ``delegate()`` requests
  (entries with ``type=delegate``), for the operator leader
- ``ark:dead:{ns}:{agent}``   stream: tasks that exhausted their deliveries
- ``ark:task:{task_id}``      string with TTL: "this task was submitted" (dedupe on resubmit)
- ``ark:replies:{ns}:{task}`` stream with TTL: the operator's answers to the ``delegate()`` calls of a
  task (results whose ``id`` is the request's)

Delegation goes through the operator: a task's ``delegate(role, prompt)`` becomes a
:class:`DelegationRequest` on the results stream; the run engine records it as a child step (or
refuses it) and the child's result, or the refusal, is written to the request's ``reply_to``.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import Literal, get_args

TaskKind = Literal["step", "delegate", "route", "probe", "judge"]
"""``judge``: the second call of a step's ``validate.semantic`` check; its answer starts with pass or fail."""
ResultStatus = Literal["ok", "error"]

MessageType = Literal["result", "delegate"]

TASKS_GROUP = "workers"

DEFAULT_MAX_RESULT_BYTES = 1024 * 1024
"""Cap on a result's ``output`` (UTF-8 bytes). An agent fails a task whose output is larger instead
of writing it; a reader (the operator, a delegating agent) treats a larger entry as an error."""
MAX_RESULT_BYTES_VARIABLE = "AGENT_MAX_RESULT_BYTES"
"""The environment variable that changes :data:`DEFAULT_MAX_RESULT_BYTES` (agents and operator alike)."""
MAX_ERROR_CHARS = 4000
"""Errors are ours, but quote peers: longer ones are cut, so an ``error`` field stays small."""
RESULTS_GROUP = "operator"
REPLIES_PREFIX = "ark:replies:"
TYPE_FIELD = "type"
"""Field telling a :class:`DelegationRequest` (``delegate``) from a :class:`Result` on the results stream."""


def tasks_stream(namespace: str, agent: str) -> str:
    """Stream an agent's pods read their tasks from."""
    return f"ark:tasks:{namespace}:{agent}"


def results_stream(namespace: str) -> str:
    """Stream the operator reads results from."""
    return f"ark:results:{namespace}"


def dead_stream(namespace: str, agent: str) -> str:
    """Dead-letter stream of an agent."""
    return f"ark:dead:{namespace}:{agent}"


def reply_stream(namespace: str, parent_task_id: str) -> str:
    """Stream a delegating task reads its sub-tasks' results from (the sub-tasks' ``reply_to``)."""
    return f"{REPLIES_PREFIX}{namespace}:{parent_task_id}"


def is_reply_stream(key: str) -> bool:
    """True for a :func:`reply_stream` key (those expire; the shared results stream does not)."""
    return key.startswith(REPLIES_PREFIX)


def task_marker(task_id: str) -> str:
    """Key recording that a task was submitted (SET NX in the same MULTI as the XADD)."""
    return f"ark:task:{task_id}"


def task_id(run_uid: str, step: str, attempt: int) -> str:
    """Deterministic task id ``{run-uid}.{step}.{attempt}``: a resubmission after a crash has the same id."""
    return f"{run_uid}.{step}.{attempt}"


class ProtocolError(ValueError):
    """A stream entry that is not a valid task or result; the message names the field."""


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _to_fields(record: object) -> dict[str, str]:
    # Plain attribute reads: dataclasses.asdict deep-copies and is the slowest part of a commit.
    names = _FIELD_NAMES.get(type(record))
    if names is None:
        names = _FIELD_NAMES.setdefault(type(record), tuple(f.name for f in fields(record)))  # type: ignore[arg-type]
    out: dict[str, str] = {}
    for name in names:
        value = getattr(record, name)
        out[name] = ("1" if value else "") if isinstance(value, bool) else str(value)
    return out


def _int(raw: dict[str, str], name: str, default: int = 0) -> int:
    value = raw.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ProtocolError(f"field {name!r} must be an integer, got {value!r}") from None


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work for an agent: a step of a run, a delegation, a routing decision or a probe."""

    id: str
    run: str
    step: str
    prompt: str
    kind: TaskKind = "step"
    output_schema: str = ""
    max_tokens: int = 0
    deadline_ms: int = 0
    attempt: int = 1
    reply_to: str = ""
    parent: str = ""
    traceparent: str = ""
    tracestate: str = ""
    path: str = ""
    """Delegation path: the roles from the entry role down to this task's role, joined by ``/``
    (empty for a task that was not delegated; :func:`delegation_path` then falls back to ``step``)."""

    def to_fields(self) -> dict[str, str]:
        """The stream entry (every value a string)."""
        return _to_fields(self)

    @classmethod
    def from_fields(cls, raw: dict[str, str]) -> Task:
        """Parse a stream entry; raises :class:`ProtocolError` naming a missing or bad field."""
        for name in ("id", "run", "step", "prompt"):
            if name not in raw:
                raise ProtocolError(f"task entry has no {name!r} field")
        kind = raw.get("kind", "step") or "step"
        if kind not in get_args(TaskKind):
            raise ProtocolError(f"task field 'kind' must be one of {get_args(TaskKind)}, got {kind!r}")
        known = {f.name for f in fields(cls)}
        text = {k: v for k, v in raw.items() if k in known}
        return cls(
            id=text["id"],
            run=text["run"],
            step=text["step"],
            prompt=text["prompt"],
            kind=kind,  # type: ignore[arg-type]
            output_schema=text.get("output_schema", ""),
            max_tokens=_int(raw, "max_tokens"),
            deadline_ms=_int(raw, "deadline_ms"),
            attempt=_int(raw, "attempt", 1),
            reply_to=text.get("reply_to", ""),
            parent=text.get("parent", ""),
            traceparent=text.get("traceparent", ""),
            tracestate=text.get("tracestate", ""),
            path=text.get("path", ""),
        )


def delegation_path(task: Task) -> tuple[str, ...]:
    """Roles on the delegation path of ``task``, its own role last."""
    return tuple(task.path.split("/")) if task.path else (task.step,)


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one task, written by whoever ran it."""

    id: str
    run: str
    step: str
    status: ResultStatus
    output: str = ""
    error: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    tool_calls: int = 0
    consumer: str = ""
    started_ms: int = 0
    finished_ms: int = 0
    traceparent: str = ""
    truncated: bool = False
    """The model's final answer was cut off at the token limit (``output`` is incomplete)."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def to_fields(self) -> dict[str, str]:
        """The stream entry (every value a string)."""
        return _to_fields(self)

    @classmethod
    def from_fields(cls, raw: dict[str, str]) -> Result:
        """Parse a stream entry; raises :class:`ProtocolError` naming a missing or bad field."""
        for name in ("id", "run", "step", "status"):
            if name not in raw:
                raise ProtocolError(f"result entry has no {name!r} field")
        status = raw["status"]
        if status not in get_args(ResultStatus):
            raise ProtocolError(f"result field 'status' must be 'ok' or 'error', got {status!r}")
        return cls(
            id=raw["id"],
            run=raw["run"],
            step=raw["step"],
            status=status,  # type: ignore[arg-type]
            output=raw.get("output", ""),
            error=raw.get("error", ""),
            input_tokens=_int(raw, "input_tokens"),
            output_tokens=_int(raw, "output_tokens"),
            tool_calls=_int(raw, "tool_calls"),
            consumer=raw.get("consumer", ""),
            started_ms=_int(raw, "started_ms"),
            finished_ms=_int(raw, "finished_ms"),
            traceparent=raw.get("traceparent", ""),
            truncated=raw.get("truncated", "") == "1",
        )

    def oversize(self, max_bytes: int) -> str:
        """Why this result must not be written or recorded ('' when its output fits ``max_bytes``)."""
        if len(self.output) <= max_bytes // 4:  # UTF-8 is at most 4 bytes a character: no encoding needed
            return ""
        size = len(self.output.encode("utf-8", "surrogatepass"))
        if size <= max_bytes:
            return ""
        return (
            f"the output is {size} bytes, more than the {max_bytes}-byte result cap "
            f"({MAX_RESULT_BYTES_VARIABLE}); it was not written to the queue"
        )


def clip_error(text: str) -> str:
    """``text`` cut to :data:`MAX_ERROR_CHARS`, saying so."""
    if len(text) <= MAX_ERROR_CHARS:
        return text
    return text[:MAX_ERROR_CHARS] + f" [... {len(text) - MAX_ERROR_CHARS} more characters cut]"


@dataclass(frozen=True, slots=True)
class DelegationRequest:
    """A task's ``delegate(role, prompt)`` call, sent to the operator on the results stream.

    ``id`` is deterministic (:func:`~ark_runtime.queue.delegation.child_task_id`): a task that runs
    again after a crash and makes the same call sends the same id, and the operator answers it
    from the hop it recorded. The answer is a :class:`Result` with this ``id`` on ``reply_to``.
    """

    id: str
    run: str
    parent: str
    role: str
    prompt: str
    reply_to: str
    traceparent: str = ""
    tracestate: str = ""

    def to_fields(self) -> dict[str, str]:
        """The stream entry (every value a string), tagged ``type=delegate``."""
        return {TYPE_FIELD: "delegate", **_to_fields(self)}

    @classmethod
    def from_fields(cls, raw: dict[str, str]) -> DelegationRequest:
        """Parse a stream entry; raises :class:`ProtocolError` naming a missing field."""
        values: dict[str, str] = {}
        for f in fields(cls):
            if f.name in raw:
                values[f.name] = raw[f.name]
            elif f.default is MISSING:
                raise ProtocolError(f"delegation request has no {f.name!r} field")
        return cls(**values)


Message = Result | DelegationRequest
"""What the results stream carries."""


def parse_message(raw: dict[str, str]) -> Message:
    """A results-stream entry as a :class:`Result` or a :class:`DelegationRequest`."""
    kind = raw.get(TYPE_FIELD, "result")
    if kind == "delegate":
        return DelegationRequest.from_fields(raw)
    if kind != "result":
        raise ProtocolError(f"entry field 'type' must be 'result' or 'delegate', got {kind!r}")
    return Result.from_fields(raw)
