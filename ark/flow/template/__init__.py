"""Go ``text/template`` for ark templates (step ``inputs``, ``if``, ``loop.condition``, team
``output``, ArkEvent ``targets[].input``), evaluated over plain Python data.

Usage::

    from ark.flow.template import parse, render, is_truthy

    t = parse("{{ .input.dish | upper }}")       # TemplateSyntaxError on bad syntax
    t.render({"input": {"dish": "soup"}})        # "SOUP"; TemplateExecError on failure
    t.references()                               # {("input", "dish")}
    is_truthy(render("{{ gt (len .steps.chef.data.steps) 2 }}", ctx))

Language (Go's, faithfully): text and ``{{ }}`` actions; trim markers ``{{- `` and `` -}}``;
comments ``{{/* */}}``; ``.``, fields and chains (``.steps.chef.data.steps``,
``(index .x 0).name``, ``$``, ``$x.field``); variables (``$x := ...``, ``$x = ...``,
``range $i, $e := ...``) scoped to the enclosing control structure; pipelines with ``|``
(the piped value is the last argument) and parentheses; string (interpreted and raw),
character, number (decimal, hex, octal, binary, float) and ``true``/``false``/``nil``
literals; ``if``/``else if``/``else``; ``with``/``else with``/``else``; ``range`` over lists,
maps (sorted keys) and integers (Go 1.22) with ``else``, ``break`` and ``continue``.
``define``, ``template`` and ``block`` are not supported (a syntax error says so), nor are
complex numbers or custom delimiters.

Data kinds: ``None`` is nil, ``bool``, ``int``, ``float`` (float64: JSON numbers, so
``.steps.X.data`` numbers need ``int`` before ``printf "%d"``; a float prints like Go,
``3`` for 3.0 and ``1e+06`` for 1000000.0), ``str``, lists and mappings.

Functions (§18 #3). Go built-ins: ``and or not len index slice print printf println html
js urlquery eq ne lt le gt ge`` (``call`` is omitted: data holds no functions).
``and``/``or`` short-circuit and return the deciding argument; ``eq`` takes several
operands (``eq .x "a" "b"``); ``len`` of a string counts UTF-8 bytes, as Go does.
Helpers, Sprig-compatible, arguments in this order (a piped value is the last one)::

    int VALUE                 3.7 -> 3, "3" -> 3, "0x1f" -> 31, true -> 1; unparsable -> 0
    float VALUE               "2.5" -> 2.5, 3 -> 3.0; unparsable -> 0 (Sprig's float64)
    toJson VALUE              Go's json.Marshal: compact, sorted keys, <>& escaped; "" if it fails
    fromJson STRING           parsed JSON (numbers are floats); nil when invalid
    default DEFAULT VALUE     VALUE unless it is empty/false/zero/nil: {{ .x | default "n/a" }}
    upper STRING, lower STRING, trim STRING     (trim = strings.TrimSpace)
    join SEP LIST             {{ .tags | join ", " }}; nil items skipped; a non-list is stringified
    contains SUBSTR STRING    {{ if contains "error" .steps.a.output }}
    replace OLD NEW STRING    {{ .x | replace "\\n" " " }} (all occurrences)
    quote VALUE...            each non-nil value as a Go double-quoted string, space-separated

Deliberate differences from Go (all follow §18 #3 "a missing map key renders as the empty
string and is falsy", or avoid errors Go would raise on JSON data):

* A missing key, a field of nil, and nil itself print as "" (Go: ``<no value>``); an explicit
  JSON ``null`` behaves like a missing key (Go: "nil pointer evaluating" when dotted into).
* ``print``/``println`` and ``printf`` ``%v``/``%s`` print a nil argument as "" (Go:
  ``<nil>``/``%!s(<nil>)``); nil inside a list or map still prints ``<nil>``.
* Where a function wants a string (``printf``'s format, ``upper``, ``join``'s separator...)
  nil is accepted as ""; ``eq``/``ne``/``lt``... compare nil with a string as ""; ``len nil``
  is 0 (Go: errors).
* ``eq``/``lt``/... compare an int with a float numerically (Go: "incompatible types for
  comparison"), so ``gt .steps.critic.data.score 7`` works on JSON numbers.
* Positions are 1-based line:column in characters of the offending token (Go: parse errors
  give only the line, sometimes of a look-ahead token; exec errors a 0-based byte column of
  the last field). An exec error points at the start of the failing expression. Messages:
  ``template: 1:16: unexpected "}" in operand``,
  ``template: 1:4: at <.input.dish.x>: can't evaluate field x in type string``; a template
  name other than the default ``"template"`` is inserted: ``template: NAME:1:16: ...``.
  Type names in messages are the value's own (``string``), not ``interface {}``, and
  ``index`` of a string yields an int (Go: uint8).
* Python strings hold text, not bytes: ``"\\xff"`` escapes and byte-wise ``slice`` of a
  string that split a UTF-8 sequence give U+FFFD where Go keeps the raw byte.
* Nesting of parentheses and control structures is limited to 100 levels.

``upper``/``lower`` map rune by rune like Go (``ß`` stays ``ß``); ``trim`` removes what Go's
``unicode.IsSpace`` calls space.

``Template.references()`` lists field chains rooted at the top-level dot (``.input.dish`` ->
``("input", "dish")``; ``index .steps.chef.data "x"`` -> ``("steps", "chef", "data")``;
``$.x.y`` -> ``("x", "y")``). Chains in ``with``/``range`` bodies (dot changed) and chains
through user variables are left out. ``is_truthy`` is the condition rule of §4.2 applied to
rendered text.
"""

from .errors import TemplateError, TemplateExecError, TemplateSyntaxError
from .template import Template, is_truthy, parse, render

__all__ = [
    "Template",
    "TemplateError",
    "TemplateExecError",
    "TemplateSyntaxError",
    "is_truthy",
    "parse",
    "render",
]
