"""Structured JSON logs on stderr, one object per line, with secrets masked.

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

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
SECRET_VARIABLES = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AGENT_MEMORY_VECTOR_STORE_API_KEY")
_MIN_SECRET_LENGTH = 4  # masking a 1-3 character value would garble unrelated text


class JsonFormatter(logging.Formatter):
    """Formats a record as ``{"ts", "level", "logger", "msg", ...extra}``, masking ``secrets``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line."""
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.mask(json.dumps(entry, default=str))

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(json.dumps(secret)[1:-1], "***")
        return text


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send every log record to stderr as JSON; quiet the chattiest libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    for noisy in ("httpx", "httpcore", "httpx2", "mcp", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def secret_values(env: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """Values to mask: provider keys from ``env`` plus ``extra`` (e.g. resolved MCP header values)."""
    return [env[name] for name in SECRET_VARIABLES if env.get(name)] + [v for v in extra if v]
