"""How a step becomes a prompt (reference §3.5) and the data its templates see (§4.1).

* One line per input, ``<key>: <rendered value>``, **sorted by key**: the API server stores a
  map with sorted keys, so YAML order would not survive a trip through the cluster, and
  ``ark run`` must build the same prompt the operator does.
* A step with ``outputSchema`` (or ``validate.schema``) gets a blank line, an instruction to
  answer with JSON only, and the schema text.
* A retry gets a blank line and why the previous answer was rejected.
* In step ``inputs``, ``.steps.X.output`` renders inside ``<ark:step-output step="X">`` (decision
  §18 #5); ``if``, ``loop.condition`` and the team ``output`` see the raw text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ark.flow.outputs import envelope
from ark.flow.state import RunState

SCHEMA_INSTRUCTION = "Answer with JSON only, no other text, matching this JSON Schema:"
RETRY_INSTRUCTION = "Your previous answer was rejected: {reason}\nAnswer again and fix that."


class StepsView(Mapping[str, Any]):
    """``.steps`` for templates, built lazily so rendering one step costs what it reads.

    Finished steps (Succeeded) are visible, and so is ``current`` (a loop step reads its own
    previous output). With ``wrap`` the output is enveloped.
    """

    __slots__ = ("_current", "_state", "_wrap")

    def __init__(self, state: RunState, *, wrap: bool, current: str | None = None) -> None:
        self._state = state
        self._wrap = wrap
        self._current = current

    def _visible(self, name: str) -> bool:
        step = self._state.steps.get(name)
        if step is None or step.output is None:
            return False
        return step.phase == "Succeeded" or name == self._current

    def __getitem__(self, name: str) -> dict[str, Any]:
        if not self._visible(name):
            raise KeyError(name)
        step = self._state.steps[name]
        output = step.output or ""
        entry: dict[str, Any] = {"output": envelope(name, output) if self._wrap else output}
        data = step.data()
        if data is not None:
            entry["data"] = data
        return entry

    def get(self, name: str, default: Any = None) -> Any:
        """Like ``dict.get`` (the template engine's field access)."""
        return self[name] if self._visible(name) else default

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._state.steps if self._visible(name))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def template_data(state: RunState, *, wrap: bool, current: str | None = None) -> dict[str, Any]:
    """The template dot: ``.input``, ``.steps`` and the ArkFlow-era alias ``.pipeline.input``."""
    return {
        "input": state.inputs,
        "steps": StepsView(state, wrap=wrap, current=current),
        "pipeline": {"input": state.inputs},
    }


def lines_prompt(pairs: Sequence[tuple[str, str]]) -> str:
    """``key: value`` lines in the order given."""
    return "".join(f"{key}: {value}\n" for key, value in pairs)


def input_prompt(inputs: Mapping[str, str]) -> str:
    """The prompt of a dynamic entry task or a routed task: the input map, sorted by key."""
    return lines_prompt(sorted(inputs.items()))


def step_prompt(
    pairs: Sequence[tuple[str, str]], response_schema: str | None = None, retry_reason: str | None = None
) -> str:
    """The task prompt of a pipeline step (reference §3.5)."""
    prompt = lines_prompt(pairs)
    if response_schema is not None:
        prompt += f"\n{SCHEMA_INSTRUCTION}\n{response_schema.strip()}\n"
    if retry_reason:
        prompt += "\n" + RETRY_INSTRUCTION.format(reason=retry_reason) + "\n"
    return prompt


def judge_prompt(semantic: str, step: str, output: str) -> str:
    """The ``validate.semantic`` call: the output (enveloped), then the author's question."""
    return f"{envelope(step, output)}\n\n{semantic.strip()}\n"
