"""Container probes: one check (``httpGet``, ``tcpSocket``, ``exec``) and the schedule of each kind.

Interface::

    spec = ProbeSpec.parse(container["readinessProbe"])
    outcome = await check(spec, target)               # Outcome(ok, message); never raises
    await readiness(spec, lambda: check(...), report)  # runs until cancelled; report(ready, message)
    message = await startup(spec, probe_once)          # None once it succeeded, else why it failed
    message = await liveness(spec, probe_once)         # returns why, once the container must restart

Timing. The kubelet waits ``initialDelaySeconds`` and then probes every ``periodSeconds``; for
an agent that is 10 s before it can be Ready, though ``ark-runtime`` serves ``/readyz`` in about
a second. The runner probes readiness and startup at once and every 100 ms
(:data:`FAST_INTERVAL`) until the first success, then readiness every ``periodSeconds`` as
declared. A startup probe still fails only after the time the kubelet would allow
(``initialDelaySeconds + failureThreshold * periodSeconds``). Liveness keeps the declared timing
throughout, because acting early on it would restart a container that is merely slow.
Thresholds (``successThreshold``, ``failureThreshold``) and ``timeoutSeconds`` are honoured.

HTTP probes succeed on 200-399 (redirects followed, TLS not verified, ``User-Agent:
kube-probe/<version>``), as the kubelet's. ``grpc`` probes always fail with a message saying
the runner cannot run them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from podrunner.process import resolve_program
from podrunner.serving import Launch, probe_command

Obj = dict[str, Any]
FAST_INTERVAL = 0.1
USER_AGENT = "kube-probe/1.36"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Outcome:
    """One probe result; ``message`` says why it failed."""

    ok: bool
    message: str = ""


@dataclass(frozen=True)
class ProbeSpec:
    """A container probe with the API's defaults filled in."""

    handler: Obj
    initial_delay: float
    period: float
    timeout: float
    success_threshold: int
    failure_threshold: int

    @classmethod
    def parse(cls, probe: Obj) -> ProbeSpec:
        """From a ``Probe`` object as the API serves it."""
        return cls(
            handler=probe,
            initial_delay=float(probe.get("initialDelaySeconds", 0)),
            period=float(probe.get("periodSeconds", 10)),
            timeout=float(probe.get("timeoutSeconds", 1)),
            success_threshold=int(probe.get("successThreshold", 1)),
            failure_threshold=int(probe.get("failureThreshold", 3)),
        )


@dataclass(frozen=True)
class Target:
    """Where a container's probes go: its ports and environment as launched, the image's programs."""

    container: Obj
    launch: Launch
    bin_dir: Path
    client: httpx.AsyncClient


async def _http(action: Obj, target: Target, timeout: float) -> Outcome:
    port = target.launch.map_port(action.get("port", 80), target.container)
    if port is None:
        return Outcome(
            False, f"port {action.get('port')!r} is not a port of container {target.container['name']}"
        )
    scheme = str(action.get("scheme", "HTTP")).lower()
    path = str(action.get("path", "/"))
    url = f"{scheme}://{action.get('host') or HOST}:{port}{path if path.startswith('/') else '/' + path}"
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    headers.update({h["name"]: h["value"] for h in action.get("httpHeaders") or ()})
    try:
        response = await target.client.get(url, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return Outcome(False, f'Get "{url}": timeout after {timeout:g}s')
    except httpx.HTTPError as exc:
        return Outcome(False, f'Get "{url}": {exc}')
    if 200 <= response.status_code < 400:
        return Outcome(True)
    return Outcome(False, f"HTTP probe failed with statuscode: {response.status_code}")


async def _tcp(action: Obj, target: Target, timeout: float) -> Outcome:
    port = target.launch.map_port(action.get("port", 0), target.container)
    if port is None:
        return Outcome(
            False, f"port {action.get('port')!r} is not a port of container {target.container['name']}"
        )
    host = action.get("host") or HOST
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as exc:
        return Outcome(False, f"dial tcp {host}:{port}: {exc or 'timeout'}")
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return Outcome(True)


async def _exec(action: Obj, target: Target, timeout: float) -> Outcome:
    command = probe_command([str(part) for part in action.get("command") or ()], target.launch)
    program = resolve_program(command[0], target.bin_dir) if command else None
    if program is None:
        return Outcome(False, f"exec probe: {command[:1]} is not a program of the image")
    proc = await asyncio.create_subprocess_exec(
        str(program),
        *command[1:],
        env=dict(target.launch.env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(timeout):
            output, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return Outcome(False, f"command timed out after {timeout:g}s")
    if proc.returncode == 0:
        return Outcome(True)
    return Outcome(False, f"command exited with {proc.returncode}: {output.decode(errors='replace')[-200:]}")


async def check(spec: ProbeSpec, target: Target) -> Outcome:
    """Run the probe's handler once against ``target`` within its ``timeoutSeconds``."""
    probe, timeout = spec.handler, spec.timeout
    if "httpGet" in probe:
        return await _http(probe["httpGet"], target, timeout)
    if "tcpSocket" in probe:
        return await _tcp(probe["tcpSocket"], target, timeout)
    if "exec" in probe:
        return await _exec(probe["exec"], target, timeout)
    return Outcome(False, f"the pod runner cannot run this probe (handlers: {sorted(probe)})")


ProbeOnce = Callable[[], Awaitable[Outcome]]


async def readiness(spec: ProbeSpec, probe_once: ProbeOnce, report: Callable[[bool, str], None]) -> None:
    """Probe until cancelled; ``report`` every change of the ready verdict (which starts False)."""
    ready = was_ready = False
    successes = failures = 0
    while True:
        outcome = await probe_once()
        successes, failures = (successes + 1, 0) if outcome.ok else (0, failures + 1)
        if not ready and successes >= spec.success_threshold:
            ready = was_ready = True
            report(True, "")
        elif ready and failures >= spec.failure_threshold:
            ready = False
            report(False, outcome.message)
        await asyncio.sleep(spec.period if was_ready else FAST_INTERVAL)


async def startup(spec: ProbeSpec, probe_once: ProbeOnce) -> str | None:
    """None once the probe succeeds; the failure message once the kubelet would have given up."""
    deadline = time.monotonic() + spec.initial_delay + spec.failure_threshold * spec.period
    while True:
        outcome = await probe_once()
        if outcome.ok:
            return None
        if time.monotonic() >= deadline:
            return outcome.message
        await asyncio.sleep(FAST_INTERVAL)


async def liveness(spec: ProbeSpec, probe_once: ProbeOnce) -> str:
    """Probe on the declared schedule; return the failure message after ``failureThreshold`` in a row."""
    await asyncio.sleep(spec.initial_delay)
    failures = 0
    while True:
        outcome = await probe_once()
        failures = 0 if outcome.ok else failures + 1
        if failures >= spec.failure_threshold:
            return outcome.message
        await asyncio.sleep(spec.period)
