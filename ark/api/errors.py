"""Pydantic validation errors rewritten as :class:`Issue` lines a user can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ark.api.base import ArkModel
from ark.api.crdschema import unwrap, wire_name
from ark.api.issues import Issue, Path, PathItem, suggestion


def known_fields(model: type[ArkModel]) -> list[str]:
    """Every wire name the model accepts, older spellings included."""
    names = [wire_name(name, info) for name, info in model.model_fields.items()]
    return [*names, *model.legacy_aliases]


def annotation_at(root: type[BaseModel], path: Sequence[PathItem]) -> Any | None:
    """The type annotation found by following a wire path from ``root`` (None when unknown)."""
    current: Any = root
    for item in path:
        try:
            bare, _ = unwrap(current)
        except TypeError:
            return None
        origin = get_origin(bare)
        if isinstance(bare, type) and issubclass(bare, ArkModel) and isinstance(item, str):
            fields = {wire_name(name, info): info for name, info in bare.model_fields.items()}
            item = bare.legacy_aliases.get(item, item)
            if item not in fields:
                return None
            current = fields[item].annotation
        elif origin is list and isinstance(item, int):
            current = get_args(bare)[0]
        elif origin is dict and isinstance(item, str):
            current = get_args(bare)[1]
        else:
            return None
    return current


def model_at(root: type[BaseModel], path: Sequence[PathItem]) -> type[ArkModel] | None:
    """The model class found at ``path``, if the path leads to one."""
    annotation = annotation_at(root, path)
    if annotation is None:
        return None
    try:
        bare, _ = unwrap(annotation)
    except TypeError:
        return None
    return bare if isinstance(bare, type) and issubclass(bare, ArkModel) else None


def literal_values(root: type[BaseModel], path: Sequence[PathItem]) -> list[str]:
    """The allowed values of an enum field at ``path``."""
    annotation = annotation_at(root, path)
    if annotation is None:
        return []
    try:
        bare, _ = unwrap(annotation)
    except TypeError:
        return []
    return [str(value) for value in get_args(bare)] if get_origin(bare) is Literal else []


def describe_value(value: Any) -> str:
    """A short description of a YAML value for messages: ``string "3"``, ``integer 3``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f'string "{text}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "datetime_type": "an RFC 3339 timestamp",
    "datetime_parsing": "an RFC 3339 timestamp",
    "datetime_from_date_parsing": "an RFC 3339 timestamp",
}


def _type_hint(kind: str, value: Any) -> str:
    if kind == "string_type" and isinstance(value, bool | int | float):
        return "quote the value to make it a string"
    if kind in ("int_type", "float_type") and isinstance(value, str):
        return f"write it without quotes: {value}"
    if kind == "bool_type" and isinstance(value, str):
        return "write true or false without quotes"
    if kind == "list_type" and value is not None and not isinstance(value, list):
        return "write it as a YAML list (- item)"
    return ""


def issue_from_error(error: ErrorDetails, root: type[BaseModel]) -> Issue:
    """One pydantic error as an :class:`Issue` (path, reason, what to do)."""
    kind = error["type"]
    loc: Path = tuple(item for item in error["loc"] if item != "[key]")
    value = error.get("input")
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = model_at(root, loc[:-1])
        known = known_fields(model) if model else []
        listing = f"; known fields: {', '.join(sorted(known))}" if known and len(known) <= 12 else ""
        return Issue(loc, f'unknown field "{key}"', suggestion(key, known, otherwise=f"remove it{listing}"))
    if kind == "missing":
        return Issue(loc, "required field is missing", f"add {loc[-1]}" if loc else "")
    if kind in _EXPECTED:
        return Issue(loc, f"expected {_EXPECTED[kind]}, got {describe_value(value)}", _type_hint(kind, value))
    if kind == "literal_error":
        allowed = literal_values(root, loc)
        listing = ", ".join(f'"{item}"' for item in allowed) if allowed else str(ctx.get("expected", ""))
        hint = suggestion(str(value), allowed) if isinstance(value, str) else ""
        return Issue(loc, f"must be one of {listing}; got {describe_value(value)}", hint)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        symbol = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[
            kind
        ]
        bound = next(iter(ctx.values()), "")
        return Issue(loc, f"must be {symbol} {bound}, got {value}")
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        reason = "must not be empty" if minimum == 1 else f"must be at least {minimum} characters long"
        return Issue(loc, reason)
    if kind == "string_too_long":
        return Issue(loc, f"must be at most {ctx.get('max_length')} characters long", "shorten it")
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        return Issue(loc, f"must have at least {minimum} item{'s' if minimum != 1 else ''}", "add one")
    if kind == "too_long":
        return Issue(loc, f"must have at most {ctx.get('max_length')} items")
    if kind == "string_pattern_mismatch":
        return Issue(loc, f"{describe_value(value)} does not match the pattern {ctx.get('pattern')}")
    if kind.startswith("ark_"):
        return Issue(loc, error["msg"], str(ctx.get("hint", "")))
    message = error["msg"].removeprefix("Value error, ")
    return Issue(loc, message[:1].lower() + message[1:])


def issues_from_error(exc: ValidationError, root: type[BaseModel]) -> list[Issue]:
    """Every error of ``exc`` as an :class:`Issue`."""
    return [issue_from_error(error, root) for error in exc.errors(include_url=False)]
