"""Control structures and variables: if, with, range (list, map, int, empty, nil), break,
continue, declarations, assignments and scoping. Expected outputs are Go's."""

from __future__ import annotations

from typing import Any

import pytest

from ark.flow.template import render

CASES = [
    # if / else if / else, with Go truthiness.
    ("{{ if .s }}yes{{ end }}|{{ if .e }}no{{ else }}else{{ end }}", "yes|else"),
    ("{{ if .z }}x{{ else if .n }}n{{ end }}", "n"),
    ("{{ if .el }}a{{ else if .em }}b{{ else if .nil }}c{{ else }}d{{ end }}", "d"),
    ("{{ if .fa }}a{{ else if .t }}b{{ else }}c{{ end }}", "b"),
    ("{{ if .missing }}a{{ else }}missing is falsy{{ end }}", "missing is falsy"),
    ("{{ if .l }}list{{ end }}{{ if .m }}map{{ end }}{{ if .f }}float{{ end }}", "listmapfloat"),
    ("{{ if 0.0 }}a{{ else }}zero float{{ end }}|{{ if -1 }}neg{{ end }}", "zero float|neg"),
    ('{{ if and .s (eq .input.dish "soup") }}both{{ end }}', "both"),
    ('{{ if eq .input.diet "vegan" "vegetarian" }}veg{{ end }}', "veg"),
    ("{{ if not .e }}empty{{ end }}", "empty"),
    # with: dot changes; else and else with keep the outer dot.
    ("{{ with .m.c }}{{ .d }}{{ end }}", "deep"),
    ("{{ with .e }}x{{ else with .s }}{{ . }}{{ end }}", "hello"),
    ("{{ with .zz }}1{{ else }}2{{ end }}", "2"),
    ("{{ with .e }}1{{ else with .z }}2{{ else }}{{ .s }}{{ end }}", "hello"),
    ("{{ with $x := .m }}{{ $x.a }}{{ .b }}{{ end }}", "12"),
    ("{{ with .steps.chef }}{{ .output }}/{{ $.input.dish }}{{ end }}", "ok/soup"),
    # range over a list, with and without variables.
    ("{{ range .l }}[{{ . }}]{{ end }}", "[1][a][][2.5][true]"),
    ("{{ range $i, $e := .l }}{{ $i }}:{{ $e }} {{ end }}", "0:1 1:a 2: 3:2.5 4:true "),
    ("{{ range $e := .steps.chef.data.steps }}{{ $e }}{{ end }}", "123"),
    # range over a map: keys in sorted order.
    ("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", "a=1;b=2;c=map[d:deep];"),
    ("{{ range .m }}{{ . }},{{ end }}", "1,2,map[d:deep],"),
    ("{{ range $k, $v := .steps }}{{ $k }}:{{ $v.output }} {{ end }}", "chef:ok critic:fine "),
    # range over empty, nil and missing runs else.
    ("{{ range .el }}x{{ else }}empty{{ end }}", "empty"),
    ("{{ range .em }}x{{ else }}emptym{{ end }}", "emptym"),
    (
        "{{ range .nil }}x{{ else }}nil{{ end }}|{{ range .missing }}x{{ else }}missing{{ end }}",
        "nil|missing",
    ),
    ("{{ range .el }}x{{ end }}done", "done"),
    # range over an int (Go 1.22+).
    ("{{ range 3 }}{{ . }}{{ end }}|{{ range $x := 2 }}{{ $x }}{{ end }}", "012|01"),
    ("{{ range 0 }}x{{ else }}zero{{ end }}|{{ range -2 }}x{{ else }}neg{{ end }}", "zero|neg"),
    # break and continue.
    (
        '{{ range .l }}{{ if eq (printf "%v" .) "a" }}{{ continue }}{{ end }}'
        '{{ if eq (printf "%v" .) "2.5" }}{{ break }}{{ end }}{{ . }},{{ end }}',
        "1,,",
    ),
    ("{{ range $i := 10 }}{{ if gt $i 2 }}{{ break }}{{ end }}{{ $i }}{{ end }}", "012"),
    ("{{ range $i, $e := .l }}{{ if lt $i 3 }}{{ continue }}{{ end }}{{ $e }}{{ end }}", "2.5true"),
    (
        "{{ range $a := 3 }}{{ range $b := 3 }}{{ if eq $b 1 }}{{ break }}{{ end }}"
        "{{ $a }}{{ $b }} {{ end }}{{ end }}",
        "00 10 20 ",
    ),
    ("{{ range .l }}{{ with . }}{{ continue }}{{ end }}nil{{ end }}", "nil"),
    # nested ranges and $.
    ("{{ range .steps.chef.data.steps }}{{ range $.el }}x{{ else }}{{ . }}{{ end }}{{ end }}", "123"),
    ("{{ range .steps.chef.data.steps }}{{ $.s }}{{ end }}", "hellohellohello"),
    # Variables: declaration, assignment, scope until the enclosing end.
    ("{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}", "12"),
    ("{{ $x := 1 }}{{ if true }}{{ $x = 3 }}{{ $y := 4 }}{{ $y }}{{ end }}{{ $x }}", "43"),
    ("{{ $x := 1 }}{{ if true }}{{ $x := 5 }}{{ $x }}{{ end }}{{ $x }}", "51"),
    ("{{ $x := .m }}{{ $x.a }}{{ $x.c.d }}{{ $x.zz }}", "1deep"),
    ("{{ $x := 0 }}{{ range .steps.chef.data.steps }}{{ $x = . }}{{ end }}{{ $x }}", "3"),
    ("{{ $i := 0 }}{{ range $i = .l }}{{ end }}{{ $i }}", "true"),
    ("{{ $i := 0 }}{{ $v := 0 }}{{ range $i, $v = .m }}{{ end }}{{ $i }}{{ $v }}", "cmap[d:deep]"),
    ("{{ range $e := .l }}{{ end }}{{ $e := 5 }}{{ $e }}", "5"),
    (
        "{{ $ }}",
        "map[big:1e+06 e: el:[] em:map[] f:2.5 fa:false input:map[diet:vegan dish:soup] "
        "l:[1 a <nil> 2.5 true] m:map[a:1 b:2 c:map[d:deep]] n:3 neg:-4.5 nil:<nil> s:hello "
        "small:1e-05 steps:map[chef:map[data:map[name:x score:7.5 steps:[1 2 3]] output:ok] "
        "critic:map[output:fine]] t:true u:héllo wörld z:0]",
    ),
    ("{{ $.s }}{{ with .m }}{{ $.s }}{{ .a }}{{ end }}", "hellohello1"),
    ("{{ $x := 1 }}{{ with $y := 2 }}{{ $x }}{{ $y }}{{ end }}", "12"),
    ("{{ ($z := 7) }} {{ $z }}", "7 7"),
    ("{{ $a := .s | len }}{{ $a }}", "5"),
]


@pytest.mark.parametrize(("src", "expected"), CASES)
def test_control_like_go(src: str, expected: str, data: dict[str, Any]) -> None:
    assert render(src, data) == expected


def test_range_body_gets_a_fresh_scope_each_iteration() -> None:
    src = "{{ range .l }}{{ $seen := . }}{{ $seen }}{{ end }}"
    assert render(src, {"l": ["a", "b"]}) == "ab"


def test_range_over_python_ints_and_floats() -> None:
    assert render("{{ range .n }}{{ . }}{{ end }}", {"n": 3}) == "012"
    assert render("{{ range $i, $k := .m }}{{ $i }}{{ end }}", {"m": {"y": 1, "x": 2}}) == "xy"


def test_variables_do_not_leak_between_renders() -> None:
    from ark.flow.template import parse

    t = parse("{{ $x := .a }}{{ range .l }}{{ $x = . }}{{ end }}{{ $x }}")
    assert t.render({"a": "A", "l": ["1", "2"]}) == "2"
    assert t.render({"a": "A", "l": []}) == "A"
