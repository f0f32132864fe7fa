"""Logs on stderr with secrets masked: JSON objects, one a line (agent pods), or text lines (``ark run``).

Nothing logs a key or a header value on purpose; as a second line of defence every known secret
value (provider keys, MCP header values) is replaced by ``***`` wherever it appears in a record.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
SECRET_VARIABLES = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AGENT_MEMORY_VECTOR_STORE_API_KEY")
_MIN_SECRET_LENGTH = 4  # masking a 1-3 character value would garble unrelated text


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _maskable(secrets: Iterable[str]) -> list[str]:
    # Longest first, so a secret containing another is masked whole.
    return sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)


class JsonFormatter(logging.Formatter):
    """Formats a record as ``{"ts", "level", "logger", "msg", ...extra}``, masking ``secrets``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = _maskable(secrets)

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line."""
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_extra(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.mask(json.dumps(entry, default=str))

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(json.dumps(secret)[1:-1], "***")
        return text


class TextFormatter(logging.Formatter):
    """``<prefix><level>: <logger>: <msg> (key=value, ...)``, for people at a terminal; masks ``secrets``."""

    def __init__(self, secrets: Iterable[str] = (), prefix: str = "") -> None:
        super().__init__()
        self.secrets = _maskable(secrets)
        self.prefix = prefix

    def format(self, record: logging.LogRecord) -> str:
        """One line (then the traceback, if any)."""
        fields = ", ".join(f"{key}={value}" for key, value in _extra(record).items())
        text = f"{self.prefix}{record.levelname.lower()}: {record.name}: {record.getMessage()}"
        if fields:
            text += f" ({fields})"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted (tests run ``ark run`` in-process)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        return


def configure_logging(level: str, secrets: Iterable[str] = (), *, text_prefix: str | None = None) -> None:
    """Send every log record to stderr, as JSON, or as text lines starting ``text_prefix`` when it is
    given; quiet the chattiest libraries."""
    handler = _StderrHandler()
    handler.setFormatter(
        JsonFormatter(secrets) if text_prefix is None else TextFormatter(secrets, text_prefix)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    for noisy in ("httpx", "httpcore", "httpx2", "mcp", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def secret_values(env: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """Values to mask: provider keys from ``env``, the memory Redis URL's password, plus ``extra``
    (e.g. resolved MCP header values)."""
    memory_url = env.get("AGENT_MEMORY_REDIS_URL", "")
    password = urlsplit(memory_url).password if "://" in memory_url else None
    found = [env[name] for name in SECRET_VARIABLES if env.get(name)]
    return found + ([password] if password else []) + [v for v in extra if v]
