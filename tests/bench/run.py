"""Runs every benchmark module in tests/bench (``bench_*.py``) and relays its figures.

Each module exposes ``main()`` (plain or ``async``) that prints one line per figure:
``bench: <name> <value> <unit>``. Benchmarks measure and print; they never assert
a time. ``python -m tests.bench.run [NAME ...]`` runs only the named modules.
"""

from __future__ import annotations

import asyncio
import compileall
import importlib
import inspect
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The benchmarks share the test harness (hack/localcluster.py) with pytest.
sys.path[:0] = [str(REPO), str(REPO / "hack")]


def discover() -> list[str]:
    """Module names of every benchmark, in a stable order."""
    return sorted(f"tests.bench.{p.stem}" for p in (REPO / "tests" / "bench").glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; exit non-zero if any of them raised."""
    wanted = set(argv if argv is not None else sys.argv[1:])
    # Whole-process figures are for an installed ark, whose bytecode pip compiled: make sure it
    # exists even where PYTHONDONTWRITEBYTECODE is set, or every run would compile our sources.
    for package in ("ark", "ark_runtime"):
        compileall.compile_dir(REPO / package, quiet=1)
    failed: list[str] = []
    for name in discover():
        if wanted and name.rsplit(".", 1)[1] not in wanted and name.rsplit(".bench_", 1)[1] not in wanted:
            continue
        started = time.monotonic()
        print(f"# {name}", flush=True)
        try:
            entry = importlib.import_module(name).main
            result = entry()
            if inspect.isawaitable(result):
                asyncio.run(result)  # type: ignore[arg-type]
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"# {name} took {time.monotonic() - started:.1f} s", flush=True)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
