"""Checks of ArkNotify: one form at a time, channels complete, templates over known variables."""

from __future__ import annotations

from ark.api.issues import Path
from ark.api.notify import DOCS_FIELDS, RECIPE_FIELDS, ArkNotify, NotifyChannel
from ark.api.validation.report import Report
from ark.api.validation.templates import DOCS_NOTIFY_ROOTS, RECIPE_NOTIFY_ROOTS, check_notify_template


def check_notify(report: Report, notify: ArkNotify) -> None:
    """Semantic checks of an ArkNotify."""
    spec = notify.spec
    wire = spec.model_dump(by_alias=True, exclude_none=True)
    recipe = [name for name in RECIPE_FIELDS if name in wire]
    docs = [name for name in DOCS_FIELDS if name in wire]
    if recipe and docs:
        report.error(
            ("spec", docs[0]),
            f"{docs[0]} belongs to the docs form and {recipe[0]} to the recipe form; use one form",
            "keep channel, events and rateLimiting (recipe form) or channels, on and rateLimitSeconds",
        )
    if spec.channel is None and not spec.channels:
        report.error(("spec", "channel"), "a notification policy needs channel (or channels)", "add channel")
    if spec.channel is not None:
        _check_channel(report, ("spec", "channel"), spec.channel)
    for index, channel in enumerate(spec.channels or ()):
        _check_channel(report, ("spec", "channels", index), channel)
    first: dict[str, int] = {}
    for index, rule in enumerate(spec.events or ()):
        path = ("spec", "events", index)
        if rule.type in first:
            report.error((*path, "type"), f'duplicate event "{rule.type}" (also events[{first[rule.type]}])')
        first.setdefault(rule.type, index)
        if rule.template is not None:
            check_notify_template(report, (*path, "template"), rule.template, RECIPE_NOTIFY_ROOTS)
    if spec.form == "recipe" and spec.channel is not None and not spec.events:
        report.warning(("spec", "events"), "no events are listed, so nothing is ever sent", "add events")
    seen: set[str] = set()
    for index, event in enumerate(spec.on or ()):
        if event in seen:
            report.warning(("spec", "on", index), f'"{event}" is listed twice', "remove the duplicate")
        seen.add(event)


def _check_channel(report: Report, path: Path, channel: NotifyChannel) -> None:
    if channel.type == "slack":
        if channel.slack is None:
            report.error((*path, "slack"), "a slack channel needs slack", "add slack.webhookUrlSecretRef")
        elif (channel.slack.webhook_url_secret_ref is None) == (channel.slack.webhook_url_from is None):
            report.error(
                (*path, "slack"),
                "exactly one of webhookUrlSecretRef or webhookURLFrom must be set",
                "keep webhookUrlSecretRef",
            )
        if channel.webhook is not None:
            report.warning((*path, "webhook"), "webhook is ignored for a slack channel", "remove it")
    else:
        if channel.webhook is None:
            report.error((*path, "webhook"), "a webhook channel needs webhook", "add webhook.urlFrom")
        elif channel.webhook.template is not None:
            check_notify_template(
                report, (*path, "webhook", "template"), channel.webhook.template, DOCS_NOTIFY_ROOTS
            )
        if channel.slack is not None:
            report.warning((*path, "slack"), "slack is ignored for a webhook channel", "remove it")
