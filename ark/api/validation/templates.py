"""Template checks: every template parses and references only inputs, steps and fields that exist.

Parsing is the run engine's (``ark.flow.template``), so ``ark validate`` accepts exactly what
the engine will render.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Sequence, Set
from dataclasses import dataclass

from ark.api.issues import PathItem, suggestion
from ark.api.validation.report import Report
from ark.flow.template import TemplateSyntaxError, parse

Chain = tuple[str, ...]
STEP_FIELDS = ("output", "data", "artifacts")
TRIGGER_FIELDS = ("name", "firedAt", "body", "output")
RECIPE_NOTIFY_ROOTS = ("team", "run", "agent")
DOCS_NOTIFY_ROOTS = ("Event", "TeamName", "RunName", "Message")


def references(report: Report, path: Sequence[PathItem], source: str) -> set[Chain] | None:
    """The field chains ``source`` uses, or None (reported) when it does not parse."""
    try:
        return parse(source).references()
    except TemplateSyntaxError as exc:
        report.error(path, f"template does not parse: {exc.message} (line {exc.line}, column {exc.col})")
        return None


@dataclass(frozen=True)
class TeamScope:
    """What a team template (step inputs, if, loop.condition, output) may reference.

    ``inputs`` is None when the team declares no inputs (free-form input). ``ready`` holds the
    steps certainly finished when the template renders (None: all of them, for the output).
    ``known``, when given, is ``steps`` as a set, shared by the scopes of one team so that a
    lookup does not scan the pipeline.
    """

    inputs: Collection[str] | None
    steps: Collection[str]
    ready: Container[str] | None = None
    structured: Collection[str] = ()
    current: str | None = None
    own_output_ok: bool = False
    known: Set[str] | None = None


def check_team_template(report: Report, path: Sequence[PathItem], source: str, scope: TeamScope) -> None:
    """Check one team template against the inputs and steps in scope."""
    chains = references(report, path, source)
    for chain in sorted(chains or ()):
        if not chain:
            continue
        root = chain[0]
        if root == "pipeline" and chain[1:2] == ("input",):
            chain = chain[1:]  # ArkFlow-era `.pipeline.input.x` means `.input.x`
            root = "input"
        if root == "input":
            _check_input(report, path, chain, scope)
        elif root == "steps":
            _check_step(report, path, chain, scope)
        else:
            report.error(
                path,
                f'unknown template variable ".{root}"',
                suggestion(root, ("input", "steps"), otherwise="templates see .input and .steps"),
            )


def _check_input(report: Report, path: Sequence[PathItem], chain: Chain, scope: TeamScope) -> None:
    if len(chain) < 2 or scope.inputs is None or chain[1] in scope.inputs:
        return
    name = chain[1]
    declared = ", ".join(sorted(scope.inputs)) or "none"
    report.error(
        path,
        f'unknown input "{name}" (declared inputs: {declared})',
        suggestion(name, scope.inputs, otherwise="declare it in spec.inputs"),
    )


def _check_step(report: Report, path: Sequence[PathItem], chain: Chain, scope: TeamScope) -> None:
    if len(chain) < 2:
        return
    name = chain[1]
    if name not in (scope.known if scope.known is not None else scope.steps):
        known = ", ".join(sorted(scope.steps)) or "none"
        report.error(
            path,
            f'unknown step "{name}" (steps: {known})',
            suggestion(name, scope.steps, otherwise="a step is named after its role"),
        )
        return
    if len(chain) > 2 and chain[2] not in STEP_FIELDS:
        report.error(
            path,
            f'unknown step field "{chain[2]}" in .steps.{name}.{chain[2]}',
            suggestion(chain[2], STEP_FIELDS, otherwise="use .output, .data or .artifacts"),
        )
        return
    if name == scope.current:
        if not scope.own_output_ok:
            report.warning(path, f'step "{name}" reads its own output, which is empty before it runs')
        return
    if scope.ready is not None and name not in scope.ready:
        report.warning(
            path,
            f'step "{name}" is not a dependency of this step, so its output may not exist yet',
            f"add {name} to dependsOn",
        )
    if len(chain) > 2 and chain[2] == "data" and name not in scope.structured:
        report.warning(
            path,
            f'.steps.{name}.data is only set when step "{name}" has outputSchema or validate.schema',
            f"add outputSchema to step {name}, or use .steps.{name}.output",
        )


def check_trigger_template(report: Report, path: Sequence[PathItem], source: str, source_type: str) -> None:
    """Check an ArkEvent target input value (a template over ``.trigger``).

    A value that does not parse is an error: the operator refuses such an event (D180), though
    the original used the value literally.
    """
    probe = Report()
    chains = references(probe, path, source)
    if chains is None:
        for issue in probe.issues:
            report.error(issue.path, f"{issue.message}; the event cannot fire with it", "fix the template")
        return
    for chain in sorted(chains):
        if not chain:
            continue
        if chain[0] != "trigger":
            report.error(
                path,
                f'unknown template variable ".{chain[0]}"',
                suggestion(chain[0], ("trigger",), otherwise="event inputs see .trigger"),
            )
            continue
        if len(chain) < 2:
            continue
        field = chain[1]
        if field not in TRIGGER_FIELDS:
            report.error(
                path,
                f'unknown trigger field ".trigger.{field}"',
                suggestion(field, TRIGGER_FIELDS, otherwise=f"use one of {', '.join(TRIGGER_FIELDS)}"),
            )
        elif field == "body" and source_type != "webhook":
            report.warning(path, ".trigger.body is only set for webhook sources")
        elif field == "output" and source_type != "team-output":
            report.warning(path, ".trigger.output is only set for team-output sources")


def check_notify_template(
    report: Report, path: Sequence[PathItem], source: str, roots: Collection[str]
) -> None:
    """Check a notification template against the variables its form provides."""
    for chain in sorted(references(report, path, source) or ()):
        if chain and chain[0] not in roots:
            report.error(
                path,
                f'unknown template variable ".{chain[0]}"',
                suggestion(chain[0], roots, otherwise=f"use one of {', '.join('.' + r for r in roots)}"),
            )
