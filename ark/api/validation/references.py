"""Cross-document references: resolve them against the objects of one input set.

A reference to an object that is not in the set is not an error (it may exist in the cluster);
it is listed as a note. A reference that resolves is checked in full.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, cast

from ark.api.issues import Path
from ark.api.validation.chains import Link, cycle_through, spell_cycle
from ark.api.validation.graphs import find_cycle, spell
from ark.api.validation.report import Report

if TYPE_CHECKING:
    # Objects are told apart by ``kind``, so checking one kind imports no other kind's models.
    from ark.api.agent import ArkAgent
    from ark.api.event import ArkEvent
    from ark.api.meta import ArkObject
    from ark.api.run import ArkRun
    from ark.api.service import ArkService
    from ark.api.shared import AgentFields
    from ark.api.team import ArkTeam


@dataclass(frozen=True)
class ForeignObject:
    """An object known by kind and name only: a non-ark document of the input (ConfigMap,
    Secret, ...) or the ArkAgent the operator will generate for an inline team role."""

    kind: str
    name: str
    namespace: str | None = None
    keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reference:
    """A reference from one object to another, by kind and name, at ``path``."""

    path: Path
    kind: str
    name: str
    key: str | None = None
    """For ConfigMap/Secret key selectors: the key that must exist (unless optional)."""
    optional: bool = False


Target: TypeAlias = "ArkObject | ForeignObject"


class Catalog:
    """Lookup of the objects of one input set by kind, namespace and name."""

    def __init__(self, objects: Sequence[ArkObject], foreign: Sequence[ForeignObject]) -> None:
        self._by_name: dict[tuple[str, str], list[Target]] = {}
        for obj in objects:
            if obj.metadata.name:
                self._by_name.setdefault((obj.kind, obj.metadata.name), []).append(obj)
        for item in foreign:
            self._by_name.setdefault((item.kind, item.name), []).append(item)
        # Inline roles become ArkAgents named <team>-<role>; services may select them.
        for obj in objects:
            if obj.kind == "ArkTeam" and obj.metadata.name:
                for role in cast("ArkTeam", obj).spec.roles or ():
                    if role.is_inline:
                        name = f"{obj.metadata.name}-{role.name}"
                        generated = ForeignObject("ArkAgent", name, obj.metadata.namespace)
                        self._by_name.setdefault(("ArkAgent", name), []).append(generated)

    def find(self, kind: str, name: str, namespace: str | None) -> Target | None:
        """The object of that kind and name in ``namespace`` (an unset namespace matches any)."""
        for candidate in self._by_name.get((kind, name), ()):
            other = (
                candidate.namespace if isinstance(candidate, ForeignObject) else candidate.metadata.namespace
            )
            if namespace is None or other is None or other == namespace:
                return candidate
        return None


def references_of(obj: ArkObject) -> Iterator[Reference]:
    """Every reference an object makes to another object."""
    if obj.kind == "ArkAgent":
        yield from _agent_references(("spec",), cast("ArkAgent", obj).spec)
    elif obj.kind == "ArkTeam":
        spec = cast("ArkTeam", obj).spec
        for index, role in enumerate(spec.roles or ()):
            path: Path = ("spec", "roles", index)
            if role.ark_agent is not None:
                yield Reference((*path, "arkAgent"), "ArkAgent", role.ark_agent)
            if role.ark_team is not None:
                yield Reference((*path, "arkTeam"), "ArkTeam", role.ark_team)
            yield from _agent_references(path, role)
        if spec.routing is not None:
            yield Reference(
                ("spec", "routing", "registryRef", "name"), "ArkRegistry", spec.routing.registry_ref.name
            )
            if spec.routing.fallback is not None:
                yield Reference(("spec", "routing", "fallback"), "ArkAgent", spec.routing.fallback)
        if spec.notify_ref is not None:
            yield Reference(("spec", "notifyRef", "name"), "ArkNotify", spec.notify_ref.name)
    elif obj.kind == "ArkEvent":
        event = cast("ArkEvent", obj).spec
        output = event.source.team_output
        if output is not None and event.source.type == "team-output":
            yield Reference(("spec", "source", "teamOutput", "name"), "ArkTeam", output.name)
        for index, target in enumerate(event.targets):
            yield Reference(("spec", "targets", index, "team"), "ArkTeam", target.team)
    elif obj.kind == "ArkRun":
        yield Reference(("spec", "teamRef", "name"), "ArkTeam", cast("ArkRun", obj).spec.team_ref.name)
    elif obj.kind == "ArkService":
        selector = cast("ArkService", obj).spec.selector
        yield Reference(("spec", "selector", "arkAgent"), "ArkAgent", selector.ark_agent)


def _agent_references(base: Path, fields: AgentFields) -> Iterator[Reference]:
    for attr, wire, kind in (
        ("config_ref", "configRef", "ArkSettings"),
        ("memory_ref", "memoryRef", "ArkMemory"),
        ("notify_ref", "notifyRef", "ArkNotify"),
    ):
        ref = getattr(fields, attr)
        if ref is not None:
            yield Reference((*base, wire, "name"), kind, ref.name)
    prompt = fields.system_prompt_ref
    for wire, kind, selector in (
        ("configMapKeyRef", "ConfigMap", prompt.config_map_key_ref if prompt else None),
        ("secretKeyRef", "Secret", prompt.secret_key_ref if prompt else None),
    ):
        if selector is not None:
            path = (*base, "systemPromptRef", wire, "name")
            yield Reference(path, kind, selector.name, selector.key, bool(selector.optional))


def check_references(
    objects: Sequence[ArkObject],
    foreign: Sequence[ForeignObject],
    reports: Sequence[Report],
    origins: Sequence[str],
) -> None:
    """Resolve every reference of every object; add findings to the object's report."""
    catalog = Catalog(objects, foreign)
    first_seen: dict[tuple[str, str | None, str], int] = {}
    for index, obj in enumerate(objects):
        report = reports[index]
        namespace = obj.metadata.namespace
        if obj.metadata.name:
            key = (obj.kind, namespace, obj.metadata.name)
            if key in first_seen:
                report.error(
                    ("metadata", "name"),
                    f"{obj.kind}/{obj.metadata.name} is defined twice (first at {origins[first_seen[key]]})",
                    "remove one of them, or rename it",
                )
            first_seen.setdefault(key, index)
        for ref in references_of(obj):
            target = catalog.find(ref.kind, ref.name, namespace)
            if target is None:
                report.note(
                    ref.path,
                    f'{ref.kind} "{ref.name}" is not among the given documents',
                    "it must exist in the cluster",
                )
            else:
                _check_resolved(report, obj, ref, target)
    _check_team_nesting(objects, reports)
    _check_event_cycles(objects, reports)


def _check_resolved(report: Report, obj: ArkObject, ref: Reference, target: Target) -> None:
    if isinstance(target, ForeignObject):
        _check_prompt_key(report, ref, target)
        return
    if target.kind != "ArkTeam" or obj.kind not in ("ArkEvent", "ArkRun"):
        return
    from ark.api.validation.others import check_run_input

    team = cast("ArkTeam", target).spec
    if obj.kind == "ArkEvent" and ref.path[1] == "targets":
        index = ref.path[2]
        assert isinstance(index, int)
        given = cast("ArkEvent", obj).spec.targets[index].input or {}
        check_run_input(report, ("spec", "targets", index, "input"), given, team, ref.name)
    run = cast("ArkRun", obj).spec if obj.kind == "ArkRun" else None
    if run is not None and run.team_spec is None:
        check_run_input(report, ("spec", "input"), run.input or {}, team, ref.name)


def _check_prompt_key(report: Report, ref: Reference, target: ForeignObject) -> None:
    if ref.key is None or ref.key in target.keys or ref.optional:
        return
    listing = ", ".join(sorted(target.keys)) or "none"
    report.error(
        (*ref.path[:-1], "key"),
        f'{target.kind} "{target.name}" has no key "{ref.key}" (keys: {listing})',
        "name an existing key",
    )


def _check_team_nesting(objects: Sequence[ArkObject], reports: Sequence[Report]) -> None:
    teams = {
        obj.metadata.name: (index, cast("ArkTeam", obj))
        for index, obj in enumerate(objects)
        if obj.kind == "ArkTeam"
    }
    graph = {
        name: [role.ark_team for role in team.spec.roles or () if role.ark_team and role.ark_team != name]
        for name, (_, team) in teams.items()
        if name
    }
    cycle = find_cycle(graph)
    if cycle is None:
        return
    index, team = teams[cycle[0]]
    role_index = next(i for i, role in enumerate(team.spec.roles or ()) if role.ark_team == cycle[1])
    reports[index].error(
        ("spec", "roles", role_index, "arkTeam"),
        f"teams contain each other: {spell(cycle)}",
        "remove one arkTeam reference of the cycle",
    )


def _check_event_cycles(objects: Sequence[ArkObject], reports: Sequence[Report]) -> None:
    """Refuse every team-output event on a cycle of team-output events (per namespace).

    An event that targets the team it watches is reported by its own check (``check_event``).
    """
    by_namespace: dict[str | None, list[tuple[int, Link]]] = {}
    for index, obj in enumerate(objects):
        if obj.kind != "ArkEvent" or not obj.metadata.name:
            continue
        spec = cast("ArkEvent", obj).spec
        if spec.source.type != "team-output" or spec.source.team_output is None:
            continue
        for target in spec.targets:
            if target.team != spec.source.team_output.name:
                link = Link(obj.metadata.name, spec.source.team_output.name, target.team)
                by_namespace.setdefault(obj.metadata.namespace, []).append((index, link))
    for entries in by_namespace.values():
        all_links = [link for _, link in entries]
        for index in sorted({index for index, _ in entries}):
            event = cast("ArkEvent", objects[index])
            cycle = cycle_through(event.metadata.name or "", all_links)
            if cycle is None:
                continue
            position = next(i for i, t in enumerate(event.spec.targets) if t.team == cycle[0].to)
            reports[index].error(
                ("spec", "targets", position, "team"),
                f"team-output events form a cycle: {spell_cycle(cycle)}",
                "remove or retarget one event of the cycle",
            )
