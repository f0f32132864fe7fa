"""The one bounded-read mechanism every HTTP client of the runtime uses.

A response hook runs on every response before its body is read: it refuses headers over
:data:`~ark_runtime.limits.MAX_HEADER_BYTES`, takes body decoding over from the HTTP library (so
gzip/deflate are inflated piece by piece with a ratio bound, see :mod:`.decode`) and caps the
decoded body at the request's ``ark.max_body_bytes`` extension or the client's default. Going
over raises :class:`PeerError` from the read itself, while streaming: nothing is buffered past
the cap. Event streams (``text/event-stream``) are long-lived and bounded per event by their
reader instead (the MCP transports).

The same hook serves ``httpx`` (providers, inline tools, the simple HTTP tool protocol) and
``httpx2`` (the ``mcp`` package's transports); each library needs its own stream class, made with
:func:`stream_class`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from ark_runtime.limits import MAX_HEADER_BYTES, describe_bytes
from ark_runtime.net.decode import BodyDecoder, DecodeError

BODY_CAP = "ark.max_body_bytes"
"""Request extension: the cap on this response's decoded body (bytes), overriding the client's."""
H11_HEADER_LIMIT = 100 * 1024
_H11_TOO_LONG = "Receive buffer too long"

Violation = Callable[[str], None]
"""Told about every cap a peer broke (the message), e.g. to end an MCP session at once."""


class PeerError(Exception):
    """A peer sent more than a cap allows, or a body that cannot be decoded; the message says which."""


class _RawStream(Protocol):
    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


def display_url(url: object) -> str:
    """``url`` without credentials, query or fragment: safe for messages and logs."""
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def oversized_headers(exc: BaseException) -> bool:
    """True for the HTTP parser's refusal of a response whose headers exceed its 100 KiB buffer."""
    return _H11_TOO_LONG in str(exc)


def headers_error(url: object) -> str:
    """The message for :func:`oversized_headers`."""
    return (
        f"{display_url(url)} sent response headers larger than {describe_bytes(H11_HEADER_LIMIT)}; "
        "refused without reading them"
    )


class BodyLimiter:
    """The decoded, capped body of one response; a library stream class mixes it in."""

    def __init__(
        self,
        inner: _RawStream,
        decoder: BodyDecoder,
        cap: int | None,
        url: str,
        on_violation: Violation | None,
    ) -> None:
        self._inner = inner
        self._decoder = decoder
        self._cap = cap
        self._url = url
        self._on_violation = on_violation
        self._seen = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for raw in self._inner:
            for piece in self._checked(self._decoder.feed(raw)):
                yield piece
        for piece in self._checked(self._decoder.flush()):
            yield piece

    def _checked(self, pieces: Iterator[bytes]) -> Iterator[bytes]:
        # Lazily, piece by piece: a chunk of a compression bomb is never inflated past the cap.
        try:
            for piece in pieces:
                self._seen += len(piece)
                if self._cap is not None and self._seen > self._cap:
                    raise self._violation(
                        f"{self._url} sent a response body larger than {describe_bytes(self._cap)}; "
                        "stopped reading it there"
                    )
                yield piece
        except DecodeError as exc:
            raise self._violation(f"{self._url}: {exc}") from None

    def _violation(self, message: str) -> PeerError:
        if self._on_violation is not None:
            self._on_violation(message)
        return PeerError(message)

    async def aclose(self) -> None:
        """Close the underlying stream."""
        await self._inner.aclose()


StreamFactory = Callable[[_RawStream, BodyDecoder, "int | None", str, "Violation | None"], Any]


def stream_class(base: type) -> StreamFactory:
    """A :class:`BodyLimiter` that is also an ``AsyncByteStream`` of the library ``base`` comes from."""
    return type(f"Bounded{base.__name__}", (BodyLimiter, base), {})


def response_hook(
    make_stream: StreamFactory, default_cap: int | None, on_violation: Violation | None = None
) -> Callable[[Any], Awaitable[None]]:
    """The ``event_hooks["response"]`` entry bounding every response of a client."""

    async def hook(response: Any) -> None:
        url = display_url(response.request.url)
        size = sum(len(name) + len(value) for name, value in response.headers.raw)
        if size > MAX_HEADER_BYTES:
            message = (
                f"{url} sent {size} bytes of response headers, more than {describe_bytes(MAX_HEADER_BYTES)}"
            )
            if on_violation is not None:
                on_violation(message)
            raise PeerError(message)
        try:
            decoder = BodyDecoder(response.headers.get("content-encoding", ""))
        except DecodeError as exc:
            if on_violation is not None:
                on_violation(f"{url}: {exc}")
            raise PeerError(f"{url}: {exc}") from None
        # The library must not decode again: the body it reads from now on is already decoded.
        response.headers.pop("content-encoding", None)
        streaming = response.headers.get("content-type", "").lower().startswith("text/event-stream")
        cap = None if streaming else response.request.extensions.get(BODY_CAP, default_cap)
        response.stream = make_stream(response.stream, decoder, cap, url, on_violation)

    return hook
