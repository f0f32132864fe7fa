"""The public objects: :class:`Template`, :func:`parse`, :func:`render`, :func:`is_truthy`."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from .errors import DEFAULT_NAME, TemplateExecError, TemplateSyntaxError, line_col
from .execute import ExecFailure, State, compile_list
from .funcs import FUNCS
from .nodes import TextNode
from .parser import parse_tree
from .refs import references

_FALSY_TEXT = frozenset({"", "false", "0", "no"})


class _Compiled:
    """What parsing a source yields, whatever the template's name: the tree, its compiled
    renderer and its references. Shared by every :class:`Template` of the same source."""

    __slots__ = ("const", "refs", "root", "run")

    def __init__(self, source: str) -> None:
        self.root = parse_tree(source, DEFAULT_NAME, FUNCS)
        self.run = compile_list(self.root)
        self.const: str | None = None
        if all(isinstance(n, TextNode) for n in self.root.nodes):
            self.const = "".join(n.text for n in self.root.nodes if isinstance(n, TextNode))
        self.refs: frozenset[tuple[str, ...]] | None = None


class Template:
    """A parsed template: parse once, render many times (thread-safe, immutable)."""

    __slots__ = ("_compiled", "name", "source")

    def __init__(self, source: str, name: str, compiled: _Compiled) -> None:
        self.source = source
        self.name = name
        self._compiled = compiled

    def __repr__(self) -> str:
        return f"Template(name={self.name!r}, source={self.source!r})"

    def render(self, data: Mapping[str, Any]) -> str:
        """Execute against ``data`` (the dot, and ``$``); raises :class:`TemplateExecError`."""
        compiled = self._compiled
        if compiled.const is not None:
            return compiled.const
        st = State(data)
        try:
            compiled.run(st, data)
        except ExecFailure as e:
            line, col = line_col(self.source, e.node.pos)
            raise TemplateExecError(e.message, line, col, str(e.node), self.name) from None
        return "".join(st.out)

    def references(self) -> set[tuple[str, ...]]:
        """Field chains rooted at the top-level dot, e.g. ``{("input", "dish")}``.

        Chains inside ``with``/``range`` bodies are relative to a changed dot and are left
        out; ``$.x.y`` is always rooted.
        """
        compiled = self._compiled
        if compiled.refs is None:
            compiled.refs = frozenset(references(compiled.root))
        return set(compiled.refs)


# Parses are keyed by source alone: `ark run` parses a step's templates in validation and again
# (under the step's name) when the step runs, and both share one parse. Sized for the templates
# of a large team; a Template (a name on a shared parse) is cached by source and name.
@functools.lru_cache(maxsize=16384)
def _compile(src: str) -> _Compiled:
    return _Compiled(src)


@functools.lru_cache(maxsize=16384)
def _parse_cached(src: str, name: str) -> Template:
    try:
        compiled = _compile(src)
    except TemplateSyntaxError:
        if name == DEFAULT_NAME:
            raise
        parse_tree(src, name, FUNCS)  # raises the same error, located under the template's name
        raise
    return Template(src, name, compiled)


def parse(src: str, name: str = DEFAULT_NAME) -> Template:
    """Parse ``src``; raises :class:`TemplateSyntaxError`. Results are cached by (src, name)."""
    return _parse_cached(src, name)


def render(src: str, data: Mapping[str, Any]) -> str:
    """Parse (cached) and render in one call."""
    return _parse_cached(src, DEFAULT_NAME).render(data)


def is_truthy(rendered_text: str) -> bool:
    """The ``if``/``loop.condition`` rule (§4.2): trimmed, lowercased; false for "", false, 0, no."""
    return rendered_text.strip().lower() not in _FALSY_TEXT
