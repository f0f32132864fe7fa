"""Where a notification goes and what it carries (pure; D137, D138).

A channel's URL and headers come from Secrets (read from the informer cache). :func:`resolve`
turns a channel into a :class:`Target`, or a :class:`ChannelError` naming the Secret and key
that is missing (never a value). :func:`payload` is the request body:

* ``slack``: ``{"text": <message>}`` (an incoming webhook; mrkdwn is Slack's business);
* ``webhook``: the rendered ``webhook.template`` when there is one (``application/json`` when it
  parses as JSON, else ``text/plain``), otherwise a JSON object with ``event``, ``namespace``,
  ``team``, ``run``, ``agent``, ``message``, ``occurredAt`` and ``id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ark.api.notify import NotifyChannel
from ark.api.shared import KeyRef
from ark.controllers.notify.events import Occurrence
from ark.kube.events import format_time

Obj = dict[str, Any]
SecretLookup = Callable[[str], Obj | None]
"""A Secret of the ArkNotify's namespace by name (None when absent)."""
ID_HEADER = "X-Ark-Notification-Id"
MAX_URL_LENGTH = 4096


class ChannelError(Exception):
    """A channel that cannot be used; the message names the field, Secret and key, never a value."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A resolved channel: ``label`` names it in status and Events (the URL never does)."""

    label: str
    kind: str
    url: str = field(repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    template: str | None = None


@dataclass(frozen=True)
class Payload:
    """A request body and its content type."""

    body: bytes
    content_type: str


def channel_label(form: str, index: int, channel: NotifyChannel) -> str:
    """``spec.channel (slack)`` or ``spec.channels[1] (webhook)``."""
    path = "spec.channel" if form == "recipe" else f"spec.channels[{index}]"
    return f"{path} ({channel.type})"


def secret_value(lookup: SecretLookup, ref: KeyRef, field_path: str) -> str:
    """The value of Secret key ``ref``; ``ChannelError`` naming ``field_path`` when it is not there."""
    secret = lookup(ref.name)
    if secret is None:
        raise ChannelError("SecretNotFound", f'{field_path}: Secret "{ref.name}" does not exist')
    raw = (secret.get("data") or {}).get(ref.key)
    if raw is None:
        raise ChannelError("SecretKeyMissing", f'{field_path}: Secret "{ref.name}" has no key "{ref.key}"')
    try:
        value = base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ChannelError(
            "InvalidSecret", f'{field_path}: Secret "{ref.name}" key "{ref.key}" is not UTF-8 text'
        ) from exc
    return value.strip()


def _url(value: str, field_path: str, ref: KeyRef) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > MAX_URL_LENGTH:
        raise ChannelError(
            "InvalidURL",
            f'{field_path}: Secret "{ref.name}" key "{ref.key}" does not hold an http(s) URL',
        )
    return value


def _header_value(value: str, field_path: str, ref: KeyRef) -> str:
    if "\n" in value or "\r" in value:
        raise ChannelError(
            "InvalidSecret", f'{field_path}: Secret "{ref.name}" key "{ref.key}" holds a line break'
        )
    return value


def resolve(form: str, index: int, channel: NotifyChannel, lookup: SecretLookup) -> Target:
    """The channel with its URL and headers read from Secrets; raises ``ChannelError``."""
    path = "spec.channel" if form == "recipe" else f"spec.channels[{index}]"
    label = channel_label(form, index, channel)
    if channel.type == "slack":
        assert channel.slack is not None  # the model requires it
        ref = channel.slack.url_ref
        where = f"{path}.slack." + (
            "webhookUrlSecretRef" if channel.slack.webhook_url_secret_ref else "webhookURLFrom"
        )
        return Target(label, "slack", _url(secret_value(lookup, ref, where), where, ref))
    assert channel.webhook is not None
    hook = channel.webhook
    where = f"{path}.webhook.urlFrom"
    url = _url(secret_value(lookup, hook.url_from, where), where, hook.url_from)
    headers = []
    for i, header in enumerate(hook.headers or ()):
        at = f"{path}.webhook.headers[{i}].valueFrom"
        value = _header_value(secret_value(lookup, header.value_from, at), at, header.value_from)
        headers.append((header.name, value))
    return Target(label, "webhook", url, tuple(headers), hook.template)


def notification_id(occurrence: Occurrence) -> str:
    """A stable id of the occurrence (the ``X-Ark-Notification-Id`` header), for deduplication."""
    return hashlib.sha256(occurrence.key.encode()).hexdigest()[:32]


def payload(
    target: Target, occurrence: Occurrence, namespace: str, message: str, body: str | None
) -> Payload:
    """The request body for ``target``; ``body`` is the rendered webhook template, if any."""
    if target.kind == "slack":
        return Payload(json.dumps({"text": message}).encode(), "application/json")
    if body is not None:
        try:
            json.loads(body)
        except ValueError:
            return Payload(body.encode(), "text/plain; charset=utf-8")
        return Payload(body.encode(), "application/json")
    document = {
        "id": notification_id(occurrence),
        "event": occurrence.type,
        "namespace": namespace,
        "team": occurrence.team["metadata"]["name"] if occurrence.team else None,
        "run": occurrence.run["metadata"]["name"] if occurrence.run else None,
        "agent": occurrence.agent["metadata"]["name"] if occurrence.agent else None,
        "message": message,
        "occurredAt": format_time(occurrence.at),
    }
    return Payload(json.dumps(document).encode(), "application/json")
