"""Helpers for the API unit tests: run `ark validate` in-process and capture its output."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from ark.cli.main import main

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "manifests" / "samples"


class Outcome(NamedTuple):
    """Exit status and output lines of one `ark validate` run."""

    code: int
    lines: list[str]


Validate = Callable[..., Outcome]


@pytest.fixture
def validate(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Validate:
    """Run ``ark validate ARGS...`` through the real entry point; ``stdin`` feeds ``-``."""

    def run(*args: str, stdin: str | None = None) -> Outcome:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["validate", *args])
        return Outcome(code, capsys.readouterr().out.splitlines())

    return run


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a YAML file under a temporary directory and return its path."""

    def put(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return put
