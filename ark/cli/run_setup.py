"""``ark run`` set-up: from YAML files to a run plan, its agents and its input, without a cluster.

Documents are checked with the ``ark validate`` pipeline; errors in the documents that take part
(ArkTeam, ArkAgent, ArkRegistry, ArkSettings, ArkRun) stop the run, other kinds are reported and
skipped. References are resolved among the given documents (§18 #17); a ``systemPromptRef`` is
read from a ConfigMap or Secret document (§18 #18). Nothing here talks to a model or a network.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ark.api.loading import InputSet, LoadedDocument, load_texts
from ark.api.meta import ArkObject
from ark.api.shared import AgentFields, HttpTool, McpServer
from ark.api.team import ArkTeam, ArkTeamSpec
from ark.cli.findings import findings
from ark.cli.run_memory import MemorySetup, memory_setup
from ark.cli.sources import read_sources
from ark.flow.inputs import resolve_inputs
from ark.flow.plan import AgentLimits, Capability, PlanError, RunPlan, build_plan, inline_agent_name
from ark.flow.routing import ROUTER_SYSTEM_PROMPT

if TYPE_CHECKING:
    # Looked up by kind name: a run whose files hold no ArkRun never imports its models.
    from ark.api.registry import ArkRegistry
    from ark.api.run import ArkRun

TAKING_PART = ("ArkTeam", "ArkAgent", "ArkRegistry", "ArkSettings", "ArkRun", "ArkMemory")
NOT_USED = {
    "ArkEvent": "events fire runs in a cluster",
    "ArkNotify": "notifications are sent by the operator",
    "ArkService": "services route cluster traffic",
}


class SetupError(Exception):
    """The run cannot start; ``lines`` say why (one problem per line)."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


@dataclass
class AgentSetup:
    """One agent (or the router) as ``ark run`` runs it in-process."""

    key: str
    model: str
    system_prompt: str
    source: str
    limits: AgentLimits = field(default_factory=AgentLimits)
    temperature: float | None = None
    can_delegate: tuple[str, ...] = ()
    tools: tuple[HttpTool, ...] = ()
    mcp_servers: tuple[McpServer, ...] = ()
    memory_ref: str | None = None
    memory: MemorySetup | None = None
    """Resolved from ``memory_ref`` by :func:`prepare` (:mod:`ark.cli.run_memory`)."""


@dataclass
class LocalTeam:
    """A team ready to run: its plan and the agents its steps go to."""

    name: str
    spec: ArkTeamSpec
    plan: RunPlan
    agents: dict[str, AgentSetup]
    teams: dict[str, LocalTeam] = field(default_factory=dict)
    """Teams referenced by ``arkTeam`` roles, by name."""


@dataclass
class LocalRun:
    """Everything ``ark run`` needs: the team, the resolved input, and what to tell the user."""

    team: LocalTeam
    inputs: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    files: int = 0
    secrets: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """``(kind, name)`` -> data of the ConfigMaps and Secrets given (for MCP headers)."""


def read_paths(paths: Sequence[str]) -> list[tuple[str, str]]:
    """``(label, text)`` of every file given; directories are walked for YAML/JSON, ``-`` is stdin."""
    texts, unreadable = read_sources(paths)
    if unreadable:
        raise SetupError(
            [
                f"{u.path}: no such file or directory"
                if u.missing
                else f"{u.path}: cannot read the file: {u.reason}"
                for u in unreadable
            ]
        )
    if not texts:
        raise SetupError([f"no YAML files in {', '.join(paths)}"])
    return texts


def prepare(
    texts: Sequence[tuple[str, str]],
    *,
    team_name: str | None,
    given_inputs: Mapping[str, str],
    timeout: float | None = None,
    max_tokens: int | None = None,
    memory_redis_url: str = "",
) -> LocalRun:
    """Load, check and resolve everything; raises :class:`SetupError` (or ``InputError``).

    ``memory_redis_url`` (``--memory-redis-url``) is the Redis of every redis ArkMemory."""
    loaded = load_texts(list(texts))
    _refuse_errors(loaded)
    catalog = _Catalog(loaded)
    warnings: list[str] = []
    team_obj, run_input = _choose_team(catalog, team_name, warnings)
    team = _local_team(catalog, team_obj.name, team_obj.spec, team_obj.namespace, warnings, stack=())
    plan = team.plan
    if timeout is not None:
        plan = replace(plan, timeout_seconds=timeout)
    if max_tokens is not None:
        plan = replace(plan, max_tokens=max_tokens)
    team.plan = plan
    _resolve_memory(catalog, team, team_obj.namespace, memory_redis_url, warnings)
    merged = {**run_input, **given_inputs}
    resolved = resolve_inputs(team.spec, merged)
    warnings.extend(resolved.warnings)
    return LocalRun(
        team=team,
        inputs=resolved.values,
        warnings=warnings,
        skipped=catalog.skipped(),
        files=len(texts),
        secrets=catalog.data,
    )


def _refuse_errors(loaded: InputSet) -> None:
    lines = []
    for line in findings(loaded, severities=("error",)):
        if line.kind and line.kind not in TAKING_PART and line.kind != "?":
            continue  # a broken document of a kind ark run skips does not stop the run
        lines.append(line.text())
    if lines:
        raise SetupError(lines)


@dataclass(frozen=True)
class _TeamSource:
    name: str
    namespace: str | None
    spec: ArkTeamSpec


class _Catalog:
    """The documents of the input, indexed by kind and name (a lookup costs the same for 10 or
    10,000 objects)."""

    def __init__(self, loaded: InputSet) -> None:
        self.documents = loaded.documents
        self._by_kind: dict[str, list[ArkObject]] = {}
        self._by_name: dict[tuple[str, str], list[ArkObject]] = {}
        for obj in loaded.objects:
            self._by_kind.setdefault(obj.kind, []).append(obj)
            if obj.metadata.name:
                self._by_name.setdefault((obj.kind, obj.metadata.name), []).append(obj)
        self.data: dict[tuple[str, str], dict[str, str]] = {}
        for doc in loaded.documents:
            if doc.foreign is not None and doc.kind in ("ConfigMap", "Secret"):
                self.data[(doc.kind, doc.name)] = _foreign_data(doc)

    def find(self, kind: str, name: str, namespace: str | None) -> Any:
        """The first object of that kind and name in ``namespace`` (an unset namespace on either
        side matches any), else the first of any namespace; None if there is none."""
        matches = self._by_name.get((kind, name), [])
        same = (o for o in matches if namespace is None or o.metadata.namespace in (None, namespace))
        return next(same, matches[0] if matches else None)

    def of_kind(self, kind: str) -> list[Any]:
        return list(self._by_kind.get(kind, ()))

    def skipped(self) -> list[str]:
        out = []
        for doc in self.documents:
            if doc.ours and doc.kind in NOT_USED:
                out.append(f"{doc.kind}/{doc.name} ({NOT_USED[doc.kind]})")
            elif doc.foreign is not None and doc.kind not in ("ConfigMap", "Secret"):
                out.append(f"{doc.kind}/{doc.name} (not an ark kind)")
        return out


def _foreign_data(doc: LoadedDocument) -> dict[str, str]:
    data: Any = doc.source.data
    for part in doc.prefix:
        data = data[part]
    out: dict[str, str] = {}
    if not isinstance(data, dict):
        return out
    if doc.kind == "Secret":
        for key, value in (data.get("data") or {}).items():
            try:
                out[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                continue
        out.update({str(k): str(v) for k, v in (data.get("stringData") or {}).items()})
    else:
        out.update({str(k): str(v) for k, v in (data.get("data") or {}).items()})
    return out


def _choose_team(
    catalog: _Catalog, name: str | None, warnings: list[str]
) -> tuple[_TeamSource, dict[str, str]]:
    teams: list[ArkTeam] = catalog.of_kind("ArkTeam")
    runs: list[ArkRun] = [r for r in catalog.of_kind("ArkRun") if r.spec.team_spec is not None]
    sources = [_TeamSource(t.metadata.name or "team", t.metadata.namespace, t.spec) for t in teams]
    inputs: dict[str, dict[str, str]] = {}
    if not sources:
        # An ArkRun carries a snapshot of its team and its resolved input: run that.
        for run in runs:
            assert run.spec.team_spec is not None
            sources.append(_TeamSource(run.spec.team_ref.name, run.metadata.namespace, run.spec.team_spec))
            inputs[run.spec.team_ref.name] = dict(run.spec.input or {})
    if not sources:
        raise SetupError(["no ArkTeam in the given files (nor an ArkRun with a teamSpec)"])
    if name is not None:
        chosen = [s for s in sources if s.name == name]
        if not chosen:
            listed = ", ".join(s.name for s in sources)
            raise SetupError([f'no team named "{name}" in the given files (teams: {listed})'])
        return chosen[0], inputs.get(name, {})
    if len(sources) > 1:
        others = ", ".join(s.name for s in sources[1:])
        warnings.append(
            f'several teams given; running "{sources[0].name}" (others: {others}); pick one with --team'
        )
    return sources[0], inputs.get(sources[0].name, {})


def _local_team(
    catalog: _Catalog,
    name: str,
    spec: ArkTeamSpec,
    namespace: str | None,
    warnings: list[str],
    stack: tuple[str, ...],
) -> LocalTeam:
    if name in stack:
        raise SetupError([f"teams contain each other: {' -> '.join((*stack, name))}"])
    agents: dict[str, AgentSetup] = {}
    teams: dict[str, LocalTeam] = {}
    known: dict[str, AgentLimits] = {}
    for role in spec.roles or ():
        if role.ark_team is not None:
            nested = catalog.find("ArkTeam", role.ark_team, namespace)
            if nested is None:
                raise SetupError(
                    [f'role "{role.name}" runs team "{role.ark_team}", which is not among the given files']
                )
            teams[role.ark_team] = _local_team(
                catalog, role.ark_team, nested.spec, nested.metadata.namespace, warnings, (*stack, name)
            )
            continue
        if role.ark_agent is not None:
            agent = catalog.find("ArkAgent", role.ark_agent, namespace)
            if agent is None:
                raise SetupError(
                    [
                        f'role "{role.name}" is played by ArkAgent "{role.ark_agent}", which is not among '
                        "the given files; add its YAML"
                    ]
                )
            setup = _agent_setup(
                catalog, role.ark_agent, agent.spec, agent.spec.model, f"ArkAgent/{role.ark_agent}"
            )
            setup.can_delegate = tuple(role.can_delegate or ())
            agents[setup.key] = setup
            known[setup.key] = setup.limits
            continue
        key = inline_agent_name(name, role.name)
        assert role.model is not None
        setup = _agent_setup(catalog, key, role, role.model, f"ArkTeam/{name} role {role.name}")
        setup.can_delegate = tuple(role.can_delegate or ())
        agents[key] = setup
    capabilities: list[Capability] = []
    registry_depth: int | None = None
    if spec.routing is not None:
        registry = catalog.find("ArkRegistry", spec.routing.registry_ref.name, namespace)
        if registry is None:
            warnings.append(
                f'ArkRegistry "{spec.routing.registry_ref.name}" is not among the given files; routing over '
                "the capabilities of every ArkAgent given, with the default policy"
            )
        elif registry.spec.policy is not None:
            registry_depth = registry.spec.policy.max_depth
        capabilities = _index(catalog, registry, namespace, name, agents, known)
        fallback = spec.routing.fallback
        if fallback is not None and fallback not in agents:
            fallback_agent = catalog.find("ArkAgent", fallback, namespace)
            if fallback_agent is not None:
                setup = _agent_setup(
                    catalog, fallback, fallback_agent.spec, fallback_agent.spec.model, f"ArkAgent/{fallback}"
                )
                agents[fallback] = setup
                known[fallback] = setup.limits
            else:
                warnings.append(
                    f'routing.fallback ArkAgent "{fallback}" is not among the given files; '
                    "the run fails if the router picks no capability"
                )
        router = AgentSetup(
            key=f"{name}-router",
            model=spec.routing.model,
            system_prompt=ROUTER_SYSTEM_PROMPT,
            source=f"ArkTeam/{name} router",
        )
        agents[router.key] = router
    try:
        plan = build_plan(
            name, spec, agents=known, capabilities=capabilities, registry_max_depth=registry_depth
        )
    except PlanError as exc:
        raise SetupError([f"ArkTeam/{name}: {exc}"]) from None
    return LocalTeam(name, spec, plan, agents, teams)


def _index(
    catalog: _Catalog,
    registry: ArkRegistry | None,
    namespace: str | None,
    team: str,
    agents: dict[str, AgentSetup],
    known: dict[str, AgentLimits],
) -> list[Capability]:
    """The registry's capability index over the ArkAgents given (namespace-scoped); with
    ``policy.allowCrossTeam`` also the inline roles of other teams, as the agents the operator
    generates for them."""
    scope_ns = registry.metadata.namespace if registry is not None else namespace
    cross_team = bool(registry is not None and registry.spec.policy and registry.spec.policy.allow_cross_team)
    found: list[tuple[str, AgentFields, str, str]] = []
    for agent in catalog.of_kind("ArkAgent"):
        ns = agent.metadata.namespace
        if scope_ns is not None and ns is not None and ns != scope_ns:
            continue
        if agent.spec.capabilities and agent.metadata.name:
            found.append(
                (agent.metadata.name, agent.spec, agent.spec.model, f"ArkAgent/{agent.metadata.name}")
            )
    if cross_team:
        for other in catalog.of_kind("ArkTeam"):
            for role in other.spec.roles or ():
                if (
                    role.is_inline
                    and role.capabilities
                    and other.metadata.name
                    and other.metadata.name != team
                ):
                    key = inline_agent_name(other.metadata.name, role.name)
                    found.append(
                        (key, role, role.model or "", f"ArkTeam/{other.metadata.name} role {role.name}")
                    )
    capabilities: list[Capability] = []
    for key, fields_, model, source in sorted(found, key=lambda item: item[0]):
        setup = _agent_setup(catalog, key, fields_, model, source)
        agents[key] = setup
        known[key] = setup.limits
        for cap in fields_.capabilities or ():
            capabilities.append(Capability(key, cap.id, cap.description or "", tuple(cap.tags or ())))
    return capabilities


def _agent_setup(catalog: _Catalog, key: str, fields_: AgentFields, model: str, source: str) -> AgentSetup:
    prompt = _prompt(catalog, fields_, source)
    temperature: float | None = None
    if fields_.config_ref is not None:
        settings = catalog.find("ArkSettings", fields_.config_ref.name, None)
        if settings is not None:
            prompt = _with_fragments(prompt, settings.spec.prompt_fragments or {})
            if settings.spec.temperature is not None:
                temperature = float(settings.spec.temperature)
    limits = fields_.limits
    return AgentSetup(
        key=key,
        model=model,
        system_prompt=prompt,
        source=source,
        limits=AgentLimits(float(limits.timeout_seconds), limits.max_tokens_per_call)
        if limits is not None
        else AgentLimits(),
        temperature=temperature,
        tools=tuple(fields_.tools or ()),
        mcp_servers=tuple(fields_.mcp_servers or ()),
        memory_ref=fields_.memory_ref.name if fields_.memory_ref is not None else None,
    )


def _prompt(catalog: _Catalog, fields_: AgentFields, source: str) -> str:
    ref = fields_.system_prompt_ref
    if ref is None:
        return fields_.system_prompt or ""
    selector = ref.config_map_key_ref or ref.secret_key_ref
    assert selector is not None
    kind = "ConfigMap" if ref.config_map_key_ref is not None else "Secret"
    data = catalog.data.get((kind, selector.name))
    if data is None or selector.key not in data:
        where = "is not among the given files" if data is None else f'has no key "{selector.key}"'
        raise SetupError(
            [
                f"{source}: systemPromptRef needs {kind} {selector.name} (key {selector.key}), "
                f"which {where}; "
                "ark run cannot read the cluster: add the document, or use systemPrompt"
            ]
        )
    return data[selector.key]


def _resolve_memory(
    catalog: _Catalog, team: LocalTeam, namespace: str | None, redis_url: str, warnings: list[str]
) -> None:
    agents = dict(team.agents)
    stack = list(team.teams.values())
    while stack:
        nested = stack.pop()
        agents.update(nested.agents)
        stack.extend(nested.teams.values())
    for setup in agents.values():
        if setup.memory_ref is None:
            continue
        memory = catalog.find("ArkMemory", setup.memory_ref, namespace)
        if memory is None:
            warnings.append(
                f'{setup.source}: memoryRef "{setup.memory_ref}" is not among the given files; '
                "the agent runs without memory"
            )
            continue
        setup.memory = memory_setup(memory, catalog.data, memory.metadata.namespace or namespace, redis_url)
        if setup.memory.in_process:
            warnings.append(
                f"{setup.memory.source}: no Redis URL (its Secret is not among the given files and "
                f"--memory-redis-url is not given); {setup.key} remembers in this process, for this run only"
            )


def _with_fragments(prompt: str, fragments: Mapping[str, str]) -> str:
    """Reference §7: ``persona`` first, the prompt, other fragments by key, ``outputRules`` last."""
    parts = [fragments["persona"]] if "persona" in fragments else []
    parts.append(prompt)
    parts.extend(fragments[key] for key in sorted(fragments) if key not in ("persona", "outputRules"))
    if "outputRules" in fragments:
        parts.append(fragments["outputRules"])
    return "\n\n".join(part.strip() for part in parts if part.strip())
