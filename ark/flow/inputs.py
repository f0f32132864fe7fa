"""Resolving a run's input (reference §3.3, decision §18 #10).

Resolved input = ``inputs[].default`` values, then the legacy ``spec.input`` map (it wins over
declared defaults, docs/api.md D7), then the trigger's input. A missing required input is refused
before the run starts, naming it. Keys the team does not declare pass through (routed teams and
teams without ``inputs`` take free-form input such as ``task``); when the team declares
``inputs``, each undeclared key also produces a warning. Values are strings; a value that does
not read as its declared type (``integer``, ``number``, ``boolean``, ``object``, ``array``) is
refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ark.api.team import ArkTeamSpec, TeamInput

_INTEGER = re.compile(r"[-+]?[0-9]+")


class InputError(ValueError):
    """The trigger's input cannot start a run; the message names the input."""


@dataclass(frozen=True)
class ResolvedInput:
    """The resolved input map and what was odd about it."""

    values: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def stringify_inputs(raw: Mapping[str, Any]) -> dict[str, str]:
    """Decision §18 #10: strings stay, JSON scalars are stringified, objects and arrays JSON-encoded.

    ``null`` becomes the empty string.
    """
    out: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            out[key] = value
        elif value is None:
            out[key] = ""
        elif isinstance(value, (dict, list)):
            out[key] = json.dumps(value, separators=(",", ":"))
        else:
            out[key] = json.dumps(value)
    return out


def resolve_inputs(spec: ArkTeamSpec, given: Mapping[str, str]) -> ResolvedInput:
    """Merge defaults and ``given``; raises :class:`InputError` for a missing or mistyped input."""
    values: dict[str, str] = {}
    declared = {item.name: item for item in spec.inputs or ()}
    for item in declared.values():
        if item.default is not None:
            values[item.name] = item.default
    values.update(spec.input or {})
    values.update(given)
    missing = [
        name for name, item in declared.items() if item.required and name not in given and name not in values
    ]
    if missing:
        listed = ", ".join(f'"{name}"' for name in missing)
        raise InputError(
            f"missing required input{'s' if len(missing) > 1 else ''} {listed}: "
            f"pass {' '.join(f'--input {name}=...' for name in missing)}"
        )
    for name, item in declared.items():
        if name in values:
            problem = type_problem(item, values[name])
            if problem:
                raise InputError(f'input "{name}": {problem}')
    warnings: list[str] = []
    if spec.inputs is not None:
        known = set(declared) | set(spec.input or {})
        for key in given:
            if key not in known:
                names = ", ".join(sorted(known)) or "none"
                warnings.append(
                    f'input "{key}" is not declared by the team (declared: {names}); passed through'
                )
    return ResolvedInput(values, warnings)


def type_problem(item: TeamInput, text: str) -> str:
    """Why ``text`` is not a valid value of ``item``'s type ('' when it is)."""
    kind = item.type
    if kind == "integer" and not _INTEGER.fullmatch(text.strip()):
        return f"{text!r} is not an integer"
    if kind == "number":
        try:
            float(text)
        except ValueError:
            return f"{text!r} is not a number"
    if kind == "boolean" and text.strip().lower() not in ("true", "false"):
        return f"{text!r} is not a boolean (true or false)"
    if kind in ("object", "array"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict if kind == "object" else list):
            return f"{text!r} is not a JSON {kind}"
    return ""
