"""Go truthiness of values in if / with / and / or / not, and the missing-key rule."""

from __future__ import annotations

from typing import Any

import pytest

from ark.flow.template import render

TRUTH_TABLE: list[tuple[Any, bool]] = [
    (None, False),
    (False, False),
    (True, True),
    (0, False),
    (0.0, False),
    (-0.0, False),
    (1, True),
    (-1, True),
    (0.5, True),
    (float("nan"), True),
    ("", False),
    (" ", True),
    ("0", True),
    ("false", True),
    ([], False),
    ([None], True),
    ((), False),
    ({}, False),
    ({"k": None}, True),
    (object(), True),
]


@pytest.mark.parametrize(("value", "truthy"), TRUTH_TABLE)
def test_if_with_not(value: Any, truthy: bool) -> None:
    expected = "T" if truthy else "F"
    assert render("{{ if .v }}T{{ else }}F{{ end }}", {"v": value}) == expected
    assert render("{{ with .v }}T{{ else }}F{{ end }}", {"v": value}) == expected
    assert render("{{ not .v }}", {"v": value}) == ("false" if truthy else "true")


@pytest.mark.parametrize(("value", "truthy"), TRUTH_TABLE)
def test_and_or_return_the_deciding_value(value: Any, truthy: bool) -> None:
    ctx = {"v": value}
    assert render('{{ and .v "next" }}', ctx) == ("next" if truthy else render("{{ .v }}", ctx))
    assert render('{{ or .v "next" }}', ctx) == (render("{{ .v }}", ctx) if truthy else "next")


def test_missing_key_is_falsy_everywhere() -> None:
    src = "{{ if .a.b }}1{{ end }}{{ with .x }}2{{ end }}{{ if not .y }}3{{ end }}{{ or .z 4 }}{{ and .q 5 }}"
    assert render(src, {"a": {}}) == "34"
