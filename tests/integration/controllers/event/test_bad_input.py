"""Bad ArkEvents, every source type and field: what the API server refuses at create time names
the field in its error; what it lets through the operator marks ``Ready=False`` naming the field."""

from __future__ import annotations

import pytest
import yaml

from ark.controllers.event.controller import ARK_EVENTS
from ark.kube.client import Invalid, KubeClient
from tests.integration.controllers.conftest import Start
from tests.integration.controllers.event.support import event_status, ready_reason
from tests.integration.controllers.run.support import apply_team

pytestmark = [pytest.mark.cluster, pytest.mark.redis]

CRON = "source: {type: cron, cron: '@hourly'}"
WEBHOOK = "source: {type: webhook}"
TEAM_OUTPUT = "source: {type: team-output, teamOutput: {name: up}}"
TARGETS = "targets: [{team: down}]"

# (spec, the field the server's error names, a fragment of its reason)
REFUSED = [
    ("source: {type: sometimes}\n" + TARGETS, "spec.source.type", "Unsupported value"),
    ("source: {type: cron}\n" + TARGETS, "spec.source.cron", "a cron source needs cron"),
    ("source: {type: cron, cron: ''}\n" + TARGETS, "spec.source.cron", "at least 1 chars"),
    (
        "source: {type: team-output}\n" + TARGETS,
        "spec.source.teamOutput",
        "a team-output source needs teamOutput",
    ),
    ("source: {type: team-output, teamOutput: {}}\n" + TARGETS, "spec.source.teamOutput.name", "Required"),
    (
        "source: {type: team-output, teamOutput: {name: up, onPhase: Done}}\n" + TARGETS,
        "spec.source.teamOutput.onPhase",
        "Unsupported value",
    ),
    *[
        case
        for source in (CRON, WEBHOOK, TEAM_OUTPUT)
        for case in (
            (f"{source}\ntargets: []", "spec.targets", "at least 1 items"),
            (
                f"{source}\ntargets: [{{input: {{a: b}}}}]",
                "spec.targets[0].team",
                "exactly one of team or pipeline",
            ),
            (
                f"{source}\ntargets: [{{team: down, input: {{count: 3}}}}]",
                "spec.targets[0].input.count",
                "string",
            ),
            (
                f"{source}\n{TARGETS}\nconcurrencyPolicy: Replace",
                "spec.concurrencyPolicy",
                "Unsupported value",
            ),
            (f"{source}\n{TARGETS}\nsuspended: sometimes", "spec.suspended", "boolean"),
        )
    ],
]


def event(name: str, spec: str) -> dict[str, object]:
    return {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkEvent",
        "metadata": {"name": name},
        "spec": yaml.safe_load(spec),
    }


async def refusal(kube: KubeClient, namespace: str, spec: str) -> str:
    """The API server's error creating an event of ``spec`` (the test fails if it accepts it)."""
    try:
        await kube.create(ARK_EVENTS, event("bad", spec), namespace)
    except Invalid as refused:
        return refused.message
    pytest.fail(f"the API server accepted {spec!r}")


async def test_the_api_server_refuses_structural_mistakes_naming_the_field(
    kube: KubeClient, ark_crds: None, namespace: str
) -> None:
    for spec, field, reason in REFUSED:
        message = await refusal(kube, namespace, spec)
        assert field in message, (spec, message)
        assert reason in message, (spec, message)


# (event name, spec, Ready reason, the start of its message: the field first)
NOT_READY = [
    (
        "cron-range",
        "source: {type: cron, cron: '61 * * * *'}",
        "InvalidCron",
        "spec.source.cron: '61 * * * *'",
    ),
    ("cron-fields", "source: {type: cron, cron: '* * * *'}", "InvalidCron", "spec.source.cron: '* * * *'"),
    (
        "cron-seconds",
        "source: {type: cron, cron: '* * * * * *'}",
        "InvalidCron",
        "spec.source.cron: '* * * * * *'",
    ),
    (
        "cron-descriptor",
        "source: {type: cron, cron: '@fortnightly'}",
        "InvalidCron",
        "spec.source.cron: '@fortnightly'",
    ),
    ("cron-every", "source: {type: cron, cron: '@every 1d'}", "InvalidCron", "spec.source.cron: '@every 1d'"),
    (
        "output-missing",
        "source: {type: team-output, teamOutput: {name: nowhere}}",
        "PipelineNotFound",
        'spec.source.teamOutput.name: ArkTeam "nowhere" does not exist',
    ),
    (
        "output-self",
        "source: {type: team-output, teamOutput: {name: down}}",
        "TeamOutputCycle",
        "spec.targets[0].team: team-output events form a cycle: output-self (down -> down)",
    ),
    *[
        (
            f"{kind}-input",
            f"{source}",
            "InvalidSpec",
            "spec.targets[0].input.text: template does not parse: unclosed action",
        )
        for kind, source in (("cron", CRON), ("webhook", WEBHOOK), ("output", TEAM_OUTPUT))
    ],
]


BAD_TARGETS = {
    "input": "targets: [{team: down, input: {text: '{{ .trigger'}}]",
    "trigger": "targets: [{team: down, input: {text: '{{ .trigger.bdy.x }}'}}]",
    "team": "targets: [{team: Down Team}]",
}


async def test_the_operator_marks_what_the_server_accepts_not_ready_naming_the_field(
    start_operator: Start, namespace: str
) -> None:
    cluster = await start_operator()
    kube = cluster.kube
    for name in ("up", "down"):
        roles = "[{name: r, model: m, systemPrompt: p}]"
        await apply_team(kube, namespace, f"metadata: {{name: {name}}}\nspec: {{entry: r, roles: {roles}}}")
    for name, source, _, _ in NOT_READY:
        targets = (
            "targets: [{team: down, input: {text: '{{ .trigger'}}]" if name.endswith("-input") else TARGETS
        )
        await kube.create(ARK_EVENTS, event(name, f"{source}\n{targets}"), namespace)
    for name, _, reason, message in NOT_READY:
        ready = await ready_reason(kube, namespace, name, reason)
        assert ready["status"] == "False"
        assert ready["message"].startswith(message), (name, ready["message"])
        status = await event_status(kube, namespace, name)
        assert "firedCount" not in status, name
        assert "nextFireAt" not in status, name
