"""A small, deterministic instance of a JSON Schema, for the mock provider.

Covers what step schemas use: ``type`` (also lists), ``enum``/``const``, ``required`` and
``properties`` (every declared property is filled, so templates reading ``.steps.X.data.<key>``
find a value), ``additionalProperties``, ``minProperties``, string ``minLength``/``maxLength``/
``format``/simple ``pattern``, numeric bounds (inclusive, exclusive, ``multipleOf``), arrays
(``items``, ``prefixItems``, ``minItems``/``maxItems``, ``uniqueItems``, ``contains``), ``allOf``
(merged), ``anyOf``/``oneOf`` (the first branch that yields a valid value), local ``$ref``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "email": "mock@example.com",
    "idn-email": "mock@example.com",
    "uri": "https://example.com/mock",
    "url": "https://example.com/mock",
    "iri": "https://example.com/mock",
    "uri-reference": "/mock",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "duration": "PT1S",
}
_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
_MAX_DEPTH = 32


class SchemaInstanceError(ValueError):
    """No instance could be generated (for example an unsatisfiable or cyclic schema)."""


def instance_for(schema: Mapping[str, Any] | bool) -> Any:
    """Return a deterministic value valid against ``schema``; raises :class:`SchemaInstanceError`."""
    import jsonschema  # only steps with a schema pay for it

    value = _Generator(schema).value(schema, "value", 0)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=str)
    if errors:
        raise SchemaInstanceError(f"generated value does not satisfy the schema: {errors[0].message}")
    return value


class _Generator:
    def __init__(self, root: Mapping[str, Any] | bool) -> None:
        self.root = root

    def value(self, schema: Mapping[str, Any] | bool, hint: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise SchemaInstanceError("schema nests too deeply (cyclic $ref?)")
        if schema is True or schema == {}:
            return f"mock {hint}"
        if schema is False:
            raise SchemaInstanceError(f"no value is allowed for {hint!r} (schema is false)")
        assert isinstance(schema, Mapping)
        schema = self._merged(schema, depth)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._first_valid(schema, key, hint, depth)
        match self._type(schema):
            case "object":
                return self._object(schema, depth)
            case "array":
                return self._array(schema, hint, depth)
            case "string":
                return self._string(schema, hint)
            case "integer":
                return self._number(schema, integer=True)
            case "number":
                return self._number(schema, integer=False)
            case "boolean":
                return True
            case _:
                return None

    def _merged(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        # Resolve $ref and fold allOf into one schema (keywords of later parts win, required unions).
        if depth > _MAX_DEPTH:
            raise SchemaInstanceError("schema nests too deeply (cyclic $ref?)")
        merged: dict[str, Any] = {}
        if "$ref" in schema:
            merged.update(self._merged(self._resolve(schema["$ref"]), depth + 1))
        for part in schema.get("allOf", ()):
            if isinstance(part, Mapping):
                _merge(merged, self._merged(part, depth + 1))
        _merge(merged, {k: v for k, v in schema.items() if k not in ("$ref", "allOf")})
        return merged

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#"):
            raise SchemaInstanceError(f"only local $ref are supported, got {ref!r}")
        node: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise SchemaInstanceError(f"$ref {ref!r} does not resolve")
            node = node[part]
        if not isinstance(node, Mapping):
            raise SchemaInstanceError(f"$ref {ref!r} does not point at a schema")
        return node

    def _first_valid(self, schema: Mapping[str, Any], key: str, hint: str, depth: int) -> Any:
        rest = {k: v for k, v in schema.items() if k != key}
        for branch in schema[key]:
            candidate_schema = {**rest, **branch} if isinstance(branch, Mapping) else branch
            try:
                candidate = self.value(candidate_schema, hint, depth + 1)
            except SchemaInstanceError:
                continue
            import jsonschema

            if jsonschema.Draft202012Validator(dict(schema)).is_valid(candidate):
                return candidate
        raise SchemaInstanceError(f"no branch of {key} yields a valid value for {hint!r}")

    @staticmethod
    def _type(schema: Mapping[str, Any]) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            return next((t for t in _TYPE_ORDER if t in declared), "null")
        if isinstance(declared, str):
            return declared
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            return "object"
        if "items" in schema or "prefixItems" in schema or "minItems" in schema:
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            return "number"
        return "string"

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties", {})
        required: list[str] = list(schema.get("required", []))
        result: dict[str, Any] = {}
        for name in [*properties, *[r for r in required if r not in properties]]:
            sub = properties.get(name, schema.get("additionalProperties", True))
            if sub is False:
                sub = True
            result[name] = self.value(sub, name, depth + 1)
        extra = schema.get("additionalProperties", True)
        index = 1
        while len(result) < schema.get("minProperties", 0) and extra is not False:
            name = f"mock{index}"
            if name not in result:
                result[name] = self.value(extra, name, depth + 1)
            index += 1
        return result

    def _array(self, schema: Mapping[str, Any], hint: str, depth: int) -> list[Any]:
        prefix = list(schema.get("prefixItems", []))
        items = schema.get("items", True)
        if isinstance(items, list):  # draft-07 tuple form
            prefix, items = items, schema.get("additionalItems", True)
        count = int(schema.get("minItems", 0))
        if "contains" in schema:
            count = max(count, schema.get("minContains", 1))
        result: list[Any] = []
        for i in range(count):
            if i < len(prefix):
                result.append(self.value(prefix[i], f"{hint} {i + 1}", depth + 1))
            elif "contains" in schema and i < schema.get("minContains", 1):
                result.append(self.value(schema["contains"], f"{hint} {i + 1}", depth + 1))
            else:
                result.append(self.value(items, f"{hint} {i + 1}", depth + 1))
        if schema.get("uniqueItems"):
            result = _distinct(result, schema, items if isinstance(items, Mapping) else {})
        return result

    @staticmethod
    def _string(schema: Mapping[str, Any], hint: str) -> str:
        min_length = int(schema.get("minLength", 0))
        max_length = schema.get("maxLength")
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS:
            return _FORMATS[fmt]
        text = f"mock {hint}"
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not re.search(pattern, text):
            text = _pattern_example(pattern) or text
        if len(text) < min_length:
            text = text + "x" * (min_length - len(text))
        if max_length is not None and len(text) > int(max_length):
            text = text[: int(max_length)]
        return text

    @staticmethod
    def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        ex_low = schema.get("exclusiveMinimum")
        ex_high = schema.get("exclusiveMaximum")
        step = schema.get("multipleOf")
        unit = step if step else 1
        value: float = 1 * unit if not integer or float(unit).is_integer() else 1
        if low is not None:
            value = max(value, low)
        if ex_low is not None and not isinstance(ex_low, bool):
            value = max(value, ex_low + (unit if integer or step else 0.5))
        if high is not None:
            value = min(value, high)
        if ex_high is not None and not isinstance(ex_high, bool):
            value = min(value, ex_high - (unit if integer or step else 0.5))
        if step:
            value = math.ceil(value / step) * step
        if integer:
            value = math.ceil(value) if low is not None or ex_low is not None else math.floor(value)
            return int(value)
        return float(value)


def _merge(into: dict[str, Any], part: Mapping[str, Any]) -> None:
    for key, value in part.items():
        if key == "required":
            into[key] = list(dict.fromkeys([*into.get(key, []), *value]))
        elif key == "properties" and key in into:
            into[key] = {**into[key], **value}
        else:
            into[key] = value


def _distinct(values: list[Any], schema: Mapping[str, Any], items: Mapping[str, Any]) -> list[Any]:
    # Make every element different while keeping each valid for the item schema.
    out: list[Any] = []
    for i, value in enumerate(values):
        candidate = value
        if candidate in out:
            if isinstance(candidate, str):
                candidate = f"{candidate} {i + 1}"
            elif isinstance(candidate, bool) and not candidate:
                candidate = True
            elif isinstance(candidate, bool):
                candidate = False
            elif isinstance(candidate, int | float):
                candidate = candidate + (items.get("multipleOf") or 1) * i
            elif isinstance(candidate, dict):
                candidate = {**candidate, "mock_index": i}
        out.append(candidate)
    return out


def _pattern_example(pattern: str) -> str | None:
    # Enough for the anchored character-class patterns schemas tend to use, e.g. ^[A-Z]{3}$ or ^\d+$.
    body = pattern.removeprefix("^").removesuffix("$")
    classes = {r"\d": "1", "[0-9]": "1", "[a-z]": "a", "[A-Z]": "A", "[a-zA-Z]": "a", r"\w": "a", ".": "a"}
    out = []
    pos = 0
    token_re = re.compile(r"(\\d|\\w|\[[^\]]+\]|\.|[A-Za-z0-9_\- ])(\{(\d+)(?:,\d*)?\}|\+|\*|\?)?")
    while pos < len(body):
        match = token_re.match(body, pos)
        if match is None:
            return None
        atom, quantifier, count = match.group(1), match.group(2), match.group(3)
        char = classes.get(atom)
        if char is None:
            char = atom if len(atom) == 1 else (atom[1] if atom.startswith("[") else None)
        if char is None:
            return None
        repeat = int(count) if count else (0 if quantifier in ("*", "?") else 1)
        out.append(char * repeat)
        pos = match.end()
    text = "".join(out)
    return text if re.search(pattern, text) else None
