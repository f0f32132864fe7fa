"""printf: Go's fmt verbs, flags, widths, precisions and error forms (expected outputs are Go's)."""

from __future__ import annotations

from typing import Any

import pytest

from ark.flow.template import render

CASES = [
    # The verbs users write.
    (
        '{{ printf "%s|%d|%v|%q|%f|%.2f|%x|%5d|%-5s|%%" "a" 42 .l "q" 3.14159 2.5 255 7 "ab" }}',
        'a|42|[1 a <nil> 2.5 true]|"q"|3.141590|2.50|ff|    7|ab   |%',
    ),
    ('{{ printf "%d %d" (int .n) (int .steps.chef.data.score) }}', "3 7"),
    ('{{ printf "%.1f%%" .steps.chef.data.score }}', "7.5%"),
    ('{{ printf "%v|%v|%v|%v" .n .f .big .small }}', "3|2.5|1e+06|1e-05"),
    (
        '{{ printf "%s" .input.dish }}|{{ printf "Dish: %v, diet: %v" .input.dish .input.diet }}',
        "soup|Dish: soup, diet: vegan",
    ),
    # Integers.
    (
        '{{ printf "%d|%+d|% d|%05d|%-5d|%x|%X|%#x|%o|%#o|%O|%b|%#b" 5 5 5 -42 5 255 255 255 8 8 8 5 5 }}',
        "5|+5| 5|-0042|5    |ff|FF|0xff|10|010|0o10|101|0b101",
    ),
    (
        '{{ printf "%.3d|%8.3d|%-8.3d|%.0d|%c|%q|%U|%#U" 7 7 7 0 9731 9731 9731 128512 }}',
        "007|     007|007     ||☃|'☃'|U+2603|U+1F600 '😀'",
    ),
    ('{{ printf "%x|%X|%#08x" -255 -255 255 }}', "-ff|-FF|0x000000ff"),
    # Floats.
    (
        '{{ printf "%e|%E|%.3e|%g|%G|%.3g|%.10g" '
        "123456.789 123456.789 0.000123 0.000012345 1e21 1.0 1234567.0 }}",
        "1.234568e+05|1.234568E+05|1.230e-04|1.2345e-05|1E+21|1|1234567",
    ),
    (
        '{{ printf "%.0f|%.0f|%.2f|%#g|%x|%X|%b" 2.5 3.5 0.125 1.0 1.0 -3.5 1.0 }}',
        "2|4|0.12|1.00000|0x1p+00|-0X1.CP+01|4503599627370496p-52",
    ),
    (
        '{{ printf "%08.3f|%-8.2f|%+.1f|% .1f|%8.2f" -3.14159 2.5 2.0 2.0 3.14159 }}',
        "-003.142|2.50    |+2.0| 2.0|    3.14",
    ),
    ('{{ printf "%v|%v|%v|%.2f" 100000.0 1000000.0 0.0001 .n }}', "100000|1e+06|0.0001|3.00"),
    # Strings.
    ('{{ printf "%5s|%-5s|%.2s|%5.1s|%05s" "abc" "abc" "abc" "abc" "ab" }}', "  abc|abc  |ab|    a|000ab"),
    (
        '{{ printf "%q|%+q|%#q|%#q|%.1q" "a\\tb" "héllo" "raw" "a`b" "xyz" }}',
        '"a\\tb"|"h\\u00e9llo"|`raw`|"a`b"|"x"',
    ),
    ('{{ printf "%x|% x|%#x|%X|% #x" "hi" "hi" "hi" "hi" "hi" }}', "6869|68 69|0x6869|6869|0x68 0x69"),
    ('{{ printf "%s|%v|%x" .u .u .u }}', "héllo wörld|héllo wörld|68c3a96c6c6f2077c3b6726c64"),
    # Bools, lists, maps, types.
    ('{{ printf "%t|%v|%5t|%-6v|" true false true false }}', "true|false| true|false |"),
    (
        '{{ printf "%v|%d|%s" .l .steps.chef.data.steps .m }}',
        "[1 a <nil> 2.5 true]|[%!d(float64=1) %!d(float64=2) %!d(float64=3)]|map[a:%!s(float64=1) "
        "b:%!s(float64=2) c:map[d:deep]]",
    ),
    (
        '{{ printf "%#v|%#v|%#v" .l .m "s" }}',
        '[]interface {}{1, "a", interface {}(nil), 2.5, true}|map[string]interface {}{"a":1, "b":2, '
        '"c":map[string]interface {}{"d":"deep"}}|"s"',
    ),
    (
        '{{ printf "%T %T %T %T %T %T" 1 1.5 "s" true .l .m }}',
        "int float64 string bool []interface {} map[string]interface {}",
    ),
    # Argument indexes and star widths.
    ('{{ printf "%[2]d %[1]d|%[3]d|%[x]d" 1 2 5 }}', "2 1|5|%!d(BADINDEX)"),
    ('{{ printf "%*d|%-*d|%.*f" 3 4 3 4 2 3.14159 }}', "  4|4  |3.14"),
    ('{{ printf "%*d" "a" 7 }}', "%!(BADWIDTH)7"),
    ('{{ printf "%.*f" "a" 7.0 }}', "%!(BADPREC)7.000000"),
    # Mismatches, in Go's forms.
    (
        '{{ printf "%d" "x" }}|{{ printf "%s" 3 }}|{{ printf "%5d" "x" }}|{{ printf "%.2f" .input.dish }}',
        "%!d(string=x)|%!s(int=3)|%!d(string=    x)|%!f(string=so)",
    ),
    (
        '{{ printf "%d" true }}|{{ printf "%t" 1 }}|{{ printf "%d" 2.5 }}|{{ printf "%z" 1 }}',
        "%!d(bool=true)|%!t(int=1)|%!d(float64=2.5)|%!z(int=1)",
    ),
    (
        '{{ printf "%d %d" 1 }}|{{ printf "%!" }}|{{ printf "%" }}|{{ printf "100%" }}',
        "1 %!d(MISSING)|%!!(MISSING)|%!(NOVERB)|100%!(NOVERB)",
    ),
    (
        '{{ printf "%d" 1 2 "x" nil }}|{{ printf "x" 1 }}',
        "1%!(EXTRA int=2, string=x, <nil>)|x%!(EXTRA int=1)",
    ),
    ('{{ printf "%d" nil }}|{{ printf "%T" nil }}|{{ printf "%w" 1 }}', "%!d(<nil>)|<nil>|%!w(int=1)"),
    ('{{ printf "no verbs" }}|{{ printf "%%d" }}', "no verbs|%d"),
]

# Go prints a nil argument as <nil> / %!s(<nil>); ours prints it as the empty string.
DIFFERS = [
    ('{{ printf "[%v][%s][%5s]" .missing .nil .missing }}', "[][][     ]"),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_printf_like_go(src: str, expected: str, data: dict[str, Any]) -> None:
    assert render(src, data) == expected


@pytest.mark.parametrize(("src", "expected"), DIFFERS)
def test_printf_nil_is_empty(src: str, expected: str, data: dict[str, Any]) -> None:
    assert render(src, data) == expected


@pytest.mark.parametrize(
    ("value", "spec", "expected"),
    [
        (float("inf"), "%f", "+Inf"),
        (float("-inf"), "%08.2f", "    -Inf"),
        (float("nan"), "%+f", "+NaN"),
        (float("nan"), "%+v", "NaN"),
        (float("nan"), "%5.1f", "  NaN"),
        (-0.0, "%v", "-0"),
        (1e100, "%v", "1e+100"),
        (5e-324, "%v", "5e-324"),
        (123.456, "%#.0f", "123."),
        (10**20, "%d", "100000000000000000000"),
    ],
)
def test_float_and_int_edges(value: Any, spec: str, expected: str) -> None:
    assert render('{{ printf "' + spec + '" .v }}', {"v": value}) == expected
