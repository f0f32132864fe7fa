"""Team-output chains: the links of raw events, the cycles through one event, a run's depth."""

from __future__ import annotations

from typing import Any

from ark.api.validation.chains import Link, cycle_through, spell_cycle
from ark.controllers.event.chains import DEPTH_ANNOTATION, MAX_CHAIN_DEPTH, chain_depth, links

Obj = dict[str, Any]


def event(name: str, watched: str, *targets: str, source_type: str = "team-output") -> Obj:
    return {
        "metadata": {"name": name},
        "spec": {
            "source": {"type": source_type, "teamOutput": {"name": watched}},
            "targets": [{"team": t} for t in targets],
        },
    }


def test_links_are_one_per_target_of_team_output_events_only() -> None:
    found = links(
        [
            event("e1", "a", "b", "c"),
            event("old", "c", "d", source_type="pipeline-output"),
            event("tick", "a", "b", source_type="cron"),
            {"metadata": {"name": "broken"}, "spec": {"source": {"type": "team-output"}}},
            {
                "metadata": {"name": "legacy"},
                "spec": {
                    "source": {"type": "team-output", "teamOutput": {"name": "d"}},
                    "targets": [{"pipeline": "e"}, "junk"],
                },
            },
        ]
    )
    assert found == [
        Link("e1", "a", "b"),
        Link("e1", "a", "c"),
        Link("legacy", "d", "e"),
        Link("old", "c", "d"),
    ]


def test_a_two_event_cycle_is_found_from_either_event_and_spelled() -> None:
    all_links = links([event("a-to-b", "a", "b"), event("b-to-a", "b", "a")])
    cycle = cycle_through("b-to-a", all_links)
    assert cycle == [Link("b-to-a", "b", "a"), Link("a-to-b", "a", "b")]
    assert spell_cycle(cycle) == "b-to-a (b -> a), a-to-b (a -> b)"
    assert cycle_through("a-to-b", all_links) is not None


def test_the_shortest_cycle_is_named_and_an_event_off_the_cycle_is_not_on_one() -> None:
    all_links = links(
        [
            event("ab", "a", "b"),
            event("bc", "b", "c"),
            event("ca", "c", "a"),
            event("ba", "b", "a"),
            event("into", "x", "a"),  # feeds the cycle but is not on it
        ]
    )
    assert [link.event for link in cycle_through("ab", all_links) or []] == ["ab", "ba"]
    assert [link.event for link in cycle_through("ca", all_links) or []] == ["ca", "ab", "bc"]
    assert cycle_through("into", all_links) is None


def test_an_event_targeting_the_team_it_watches_is_a_cycle_of_one() -> None:
    assert cycle_through("again", links([event("again", "a", "b", "a")])) == [Link("again", "a", "a")]


def test_a_chain_without_a_way_back_has_no_cycle() -> None:
    all_links = links([event("ab", "a", "b"), event("bc", "b", "c"), event("ac", "a", "c")])
    assert all(cycle_through(name, all_links) is None for name in ("ab", "bc", "ac"))


def test_depth_is_read_from_the_annotation_and_nonsense_counts_as_exhausted() -> None:
    assert chain_depth({"metadata": {}}) == 0
    assert chain_depth({"metadata": {"annotations": {DEPTH_ANNOTATION: "3"}}}) == 3
    assert chain_depth({"metadata": {"annotations": {DEPTH_ANNOTATION: "-2"}}}) == 0
    assert chain_depth({"metadata": {"annotations": {DEPTH_ANNOTATION: "deep"}}}) == MAX_CHAIN_DEPTH
