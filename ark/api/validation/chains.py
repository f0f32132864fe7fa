"""Cycles of team-output events: an event is a link from the team it watches to each team it
targets; links that lead back to where they started fire for ever (pure; shared by ``ark
validate`` and the ArkEvent controller)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """Event ``event`` fires team ``to`` when a run of team ``source`` ends."""

    event: str
    source: str
    to: str

    def spell(self) -> str:
        """``relay (a -> b)``."""
        return f"{self.event} ({self.source} -> {self.to})"


def cycle_through(event: str, all_links: Iterable[Link]) -> list[Link] | None:
    """The shortest cycle of links that starts with one of ``event``'s, or None (breadth-first)."""
    by_source: dict[str, list[Link]] = {}
    for link in all_links:
        by_source.setdefault(link.source, []).append(link)
    own = [link for group in by_source.values() for link in group if link.event == event]
    for first in sorted(own, key=_order):
        if first.to == first.source:
            return [first]
        paths: dict[str, list[Link]] = {first.to: [first]}
        frontier = [first.to]
        while frontier:
            following = []
            for team in frontier:
                for link in by_source.get(team, ()):
                    if link.to == first.source:
                        return [*paths[team], link]
                    if link.to not in paths:
                        paths[link.to] = [*paths[team], link]
                        following.append(link.to)
            frontier = following
    return None


def spell_cycle(cycle: list[Link]) -> str:
    """``relay (a -> b), back (b -> a)``."""
    return ", ".join(link.spell() for link in cycle)


def _order(link: Link) -> tuple[str, str]:
    return (link.source, link.to)
