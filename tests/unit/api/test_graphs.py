"""Cycles and ancestry in dependency graphs: the same answers as a plain search, at any depth."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from ark.api.validation.graphs import Ancestors, find_cycle

NAMES = [f"n{i}" for i in range(8)]
graphs = st.dictionaries(
    st.sampled_from(NAMES), st.lists(st.sampled_from([*NAMES, "unknown"]), max_size=4), max_size=8
)


def reachable(graph: dict[str, list[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


@given(graphs)
def test_ancestors_are_exactly_the_nodes_a_search_reaches(graph: dict[str, list[str]]) -> None:
    index = Ancestors(graph)

    for node in graph:
        found = {other for other in graph if other in index.of(node)}
        assert found == reachable(graph, node) & set(graph)


@given(graphs)
def test_a_reported_cycle_is_a_real_one(graph: dict[str, list[str]]) -> None:
    cycle = find_cycle(graph)

    if cycle is None:
        assert all(node not in reachable(graph, node) for node in graph)
    else:
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in itertools.pairwise(cycle))


def test_a_chain_of_a_hundred_thousand_steps_is_no_deeper_than_a_short_one() -> None:
    chain = {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(100_000)}

    assert find_cycle(chain) is None
    assert "s0" in Ancestors(chain).of("s99999")
    chain["s0"] = ["s99999"]
    cycle = find_cycle(chain)
    assert cycle is not None
    assert len(cycle) == 100_001
