"""Cron expressions as the original scheduler reads them: 5 fields in UTC, or a descriptor."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ark.api.issues import PathItem
from ark.api.validation.report import Report

DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


def cron_problem(expression: str) -> tuple[str, str] | None:
    """Why ``expression`` is not a valid schedule, as (reason, hint); None when it is."""
    text = expression.strip()
    if text.startswith("@every "):
        if _DURATION.match(text.removeprefix("@every ").strip()):
            return None
        return f'"{text}" has an invalid duration', "write a Go duration such as @every 1h30m"
    if text.startswith("@"):
        if text in DESCRIPTORS:
            return None
        return (
            f'unknown schedule descriptor "{text}"',
            f"use one of {', '.join(DESCRIPTORS)}, @every <duration>, or five cron fields",
        )
    fields = text.split()
    if len(fields) != 5:
        return (
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}",
            'e.g. "0 9 * * 1-5"',
        )
    from croniter import croniter  # only cron sources pay for it

    if not croniter.is_valid(text):
        return f'"{text}" is not a valid cron expression', 'e.g. "*/15 * * * *"'
    return None


def check_cron(report: Report, path: Sequence[PathItem], expression: str) -> None:
    """Report an invalid schedule at ``path``."""
    problem = cron_problem(expression)
    if problem is not None:
        report.error(path, *problem)
