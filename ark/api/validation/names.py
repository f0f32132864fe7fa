"""Kubernetes object-name rules (DNS-1123) for names we create or reference."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ark.api.issues import PathItem
from ark.api.validation.report import Report

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253


def is_subdomain(name: str) -> bool:
    """Whether ``name`` is a valid object name (DNS-1123 subdomain)."""
    return len(name) <= SUBDOMAIN_MAX and bool(_SUBDOMAIN.match(name))


def is_label(name: str) -> bool:
    """Whether ``name`` is a DNS-1123 label (usable in generated names and label values)."""
    return len(name) <= LABEL_MAX and bool(_LABEL.match(name))


def check_reference(report: Report, path: Sequence[PathItem], name: str, kind: str) -> None:
    """A reference must be a well-formed object name to ever resolve."""
    if not is_subdomain(name):
        report.error(
            path,
            f'"{name}" is not a valid {kind} name',
            "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
        )
