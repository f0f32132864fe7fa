"""The W3C trace context a trigger stores on the ArkRun it creates. Pure, no I/O.

The trigger (``ark trigger``, the event controllers) opens the run's root span and writes its
``traceparent`` into the annotation below; the run controller continues the trace from it, so
one trace spans every reconcile and operator restart of the run.
"""

from __future__ import annotations

import copy
import re
from typing import Any

Obj = dict[str, Any]

TRACEPARENT_ANNOTATION = "arkonis.dev/traceparent"

# version 00, 16-byte trace id, 8-byte span id, flags; all-zero ids are invalid (W3C §3.2).
_TRACEPARENT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")


def with_traceparent(body: Obj, traceparent: str) -> Obj:
    """A copy of the ArkRun ``body`` annotated with ``traceparent``; raises ValueError if malformed."""
    if not _TRACEPARENT.fullmatch(traceparent):
        raise ValueError(f"not a W3C traceparent: {traceparent[:64]!r}")
    annotated = copy.deepcopy(body)
    metadata = annotated.setdefault("metadata", {})
    metadata.setdefault("annotations", {})[TRACEPARENT_ANNOTATION] = traceparent
    return annotated


def stored_traceparent(run: Obj) -> str:
    """The run's stored traceparent, or ``""`` when it has none or it is malformed."""
    value = (run.get("metadata", {}).get("annotations") or {}).get(TRACEPARENT_ANNOTATION, "")
    return value if isinstance(value, str) and _TRACEPARENT.fullmatch(value) else ""
