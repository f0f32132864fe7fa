"""Target inputs: templates over .trigger rendered per input, a failure naming the input."""

from __future__ import annotations

import pytest

from ark.controllers.event.inputs import TargetInputError, render_target_input

TRIGGER = {
    "name": "on-order",
    "firedAt": "2026-01-05T09:05:00Z",
    "body": {"order": {"id": 42}},
    "output": "done",
}


def test_each_input_is_rendered_over_the_trigger() -> None:
    templates = {
        "order": "{{ .trigger.body.order.id }}",
        "when": "{{ .trigger.name }} at {{ .trigger.firedAt }}",
        "previous": "{{ .trigger.output | upper }}",
        "fixed": "plain text",
    }
    assert render_target_input(templates, TRIGGER) == {
        "order": "42",
        "when": "on-order at 2026-01-05T09:05:00Z",
        "previous": "DONE",
        "fixed": "plain text",
    }


def test_no_templates_no_input() -> None:
    assert render_target_input({}, TRIGGER) == {}


@pytest.mark.parametrize("source", ["{{ .trigger.name", "{{ index .trigger.body 3 }}"])
def test_a_failing_template_names_the_input(source: str) -> None:
    with pytest.raises(TargetInputError, match="input 'order'"):
        render_target_input({"order": source}, TRIGGER)
