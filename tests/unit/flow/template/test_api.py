"""The public interface other modules code against."""

from __future__ import annotations

import types
from typing import Any

import pytest

from ark.flow.template import (
    Template,
    TemplateError,
    TemplateExecError,
    TemplateSyntaxError,
    is_truthy,
    parse,
    render,
)


def test_parse_returns_template_that_renders_many_times() -> None:
    t = parse("Cook {{ .input.dish }}.")
    assert isinstance(t, Template)
    assert t.name == "template"
    assert t.source == "Cook {{ .input.dish }}."
    assert t.render({"input": {"dish": "soup"}}) == "Cook soup."
    assert t.render({"input": {"dish": "stew"}}) == "Cook stew."
    assert t.render({}) == "Cook ."


def test_render_convenience() -> None:
    assert render("{{ .a }}-{{ .b }}", {"a": 1, "b": "x"}) == "1-x"


def test_parse_is_cached_per_source_and_name() -> None:
    assert parse("{{ .a }}") is parse("{{ .a }}")
    assert parse("{{ .a }}", "x") is not parse("{{ .a }}")
    assert parse("{{ .a }}", "x").name == "x"


def test_plain_text_renders_verbatim() -> None:
    src = "no actions here, { single } braces and }} closers"
    assert render(src, {}) == src
    assert render("", {}) == ""


def test_data_may_be_any_mapping() -> None:
    proxy = types.MappingProxyType({"a": types.MappingProxyType({"b": "deep"})})
    assert render("{{ .a.b }}|{{ .a.zz }}|{{ range $k, $v := .a }}{{ $k }}{{ end }}", proxy) == "deep||b"


def test_tuples_behave_as_lists() -> None:
    assert render("{{ len .t }} {{ index .t 1 }} {{ .t }}", {"t": (1, 2)}) == "2 2 [1 2]"


def test_errors_are_template_errors_with_positions() -> None:
    with pytest.raises(TemplateSyntaxError) as se:
        parse("{{ .x } }}")
    assert isinstance(se.value, TemplateError)
    assert (se.value.line, se.value.col) == (1, 7)
    assert se.value.message == 'unexpected "}" in operand'
    assert str(se.value) == 'template: 1:7: unexpected "}" in operand'
    with pytest.raises(TemplateExecError) as ee:
        render("ab\n  {{ .s.x }}", {"s": "str"})
    assert isinstance(ee.value, TemplateError)
    assert (ee.value.line, ee.value.col, ee.value.context) == (2, 6, ".s.x")
    assert ee.value.message == "can't evaluate field x in type string"
    assert str(ee.value) == "template: 2:6: at <.s.x>: can't evaluate field x in type string"


def test_template_name_appears_in_messages() -> None:
    with pytest.raises(TemplateSyntaxError) as se:
        parse("{{ if .x }}", "steps.chef.inputs.topic")
    assert se.value.name == "steps.chef.inputs.topic"
    assert str(se.value) == "template: steps.chef.inputs.topic:1:12: unexpected EOF"
    with pytest.raises(TemplateExecError) as ee:
        parse("{{ len 3 }}", "output").render({})
    assert str(ee.value) == "template: output:1:4: at <len 3>: error calling len: len of type int"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("   \n\t", False),
        ("false", False),
        (" FALSE \n", False),
        ("False", False),
        ("0", False),
        (" 0 ", False),
        ("no", False),
        ("No", False),
        ("NO\n", False),
        ("true", True),
        ("yes", True),
        ("1", True),
        ("00", True),
        ("0.0", True),
        ("none", True),
        ("n", True),
        ("falsey", True),
        ("<no value>", True),
        ("anything else", True),
    ],
)
def test_is_truthy(text: str, expected: bool) -> None:
    assert is_truthy(text) is expected


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("{{ gt (len .steps.chef.data.steps) 2 }}", True),
        ("{{ gt (len .steps.chef.data.steps) 3 }}", False),
        ("{{ .input.missing }}", False),
        ("{{ if .input.dish }}yes{{ end }}", True),
        ('{{ eq .input.dish "stew" }}', False),
    ],
)
def test_conditions_render_then_is_truthy(src: str, expected: bool, data: dict[str, Any]) -> None:
    assert is_truthy(render(src, data)) is expected
