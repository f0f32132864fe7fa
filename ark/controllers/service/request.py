"""The body of ``POST /v1/tasks`` and the Host header naming the ArkService (pure).

Body: a JSON object ``{"prompt": "<text>", "timeoutSeconds": N}``; ``prompt`` is required, a
non-empty string of at most 512 KiB characters; ``timeoutSeconds`` (how long to wait for the
answer) is optional, 1 to 300, default 60. Any other field is an error naming it.

Interface::

    task = parse_task(b'{"prompt": "hi"}')        # TaskRequest(prompt="hi", timeout=60.0)
    target = host_target("svc.ns.svc:80")          # ("ns", "svc"); ("", "svc") for a short name
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ark.api.shared import MAX_PROMPT_CHARS

DEFAULT_TIMEOUT_SECONDS = 60.0
MAX_TIMEOUT_SECONDS = 300.0
FIELDS = ("prompt", "timeoutSeconds")


class BadTask(ValueError):
    """The request cannot be a task; the message names the field and why."""


@dataclass(frozen=True)
class TaskRequest:
    """One task to run."""

    prompt: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS


def parse_task(body: bytes) -> TaskRequest:
    """The task in ``body``; raises :class:`BadTask`."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadTask("the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadTask(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict):
        raise BadTask(f'the body must be a JSON object like {{"prompt": "..."}}, not {type(data).__name__}')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise BadTask(f"unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}")
    prompt = data.get("prompt")
    if prompt is None:
        raise BadTask("prompt: required")
    if not isinstance(prompt, str):
        raise BadTask(f"prompt: must be a string, not {type(prompt).__name__}")
    if not prompt.strip():
        raise BadTask("prompt: must not be empty")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise BadTask(f"prompt: {len(prompt)} characters, more than the {MAX_PROMPT_CHARS} allowed")
    timeout = data.get("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout):
        raise BadTask("timeoutSeconds: must be a number of seconds")
    if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
        raise BadTask(f"timeoutSeconds: must be between 1 and {MAX_TIMEOUT_SECONDS:.0f}, got {timeout}")
    return TaskRequest(prompt, float(timeout))


def host_target(host: str) -> tuple[str, str] | None:
    """``(namespace, name)`` from a Host header naming a Service: ``name``, ``name.namespace``,
    ``name.namespace.svc`` or ``name.namespace.svc.<cluster domain>``, with or without a port.

    The namespace is ``""`` for a short name. None when the host is not a Service name (an IP
    address, another domain).
    """
    hostname = host.strip().lower()
    if hostname.startswith("["):
        return None  # an IPv6 literal
    hostname = hostname.rpartition(":")[0] if ":" in hostname else hostname
    labels = hostname.rstrip(".").split(".")
    if not labels[0] or labels[0].isdigit():
        return None
    if len(labels) == 1:
        return "", labels[0]
    if len(labels) == 2 or labels[2] == "svc":
        return labels[1], labels[0]
    return None
