"""`ark validate` as a user runs it: arguments, output formats, exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.api.conftest import REPO, SAMPLES, Validate

GOOD = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: good}
spec: {model: m, systemPrompt: p}
"""
BAD = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: bad}
spec:
  model: m
"""
WARNED = """\
apiVersion: arkonis.dev/v1alpha1
kind: ArkAgent
metadata: {name: warned}
spec: {model: m, systemPrompt: p, networkPolicy: {}}
"""
Write = Callable[[str, str], Path]


def test_a_valid_file_prints_only_the_summary(validate: Validate, write: Write) -> None:
    path = write("good.yaml", GOOD)
    assert validate(str(path)) == (0, ["valid: 1 document in 1 file: 0 errors, 0 warnings"])


def test_an_error_is_one_line_and_exits_1(validate: Validate, write: Write) -> None:
    path = write("bad.yaml", BAD)

    outcome = validate(str(path))

    assert outcome.code == 1
    assert outcome.lines == [
        f"{path}:4: ArkAgent/bad: spec.systemPrompt: "
        "at least one of systemPrompt or systemPromptRef must be set "
        "(add systemPrompt, or systemPromptRef.configMapKeyRef / secretKeyRef)",
        "invalid: 1 document in 1 file: 1 error, 0 warnings",
    ]


def test_warnings_do_not_fail_the_run(validate: Validate, write: Write) -> None:
    path = write("warned.yaml", WARNED)

    outcome = validate(str(path))

    assert outcome.code == 0
    assert outcome.lines[0] == (
        f"{path}:4: ArkAgent/warned: spec.networkPolicy: warning: "
        "networkPolicy is accepted for compatibility but has no effect yet"
    )
    assert outcome.lines[-1] == "valid: 1 document in 1 file: 0 errors, 1 warning"


def test_json_output_for_machines(validate: Validate, write: Write) -> None:
    path = write("bad.yaml", BAD + "---\n" + WARNED)

    outcome = validate("--output", "json", str(path))

    assert outcome.code == 1
    report = json.loads("\n".join(outcome.lines))
    assert {k: report[k] for k in ("ok", "files", "documents", "errors", "warnings", "unresolved")} == {
        "ok": False,
        "files": 1,
        "documents": 2,
        "errors": 1,
        "warnings": 1,
        "unresolved": 0,
    }
    assert report["issues"][0] == {
        "file": str(path),
        "line": 4,
        "kind": "ArkAgent",
        "name": "bad",
        "path": "spec.systemPrompt",
        "severity": "error",
        "message": "at least one of systemPrompt or systemPromptRef must be set",
        "hint": "add systemPrompt, or systemPromptRef.configMapKeyRef / secretKeyRef",
    }


def test_stdin_is_read_for_a_dash(validate: Validate) -> None:
    outcome = validate("-", stdin=BAD)
    assert outcome.code == 1
    assert outcome.lines[0].startswith("<stdin>:4: ArkAgent/bad: spec.systemPrompt: ")


def test_directories_are_walked_for_yaml_and_json(validate: Validate, write: Write) -> None:
    write("dir/a.yaml", GOOD)
    write("dir/nested/b.yml", GOOD.replace("good", "other"))
    write(
        "dir/nested/c.json", json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    )
    directory = write("dir/README.md", "not yaml").parent

    outcome = validate(str(directory))

    assert outcome == (0, ["valid: 3 documents in 3 files (1 of other kinds, skipped): 0 errors, 0 warnings"])


def test_a_yaml_syntax_error_names_the_line(validate: Validate, write: Write) -> None:
    path = write("broken.yaml", GOOD + "---\nkind: ArkAgent\nspec:\n  model: [m\n")

    outcome = validate(str(path))

    assert outcome.code == 1
    assert outcome.lines[0].startswith(f"{path}:9: YAML syntax error: did not find expected ',' or ']'")
    assert outcome.lines[-1] == "invalid: 1 document in 1 file: 1 error, 0 warnings"


def test_a_missing_file_is_an_error(validate: Validate, tmp_path: Path) -> None:
    outcome = validate(str(tmp_path / "nope.yaml"))
    assert outcome.code == 1
    assert outcome.lines[0] == f"{tmp_path / 'nope.yaml'}:0: cannot read the file: No such file or directory"


def test_unresolved_references_are_listed(validate: Validate) -> None:
    outcome = validate(str(SAMPLES / "arkservice.yaml"))

    assert outcome.code == 0
    assert outcome.lines == [
        f"{SAMPLES / 'arkservice.yaml'}:8: ArkService/research: spec.selector.arkAgent: note: "
        'ArkAgent "research-agent" is not among the given documents (it must exist in the cluster)',
        "valid: 1 document in 1 file: 0 errors, 0 warnings, 1 unresolved reference",
    ]


def test_paths_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    from ark.cli.main import main

    with pytest.raises(SystemExit) as caught:
        main(["validate"])
    assert caught.value.code == 2
    assert "the following arguments are required: FILE|DIR|-" in capsys.readouterr().err


def test_the_installed_command_runs(write: Write) -> None:
    path = write("bad.yaml", BAD)
    result = subprocess.run(
        [sys.executable, "-m", "ark.cli.main", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "invalid: 1 document in 1 file: 1 error, 0 warnings"
