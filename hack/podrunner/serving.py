"""Ports: every process shares the host's network, so what a container serves moves to a free port.

Interface::

    port = free_port()                 # a TCP port on 127.0.0.1 nothing listens on now
    launch = localise(["ark-runtime"], env, host_port=port)
    launch.argv, launch.env            # what to exec
    launch.pod_port                    # where it would listen in a pod (8080), or None
    launch.host_port                   # where it listens here
    launch.map_port("health", container)   # a probe's port (name or number) -> the port to dial
    probe_command(["redis-cli", "ping"], launch)   # an exec probe's command, told the port too

This is the runner's one deviation from a kubelet. In a pod each container has the pod's own
network namespace and listens on its declared port; here two agents cannot both bind 8080. The
image's two entry points are told where to listen instead:

* ``ark-runtime``: ``AGENT_HEALTH_PORT`` is set (the pod's value, default 8080, is its pod port);
* ``ark-operator``: every ``--metrics-addr`` is replaced by ``--metrics-addr=127.0.0.1:<port>``
  (the pod port comes from the flag, else ``METRICS_ADDR``, else 8081), and its trigger webhook
  server (8092 in a pod) and ArkService task server (8093) are told
  ``--trigger-webhook-addr=127.0.0.1:<another free port>`` and ``--service-addr=127.0.0.1:<another>``
  (a Service proxy of the runner may already listen on 8092/8093 on its own loopback address,
  which a wildcard bind would collide with);
* ``redis-server`` (the redis image): ``--port <port> --bind 127.0.0.1`` are appended (the last
  occurrence wins; the pod port is an earlier ``--port``, else 6379), and an exec probe running
  ``redis-cli`` gets ``-p <port>``.

Other commands run unchanged. A probe whose port is the pod port, or the name of a declared
``containerPort`` equal to it, dials the assigned port; any other port is dialled as declared.
"""

from __future__ import annotations

import itertools
import os
import socket
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
RUNTIME = "ark-runtime"
OPERATOR = "ark-operator"
REDIS = "redis-server"
REDIS_CLI = "redis-cli"
RUNTIME_PORT_VARIABLE = "AGENT_HEALTH_PORT"
OPERATOR_FLAG = "--metrics-addr"
WEBHOOK_FLAG = "--trigger-webhook-addr"
SERVICE_FLAG = "--service-addr"
MOVED_FLAGS = (WEBHOOK_FLAG, SERVICE_FLAG)
"""The operator's other servers: each moves to a free loopback port of its own."""
DEFAULT_RUNTIME_PORT = 8080
DEFAULT_OPERATOR_PORT = 8081
DEFAULT_REDIS_PORT = 6379


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Launch:
    """A container's command line and environment, adjusted to listen where the runner says."""

    argv: list[str]
    env: dict[str, str]
    pod_port: int | None
    host_port: int | None

    def map_port(self, port: int | str, container: Obj) -> int | None:
        """The local port to dial for a probe's ``port`` (a number or a declared port's name)."""
        if isinstance(port, str) and not port.isdigit():
            named = [p for p in container.get("ports") or () if p.get("name") == port]
            if not named:
                return None
            port = named[0]["containerPort"]
        number = int(port)
        if self.host_port is not None and number == self.pod_port:
            return self.host_port
        return number


def _port_of(address: str) -> int | None:
    _, sep, port = address.rpartition(":")
    return int(port) if sep and port.isdigit() else None


def _localise_operator(argv: list[str], env: dict[str, str], host_port: int) -> Launch:
    pod_port: int | None = _port_of(env.get("METRICS_ADDR", "")) or DEFAULT_OPERATOR_PORT
    kept: list[str] = []
    args = iter(argv[1:])
    for arg in args:
        if arg == OPERATOR_FLAG:
            pod_port = _port_of(next(args, ""))
        elif arg.startswith(f"{OPERATOR_FLAG}="):
            pod_port = _port_of(arg.partition("=")[2])
        elif arg in MOVED_FLAGS:
            next(args, "")
        elif not arg.startswith(tuple(f"{flag}=" for flag in MOVED_FLAGS)):
            kept.append(arg)
    moved = [f"{flag}=127.0.0.1:{free_port()}" for flag in MOVED_FLAGS]
    new_argv = [argv[0], *kept, *moved, f"{OPERATOR_FLAG}=127.0.0.1:{host_port}"]
    return Launch(new_argv, env, pod_port, host_port)


def _localise_redis(argv: list[str], env: dict[str, str], host_port: int) -> Launch:
    pod_port: int | None = DEFAULT_REDIS_PORT
    for flag, value in itertools.pairwise(argv):
        if flag == "--port":
            pod_port = int(value) if value.isdigit() else None
    return Launch([*argv, "--port", str(host_port), "--bind", "127.0.0.1"], env, pod_port, host_port)


def probe_command(command: list[str], launch: Launch) -> list[str]:
    """An exec probe's command: ``redis-cli`` is told the port its server listens on here."""
    if command and os.path.basename(command[0]) == REDIS_CLI and launch.host_port is not None:
        return [command[0], "-p", str(launch.host_port), *command[1:]]
    return command


def localise(argv: list[str], env: dict[str, str], host_port: int) -> Launch:
    """``argv`` / ``env`` of one container, told to serve on ``host_port`` (see the module docstring)."""
    program = os.path.basename(argv[0]) if argv else ""
    if program == RUNTIME:
        declared = env.get(RUNTIME_PORT_VARIABLE, str(DEFAULT_RUNTIME_PORT))
        pod_port = int(declared) if declared.isdigit() else None
        return Launch(list(argv), {**env, RUNTIME_PORT_VARIABLE: str(host_port)}, pod_port, host_port)
    if program == OPERATOR:
        return _localise_operator(argv, env, host_port)
    if program == REDIS:
        return _localise_redis(argv, env, host_port)
    return Launch(list(argv), env, None, None)
