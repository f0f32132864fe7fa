"""The OpenTelemetry settings the operator hands on to agent pods. Pure, no I/O.

Agents export their spans where the operator exports its own: every standard ``OTEL_*``
variable the operator was started with is passed on, except ``OTEL_SERVICE_NAME`` (each agent
pod names itself; a copied name would merge every agent into the operator's process in the
tracing backend) and header variables (``OTEL_EXPORTER_OTLP_*HEADERS`` may carry credentials,
and literal env values are visible in the Deployment; put them in a Secret with ``envFrom``).
"""

from __future__ import annotations

from collections.abc import Mapping

_KEPT_BACK = ("OTEL_SERVICE_NAME",)


def _is_header(name: str) -> bool:
    return name.endswith("_HEADERS")


def otlp_env(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The ``(name, value)`` pairs of ``env`` an agent container gets, sorted by name."""
    return tuple(
        (name, value)
        for name, value in sorted(env.items())
        if name.startswith("OTEL_") and value and name not in _KEPT_BACK and not _is_header(name)
    )
