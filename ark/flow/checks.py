"""Checking a step's answer: outputSchema (§18 #6) and ``validate`` (§18 #7), short of the judge call.

``validate.contains`` is a regular expression searched in the output (Python ``re``: RE2
syntax such as ``(?i)`` works the same); ``validate.schema`` needs JSON that satisfies it;
``validate.semantic`` is a second call (a ``judge`` task) whose answer is parsed by
:func:`parse_verdict`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ark.flow.outputs import canonical_json, check_against_schema, extract_json
from ark.flow.plan import StepPlan

_PASS = frozenset({"pass", "passed", "valid"})
_FAIL = frozenset({"fail", "failed", "invalid"})
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Checked:
    """The outcome of the non-judge checks of one answer.

    ``schema_problem`` is an outputSchema violation (retried once, §18 #6);
    ``validate_problem`` a failed ``validate`` check (policy ``onFailure``);
    ``output_json`` the canonical JSON of the answer when it holds JSON.
    """

    output_json: str | None
    schema_problem: str | None = None
    validate_problem: str | None = None
    needs_judge: bool = False


def check_answer(step: StepPlan, output: str) -> Checked:
    """Run outputSchema, then validate.schema and validate.contains, on ``output``."""
    parsed, value = extract_json(output)
    output_json = canonical_json(value) if parsed else None
    if step.output_schema is not None:
        problem, _, _ = check_against_schema(step.output_schema, output)
        if problem is not None:
            return Checked(output_json, schema_problem=f"output does not match outputSchema: {problem}")
    check = step.validate
    if check is None:
        return Checked(output_json)
    if check.schema is not None:
        problem, _, _ = check_against_schema(check.schema, output)
        if problem is not None:
            return Checked(output_json, validate_problem=f"validate.schema: {problem}")
    if check.contains is not None and not _regex(check.contains).search(output):
        return Checked(
            output_json, validate_problem=f"validate.contains: the output has no match for {check.contains}"
        )
    return Checked(output_json, needs_judge=check.semantic is not None)


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def parse_verdict(answer: str) -> tuple[bool, str]:
    """Decision §18 #7: ``(passed, reason)`` from the judge's first word, case-insensitively.

    ``pass``/``valid`` pass and ``fail``/``invalid`` fail (the text after the word is the
    reason); anything else fails, quoting the answer.
    """
    text = answer.strip()
    match = _WORD.search(text[:64])
    word = match.group(0).lower() if match and not text[: match.start()].strip(" *_`\"'([") else ""
    reason = text[match.end() :].strip(" \t\r\n:.-—,;*_`\"')") if match else ""
    if word in _PASS:
        return True, reason
    if word in _FAIL:
        return False, reason or "the judge gave no reason"
    preview = " ".join(text.split())[:120]
    return False, f"the judge did not answer pass or fail: {preview!r}"
