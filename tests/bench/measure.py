"""Whole-process measurements: wall time and peak RSS of a command, as a user would run it."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

RUNS = 5
ARK = str(Path(sys.executable).parent / "ark")
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sample:
    """One run of a command."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    output: bytes
    """What the command wrote, stdout and stderr together."""


def run_measured(command: Sequence[str]) -> Sample:
    """Run ``command`` once through :mod:`tests.support.usage`, which forks it from a small process
    (Linux counts the forking process's memory in the child's peak RSS) and times it."""
    with tempfile.TemporaryFile() as err:
        done = subprocess.run(
            [sys.executable, "-m", "tests.support.usage", *command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=REPO,
            check=True,
        )
        err.seek(0)
        output = err.read()
    report = json.loads(done.stdout.decode().splitlines()[-1])
    return Sample(report["seconds"], report["cpu_seconds"], report["peak_rss_mb"], report["code"], output)


@dataclass(frozen=True)
class Medians:
    """Medians over several runs. Wall time is what the issue's targets are about; CPU time says
    the same with less noise when the machine is shared."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float


def median_of(
    command: Sequence[str], runs: int = RUNS, check: Callable[[Sample], str | None] | None = None
) -> Medians:
    """Medians of ``runs`` runs of ``command``; ``check`` names a bad run."""
    samples = []
    for _ in range(runs):
        sample = run_measured(command)
        problem = check(sample) if check is not None else None
        if problem is not None:
            raise RuntimeError(f"{' '.join(command)}: {problem}: {sample.output.decode()[-2000:]}")
        samples.append(sample)
    return Medians(
        statistics.median(s.seconds for s in samples),
        statistics.median(s.cpu_seconds for s in samples),
        statistics.median(s.peak_rss_mb for s in samples),
    )


def report(name: str, medians: Medians) -> None:
    """Print ``bench: <name> <wall> s`` and ``bench: <name>_cpu <cpu> s``."""
    print(f"bench: {name} {medians.seconds:.3f} s", flush=True)
    print(f"bench: {name}_cpu {medians.cpu_seconds:.3f} s", flush=True)
