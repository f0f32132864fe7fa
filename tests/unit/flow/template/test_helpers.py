"""Sprig-compatible helpers: int float toJson fromJson default upper lower trim join contains
replace quote, with good and bad arguments. "E ..." rows expect a TemplateExecError."""

from __future__ import annotations

from typing import Any

import pytest

from ark.flow.template import TemplateExecError, render


def run(src: str, data: dict[str, Any]) -> str:
    try:
        return render(src, data)
    except TemplateExecError as e:
        return "E " + e.message


CASES = [
    # int: Sprig's toInt (spf13/cast): truncates floats, parses strings, 0 when it cannot.
    (
        '{{ int .n }}|{{ int .f }}|{{ int .neg }}|{{ int 3.7 }}|{{ int "3" }}|{{ int "-12" }}',
        "3|2|-4|3|3|-12",
    ),
    (
        '{{ int "3.00" }}|{{ int "0x1f" }}|{{ int "017" }}|{{ int "0b11" }}|{{ int "1_000" }}',
        "3|31|15|3|1000",
    ),
    ('{{ int "3.5" }}|{{ int "abc" }}|{{ int "" }}|{{ int " 3" }}|{{ int "3." }}', "0|0|0|0|0"),
    (
        "{{ int true }}|{{ int false }}|{{ int .nil }}|{{ int .missing }}|{{ int .l }}|{{ int .m }}",
        "1|0|0|0|0|0",
    ),
    ('{{ printf "%d" (int .steps.chef.data.score) }}|{{ .n | int | printf "%03d" }}', "7|003"),
    ("{{ int }}", "E wrong number of args for int: want 1 got 0"),
    ("{{ int 1 2 }}", "E wrong number of args for int: want 1 got 2"),
    # float: Sprig's float64.
    (
        '{{ float "2.5" }}|{{ float 3 }}|{{ float .f }}|{{ float "1e3" }}|{{ float "-0.5" }}',
        "2.5|3|2.5|1000|-0.5",
    ),
    (
        '{{ float "x" }}|{{ float "" }}|{{ float " 1" }}|{{ float "1e400" }}|{{ float .nil }}|{{ float .l }}',
        "0|0|0|0|0|0",
    ),
    (
        '{{ float true }}|{{ float "inf" }}|{{ float "0x1p-2" }}|{{ printf "%.2f" (float "7") }}',
        "1|+Inf|0.25|7.00",
    ),
    ('{{ gt (float "2.5") 2.4 }}', "true"),
    ("{{ float }}", "E wrong number of args for float: want 1 got 0"),
    # toJson: Go's encoding/json.
    (
        "{{ toJson .m }}|{{ toJson .l }}|{{ toJson .s }}|{{ toJson .nil }}",
        '{"a":1,"b":2,"c":{"d":"deep"}}|[1,"a",null,2.5,true]|"hello"|null',
    ),
    ("{{ toJson .steps.chef.data }}", '{"name":"x","score":7.5,"steps":[1,2,3]}'),
    ('{{ toJson "a<b>&\\"\\\\\\n\\t\\u2028é" }}', '"a\\u003cb\\u003e\\u0026\\"\\\\\\n\\t\\u2028é"'),
    (
        "{{ toJson .big }}|{{ toJson .small }}|{{ toJson 1e21 }}|"
        "{{ toJson 1e-7 }}|{{ toJson 3 }}|{{ toJson .t }}",
        "1000000|0.00001|1e+21|1e-7|3|true",
    ),
    ("{{ toJson }}", "E wrong number of args for toJson: want 1 got 0"),
    # fromJson: JSON text to data (numbers become floats); nil when invalid.
    (
        '{{ (fromJson "{\\"a\\": [1, 2]}").a }}|{{ index (fromJson "[1, 2.5]") 1 }}|{{ fromJson "true" }}',
        "[1 2]|2.5|true",
    ),
    ('{{ $d := fromJson .steps.critic.output }}{{ $d }}|{{ fromJson "{bad" }}|{{ fromJson "NaN" }}', "||"),
    ('{{ printf "%T" (fromJson "3") }}|{{ len (fromJson "{\\"k\\":1}") }}', "float64|1"),
    ("{{ fromJson 3 }}", "E expected string; found 3"),
    ("{{ fromJson .l }}", "E wrong type for value; expected string; got []interface {}"),
    # default DEFAULT VALUE: VALUE unless empty.
    (
        '{{ .missing | default "n/a" }}|{{ .s | default "n/a" }}|{{ default "d" .e }}|{{ default "d" .z }}',
        "n/a|hello|d|d",
    ),
    (
        '{{ default "d" .fa }}|{{ default "d" .el }}|{{ default "d" .em }}|'
        '{{ default "d" .nil }}|{{ default "d" .t }}',
        "d|d|d|d|true",
    ),
    (
        '{{ default "d" }}|{{ default 5 .n }}|{{ default 5 .input.missing }}|'
        '{{ .input.diet | default "none" }}',
        "d|3|5|vegan",
    ),
    ("{{ default }}", "E wrong number of args for default: want at least 1 got 0"),
    # upper / lower / trim.
    (
        '{{ upper "abc" }}|{{ .input.dish | upper }}|{{ upper "ßtraße ǆ é" }}|{{ upper .missing }}',
        "ABC|SOUP|ßTRAßE Ǆ É|",
    ),
    ('{{ lower "ABC" }}|{{ lower "ÉCOLE İ ǅ" }}|{{ "MiXeD" | lower }}', "abc|école i ǆ|mixed"),
    (
        '{{ trim "  a b \\n\\t" }}|{{ trim "\\u00a0x\\u3000" }}|{{ trim "\\x1cx" }}|{{ trim "" }}',
        "a b|x|\x1cx|",
    ),
    ("{{ upper 3 }}", "E expected string; found 3"),
    ("{{ .n | upper }}", "E wrong type for value; expected string; got float64"),
    ("{{ lower .l }}", "E wrong type for value; expected string; got []interface {}"),
    ('{{ trim "a" "b" }}', "E wrong number of args for trim: want 1 got 2"),
    # join SEP LIST.
    (
        '{{ join ", " .steps.chef.data.steps }}|{{ .l | join "-" }}|{{ join "," .el }}|{{ join "," .nil }}',
        "1, 2, 3|1-a-2.5-true||",
    ),
    ('{{ join "," .s }}|{{ join "," .n }}|{{ join "+" (slice .l 0 2) }}', "hello|3|1+a"),
    ('{{ join "," .m }}', "map[a:1 b:2 c:map[d:deep]]"),
    ("{{ join 1 .l }}", "E expected string; found 1"),
    ('{{ join "," }}', "E wrong number of args for join: want 2 got 1"),
    # contains SUBSTR STRING.
    (
        '{{ contains "ell" .s }}|{{ contains "x" .s }}|{{ .s | contains "he" }}|{{ contains "" .s }}',
        "true|false|true|true",
    ),
    ('{{ if contains "ok" .steps.chef.output }}passed{{ end }}|{{ contains "a" .missing }}', "passed|false"),
    ("{{ contains 1 .s }}", "E expected string; found 1"),
    ('{{ contains "a" .l }}', "E wrong type for value; expected string; got []interface {}"),
    ('{{ contains "a" }}', "E wrong number of args for contains: want 2 got 1"),
    # replace OLD NEW STRING.
    (
        '{{ replace "l" "L" .s }}|{{ .s | replace "hello" "bye" }}|{{ replace "" "-" "abc" }}|'
        '{{ replace "x" "y" .missing }}',
        "heLLo|bye|-a-b-c-|",
    ),
    ('{{ .u | replace " " "_" }}', "héllo_wörld"),
    ('{{ replace "a" "b" }}', "E wrong number of args for replace: want 3 got 2"),
    ('{{ replace "a" "b" .n }}', "E wrong type for value; expected string; got float64"),
    # quote VALUE...: Go-quoted strings, nil skipped.
    (
        '{{ quote "a" }}|{{ quote "a\\"b" 1 .nil true }}|{{ .l | quote }}|{{ quote }}',
        '"a"|"a\\"b" "1" "true"|"[1 a <nil> 2.5 true]"|',
    ),
    ('{{ quote .u "tab\\there" }}', '"héllo wörld" "tab\\there"'),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_helper(src: str, expected: str, data: dict[str, Any]) -> None:
    assert run(src, data) == expected


def test_int_out_of_int64_range_is_zero() -> None:
    assert (
        render('{{ int "9223372036854775808" }}|{{ int "-9223372036854775808" }}', {})
        == "0|-9223372036854775808"
    )


def test_int_of_python_values() -> None:
    assert (
        render("{{ int .a }}|{{ int .b }}|{{ int .c }}", {"a": 5, "b": float("nan"), "c": float("inf")})
        == "5|0|0"
    )


def test_to_json_of_unencodable_values() -> None:
    assert render("[{{ toJson .v }}]", {"v": float("nan")}) == "[]"
    assert render("{{ toJson .v }}", {"v": {1: (1, 2)}}) == '{"1":[1,2]}'
    assert render("{{ toJson .v }}", {"v": -0.0}) == "-0"
