"""Failpoints: named places where a crash test can make this process die (gofail, FoundationDB).

The operator's crash tests need to kill it at exact instants of the data-plane protocol
("between the status write and the XADD"), which a signal sent from outside cannot hit. Code marks
those instants with :func:`failpoint`; they do nothing unless ``ARK_FAILPOINTS`` is set::

    ARK_FAILPOINTS="run.after-status-write=kill@3,run.after-result=kill"

``kill`` SIGKILLs the process the first time the point is reached, ``kill@N`` the N-th time.
Names are listed where they are used (``grep -r 'failpoint("'``). Never set it in production.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_ENV = "ARK_FAILPOINTS"


def _parse(text: str) -> dict[str, int]:
    points: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, action = item.partition("=")
        verb, _, count = action.partition("@")
        if verb != "kill" or (count and not count.isdigit()):
            raise ValueError(f"{_ENV}: {item!r} is not NAME=kill or NAME=kill@N")
        points[name.strip()] = int(count) if count else 1
    return points


_POINTS = _parse(os.environ.get(_ENV, ""))
_HITS: Counter[str] = Counter()


def failpoint(name: str) -> None:
    """Die here (SIGKILL, no clean-up) when ``ARK_FAILPOINTS`` asks for it."""
    if not _POINTS or name not in _POINTS:
        return
    _HITS[name] += 1
    if _HITS[name] >= _POINTS[name]:
        os.kill(os.getpid(), signal.SIGKILL)
