"""Go's built-in functions with good and bad arguments. "E ..." rows expect a TemplateExecError
with that message. Expected values are Go 1.26's; ``DIFFERS`` rows are our deliberate changes."""

from __future__ import annotations

from typing import Any

import pytest

from ark.flow.template import TemplateExecError, render

CASES = [
    # and / or / not: short-circuit, return the deciding value.
    ('{{ and 1 0 "x" }}|{{ and 1 2 }}|{{ and "" 1 }}|{{ and .s .n }}', "0|2||3"),
    ('{{ or 0 "" "x" }}|{{ or 0 "" }}|{{ or .nil .s }}|{{ or .l .n }}', "x||hello|[1 a <nil> 2.5 true]"),
    ("{{ and .nil .undefined.x }}|{{ or 1 (index .nil 1) }}|{{ and 0 (index .nil 1) }}", "|1|0"),
    ("{{ 0 | and 1 }}|{{ 2 | and 1 }}|{{ 0 | or 1 }}|{{ 0 | or 0 }}", "0|2|1|0"),
    (
        "{{ not 0 }}|{{ not .s }}|{{ not .el }}|{{ not .missing }}|{{ .t | not }}",
        "true|false|true|true|false",
    ),
    ("{{ and }}", "E wrong number of args for and: want at least 1 got 0"),
    ("{{ not }}", "E wrong number of args for not: want 1 got 0"),
    ("{{ not 1 2 }}", "E wrong number of args for not: want 1 got 2"),
    ("{{ 1 | not 2 }}", "E wrong number of args for not: want 1 got 2"),
    # eq / ne / lt / le / gt / ge.
    (
        '{{ eq 1 1 }}|{{ eq "a" "b" "a" }}|{{ eq "a" "b" "c" }}|{{ ne 1 2 }}|{{ ne "a" "a" }}',
        "true|true|false|true|false",
    ),
    (
        '{{ lt 1 2 }}|{{ le 2 2 }}|{{ gt "b" "a" }}|{{ ge 1.5 1.5 }}|{{ lt "B" "a" }}',
        "true|true|true|true|true",
    ),
    ("{{ gt 1 2 }}|{{ le 3 2 }}|{{ ge 1 2 }}|{{ lt 2.5 .f }}", "false|false|false|false"),
    ('{{ eq .t true }}|{{ eq .s "hello" }}|{{ eq .input.dish "soup" "stew" }}', "true|true|true"),
    ("{{ eq .nil .nil }}|{{ eq .l .nil }}|{{ eq .nil 1 }}|{{ eq .missing .nil }}", "true|false|false|true"),
    ("{{ eq 1 }}", "E error calling eq: missing argument for comparison"),
    ('{{ eq "a" 1 }}', "E error calling eq: incompatible types for comparison: string and int"),
    ("{{ eq 1 true }}", "E error calling eq: incompatible types for comparison: int and bool"),
    ("{{ eq .s .l }}", "E error calling eq: incompatible types for comparison: string and []interface {}"),
    (
        "{{ eq .m .l }}",
        "E error calling eq: non-comparable types map[a:%!s(float64=1) b:%!s(float64=2) "
        "c:map[d:deep]]: map[string]interface {}, []interface {}: [1 a <nil> 2.5 true]",
    ),
    ("{{ eq .el .el }}", "E error calling eq: non-comparable type []: []interface {}"),
    ("{{ ne 1 }}", "E wrong number of args for ne: want 2 got 1"),
    ("{{ lt true false }}", "E error calling lt: invalid type for comparison"),
    ("{{ lt .l 1 }}", "E error calling lt: invalid type for comparison"),
    ("{{ lt .missing 1 }}", "E error calling lt: invalid type for comparison"),
    ('{{ lt "a" 1 }}', "E error calling lt: incompatible types for comparison: string and int"),
    ('{{ gt 1 "a" }}', "E error calling gt: incompatible types for comparison: int and string"),
    ("{{ ge .m .m }}", "E error calling ge: invalid type for comparison"),
    ("{{ le 1 2 3 }}", "E wrong number of args for le: want 2 got 3"),
    # len: bytes of a string, items of a list or map.
    ('{{ len .s }}|{{ len .u }}|{{ len .l }}|{{ len .m }}|{{ len .el }}|{{ len "" }}', "5|13|5|3|0|0"),
    ("{{ len 3 }}", "E error calling len: len of type int"),
    ("{{ len .f }}", "E error calling len: len of type float64"),
    ("{{ len true }}", "E error calling len: len of type bool"),
    ("{{ len }}", "E wrong number of args for len: want 1 got 0"),
    # index.
    ('{{ index .l 1 }}|{{ index .m "a" }}|{{ index .m "zz" }}|{{ index .m "c" "d" }}', "a|1||deep"),
    (
        '{{ index .s 0 }}|{{ index .l }}|{{ index .steps "chef" "data" "steps" 2 }}',
        "104|[1 a <nil> 2.5 true]|3",
    ),
    ("{{ index .l 9 }}", "E error calling index: index out of range: 9"),
    ("{{ index .l -1 }}", "E error calling index: index out of range: -1"),
    ('{{ index .l "x" }}', "E error calling index: cannot index slice/array with type string"),
    ("{{ index .l 1.0 }}", "E error calling index: cannot index slice/array with type float64"),
    ("{{ index .l .n }}", "E error calling index: cannot index slice/array with type float64"),
    ("{{ index .l nil }}", "E error calling index: cannot index slice/array with nil"),
    ("{{ index .m 1 }}", "E error calling index: value has type int; should be string"),
    ("{{ index .m nil }}", "E error calling index: value is nil; should be of type string"),
    ("{{ index .nil 1 }}", "E error calling index: index of untyped nil"),
    ("{{ index .n 1 }}", "E error calling index: can't index item of type float64"),
    ('{{ index .m "zz" "y" }}', "E error calling index: index of nil pointer"),
    ("{{ index }}", "E wrong number of args for index: want at least 1 got 0"),
    # slice.
    (
        "{{ slice .l 1 3 }}|{{ slice .s 1 3 }}|{{ slice .l 2 }}|{{ slice .l }}|{{ slice .l 1 2 3 }}",
        "[a <nil>]|el|[<nil> 2.5 true]|[1 a <nil> 2.5 true]|[a]",
    ),
    ("{{ slice .l 3 1 }}", "E error calling slice: invalid slice index: 3 > 1"),
    ("{{ slice .l 1 3 2 }}", "E error calling slice: invalid slice index: 3 > 2"),
    ("{{ slice .l 9 }}", "E error calling slice: index out of range: 9"),
    ("{{ slice .s 1 2 3 }}", "E error calling slice: cannot 3-index slice a string"),
    ("{{ slice .l 1 2 3 4 }}", "E error calling slice: too many slice indexes: 4"),
    ("{{ slice .n 1 }}", "E error calling slice: can't slice item of type float64"),
    ("{{ slice .nil }}", "E error calling slice: slice of untyped nil"),
    # print / println / printf.
    (
        '{{ print 1 2 "a" "b" 3 }}|{{ print }}|{{ print .l }}|{{ print 1.5 true }}',
        "1 2ab3||[1 a <nil> 2.5 true]|1.5 true",
    ),
    ('{{ println 1 "a" }}|{{ println }}', "1 a\n|\n"),
    ('{{ printf "%s-%d-%v" "a" 42 .l }}|{{ "x" | printf "%s" }}', "a-42-[1 a <nil> 2.5 true]|x"),
    ("{{ printf }}", "E wrong number of args for printf: want at least 1 got 0"),
    ("{{ printf 1 }}", "E expected string; found 1"),
    ("{{ 1 | printf }}", "E wrong type for value; expected string; got int"),
    ("{{ printf .f }}", "E wrong type for value; expected string; got float64"),
    # html / js / urlquery.
    (
        '{{ html "<a href=\'x\'>&\\"" }}|{{ html 1 2 }}|{{ html .s }}',
        "&lt;a href=&#39;x&#39;&gt;&amp;&#34;|1 2|hello",
    ),
    (
        '{{ js "a\'b\\"c<>&=\\\\" }}|{{ js "\\t\\u00e9\\u2028" }}',
        "a\\'b\\\"c\\u003C\\u003E\\u0026\\u003D\\\\|\\u0009é\\u2028",
    ),
    ('{{ urlquery "a b&c=d/é~" }}|{{ urlquery 1 "x" }}', "a+b%26c%3Dd%2F%C3%A9~|1x"),
]

DIFFERS = [
    # Go: errors / "<nil>"; ours: nil acts as the empty string (missing-key rule).
    ("{{ len .missing }}|{{ len .nil }}", "0|0"),
    ('{{ eq .missing "" }}|{{ ne .input.missing "" }}|{{ lt .missing "a" }}', "true|false|true"),
    ('{{ printf .missing }}|{{ print .nil "x" }}', "|x"),
    # Go: "incompatible types for comparison: float64 and int"; ours: numbers compare.
    (
        "{{ eq .n 3 }}|{{ gt .steps.chef.data.score 7 }}|{{ lt 2 .f }}|{{ le 3 .n }}|{{ ge .n 4 }}",
        "true|true|true|true|false",
    ),
    ("{{ eq 3 .n 4.0 }}|{{ ne .z 0 }}", "true|false"),
    # Go: "reflect: slice index out of range" when the index equals the length.
    ("{{ index .l 5 }}", "E error calling index: index out of range: 5"),
]


def run(src: str, data: dict[str, Any]) -> str:
    try:
        return render(src, data)
    except TemplateExecError as e:
        return "E " + e.message


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_builtin_like_go(src: str, expected: str, data: dict[str, Any]) -> None:
    assert run(src, data) == expected


@pytest.mark.parametrize(("src", "expected"), DIFFERS)
def test_builtin_deliberate_differences(src: str, expected: str, data: dict[str, Any]) -> None:
    assert run(src, data) == expected


def test_and_or_do_not_evaluate_past_the_deciding_argument() -> None:
    # index of nil would fail; it is never evaluated.
    assert render("{{ and .a (index .nil 0) }}{{ or .b (index .nil 0) }}", {"a": 0, "b": "x"}) == "0x"


def test_python_ints_and_bools_are_distinct() -> None:
    assert (
        render("{{ eq .a 1 }}|{{ eq .b true }}|{{ len .l }}", {"a": 1, "b": True, "l": [True]})
        == "true|true|1"
    )
    assert (
        run("{{ eq .b 1 }}", {"b": True})
        == "E error calling eq: incompatible types for comparison: bool and int"
    )
    assert run("{{ index .l .b }}", {"l": [1], "b": True}) == (
        "E error calling index: cannot index slice/array with type bool"
    )


def test_index_with_non_string_keys() -> None:
    assert render("{{ index .m 1 }}", {"m": {1: "one"}}) == "one"


def test_slice_of_unicode_string_counts_bytes() -> None:
    assert render("{{ slice .s 0 3 }}|{{ slice .s 3 }}", {"s": "héllo"}) == "hé|llo"
    # Go would produce the raw byte; a Python str cannot hold it, so it is replaced.
    assert render("{{ slice .s 0 2 }}", {"s": "héllo"}) == "h\ufffd"
