"""Property: on any JSON-like data every function either renders or raises TemplateExecError."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ark.flow.template import TemplateExecError, parse

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-100, max_value=100),  # small: range over an int iterates that often
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=10,
)

_TEMPLATES = [
    parse(src)
    for src in (
        "{{ .a }}{{ .b }}{{ .a.x.y }}{{ .b.x }}",
        "{{ eq .a .b }}{{ ne .a .b }}{{ lt .a .b }}{{ le .a .b }}{{ gt .a .b }}{{ ge .a .b }}",
        "{{ eq .a .b .a }}{{ and .a .b }}{{ or .a .b }}{{ not .a }}",
        '{{ len .a }}{{ index .a .b }}{{ index .a 0 }}{{ index .a "k" }}{{ slice .a 1 }}{{ slice .a .b }}',
        "{{ print .a .b }}{{ println .a }}"
        '{{ printf "%v %d %s %q %x %5.2f %T %c %U %e %t" .a .a .a .a .a .a .a .a .a .a .a }}',
        "{{ printf .a .b }}{{ html .a }}{{ js .a .b }}{{ urlquery .a }}",
        "{{ int .a }}{{ float .a }}{{ toJson .a }}{{ fromJson .a }}{{ default .a .b }}{{ quote .a .b }}",
        "{{ upper .a }}{{ lower .a }}{{ trim .a }}{{ join .a .b }}{{ contains .a .b }}{{ replace .a .b .a }}",
        "{{ range .a }}{{ . }}{{ end }}{{ range $k, $v := .b }}{{ $k }}{{ $v }}{{ else }}-{{ end }}",
        '{{ with .a }}{{ .x }}{{ end }}{{ if .b }}{{ .b }}{{ end }}{{ .a | printf "%v" | len }}',
    )
]


@settings(max_examples=40, deadline=None)
@given(a=_values, b=_values)
def test_render_returns_text_or_raises_exec_error(a: Any, b: Any) -> None:
    for t in _TEMPLATES:
        error: TemplateExecError | None = None
        try:
            out = t.render({"a": a, "b": b})
        except TemplateExecError as e:
            error = e
        if error is None:
            assert isinstance(out, str)
        else:
            assert error.message
            assert error.line == 1
