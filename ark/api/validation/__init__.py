"""Semantic validation of API objects: pure functions, no I/O.

Shared by the operator, ``ark run`` and ``ark validate``. Structural problems (types, unknown
fields, enums, bounds) are found when parsing (:func:`ark.api.parse_object`); these checks
cover everything else: cross-field rules the CRDs also enforce with CEL, DAGs and delegation
graphs, templates, JSON Schemas, cron expressions, names, numeric sanity, and references
between the documents of one input set.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ark.api.issues import Issue
from ark.api.validation.metadata import check_metadata
from ark.api.validation.references import ForeignObject, check_references
from ark.api.validation.report import Report

if TYPE_CHECKING:
    from ark.api.meta import ArkObject

__all__ = ["ForeignObject", "Report", "validate_object", "validate_objects"]


# kind -> (module of ark.api.validation, its check function); a module is imported for the first
# object of its kind, so checking a team never loads the checks (and models) of other kinds.
_CHECKS: dict[str, tuple[str, str]] = {
    "ArkAgent": ("agent", "check_agent"),
    "ArkTeam": ("team", "check_team"),
    "ArkRun": ("others", "check_run"),
    "ArkEvent": ("event", "check_event"),
    "ArkNotify": ("notify", "check_notify"),
    "ArkService": ("others", "check_service"),
    "ArkSettings": ("others", "check_settings"),
    "ArkMemory": ("others", "check_memory"),
    "ArkRegistry": ("others", "check_registry"),
}


def _kind_check(kind: str) -> Callable[[Report, Any], None] | None:
    entry = _CHECKS.get(kind)
    if entry is None:
        return None
    module, function = entry
    check: Callable[[Report, Any], None] = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return check


def _check(report: Report, obj: ArkObject) -> None:
    check_metadata(report, obj)
    kind_check = _kind_check(obj.kind)
    if kind_check is not None:
        kind_check(report, obj)


def validate_object(obj: ArkObject) -> list[Issue]:
    """Every semantic issue of one object on its own (no cross-document references)."""
    report = Report()
    _check(report, obj)
    return report.issues


def validate_objects(
    objects: Sequence[ArkObject],
    foreign: Sequence[ForeignObject] = (),
    origins: Sequence[str] | None = None,
) -> list[list[Issue]]:
    """The issues of each object (same order), including references between the objects.

    ``foreign`` are the other documents of the input (ConfigMaps, Secrets) used to resolve
    prompt references; ``origins`` name each object's place (e.g. ``team.yaml:12``) in messages.
    """
    reports = [Report() for _ in objects]
    for report, obj in zip(reports, objects, strict=True):
        _check(report, obj)
    labels = list(origins) if origins is not None else [f"document {i + 1}" for i in range(len(objects))]
    check_references(objects, foreign, reports, labels)
    return [report.issues for report in reports]
