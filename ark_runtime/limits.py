"""Caps on what the runtime reads from its peers, and the timeouts of its outbound calls.

A broken or hostile model server, proxy or tool must not be able to grow the agent's memory,
hold a task past its deadline, or push an oversized result into Redis. Every value here has a
default and an ``AGENT_*`` variable (parsed in :mod:`ark_runtime.config`, documented in
``docs/api.md``); the result cap lives in :mod:`ark_runtime.protocol` because the operator
enforces it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from ark_runtime.protocol import DEFAULT_MAX_RESULT_BYTES

KiB = 1024
MiB = 1024 * KiB

RESPONSE_BASE_BYTES = 1 * MiB
"""The part of the model-response cap that does not depend on the token limit (JSON envelope)."""
RESPONSE_BYTES_PER_TOKEN = 32
"""A token is ~4 characters; JSON escaping (``\\uXXXX``) can make one 6 bytes each: 32 leaves room."""
MAX_RESPONSE_BYTES_CEILING = 64 * MiB
"""No setting or token limit raises the model-response cap above this."""
DERIVED_RESPONSE_CEILING = 16 * MiB
"""The derived default stops here, however large ``maxTokensPerCall`` is."""
MAX_HEADER_BYTES = 64 * KiB
"""Response headers (names and values); the HTTP parser itself refuses more than 100 KiB."""
MAX_DECOMPRESSION_RATIO = 200
"""Decoded bytes per compressed byte, checked once a body has inflated past 1 MiB."""
DEFAULT_TOOL_RESULT_BYTES = 32 * KiB


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps (bytes, counts) and timeouts (seconds) for everything read from outside."""

    max_response_bytes: int = 0
    """Cap on one model response; 0 derives it from the call's token limit (:meth:`response_cap`)."""
    max_tool_result_bytes: int = DEFAULT_TOOL_RESULT_BYTES
    """What the model sees of one tool result; the rest is cut with a marker."""
    max_mcp_message_bytes: int = 4 * MiB
    """One MCP or simple-HTTP tool-server message (a JSON-RPC response, an SSE event, a tools page)."""
    max_tools_per_server: int = 128
    max_tool_list_bytes: int = 1 * MiB
    """The JSON of one server's tools (names, descriptions, schemas) together."""
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    """A task's output; a larger one fails the task instead of being written to the queue."""
    max_repeated_tool_calls: int = 3
    """Identical calls (same tool, arguments and result) before the model is told to stop."""
    connect_timeout: float = 10.0
    """Connecting to a peer; for a tool server also its handshake and tools listing, and how long an
    agent waits for its tool servers' first connection attempts before it takes work."""
    tool_server_ping: float = 15.0
    """Seconds between checks that a connected tool server still answers (an MCP ``ping``, a simple-HTTP
    server's tools listed again); a dead connection goes unnoticed at most this long."""
    model_timeout: float = 600.0
    """One model request, whole call; always cut to the task's remaining time."""
    tool_timeout: float = 60.0
    """One tool call (inline HTTP, MCP, simple HTTP), whole call; always cut to the task's remaining time."""

    def response_cap(self, max_tokens: int) -> int:
        """Bytes one model response may have for a call limited to ``max_tokens`` tokens."""
        if self.max_response_bytes:
            return self.max_response_bytes
        derived = RESPONSE_BASE_BYTES + RESPONSE_BYTES_PER_TOKEN * max(0, max_tokens)
        return min(derived, DERIVED_RESPONSE_CEILING)


def describe_bytes(count: int) -> str:
    """``count`` for a message: ``512 bytes``, ``64 KiB``, ``1.5 MiB``."""
    if count < KiB:
        return f"{count} bytes"
    if count < MiB:
        return f"{count / KiB:.4g} KiB"
    return f"{count / MiB:.4g} MiB"
