"""Checks of ArkTeam specs: mode, roles, delegation graph, pipeline DAG, inputs, templates."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ark.api.crdschema import wire_name
from ark.api.issues import Path, suggestion
from ark.api.team import CLUSTER_MAX_ITEMS, ArkTeam, ArkTeamSpec, PipelineStep, TeamInput, TeamRole
from ark.api.validation.agent import check_agent_fields
from ark.api.validation.graphs import Ancestors, find_cycle, spell
from ark.api.validation.jsonschemas import check_json_schema
from ark.api.validation.names import LABEL_MAX, check_reference, is_label
from ark.api.validation.report import Report
from ark.api.validation.templates import TeamScope, check_team_template

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE_FIELDS = ("name", "ark_agent", "ark_team", "can_delegate")
INLINE_ATTRS = tuple(name for name in TeamRole.model_fields if name not in _REFERENCE_FIELDS)
IGNORED_TEAM_FIELDS = {
    "autoscaling": "autoscaling",
    "scale_to_zero": "scaleToZero",
    "artifact_store": "artifactStore",
}


@dataclass(frozen=True)
class _Names:
    """Names in their order (for messages) and where each first occurs (for lookups), so a check
    of one name costs the same in a team of 10 or 10,000 roles."""

    order: list[str]
    first: dict[str, int]

    @classmethod
    def of(cls, names: Iterable[str]) -> _Names:
        order = list(names)
        first: dict[str, int] = {}
        for index, name in enumerate(order):
            first.setdefault(name, index)
        return cls(order, first)

    def __contains__(self, name: object) -> bool:
        return name in self.first


def check_team(report: Report, team: ArkTeam) -> None:
    """Semantic checks of an ArkTeam."""
    check_team_spec(report, ("spec",), team.spec, team.metadata.name)


def check_team_spec(report: Report, base: Path, spec: ArkTeamSpec, team_name: str | None) -> None:
    """Semantic checks of a team spec at ``base`` (an ArkTeam's spec or an ArkRun's snapshot)."""
    _check_mode(report, base, spec)
    for wire, items in (("roles", spec.roles), ("pipeline", spec.pipeline)):
        if items is not None and len(items) > CLUSTER_MAX_ITEMS:
            report.warning(
                (*base, wire),
                f"{len(items):,} {'steps' if wire == 'pipeline' else wire}: the API server accepts at most "
                f"{CLUSTER_MAX_ITEMS:,} (the CRD's maxItems)",
                "fine for ark run; split the team to apply it to a cluster",
            )
    roles = spec.roles or []
    names = _Names.of(role.name for role in roles)
    for index, role in enumerate(roles):
        _check_role(report, (*base, "roles", index), role, names, index, team_name)
    _check_delegation(report, base, spec, names)
    if spec.entry is not None and spec.entry not in names and roles:
        report.error(
            (*base, "entry"),
            f'entry "{spec.entry}" is not a role of this team (roles: {", ".join(names.order)})',
            suggestion(spec.entry, names.order, otherwise="name one of the roles"),
        )
    if spec.pipeline is not None:
        _check_pipeline(report, base, spec, names)
    _check_inputs(report, base, spec)
    _check_templates(report, base, spec)
    _check_limits(report, base, spec)
    if spec.routing is not None:
        check_reference(
            report, (*base, "routing", "registryRef", "name"), spec.routing.registry_ref.name, "ArkRegistry"
        )
        if spec.routing.fallback is not None:
            check_reference(report, (*base, "routing", "fallback"), spec.routing.fallback, "ArkAgent")
    if spec.notify_ref is not None:
        check_reference(report, (*base, "notifyRef", "name"), spec.notify_ref.name, "ArkNotify")
    for attr, wire in IGNORED_TEAM_FIELDS.items():
        if getattr(spec, attr) is not None:
            report.warning((*base, wire), f"{wire} is accepted for compatibility but has no effect yet")


def _check_mode(report: Report, base: Path, spec: ArkTeamSpec) -> None:
    present = [
        wire
        for wire, value in (("pipeline", spec.pipeline), ("entry", spec.entry), ("routing", spec.routing))
        if value is not None
    ]
    if not present:
        report.error(
            base,
            "a team needs one of pipeline (pipeline mode), entry (dynamic mode) or routing (routed mode)",
            "add pipeline steps, an entry role, or routing",
        )
    for extra in present[1:]:
        report.error(
            (*base, extra),
            f"{extra} cannot be combined with {present[0]}: one of pipeline, entry or routing sets the mode",
            f"remove {extra}",
        )
    if spec.routing is not None and spec.roles is not None:
        report.error(
            (*base, "roles"),
            "a routed team has no roles: routing dispatches to the agents of the registry",
            "remove roles, or remove routing",
        )
    if spec.routing is None and not spec.roles:
        report.error((*base, "roles"), "pipeline and dynamic teams need at least one role", "add roles")


def _check_role(
    report: Report, path: Path, role: TeamRole, names: _Names, index: int, team_name: str | None
) -> None:
    first = names.first[role.name]
    if first != index:
        report.error(
            (*path, "name"),
            f'duplicate role "{role.name}" (also roles[{first}])',
            "role names must be unique in a team",
        )
    if not is_label(role.name):
        report.error(
            (*path, "name"),
            f'role name "{role.name}" must be a DNS-1123 label',
            "use lowercase letters, digits and '-', starting and ending with a letter or digit",
        )
    if role.ark_agent is not None and role.ark_team is not None:
        report.error((*path, "arkTeam"), "a role references either arkAgent or arkTeam, not both", "keep one")
    if not role.is_inline:
        _check_reference_role(report, path, role, team_name)
        return
    if role.model is None:
        report.error(
            (*path, "model"),
            "an inline role needs model",
            "add model, or reference an existing agent with arkAgent (or a team with arkTeam)",
        )
    if role.system_prompt is None and role.system_prompt_ref is None:
        report.error(
            (*path, "systemPrompt"),
            "an inline role needs systemPrompt or systemPromptRef",
            "add systemPrompt, or systemPromptRef.configMapKeyRef / secretKeyRef",
        )
    if team_name and len(f"{team_name}-{role.name}") > LABEL_MAX:
        report.error(
            (*path, "name"),
            f'the generated agent name "{team_name}-{role.name}" is longer than {LABEL_MAX} characters',
            "shorten the team or role name",
        )
    check_agent_fields(report, path, role)


def _check_reference_role(report: Report, path: Path, role: TeamRole, team_name: str | None) -> None:
    kind, target = ("ArkTeam", role.ark_team) if role.ark_team is not None else ("ArkAgent", role.ark_agent)
    wire_ref = "arkTeam" if role.ark_team is not None else "arkAgent"
    assert target is not None
    check_reference(report, (*path, wire_ref), target, kind)
    for attr in INLINE_ATTRS:
        if getattr(role, attr) is not None:
            wire = wire_name(attr, TeamRole.model_fields[attr])
            report.error(
                (*path, wire),
                f"{wire} is not allowed on a role that references {wire_ref}",
                f"configure it on the {kind}, or remove {wire_ref} to make the role inline",
            )
    if role.ark_team is not None and role.can_delegate is not None:
        report.error((*path, "canDelegate"), "canDelegate is not allowed on an arkTeam role", "remove it")
    if role.ark_team is not None and role.ark_team == team_name:
        report.error((*path, "arkTeam"), "a team cannot contain itself", "reference another team")


def _check_delegation(report: Report, base: Path, spec: ArkTeamSpec, names: _Names) -> None:
    roles = spec.roles or []
    graph: dict[str, list[str]] = {}
    for index, role in enumerate(roles):
        seen: set[str] = set()
        for position, target in enumerate(role.can_delegate or ()):
            path = (*base, "roles", index, "canDelegate", position)
            if target == role.name:
                report.error(path, f'role "{role.name}" cannot delegate to itself', "remove it")
            elif target not in names:
                report.error(
                    path,
                    f'canDelegate names unknown role "{target}" (roles: {", ".join(names.order)})',
                    suggestion(target, names.order, otherwise="name one of the team's roles"),
                )
            elif target in seen:
                report.warning(path, f'"{target}" is listed twice', "remove the duplicate")
            seen.add(target)
        graph.setdefault(role.name, [t for t in role.can_delegate or () if t != role.name])
    cycle = find_cycle(graph)
    if cycle is not None:
        start = names.first[cycle[0]]
        report.error(
            (*base, "roles", start, "canDelegate"),
            f"delegation cycle: {spell(cycle)}",
            "remove one canDelegate entry of the cycle",
        )
    if spec.entry is not None and spec.pipeline is None and spec.entry in graph:
        reached = _reachable(graph, spec.entry)
        for index, role in enumerate(roles):
            if role.name not in reached and names.first[role.name] == index:
                report.warning(
                    (*base, "roles", index, "name"),
                    f'role "{role.name}" cannot be reached from entry "{spec.entry}" through canDelegate',
                    "add it to a canDelegate list, or remove it",
                )


def _reachable(graph: dict[str, list[str]], start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _check_pipeline(report: Report, base: Path, spec: ArkTeamSpec, role_names: _Names) -> None:
    steps = spec.pipeline or []
    if not steps:
        report.error((*base, "pipeline"), "pipeline has no steps", "add steps, or remove pipeline")
        return
    step_names = _Names.of(step.role for step in steps)
    for index, step in enumerate(steps):
        _check_step(report, (*base, "pipeline", index), step, index, step_names, role_names)
    graph = {step.role: [dep for dep in step.depends_on or () if dep != step.role] for step in steps}
    cycle = find_cycle(graph)
    if cycle is not None:
        report.error(
            (*base, "pipeline", step_names.first[cycle[0]], "dependsOn"),
            f"dependency cycle: {spell(cycle)}",
            "remove one dependsOn entry of the cycle",
        )
    delegated = {target for role in spec.roles or () for target in role.can_delegate or ()}
    for index, role in enumerate(spec.roles or ()):
        if role.name not in step_names and role.name not in delegated:
            report.warning(
                (*base, "roles", index, "name"),
                f'role "{role.name}" has no pipeline step and no role delegates to it',
                "add a step for it, or remove it",
            )


def _check_step(
    report: Report, path: Path, step: PipelineStep, index: int, step_names: _Names, role_names: _Names
) -> None:
    if role_names.order and step.role not in role_names:
        report.error(
            (*path, "role"),
            f'unknown role "{step.role}" (roles: {", ".join(role_names.order)})',
            suggestion(step.role, role_names.order, otherwise="add the role to spec.roles"),
        )
    first = step_names.first[step.role]
    if first != index:
        report.error(
            (*path, "role"),
            f'role "{step.role}" already has a step (pipeline[{first}]); a step is named after its role',
            "add another role for a second step",
        )
    seen: set[str] = set()
    for position, dep in enumerate(step.depends_on or ()):
        dep_path = (*path, "dependsOn", position)
        if dep == step.role:
            report.error(
                dep_path, f"dependency cycle: {step.role} -> {step.role}", "a step cannot depend on itself"
            )
        elif dep not in step_names:
            report.error(
                dep_path,
                f'unknown step "{dep}" in dependsOn (steps: {", ".join(step_names.order)})',
                suggestion(
                    dep,
                    step_names.order,
                    otherwise="name a step of this pipeline; steps are named after their roles",
                ),
            )
        elif dep in seen:
            report.warning(dep_path, f'"{dep}" is listed twice', "remove the duplicate")
        seen.add(dep)
    if step.output_schema is not None:
        check_json_schema(report, (*path, "outputSchema"), step.output_schema)
    check = step.validation
    if check is not None:
        if check.json_schema is not None:
            check_json_schema(report, (*path, "validate", "schema"), check.json_schema)
        if check.contains is not None:
            try:
                re.compile(check.contains)
            except re.error as exc:
                report.error((*path, "validate", "contains"), f"not a valid regular expression: {exc}")
        if check.contains is None and check.json_schema is None and check.semantic is None:
            report.error(
                (*path, "validate"),
                "validate needs at least one of contains, schema or semantic",
                "add a check, or remove validate",
            )
        if check.on_failure == "fail" and "max_retries" in check.model_fields_set:
            report.warning(
                (*path, "validate", "maxRetries"),
                "maxRetries only applies with onFailure: retry",
                "set onFailure: retry",
            )
    if step.registry_lookup is not None:
        report.warning(
            (*path, "registryLookup"), "registryLookup is accepted for compatibility but has no effect yet"
        )


def _declared_inputs(spec: ArkTeamSpec) -> set[str] | None:
    if spec.inputs is None and spec.input is None:
        return None
    return {item.name for item in spec.inputs or ()} | set(spec.input or {})


def _check_inputs(report: Report, base: Path, spec: ArkTeamSpec) -> None:
    names: dict[str, int] = {}
    for index, item in enumerate(spec.inputs or ()):
        path = (*base, "inputs", index)
        if item.name in names:
            report.error((*path, "name"), f'duplicate input "{item.name}" (also inputs[{names[item.name]}])')
        names.setdefault(item.name, index)
        if not _IDENTIFIER.match(item.name):
            report.warning(
                (*path, "name"),
                f"{{{{ .input.{item.name} }}}} does not parse as a template field",
                f'read it with {{{{ index .input "{item.name}" }}}}',
            )
        if item.default is not None:
            _check_default(report, (*path, "default"), item)
            if item.required:
                report.warning((*path, "required"), "a required input with a default can never be missing")
        legacy = (spec.input or {}).get(item.name)
        if legacy is not None and item.default is not None and legacy != item.default:
            report.warning(
                (*base, "input", item.name),
                f"spec.input.{item.name} overrides inputs[{index}].default",
                "keep one default",
            )


def _check_default(report: Report, path: Path, item: TeamInput) -> None:
    text = item.default or ""
    valid = True
    if item.type == "integer":
        valid = re.fullmatch(r"[-+]?[0-9]+", text.strip()) is not None
    elif item.type == "number":
        try:
            float(text)
        except ValueError:
            valid = False
    elif item.type == "boolean":
        valid = text.strip().lower() in ("true", "false")
    elif item.type in ("object", "array"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            valid = False
        else:
            valid = isinstance(value, dict if item.type == "object" else list)
    if not valid:
        report.error(
            path, f'default "{text}" is not a valid {item.type}', f"write a {item.type}, or change type"
        )


class _Before:
    """The steps certainly finished before ``step`` renders its templates: its dependencies,
    transitively (cycles tolerated: reported elsewhere). Its direct dependencies answer at once;
    the graph's ancestor index is built the first time a template reads anything else."""

    def __init__(self, step: str, direct: set[str], graph: _LazyAncestors) -> None:
        self._step = step
        self._direct = direct
        self._graph = graph

    def __contains__(self, name: object) -> bool:
        return name in self._direct or name in self._graph.get().of(self._step)


class _LazyAncestors:
    def __init__(self, graph: dict[str, list[str]]) -> None:
        self._graph = graph
        self._index: Ancestors | None = None

    def get(self) -> Ancestors:
        if self._index is None:
            self._index = Ancestors(self._graph)
        return self._index


def _check_templates(report: Report, base: Path, spec: ArkTeamSpec) -> None:
    inputs = _declared_inputs(spec)
    steps = spec.pipeline or []
    names = [step.role for step in steps]
    known = set(names)
    structured = {
        step.role
        for step in steps
        if step.output_schema is not None
        or (step.validation is not None and step.validation.json_schema is not None)
    }
    graph = {step.role: list(step.depends_on or ()) for step in steps}
    ancestors = _LazyAncestors(graph)
    for index, step in enumerate(steps):
        path = (*base, "pipeline", index)
        before = _Before(step.role, set(graph[step.role]), ancestors)
        scope = TeamScope(
            inputs, names, before, structured, step.role, own_output_ok=step.loop is not None, known=known
        )
        for key, value in (step.inputs or {}).items():
            check_team_template(report, (*path, "inputs", key), value, scope)
        if step.if_ is not None:
            check_team_template(report, (*path, "if"), step.if_, scope)
        if step.loop is not None:
            loop_scope = TeamScope(
                inputs, names, before, structured, step.role, own_output_ok=True, known=known
            )
            check_team_template(report, (*path, "loop", "condition"), step.loop.condition, loop_scope)
    if spec.output is not None:
        check_team_template(
            report, (*base, "output"), spec.output, TeamScope(inputs, names, None, structured, known=known)
        )


def _check_limits(report: Report, base: Path, spec: ArkTeamSpec) -> None:
    for index, role in enumerate(spec.roles or ()):
        limits = role.limits
        if limits is None:
            continue
        path = (*base, "roles", index, "limits")
        explicit = limits.model_fields_set
        if (
            spec.timeout_seconds is not None
            and "timeout_seconds" in explicit
            and limits.timeout_seconds > spec.timeout_seconds
        ):
            report.warning(
                (*path, "timeoutSeconds"),
                f"a task may take {limits.timeout_seconds} s but the whole run times out after "
                f"{spec.timeout_seconds} s",
                "lower the role timeout or raise spec.timeoutSeconds",
            )
        if (
            spec.max_tokens is not None
            and "max_tokens_per_call" in explicit
            and limits.max_tokens_per_call > spec.max_tokens
        ):
            report.warning(
                (*path, "maxTokensPerCall"),
                f"one call may use {limits.max_tokens_per_call} tokens but a run may use {spec.max_tokens}",
                "lower maxTokensPerCall or raise spec.maxTokens",
            )
    daily = spec.limits.max_daily_tokens if spec.limits is not None else None
    if daily is not None and spec.max_tokens is not None and daily < spec.max_tokens:
        report.warning(
            (*base, "limits", "maxDailyTokens"),
            f"the daily budget ({daily}) is below the budget of a single run ({spec.max_tokens})",
            "raise limits.maxDailyTokens or lower maxTokens",
        )
