"""A real child process of a test (operator, agent runtime) whose output goes to a temp file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path


class LoggedProcess:
    """Starts ``args`` with ``env``; ``kill`` is a crash, ``terminate`` a graceful stop."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], log_prefix: str) -> None:
        self._log = tempfile.NamedTemporaryFile(prefix=log_prefix, suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(list(args), env=dict(env), stdout=self._log, stderr=subprocess.STDOUT)

    def log_text(self) -> str:
        """Everything the process printed so far."""
        return Path(self._log.name).read_text()

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to release anything or finish work."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Kill it if still running and remove its log."""
        if self.proc.poll() is None:
            self.kill()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
