"""The operator's configuration: command-line flags, each with an environment variable fallback.

Flags (environment fallback in brackets, then the default):

* ``--kubeconfig PATH`` [``KUBECONFIG``]: in-cluster config inside a pod, else ``~/.kube/config``
* ``--namespace NS``, repeatable [``WATCH_NAMESPACES=a,b``]: every namespace
* ``--task-queue-url URL`` [``TASK_QUEUE_URL``]: ``redis.ark-system.svc.cluster.local:6379``
* ``--agent-image IMAGE`` [``AGENT_IMAGE``]: ``ghcr.io/arkonis-dev/ark:<version>``
* ``--agent-image-pull-policy P`` [``AGENT_IMAGE_PULL_POLICY``]: unset (the cluster's default)
* ``--agent-api-keys-secret NAME`` [``AGENT_API_KEYS_SECRET``]: unset; an optional ``envFrom``
  Secret added to every agent (the original chart's ``apiKeys.existingSecret``)
* ``--agent-env KEY=VALUE``, repeatable [``AGENT_EXTRA_ENV``: ``A=1,B=2``, or one ``KEY=VALUE``
  per line when a value contains a comma]: none; a literal variable put into every agent
  container's ``env`` after the operator's own (replacing one of the same name in place) and
  before the agent's ``spec.env`` (which still wins); the original chart's ``agentExtraEnv``.
  ``KEY`` is a C identifier; ``VALUE`` may be empty and is passed as is (no ``$(VAR)`` expansion)
* ``--leader-elect`` / ``--no-leader-elect`` [``LEADER_ELECT``]: on
* ``--leader-election-id ID`` [``LEADER_ELECTION_ID``]: ``ark-operator`` (the Lease name)
* ``--leader-election-namespace NS`` [``LEADER_ELECTION_NAMESPACE``]: ``POD_NAMESPACE``, else the
  pod's service-account namespace, else ``ark-system``
* ``--metrics-addr HOST:PORT`` [``METRICS_ADDR``]: ``:8081``, serving ``/healthz`` ``/readyz`` ``/metrics``
* ``--workers N`` [``WORKERS``]: 8 concurrent reconciles per controller
* ``AGENT_MAX_RESULT_BYTES`` (an ``--agent-env`` entry, else this process's environment): the cap
  on a result's output, as the agents apply it; a larger result is recorded as the step's error
* ``--step-grace-seconds S`` [``STEP_GRACE_SECONDS``]: 65. The operator waits for a task's
  result for two of its timeouts (``limits.timeoutSeconds``: the task may run again on another
  pod after a crash) plus this grace, which covers the runtime noticing the crash
  (``AGENT_RECLAIM_GRACE_SECONDS``, 30, plus the reclaim interval, at most 30).
* ``--trigger-webhook-addr HOST:PORT`` [``TRIGGER_WEBHOOK_ADDR``]: ``:8092``, the trigger webhook
  server (``POST /triggers/<ns>/<event>/fire``, ``/healthz``), on every replica
* ``--trigger-webhook-rate R`` [``TRIGGER_WEBHOOK_RATE``]: 10 fires a second per event, bursts of
  ``--trigger-webhook-burst N`` [``TRIGGER_WEBHOOK_BURST``]: 100; beyond them 429 ``Retry-After``
* ``--trigger-webhook-read-timeout S`` [``TRIGGER_WEBHOOK_READ_TIMEOUT``]: 10 seconds for a
  request's whole body to arrive (else 408)
* ``--log-level LEVEL`` [``LOG_LEVEL``]: ``info``
* ``--service-addr HOST:PORT`` [``SERVICE_ADDR``]: ``:8093``, the task server of ArkServices
  (``POST /v1/tasks``), on every replica; the Services ArkServices get target this port
* ``--service-backend NS/NAME`` [``SERVICE_BACKEND``]: ``<leader-election namespace>/ark-operator-tasks``,
  the operator's own Service in front of the task server, whose endpoints each ArkService's
  Service gets (mirrored EndpointSlices)

The default agent image is the operator's own image at the same version: the one distribution
ships both ``ark-operator`` and ``ark-runtime``, so operator and agents always speak the same
queue protocol (the Go operator's ``ghcr.io/arkonis-dev/ark-runtime`` speaks another one).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ark import __version__
from ark_runtime.protocol import DEFAULT_MAX_RESULT_BYTES, MAX_RESULT_BYTES_VARIABLE

DEFAULT_AGENT_IMAGE = f"ghcr.io/arkonis-dev/ark:{__version__}"
DEFAULT_TASK_QUEUE_URL = "redis.ark-system.svc.cluster.local:6379"
DEFAULT_NAMESPACE = "ark-system"
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
LOG_LEVELS = ("debug", "info", "warning", "error")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(ValueError):
    """A flag or environment variable has an invalid value; the message names it."""


@dataclass(frozen=True)
class OperatorConfig:
    """Everything ``ark-operator`` needs to start."""

    kubeconfig: str | None
    namespaces: tuple[str, ...]
    task_queue_url: str
    agent_image: str
    agent_image_pull_policy: str | None
    agent_api_keys_secret: str | None
    agent_extra_env: tuple[tuple[str, str], ...]
    """``--agent-env`` as ``(name, value)`` pairs in order, one per name (the last value wins)."""
    leader_elect: bool
    leader_election_id: str
    leader_election_namespace: str
    metrics_host: str
    metrics_port: int
    workers: int
    log_level: str
    step_grace_seconds: float = 65.0
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    trigger_webhook_url: str | None = None
    """Base URL webhook ArkEvents are reached at (their ``status.webhookURL``); None: not shown."""
    trigger_webhook_host: str = "0.0.0.0"
    trigger_webhook_port: int = 8092
    trigger_webhook_rate: float = 10.0
    trigger_webhook_burst: int = 100
    trigger_webhook_read_timeout: float = 10.0
    service_host: str = "0.0.0.0"
    service_port: int = 8093
    """The task server of ArkServices (``--service-addr``)."""
    service_backend: tuple[str, str] = ("ark-system", "ark-operator-tasks")
    """The operator's own task Service (``--service-backend``), as (namespace, name)."""


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def parse_address(value: str, name: str = "--metrics-addr") -> tuple[str, int]:
    """``HOST:PORT`` or ``:PORT`` (all interfaces) -> (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"{name} must be HOST:PORT or :PORT, got {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def parse_env_assignments(entries: Sequence[str], name: str = "--agent-env") -> tuple[tuple[str, str], ...]:
    """``KEY=VALUE`` entries -> ``(KEY, VALUE)`` pairs, one per key in first-seen order, last value winning.

    Errors name ``name`` and the entry's key or position, never a value (values may be secrets).
    """
    pairs: dict[str, str] = {}
    for position, entry in enumerate(entries, start=1):
        key, sep, value = entry.partition("=")
        if not sep:
            raise ConfigError(f"{name} must be KEY=VALUE; entry {position} has no '='")
        if not ENV_NAME.fullmatch(key):
            raise ConfigError(
                f"{name}: {key!r} (entry {position}) is not a variable name: "
                "letters, digits and '_', not starting with a digit"
            )
        pairs[key] = value
    return tuple(pairs.items())


def _env_list(value: str) -> list[str]:
    # A value may itself contain commas (OTEL_RESOURCE_ATTRIBUTES=a=b,c=d): then one entry per line.
    separator = "\n" if "\n" in value else ","
    return [entry.strip() for entry in value.split(separator) if entry.strip()]


def _default_lease_namespace(env: Mapping[str, str]) -> str:
    if env.get("POD_NAMESPACE"):
        return env["POD_NAMESPACE"]
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or DEFAULT_NAMESPACE
    except OSError:
        return DEFAULT_NAMESPACE


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ark-operator", description="Runs ArkAgents (arkonis.dev/v1alpha1) as Deployments of agent pods."
    )
    parser.add_argument("--kubeconfig", default=env.get("KUBECONFIG") or None, help="kubeconfig file")
    parser.add_argument(
        "--namespace",
        action="append",
        dest="namespaces",
        metavar="NS",
        help="namespace to watch (repeatable; default: all, or WATCH_NAMESPACES=a,b)",
    )
    parser.add_argument("--task-queue-url", default=env.get("TASK_QUEUE_URL") or DEFAULT_TASK_QUEUE_URL)
    parser.add_argument("--agent-image", default=env.get("AGENT_IMAGE") or DEFAULT_AGENT_IMAGE)
    parser.add_argument(
        "--agent-image-pull-policy",
        default=env.get("AGENT_IMAGE_PULL_POLICY") or None,
        choices=PULL_POLICIES,
    )
    parser.add_argument("--agent-api-keys-secret", default=env.get("AGENT_API_KEYS_SECRET") or None)
    parser.add_argument(
        "--agent-env",
        action="append",
        metavar="KEY=VALUE",
        help="variable for every agent container (repeatable; default: AGENT_EXTRA_ENV=A=1,B=2)",
    )
    parser.add_argument(
        "--leader-elect",
        action=argparse.BooleanOptionalAction,
        default=_bool(env.get("LEADER_ELECT", "true"), "LEADER_ELECT"),
    )
    parser.add_argument("--leader-election-id", default=env.get("LEADER_ELECTION_ID") or "ark-operator")
    parser.add_argument(
        "--leader-election-namespace",
        default=env.get("LEADER_ELECTION_NAMESPACE") or _default_lease_namespace(env),
    )
    parser.add_argument("--metrics-addr", default=env.get("METRICS_ADDR") or ":8081")
    # A string default goes through `type` too, so a bad WORKERS is reported like a bad flag.
    parser.add_argument("--workers", type=int, default=env.get("WORKERS") or "8")
    parser.add_argument("--log-level", default=(env.get("LOG_LEVEL") or "info").lower(), choices=LOG_LEVELS)
    parser.add_argument("--step-grace-seconds", type=float, default=env.get("STEP_GRACE_SECONDS") or "65")
    parser.add_argument(
        "--trigger-webhook-url",
        default=env.get("TRIGGER_WEBHOOK_URL") or None,
        help="base URL of the trigger webhook server, shown in webhook ArkEvents' status.webhookURL",
    )
    parser.add_argument("--trigger-webhook-addr", default=env.get("TRIGGER_WEBHOOK_ADDR") or ":8092")
    parser.add_argument("--trigger-webhook-rate", type=float, default=env.get("TRIGGER_WEBHOOK_RATE") or "10")
    parser.add_argument(
        "--trigger-webhook-burst", type=int, default=env.get("TRIGGER_WEBHOOK_BURST") or "100"
    )
    parser.add_argument(
        "--trigger-webhook-read-timeout", type=float, default=env.get("TRIGGER_WEBHOOK_READ_TIMEOUT") or "10"
    )
    parser.add_argument("--service-addr", default=env.get("SERVICE_ADDR") or ":8093")
    parser.add_argument("--service-backend", default=env.get("SERVICE_BACKEND") or None, metavar="NS/NAME")
    return parser


def _backend(value: str | None, namespace: str) -> tuple[str, str]:
    if not value:
        return namespace, "ark-operator-tasks"
    space, sep, name = value.partition("/")
    if not sep or not space or not name or "/" in name:
        raise ConfigError(f"--service-backend must be NAMESPACE/NAME, got {value!r}")
    return space, name


def _result_cap(extra_env: tuple[tuple[str, str], ...], env: Mapping[str, str]) -> int:
    """The cap on a result's output: the agents' (``--agent-env AGENT_MAX_RESULT_BYTES=N``), else
    this process's ``AGENT_MAX_RESULT_BYTES``, else the runtime's default; so both sides agree."""
    given = dict(extra_env).get(MAX_RESULT_BYTES_VARIABLE) or env.get(MAX_RESULT_BYTES_VARIABLE)
    if not given:
        return DEFAULT_MAX_RESULT_BYTES
    if not given.isdigit() or int(given) < 1:
        raise ConfigError(f"{MAX_RESULT_BYTES_VARIABLE} must be a positive number of bytes, got {given!r}")
    return int(given)


def _webhook_base(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--trigger-webhook-url must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def parse_config(argv: Sequence[str], env: Mapping[str, str] | None = None) -> OperatorConfig:
    """Parse flags (falling back to ``env``); raises :class:`ConfigError` for invalid values."""
    env = os.environ if env is None else env
    args = _parser(env).parse_args(list(argv))
    namespaces = args.namespaces or [n for n in env.get("WATCH_NAMESPACES", "").split(",") if n.strip()]
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {args.workers}")
    if not args.step_grace_seconds >= 0:
        raise ConfigError(f"--step-grace-seconds must be 0 or more, got {args.step_grace_seconds}")
    host, port = parse_address(args.metrics_addr)
    webhook_host, webhook_port = parse_address(args.trigger_webhook_addr, "--trigger-webhook-addr")
    if not args.trigger_webhook_rate > 0:
        raise ConfigError(f"--trigger-webhook-rate must be above 0, got {args.trigger_webhook_rate}")
    if args.trigger_webhook_burst < 1:
        raise ConfigError(f"--trigger-webhook-burst must be at least 1, got {args.trigger_webhook_burst}")
    if not args.trigger_webhook_read_timeout > 0:
        raise ConfigError(
            f"--trigger-webhook-read-timeout must be above 0, got {args.trigger_webhook_read_timeout}"
        )
    service_host, service_port = parse_address(args.service_addr, "--service-addr")
    if args.agent_env is not None:
        extra_env = parse_env_assignments(args.agent_env)
    else:
        extra_env = parse_env_assignments(_env_list(env.get("AGENT_EXTRA_ENV", "")), "AGENT_EXTRA_ENV")
    return OperatorConfig(
        max_result_bytes=_result_cap(extra_env, env),
        kubeconfig=args.kubeconfig,
        namespaces=tuple(dict.fromkeys(n.strip() for n in namespaces)),
        task_queue_url=args.task_queue_url,
        agent_image=args.agent_image,
        agent_image_pull_policy=args.agent_image_pull_policy,
        agent_api_keys_secret=args.agent_api_keys_secret,
        agent_extra_env=extra_env,
        leader_elect=args.leader_elect,
        leader_election_id=args.leader_election_id,
        leader_election_namespace=args.leader_election_namespace,
        metrics_host=host,
        metrics_port=port,
        workers=args.workers,
        log_level=args.log_level,
        step_grace_seconds=args.step_grace_seconds,
        trigger_webhook_url=_webhook_base(args.trigger_webhook_url),
        trigger_webhook_host=webhook_host,
        trigger_webhook_port=webhook_port,
        trigger_webhook_rate=args.trigger_webhook_rate,
        trigger_webhook_burst=args.trigger_webhook_burst,
        trigger_webhook_read_timeout=args.trigger_webhook_read_timeout,
        service_host=service_host,
        service_port=service_port,
        service_backend=_backend(args.service_backend, args.leader_election_namespace),
    )
