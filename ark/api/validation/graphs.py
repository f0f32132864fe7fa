"""Graph algorithms for dependency, delegation and nesting graphs: cycles and ancestry.

Both are iterative (a 10,000-step chain is as deep as it is long) and linear in nodes + edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of ``graph`` as ``[a, b, ..., a]`` (DFS, deterministic order), or None.

    Edges to nodes missing from ``graph`` are ignored (they are reported elsewhere).
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in graph:
        if start in state:
            continue
        path = [start]
        position = {start: 0}
        state[start] = 1
        pending = [iter(graph.get(start, ()))]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                done = path.pop()
                del position[done]
                state[done] = 2
                pending.pop()
                continue
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*path[position[nxt] :], nxt]
            if nxt not in state:
                state[nxt] = 1
                position[nxt] = len(path)
                path.append(nxt)
                pending.append(iter(graph.get(nxt, ())))
    return None


def spell(cycle: list[str]) -> str:
    """``["a", "b", "a"]`` -> ``a -> b -> a``."""
    return " -> ".join(cycle)


class Ancestors:
    """Which nodes of a graph a node reaches through its edges (its transitive dependencies),
    one bit set per node.

    The strongly connected components come out of one iterative Tarjan pass in dependency
    order, and each component's set is the union of its dependencies' sets, so the cost is the
    edges times a machine-word operation per 64 nodes. Edges to unknown nodes are ignored; the
    members of a cycle reach each other (and themselves).
    """

    def __init__(self, graph: Mapping[str, Sequence[str]]) -> None:
        self._bit = {name: 1 << index for index, name in enumerate(graph)}
        self._of: dict[str, int] = {}
        for component in _components(graph):
            members = set(component)
            bits = 0
            for node in component:
                for dep in graph[node]:
                    if dep in members:
                        bits |= self._bit[dep]
                    elif dep in self._bit:
                        bits |= self._bit[dep] | self._of[dep]
            for node in component:
                self._of[node] = bits

    def of(self, node: str) -> AncestorSet:
        """The ancestors of ``node`` (empty for an unknown node), as a container of names."""
        return AncestorSet(self._bit, self._of.get(node, 0))


def _components(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, each after every component it has edges to."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work[-1]
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            deps = graph[node]
            while position < len(deps) and (deps[position] not in graph or deps[position] in index):
                dep = deps[position]
                if dep in on_stack:
                    low[node] = min(low[node], index[dep])
                position += 1
            if position < len(deps):
                work[-1] = (node, position + 1)
                work.append((deps[position], 0))
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out


class AncestorSet:
    """``name in ancestors``: a membership test against one node's bit set."""

    __slots__ = ("_bit", "_bits")

    def __init__(self, bit: Mapping[str, int], bits: int) -> None:
        self._bit = bit
        self._bits = bits

    def __contains__(self, name: object) -> bool:
        bit = self._bit.get(name) if isinstance(name, str) else None
        return bit is not None and bool(self._bits & bit)
