"""A container's filesystem view: its own mount namespace with its volumes, then exec.

Interface (the runner's side)::

    plan = Plan(root=dir, upper=dir, work=dir, mounts=[Mount(source, "/data", read_only=False)],
                program="/usr/bin/redis-server", argv=[...], env={...}, cwd="/")
    argv = plan.command(plan_file)        # what to spawn instead of the program; pid stays the same

The helper (``python -I -S sandbox.py PLAN.json``, standard library only) does what a container
runtime does for the kubelet's volume mounts, as plain mount(2) calls:

1. ``unshare(CLONE_NEWNS | CLONE_NEWUTS)``: every mount made private, so nothing leaks back to
   the host, and the pod's hostname (its name, as the kubelet sets it);
2. an overlay of the host's ``/`` on ``root`` (writes go to ``upper``, a fresh directory per
   start: the host's files are never changed, and a mount point such as ``/data`` or
   ``/var/run/secrets/kubernetes.io/serviceaccount`` can be created in it); ``/proc``, ``/sys``
   and ``/dev`` are bound in from the host;
3. each volume bound at its ``mountPath`` (read-only when asked), ``/etc/hosts`` included; then
   the ``keep`` directories (the image's own files: the checkout and venv that our images map
   to) bound back at their host paths, so that a volume such as the agents' emptyDir at ``/tmp``
   cannot hide them when the checkout itself lives under ``/tmp``;
4. ``chroot`` into ``root``, ``chdir`` to the working directory, ``execve`` the program with
   exactly the container's environment.

It needs CAP_SYS_ADMIN (root). A failure is printed to the pod's log with what failed and the
helper exits 128, as a container runtime's start error would.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
MS_RDONLY = 0x1
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
START_ERROR = 128
HOST_MOUNTS = ("/proc", "/sys", "/dev")


@dataclass(frozen=True)
class Mount:
    """A host directory (or file) bound at ``target`` inside the container."""

    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class Plan:
    """Everything the helper needs to start one container process."""

    root: str
    upper: str
    work: str
    program: str
    argv: list[str]
    env: dict[str, str]
    cwd: str = "/"
    hostname: str = ""
    mounts: list[Mount] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)

    def write(self, path: Path) -> None:
        """Save the plan as JSON (it holds the environment: only the runner may read it)."""
        path.write_text(json.dumps(asdict(self)))
        path.chmod(0o600)

    @classmethod
    def read(cls, path: Path) -> Plan:
        """Load a plan written by :meth:`write`."""
        raw = json.loads(path.read_text())
        raw["mounts"] = [Mount(**m) for m in raw.get("mounts", [])]
        return cls(**raw)

    def command(self, plan_file: Path) -> list[str]:
        """The helper's command line for ``plan_file`` (the program is exec'd by the helper)."""
        return [sys.executable, "-I", "-S", str(Path(__file__).resolve()), str(plan_file)]


class SandboxError(Exception):
    """A mount step failed; the message names the step and errno."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL("libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(errno)} (errno {errno})")


def _mount(
    libc: ctypes.CDLL, source: str, target: str, fstype: str | None, flags: int, data: str = ""
) -> None:
    _check(
        libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {source} on {target}",
    )


MAX_LINKS = 40


def inside(root: str, path: str) -> str:
    """``path`` of the container as a host path under ``root``, its symlinks resolved against
    ``root`` (``/var/run`` -> ``/run`` stays inside), never escaping it."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            links += 1
            if links > MAX_LINKS:
                raise SandboxError(f"{path}: too many levels of symbolic links")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


def _mountpoint(path: str, like: str) -> None:
    """Create ``path`` as a directory, or an empty file when ``like`` is a file."""
    if os.path.isdir(like):
        os.makedirs(path, exist_ok=True)
    elif not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Path(path).touch()


def enter(plan: Plan) -> None:
    """Steps 1-4 of the module docstring; returns only on failure (by raising)."""
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), "unshare(CLONE_NEWNS | CLONE_NEWUTS)")
    if plan.hostname:
        name = plan.hostname.encode()
        _check(libc.sethostname(name, len(name)), f"sethostname {plan.hostname}")
    _mount(libc, "none", "/", None, MS_REC | MS_PRIVATE)
    _mount(libc, "overlay", plan.root, "overlay", 0, f"lowerdir=/,upperdir={plan.upper},workdir={plan.work}")
    for host in HOST_MOUNTS:
        _mount(libc, host, inside(plan.root, host), None, MS_BIND | MS_REC)
    # Outer mounts first, so a volume inside another one lands on top of it.
    for mount in sorted(plan.mounts, key=lambda m: m.target.count("/")):
        target = inside(plan.root, mount.target)
        _mountpoint(target, mount.source)
        _mount(libc, mount.source, target, None, MS_BIND)
        if mount.read_only:
            _mount(libc, mount.source, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
    for path in plan.keep:
        target = inside(plan.root, path)
        _mountpoint(target, path)
        _mount(libc, path, target, None, MS_BIND | MS_REC)
    os.chroot(plan.root)
    os.chdir(plan.cwd)
    os.execve(plan.program, plan.argv, plan.env)


def main(argv: list[str]) -> int:
    """``sandbox.py PLAN.json``: enter the plan's view and exec its program."""
    if len(argv) != 1:
        print("usage: sandbox.py PLAN.json", file=sys.stderr)
        return 2
    try:
        plan = Plan.read(Path(argv[0]))
        # The plan holds the environment (keys, tokens): gone once read.
        Path(argv[0]).unlink()
        enter(plan)
    except (SandboxError, OSError, ValueError, KeyError) as error:
        print(f"podrunner sandbox: cannot start the container: {error}", file=sys.stderr, flush=True)
        return START_ERROR
    return START_ERROR


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
