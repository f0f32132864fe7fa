"""Whole-process measurements: wall time and peak RSS of a command, as a user would run it."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

RUNS = 5
ARK = str(Path(sys.executable).parent / "ark")


@dataclass(frozen=True)
class Sample:
    """One run of a command."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: bytes
    stderr: bytes


def run_measured(command: Sequence[str]) -> Sample:
    """Run ``command`` once; its own peak RSS comes from ``wait4`` (not its children's)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Sample(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read())


def median_of(
    command: Sequence[str], runs: int = RUNS, check: Callable[[Sample], str | None] | None = None
) -> tuple[float, float]:
    """Median wall seconds and median peak RSS (MB) of ``runs`` runs; ``check`` names a bad run."""
    samples = []
    for _ in range(runs):
        sample = run_measured(command)
        problem = check(sample) if check is not None else None
        if problem is not None:
            raise RuntimeError(f"{' '.join(command)}: {problem}: {sample.stderr.decode()[-2000:]}")
        samples.append(sample)
    return (
        statistics.median(s.seconds for s in samples),
        statistics.median(s.peak_rss_mb for s in samples),
    )
