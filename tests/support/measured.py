"""Running a console script as a user would and measuring what it cost: exit code, output, time, peak RSS.

The peak is the process's own ``VmHWM`` from ``/proc/self/status``, written when it exits. The
kernel's ``ru_maxrss`` would not do: it counts the memory the child shared with its (large) test
parent between fork and exec.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Runs the script as its console entry point would, and reports VmHWM at exit (sys.exit included).
_LAUNCHER = """
import atexit, os, runpy, sys

def report():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["ARK_TEST_PEAK_FILE"], "w") as out:
        out.write(peak)

atexit.register(report)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@dataclass(frozen=True)
class Measured:
    """The outcome of one :func:`run_measured`."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def run_measured(
    script: str, args: Sequence[str], env: Mapping[str, str], timeout: float, cwd: Path | None = None
) -> Measured:
    """Run the Python console ``script`` (e.g. ``.venv/bin/ark``) with ``args`` to completion."""
    with tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, script, *args],
            env={**env, "ARK_TEST_PEAK_FILE": peak.name},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        kib = Path(peak.name).read_text()
    if not kib:
        raise AssertionError(f"{script} exited without reporting its peak RSS: {done.stderr[-2000:]}")
    return Measured(done.returncode, done.stdout, done.stderr, seconds, int(kib) / 1024)
