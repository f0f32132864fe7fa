"""Load YAML texts into API objects and check them: the pipeline behind ``ark validate``.

Each document is parsed on its own (structural issues with their paths), then the objects
that parsed are checked together (semantic issues, references between documents).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ark.api.base import GROUP
from ark.api.errors import issues_from_error
from ark.api.issues import Issue, Path, PathItem, suggestion
from ark.api.kinds import KIND_NAMES, RETIRED_KINDS, kind_class, parse_object
from ark.api.meta import ArkObject
from ark.api.source import Budget, SourceDocument, SyntaxProblem, load_documents
from ark.api.validation import ForeignObject, validate_objects

_DATA_FIELDS = {"ConfigMap": ("data", "binaryData"), "Secret": ("data", "stringData")}


@dataclass
class LoadedDocument:
    """One object of the input: where it is, what it is, and what is wrong with it.

    ``prefix`` locates the object inside its YAML document (``("items", 3)`` in a ``List``).
    """

    source: SourceDocument
    prefix: Path
    kind: str
    name: str
    obj: ArkObject | None = None
    foreign: ForeignObject | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ours(self) -> bool:
        """Whether the document is one of our kinds (as opposed to a ConfigMap, Secret, ...)."""
        return self.foreign is None

    def line_of(self, path: Sequence[PathItem]) -> int:
        """The line of ``path`` (relative to the object) in the file."""
        return self.source.line_of((*self.prefix, *path))

    @property
    def line(self) -> int:
        """The first line of the object."""
        return self.line_of(())


@dataclass
class InputSet:
    """Everything loaded from the given texts."""

    documents: list[LoadedDocument] = field(default_factory=list)
    syntax_problems: list[SyntaxProblem] = field(default_factory=list)

    @property
    def objects(self) -> list[ArkObject]:
        """The objects that parsed."""
        return [doc.obj for doc in self.documents if doc.obj is not None]


def _display_name(data: dict[str, Any]) -> str:
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        if isinstance(metadata.get("name"), str) and metadata["name"]:
            return str(metadata["name"])
        if isinstance(metadata.get("generateName"), str) and metadata["generateName"]:
            return f"{metadata['generateName']}*"
    return "<unnamed>"


def _is_ours(data: dict[str, Any]) -> bool:
    api_version = data.get("apiVersion")
    group = api_version.split("/")[0] if isinstance(api_version, str) and "/" in api_version else ""
    # A document without apiVersion is invalid for kubectl too; report it as ours.
    return (
        group == GROUP
        or "apiVersion" not in data
        or data.get("kind") in KIND_NAMES
        or data.get("kind") in RETIRED_KINDS
    )


def parse_document(source: SourceDocument, prefix: Path = (), data: Any = None) -> LoadedDocument:
    """Parse one document (or ``List`` item) into a :class:`LoadedDocument`."""
    data = source.data if data is None else data
    if not isinstance(data, dict):
        doc = LoadedDocument(source, prefix, "?", "<unnamed>")
        doc.issues.append(
            Issue((), "a document must be a mapping with apiVersion, kind, metadata and spec", "fix the YAML")
        )
        return doc
    kind = data.get("kind")
    name = _display_name(data)
    if not _is_ours(data):
        foreign = ForeignObject(
            kind=str(kind),
            name=name,
            namespace=_namespace(data),
            keys=frozenset(key for part in _DATA_FIELDS.get(str(kind), ()) for key in (data.get(part) or {})),
        )
        return LoadedDocument(source, prefix, str(kind), name, foreign=foreign)
    doc = LoadedDocument(source, prefix, str(kind) if isinstance(kind, str) else "?", name)
    if prefix == ():
        doc.issues.extend(source.issues)
    else:
        doc.issues.extend(
            Issue(issue.path[len(prefix) :], issue.message, issue.hint, issue.severity)
            for issue in source.issues
            if issue.path[: len(prefix)] == prefix
        )
    if "apiVersion" not in data:
        doc.issues.append(
            Issue(("apiVersion",), "required field is missing", f"add apiVersion: {GROUP}/v1alpha1")
        )
    if not isinstance(kind, str) or kind not in KIND_NAMES:
        doc.issues.append(_unknown_kind(kind))
        return doc
    try:
        doc.obj = parse_object(data)
    except ValidationError as exc:
        doc.issues.extend(issues_from_error(exc, kind_class(kind)))
    return doc


def _namespace(data: dict[str, Any]) -> str | None:
    metadata = data.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return namespace if isinstance(namespace, str) else None


def _unknown_kind(kind: object) -> Issue:
    if not isinstance(kind, str) or not kind:
        return Issue(("kind",), "required field is missing", f"add kind (one of {', '.join(KIND_NAMES)})")
    if kind in RETIRED_KINDS:
        return Issue(("kind",), f"kind {kind} is not served", RETIRED_KINDS[kind])
    return Issue(
        ("kind",),
        f'unknown kind "{kind}"',
        suggestion(kind, KIND_NAMES, otherwise=f"use one of {', '.join(KIND_NAMES)}"),
    )


def _expand(source: SourceDocument) -> list[LoadedDocument]:
    data = source.data
    if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
        return [parse_document(source, ("items", index), item) for index, item in enumerate(data["items"])]
    return [parse_document(source)]


def load_texts(texts: Sequence[tuple[str, str]]) -> InputSet:
    """Load and check ``(file label, YAML text)`` pairs as one input set (whose values count
    against one :class:`~ark.api.source.Budget`: the bounds are for the whole input)."""
    result = InputSet()
    budget = Budget()
    for label, text in texts:
        sources, problems = load_documents(text, label, budget)
        result.syntax_problems.extend(problems)
        for source in sources:
            result.documents.extend(_expand(source))
    check(result)
    return result


def check(result: InputSet) -> None:
    """Run the semantic checks over the parsed objects of ``result``, adding their issues."""
    parsed = [doc for doc in result.documents if doc.obj is not None]
    objects = [doc.obj for doc in parsed if doc.obj is not None]
    foreign = [doc.foreign for doc in result.documents if doc.foreign is not None]
    origins = [f"{doc.source.file}:{doc.line}" for doc in parsed]
    for doc, issues in zip(parsed, validate_objects(objects, foreign, origins), strict=True):
        doc.issues.extend(issues)
