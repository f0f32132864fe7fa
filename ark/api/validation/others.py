"""Checks of the smaller kinds: ArkRun, ArkService, ArkSettings, ArkMemory, ArkRegistry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ark.api.issues import Path
from ark.api.validation.names import check_reference
from ark.api.validation.report import Report
from ark.api.validation.urls import check_http_url

if TYPE_CHECKING:
    from ark.api.memory import ArkMemory
    from ark.api.registry import ArkRegistry
    from ark.api.run import ArkRun
    from ark.api.service import ArkService
    from ark.api.settings import ArkSettings
    from ark.api.team import ArkTeamSpec


def check_run(report: Report, run: ArkRun) -> None:
    """Semantic checks of an ArkRun: its reference, snapshot and resolved input."""
    from ark.api.validation.team import check_team_spec

    spec = run.spec
    check_reference(report, ("spec", "teamRef", "name"), spec.team_ref.name, "ArkTeam")
    if spec.team_spec is not None:
        check_team_spec(report, ("spec", "teamSpec"), spec.team_spec, spec.team_ref.name)
        check_run_input(report, ("spec", "input"), spec.input or {}, spec.team_spec, spec.team_ref.name)


def check_run_input(
    report: Report, path: Path, given: dict[str, str], team: ArkTeamSpec, team_name: str
) -> None:
    """Input handed to a team: required inputs present; undeclared keys are worth a warning."""
    declared = {item.name: item for item in team.inputs or ()}
    for name, item in declared.items():
        if item.required and item.default is None and name not in given and name not in (team.input or {}):
            report.error(path, f'team "{team_name}" requires input "{name}"', f"add {name} to the input")
    if declared:
        for key in given:
            if key not in declared and key not in (team.input or {}):
                report.warning(
                    (*path, key),
                    f'team "{team_name}" does not declare input "{key}"; it is passed through',
                    f"declared inputs: {', '.join(sorted(declared))}",
                )


def check_service(report: Report, service: ArkService) -> None:
    """Semantic checks of an ArkService."""
    check_reference(report, ("spec", "selector", "arkAgent"), service.spec.selector.ark_agent, "ArkAgent")
    first: dict[int, int] = {}
    for index, port in enumerate(service.spec.ports or ()):
        if port.port in first:
            report.error(
                ("spec", "ports", index, "port"),
                f"duplicate port {port.port} (also ports[{first[port.port]}])",
            )
        first.setdefault(port.port, index)


def check_settings(report: Report, settings: ArkSettings) -> None:
    """Semantic checks of an ArkSettings."""
    from ark.api.settings import KNOWN_OUTPUT_FORMATS

    spec = settings.spec
    if spec.output_format is not None and spec.output_format not in KNOWN_OUTPUT_FORMATS:
        report.warning(
            ("spec", "outputFormat"),
            f'"{spec.output_format}" is not a documented output format; it is passed to the agent as is',
            f"documented: {', '.join(KNOWN_OUTPUT_FORMATS)}",
        )
    if spec.security is not None:
        report.warning(("spec", "security"), "security is accepted for compatibility but has no effect yet")


def check_memory(report: Report, memory: ArkMemory) -> None:
    """Semantic checks of an ArkMemory."""
    spec = memory.spec
    blocks = {"redis": spec.redis, "vector-store": spec.vector_store}
    wires = {"redis": "redis", "vector-store": "vectorStore"}
    for backend, block in blocks.items():
        if spec.backend == backend and block is None:
            report.error(
                ("spec", wires[backend]),
                f"the {backend} backend needs {wires[backend]}",
                f"add {wires[backend]}",
            )
        if spec.backend != backend and block is not None:
            report.warning(
                ("spec", wires[backend]),
                f"{wires[backend]} is ignored with backend {spec.backend}",
                "remove it",
            )
    if spec.redis is not None:
        check_reference(report, ("spec", "redis", "secretRef", "name"), spec.redis.secret_ref.name, "Secret")
    if spec.vector_store is not None:
        check_http_url(report, ("spec", "vectorStore", "endpoint"), spec.vector_store.endpoint)
        if spec.vector_store.secret_ref is not None:
            check_reference(
                report,
                ("spec", "vectorStore", "secretRef", "name"),
                spec.vector_store.secret_ref.name,
                "Secret",
            )


def check_registry(report: Report, registry: ArkRegistry) -> None:
    """Semantic checks of an ArkRegistry."""
    from ark.api.registry import KNOWN_SCOPES

    if registry.spec.scope not in KNOWN_SCOPES:
        report.warning(
            ("spec", "scope"),
            f'scope "{registry.spec.scope}" is not known; the registry indexes its own namespace',
            f"use {', '.join(KNOWN_SCOPES)}",
        )
