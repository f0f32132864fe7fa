"""The generated core schemas (ark/api/schemas) are the models' own: drift is caught, and the
validators built from them accept, build and refuse documents exactly as pydantic's do."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from ark.api.kinds import KIND_NAMES, kind_class
from ark.api.schemagen import PACKAGE
from ark.api.validators import validator
from tests.unit.api.conftest import REPO, SAMPLES
from tests.unit.api.invalid_cases import CASES


def check(*args: str) -> subprocess.CompletedProcess[str]:
    """``schemagen --check`` in a fresh process: the generated source must not depend on what the
    test process built already (pydantic's definitions differ once models have been used)."""
    return subprocess.run(
        [sys.executable, "-m", "ark.api.schemagen", "--check", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_checked_in_schemas_match_the_generator() -> None:
    done = check()
    assert done.returncode == 0, done.stderr


def test_check_mode_names_a_stale_and_a_missing_module(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert check("--directory", str(copy)).returncode == 0
    stale = copy / "team.py"
    stale.write_text(stale.read_text().replace("'min_length': 1", "'min_length': 2", 1))
    (copy / "agent.py").unlink()

    done = check("--directory", str(copy))
    assert done.returncode == 1
    assert f"{stale}: differs from the generator's output" in done.stderr
    assert f"{copy / 'agent.py'}: missing" in done.stderr


def documents(texts: Iterator[str]) -> list[dict[str, Any]]:
    """The ark documents of some YAML texts."""
    found = []
    for text in texts:
        for data in yaml.safe_load_all(text):
            if isinstance(data, dict) and data.get("kind") in KIND_NAMES:
                found.append(data)
    return found


SAMPLE_DOCUMENTS = documents(path.read_text() for path in sorted(SAMPLES.glob("*.yaml")))
INVALID_DOCUMENTS = documents(case.text for case in CASES)


def test_every_kind_has_a_sample_and_an_invalid_document() -> None:
    assert {d["kind"] for d in SAMPLE_DOCUMENTS} == set(KIND_NAMES)
    assert {d["kind"] for d in INVALID_DOCUMENTS} == set(KIND_NAMES)


@pytest.mark.parametrize("data", SAMPLE_DOCUMENTS, ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_a_sample_becomes_the_object_pydantic_builds(data: dict[str, Any]) -> None:
    cls = kind_class(data["kind"])
    ours = validator(data["kind"]).validate_python(data, by_alias=True, by_name=False)
    theirs = cls.model_validate(data, by_alias=True, by_name=False)

    assert type(ours) is cls
    assert ours == theirs
    assert ours.model_dump(mode="json", by_alias=True) == theirs.model_dump(mode="json", by_alias=True)


def invalid(data: dict[str, Any]) -> str:
    return f"{data['kind']}/{data.get('metadata', {}).get('name')}"


@pytest.mark.parametrize("data", INVALID_DOCUMENTS, ids=invalid)
def test_a_document_is_refused_with_the_errors_pydantic_gives(data: dict[str, Any]) -> None:
    cls = kind_class(data["kind"])
    ours: list[Any] | None = None
    theirs: list[Any] | None = None
    try:
        validator(data["kind"]).validate_python(data, by_alias=True, by_name=False)
    except ValidationError as error:
        ours = error.errors(include_url=False)
    try:
        cls.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as error:
        theirs = error.errors(include_url=False)

    assert ours == theirs
