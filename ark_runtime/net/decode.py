"""Decoding a response body piece by piece, so a compressed body can never inflate unchecked.

Only ``gzip`` and ``deflate`` are accepted (ark asks for nothing else). Every call to
:meth:`BodyDecoder.feed` returns at most :data:`PIECE_BYTES` decoded bytes per zlib step, so a
64 KiB chunk of a decompression bomb costs 64 KiB of memory at a time, not 64 MiB; and a body
whose decoded size grows past :data:`~ark_runtime.limits.MAX_DECOMPRESSION_RATIO` times its
compressed size is refused once it is past 1 MiB.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from ark_runtime.limits import MAX_DECOMPRESSION_RATIO, MiB

PIECE_BYTES = 64 * 1024
RATIO_CHECK_AFTER = 1 * MiB
ACCEPTED_ENCODINGS = "gzip, deflate"
"""The ``Accept-Encoding`` ark sends: exactly what :class:`BodyDecoder` decodes."""


class DecodeError(Exception):
    """The body cannot be decoded safely; the message says why."""


class BodyDecoder:
    """Turns raw body bytes into decoded bytes for one ``Content-Encoding``."""

    def __init__(self, content_encoding: str, max_ratio: int = MAX_DECOMPRESSION_RATIO) -> None:
        encoding = content_encoding.strip().lower()
        self.encoding = encoding
        self.max_ratio = max_ratio
        self.raw_bytes = 0
        self.decoded_bytes = 0
        self._zlib: zlib._Decompress | None = None
        self._raw_deflate_tried = False
        if encoding in ("", "identity"):
            return
        if encoding == "gzip":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            # "deflate" should be zlib-wrapped; some servers send a raw stream: retried below.
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise DecodeError(
                f"the response has Content-Encoding {content_encoding!r}, which ark does not decode "
                f"(it asks for {ACCEPTED_ENCODINGS})"
            )

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """Decoded pieces for ``raw`` (each at most :data:`PIECE_BYTES` for compressed bodies)."""
        self.raw_bytes += len(raw)
        if self._zlib is None:
            self.decoded_bytes += len(raw)
            if raw:
                yield raw
            return
        data = raw
        while data:
            piece = self._decompress(data)
            data = self._zlib.unconsumed_tail
            if piece:
                self._count(len(piece), self.raw_bytes - len(data))
                yield piece
            if self._zlib.eof:
                return  # trailing bytes after the end of the compressed stream are ignored

    def flush(self) -> Iterator[bytes]:
        """Whatever the decompressor still holds, at the end of the body."""
        if self._zlib is None:
            return
        while True:
            try:
                piece = self._zlib.decompress(self._zlib.unconsumed_tail, PIECE_BYTES)
            except zlib.error as exc:
                raise DecodeError(f"the {self.encoding} body is corrupt: {exc}") from None
            if not piece:
                return
            self._count(len(piece), self.raw_bytes)
            yield piece

    def _decompress(self, data: bytes) -> bytes:
        assert self._zlib is not None
        try:
            return self._zlib.decompress(data, PIECE_BYTES)
        except zlib.error as exc:
            if self.encoding == "deflate" and not self._raw_deflate_tried and self.decoded_bytes == 0:
                self._raw_deflate_tried = True
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(data)
            raise DecodeError(f"the {self.encoding} body is corrupt: {exc}") from None

    def _count(self, size: int, consumed: int) -> None:
        # ``consumed``: compressed bytes zlib has taken so far (not the ones still waiting in its tail).
        self.decoded_bytes += size
        if self.decoded_bytes > RATIO_CHECK_AFTER and self.decoded_bytes > self.max_ratio * consumed:
            raise DecodeError(
                f"the {self.encoding} body inflates more than {self.max_ratio}:1 "
                f"({consumed} bytes became over {self.decoded_bytes}): refused as a decompression bomb"
            )
