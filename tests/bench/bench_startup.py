"""Start-up benchmarks: the fixed cost a user pays on every ``ark`` command.

* ``ark_help``: ``ark --help``.
* ``validate_cold_1_doc``: ``ark validate`` on one small ArkTeam (the summarizer sample).
* ``run_cold_10_steps``: ``ark run --provider mock`` on a 10-step chain.

Each is a fresh process (interpreter start-up, imports, work, exit), the median of
:data:`~tests.bench.measure.RUNS` runs. Measured, never asserted.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.bench.measure import ARK, Sample, median_of, report
from tests.bench.workloads import chain

REPO = Path(__file__).resolve().parents[2]
ONE_DOCUMENT = REPO / "manifests" / "samples" / "arkteam.yaml"


def _exit_zero(sample: Sample) -> str | None:
    return None if sample.returncode == 0 else f"exit status {sample.returncode}"


def main() -> None:
    """Print the three figures (wall and CPU time)."""
    report("ark_help", median_of([ARK, "--help"], check=_exit_zero))
    report("validate_cold_1_doc", median_of([ARK, "validate", str(ONE_DOCUMENT)], check=_exit_zero))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chain10.yaml"
        path.write_text(chain(10))
        medians = median_of([ARK, "run", str(path), "--provider", "mock"], check=_exit_zero)
    report("run_cold_10_steps", medians)


if __name__ == "__main__":
    main()
