"""The run plan: a team spec compiled into what the engine needs, checked before anything runs.

A plan is never persisted: it is rebuilt from the team spec (the ArkRun's snapshot) on every
start or resume, so it must be a pure function of its inputs. :func:`build_plan` refuses
what cannot run (unknown or cyclic dependencies, unknown roles, a missing entry) with a
:class:`PlanError` naming the problem, before any task is submitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ark.api.team import ArkTeamSpec, PipelineStep, TeamMode, TeamRole

DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_MAX_TOKENS_PER_CALL = 8000
DEFAULT_MAX_DEPTH = 5
DEFAULT_MAX_ITERATIONS = 10
ROUTE_STEP = "route"


class PlanError(ValueError):
    """The team cannot run as specified; the message names the step, role or cycle."""


@dataclass(frozen=True)
class AgentLimits:
    """The limits of the agent behind a role (``spec.limits``)."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_tokens_per_call: int = DEFAULT_MAX_TOKENS_PER_CALL


@dataclass(frozen=True)
class RolePlan:
    """A role and the agent (or team) that plays it."""

    name: str
    agent: str
    """Queue key of the agent: ``<team>-<role>`` for inline roles, the ArkAgent otherwise."""
    limits: AgentLimits = field(default_factory=AgentLimits)
    can_delegate: tuple[str, ...] = ()
    team: str | None = None
    """Set for an ``arkTeam`` role: the whole team runs as the step."""


@dataclass(frozen=True)
class ValidatePlan:
    """A step's ``validate`` block."""

    contains: str | None = None
    schema: str | None = None
    semantic: str | None = None
    on_failure: str = "fail"
    max_retries: int = 1


@dataclass(frozen=True)
class StepPlan:
    """One pipeline step; ``inputs`` are ``(key, template)`` pairs sorted by key."""

    name: str
    role: str
    depends_on: tuple[str, ...] = ()
    inputs: tuple[tuple[str, str], ...] = ()
    output_schema: str | None = None
    condition: str | None = None
    loop_condition: str | None = None
    max_iterations: int = 1
    validate: ValidatePlan | None = None
    level: int = 0

    @property
    def response_schema(self) -> str | None:
        """The schema the answer must be JSON for: outputSchema, else validate.schema."""
        if self.output_schema is not None:
            return self.output_schema
        return self.validate.schema if self.validate is not None else None


@dataclass(frozen=True)
class Capability:
    """One entry of the registry index a router chooses from."""

    agent: str
    id: str
    description: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingPlan:
    """Routed mode: who routes, what to choose from, where to fall back."""

    router_agent: str
    model: str
    capabilities: tuple[Capability, ...] = ()
    fallback: str | None = None
    registry: str = ""


@dataclass(frozen=True)
class RunPlan:
    """Everything the engine needs to know about the team; rebuilt from the spec on resume."""

    team: str
    mode: TeamMode
    roles: Mapping[str, RolePlan] = field(default_factory=dict)
    steps: tuple[StepPlan, ...] = ()
    entry: str | None = None
    routing: RoutingPlan | None = None
    agents: Mapping[str, AgentLimits] = field(default_factory=dict)
    """Agents a routed run may dispatch to (the index's and the fallback, when known)."""
    output: str | None = None
    timeout_seconds: float | None = None
    max_tokens: int | None = None
    max_depth: int = DEFAULT_MAX_DEPTH
    step_index: Mapping[str, StepPlan] = field(default_factory=dict)
    dependents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def step(self, name: str) -> StepPlan | None:
        """The pipeline step called ``name``."""
        return self.step_index.get(name)

    def levels(self) -> list[list[str]]:
        """Pipeline steps grouped by level (longest dependency chain from a source)."""
        grouped: dict[int, list[str]] = {}
        for step in self.steps:
            grouped.setdefault(step.level, []).append(step.name)
        return [grouped[level] for level in sorted(grouped)]

    def sinks(self) -> list[str]:
        """Pipeline steps no other step depends on, in pipeline order."""
        return [step.name for step in self.steps if not self.dependents.get(step.name)]


def inline_agent_name(team: str, role: str) -> str:
    """The ArkAgent the operator generates for an inline role."""
    return f"{team}-{role}"


def router_agent_name(team: str) -> str:
    """Queue key of a routed team's router call."""
    return f"{team}-router"


def build_plan(
    team: str,
    spec: ArkTeamSpec,
    *,
    agents: Mapping[str, AgentLimits] | None = None,
    capabilities: Sequence[Capability] = (),
    registry_max_depth: int | None = None,
    teams: Mapping[str, AgentLimits] | None = None,
) -> RunPlan:
    """Compile ``spec`` (team ``team``) into a :class:`RunPlan`; raises :class:`PlanError`.

    ``agents`` are the ArkAgents known by name (their limits; missing ones get the defaults);
    ``teams`` the limits of the teams ``arkTeam`` roles run (a step's deadline is theirs);
    ``capabilities`` is the registry index for routed teams; ``registry_max_depth`` is
    ArkRegistry ``policy.maxDepth`` when one applies (decision §18 #12), else 5.
    """
    known = dict(agents or {})
    mode = spec.mode
    roles: dict[str, RolePlan] = {}
    for role_spec in spec.roles or ():
        if role_spec.name in roles:
            raise PlanError(f'role "{role_spec.name}" is defined twice')
        roles[role_spec.name] = _role_plan(team, role_spec, known, teams or {})
    for role in roles.values():
        for target in role.can_delegate:
            if target not in roles:
                raise PlanError(f'role "{role.name}" may delegate to unknown role "{target}"')
    steps: tuple[StepPlan, ...] = ()
    index: dict[str, StepPlan] = {}
    dependents: dict[str, tuple[str, ...]] = {}
    routing: RoutingPlan | None = None
    dispatch: dict[str, AgentLimits] = {}
    if mode in ("Pipeline", "Mixed"):
        steps, dependents = _pipeline(spec.pipeline or [], roles)
        index = {step.name: step for step in steps}
    elif mode == "Dynamic":
        if spec.entry is None or spec.entry not in roles:
            raise PlanError(f'entry "{spec.entry}" is not a role of the team')
    else:
        assert spec.routing is not None
        routing = RoutingPlan(
            router_agent=router_agent_name(team),
            model=spec.routing.model,
            capabilities=tuple(capabilities),
            fallback=spec.routing.fallback,
            registry=spec.routing.registry_ref.name,
        )
        for capability in capabilities:
            dispatch[capability.agent] = known.get(capability.agent, AgentLimits())
        if spec.routing.fallback is not None and spec.routing.fallback in known:
            dispatch[spec.routing.fallback] = known[spec.routing.fallback]
    return RunPlan(
        team=team,
        mode=mode,
        roles=roles,
        steps=steps,
        entry=spec.entry,
        routing=routing,
        agents=dispatch,
        output=spec.output,
        timeout_seconds=float(spec.timeout_seconds) if spec.timeout_seconds else None,
        max_tokens=spec.max_tokens,
        max_depth=registry_max_depth or DEFAULT_MAX_DEPTH,
        step_index=index,
        dependents=dependents,
    )


def _role_plan(
    team: str, role: TeamRole, known: Mapping[str, AgentLimits], teams: Mapping[str, AgentLimits]
) -> RolePlan:
    if role.ark_team is not None:
        return RolePlan(role.name, role.ark_team, teams.get(role.ark_team, AgentLimits()), team=role.ark_team)
    if role.ark_agent is not None:
        return RolePlan(
            role.name,
            role.ark_agent,
            known.get(role.ark_agent, AgentLimits()),
            tuple(role.can_delegate or ()),
        )
    limits = (
        AgentLimits(float(role.limits.timeout_seconds), role.limits.max_tokens_per_call)
        if role.limits is not None
        else AgentLimits()
    )
    return RolePlan(role.name, inline_agent_name(team, role.name), limits, tuple(role.can_delegate or ()))


def _pipeline(
    specs: Sequence[PipelineStep], roles: Mapping[str, RolePlan]
) -> tuple[tuple[StepPlan, ...], dict[str, tuple[str, ...]]]:
    if not specs:
        raise PlanError("the pipeline has no steps")
    names = [step.role for step in specs]
    seen: set[str] = set()
    for step in specs:
        if step.role in seen:
            raise PlanError(f'role "{step.role}" has two steps; a step is named after its role')
        seen.add(step.role)
        if step.role not in roles:
            raise PlanError(f'step "{step.role}" names unknown role "{step.role}"')
        for dep in step.depends_on or ():
            if dep not in seen and dep not in names:
                raise PlanError(f'step "{step.role}" depends on unknown step "{dep}"')
    graph = {step.role: tuple(dict.fromkeys(step.depends_on or ())) for step in specs}
    levels = _levels(graph)
    dependents: dict[str, list[str]] = {name: [] for name in names}
    for name, deps in graph.items():
        for dep in deps:
            dependents[dep].append(name)
    plans = tuple(_step_plan(step, graph[step.role], levels[step.role]) for step in specs)
    return plans, {name: tuple(items) for name, items in dependents.items()}


def _step_plan(step: PipelineStep, deps: tuple[str, ...], level: int) -> StepPlan:
    check = step.validation
    return StepPlan(
        name=step.role,
        role=step.role,
        depends_on=deps,
        inputs=tuple(sorted((step.inputs or {}).items())),
        output_schema=step.output_schema,
        condition=step.if_,
        loop_condition=step.loop.condition if step.loop is not None else None,
        max_iterations=step.loop.max_iterations if step.loop is not None else 1,
        validate=(
            ValidatePlan(
                check.contains, check.json_schema, check.semantic, check.on_failure, check.max_retries
            )
            if check is not None
            else None
        ),
        level=level,
    )


def _levels(graph: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Longest-path level of every node (Kahn's algorithm); a cycle raises :class:`PlanError`."""
    deps = {name: list(items) for name, items in graph.items()}
    remaining = {name: len(items) for name, items in deps.items()}
    children: dict[str, list[str]] = {name: [] for name in deps}
    for name, items in deps.items():
        for dep in items:
            children[dep].append(name)
    level = dict.fromkeys(deps, 0)
    queue = [name for name, count in remaining.items() if count == 0]
    done = 0
    while queue:
        name = queue.pop()
        done += 1
        for child in children[name]:
            level[child] = max(level[child], level[name] + 1)
            remaining[child] -= 1
            if remaining[child] == 0:
                queue.append(child)
    if done != len(deps):
        raise PlanError(f"dependency cycle: {' -> '.join(_cycle(deps, remaining))}")
    return level


def _cycle(deps: Mapping[str, list[str]], remaining: Mapping[str, int]) -> list[str]:
    # Every node left with unmet dependencies lies on or behind a cycle: walk dependencies
    # among them until a node repeats.
    left = [name for name in deps if remaining[name] > 0]
    path: list[str] = []
    node = left[0]
    while node not in path:
        path.append(node)
        node = next(dep for dep in deps[node] if remaining[dep] > 0)
    cycle = [*path[path.index(node) :], node]
    cycle.reverse()  # dependencies point backwards; show the order in which steps would run
    return cycle
