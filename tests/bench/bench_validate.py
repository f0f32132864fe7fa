"""Benchmark: `ark validate` on one 200-document file (a realistic mix of kinds).

Measures the whole command as a user runs it (a fresh process: start-up, imports, YAML,
models, semantic checks, output), best of three. Prints one line; never asserts a time.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "manifests" / "samples"
DOCUMENTS = 200


def corpus(count: int = DOCUMENTS) -> str:
    """``count`` documents: the samples' objects (teams of every mode, agents, events, ...)
    repeated under fresh names, so every reference still resolves inside the file."""
    templates = [
        chunk.strip()
        for path in sorted(SAMPLES.glob("*.yaml"))
        for chunk in path.read_text().split("\n---\n")
        if "arkonis.dev/v1alpha1" in chunk
    ]
    docs: list[str] = []
    copy = 0
    while len(docs) < count:
        for text in templates:
            if len(docs) == count:
                break
            docs.append(text.replace("name: ", f"name: c{copy}-", 1) if copy else text)
        copy += 1
    return "\n---\n".join(docs) + "\n"


def main() -> None:
    """Print ``bench: validate_200_docs <seconds> s``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(corpus())
        command = [sys.executable, "-m", "ark.cli.main", "validate", str(path)]
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
            best = min(best, time.perf_counter() - started)
            if result.returncode != 0:
                raise RuntimeError(f"ark validate failed on the benchmark corpus:\n{result.stdout[-2000:]}")
    print(f"bench: validate_200_docs {best:.3f} s")


if __name__ == "__main__":
    main()
