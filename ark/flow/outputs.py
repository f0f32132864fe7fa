"""Step outputs: JSON extraction, JSON Schema checks and the step-output envelope (§18 #5, #6)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from ark.api.reader import load_json

ENVELOPE_OPEN = "<ark:step-output"
ENVELOPE_CLOSE = "</ark:step-output>"
_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\n(.*?)(?:\n[ \t]*```|\Z)", re.DOTALL)
_NOT_FOUND = object()


def extract_json(text: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``text`` holds JSON, else ``(False, None)``.

    The whole text if it parses; else the first fenced block (```json ... ```) that parses; else
    the text from the first line starting with ``{`` or ``[`` up to a closing fence or the end
    (reference §4.2).
    """
    stripped = text.strip()
    if not stripped:
        return False, None
    value = _loads(stripped)
    if value is not _NOT_FOUND:
        return True, value
    for match in _FENCE.finditer(text):
        value = _loads(match.group(1).strip())
        if value is not _NOT_FOUND:
            return True, value
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("{", "[")):
            tail = "\n".join(lines[number:])
            end = tail.find("```")
            value = _loads((tail if end < 0 else tail[:end]).strip())
            if value is not _NOT_FOUND:
                return True, value
            break
    return False, None


def _loads(text: str) -> Any:
    try:
        return load_json(text, "the output")  # a model's answer: bounded like any input
    except ValueError:
        return _NOT_FOUND


def canonical_json(value: Any) -> str:
    """Compact JSON text of a parsed value (what status ``outputJSON`` stores)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> Any:
    # jsonschema costs ~25 ms to import: only runs whose steps declare a schema pay for it.
    import jsonschema

    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def schema_error(schema_text: str, value: Any) -> str | None:
    """Why ``value`` does not satisfy the JSON Schema ``schema_text`` (None when it does)."""
    import jsonschema

    try:
        validator = _validator(schema_text)
    except (ValueError, jsonschema.exceptions.SchemaError) as exc:
        return f"the schema itself is invalid: {exc}"
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path)
    return str(error.message) + (f" (at {where})" if where else "")


def check_against_schema(schema_text: str, output: str) -> tuple[str | None, Any, bool]:
    """``(problem, value, parsed)``: the output's JSON checked against the schema."""
    parsed, value = extract_json(output)
    if not parsed:
        return "the output is not JSON", None, False
    return schema_error(schema_text, value), value, True


def envelope(step: str, text: str) -> str:
    """Wrap another step's output for a prompt; a closing tag inside it cannot end the envelope."""
    safe = text.replace(ENVELOPE_CLOSE, "<\\/ark:step-output>")
    return f'{ENVELOPE_OPEN} step="{step}">\n{safe}\n{ENVELOPE_CLOSE}'
