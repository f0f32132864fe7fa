"""Outputs too large for an ArkRun's status, kept in ConfigMaps the run owns.

An ArkRun is one etcd object: the API server refuses requests over 1.5 MiB by default, and a
ConfigMap holds at most 1 MiB. So the status keeps outputs inline only while they are small: a
step output (with its parsed JSON) over :data:`INLINE_MAX_BYTES`, or one that would take the
outputs in the status past :data:`INLINE_BUDGET_BYTES`, goes to ConfigMaps, and its status entry
keeps a preview and an ``outputRef``. The run's final output follows the same rule.

ConfigMaps ``<prefix>-0`` .. ``<prefix>-<parts-1>``, data key ``part``: the parts concatenated
are the JSON object ``{"output": ..., "outputJSON": ...}``. ``prefix`` is ``<run>-o-<digest>`` of
the content, so writing the same output again after a crash finds the same objects. Each carries
an owner reference to the run (the garbage collector removes them with it) and the label
``arkonis.dev/output-of: <run uid>`` (the operator's ConfigMap cache leaves them out).

Interface::

    shrunk, pending = shrink(status, known)             # pure: the status to write, what goes out
    for item in pending:                                # before the status that names them
        known[item.digest] = await write_output(client, run, item)
    shrunk, _ = shrink(status, known)                   # now with every ref in place
    status = await restore_outputs(client, namespace, status)   # full outputs back (RunState, ark status)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ark.api.run import ArkRunStatus, OutputRef, StepStatus
from ark.kube.client import AlreadyExists, KubeClient, NotFound
from ark.kube.resources import CONFIGMAPS
from ark.runs.create import owner_reference

Obj = dict[str, Any]

INLINE_MAX_BYTES = 16 * 1024
"""An output (plus its parsed JSON) larger than this always goes to ConfigMaps."""
INLINE_BUDGET_BYTES = 512 * 1024
"""What the outputs and previews of one run may take in its status, all steps together."""
PREVIEW_CHARS = 1000
"""Characters of an externalized output kept in the status."""
PART_CHARS = 200_000
"""Characters per ConfigMap: at most 4 bytes each in UTF-8, well under the 1 MiB limit."""
OUTPUT_OF_LABEL = "arkonis.dev/output-of"
PART_KEY = "part"
RUN_OUTPUT = ""
"""The key of the run's final output among :func:`shrink`'s pending outputs."""


class OutputMissing(Exception):
    """A ConfigMap holding part of an output is gone or unreadable; the message names it."""


@dataclass(frozen=True)
class PendingOutput:
    """An output that must be written to ConfigMaps before the status that refers to it."""

    step: str
    """The step it belongs to (:data:`RUN_OUTPUT` for the run's output)."""
    output: str
    output_json: str | None
    digest: str


def _size(output: str | None, output_json: str | None) -> int:
    return len((output or "").encode()) + len((output_json or "").encode())


def digest_of(output: str, output_json: str | None) -> str:
    """Content digest naming the ConfigMaps of an output."""
    text = json.dumps([output, output_json], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def preview(output: str, size: int, room: bool) -> str:
    """What the status shows of an externalized output of ``size`` characters."""
    head = output[:PREVIEW_CHARS] if room else ""
    return f"{head}\n… [{size} characters in all; `ark status` shows the whole output]"


def shrink(status: ArkRunStatus, known: Mapping[str, OutputRef]) -> tuple[ArkRunStatus, list[PendingOutput]]:
    """The status to write (large outputs replaced by previews and refs) and the outputs to write first.

    ``known`` maps content digests to refs already written (by this process or found in the
    stored status); they are reused. Steps are taken in order, so an output kept inline stays
    inline as later steps finish.
    """
    used = 0
    pending: list[PendingOutput] = []

    def place(name: str, output: str | None, output_json: str | None) -> tuple[bool, str, OutputRef | None]:
        nonlocal used
        size = _size(output, output_json)
        if output is None or (size <= INLINE_MAX_BYTES and used + size <= INLINE_BUDGET_BYTES):
            used += size
            return False, output or "", None
        digest = digest_of(output, output_json)
        ref = known.get(digest)
        if ref is None:
            pending.append(PendingOutput(name, output, output_json, digest))
        room = used + PREVIEW_CHARS <= INLINE_BUDGET_BYTES
        used += PREVIEW_CHARS if room else 0
        return True, preview(output, len(output), room), ref

    steps: list[StepStatus] = []
    for step in status.steps or ():
        out, text, ref = place(step.name, step.output, step.output_json)
        if out:
            step = step.model_copy(update={"output": text, "output_json": None, "output_ref": ref})
        steps.append(step)
    update: dict[str, Any] = {"steps": steps}
    out, text, ref = place(RUN_OUTPUT, status.output, None)
    if out:
        update.update(output=text, output_ref=ref)
    return status.model_copy(update=update), pending


def prefix_for(run_name: str, digest: str) -> str:
    """Name prefix of an output's ConfigMaps."""
    return f"{run_name[:200]}-o-{digest}"


def encode_parts(output: str, output_json: str | None) -> list[str]:
    """The ``part`` values of an output's ConfigMaps."""
    text = json.dumps({"output": output, "outputJSON": output_json}, ensure_ascii=False)
    return [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [text]


def decode_parts(parts: list[str]) -> tuple[str, str | None]:
    """The inverse of :func:`encode_parts`; raises ``ValueError`` for anything else."""
    data = json.loads("".join(parts))
    if not isinstance(data, dict) or not isinstance(data.get("output"), str):
        raise ValueError("not an ark output")
    output_json = data.get("outputJSON")
    if output_json is not None and not isinstance(output_json, str):
        raise ValueError("outputJSON is not a string")
    return data["output"], output_json


async def write_output(client: KubeClient, run: Obj, pending: PendingOutput) -> OutputRef:
    """Write ``pending`` to ConfigMaps owned by ``run``; already existing parts are kept."""
    meta = run["metadata"]
    prefix = prefix_for(meta["name"], pending.digest)
    parts = encode_parts(pending.output, pending.output_json)
    for index, part in enumerate(parts):
        body: Obj = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"{prefix}-{index}",
                "namespace": meta["namespace"],
                "labels": {OUTPUT_OF_LABEL: meta["uid"]},
                "ownerReferences": [owner_reference(run)],
            },
            "data": {PART_KEY: part},
        }
        # The same digest is the same content: written before a crash, or by the previous leader.
        with contextlib.suppress(AlreadyExists):
            await client.create(CONFIGMAPS, body)
    return OutputRef(name=prefix, parts=len(parts), size=len(pending.output))


async def read_output(client: KubeClient, namespace: str, ref: OutputRef) -> tuple[str, str | None]:
    """The full output (and its JSON) that ``ref`` names; raises :class:`OutputMissing`."""
    parts: list[str] = []
    for index in range(ref.parts):
        name = f"{ref.name}-{index}"
        try:
            obj = await client.get(CONFIGMAPS, name, namespace)
        except NotFound:
            raise OutputMissing(f"ConfigMap {namespace}/{name} (part of an output) does not exist") from None
        part = (obj.get("data") or {}).get(PART_KEY)
        if not isinstance(part, str):
            raise OutputMissing(f"ConfigMap {namespace}/{name} has no {PART_KEY!r} key")
        parts.append(part)
    try:
        return decode_parts(parts)
    except ValueError as exc:
        raise OutputMissing(f"ConfigMaps {ref.name}-*: not an ark output ({exc})") from None


async def restore_outputs(client: KubeClient, namespace: str, status: ArkRunStatus) -> ArkRunStatus:
    """``status`` with every externalized output read back in full (``outputRef`` kept)."""
    steps: list[StepStatus] = []
    for step in status.steps or ():
        if step.output_ref is not None:
            output, output_json = await read_output(client, namespace, step.output_ref)
            step = step.model_copy(update={"output": output, "output_json": output_json})
        steps.append(step)
    update: dict[str, Any] = {"steps": steps}
    if status.output_ref is not None:
        update["output"], _ = await read_output(client, namespace, status.output_ref)
    return status.model_copy(update=update)


def known_refs(status: ArkRunStatus | None) -> dict[str, OutputRef]:
    """Digest -> ref of the outputs a stored status already keeps in ConfigMaps."""
    refs: dict[str, OutputRef] = {}
    for step in (status.steps or ()) if status is not None else ():
        if step.output_ref is not None:
            refs[_digest_from(step.output_ref)] = step.output_ref
    if status is not None and status.output_ref is not None:
        refs[_digest_from(status.output_ref)] = status.output_ref
    return refs


def _digest_from(ref: OutputRef) -> str:
    return ref.name.rpartition("-o-")[2]
