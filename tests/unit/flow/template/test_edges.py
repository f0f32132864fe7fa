"""Corner cases of the lexer, parser, executor and formatter (expected values are Go's unless noted)."""

from __future__ import annotations

import enum
import types
from typing import Any

import pytest

from ark.flow.template import TemplateExecError, TemplateSyntaxError, parse, render
from ark.flow.template.strconv import UnquoteError, unquote, unquote_char_literal
from ark.flow.template.values import MISSING, truth, type_name


def run(src: str, data: dict[str, Any] | None = None) -> str:
    try:
        return render(src, data or {})
    except TemplateExecError as e:
        return "E " + e.message


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        (
            '{{ printf "%.3x|%.0x|%x|%x|%.6U|%c|%F|%#e|%#.3g|%#x|%.1x|%5x|%-8x|%8x|" '
            '3.5 1.5 0.0 5e-324 65 -1 1.5 1.0 1e10 1.0 "hi" "" "hi" "hi" }}',
            "0x1.c00p+01|0x1p+01|0x0p+00|0x1p-1074|U+000041|\ufffd|1.500000|1.000000e+00|1.00e+10|"
            "0x1.0000p+00|68|     |6869    |    6869|",
        ),
        (
            '{{ printf "%*d|%[2]5d|%q|%q|%#q|%+q|%x" -3 5 "\\x01\\x7f" "\\U000e0001" "\\ufeff" "☃" 1e-320 }}',
            '5  |%!d(BADINDEX)|\'\\x05\'|"\\x01\\x7f"|`\U000e0001`|"\\ufeff"|e29883',
        ),
        (
            '{{ printf "%#g|%#.0e|%.*d|%.d|%[1|%[99]d|%[1].2d|%*d" 0.0 1.0 -1 5 7 }}',
            "0.00000|1.e+00|%!(BADPREC)5|7|%!d(BADINDEX)|%!d(BADINDEX)|%!(BADWIDTH)%!d(float64=1)",
        ),
        ('{{ printf "%*d" }}|{{ printf "%[2]*[1]d|%[1]*d" 5 3 }}', "%!(BADWIDTH)%!d(MISSING)|  5|    3"),
        (
            '{{ printf "%-+ #05x|%+q|%#U|%#o|%x" 10 "é\u2028" 0x1F600 0 -1.5 }}',
            "+0xa |\"\\u00e9\\u2028\"|U+1F600 '😀'|0|-0x1.8p+00",
        ),
        ("{{ 1  -}}  x", "1x"),
        ('{{ len print }}|{{ printf "%q" print }}', '0|""'),
        ("{{ nil 1 }}", "E can't give argument to non-function nil"),
        ("{{ printf 1 (index .nil 0) }}", "E expected string; found 1"),
        ("{{ index .m .l }}", "E error calling index: value has type []interface {}; should be string"),
        ('{{ index "ab" 2 }}', "E error calling index: index out of range: 2"),
        ('{{ float "0x10" }}|{{ float "0x1p4" }}', "0|16"),
        ('{{ eq "" .missing }}|{{ ne "x" .missing }}', "true|true"),
        ("{{ $x := .m }}{{ $x.a 1 }}", "E a is not a method but has arguments"),
        ("{{ $x := .s }}{{ $x.y 1 }}", "E can't evaluate field y in type string"),
        ("{{ $x := .nil }}{{ $x.y 1 }}", ""),
        ("{{ (.m).a 1 }}", "E a is not a method but has arguments"),
        ("{{ (.s).a 1 }}", "E can't evaluate field a in type string"),
    ],
)
def test_corner_cases(src: str, expected: str) -> None:
    assert run(src, {"m": {"a": 1}, "l": [1], "s": "str", "nil": None}) == expected


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("{{ $x¡ }}", "bad character U+00A1 '¡'"),
        ("{{ \x01 }}", "unrecognized character in action: U+0001"),
        ('{{ "a\n" }}', "unterminated quoted string"),
        ("{{ 1+2 }}", 'bad number syntax: "1+2"'),
        ("{{ print¡ }}", "bad character U+00A1 '¡'"),
        ("{{ 3", "unclosed action"),
        ("{{ if 1 }}{{ end x }}", 'unexpected "x" in end'),
        ("{{ if 1 }}{{ else x }}{{ end }}", 'unexpected "x" in else'),
    ],
)
def test_more_syntax_errors(src: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse(src)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ('"plain"', "plain"),
        ('"\\a\\b\\f\\n\\r\\t\\v\\\\\\""', '\a\b\f\n\r\t\v\\"'),
        ('"\\x41\\101\\u00e9\\U0001F600"', "AAé😀"),
        ('"\\xc3\\xa9"', "é"),  # bytes that form UTF-8
        ('"\\xff"', "\ufffd"),  # Go keeps the raw byte; a Python str cannot
        ("`raw \\n \r\nline`", "raw \\n \nline"),
    ],
)
def test_unquote(literal: str, value: str) -> None:
    assert unquote(literal) == value


@pytest.mark.parametrize(
    "literal",
    [
        '"\\q"',
        '"\\x4"',
        '"\\xZZ"',
        '"\\u12"',
        '"\\400"',
        '"\\08"',
        '"\\ud800"',
        '"\\U00110000"',
        "'x'",
        '"a"b"',
        "`a`b`",
    ],
)
def test_unquote_rejects(literal: str) -> None:
    with pytest.raises(UnquoteError):
        unquote(literal)


@pytest.mark.parametrize(("literal", "value"), [("'a'", 97), ("'\\''", 39), ("'\\x41'", 65), ("'é'", 233)])
def test_char_literals(literal: str, value: int) -> None:
    assert unquote_char_literal(literal) == value


@pytest.mark.parametrize("literal", ["''", "'ab'", "'\\q'", "'\\\"'"])
def test_char_literals_rejected(literal: str) -> None:
    with pytest.raises(UnquoteError):
        unquote_char_literal(literal)


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    """A str subclass whose str() is not its value."""

    def __str__(self) -> str:
        return "Name(...)"


def test_subclasses_of_basic_kinds() -> None:
    ctx = {"level": Level.HIGH, "name": Name("bob"), "color": Color.RED, "flag": types.SimpleNamespace()}
    assert run('{{ eq .level 3 }}|{{ gt .level 2.5 }}|{{ printf "%d" .level }}', ctx) == "true|true|3"
    assert run('{{ eq .name "bob" }}|{{ upper .name }}|{{ len .name }}', ctx) == "true|BOB|3"
    assert run('{{ printf "%d" .color }}', ctx) == "%!d(Color=Color.RED)"
    assert run("{{ if .flag }}yes{{ end }}|{{ toJson .color }}", ctx) == 'yes|"Color.RED"'
    assert run("{{ eq .color .color }}", ctx) == "true"
    assert type_name(Level.HIGH) == "int"
    assert type_name(Name("bob")) == "string"
    assert run('{{ .name }}|{{ printf "%s" .name }}|{{ print .name }}', ctx) == "bob|bob|bob"
    assert type_name(True) == "bool"


def test_truth_of_other_mappings_and_numbers() -> None:
    assert truth(types.MappingProxyType({})) is False
    assert truth(types.MappingProxyType({"a": 1})) is True
    assert truth(Level.HIGH) is True
    assert repr(MISSING) == "MISSING"


def test_template_repr() -> None:
    assert repr(parse("{{ .a }}", "n")) == "Template(name='n', source='{{ .a }}')"
