"""Checks that schema strings (outputSchema, validate.schema, inputSchema) are valid JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from ark.api.issues import PathItem
from ark.api.validation.report import Report


@lru_cache(maxsize=1024)
def schema_problem(text: str) -> tuple[str, str] | None:
    """Why ``text`` is not a JSON Schema, as (reason, hint); None when it is one."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        return (
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            'write the schema as a JSON string, e.g. \'{"type": "object"}\'',
        )
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, dict):
        return "a JSON Schema must be an object (or true/false)", 'e.g. {"type": "object"}'
    import jsonschema  # only documents with schemas pay for it
    from jsonschema.exceptions import SchemaError

    validator = jsonschema.validators.validator_for(schema)
    try:
        validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "(root)"
        return f"not a valid JSON Schema at {where}: {exc.message}", "fix the schema"
    return None


def check_json_schema(report: Report, path: Sequence[PathItem], text: str) -> None:
    """Report ``text`` at ``path`` unless it is a valid JSON Schema document."""
    problem = schema_problem(text)
    if problem is not None:
        report.error(path, *problem)
