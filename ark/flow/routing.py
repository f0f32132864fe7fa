"""Routed mode (reference §3.7): the router call, and turning its answer into an agent.

The router task (kind ``route``) lists the registry's capabilities and the task, and asks for
JSON ``{"capability": "<id>", "reason": "<text>"}``; its ``output_schema`` enumerates the ids
plus ``"none"``, so a schema-following model (the mock included) can only pick an indexed
capability or say none fits. The capability resolves to the first agent (by name) offering
it; ``none``, an unknown id, an unparsable answer or a failed router call use
``routing.fallback``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ark.flow.outputs import extract_json
from ark.flow.plan import Capability, RoutingPlan
from ark.flow.prompts import input_prompt

NO_CAPABILITY = "none"
ROUTER_SYSTEM_PROMPT = (
    "You route tasks. Read the capabilities offered and the task, and pick the one capability "
    "that fits the task best, or none when no capability fits. Answer with JSON only."
)


def router_schema(capabilities: Sequence[Capability]) -> str:
    """The JSON Schema of the router's answer."""
    ids = list(dict.fromkeys(c.id for c in capabilities))
    schema = {
        "type": "object",
        "required": ["capability", "reason"],
        "properties": {
            "capability": {"type": "string", "enum": [*ids, NO_CAPABILITY]},
            "reason": {"type": "string"},
        },
    }
    return json.dumps(schema)


def router_prompt(capabilities: Sequence[Capability], inputs: Mapping[str, str]) -> str:
    """The router task's prompt: the capability list, the task, the answer format."""
    lines = ["Capabilities:"]
    seen: set[str] = set()
    for capability in capabilities:
        if capability.id in seen:
            continue
        seen.add(capability.id)
        tags = f" (tags: {', '.join(capability.tags)})" if capability.tags else ""
        lines.append(f"- {capability.id}: {capability.description or 'no description'}{tags}")
    if not seen:
        lines.append("- (none indexed)")
    return (
        "\n".join(lines)
        + "\n\nTask:\n"
        + input_prompt(inputs)
        + '\nAnswer with JSON only: {"capability": "<id>", "reason": "<one sentence>"}; '
        + f'use "{NO_CAPABILITY}" when no capability fits.\n'
    )


@dataclass(frozen=True)
class RouteDecision:
    """Where the task goes: ``agent`` (None when nothing fits and there is no fallback)."""

    agent: str | None
    capability: str
    reason: str
    fallback: bool = False


def decide(routing: RoutingPlan, answer: str | None, error: str | None = None) -> RouteDecision:
    """Resolve the router's answer (or its failure) to an agent."""
    capability, reason = "", ""
    if error is not None:
        reason = f"the router call failed: {error}"
    else:
        parsed, value = extract_json(answer or "")
        if parsed and isinstance(value, dict):
            capability = str(value.get("capability") or "").strip()
            reason = str(value.get("reason") or "").strip()
        else:
            reason = "the router did not answer with JSON"
    offering = sorted(c.agent for c in routing.capabilities if c.id == capability)
    if offering:
        return RouteDecision(offering[0], capability, reason)
    if capability and capability != NO_CAPABILITY:
        reason = f"no agent offers capability {capability!r}" + (f" ({reason})" if reason else "")
    return RouteDecision(routing.fallback, capability or NO_CAPABILITY, reason, fallback=True)
