"""Multi-document YAML that remembers where every field came from.

Values resolve like kubectl's YAML 1.1 reader (``yes`` is true), except that timestamps stay
strings. Keys are always the text written, so the docs-form ``on:`` key of ArkNotify survives;
since kubectl turns an unquoted ``on`` key into ``"true"``, such keys get a warning.
Documents are split at ``---`` lines before parsing, so one broken document does not hide the
others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ark.api.issues import Issue, Path, PathItem

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_MAX_DEPTH = 64
_SEPARATOR = re.compile(r"^(---|\.\.\.)(\s|$)")


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader resolving scalars like kubectl (go-yaml v2): no timestamps, y/n are booleans."""

    bool_values = {**yaml.SafeLoader.bool_values, "y": True, "n": False}


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


@dataclass
class SourceDocument:
    """One YAML document of a file, with the line of each field."""

    file: str
    index: int
    line: int
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def line_of(self, path: Sequence[PathItem]) -> int:
        """The line of ``path``, or of its nearest ancestor that exists in the file."""
        key = tuple(path)
        while key:
            line = self.lines.get(key)
            if line is not None:
                return line
            key = key[:-1]
        return self.line


@dataclass(frozen=True)
class SyntaxProblem:
    """A YAML syntax error; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int
    message: str


class _Builder:
    """Turns a composed node tree into plain data, recording lines and YAML-level issues."""

    def __init__(self, loader: yaml.SafeLoader, offset: int) -> None:
        self.loader = loader
        self.offset = offset
        self.lines: dict[Path, int] = {}
        self.issues: list[Issue] = []

    def line(self, node: Node) -> int:
        return int(node.start_mark.line) + self.offset + 1

    def build(self, node: Node, path: Path, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            self.issues.append(
                Issue(path, f"nesting deeper than {_MAX_DEPTH} levels", "flatten the document")
            )
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = self.line(item)
                items.append(self.build(item, (*path, index), depth + 1))
            return items
        return self.loader.construct_object(node)

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.issues.append(Issue(path, "a mapping key must be a plain string", "quote the key"))
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                # The last value wins (as in kubectl), so the path now points at this line.
                first = self.lines[child]
                self.issues.append(
                    Issue(child, f'duplicate key "{key}" (first at line {first})', "keep only one")
                )
            self.lines[child] = self.line(key_node)
            if key_node.tag == _BOOL and not key_node.style and key.lower() not in ("true", "false"):
                self.issues.append(
                    Issue(
                        child,
                        f'kubectl reads the unquoted key "{key}" as a boolean (YAML 1.1)',
                        f'quote it: "{key}":',
                        severity="warning",
                    )
                )
            result[key] = self.build(value_node, child, depth + 1)
        return result


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split at document markers; each chunk is (0-based first line, text)."""
    chunks: list[tuple[int, str]] = []
    start = 0
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if _SEPARATOR.match(line) and number > start:
            chunks.append((start, "".join(lines[start:number])))
            start = number
    chunks.append((start, "".join(lines[start:])))
    return chunks


def load_documents(text: str, file: str) -> tuple[list[SourceDocument], list[SyntaxProblem]]:
    """Every non-empty document of ``text``, and the syntax errors met on the way."""
    documents: list[SourceDocument] = []
    problems: list[SyntaxProblem] = []
    for offset, chunk in _chunks(text):
        loader = _Loader(chunk)
        try:
            while loader.check_node():
                node = loader.get_node()
                if node is None:
                    continue
                builder = _Builder(loader, offset)
                data = builder.build(node, ())
                if data is None:  # `---` followed by nothing but comments
                    continue
                documents.append(
                    SourceDocument(
                        file=file,
                        index=len(documents),
                        line=builder.line(node),
                        data=data,
                        lines=builder.lines,
                        issues=builder.issues,
                    )
                )
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = int(mark.line) + offset + 1 if mark is not None else offset + 1
            column = int(mark.column) + 1 if mark is not None else 1
            reason = exc.problem or exc.context or "invalid YAML"
            if exc.context and exc.problem:
                reason = f"{exc.problem} ({exc.context}"
                if exc.context_mark is not None:
                    reason += f" started at line {int(exc.context_mark.line) + offset + 1}"
                reason += ")"
            problems.append(SyntaxProblem(file, line, column, f"YAML syntax error: {reason}"))
        except yaml.YAMLError as exc:
            problems.append(SyntaxProblem(file, offset + 1, 1, f"YAML error: {exc}"))
        finally:
            loader.dispose()
    return documents, problems
