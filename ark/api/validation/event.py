"""Checks of ArkEvent: source settings, cron syntax, targets and their input templates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ark.api.validation.cron import check_cron
from ark.api.validation.names import check_reference
from ark.api.validation.report import Report
from ark.api.validation.templates import check_trigger_template

if TYPE_CHECKING:
    from ark.api.event import ArkEvent, ArkEventSpec


def check_event(report: Report, event: ArkEvent) -> None:
    """Semantic checks of an ArkEvent."""
    check_event_spec(report, event.spec)


def check_event_spec(report: Report, spec: ArkEventSpec) -> None:
    """Semantic checks of an ArkEvent's spec on its own (the operator makes them too)."""
    source = spec.source
    base = ("spec", "source")
    if source.type == "cron":
        if source.cron is None:
            report.error((*base, "cron"), "a cron source needs cron", 'add cron: "0 * * * *"')
        else:
            check_cron(report, (*base, "cron"), source.cron)
    elif source.cron is not None:
        report.warning((*base, "cron"), f"cron is ignored for a {source.type} source", "remove it")
    if source.type == "team-output":
        if source.team_output is None:
            report.error(
                (*base, "teamOutput"), "a team-output source needs teamOutput", "add teamOutput.name"
            )
        else:
            check_reference(report, (*base, "teamOutput", "name"), source.team_output.name, "ArkTeam")
    elif source.team_output is not None:
        report.warning(
            (*base, "teamOutput"), f"teamOutput is ignored for a {source.type} source", "remove it"
        )
    seen: dict[str, int] = {}
    for index, target in enumerate(spec.targets):
        path = ("spec", "targets", index)
        check_reference(report, (*path, "team"), target.team, "ArkTeam")
        if target.team in seen:
            report.warning(
                (*path, "team"),
                f'team "{target.team}" is already targets[{seen[target.team]}]; it will run twice per fire',
                "remove the duplicate",
            )
        seen.setdefault(target.team, index)
        if (
            source.team_output is not None
            and source.type == "team-output"
            and source.team_output.name == target.team
        ):
            report.error(
                (*path, "team"),
                f'this event re-runs the team it watches: a cycle, each run of "{target.team}" '
                "would start another for ever",
                "target another team",
            )
        for key, value in (target.input or {}).items():
            check_trigger_template(report, (*path, "input", key), value, source.type)
