"""Parse errors: Go's messages (checked against Go 1.26 text/template), with line:col."""

from __future__ import annotations

import pytest

from ark.flow.template import TemplateSyntaxError, parse

# (source, line, col, message). Messages are Go's except where noted.
CASES = [
    ("{{ .x } }}", 1, 7, 'unexpected "}" in operand'),
    ("{{ .input.dish } }}", 1, 16, 'unexpected "}" in operand'),
    ("{{ .x }", 1, 7, 'unexpected "}" in operand'),
    ("{{ .x", 1, 6, "unclosed action"),
    ('{{ .x\n  | printf "%s"', 2, 16, "unclosed action started at 1:1"),
    ("{{ if .x }}a", 1, 13, "unexpected EOF"),
    ("{{ end }}", 1, 4, "unexpected {{end}}"),
    ("{{ else }}", 1, 4, "unexpected {{else}}"),
    ("{{ if true }}{{ end }}{{ end }}", 1, 26, "unexpected {{end}}"),
    ("{{ if .x }}a{{ else }}b{{ else }}c{{ end }}", 1, 27, "expected end; found {{else}}"),
    ("{{ nofunc .x }}", 1, 4, 'function "nofunc" not defined'),
    ("{{ float64 .x }}", 1, 4, 'function "float64" not defined'),
    ("{{ $y }}", 1, 4, 'undefined variable "$y"'),
    ("{{ if true }}{{ $y := 2 }}{{ end }}{{ $y }}", 1, 39, 'undefined variable "$y"'),
    ("{{ range $i, $e := .l }}{{ end }}{{ $e }}", 1, 37, 'undefined variable "$e"'),
    ("{{ }}", 1, 4, "missing value for command"),
    ("{{ if }}x{{ end }}", 1, 7, "missing value for if"),
    ("{{ if .x }}{{ else if }}{{ end }}", 1, 23, "missing value for if"),
    ("{{ (.x }}", 1, 8, "unclosed left paren"),
    ("{{ print (1 }}", 1, 13, "unclosed left paren"),
    ("{{ .x) }}", 1, 6, "unexpected right paren"),
    ("{{ .x # }}", 1, 7, 'unexpected "#" in operand'),
    ("{{ .x, }}", 1, 6, 'unexpected "," in operand'),
    ("{{ | .x }}", 1, 4, 'unexpected "|" in command'),
    ('{{ "abc }}', 1, 4, "unterminated quoted string"),
    ('{{ print "a" "b }}', 1, 14, "unterminated quoted string"),
    ("{{ `abc }}", 1, 4, "unterminated raw quoted string"),
    ("{{ 'a }}", 1, 4, "unterminated character constant"),
    ("{{ 3x }}", 1, 4, 'bad number syntax: "3x"'),
    ("{{ 3.x }}", 1, 4, 'bad number syntax: "3.x"'),
    ("{{ 1.2.3 }}", 1, 7, 'unexpected ".3" in operand'),
    ('{{ "a".x }}', 1, 4, 'unexpected . after term "\\"a\\""'),
    ("{{ nil.x }}", 1, 4, 'unexpected . after term "nil"'),
    ("{{ ..x }}", 1, 4, 'unexpected . after term "."'),
    ("{{ .x..y }}", 1, 6, "unexpected <.> in operand"),
    ("{{ .x | 3 }}", 1, 9, "non executable command in pipeline stage 2"),
    ('{{ .x | printf "%s" | "lit" }}', 1, 23, "non executable command in pipeline stage 3"),
    ("{{ break }}", 1, 4, "{{break}} outside {{range}}"),
    ("{{ continue }}", 1, 4, "{{continue}} outside {{range}}"),
    ("{{ range .l }}{{ else }}{{ break }}{{ end }}", 1, 28, "{{break}} outside {{range}}"),
    ("{{ range .x }}{{ break 1 }}{{ end }}", 1, 24, 'unexpected "1" in {{break}}'),
    ("{{ $a, $b := .x }}", 1, 6, "too many declarations in command"),
    ("{{ range $a, 3 := .x }}{{ end }}", 1, 12, "range can only initialize variables"),
    ("{{ range $a, $b, $c := .x }}{{ end }}", 1, 16, "too many declarations in range"),
    ("{{ range .x }}{{ else if .y }}{{ end }}", 1, 23, "unexpected <if> in input"),
    ("{{/* unclosed", 1, 3, "unclosed comment"),
    ("{{/* c */ x }}", 1, 3, "comment ends before closing delimiter"),
    ("{{ .x : 1 }}", 1, 7, "expected :="),
    ("{{ 99999999999999999999 }}", 1, 4, 'integer overflow: "99999999999999999999"'),
    ("{{ 1e400 }}", 1, 4, 'illegal number syntax: "1e400"'),
    ("{{ 0x }}", 1, 4, 'illegal number syntax: "0x"'),
    ("{{ 0x1.8 }}", 1, 4, 'illegal number syntax: "0x1.8"'),
    ("{{ 1__0 }}", 1, 4, 'illegal number syntax: "1__0"'),
    ("{{ +. }}", 1, 4, 'illegal number syntax: "+."'),
    ("{{ .x -}", 1, 7, 'illegal number syntax: "-"'),
    ("{{ ¡ }}", 1, 4, "unrecognized character in action: U+00A1 '¡'"),
    ("{{ .x¡ }}", 1, 4, "bad character U+00A1 '¡'"),
    ("a\nb {{ .x\nc", 3, 1, 'function "c" not defined'),
    ("line1\nline2 {{ if .a }}\n  {{ .b } }}\n{{ end }}", 3, 9, 'unexpected "}" in operand'),
    ("\n\n    {{ $x := }}", 3, 14, "missing value for command"),
    # Ours, not Go's: Go says only "invalid syntax" / "integer overflow" here.
    ('{{ "\\q" }}', 1, 4, 'invalid syntax in string "\\q"'),
    ("{{ '\\q' }}", 1, 4, "invalid syntax in character '\\q'"),
    ("{{ 'ab' }}", 1, 4, "malformed character constant: 'ab'"),
    ("{{ 089 }}", 1, 4, 'illegal number syntax: "089"'),
    # Not supported by this implementation.
    ('{{ define "x" }}{{ end }}', 1, 4, "{{define}} is not supported"),
    ('{{ template "x" }}', 1, 4, "{{template}} is not supported"),
    ('{{ block "x" . }}{{ end }}', 1, 4, "{{block}} is not supported"),
    ("{{ 1+2i }}", 1, 4, 'complex numbers are not supported: "1+2i"'),
    ("{{ 2i }}", 1, 4, 'complex numbers are not supported: "2i"'),
]


@pytest.mark.parametrize(("src", "line", "col", "message"), CASES)
def test_syntax_error(src: str, line: int, col: int, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse(src)
    err = info.value
    assert (err.message, err.line, err.col) == (message, line, col)
    assert str(err) == f"template: {line}:{col}: {message}"


def test_parse_errors_come_in_source_order() -> None:
    # The lexical error near the end is not reported before the earlier parse error.
    with pytest.raises(TemplateSyntaxError) as info:
        parse('{{ nofunc }} {{ "unterminated }}')
    assert info.value.message == 'function "nofunc" not defined'


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        parse("{{ " + "(" * 150 + "1" + ")" * 150 + " }}")
    assert info.value.message == "max expression depth exceeded"
    with pytest.raises(TemplateSyntaxError) as info:
        parse("{{ if 1 }}" * 150 + "{{ end }}" * 150)
    assert info.value.message == "max nesting depth exceeded"
    assert parse("{{ " + "(" * 50 + "1" + ")" * 50 + " }}").render({}) == "1"


@pytest.mark.parametrize(
    "src",
    [
        "{{ .x | }}",  # Go accepts a trailing pipe.
        "{{ with .x }}{{ else with .y }}{{ end }}",
        "{{ . .x }}",
        "{{ $x = 1 }}",  # assignment to an undeclared variable fails at render time, as in Go
        '{{ printf "%s" .x\n}}',
        "{{- /* spaced comment */ -}}",
        "{{-3}}",
    ],
)
def test_accepted_by_go_parses(src: str) -> None:
    parse(src)
