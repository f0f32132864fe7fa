"""One container's process: found in the image's programs, started, waited for, stopped.

Interface::

    program = resolve_program("ark-runtime", bin_dir)      # Path or None
    proc = await Process.spawn(program, argv, env, cwd="/", log=path)   # raises StartError
    proc.pid, proc.started_at                              # wall-clock start (datetime, UTC)
    code = await proc.wait()                               # container exit code (128 + signal)
    code = await proc.stop(grace=30)                       # SIGTERM, SIGKILL after the grace
    proc.kill()                                            # SIGKILL now

An image's filesystem is a bin directory (the venv's for the ark image): a command is looked up
there by its basename (``/usr/local/bin/ark-runtime`` and ``ark-runtime`` are the same program). Each
process leads its own session, so a Ctrl-C meant for the runner does not reach it, and gets
``SIGKILL`` if the runner itself dies (``PR_SET_PDEATHSIG``), so none outlives it. When the main
process ends, whatever it left behind in its process group is killed, as a container's
teardown kills everything in it. Output goes to the pod's log file.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

PR_SET_PDEATHSIG = 1


class StartError(Exception):
    """The process could not be started (no such program, bad working directory, ...)."""


def resolve_program(name: str, bin_dir: Path) -> Path | None:
    """The executable ``bin_dir / basename(name)``, or None when there is none."""
    candidate = bin_dir / os.path.basename(name)
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def exit_code(returncode: int) -> int:
    """A container's exit code: the process's own, or 128 + the signal that killed it."""
    return 128 - returncode if returncode < 0 else returncode


class Process:
    """A started container process (see the module docstring)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc
        self.pid = proc.pid
        self.started_at = datetime.datetime.now(datetime.UTC)

    @classmethod
    async def spawn(
        cls, program: Path, argv: Sequence[str], env: Mapping[str, str], *, cwd: str, log: Path
    ) -> Process:
        """Start ``program`` with the arguments ``argv[1:]`` and exactly ``env``."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            try:
                proc = await asyncio.create_subprocess_exec(
                    str(program),
                    *argv[1:],
                    env=dict(env),
                    cwd=cwd,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=out,
                    stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            except (OSError, ValueError) as exc:
                raise StartError(f"starting {argv[0]}: {exc}") from exc
        return cls(proc)

    async def wait(self) -> int:
        """Wait for the main process to end, kill what it left in its group; the container exit code."""
        returncode = await self._proc.wait()
        self._kill_group()
        return exit_code(returncode)

    async def stop(self, grace: float) -> int:
        """SIGTERM, then SIGKILL to the whole group after ``grace`` seconds; the exit code."""
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(grace):
                    await self._proc.wait()
            except TimeoutError:
                self._kill_group()
        return await self.wait()

    def kill(self) -> None:
        """SIGKILL the process and its group now."""
        self._kill_group()

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
