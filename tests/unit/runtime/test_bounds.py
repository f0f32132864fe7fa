"""The pure parts of the bounds: body decoding, caps, cutting, repeats, limits from the environment."""

from __future__ import annotations

import gzip
import zlib

import pytest

from ark_runtime.config import ConfigError, limits_from_env
from ark_runtime.limits import DERIVED_RESPONSE_CEILING, Limits, MiB, describe_bytes
from ark_runtime.net.bounds import display_url
from ark_runtime.net.decode import PIECE_BYTES, BodyDecoder, DecodeError
from ark_runtime.protocol import Result
from ark_runtime.providers import ProviderError, ToolCall, ToolResultBlock
from ark_runtime.providers.base import token_count
from ark_runtime.repeats import RepeatGuard
from ark_runtime.tools.base import cut


def decode(encoding: str, data: bytes, chunk: int = 4096) -> bytes:
    decoder = BodyDecoder(encoding)
    out = b"".join(p for i in range(0, len(data), chunk) for p in decoder.feed(data[i : i + chunk]))
    return out + b"".join(decoder.flush())


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(b"hello " * 5000)),
        ("deflate", zlib.compress(b"hello " * 5000)),
        ("deflate", zlib.compress(b"hello " * 5000)[2:-4]),  # raw deflate, as some servers send it
        ("identity", b"hello " * 5000),
        ("", b"hello " * 5000),
    ],
)
def test_bodies_are_decoded(encoding: str, packed: bytes) -> None:
    assert decode(encoding, packed) == b"hello " * 5000


def test_a_compressed_chunk_is_inflated_a_piece_at_a_time() -> None:
    decoder = BodyDecoder("gzip", max_ratio=10**9)
    pieces = list(decoder.feed(gzip.compress(b"\0" * (4 * MiB))))
    assert max(len(p) for p in pieces) <= PIECE_BYTES
    assert sum(len(p) for p in pieces) == 4 * MiB


def test_a_decompression_bomb_is_refused_past_one_mebibyte() -> None:
    decoder = BodyDecoder("gzip")

    def inflate() -> None:
        for _ in decoder.feed(gzip.compress(b"\0" * (64 * MiB))):
            continue

    with pytest.raises(DecodeError, match=r"inflates more than 200:1 .*refused as a decompression bomb"):
        inflate()
    assert MiB - PIECE_BYTES < decoder.decoded_bytes <= MiB + PIECE_BYTES


def test_ordinary_compression_ratios_pass() -> None:
    text = b"".join(b'{"word": "%d", "text": "the quick brown fox"},' % i for i in range(100_000))
    assert decode("gzip", gzip.compress(text), chunk=65536) == text


def test_unknown_encodings_and_corrupt_bodies_are_errors() -> None:
    with pytest.raises(
        DecodeError, match=r"Content-Encoding 'br', which ark does not decode \(it asks for gzip"
    ):
        BodyDecoder("br")
    with pytest.raises(DecodeError, match="the gzip body is corrupt"):
        decode("gzip", b"\x1f\x8bnot really gzip")


def test_the_response_cap_follows_the_token_limit_up_to_a_ceiling() -> None:
    assert Limits().response_cap(8000) == MiB + 32 * 8000
    assert Limits().response_cap(10**9) == DERIVED_RESPONSE_CEILING
    assert Limits(max_response_bytes=5000).response_cap(8000) == 5000


def test_limits_come_from_the_environment() -> None:
    limits = limits_from_env(
        {
            "AGENT_MAX_RESPONSE_BYTES": "2000000",
            "AGENT_MAX_TOOL_RESULT_BYTES": "100",
            "AGENT_MAX_RESULT_BYTES": "999",
            "AGENT_TOOL_TIMEOUT_SECONDS": "2.5",
            "AGENT_MAX_REPEATED_TOOL_CALLS": "5",
            "AGENT_MCP_PING_SECONDS": "0.5",
        }
    )
    assert (limits.max_response_bytes, limits.max_tool_result_bytes, limits.max_result_bytes) == (
        2000000,
        100,
        999,
    )
    assert (limits.tool_timeout, limits.max_repeated_tool_calls, limits.connect_timeout) == (2.5, 5, 10.0)
    assert (limits.tool_server_ping, Limits().tool_server_ping) == (0.5, 15.0)
    assert limits_from_env({}) == Limits()
    with pytest.raises(ConfigError, match=r"AGENT_MCP_PING_SECONDS must be greater than 0, got 0\.0"):
        limits_from_env({"AGENT_MCP_PING_SECONDS": "0"})
    with pytest.raises(ConfigError, match=r"AGENT_MAX_RESPONSE_BYTES must be at most 67108864 \(64 MiB\)"):
        limits_from_env({"AGENT_MAX_RESPONSE_BYTES": str(65 * MiB)})
    with pytest.raises(ConfigError, match="AGENT_MAX_TOOL_RESULT_BYTES must be at least 1, got 0"):
        limits_from_env({"AGENT_MAX_TOOL_RESULT_BYTES": "0"})


def test_sizes_and_urls_read_well_in_messages() -> None:
    assert [describe_bytes(n) for n in (100, 64 * 1024, MiB + 32 * 8000)] == [
        "100 bytes",
        "64 KiB",
        "1.244 MiB",
    ]
    assert display_url("https://user:secret@api.example:8443/v1/messages?key=sk-1#x") == (
        "https://api.example:8443/v1/messages"
    )


def test_cut_keeps_whole_characters() -> None:
    assert cut("short", 100) == ("short", False)
    text, was_cut = cut("é" * 100, 51)
    assert (text, was_cut) == ("é" * 25, True)


def test_an_oversized_output_is_named_and_small_ones_pass() -> None:
    ok = Result(id="t", run="r", step="s", status="ok", output="x" * 100)
    assert ok.oversize(100) == ""
    assert ok.oversize(99) == (
        "the output is 100 bytes, more than the 99-byte result cap (AGENT_MAX_RESULT_BYTES); "
        "it was not written to the queue"
    )
    assert Result(id="t", run="r", step="s", status="ok", output="é" * 60).oversize(100) == (
        "the output is 120 bytes, more than the 100-byte result cap (AGENT_MAX_RESULT_BYTES); "
        "it was not written to the queue"
    )


def test_the_truncated_flag_round_trips_through_a_stream_entry() -> None:
    result = Result(id="t", run="r", step="s", status="ok", output="cut", truncated=True)
    assert result.to_fields()["truncated"] == "1"
    assert Result.from_fields(result.to_fields()).truncated
    assert not Result.from_fields(Result(id="t", run="r", step="s", status="ok").to_fields()).truncated


@pytest.mark.parametrize("value", [-1, 10**8, "12", 1.5, True])
def test_impossible_token_counts_are_errors(value: object) -> None:
    with pytest.raises(ProviderError, match=r"impossible token count: usage\.input_tokens"):
        token_count({"input_tokens": value}, "input_tokens", "the API")
    assert token_count({}, "input_tokens", "the API") == 0


def test_a_repeated_identical_call_is_warned_once_then_refused() -> None:
    guard = RepeatGuard(3)
    call = ToolCall("c", "search", {"q": "oslo"})
    same = ToolResultBlock("c", "nothing found")
    for _ in range(2):
        assert guard.refusal([call]) == ""
        assert guard.observe([call], [same]) == (same,)
    (warned,) = guard.observe([call], [same])
    assert warned.text.startswith("nothing found\n\n[ark: you have now called search 3 times")
    assert guard.refusal([ToolCall("d", "search", {"q": "bergen"})]) == ""
    assert "called tool 'search' with the same arguments 4 times" in guard.refusal(
        [ToolCall("e", "search", {"q": "oslo"})]
    )


def test_polling_a_tool_whose_answer_changes_is_not_a_repeat() -> None:
    guard = RepeatGuard(3)
    call = ToolCall("c", "job_status", {"id": "42"})
    for i in range(10):
        (seen,) = guard.observe([call], [ToolResultBlock("c", f"{i * 10}% done")])
        assert "[ark:" not in seen.text
    assert guard.refusal([call]) == ""
