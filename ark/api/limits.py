"""The bounds on YAML and JSON read from outside, and the error that names the one exceeded.

Every reader of user input (``ark validate``, ``ark run``, the operator, a webhook) applies
them through :mod:`ark.api.reader`, so a hostile or broken file is refused quickly, with a
message naming the file and the limit, and with memory bounded by the limits themselves:

* :data:`MAX_FILE_BYTES` per file (or stdin, or request body), :data:`MAX_INPUT_BYTES` for all
  the files of one command: checked before parsing (a file's size before reading it).
* :data:`MAX_NODES` values (mapping entries, list items, scalars) built from one input set,
  those reached through aliases included: the bound on the memory a document can take. A
  10,000-step pipeline is about 400,000.
* :data:`MAX_ALIAS_NODES` values reached through aliases (``*anchor``) in one input set: the
  "billion laughs" expansion is refused after that many, in milliseconds.
* :data:`MAX_DOCUMENTS` YAML documents in one input set (each costs a parser of its own).
* :data:`MAX_DEPTH` levels of nesting (deeper values are reported, not read); the YAML parser
  itself refuses more than 1,000.
"""

from __future__ import annotations

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_ALIAS_NODES = 100_000
MAX_DOCUMENTS = 20_000
MAX_DEPTH = 64
PARSER_MAX_DEPTH = 1000
"""libyaml's own nesting limit (``yaml_set_max_nest_level``'s default)."""


class RefusedInput(ValueError):
    """Input that cannot be read: ``str()`` says where and why."""


class LimitExceeded(RefusedInput):
    """Input refused for exceeding a bound; ``str()`` names the source and the limit."""

    def __init__(self, source: str, what: str, limit: str, hint: str) -> None:
        self.source = source
        self.what = what
        self.limit = limit
        self.hint = hint
        super().__init__(f"{source}: {self.reason}")

    @property
    def reason(self) -> str:
        """What was refused and the limit, without the source."""
        return f"{self.what}, over the limit of {self.limit} ({self.hint})"


def size_text(count: int) -> str:
    """``16777216`` -> ``16 MiB``; ``1500`` -> ``1,500 bytes``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            value = count / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count:,} bytes"


def check_size(source: str, size: int, limit: int = MAX_FILE_BYTES, *, known: bool = True) -> None:
    """Refuse ``size`` bytes from ``source`` when over ``limit`` (``known=False``: at least that many,
    as a stream read stops after one byte too many)."""
    if size > limit:
        amount = size_text(size) if known else f"more than {size_text(limit)}"
        raise LimitExceeded(source, f"{amount} of input", f"{size_text(limit)} per file", "split it")
