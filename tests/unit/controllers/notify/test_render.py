"""Notification text: the recipe form's objects and the docs form's names in one context."""

from __future__ import annotations

import pytest

from ark.api.notify import NotifyChannel, NotifyEventRule
from ark.controllers.notify.events import agent_occurrences, run_occurrence
from ark.controllers.notify.render import check_templates, context, render, template_fields
from ark.flow.template import TemplateError
from tests.unit.controllers.notify.support import agent, run, team

BUDGET = {
    "type": "BudgetExceeded",
    "status": "True",
    "reason": "DailyLimitReached",
    "message": "m",
    "lastTransitionTime": "2026-12-03T11:00:00Z",
}


def run_context() -> dict[str, object]:
    occurrence = run_occurrence(
        run(
            phase="Failed",
            reason="StepFailed",
            failedStep="write",
            message="model down",
            durationSeconds=12.5,
            totalTokenUsage={"totalTokens": 1234},
        ),
        team(timeoutSeconds=60),
    )
    assert occurrence is not None
    return context(occurrence, dashboard_url="https://ark.example/runs/blog-x4kpz")


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("{{ .team.name }}", "blog"),
        ("{{ .team.spec.timeoutSeconds }}", "60"),
        ("{{ .run.name }}", "blog-x4kpz"),
        ("{{ .run.dashboardUrl }}", "https://ark.example/runs/blog-x4kpz"),
        ("{{ .run.spec.input.topic }}", "owls"),
        ("{{ .run.status.message }}", "model down"),
        ("{{ .run.status.failedStep }}", "write"),
        ("{{ .run.status.durationSeconds }}", "12.5"),
        ('{{ printf "%d" (.run.status.totalTokenUsage.totalTokens | int) }}', "1234"),
        ("{{ .agent.name }}", ""),
        ("{{ .Event }}", "TeamFailed"),
        ("{{ .TeamName }}/{{ .RunName }}", "blog/blog-x4kpz"),
        ("{{ .Message }}", "ArkRun blog-x4kpz of ArkTeam blog Failed: model down"),
        ("{{ .run.status.nothing }}", ""),
    ],
)
def test_run_templates_see_both_forms_contexts(source: str, text: str) -> None:
    assert render(source, run_context()) == text


def test_agent_templates_see_the_agent() -> None:
    found = agent(conditions=[BUDGET])
    found["spec"]["limits"] = {"maxDailyTokens": 100}
    found["status"].update(dailyTokensUsed=120, budgetResetsInMinutes=30)
    [occurrence] = agent_occurrences(found)
    data = context(occurrence)
    source = (
        "{{ .agent.name }} {{ .agent.status.dailyTokensUsed }}/{{ .agent.spec.limits.maxDailyTokens }}"
        " resets in {{ .agent.status.budgetResetsInMinutes }} min; {{ .AgentName }} {{ .TeamName }}."
    )
    assert render(source, data) == "writer 120/100 resets in 30 min; writer ."


def test_without_a_template_the_message_is_sent() -> None:
    assert render(None, run_context()) == "ArkRun blog-x4kpz of ArkTeam blog Failed: model down"


def test_a_template_that_fails_to_render_raises() -> None:
    with pytest.raises(TemplateError):
        render("{{ .run.name.x.y }}", run_context())


def test_every_template_field_is_named_in_the_form_it_was_written() -> None:
    events = [
        NotifyEventRule(type="TeamFailed", template="{{ .run.name }"),
        NotifyEventRule(type="TeamSucceeded"),
    ]
    hook = NotifyChannel.model_validate(
        {"type": "webhook", "webhook": {"urlFrom": {"name": "s", "key": "k"}, "template": "{{ .Event }}"}}
    )
    assert template_fields("recipe", events, [hook]) == [
        ("spec.events[0].template", "{{ .run.name }"),
        ("spec.channel.webhook.template", "{{ .Event }}"),
    ]
    assert template_fields("docs", [], [hook, hook])[1][0] == "spec.channels[1].webhook.template"
    problem = check_templates(template_fields("recipe", events, [hook]))
    assert problem is not None
    assert str(problem).startswith("spec.events[0].template: template: 1:")
    assert check_templates([("x", "{{ .ok }}")]) is None
