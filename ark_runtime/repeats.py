"""Spotting a model stuck in a loop: the same tool, the same arguments, the same result, again.

A model that keeps calling a tool that keeps answering the same thing would burn every turn
of the task. When a call repeats for the ``threshold``-th time with an identical result, the
result the model sees says so and that one more identical call ends the task; if the model
makes it anyway, :meth:`RepeatGuard.refusal` names the loop and the task fails. Polling a tool
whose answer changes is not a repeat.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from ark_runtime.providers.base import ToolCall, ToolResultBlock

_Call = tuple[str, str]


def _key(call: ToolCall) -> _Call:
    return call.name, json.dumps(dict(call.arguments), sort_keys=True, default=str)


class RepeatGuard:
    """Counts identical (call, result) pairs over one task."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._seen: Counter[tuple[_Call, str, bool]] = Counter()
        self._warned: dict[_Call, int] = {}

    def refusal(self, calls: Sequence[ToolCall]) -> str:
        """Why the task must end now ('' to go on): a call the model was already told not to repeat."""
        for call in calls:
            count = self._warned.get(_key(call))
            if count is not None:
                return (
                    f"the model called tool {call.name!r} with the same arguments {count + 1} times, the "
                    f"same result coming back each time, and went on after being told that {count} "
                    f"identical calls are enough; the task was ended to save tokens "
                    f"(AGENT_MAX_REPEATED_TOOL_CALLS={self.threshold})"
                )
        return ""

    def observe(
        self, calls: Sequence[ToolCall], results: Sequence[ToolResultBlock]
    ) -> tuple[ToolResultBlock, ...]:
        """``results`` as the model should see them: a repeat reaching the threshold carries the warning."""
        out: list[ToolResultBlock] = []
        for call, result in zip(calls, results, strict=True):
            key = _key(call)
            seen = (key, result.text, result.is_error)
            self._seen[seen] += 1
            if self._seen[seen] >= self.threshold and key not in self._warned:
                self._warned[key] = self._seen[seen]
                result = replace(
                    result,
                    text=(
                        f"{result.text}\n\n[ark: you have now called {call.name} {self._seen[seen]} times "
                        "with exactly these arguments and got exactly this result. Do not call it again "
                        "with the same arguments: that would end the task. Use what you have, or try "
                        "something else.]"
                    ),
                )
            out.append(result)
        return tuple(out)
