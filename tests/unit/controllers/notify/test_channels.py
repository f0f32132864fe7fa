"""Channels read their URL and headers from Secrets and name what is missing, never a value."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ark.api.notify import NotifyChannel
from ark.controllers.notify.channels import ChannelError, Target, notification_id, payload, resolve
from ark.controllers.notify.events import run_occurrence
from tests.unit.controllers.notify.support import run, team

Obj = dict[str, Any]


def secrets(**by_name: dict[str, str]) -> Any:
    stored = {
        name: {"data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}
        for name, data in by_name.items()
    }
    return stored.get


def channel(**fields: Any) -> NotifyChannel:
    return NotifyChannel.model_validate(fields)


SLACK = channel(type="slack", slack={"webhookUrlSecretRef": {"name": "slack", "key": "url"}})
DOCS_SLACK = channel(type="slack", slack={"webhookURLFrom": {"name": "slack", "key": "url"}})
HOOK = channel(
    type="webhook",
    webhook={
        "urlFrom": {"name": "hook", "key": "url"},
        "headers": [{"name": "Authorization", "valueFrom": {"name": "hook", "key": "token"}}],
    },
)


def test_a_slack_channel_reads_its_url_in_either_spelling() -> None:
    lookup = secrets(slack={"url": "https://hooks.slack.com/services/T/B/secret\n"})
    target = resolve("recipe", 0, SLACK, lookup)
    assert (target.label, target.kind, target.url) == (
        "spec.channel (slack)",
        "slack",
        "https://hooks.slack.com/services/T/B/secret",
    )
    assert resolve("docs", 2, DOCS_SLACK, lookup).label == "spec.channels[2] (slack)"
    assert "secret" not in repr(target)


def test_a_webhook_channel_reads_its_url_and_headers() -> None:
    target = resolve("recipe", 0, HOOK, secrets(hook={"url": "http://10.0.0.1:8080/in", "token": "Bearer t"}))
    assert target.url == "http://10.0.0.1:8080/in"
    assert target.headers == (("Authorization", "Bearer t"),)


@pytest.mark.parametrize(
    ("chan", "stored", "reason", "message"),
    [
        (
            SLACK,
            {},
            "SecretNotFound",
            'spec.channel.slack.webhookUrlSecretRef: Secret "slack" does not exist',
        ),
        (
            SLACK,
            {"slack": {"other": "x"}},
            "SecretKeyMissing",
            'spec.channel.slack.webhookUrlSecretRef: Secret "slack" has no key "url"',
        ),
        (
            SLACK,
            {"slack": {"url": "ftp://example.com/x?token=abc"}},
            "InvalidURL",
            'spec.channel.slack.webhookUrlSecretRef: Secret "slack" key "url" does not hold an http(s) URL',
        ),
        (
            SLACK,
            {"slack": {"url": "not a url"}},
            "InvalidURL",
            'spec.channel.slack.webhookUrlSecretRef: Secret "slack" key "url" does not hold an http(s) URL',
        ),
        (
            HOOK,
            {"hook": {"url": "http://h/"}},
            "SecretKeyMissing",
            'spec.channel.webhook.headers[0].valueFrom: Secret "hook" has no key "token"',
        ),
        (
            HOOK,
            {"hook": {"url": "http://h/", "token": "a\r\nX-Evil: 1"}},
            "InvalidSecret",
            'spec.channel.webhook.headers[0].valueFrom: Secret "hook" key "token" holds a line break',
        ),
        (HOOK, {}, "SecretNotFound", 'spec.channel.webhook.urlFrom: Secret "hook" does not exist'),
    ],
)
def test_what_is_missing_is_named_without_its_value(
    chan: NotifyChannel, stored: dict[str, dict[str, str]], reason: str, message: str
) -> None:
    with pytest.raises(ChannelError) as caught:
        resolve("recipe", 0, chan, secrets(**stored))
    assert caught.value.reason == reason
    assert str(caught.value) == message


def test_a_secret_value_that_is_not_text_is_refused() -> None:
    lookup = {"slack": {"data": {"url": base64.b64encode(b"\xff\xfe").decode()}}}.get
    with pytest.raises(ChannelError, match="is not UTF-8 text"):
        resolve("recipe", 0, SLACK, lookup)


def occurrence() -> Any:
    found = run_occurrence(run(), team())
    assert found is not None
    return found


def test_slack_gets_the_text() -> None:
    body = payload(Target("l", "slack", "u"), occurrence(), "ns", "*hi*", None)
    assert json.loads(body.body) == {"text": "*hi*"}
    assert body.content_type == "application/json"


def test_a_webhook_gets_a_json_document_by_default() -> None:
    found = occurrence()
    body = payload(Target("l", "webhook", "u"), found, "ns", "hello", None)
    assert json.loads(body.body) == {
        "id": notification_id(found),
        "event": "TeamSucceeded",
        "namespace": "ns",
        "team": "blog",
        "run": "blog-x4kpz",
        "agent": None,
        "message": "hello",
        "occurredAt": "2026-12-03T10:05:00Z",
    }


def test_a_webhook_template_is_the_body_json_or_text() -> None:
    target = Target("l", "webhook", "u", template="t")
    as_json = payload(target, occurrence(), "ns", "m", '{"a": 1}')
    assert (as_json.body, as_json.content_type) == (b'{"a": 1}', "application/json")
    as_text = payload(target, occurrence(), "ns", "m", "plain words")
    assert (as_text.body, as_text.content_type) == (b"plain words", "text/plain; charset=utf-8")


def test_the_notification_id_is_stable_per_occurrence() -> None:
    assert notification_id(occurrence()) == notification_id(occurrence())
    other = run_occurrence(run("other"), team())
    assert other is not None
    assert notification_id(other) != notification_id(occurrence())
    assert len(notification_id(other)) == 32
