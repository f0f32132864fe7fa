"""Cycle detection for dependency, delegation and nesting graphs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of ``graph`` as ``[a, b, ..., a]`` (DFS, deterministic order), or None.

    Edges to nodes missing from ``graph`` are ignored (they are reported elsewhere).
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in graph:
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def spell(cycle: list[str]) -> str:
    """``["a", "b", "a"]`` -> ``a -> b -> a``."""
    return " -> ".join(cycle)
