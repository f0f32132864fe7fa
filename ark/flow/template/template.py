"""The public objects: :class:`Template`, :func:`parse`, :func:`render`, :func:`is_truthy`."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from .errors import DEFAULT_NAME, TemplateExecError, line_col
from .execute import ExecFailure, State, compile_list
from .funcs import FUNCS
from .nodes import ListNode, TextNode
from .parser import parse_tree
from .refs import references

_FALSY_TEXT = frozenset({"", "false", "0", "no"})


class Template:
    """A parsed template: parse once, render many times (thread-safe, immutable)."""

    __slots__ = ("_const", "_refs", "_root", "_run", "name", "source")

    def __init__(self, source: str, name: str, root: ListNode) -> None:
        self.source = source
        self.name = name
        self._root = root
        self._run = compile_list(root)
        self._const: str | None = None
        if all(isinstance(n, TextNode) for n in root.nodes):
            self._const = "".join(n.text for n in root.nodes if isinstance(n, TextNode))
        self._refs: frozenset[tuple[str, ...]] | None = None

    def __repr__(self) -> str:
        return f"Template(name={self.name!r}, source={self.source!r})"

    def render(self, data: Mapping[str, Any]) -> str:
        """Execute against ``data`` (the dot, and ``$``); raises :class:`TemplateExecError`."""
        if self._const is not None:
            return self._const
        st = State(data)
        try:
            self._run(st, data)
        except ExecFailure as e:
            line, col = line_col(self.source, e.node.pos)
            raise TemplateExecError(e.message, line, col, str(e.node), self.name) from None
        return "".join(st.out)

    def references(self) -> set[tuple[str, ...]]:
        """Field chains rooted at the top-level dot, e.g. ``{("input", "dish")}``.

        Chains inside ``with``/``range`` bodies are relative to a changed dot and are left
        out; ``$.x.y`` is always rooted.
        """
        if self._refs is None:
            self._refs = frozenset(references(self._root))
        return set(self._refs)


@functools.lru_cache(maxsize=4096)
def _parse_cached(src: str, name: str) -> Template:
    return Template(src, name, parse_tree(src, name, FUNCS))


def parse(src: str, name: str = DEFAULT_NAME) -> Template:
    """Parse ``src``; raises :class:`TemplateSyntaxError`. Results are cached by (src, name)."""
    return _parse_cached(src, name)


def render(src: str, data: Mapping[str, Any]) -> str:
    """Parse (cached) and render in one call."""
    return _parse_cached(src, DEFAULT_NAME).render(data)


def is_truthy(rendered_text: str) -> bool:
    """The ``if``/``loop.condition`` rule (§4.2): trimmed, lowercased; false for "", false, 0, no."""
    return rendered_text.strip().lower() not in _FALSY_TEXT
