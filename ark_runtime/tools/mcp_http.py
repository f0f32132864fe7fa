"""``httpx2`` clients for the ``mcp`` package's transports, bounded like every other client.

The transports read bodies themselves (``aread()`` of a JSON-RPC response, event streams), so
the bound sits in the client: every non-stream body is capped at the MCP message cap, every
compressed body is inflated piece by piece, oversized headers are refused, and each broken cap
is reported to ``on_violation`` so the connection can fail the call in flight at once instead
of letting it wait for its timeout.
"""

from __future__ import annotations

import httpx2

from ark_runtime.net.bounds import Violation, headers_error, oversized_headers, response_hook, stream_class
from ark_runtime.net.decode import ACCEPTED_ENCODINGS

_Stream = stream_class(httpx2.AsyncByteStream)


class _Transport(httpx2.AsyncHTTPTransport):
    """Reports the HTTP parser's refusal of oversized headers, which happens before any hook runs."""

    def __init__(self, on_violation: Violation) -> None:
        super().__init__()
        self._on_violation = on_violation

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await super().handle_async_request(request)
        except httpx2.RemoteProtocolError as exc:
            if oversized_headers(exc):
                self._on_violation(headers_error(request.url))
            raise


def mcp_http_client(
    headers: dict[str, str] | None, timeout: httpx2.Timeout | None, max_body: int, on_violation: Violation
) -> httpx2.AsyncClient:
    """A client for one MCP server connection."""
    return httpx2.AsyncClient(
        headers={**(headers or {}), "Accept-Encoding": ACCEPTED_ENCODINGS},
        timeout=timeout,
        transport=_Transport(on_violation),
        event_hooks={"response": [response_hook(_Stream, max_body, on_violation)]},
    )


class McpClientFactory:
    """The ``httpx_client_factory`` of ``mcp.client.sse.sse_client``, building :func:`mcp_http_client`."""

    def __init__(self, max_body: int, on_violation: Violation) -> None:
        self.max_body = max_body
        self.on_violation = on_violation

    def __call__(
        self,
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        client = mcp_http_client(headers, timeout, self.max_body, self.on_violation)
        if auth is not None:
            client.auth = auth
        return client
