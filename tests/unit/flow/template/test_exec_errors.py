"""Render errors: TemplateExecError names the position (1-based line:col), the failing
expression and Go's message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ark.flow.template import TemplateExecError, parse

DATA: dict[str, Any] = json.loads(
    json.dumps(
        {
            "s": "str",
            "n": 3,
            "l": [1, 2],
            "m": {"a": {"b": "x"}},
            "steps": {"chef": {"output": "ok", "data": "raw"}},
        }
    ),
    parse_int=float,
)

# (source, line, col, context, message)
CASES = [
    ("{{ .s.x }}", 1, 4, ".s.x", "can't evaluate field x in type string"),
    (
        "{{ .steps.chef.data.steps }}",
        1,
        4,
        ".steps.chef.data.steps",
        "can't evaluate field steps in type string",
    ),
    (
        "Result:\n  {{ .steps.chef.output.text }}",
        2,
        6,
        ".steps.chef.output.text",
        "can't evaluate field text in type string",
    ),
    ("{{ .l.first }}", 1, 4, ".l.first", "can't evaluate field first in type []interface {}"),
    ("{{ .n.x.y }}", 1, 4, ".n.x.y", "can't evaluate field x in type float64"),
    ("{{ $x := .s }}{{ $x.field }}", 1, 18, "$x.field", "can't evaluate field field in type string"),
    ("{{ with .s }}{{ .inner }}{{ end }}", 1, 17, ".inner", "can't evaluate field inner in type string"),
    ("{{ range .l }}{{ .x }}{{ end }}", 1, 18, ".x", "can't evaluate field x in type float64"),
    ("{{ (index .l 0).x }}", 1, 5, "(index .l 0).x", "can't evaluate field x in type float64"),
    ("{{ .m.a 1 }}", 1, 4, ".m.a", "a is not a method but has arguments"),
    ("{{ .s | .m.a }}", 1, 9, ".m.a", "a is not a method but has arguments"),
    ("{{ $x := 1 }}{{ $x 2 }}", 1, 17, "$x 2", "can't give argument to non-function $x"),
    ('{{ "a" 1 }}', 1, 4, '"a" 1', 'can\'t give argument to non-function "a"'),
    ("{{ (.s) 1 }}", 1, 4, "(.s) 1", "can't give argument to non-function .s"),
    ("{{ nil }}", 1, 4, "nil", "nil is not a command"),
    ("{{ index .l 7 }}", 1, 4, "index .l 7", "error calling index: index out of range: 7"),
    ("{{ len .n }}", 1, 4, "len .n", "error calling len: len of type float64"),
    ("{{ lt .s 1 }}", 1, 4, "lt .s 1", "error calling lt: incompatible types for comparison: string and int"),
    (
        "{{ if eq .s 1 }}x{{ end }}",
        1,
        7,
        "eq .s 1",
        "error calling eq: incompatible types for comparison: string and int",
    ),
    ("{{ range .s }}{{ end }}", 1, 10, ".s", "range can't iterate over str"),
    ("{{ range .n }}{{ end }}", 1, 10, ".n", "range can't iterate over 3"),
    (
        "{{ range $i, $e := 3 }}{{ end }}",
        1,
        10,
        "$i, $e := 3",
        "can't use 3 to iterate over more than one variable",
    ),
    ("{{ $y = 1 }}", 1, 4, "$y = 1", "undefined variable: $y"),
    ("{{ printf 3 }}", 1, 11, "3", "expected string; found 3"),
    ("{{ upper .n }}", 1, 10, ".n", "wrong type for value; expected string; got float64"),
    (
        'a\nb\n{{ if true }}\n  {{ index .m "a" "b" "c" }}\n{{ end }}',
        4,
        6,
        'index .m "a" "b" "c"',
        "error calling index: cannot index slice/array with type string",
    ),
]


@pytest.mark.parametrize(("src", "line", "col", "context", "message"), CASES)
def test_exec_error(src: str, line: int, col: int, context: str, message: str) -> None:
    with pytest.raises(TemplateExecError) as info:
        parse(src).render(DATA)
    err = info.value
    assert (err.line, err.col, err.context, err.message) == (line, col, context, message)
    assert str(err) == f"template: {line}:{col}: at <{context}>: {message}"


def test_output_before_the_error_is_discarded() -> None:
    t = parse("prefix {{ .s.x }} suffix")
    with pytest.raises(TemplateExecError):
        t.render(DATA)
    assert t.render({"s": {"x": "ok"}}) == "prefix ok suffix"


def test_missing_keys_never_raise() -> None:
    t = parse("{{ .a.b.c }}{{ .steps.nope.data.x }}{{ $.q.r }}{{ with .z }}{{ .y }}{{ end }}")
    assert t.render({}) == ""
    assert t.render({"a": None, "steps": {"nope": None}}) == ""
