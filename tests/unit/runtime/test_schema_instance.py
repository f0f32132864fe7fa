"""The mock's JSON Schema instance generator: every generated value validates."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from ark_runtime.providers.schema_instance import SchemaInstanceError, instance_for

SCHEMAS: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "string", "minLength": 40},
    {"type": "string", "maxLength": 3},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "pattern": "^[A-Z]{3}$"},
    {"type": "string", "pattern": r"^\d+$"},
    {"enum": ["red", "green"]},
    {"const": 42},
    {"type": "integer", "minimum": 5, "maximum": 9},
    {"type": "integer", "exclusiveMinimum": 10},
    {"type": "integer", "maximum": -3},
    {"type": "number", "exclusiveMaximum": 0.5},
    {"type": "number", "minimum": 2.5, "multipleOf": 0.5},
    {"type": "integer", "multipleOf": 7, "minimum": 8},
    {"type": "boolean"},
    {"type": "null"},
    {"type": ["null", "string"]},
    {"type": "array", "minItems": 3, "uniqueItems": True, "items": {"type": "string"}},
    {"type": "array", "minItems": 2, "uniqueItems": True, "items": {"type": "integer", "maximum": 100}},
    {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2},
    {"type": "array", "contains": {"const": "x"}},
    {"type": "array", "maxItems": 0},
    {
        "type": "object",
        "required": ["steps", "meta"],
        "properties": {
            "steps": {
                "type": "array",
                "minItems": 3,
                "items": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
            },
            "meta": {
                "type": "object",
                "properties": {"ok": {"type": "boolean"}},
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
    {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
    {"type": "object", "required": ["a"]},
    {
        "allOf": [
            {"type": "object", "required": ["a"]},
            {"properties": {"b": {"type": "integer", "minimum": 3}}, "required": ["b"]},
        ]
    },
    {"anyOf": [{"type": "integer", "minimum": 10, "maximum": 5}, {"type": "string"}]},
    {"oneOf": [{"type": "string", "maxLength": 2}, {"type": "integer"}]},
    {
        "$defs": {
            "item": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string", "format": "uuid"}},
            }
        },
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/$defs/item"},
    },
    {
        "definitions": {"n": {"type": "integer", "minimum": 1}},
        "properties": {"count": {"$ref": "#/definitions/n"}},
        "required": ["count"],
    },
    {"required": ["steps"]},
    True,
    {},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: str(s)[:60])
def test_generated_instance_is_valid(schema: dict[str, Any]) -> None:
    value = instance_for(schema)
    jsonschema.validate(value, schema, cls=jsonschema.Draft202012Validator)


def test_generation_is_deterministic_and_fills_every_declared_property() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "score": {"type": "number"}}}
    assert instance_for(schema) == instance_for(schema) == {"title": "mock title", "score": 1.0}


@pytest.mark.parametrize(
    "schema",
    [
        False,
        {"type": "integer", "minimum": 10, "maximum": 5},
        {"$ref": "#/nowhere"},
        {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
        {"anyOf": [False, {"type": "integer", "minimum": 3, "maximum": 1}]},
    ],
)
def test_unsatisfiable_or_broken_schemas_raise(schema: Any) -> None:
    with pytest.raises(SchemaInstanceError):
        instance_for(schema)
