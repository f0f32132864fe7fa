"""Structural OpenAPI v3 schemas for CRDs, derived from the pydantic models.

Every node gets a ``type`` (structural schema rule), except int-or-string quantities and the
few open nodes that carry ``x-kubernetes-preserve-unknown-fields``.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import sys
import types
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ark.api.base import ArkModel, Crd

Schema = dict[str, Any]


def describe(cls: type[Any]) -> str:
    """The cleaned docstring of a class ('' when it has none)."""
    doc = cls.__dict__.get("__doc__")
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def field_description(model: type[BaseModel], name: str) -> str:
    """The docstring under the field ``name`` in the class body that declares it ('' when none)."""
    for cls in model.__mro__:
        if name in inspect.get_annotations(cls):
            return _attribute_docstrings(cls.__module__).get((cls.__qualname__, name), "")
    return ""


@functools.cache
def _attribute_docstrings(module: str) -> dict[tuple[str, str], str]:
    """``(class, attribute) -> docstring`` for the top-level classes of ``module``: a string
    statement right after an annotated attribute documents it (as in pydantic and Sphinx)."""
    docs: dict[tuple[str, str], str] = {}
    for node in ast.parse(inspect.getsource(sys.modules[module])).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for previous, statement in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(previous, ast.AnnAssign)
                and isinstance(previous.target, ast.Name)
                and isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                docs[(node.name, previous.target.id)] = inspect.cleandoc(statement.value.value)
    return docs


def wire_name(name: str, info: FieldInfo) -> str:
    """The camelCase name a field has on the wire."""
    alias = info.serialization_alias or info.alias
    return alias if alias else name


def unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` and ``| None`` layers; return the bare type and the collected metadata."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
            continue
        if origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                raise TypeError(f"unions other than `X | None` need a Crd(schema=...) override: {annotation}")
            annotation = members[0]
            continue
        return annotation, _flatten(metadata)


def _flatten(metadata: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            flat.extend(_flatten(list(item.metadata)))
        else:
            flat.append(item)
    return flat


def model_schema(cls: type[ArkModel]) -> Schema:
    """The object schema of a model: properties, required fields and its CEL rules."""
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for name, info in cls.model_fields.items():
        wire = wire_name(name, info)
        properties[wire] = field_schema(info, field_description(cls, name))
        if info.is_required():
            required.append(wire)
    rules = [_rule(rule.rule, rule.message, rule.field_path, rule.reason) for rule in cls.crd_rules]
    for legacy, current in cls.legacy_aliases.items():
        alias = copy.deepcopy(properties[current])
        alias.pop("default", None)
        alias["description"] = f"Older name of {current}."
        properties[legacy] = alias
        if current in required:
            required.remove(current)
            rules.append(
                _rule(
                    f"has(self.{current}) != has(self.{legacy})",
                    f"exactly one of {current} or {legacy} (its older name) must be set",
                    f".{current}",
                    None,
                )
            )
    schema: Schema = {"description": description} if (description := describe(cls)) else {}
    schema["type"] = "object"
    schema["properties"] = dict(sorted(properties.items()))
    if required:
        schema["required"] = sorted(required)
    if rules:
        schema["x-kubernetes-validations"] = rules
    return schema


def _rule(rule: str, message: str, field_path: str | None, reason: str | None) -> Schema:
    entry: Schema = {"rule": rule, "message": message}
    if field_path:
        entry["fieldPath"] = field_path
    if reason:
        entry["reason"] = reason
    return entry


def field_schema(info: FieldInfo, description: str = "") -> Schema:
    """The schema of one model field, with its description and default."""
    annotation, metadata = unwrap(info.annotation)
    schema = type_schema(annotation, [*_flatten(list(info.metadata)), *metadata])
    description = info.description or description
    if description:
        schema = {"description": description, **{k: v for k, v in schema.items() if k != "description"}}
    default = info.default
    if (
        default is not PydanticUndefined
        and default is not None
        and isinstance(default, str | int | float | bool)
    ):
        schema["default"] = default
    return schema


def type_schema(annotation: Any, metadata: list[Any]) -> Schema:
    """The schema of a bare type plus the constraints and markers in ``metadata``."""
    inner, more = unwrap(annotation)
    metadata = [*metadata, *more]
    markers = [item for item in metadata if isinstance(item, Crd)]
    for marker in markers:
        if marker.schema is not None:
            return copy.deepcopy(dict(marker.schema))
    schema = _base_schema(inner)
    _apply_constraints(schema, metadata)
    for marker in markers:
        _apply_marker(schema, marker)
    return schema


def _base_schema(annotation: Any) -> Schema:
    origin = get_origin(annotation)
    if origin is Literal:
        values = list(get_args(annotation))
        if not all(isinstance(value, str) for value in values):
            raise TypeError(f"only string literals are supported: {annotation}")
        return {"type": "string", "enum": values}
    if origin is list:
        (item,) = get_args(annotation)
        return {"type": "array", "items": type_schema(item, [])}
    if origin is dict:
        key, value = get_args(annotation)
        if key is not str:
            raise TypeError(f"object keys must be strings: {annotation}")
        if value is Any:
            return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        return {"type": "object", "additionalProperties": type_schema(value, [])}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not issubclass(annotation, ArkModel):
            raise TypeError(f"{annotation.__name__} must derive from ArkModel")
        return model_schema(annotation)
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if annotation in simple:
        return {"type": simple[annotation]}
    if annotation is datetime:
        return {"type": "string", "format": "date-time"}
    raise TypeError(f"no CRD schema for {annotation!r}")


_LENGTH_KEYS = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems")}


def _apply_constraints(schema: Schema, metadata: list[Any]) -> None:
    kind = schema.get("type", "string")
    min_key, max_key = _LENGTH_KEYS.get(kind, ("minProperties", "maxProperties"))
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            schema["minimum"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            schema["minimum"] = item.gt
            schema["exclusiveMinimum"] = True
        elif isinstance(item, annotated_types.Le):
            schema["maximum"] = item.le
        elif isinstance(item, annotated_types.Lt):
            schema["maximum"] = item.lt
            schema["exclusiveMaximum"] = True
        elif isinstance(item, annotated_types.MinLen):
            schema[min_key] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            schema[max_key] = item.max_length
        elif (pattern := getattr(item, "pattern", None)) is not None:
            schema["pattern"] = pattern


def _apply_marker(schema: Schema, marker: Crd) -> None:
    if marker.int_or_string:
        pattern = schema.pop("pattern", None)
        schema.clear()
        schema.update(
            {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
        )
        if pattern:
            schema["pattern"] = pattern
    if marker.preserve_unknown:
        schema["x-kubernetes-preserve-unknown-fields"] = True
    if marker.format:
        schema["format"] = marker.format
    if marker.enum_extra:
        schema["enum"] = [*schema.get("enum", []), *marker.enum_extra]
    if marker.list_map_keys:
        schema["x-kubernetes-list-type"] = "map"
        schema["x-kubernetes-list-map-keys"] = list(marker.list_map_keys)
    schema.update(marker.extra)
