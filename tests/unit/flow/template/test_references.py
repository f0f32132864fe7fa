"""Template.references(): field chains rooted at the top-level dot."""

from __future__ import annotations

import pytest

from ark.flow.template import parse

CASES: list[tuple[str, set[tuple[str, ...]]]] = [
    ("no actions", set()),
    ("{{ .input.dish }}", {("input", "dish")}),
    ("{{ .input.dish }} and {{ .input.diet }}", {("input", "dish"), ("input", "diet")}),
    ("{{ .steps.chef.output }}{{ .steps.chef.output }}", {("steps", "chef", "output")}),
    ('{{ index .steps.chef.data "x" }}', {("steps", "chef", "data")}),
    ("{{ gt (len .steps.chef.data.steps) 2 }}", {("steps", "chef", "data", "steps")}),
    ("{{ .input.x | default .input.y | upper }}", {("input", "x"), ("input", "y")}),
    ('{{ printf "%s %s" .a (print .b) }}', {("a",), ("b",)}),
    ("{{ (index .steps .input.role).output }}", {("steps",), ("input", "role")}),
    ("{{ $.x.y }}", {("x", "y")}),
    ("{{ $ }}{{ . }}", set()),
    # if keeps dot; its pipeline, body and else are rooted.
    (
        "{{ if .a }}{{ .b }}{{ else if .c }}{{ .d }}{{ else }}{{ .e }}{{ end }}",
        {("a",), ("b",), ("c",), ("d",), ("e",)},
    ),
    # with/range change dot: pipelines and else are rooted, bodies are not ($ still is).
    (
        "{{ with .steps.chef }}{{ .output }}{{ $.input.dish }}{{ end }}",
        {("steps", "chef"), ("input", "dish")},
    ),
    ("{{ with .a }}{{ .x }}{{ else }}{{ .b }}{{ end }}", {("a",), ("b",)}),
    ("{{ with .a }}{{ .x }}{{ else with .b }}{{ .y }}{{ else }}{{ .c }}{{ end }}", {("a",), ("b",), ("c",)}),
    (
        "{{ range .steps.chef.data.steps }}{{ .name }}{{ else }}{{ .none }}{{ end }}",
        {("steps", "chef", "data", "steps"), ("none",)},
    ),
    ("{{ range $i, $s := .list }}{{ $s.name }}{{ $.top }}{{ end }}", {("list",), ("top",)}),
    ("{{ with .a }}{{ if .b }}{{ $.c }}{{ end }}{{ end }}", {("a",), ("c",)}),
    # Variables: the declaration is a reference; chains through $x are not followed.
    ("{{ $s := .steps.chef }}{{ $s.output }}", {("steps", "chef")}),
    ("{{ $x := 1 }}{{ $x = .a.b }}", {("a", "b")}),
    # Legacy alias and trigger context are just chains.
    (
        "{{ .pipeline.input.topic }} {{ .trigger.body.user.name }}",
        {("pipeline", "input", "topic"), ("trigger", "body", "user", "name")},
    ),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_references(src: str, expected: set[tuple[str, ...]]) -> None:
    assert parse(src).references() == expected


def test_references_returns_a_fresh_set() -> None:
    t = parse("{{ .a }}")
    refs = t.references()
    refs.add(("mutated",))
    assert t.references() == {("a",)}
