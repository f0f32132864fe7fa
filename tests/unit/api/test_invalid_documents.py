"""Every invalid document is rejected by `ark validate` with the field path and the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.api.conftest import Validate
from tests.unit.api.invalid_cases import CASES, Case


def test_there_are_at_least_thirty_distinct_cases() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 30
    assert len({case.text for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_rejected_with_path_and_reason(
    case: Case, validate: Validate, write: Callable[[str, str], Path]
) -> None:
    path = write(f"{case.id}.yaml", case.text)

    outcome = validate(str(path))

    assert outcome.code == 1
    pattern = re.compile(
        rf"^{re.escape(str(path))}:(\d+): {re.escape(case.subject)}: {re.escape(case.path)}: "
        rf"(?!warning: |note: ).*{re.escape(case.reason)}"
    )
    matches = [m for m in map(pattern.match, outcome.lines) if m]
    assert matches, "\n".join(outcome.lines)
    assert outcome.lines[-1].startswith("invalid: ")


def test_line_points_at_the_offending_field(validate: Validate, write: Callable[[str, str], Path]) -> None:
    text = (
        "apiVersion: arkonis.dev/v1alpha1\n"
        "kind: ArkTeam\n"
        "metadata: {name: blog}\n"
        "spec:\n"
        "  roles:\n"
        "    - {name: writer, model: m, systemPrompt: p}\n"
        "    - {name: editor, model: m, systemPrompt: p}\n"
        "  pipeline:\n"
        "    - role: writer\n"
        "    - role: editor\n"
        "      dependsOn:\n"
        "        - writer\n"
        "        - writr\n"
    )
    path = write("blog.yaml", text)

    outcome = validate(str(path))

    assert outcome.lines[0] == (
        f"{path}:13: ArkTeam/blog: spec.pipeline[1].dependsOn[1]: "
        'unknown step "writr" in dependsOn (steps: writer, editor) (did you mean "writer"?)'
    )
