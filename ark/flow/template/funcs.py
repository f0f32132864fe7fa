"""The function set of §18 #3: Go's built-ins plus Sprig-compatible helpers.

Every function takes its already-evaluated arguments as a list (a piped value comes last)
and raises :class:`FuncError` with Go's message on bad input. ``and`` and ``or`` have no
implementation here: the executor evaluates their arguments lazily (short-circuit).
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ark.api.reader import load_json

from . import fmt
from .strconv import go_quote
from .values import is_list, is_map, truth, type_name

ANY: Final = "any"
STR: Final = "string"


class FuncError(Exception):
    """A function rejected its arguments; rendered as ``error calling NAME: MESSAGE``."""


@dataclass(frozen=True, slots=True)
class Func:
    """A template function: fixed parameter kinds, optional variadic kind, implementation."""

    name: str
    call: Callable[[list[Any]], Any] | None  # None: evaluated lazily by the executor (and, or)
    params: tuple[str, ...]
    variadic: str | None = None


# -- comparison (Go's eq/ne/lt/le/gt/ge, with numbers compared across int and float) ------

_BOOL, _INT, _FLOAT, _STRING, _OTHER = range(5)


def _kind(v: Any) -> int:
    t = type(v)
    if t is str:
        return _STRING
    if t is int:
        return _INT
    if t is float:
        return _FLOAT
    if t is bool:
        return _BOOL
    if isinstance(v, bool):
        return _BOOL
    if isinstance(v, int):
        return _INT
    if isinstance(v, float):
        return _FLOAT
    if isinstance(v, str):
        return _STRING
    return _OTHER


def _nil_as_string(a: Any, b: Any) -> tuple[Any, Any]:
    """Nil compared with a string acts as the empty string (the missing-key rule)."""
    if a is None and _kind(b) == _STRING:
        return "", b
    if b is None and _kind(a) == _STRING:
        return a, ""
    return a, b


def _equal(a: Any, b: Any) -> bool:
    a, b = _nil_as_string(a, b)
    k1, k2 = _kind(a), _kind(b)
    if k1 != k2:
        if k1 in (_INT, _FLOAT) and k2 in (_INT, _FLOAT):
            return bool(a == b)
        if a is not None and b is not None:
            raise FuncError(f"incompatible types for comparison: {type_name(a)} and {type_name(b)}")
        return False
    if k1 != _OTHER:
        return bool(a == b)
    if a is None or b is None:
        return a is None and b is None
    if is_map(a) != is_map(b) or is_list(a) != is_list(b):
        shown = fmt.sprintf("%s", [a])
        raise FuncError(f"non-comparable types {shown}: {type_name(a)}, {type_name(b)}: {fmt.format_v(b)}")
    if is_map(b) or is_list(b):
        raise FuncError(f"non-comparable type {fmt.sprintf('%s', [b])}: {type_name(b)}")
    return bool(a == b)


def _less(a: Any, b: Any) -> bool:
    a, b = _nil_as_string(a, b)
    k1, k2 = _kind(a), _kind(b)
    if k1 == _OTHER or k2 == _OTHER:
        raise FuncError("invalid type for comparison")
    if k1 != k2:
        if k1 in (_INT, _FLOAT) and k2 in (_INT, _FLOAT):
            return bool(a < b)
        raise FuncError(f"incompatible types for comparison: {type_name(a)} and {type_name(b)}")
    if k1 == _BOOL:
        raise FuncError("invalid type for comparison")
    return bool(a < b)


def _eq(args: list[Any]) -> bool:
    if len(args) < 2:
        raise FuncError("missing argument for comparison")
    first = args[0]
    return any(_equal(first, other) for other in args[1:])


def _ne(args: list[Any]) -> bool:
    return not _equal(args[0], args[1])


def _lt(args: list[Any]) -> bool:
    return _less(args[0], args[1])


def _le(args: list[Any]) -> bool:
    return _less(args[0], args[1]) or _equal(args[0], args[1])


def _gt(args: list[Any]) -> bool:
    return not _le(args)


def _ge(args: list[Any]) -> bool:
    return not _less(args[0], args[1])


# -- Go built-ins -------------------------------------------------------------------------


def _utf8_len(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


def _index_arg(index: Any, cap: int) -> int:
    if index is None:
        raise FuncError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise FuncError(f"cannot index slice/array with type {type_name(index)}")
    x = int(index)
    if x < 0 or x > cap:
        raise FuncError(f"index out of range: {x}")
    return x


def _has_key(m: Mapping[Any, Any], key: Any) -> bool:
    """Whether a non-string ``key`` is in ``m`` (mappings from YAML may have int keys)."""
    try:
        return key in m
    except TypeError:  # unhashable, e.g. a list
        return False


def _index(args: list[Any]) -> Any:
    item = args[0]
    if item is None:
        raise FuncError("index of untyped nil")
    for index in args[1:]:
        if item is None:
            raise FuncError("index of nil pointer")
        if isinstance(item, str):
            data = item.encode("utf-8", "surrogatepass")
            x = _index_arg(index, len(data))
            if x >= len(data):
                raise FuncError(f"index out of range: {x}")
            item = data[x]
        elif is_list(item):
            x = _index_arg(index, len(item))
            if x >= len(item):
                raise FuncError(f"index out of range: {x}")
            item = item[x]
        elif is_map(item):
            if index is None:
                raise FuncError("value is nil; should be of type string")
            if not isinstance(index, str) and not _has_key(item, index):
                raise FuncError(f"value has type {type_name(index)}; should be string")
            item = item.get(index)
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def _slice(args: list[Any]) -> Any:
    item, indexes = args[0], args[1:]
    if item is None:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        data = item.encode("utf-8", "surrogatepass")
        size = len(data)
    elif is_list(item):
        size = len(item)
    else:
        raise FuncError(f"can't slice item of type {type_name(item)}")
    idx = [0, size, size]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(index, size)
    if idx[0] > idx[1]:
        raise FuncError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise FuncError(f"invalid slice index: {idx[1]} > {idx[2]}")
    if isinstance(item, str):
        return data[idx[0] : idx[1]].decode("utf-8", "replace")
    return list(item[idx[0] : idx[1]])


def _len(args: list[Any]) -> int:
    item = args[0]
    if item is None:
        return 0
    if isinstance(item, str):
        return _utf8_len(item)
    if is_list(item) or is_map(item):
        return len(item)
    raise FuncError(f"len of type {type_name(item)}")


def _eval_args(args: list[Any]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return fmt.sprint(args)


_HTML_ESCAPES = {"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
_HTML_SPECIAL = re.compile("[\0\"'&<>]")


def _html(args: list[Any]) -> str:
    s = _eval_args(args)
    return _HTML_SPECIAL.sub(lambda m: _HTML_ESCAPES[m.group()], s)


_JS_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def _js(args: list[Any]) -> str:
    s = _eval_args(args)
    out = []
    for ch in s:
        esc = _JS_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " " or (ch >= "\x80" and not ch.isprintable()):
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _urlquery(args: list[Any]) -> str:
    return urllib.parse.quote_plus(_eval_args(args), safe="")


# -- Sprig helpers ------------------------------------------------------------------------

_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
"""Go's ``unicode.IsSpace`` characters (``strings.TrimSpace``)."""
_LEGACY_OCTAL = re.compile(r"[+-]?0[0-7_]+")


def _trim_zero_decimal(s: str) -> str:
    """cast's ``trimZeroDecimal``: ``"3.00"`` -> ``"3"``."""
    found_zero = False
    for i in range(len(s), 0, -1):
        c = s[i - 1]
        if c == ".":
            if found_zero:
                return s[: i - 1]
        elif c == "0":
            found_zero = True
        else:
            return s
    return s


def _parse_go_int(s: str) -> int | None:
    """``strconv.ParseInt(s, 0, 64)``; None when invalid or out of range."""
    if not s or not s.isascii() or s != s.strip():
        return None
    try:
        v = int(s, 8) if _LEGACY_OCTAL.fullmatch(s) else int(s, 0)
    except ValueError:
        return None
    return v if -(2**63) <= v < 2**63 else None


def _parse_go_float(s: str) -> float | None:
    """``strconv.ParseFloat(s, 64)``; None when invalid or out of range."""
    if not s or not s.isascii() or s != s.strip():
        return None
    body = s.lstrip("+-")
    try:
        if body[:2] in ("0x", "0X"):
            if "p" not in body and "P" not in body:
                return None
            v = float.fromhex(s.replace("_", ""))
        else:
            v = float(s)
    except ValueError:
        return None
    if math.isinf(v) and body.lower() not in ("inf", "infinity"):
        return None
    return v


def _to_int(args: list[Any]) -> int:
    v = args[0]
    if v is None:
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return 0 if math.isnan(v) or math.isinf(v) else int(v)
    if isinstance(v, str):
        parsed = _parse_go_int(_trim_zero_decimal(v))
        return 0 if parsed is None else parsed
    return 0


def _to_float(args: list[Any]) -> float:
    v = args[0]
    if v is None:
        return 0.0
    if isinstance(v, (bool, int, float)):
        try:
            return float(v)
        except OverflowError:
            raise FuncError(f"{v} overflows float64") from None
    if isinstance(v, str):
        parsed = _parse_go_float(v)
        return 0.0 if parsed is None else parsed
    return 0.0


def _json_float(f: float) -> str:
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = fmt.format_float(f, "e", -1)
        if len(s) >= 4 and s[-4] == "e" and s[-3] == "-" and s[-2] == "0":
            s = s[:-2] + s[-1]
        return s
    return fmt.format_float(f, "f", -1)


def _json_string(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    if any(c in s for c in "<>&\u2028\u2029"):
        out = (
            out.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
    return out


def _json_encode(v: Any, out: list[str]) -> None:
    """``encoding/json.Marshal``: compact, keys sorted, HTML characters escaped."""
    if v is None:
        out.append("null")
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError(f"json: unsupported value: {fmt.format_v(v)}")
        out.append(_json_float(v))
    elif isinstance(v, str):
        out.append(_json_string(v))
    elif is_map(v):
        out.append("{")
        items = sorted((str(k), val) for k, val in v.items())
        for i, (k, val) in enumerate(items):
            if i:
                out.append(",")
            out.append(_json_string(k))
            out.append(":")
            _json_encode(val, out)
        out.append("}")
    elif is_list(v):
        out.append("[")
        for i, e in enumerate(v):
            if i:
                out.append(",")
            _json_encode(e, out)
        out.append("]")
    else:
        out.append(_json_string(str(v)))


def to_json(v: Any) -> str:
    """Sprig ``toJson``: Go's JSON encoding; the empty string when it cannot be encoded."""
    out: list[str] = []
    try:
        _json_encode(v, out)
    except ValueError:
        return ""
    return "".join(out)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _from_json(args: list[Any]) -> Any:
    try:
        return load_json(args[0], "fromJson", parse_int=float, parse_constant=_reject_constant)
    except ValueError:  # not JSON, or beyond the input bounds
        return None


def _default(args: list[Any]) -> Any:
    if len(args) < 2 or not truth(args[1]):
        return args[0]
    return args[1]


def _upper_rune(c: str) -> str:
    u = c.upper()
    if len(u) == 1:
        return u
    t = c.title()
    return t if len(t) == 1 else c


def _upper(args: list[Any]) -> str:
    s: str = args[0]
    return s.upper() if s.isascii() else "".join(_upper_rune(c) for c in s)


def _lower(args: list[Any]) -> str:
    s: str = args[0]
    return s.lower() if s.isascii() else "".join(c.lower()[0] for c in s)


def _trim(args: list[Any]) -> str:
    s: str = args[0]
    return s.strip(_GO_SPACE)


def _strval(v: Any) -> str:
    return v if isinstance(v, str) else fmt.format_v(v)


def _join(args: list[Any]) -> str:
    sep: str = args[0]
    v = args[1]
    if v is None:
        return ""
    if is_list(v):
        return sep.join(_strval(e) for e in v if e is not None)
    return _strval(v)


def _contains(args: list[Any]) -> bool:
    substr: str = args[0]
    s: str = args[1]
    return substr in s


def _replace(args: list[Any]) -> str:
    old: str = args[0]
    new: str = args[1]
    s: str = args[2]
    return s.replace(old, new)


def _quote(args: list[Any]) -> str:
    return " ".join(go_quote(_strval(a)) for a in args if a is not None)


def _print(args: list[Any]) -> str:
    return fmt.sprint(args)


def _printf(args: list[Any]) -> str:
    return fmt.sprintf(args[0], args[1:])


def _println(args: list[Any]) -> str:
    return fmt.sprintln(args)


def _not(args: list[Any]) -> bool:
    return not truth(args[0])


def _to_json(args: list[Any]) -> str:
    return to_json(args[0])


FUNCS: Mapping[str, Func] = {
    f.name: f
    for f in (
        # Go built-ins.
        Func("and", None, (ANY,), ANY),
        Func("or", None, (ANY,), ANY),
        Func("not", _not, (ANY,)),
        Func("len", _len, (ANY,)),
        Func("index", _index, (ANY,), ANY),
        Func("slice", _slice, (ANY,), ANY),
        Func("print", _print, (), ANY),
        Func("printf", _printf, (STR,), ANY),
        Func("println", _println, (), ANY),
        Func("html", _html, (), ANY),
        Func("js", _js, (), ANY),
        Func("urlquery", _urlquery, (), ANY),
        Func("eq", _eq, (ANY,), ANY),
        Func("ne", _ne, (ANY, ANY)),
        Func("lt", _lt, (ANY, ANY)),
        Func("le", _le, (ANY, ANY)),
        Func("gt", _gt, (ANY, ANY)),
        Func("ge", _ge, (ANY, ANY)),
        # Sprig-compatible helpers.
        Func("int", _to_int, (ANY,)),
        Func("float", _to_float, (ANY,)),
        Func("toJson", _to_json, (ANY,)),
        Func("fromJson", _from_json, (STR,)),
        Func("default", _default, (ANY,), ANY),
        Func("upper", _upper, (STR,)),
        Func("lower", _lower, (STR,)),
        Func("trim", _trim, (STR,)),
        Func("join", _join, (STR, ANY)),
        Func("contains", _contains, (STR, STR)),
        Func("replace", _replace, (STR, STR, STR)),
        Func("quote", _quote, (), ANY),
    )
}
"""All functions by name; the parser rejects any other identifier."""
