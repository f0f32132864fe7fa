"""Notification text from templates (pure; reference §4.1, D136).

Every template sees both contexts: the recipe form's ``.team``, ``.run``, ``.agent`` (the
objects themselves: ``.name``, ``.spec...``, ``.status...``, plus ``.run.dashboardUrl``) and the
docs form's ``.Event``, ``.TeamName``, ``.RunName``, ``.Message``. A rule without a template
sends the default message (``.Message``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ark.api.notify import NotifyChannel, NotifyEventRule
from ark.controllers.notify.events import Occurrence
from ark.flow.template import TemplateError, parse

Obj = dict[str, Any]


def _view(obj: Obj | None, **extra: object) -> Obj:
    if obj is None:
        return {}
    view: Obj = {
        "name": obj["metadata"]["name"],
        "namespace": obj["metadata"].get("namespace", ""),
        "metadata": obj["metadata"],
        "spec": obj.get("spec") or {},
        "status": obj.get("status") or {},
    }
    view.update(extra)
    return view


def context(occurrence: Occurrence, dashboard_url: str = "") -> Obj:
    """The data a notification template renders over."""
    team = occurrence.team
    run = occurrence.run
    agent = occurrence.agent
    return {
        "team": _view(team),
        "run": _view(run, dashboardUrl=dashboard_url),
        "agent": _view(agent),
        "Event": occurrence.type,
        "TeamName": team["metadata"]["name"] if team is not None else "",
        "RunName": run["metadata"]["name"] if run is not None else "",
        "AgentName": agent["metadata"]["name"] if agent is not None else "",
        "Message": occurrence.message,
    }


@dataclass(frozen=True)
class TemplateProblem:
    """A template that does not parse: the field and the parser's message."""

    field: str
    error: str

    def __str__(self) -> str:
        return f"{self.field}: {self.error}"


def template_fields(
    form: str, events: Iterable[NotifyEventRule], channels: Iterable[NotifyChannel]
) -> list[tuple[str, str]]:
    """(field path, template) of every template a policy holds, in the form it was written."""
    found = [
        (f"spec.events[{i}].template", rule.template)
        for i, rule in enumerate(events)
        if rule.template is not None
    ]
    prefix = "spec.channel" if form == "recipe" else "spec.channels[{}]"
    for i, channel in enumerate(channels):
        if channel.webhook is not None and channel.webhook.template is not None:
            found.append((f"{prefix.format(i)}.webhook.template", channel.webhook.template))
    return found


def check_templates(fields: Iterable[tuple[str, str]]) -> TemplateProblem | None:
    """The first template that does not parse, None when all do."""
    for field, source in fields:
        try:
            parse(source)
        except TemplateError as exc:
            return TemplateProblem(field, str(exc))
    return None


def render(source: str | None, data: Obj) -> str:
    """``source`` rendered over ``data``; ``.Message`` when there is no template.

    Raises ``TemplateError`` when rendering fails (the caller falls back to ``.Message``).
    """
    if source is None:
        return str(data["Message"])
    return parse(source).render(data)
