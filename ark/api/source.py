"""Multi-document YAML that remembers where every field came from, read within bounds.

Values resolve like kubectl's YAML 1.1 reader (``yes`` is true), except that timestamps stay
strings. Keys are always the text written, so the docs-form ``on:`` key of ArkNotify survives;
since kubectl turns an unquoted ``on`` key into ``"true"``, such keys get a warning.
Documents are split at ``---`` lines before parsing, so one broken document does not hide the
others.

Documents are built straight from the parser's events (no node tree), and the bounds of
:mod:`ark.api.limits` are counted as they are built: an alias adds the size of what it names
(its value is shared, not copied), so an alias bomb is refused as soon as its expansion passes
the limit, whatever it would expand to. The line of each field is only worked out when a
finding needs one (:meth:`SourceDocument.line_of` reads the document again).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ark.api.issues import Issue, Path, PathItem
from ark.api.limits import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    MAX_DOCUMENTS,
    MAX_NODES,
    PARSER_MAX_DEPTH,
)

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_STR = "tag:yaml.org,2002:str"
_SEPARATOR = re.compile(r"^(?:---|\.\.\.)(?:\s|$)", re.MULTILINE)
_NESTING = "exceeded maximum nesting depth"
_CACHED_SCALAR = 32


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader resolving scalars like kubectl (go-yaml v2): no timestamps, y/n are booleans."""

    bool_values = {**yaml.SafeLoader.bool_values, "y": True, "n": False}


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


class Budget:
    """What an input set may still build: values (:data:`MAX_NODES`), values reached through
    aliases (:data:`MAX_ALIAS_NODES`) and documents (:data:`MAX_DOCUMENTS`). One budget is
    shared by every file of a command."""

    def __init__(
        self, nodes: int = MAX_NODES, aliased: int = MAX_ALIAS_NODES, documents: int = MAX_DOCUMENTS
    ) -> None:
        self.nodes = nodes
        self.aliased = aliased
        self.documents = documents

    @property
    def spent(self) -> bool:
        """Whether a bound has been passed (nothing more is read)."""
        return self.nodes < 0 or self.aliased < 0 or self.documents < 0


@dataclass
class SourceDocument:
    """One YAML document of a file; the line of each field is worked out on first use."""

    file: str
    index: int
    line: int
    data: Any
    issues: list[Issue] = field(default_factory=list)
    _chunk: tuple[int, str, int] | None = field(default=None, repr=False, compare=False)
    """``(first line of the chunk, chunk text, position of the document in the chunk)``."""
    _lines: dict[Path, int] | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> dict[Path, int]:
        """The line of every field and item (read again from the text the first time)."""
        if self._lines is None:
            self._lines = _lines_of(self._chunk) if self._chunk is not None else {}
        return self._lines

    def line_of(self, path: Sequence[PathItem]) -> int:
        """The line of ``path``, or of its nearest ancestor that exists in the file."""
        key = tuple(path)
        if not key:
            return self.line
        lines = self.lines
        while key:
            line = lines.get(key)
            if line is not None:
                return line
            key = key[:-1]
        return self.line


@dataclass(frozen=True)
class SyntaxProblem:
    """A YAML syntax error (or an input refused by a limit); ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int
    message: str


@dataclass
class _Anchor:
    """What an ``&anchor`` names, for its aliases: the value and what building it produced."""

    value: Any
    start: Any
    size: int
    height: int
    issues: list[Issue]
    lines: dict[Path, int] | None
    scalar: tuple[str, str, str | None] | None = None
    """For a scalar: ``(text, resolved tag, style)``, so that it can also serve as a key."""


class _Pair:
    """One entry of a mapping as written, before keys are deduplicated (merges need them all)."""

    __slots__ = ("key", "line", "value", "warn")

    def __init__(self, key: str, line: int, warn: bool) -> None:
        self.key = key
        self.line = line
        self.warn = warn
        self.value: Any = None


class _Refused(Exception):
    """A bound was exceeded at ``event``."""

    def __init__(self, message: str, event: Any) -> None:
        super().__init__(message)
        self.message = message
        self.event = event


class _Walker:
    """Builds the documents of one chunk from parser events, counting against a budget."""

    def __init__(self, loader: Any, offset: int, budget: Budget, record_lines: bool) -> None:
        self.loader = loader  # PyYAML's stubs leave the event API untyped
        self.offset = offset
        self.budget = budget
        self.lines: dict[Path, int] | None = {} if record_lines else None
        self.issues: list[Issue] = []
        self.anchors: dict[str, _Anchor] = {}
        self._open: dict[str, Any] = {}
        """Anchors whose value is being built, and their events."""
        self._captures: list[tuple[int, dict[Path, int]]] = []
        self._deepest = 0
        # The entries of the mappings a merge may read (those inside an anchor or built inside a
        # `<<` value), by the id of the dict built from them; the dicts outlive their entries.
        self._pairs: dict[int, list[_Pair]] = {}
        self._merging = 0
        self._tags: dict[str, str] = {}
        """Resolved tags of short plain scalars (keys and small values repeat)."""
        self._values: dict[tuple[str, str], Any] = {}
        # Findings about a mapping's own keys (repeats, boolean keys): a merge repeats them for the
        # mapping it merges into, so it drops the merged mapping's own. By id: every issue in it
        # is held (by the document or an anchor) until it leaves the set.
        self._key_issues: set[int] = set()

    def line(self, event: Any) -> int:
        return int(event.start_mark.line) + self.offset + 1

    def document(self) -> tuple[Any, int]:
        """The next document's data and first line."""
        start = self.loader.get_event()  # DocumentStart
        self.budget.documents -= 1
        if self.budget.documents < 0:
            raise _Refused(
                f"more than {MAX_DOCUMENTS:,} documents, the limit for one input "
                "(split it into smaller inputs)",
                start,
            )
        first = self.loader.peek_event()
        self.issues = []
        if self.lines is not None:
            self.lines = {}
        data = self.node((), 0)
        self.loader.get_event()  # DocumentEnd
        self.anchors = {}
        self._pairs = {}
        self._key_issues = set()
        return data, self.line(first)

    def _set_line(self, path: Path, line: int) -> None:
        assert self.lines is not None
        self.lines[path] = line
        for prefix, lines in self._captures:
            lines[path[prefix:]] = line

    def _count(self, event: Any, nodes: int, aliased: int = 0) -> None:
        budget = self.budget
        budget.nodes -= nodes
        budget.aliased -= aliased
        if budget.aliased < 0:
            raise _Refused(
                f"aliases expand to more than {MAX_ALIAS_NODES:,} values, the limit for one input "
                "(write the values out, or nest fewer aliases)",
                event,
            )
        if budget.nodes < 0:
            raise _Refused(
                f"more than {MAX_NODES:,} values, the limit for one input (split it into smaller inputs)",
                event,
            )

    def _too_deep(self, path: Path) -> None:
        self.issues.append(Issue(path, f"nesting deeper than {MAX_DEPTH} levels", "flatten the document"))

    def node(self, path: Path, depth: int) -> Any:
        event = self.loader.get_event()
        if depth > MAX_DEPTH:
            self._too_deep(path)
            self._skip(event)
            return None
        if depth > self._deepest:
            self._deepest = depth
        if type(event) is AliasEvent:
            return self._alias(event, path, depth)
        budget = self.budget
        budget.nodes -= 1
        if budget.nodes < 0:
            self._count(event, 0)  # raises, naming the limit
        name = event.anchor
        if name is None:
            return self._build(event, path, depth)
        self._check_new_anchor(name, event)
        return self._anchored(name, event, path, depth)

    def _check_new_anchor(self, name: str, event: Any) -> None:
        first = self._open.get(name) or (self.anchors[name].start if name in self.anchors else None)
        if first is not None:
            raise ComposerError(
                "found duplicate anchor; first occurrence",
                first.start_mark,
                "second occurrence",
                event.start_mark,
            )

    def _anchored(self, name: str, event: Any, path: Path, depth: int) -> Any:
        self._open[name] = event
        issues_before = len(self.issues)
        nodes_before = self.budget.nodes
        deepest_before, self._deepest = self._deepest, depth
        captured: dict[Path, int] | None = None
        if self.lines is not None:
            captured = {}
            self._captures.append((len(path), captured))
        try:
            value = self._build(event, path, depth)
        finally:
            if captured is not None:
                self._captures.pop()
            del self._open[name]
        height = self._deepest - depth
        self._deepest = max(deepest_before, self._deepest)
        issues = [self._moved(issue, (), len(path)) for issue in self.issues[issues_before:]]
        scalar = (
            (event.value, self._scalar_tag(event), event.style) if isinstance(event, ScalarEvent) else None
        )
        size = 1 + nodes_before - self.budget.nodes
        self.anchors[name] = _Anchor(value, event, size, height, issues, captured, scalar)
        return value

    def _alias(self, event: Any, path: Path, depth: int) -> Any:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            if event.anchor in self._open:
                self.issues.append(
                    Issue(path, f"alias *{event.anchor} is inside the value it names", "remove the alias")
                )
                return None
            raise _undefined_alias(event)
        self._count(event, anchor.size, anchor.size)
        if depth + anchor.height > MAX_DEPTH:
            self._too_deep(path)
            return None
        self._deepest = max(self._deepest, depth + anchor.height)
        self.issues.extend(self._moved(issue, path, 0) for issue in anchor.issues)
        if self.lines is not None and anchor.lines is not None:
            for relative, line in anchor.lines.items():
                self._set_line((*path, *relative), line)
        return anchor.value

    def _moved(self, issue: Issue, prefix: Path, strip: int) -> Issue:
        """``issue`` with its first ``strip`` path items replaced by ``prefix``."""
        moved = Issue((*prefix, *issue.path[strip:]), issue.message, issue.hint, issue.severity)
        if id(issue) in self._key_issues:
            self._key_issues.add(id(moved))
        return moved

    def _build(self, event: Any, path: Path, depth: int) -> Any:
        kind = type(event)
        if kind is ScalarEvent:
            return self._scalar(event)
        if kind is SequenceStartEvent:
            items: list[Any] = []
            while not self.loader.check_event(SequenceEndEvent):
                child = (*path, len(items))
                if self.lines is not None:
                    self._set_line(child, self.line(self.loader.peek_event()))
                items.append(self.node(child, depth + 1))
            self.loader.get_event()
            return items
        assert isinstance(event, MappingStartEvent)
        return self._mapping(event, path, depth)

    def _scalar_tag(self, event: Any) -> str:
        tag = event.tag
        if tag is not None and tag != "!":
            return str(tag)
        if not event.implicit[0]:  # quoted: a string
            return _STR
        value: str = event.value
        cached = self._tags.get(value)
        if cached is None:
            cached = str(self.loader.resolve(ScalarNode, value, event.implicit))
            if len(value) <= _CACHED_SCALAR:
                self._tags[value] = cached
        return cached

    def _scalar(self, event: Any) -> Any:
        tag = self._scalar_tag(event)
        if tag == _STR:
            return event.value  # what the str constructor returns, without building a node
        key = (tag, event.value)
        if key in self._values:
            return self._values[key]
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        value = self.loader.construct_object(node)
        self.loader.constructed_objects.pop(node, None)
        if len(event.value) <= _CACHED_SCALAR:
            self._values[key] = value  # numbers, booleans, null: immutable, so shared
        return value

    def _mapping(self, event: Any, path: Path, depth: int) -> dict[str, Any]:
        """A mapping. ``<<`` merges other mappings in (YAML's merge key): their entries come
        first, an earlier merged mapping's over a later one's, and the mapping's own entries
        override merged ones; a key written twice in the mapping itself is a finding."""
        winners: dict[str, _Pair] = {}
        merged: dict[str, _Pair] | None = None
        explicit: list[_Pair] = []
        entered: list[Issue] = []
        while not self.loader.check_event(MappingEndEvent):
            key = self._key(path)
            if key is None:
                self._skip(self.loader.get_event())
                continue
            text, line, tag, warn = key
            if tag == _MERGE:
                if merged is None:
                    # Merged entries come first: the keys seen so far are entered again after them.
                    merged = {}
                    retracted = {id(issue) for issue in entered}
                    self.issues[:] = [issue for issue in self.issues if id(issue) not in retracted]
                    self._key_issues -= retracted
                for pair in self._merge(event, path, depth):
                    merged.setdefault(pair.key, pair)
                continue
            pair = _Pair(text, line, warn)
            explicit.append(pair)
            if merged is None:
                entered.extend(self._enter(winners, path, pair))
            pair.value = self.node((*path, text), depth + 1)
        self.loader.get_event()
        if merged is not None:
            winners = {}
            for pair in merged.values():
                self._note(path, pair)
                winners[pair.key] = pair
            own: dict[str, _Pair] = {}
            for pair in explicit:
                self._enter(own, path, pair)
                winners[pair.key] = pair
        pairs = list(winners.values())
        result = {pair.key: pair.value for pair in pairs}
        if self._merging or self._open:  # a merge may read it (directly, or through an alias)
            self._pairs[id(result)] = pairs
        return result

    def _enter(self, seen: dict[str, _Pair], path: Path, pair: _Pair) -> list[Issue]:
        """Enter ``pair`` among the entries ``seen`` so far; return the findings it adds."""
        issues_before = len(self.issues)
        previous = seen.get(pair.key)
        if previous is not None:
            # The last value wins (as in kubectl), so the path now points at this line.
            self._key_issue(
                Issue(
                    (*path, pair.key),
                    f'duplicate key "{pair.key}" (first at line {previous.line})',
                    "keep only one",
                )
            )
        seen[pair.key] = pair
        self._note(path, pair)
        return self.issues[issues_before:]

    def _note(self, path: Path, pair: _Pair) -> None:
        """The line of ``pair``'s key, and a warning if kubectl would read it as a boolean."""
        child = (*path, pair.key)
        if self.lines is not None:
            self._set_line(child, pair.line)
        if pair.warn:
            self._key_issue(
                Issue(
                    child,
                    f'kubectl reads the unquoted key "{pair.key}" as a boolean (YAML 1.1)',
                    f'quote it: "{pair.key}":',
                    severity="warning",
                )
            )

    def _key_issue(self, issue: Issue) -> None:
        self.issues.append(issue)
        self._key_issues.add(id(issue))

    def _key(self, path: Path) -> tuple[str, int, str, bool] | None:
        """The next key as (text, line, resolved tag, warn about a boolean); None if not a scalar
        (reported; the key is consumed, its value is not)."""
        event = self.loader.peek_event()
        scalar: tuple[str, str, str | None] | None = None
        if isinstance(event, AliasEvent):
            anchor = self.anchors.get(str(event.anchor))
            if anchor is None:
                raise _undefined_alias(event)
            scalar = anchor.scalar
        elif isinstance(event, ScalarEvent):
            scalar = (event.value, self._scalar_tag(event), event.style)
            if event.anchor is not None:
                self._check_new_anchor(event.anchor, event)
                value = self._scalar(event)
                self.anchors[event.anchor] = _Anchor(value, event, 1, 0, [], {}, scalar)
        if scalar is None:
            self.issues.append(Issue(path, "a mapping key must be a plain string", "quote the key"))
            self._skip(self.loader.get_event())
            return None
        self.loader.get_event()
        text, tag, style = scalar
        if tag == _VALUE:
            tag = _STR
        warn = tag == _BOOL and not style and text.lower() not in ("true", "false")
        return text, self.line(event), tag, warn

    def _merge(self, mapping: Any, path: Path, depth: int) -> list[_Pair]:
        """The entries a ``<<`` value merges in: a mapping's, or those of a list of mappings in
        order. Findings and lines inside it belong to ``path``."""
        start = self.loader.peek_event()
        scratch = (*path, "<<")
        issues_before = len(self.issues)
        captured: dict[Path, int] | None = None
        if self.lines is not None:
            captured = {}
            self._captures.append((len(scratch), captured))
        self._merging += 1
        try:
            if isinstance(start, SequenceStartEvent) and start.anchor is None:
                value, groups = self._merged_list(mapping, scratch, depth)
            else:
                value = self.node(scratch, depth)
                if not isinstance(value, dict):
                    raise _merge_error(mapping, start, "a mapping or list of mappings", value)
                groups = [self._pairs[id(value)]]
        finally:
            self._merging -= 1
            if captured is not None:
                self._captures.pop()
        # The entries are merged as if written here: drop "<<" (and a list's item index) from paths.
        strip = len(scratch) + (1 if isinstance(value, list) else 0)
        moved = self.issues[issues_before:]
        del self.issues[issues_before:]
        for issue in moved:
            if not (id(issue) in self._key_issues and len(issue.path) == strip + 1):
                self.issues.append(self._moved(issue, path, strip))
            self._key_issues.discard(id(issue))  # the original is dropped: its id may be reused
        if self.lines is not None and captured is not None:
            for key in [key for key in self.lines if key[: len(scratch)] == scratch]:
                del self.lines[key]
            for relative, line in captured.items():
                if len(relative) > strip - len(scratch):
                    self._set_line((*path, *relative[strip - len(scratch) :]), line)
        return [pair for group in groups for pair in group]

    def _merged_list(self, mapping: Any, scratch: Path, depth: int) -> tuple[list[Any], list[list[_Pair]]]:
        """A ``<<: [...]`` list: its mappings, and the entries of each."""
        self._count(self.loader.get_event(), 1)
        items: list[Any] = []
        groups: list[list[_Pair]] = []
        while not self.loader.check_event(SequenceEndEvent):
            start = self.loader.peek_event()
            item = self.node((*scratch, len(items)), depth + 1)
            if not isinstance(item, dict):
                raise _merge_error(mapping, start, "a mapping", item)
            items.append(item)
            groups.append(self._pairs[id(item)])
        self.loader.get_event()
        return items, groups

    def _skip(self, event: Any) -> None:
        """Consume the rest of the node ``event`` starts, building nothing."""
        if not isinstance(event, CollectionStartEvent):
            return
        open_ = 1
        while open_:
            inner = self.loader.get_event()
            if isinstance(inner, CollectionStartEvent):
                open_ += 1
            elif isinstance(inner, SequenceEndEvent | MappingEndEvent):
                open_ -= 1


def _undefined_alias(event: Any) -> ComposerError:
    return ComposerError(None, None, "found undefined alias", event.start_mark)


def _merge_error(mapping: Any, value: Any, expected: str, found: Any) -> ConstructorError:
    kind = (
        MappingNode.id
        if isinstance(found, dict)
        else SequenceNode.id
        if isinstance(found, list)
        else "scalar"
    )
    return ConstructorError(
        "while constructing a mapping",
        mapping.start_mark,
        f"expected {expected} for merging, but found {kind}",
        value.start_mark,
    )


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Split at document markers; each chunk is (0-based first line, text)."""
    start = line = 0
    for match in _SEPARATOR.finditer(text):
        at = match.start()
        if at > start:
            yield line, text[start:at]
            line += text.count("\n", start, at)
            start = at
    yield line, text[start:]


def _walk(chunk: str, offset: int, budget: Budget, record_lines: bool) -> Iterator[tuple[_Walker, Any, int]]:
    """Yield ``(walker, data, line)`` for each document of ``chunk``; parser errors propagate."""
    loader = _Loader(chunk)
    try:
        loader.get_event()  # StreamStart
        walker = _Walker(loader, offset, budget, record_lines)
        while not loader.check_event(StreamEndEvent):
            data, line = walker.document()
            yield walker, data, line
    finally:
        loader.dispose()


def _lines_of(chunk: tuple[int, str, int]) -> dict[Path, int]:
    offset, text, position = chunk
    for number, (walker, _, _) in enumerate(_walk(text, offset, Budget(), record_lines=True)):
        if number == position:
            lines: dict[Path, int] = walker.lines or {}
            return lines
    return {}


def load_documents(
    text: str, file: str, budget: Budget | None = None
) -> tuple[list[SourceDocument], list[SyntaxProblem]]:
    """Every non-empty document of ``text``, and the syntax errors (and refusals) met on the way.

    ``budget`` is shared by the files of one input set (default: a budget of its own).
    """
    budget = budget if budget is not None else Budget()
    documents: list[SourceDocument] = []
    problems: list[SyntaxProblem] = []
    for offset, chunk in _chunks(text):
        try:
            for position, (walker, data, line) in enumerate(_walk(chunk, offset, budget, record_lines=False)):
                if data is None:  # `---` followed by nothing but comments
                    continue
                documents.append(
                    SourceDocument(
                        file=file,
                        index=len(documents),
                        line=line,
                        data=data,
                        issues=walker.issues,
                        _chunk=(offset, chunk, position),
                    )
                )
        except _Refused as exc:
            mark = exc.event.start_mark
            problems.append(
                SyntaxProblem(file, int(mark.line) + offset + 1, int(mark.column) + 1, exc.message)
            )
            if budget.spent:
                break  # the rest of the input is not read
        except yaml.MarkedYAMLError as exc:
            problems.append(_syntax_problem(file, offset, exc))
        except yaml.YAMLError as exc:
            problems.append(SyntaxProblem(file, offset + 1, 1, f"YAML error: {exc}"))
    return documents, problems


def _position(event: Any, offset: int) -> tuple[int, int]:
    mark = event.start_mark
    return int(mark.line) + offset + 1, int(mark.column) + 1


def _syntax_problem(file: str, offset: int, exc: yaml.MarkedYAMLError) -> SyntaxProblem:
    mark = exc.problem_mark or exc.context_mark
    line = int(mark.line) + offset + 1 if mark is not None else offset + 1
    column = int(mark.column) + 1 if mark is not None else 1
    reason = exc.problem or exc.context or "invalid YAML"
    if reason == _NESTING:
        reason = f"nesting deeper than {PARSER_MAX_DEPTH} levels (documents may nest at most {MAX_DEPTH})"
    elif exc.context and exc.problem:
        reason = f"{exc.problem} ({exc.context}"
        if exc.context_mark is not None:
            reason += f" started at line {int(exc.context_mark.line) + offset + 1}"
        reason += ")"
    return SyntaxProblem(file, line, column, f"YAML syntax error: {reason}")
