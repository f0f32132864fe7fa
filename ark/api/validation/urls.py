"""Well-formedness of the URLs in specs."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from ark.api.issues import PathItem
from ark.api.validation.report import Report


def check_http_url(report: Report, path: Sequence[PathItem], url: str) -> None:
    """An endpoint must be an absolute http(s) URL."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        valid = False
    if not valid:
        report.error(path, f'"{url}" is not an absolute http(s) URL', "write it like http://host:port/path")
