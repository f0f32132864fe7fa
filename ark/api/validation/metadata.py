"""Checks of object metadata: names, namespaces and labels the API server would refuse."""

from __future__ import annotations

import re

from ark.api.meta import ArkObject
from ark.api.validation.names import LABEL_MAX, is_label, is_subdomain
from ark.api.validation.report import Report

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_NAME_HINT = "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"


def check_metadata(report: Report, obj: ArkObject) -> None:
    """Name (or generateName), namespace and label syntax."""
    meta = obj.metadata
    if not meta.name and not meta.generate_name:
        report.error(("metadata", "name"), "required field is missing", "add metadata.name")
    if meta.name and not is_subdomain(meta.name):
        report.error(("metadata", "name"), f'"{meta.name}" is not a valid object name', _NAME_HINT)
    if meta.generate_name and not is_subdomain(meta.generate_name + "x"):
        report.error(
            ("metadata", "generateName"), f'"{meta.generate_name}" is not a valid name prefix', _NAME_HINT
        )
    if meta.namespace and not is_label(meta.namespace):
        report.error(
            ("metadata", "namespace"),
            f'"{meta.namespace}" is not a valid namespace name',
            "use lowercase letters, digits and '-'",
        )
    if obj.kind == "ArkAgent" and meta.name and len(meta.name) > LABEL_MAX:
        report.error(
            ("metadata", "name"),
            f"an ArkAgent name is a label value of its pods, so at most {LABEL_MAX} characters",
            "shorten the name",
        )
    for key, value in (meta.labels or {}).items():
        if not _valid_label_key(key):
            report.error(
                ("metadata", "labels", key), f'"{key}" is not a valid label key', "use [prefix/]name"
            )
        if len(value) > LABEL_MAX or not _LABEL_VALUE.match(value):
            report.error(
                ("metadata", "labels", key),
                f'"{value}" is not a valid label value',
                f"at most {LABEL_MAX} letters, digits, '-', '_' or '.', beginning and ending alphanumeric",
            )


def _valid_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and not is_subdomain(prefix):
        return False
    return len(name) <= LABEL_MAX and bool(_LABEL_NAME.match(name))
