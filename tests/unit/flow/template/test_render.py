"""Rendering: text, actions, values printed like Go, literals, trim markers, comments, pipelines.

Expected outputs are what Go 1.26 ``text/template`` produces for the same source and JSON
data (``<no value>`` replaced by "" per §18 #3); ``GO_DIFFERS`` lists our deliberate changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from ark.flow.template import render

CASES = [
    # Values printed like Go's %v; JSON numbers are float64.
    ("{{ .s }}|{{ .n }}|{{ .f }}|{{ .z }}|{{ .t }}|{{ .fa }}", "hello|3|2.5|0|true|false"),
    ("{{ .l }}|{{ .el }}|{{ .m }}|{{ .em }}", "[1 a <nil> 2.5 true]|[]|map[a:1 b:2 c:map[d:deep]]|map[]"),
    ("{{ .big }}|{{ .small }}|{{ .neg }}", "1e+06|1e-05|-4.5"),
    ("{{ .input.dish }} {{ .steps.chef.data.steps }} {{ .steps.chef.data.score }}", "soup [1 2 3] 7.5"),
    ("{{ . }}", None),  # the whole map; checked separately below
    # Missing keys render as "" at any depth.
    ("[{{ .missing }}][{{ .input.missing }}][{{ .zz.yy.xx }}][{{ .m.zz.yy }}][{{ .nil }}]", "[][][][][]"),
    ("[{{ .steps.nobody.output }}][{{ .steps.chef.data.nothing }}]", "[][]"),
    # Literals.
    ("{{ 0x10 }}|{{ 0o17 }}|{{ 017 }}|{{ 0b101 }}|{{ 1_000 }}|{{ -3 }}|{{ +4 }}", "16|15|15|5|1000|-3|4"),
    ("{{ 1e3 }}|{{ 1.5e-7 }}|{{ .5 }}|{{ 5. }}|{{ 1.0 }}|{{ 0x1p4 }}", "1000|1.5e-07|0.5|5|1|16"),
    (
        '{{ printf "%T %T %T %T %T %T" 1 1.0 (printf "%c" 97) -0x1E 0x1E 1e3 }}|{{ -0x1E }}|{{ 0x_1f }}|'
        "{{ 0_7 }}|{{ 00 }}|{{ 07e1 }}|{{ 1.e2 }}",
        "int float64 string float64 int float64|-30|31|7|0|70|100",
    ),
    ("{{ 'a' }}|{{ '\\n' }}|{{ '\\x41' }}|{{ '\\u00e9' }}|{{ '\\'' }}", "97|10|65|233|39"),
    ('{{ "a\\tb\\x41\\u00e9\\101\\\\\\"" }}', 'a\tbAéA\\"'),
    ('{{ `raw\\n"q"` }}|{{ "" }}|{{ true }}|{{ false }}', 'raw\\n"q"||true|false'),
    # Trim markers and comments.
    ('{{- " a " -}} | {{- .s -}}   x  {{- /* comment */ -}}  y {{/* c2 */}} z', " a |helloxy  z"),
    ("a  {{- 3 }}  b {{ 4 -}}  c", "a3  b 4c"),
    ("a\n\t {{- 1 -}} \n\tb", "a1b"),
    ("{{-3}}", "-3"),
    ("x {{- /* multi\nline */ -}} y", "xy"),
    ("x\n{{- if true }}\n  yes\n{{- end }}\n", "x\n  yes\n"),
    # Pipelines and parentheses: the piped value is the last argument.
    ('{{ .s | printf "%s!" }}|{{ "x" | printf "%s%s" "y" }}|{{ 3 | eq 3 }}', "hello!|yx|true"),
    ('{{ .n | printf "%v" | len }}|{{ .s | len | printf "%03d" }}', "1|005"),
    ('{{ (len .l) }}|{{ (index .m "c").d }}|{{ (.m).a }}|{{ print (print 1) (print 2) }}', "5|deep|1|12"),
    ('{{ (index .steps "chef").data.name }}|{{ ($.m).c.d }}', "x|deep"),
    # Printing of pipeline results.
    ("{{ len .l }}|{{ index .s 0 }}|{{ slice .l 1 3 }}", "5|104|[a <nil>]"),
]

GO_DIFFERS = [
    # Go prints <nil> for nil arguments of print/printf %v; we print "" like a missing key.
    ('{{ print nil }}|{{ print .missing }}|{{ printf "%v" .missing }}', "||"),
    ('{{ printf "%s" .input.missing }}', ""),
]


@pytest.mark.parametrize(("src", "expected"), [c for c in CASES if c[1] is not None])
def test_render_like_go(src: str, expected: str, data: dict[str, Any]) -> None:
    assert render(src, data) == expected


@pytest.mark.parametrize(("src", "expected"), GO_DIFFERS)
def test_render_nil_as_empty(src: str, expected: str, data: dict[str, Any]) -> None:
    assert render(src, data) == expected


def test_dot_prints_the_whole_context() -> None:
    assert render("{{ . }}", {"b": [1, {"x": None}], "a": "s"}) == "map[a:s b:[1 map[x:<nil>]]]"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.0, "3"),
        (-0.0, "-0"),
        (0.1, "0.1"),
        (100000.0, "100000"),
        (1000000.0, "1e+06"),
        (123456789.0, "1.23456789e+08"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e21, "1e+21"),
        (2.5e-300, "2.5e-300"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
        (float("nan"), "NaN"),
        (7, "7"),
        (-(2**63), "-9223372036854775808"),
        (True, "true"),
        ("", ""),
        (None, ""),
        ([], "[]"),
        ([[1, 2], [3]], "[[1 2] [3]]"),
        ({"k": []}, "map[k:[]]"),
        ({2: "b", 1: "a"}, "map[1:a 2:b]"),
        ({"b": 1, 1: "x"}, "map[1:x b:1]"),
    ],
)
def test_values_print_like_go(value: Any, expected: str) -> None:
    assert render("{{ .v }}", {"v": value}) == expected


def test_json_numbers_print_without_fraction(data: dict[str, Any]) -> None:
    assert render("{{ .steps.chef.data.steps }} {{ .n }}", data) == "[1 2 3] 3"
    assert render('{{ printf "%d" .n }}', data) == "%!d(float64=3)"
    assert render('{{ printf "%d" (int .n) }}', data) == "3"


def test_unknown_objects_print_with_str() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing!"

    assert render('{{ .x }}|{{ printf "%v %T" .x .x }}|{{ if .x }}t{{ end }}', {"x": Thing()}) == (
        "thing!|thing! Thing|t"
    )
