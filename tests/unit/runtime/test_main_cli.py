"""``ark-runtime`` is configured by its environment; its command line only explains that."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNTIME = str(Path(sys.executable).parent / "ark-runtime")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RUNTIME, *args], capture_output=True, text=True, timeout=60, env={}, check=False)


def test_help_lists_the_required_environment() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert "AGENT_MODEL, AGENT_SYSTEM_PROMPT, TASK_QUEUE_URL" in done.stdout


def test_version_and_unknown_arguments() -> None:
    assert run("--version").stdout.strip() == "ark-runtime 0.1.0"
    refused = run("--queue", "x")
    assert refused.returncode == 2
    assert refused.stderr.startswith("usage: ark-runtime")


def test_a_missing_variable_is_named_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert "AGENT_MODEL is required and is not set" in done.stdout + done.stderr
