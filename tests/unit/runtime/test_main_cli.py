"""``ark-runtime`` is configured by its environment; its command line only explains that."""

from __future__ import annotations

import json
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


def test_an_agent_without_tool_servers_never_loads_the_mcp_client() -> None:
    # Half a second of start-up for every pod that has no MCP servers.
    probe = "import json, sys, ark_runtime.main; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    packages = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert "ark_runtime" in packages
    assert not packages & {"mcp", "mcp_types"}
