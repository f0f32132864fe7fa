"""The models: camelCase wire form, strict types, compatibility spellings, helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from ark.api import (
    ArkAgent,
    ArkAgentSpec,
    ArkEvent,
    ArkNotify,
    ArkRun,
    ArkTeam,
    ArkTeamSpec,
    ObjectMeta,
    TeamRole,
    parse_object,
    to_wire,
)
from ark.api.kinds import UnknownKindError
from ark.api.notify import ALL_EVENT_TYPES


def obj(kind: str, spec: dict[str, Any], name: str = "x") -> dict[str, Any]:
    """A wire-form document."""
    return {"apiVersion": "arkonis.dev/v1alpha1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def agent_spec(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "systemPrompt": "p", **extra}


def test_python_is_snake_case_and_the_wire_is_camel_case() -> None:
    spec = ArkAgentSpec(model="claude-sonnet-4-6", system_prompt="You help.", replicas=3)
    agent = ArkAgent(metadata=ObjectMeta(name="helper"), spec=spec)

    assert to_wire(agent) == {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkAgent",
        "metadata": {"name": "helper"},
        "spec": {"systemPrompt": "You help.", "model": "claude-sonnet-4-6", "replicas": 3},
    }


def test_defaults_match_the_reference() -> None:
    agent = parse_object(obj("ArkAgent", agent_spec(limits={})))
    team = parse_object(
        obj("ArkTeam", {"entry": "a", "roles": [{"name": "a", "model": "m", "systemPrompt": "p"}]})
    )
    assert isinstance(agent, ArkAgent)
    assert isinstance(team, ArkTeam)

    assert agent.spec.replicas == 1
    assert agent.spec.limits is not None
    assert (agent.spec.limits.max_tokens_per_call, agent.spec.limits.max_concurrent_tasks) == (8000, 5)
    assert agent.spec.limits.timeout_seconds == 120
    assert (team.spec.successful_runs_history_limit, team.spec.failed_runs_history_limit) == (10, 5)


def test_config_ref_accepts_the_bare_string_form() -> None:
    bare = parse_object(obj("ArkAgent", agent_spec(configRef="shared")))
    mapping = parse_object(obj("ArkAgent", agent_spec(configRef={"name": "shared"})))
    assert isinstance(bare, ArkAgent)
    assert isinstance(mapping, ArkAgent)

    assert bare.spec.config_ref is not None
    assert bare.spec.config_ref.name == "shared"
    assert bare == mapping


def test_mcp_headers_accept_the_map_and_the_list_form() -> None:
    secret = {"secretKeyRef": {"name": "kb", "key": "token"}}
    as_map = parse_object(
        obj(
            "ArkAgent",
            agent_spec(
                mcpServers=[
                    {
                        "name": "kb",
                        "url": "http://kb",
                        "headers": {"Authorization": secret, "X-Team": "support"},
                    }
                ]
            ),
        )
    )
    as_list = parse_object(
        obj(
            "ArkAgent",
            agent_spec(
                mcpServers=[
                    {
                        "name": "kb",
                        "url": "http://kb",
                        "headers": [
                            {"name": "Authorization", "valueFrom": secret},
                            {"name": "X-Team", "value": "support"},
                        ],
                    }
                ]
            ),
        )
    )
    assert isinstance(as_map, ArkAgent)

    assert as_map == as_list
    assert as_map.spec.mcp_servers is not None
    headers = as_map.spec.mcp_servers[0].headers or []
    assert [(h.name, h.value) for h in headers] == [("Authorization", None), ("X-Team", "support")]


@pytest.mark.parametrize("legacy", ["pipeline-output", "flow-output"])
def test_event_source_accepts_the_arkflow_names(legacy: str) -> None:
    event = parse_object(
        obj(
            "ArkEvent",
            {"source": {"type": legacy, "teamOutput": {"name": "up"}}, "targets": [{"pipeline": "down"}]},
        )
    )
    assert isinstance(event, ArkEvent)

    assert event.spec.source.type == "team-output"
    assert event.spec.targets[0].team == "down"


def test_team_keeps_the_legacy_input_defaults() -> None:
    team = parse_object(
        obj(
            "ArkTeam",
            {
                "entry": "a",
                "input": {"topic": "k8s"},
                "roles": [{"name": "a", "model": "m", "systemPrompt": "p"}],
            },
        )
    )
    assert isinstance(team, ArkTeam)
    assert team.spec.input == {"topic": "k8s"}


def test_accept_and_ignore_blocks_are_kept_as_written() -> None:
    agent = parse_object(obj("ArkAgent", agent_spec(autoscaling={"minReplicas": 1, "anything": [1, 2]})))
    assert isinstance(agent, ArkAgent)
    assert agent.spec.autoscaling == {"minReplicas": 1, "anything": [1, 2]}


@pytest.mark.parametrize(
    ("spec", "mode"),
    [
        ({"pipeline": [{"role": "a"}]}, "Pipeline"),
        ({"pipeline": [{"role": "a"}], "canDelegate": ["b"]}, "Mixed"),
        ({"entry": "a"}, "Dynamic"),
        ({"routing": {"registryRef": {"name": "r"}, "model": "m"}}, "Routed"),
    ],
)
def test_team_mode_follows_from_the_fields(spec: dict[str, Any], mode: str) -> None:
    delegate = spec.pop("canDelegate", None)
    roles = (
        []
        if "routing" in spec
        else [
            TeamRole(name="a", model="m", system_prompt="p", can_delegate=delegate),
            TeamRole(name="b", model="m", system_prompt="p"),
        ]
    )
    team = ArkTeamSpec.model_validate({**spec, **({"roles": roles} if roles else {})})
    assert team.mode == mode


def test_quantities_are_int_or_string_but_never_float() -> None:
    agent = parse_object(obj("ArkAgent", agent_spec(resources={"limits": {"cpu": 2, "memory": "1Gi"}})))
    assert isinstance(agent, ArkAgent)
    assert agent.spec.resources is not None
    assert agent.spec.resources.limits == {"cpu": "2", "memory": "1Gi"}

    with pytest.raises(ValidationError) as caught:
        parse_object(obj("ArkAgent", agent_spec(resources={"limits": {"cpu": 0.5}})))
    (error,) = caught.value.errors()
    assert error["loc"] == ("spec", "resources", "limits", "cpu")
    assert "quote it" in str(error["ctx"]["hint"])


def test_times_are_rfc3339_utc_on_the_wire() -> None:
    run = parse_object(
        {
            **obj("ArkRun", {"teamRef": {"name": "t"}}),
            "status": {"phase": "Running", "startTime": "2026-01-02T03:04:05Z"},
        }
    )
    assert isinstance(run, ArkRun)
    assert run.status is not None

    assert run.status.start_time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert to_wire(run)["status"]["startTime"] == "2026-01-02T03:04:05Z"


def test_wire_names_that_are_not_plain_camel_case() -> None:
    run = parse_object(
        {
            **obj("ArkRun", {"teamRef": {"name": "t"}}),
            "status": {"steps": [{"name": "a", "taskID": "1-0", "outputJSON": "{}"}]},
        }
    )
    event = parse_object(
        {
            **obj("ArkEvent", {"source": {"type": "webhook"}, "targets": [{"team": "t"}]}),
            "status": {"webhookURL": "http://x/fire"},
        }
    )
    step = to_wire(run)["status"]["steps"][0]
    assert (step["taskID"], step["outputJSON"]) == ("1-0", "{}")
    assert to_wire(event)["status"]["webhookURL"] == "http://x/fire"


def test_snake_case_keys_are_unknown_fields_on_the_wire() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_object(obj("ArkAgent", {"model": "m", "system_prompt": "p"}))
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("extra_forbidden", ("spec", "system_prompt"))
    ]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownKindError):
        parse_object({"apiVersion": "arkonis.dev/v1alpha1", "kind": "ArkFlow"})


def test_notify_recipe_form_is_its_own_normal_form() -> None:
    notify = parse_object(
        obj(
            "ArkNotify",
            {
                "channel": {"type": "slack", "slack": {"webhookUrlSecretRef": {"name": "s", "key": "url"}}},
                "events": [{"type": "TeamFailed", "template": "{{ .team.name }} failed"}],
                "rateLimiting": {"windowSeconds": 600, "maxPerWindow": 3},
            },
        )
    )
    assert isinstance(notify, ArkNotify)

    policy = notify.spec.normalized()

    assert policy.form == "recipe"
    assert [c.type for c in policy.channels] == ["slack"]
    assert policy.rule("TeamFailed") is not None
    assert policy.rule("TeamSucceeded") is None
    assert policy.rate_limiting is not None
    assert policy.rate_limiting.max_per_window == 3


def test_notify_docs_form_is_normalised_into_the_recipe_terms() -> None:
    notify = parse_object(
        obj(
            "ArkNotify",
            {
                "channels": [
                    {"type": "slack", "slack": {"webhookURLFrom": {"name": "s", "key": "url"}}},
                    {
                        "type": "webhook",
                        "webhook": {
                            "urlFrom": {"name": "w", "key": "url"},
                            "template": "{{ .Event }} {{ .TeamName }}",
                        },
                    },
                ],
            },
        )
    )
    assert isinstance(notify, ArkNotify)

    policy = notify.spec.normalized()

    assert policy.form == "docs"
    assert len(policy.channels) == 2
    assert policy.channels[0].slack is not None
    assert policy.channels[0].slack.url_ref.name == "s"
    assert [rule.type for rule in policy.events] == list(ALL_EVENT_TYPES)
    assert policy.rate_limiting is not None
    assert (policy.rate_limiting.window_seconds, policy.rate_limiting.max_per_window) == (300, 1)


def test_notify_docs_form_rate_limit_zero_disables_it() -> None:
    notify = parse_object(
        obj(
            "ArkNotify",
            {
                "channels": [{"type": "slack", "slack": {"webhookURLFrom": {"name": "s", "key": "u"}}}],
                "on": ["TeamFailed", "TeamFailed"],
                "rateLimitSeconds": 0,
            },
        )
    )
    assert isinstance(notify, ArkNotify)
    policy = notify.spec.normalized()
    assert [rule.type for rule in policy.events] == ["TeamFailed"]
    assert policy.rate_limiting is None
