"""``ark validate --check-agents``: look up in the cluster what the files reference but do not define.

Interface::

    wanted = open_references(result, lines, "default")   # pure: each note and the object it names
    lookup = resolve(lines, wanted, objects)             # pure: notes dropped or turned into errors
    lookup = check_in_cluster(args, result, lines)       # both, with the GETs in between
    lookup.lines, lookup.found, lookup.missing, lookup.text(), lookup.json()

A reference is looked up in its object's namespace, else the command's (``-n``, the context's,
``default``), as ``kubectl apply`` would place the object. A ConfigMap or Secret must also hold
the key a ``systemPromptRef`` names (unless ``optional``); only key names are ever printed.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ark.api.loading import InputSet
from ark.api.validation.references import references_of
from ark.cli.cluster import Cluster, open_cluster
from ark.cli.findings import Line, issue_line
from ark.controllers.resources import ARK
from ark.kube.client import NotFound
from ark.kube.resources import CONFIGMAPS, SECRETS, Resource

Obj = dict[str, Any]
ObjectKey = tuple[str, str, str]
"""(kind, namespace, name)."""

RESOURCES: dict[str, Resource] = {**ARK, "ConfigMap": CONFIGMAPS, "Secret": SECRETS}
_DATA_FIELDS = {"ConfigMap": ("data", "binaryData"), "Secret": ("data",)}


@dataclass(frozen=True)
class OpenReference:
    """A note of ``ark validate`` and the object it says must exist in the cluster."""

    note: Line
    kind: str
    name: str
    namespace: str
    key: str | None = None
    optional: bool = False

    @property
    def object_key(self) -> ObjectKey:
        """What to look up."""
        return (self.kind, self.namespace, self.name)


@dataclass
class ClusterLookup:
    """The findings once the cluster was asked, and what it had."""

    lines: list[Line]
    server: str = ""
    namespace: str = ""
    found: list[str] = field(default_factory=list)
    """``Kind namespace/name`` of every object found, in order of first reference."""
    missing: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The ``Agents ok (...)`` line (or how many were missing)."""
        if not self.found and not self.missing:
            return "Agents ok (nothing to look up: the files define every object they reference)"
        if not self.missing:
            return f"Agents ok ({', '.join(self.found)})"
        found = f" ({', '.join(self.found)})" if self.found else ""
        return f"Agents: {len(self.found)} found{found}, {len(self.missing)} missing in the cluster"

    def json(self) -> dict[str, Any]:
        """The ``cluster`` key of ``-o json``."""
        return {
            "server": self.server,
            "namespace": self.namespace,
            "found": self.found,
            "missing": self.missing,
        }


def open_references(result: InputSet, lines: Sequence[Line], namespace: str) -> list[OpenReference]:
    """Every note among ``lines`` with the object it names."""
    notes = {line for line in lines if line.severity == "note"}
    wanted: list[OpenReference] = []
    for doc in result.documents:
        if doc.obj is None:
            continue
        refs = {ref.path: ref for ref in references_of(doc.obj)}
        for issue in doc.issues:
            ref = refs.get(issue.path)
            line = issue_line(doc, issue)
            if issue.severity != "note" or ref is None or line not in notes:
                continue
            wanted.append(
                OpenReference(
                    line, ref.kind, ref.name, doc.obj.metadata.namespace or namespace, ref.key, ref.optional
                )
            )
    return wanted


def _label(key: ObjectKey) -> str:
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}"


def _keys(kind: str, obj: Obj) -> set[str]:
    return {key for part in _DATA_FIELDS.get(kind, ()) for key in obj.get(part) or {}}


def resolve(
    lines: Sequence[Line], wanted: Sequence[OpenReference], objects: Mapping[ObjectKey, Obj | None]
) -> ClusterLookup:
    """``lines`` with each looked-up note dropped (found) or replaced by an error (missing)."""
    replaced: dict[Line, Line | None] = {}
    lookup = ClusterLookup(lines=[])
    for ref in wanted:
        label = _label(ref.object_key)
        obj = objects.get(ref.object_key)
        if obj is None:
            error = f'{ref.kind} "{ref.name}" does not exist in namespace "{ref.namespace}" of the cluster'
            hint = "create it, or correct the name"
            if label not in lookup.missing:
                lookup.missing.append(label)
        else:
            if label not in lookup.found:
                lookup.found.append(label)
            keys = _keys(ref.kind, obj)
            if ref.key is None or ref.optional or ref.key in keys:
                replaced[ref.note] = None
                continue
            listing = ", ".join(sorted(keys)) or "none"
            error = f'{ref.kind} {ref.namespace}/{ref.name} has no key "{ref.key}" (keys: {listing})'
            hint = "name an existing key"
        note = ref.note
        # A missing key is about the selector's ``key``, next to the ``name`` the note was about.
        path = note.path.removesuffix(".name") + ".key" if obj is not None else note.path
        replaced[note] = Line(note.file, note.line, note.kind, note.name, path, "error", error, hint)
    for line in lines:
        if line not in replaced:
            lookup.lines.append(line)
        elif (new := replaced[line]) is not None:
            lookup.lines.append(new)
    return lookup


async def fetch(cluster: Cluster, keys: Sequence[ObjectKey]) -> dict[ObjectKey, Obj | None]:
    """Each object, or None where the cluster has no such object."""
    found: dict[ObjectKey, Obj | None] = {}
    for key in dict.fromkeys(keys):
        kind, namespace, name = key
        try:
            found[key] = await cluster.get(RESOURCES[kind], name, namespace=namespace)
        except NotFound:
            found[key] = None
    return found


def check_in_cluster(args: argparse.Namespace, result: InputSet, lines: Sequence[Line]) -> ClusterLookup:
    """Look the noted objects up in the cluster ``args`` points at; raises ConfigError/ClusterError."""

    async def main() -> ClusterLookup:
        async with open_cluster(args) as cluster:
            wanted = open_references(result, lines, cluster.namespace)
            objects = await fetch(cluster, [ref.object_key for ref in wanted])
            lookup = resolve(lines, wanted, objects)
            lookup.server, lookup.namespace = cluster.server, cluster.namespace
            return lookup

    return asyncio.run(main())
