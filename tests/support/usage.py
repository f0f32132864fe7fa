"""Run a command and report how it ended: ``python -m tests.support.usage CMD [ARG...]``.

The command's output (stdout and stderr) goes to this process's stderr, and one JSON line on
stdout gives its exit status, wall and CPU seconds, and peak RSS (from ``wait4``). Run this module as a
process of its own: Linux counts the memory of the process that forks a command in the command's
peak RSS, so the forking process must be small (a test runner is not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    """Run ``argv`` with this process's stdin; print its usage."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=sys.stdin, stdout=sys.stderr, stderr=sys.stderr)
    _, status, usage = os.wait4(proc.pid, 0)
    report = {
        "code": os.waitstatus_to_exitcode(status),
        "seconds": time.perf_counter() - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
    }
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
