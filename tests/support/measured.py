"""Running a command as a user would and measuring what it cost: exit code, output, time, peak RSS."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """The outcome of one :func:`run_measured`."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    """The process's peak resident set size, as the kernel accounted it when it was reaped."""


def run_measured(
    args: Sequence[str], env: Mapping[str, str], timeout: float, cwd: Path | None = None
) -> Measured:
    """Run ``args`` to completion (killed after ``timeout`` seconds) and reap it with ``wait4``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            list(args), env=dict(env), stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd
        )
        # The kernel's own accounting of the child, read when it is reaped; a timer ends a hung one.
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            seconds,
            usage.ru_maxrss / 1024,
        )
