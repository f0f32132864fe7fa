"""Semantic validation of API objects: pure functions, no I/O.

Shared by the operator, ``ark run`` and ``ark validate``. Structural problems (types, unknown
fields, enums, bounds) are found when parsing (:func:`ark.api.parse_object`); these checks
cover everything else: cross-field rules the CRDs also enforce with CEL, DAGs and delegation
graphs, templates, JSON Schemas, cron expressions, names, numeric sanity, and references
between the documents of one input set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ark.api.agent import ArkAgent
from ark.api.event import ArkEvent
from ark.api.issues import Issue
from ark.api.memory import ArkMemory
from ark.api.meta import ArkObject
from ark.api.notify import ArkNotify
from ark.api.registry import ArkRegistry
from ark.api.run import ArkRun
from ark.api.service import ArkService
from ark.api.settings import ArkSettings
from ark.api.team import ArkTeam
from ark.api.validation.agent import check_agent
from ark.api.validation.event import check_event
from ark.api.validation.metadata import check_metadata
from ark.api.validation.notify import check_notify
from ark.api.validation.others import check_memory, check_registry, check_run, check_service, check_settings
from ark.api.validation.references import ForeignObject, check_references
from ark.api.validation.report import Report
from ark.api.validation.team import check_team

__all__ = ["ForeignObject", "Report", "validate_object", "validate_objects"]


_CHECKS: dict[type[ArkObject], Callable[[Report, Any], None]] = {
    ArkAgent: check_agent,
    ArkTeam: check_team,
    ArkRun: check_run,
    ArkEvent: check_event,
    ArkNotify: check_notify,
    ArkService: check_service,
    ArkSettings: check_settings,
    ArkMemory: check_memory,
    ArkRegistry: check_registry,
}


def _check(report: Report, obj: ArkObject) -> None:
    check_metadata(report, obj)
    kind_check = _CHECKS.get(type(obj))
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
