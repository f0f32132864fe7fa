"""Findings about a document: where (a wire path), what, and what to do about it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

PathItem = str | int
Path = tuple[PathItem, ...]
Severity = Literal["error", "warning", "note"]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Issue:
    """One finding: ``path`` is the wire path inside the document, e.g. ``("spec", "roles", 0, "name")``."""

    path: Path
    message: str
    hint: str = ""
    severity: Severity = "error"

    @property
    def location(self) -> str:
        """The path in the user's terms: ``spec.pipeline[2].dependsOn``."""
        return format_path(self.path)


def format_path(path: Sequence[PathItem]) -> str:
    """``("spec", "pipeline", 2, "dependsOn")`` -> ``spec.pipeline[2].dependsOn``."""
    text = ""
    for item in path:
        if isinstance(item, int):
            text += f"[{item}]"
        elif _PLAIN_KEY.match(item):
            text += f".{item}" if text else item
        else:
            text += f"[{item!r}]".replace("'", '"')
    return text


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``word`` (case-insensitive difflib), if any is close enough."""
    pool = {candidate.lower(): candidate for candidate in candidates}
    match = difflib.get_close_matches(word.lower(), list(pool), n=1, cutoff=0.6)
    return pool[match[0]] if match else None


def suggestion(word: str, candidates: Iterable[str], *, otherwise: str = "") -> str:
    """A ``did you mean "x"?`` hint, or ``otherwise`` when nothing is close."""
    match = did_you_mean(word, candidates)
    return f'did you mean "{match}"?' if match else otherwise


def errors(issues: Iterable[Issue]) -> list[Issue]:
    """Only the error-severity issues."""
    return [issue for issue in issues if issue.severity == "error"]
