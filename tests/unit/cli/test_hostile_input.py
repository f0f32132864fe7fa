"""Hostile YAML is refused by `ark validate` and `ark run` quickly, with bounded memory, naming
the file and the limit: an alias bomb, a 100 MiB document and 10,000 levels of nesting.

Each case is a real ``ark`` process. Its CPU time (not wall time: the machine may be shared) must
stay under a second and its peak RSS under 200 MB; a wall-clock deadline only guards against a
hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.cli.support import ARK, REPO

HEADER = "apiVersion: arkonis.dev/v1alpha1\nkind: ArkTeam\nmetadata: {name: hostile}\n"
CPU_SECONDS = 1.0
PEAK_RSS_MB = 200
DEADLINE_SECONDS = 30


def alias_bomb() -> str:
    """The "billion laughs": nine levels of ten aliases, 10**9 strings once expanded, in 14 lines."""
    lines = [HEADER.rstrip("\n"), "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    lines.append("spec: {roles: *l9}")
    return "\n".join(lines) + "\n"


def deep_nesting() -> str:
    return HEADER + "spec: " + "[" * 10_000 + "]" * 10_000 + "\n"


@pytest.fixture(scope="module")
def big_document() -> Iterator[Path]:
    """A 100 MiB ArkTeam (2.6 million roles), written once for the module."""
    role = "  - {name: r, model: m, systemPrompt: p}\n"
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(HEADER + "spec:\n  roles:\n")
        handle.write(role * (100 * 1024 * 1024 // len(role) + 1))
    path = Path(handle.name)
    yield path
    path.unlink()


@dataclass(frozen=True)
class Refusal:
    """How one ``ark`` process ended."""

    code: int
    output: str
    cpu_seconds: float
    peak_rss_mb: float


def refusal(args: list[str], stdin: Path | None = None) -> Refusal:
    """Run ``ark *args`` through :mod:`tests.support.usage` (for its own CPU time and peak RSS)."""
    with (stdin or Path(os.devnull)).open("rb") as feed:
        done = subprocess.run(
            [sys.executable, "-m", "tests.support.usage", ARK, *args],
            stdin=feed,
            capture_output=True,
            cwd=REPO,
            timeout=DEADLINE_SECONDS,
            check=True,
        )
    report = json.loads(done.stdout)
    return Refusal(report["code"], done.stderr.decode(), report["cpu_seconds"], report["peak_rss_mb"])


COMMANDS = {"validate": (["validate"], 1), "run": (["run", "--provider", "mock"], 2)}


def check(result: Refusal, code: int, *expected: str) -> None:
    assert result.code == code, result.output
    for text in expected:
        assert text in result.output
    assert result.cpu_seconds < CPU_SECONDS, f"{result.cpu_seconds:.2f} s of CPU"
    assert result.peak_rss_mb < PEAK_RSS_MB, f"{result.peak_rss_mb:.0f} MB peak RSS"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_alias_bomb_is_refused_naming_the_alias_limit(command: str, tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    args, code = COMMANDS[command]

    result = refusal([*args, str(path)])

    check(result, code, f"{path}:8: aliases expand to more than 100,000 values, the limit for one input")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_100_mib_document_is_refused_by_its_size_without_reading_it(
    command: str, big_document: Path
) -> None:
    args, code = COMMANDS[command]

    result = refusal([*args, str(big_document)])

    check(result, code, f"{big_document}", "100.0 MiB of input, over the limit of 16 MiB per file")


def test_a_100_mib_document_on_stdin_is_refused_after_the_limit(big_document: Path) -> None:
    result = refusal(["validate", "-"], stdin=big_document)

    check(result, 1, "<stdin>", "more than 16 MiB of input, over the limit of 16 MiB per file")


@pytest.mark.parametrize("command", COMMANDS)
def test_ten_thousand_levels_of_nesting_are_refused_naming_the_depth(command: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(deep_nesting())
    args, code = COMMANDS[command]

    result = refusal([*args, str(path)])

    check(result, code, f"{path}:4: YAML syntax error: nesting deeper than 1000 levels")
