"""The input of one target's run: ``targets[].input`` templates rendered over ``.trigger`` (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ark.flow.template import TemplateError, render


class TargetInputError(Exception):
    """A target input template failed; the message names the input."""


def render_target_input(templates: Mapping[str, str], trigger: Mapping[str, Any]) -> dict[str, str]:
    """Each input's template rendered with ``{"trigger": trigger}`` (name, firedAt, body, output)."""
    values: dict[str, str] = {}
    for name, source in templates.items():
        try:
            values[name] = render(source, {"trigger": dict(trigger)})
        except TemplateError as error:
            raise TargetInputError(f"input {name!r}: {error}") from error
    return values
