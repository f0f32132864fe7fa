"""How plain Python data plays Go's dynamic values: type names, truth, map ordering.

Mapping of kinds: ``None`` is Go's nil (also what a missing map key yields), ``bool`` is
bool, ``int`` is int, ``float`` is float64 (what JSON numbers become), ``str`` is string,
lists and tuples are ``[]interface {}``, mappings are ``map[string]interface {}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final


class _Missing:
    """Sentinel for "no value piped in" (Go's ``missingVal``), distinct from nil."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

LIST_TYPE = "[]interface {}"
MAP_TYPE = "map[string]interface {}"


def is_list(v: Any) -> bool:
    """A Go slice: a list, tuple or other non-string sequence."""
    t = type(v)
    if t is list or t is tuple:
        return True
    return isinstance(v, Sequence) and not isinstance(v, (str, bytes, bytearray))


def is_map(v: Any) -> bool:
    """A Go map: any mapping."""
    return type(v) is dict or isinstance(v, Mapping)


def type_name(v: Any) -> str:
    """The Go type name of a value, as fmt's ``%T`` and error messages print it."""
    if v is None:
        return "<nil>"
    t = type(v)
    if t is str:
        return "string"
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float64"
    if is_map(v):
        return MAP_TYPE
    if is_list(v):
        return LIST_TYPE
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    return t.__name__


def truth(v: Any) -> bool:
    """Go's truth for ``if``/``with``/``and``/``or``/``not``: false for nil, false, 0 and empty."""
    if v is None:
        return False
    t = type(v)
    if t is str or t is list or t is dict or t is tuple:
        return len(v) > 0
    if t is bool:
        return bool(v)
    if t is int or t is float:
        return bool(v != 0)
    if isinstance(v, (Mapping, Sequence)):
        return len(v) > 0
    if isinstance(v, (int, float)):
        return bool(v != 0)
    return True


def _mixed_key(k: Any) -> tuple[str, Any]:
    if isinstance(k, (int, float)) and not isinstance(k, bool):
        return ("number", k)
    return (type_name(k), k if isinstance(k, (str, bool)) else str(k))


def sorted_keys(m: Mapping[Any, Any]) -> list[Any]:
    """Map keys in Go's print/range order: sorted by value (by type first when mixed)."""
    keys = list(m)
    try:
        keys.sort()
    except TypeError:
        keys.sort(key=_mixed_key)
    return keys
