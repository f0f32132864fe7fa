"""Registering the cluster sub-commands costs `ark --help` and `ark run` nothing: their code loads on use."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, argparse
from ark.cli import retry, status, submit, trigger
parser = argparse.ArgumentParser()
commands = parser.add_subparsers()
for module in (trigger, submit, status, retry):
    module.register(commands)
heavy = ("pydantic", "kubernetes_asyncio", "aiohttp", "yaml", "rich", "ark.api", "ark.kube", "ark.flow")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(heavy))))
"""


def test_registering_the_cluster_commands_imports_no_cluster_code() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []
