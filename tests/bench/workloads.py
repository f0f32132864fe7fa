"""Benchmark workloads: pipeline teams of any size, as the YAML a user would write.

* :func:`chain` — ``steps`` steps, each after the one before, quoting its output.
* :func:`layered` — layers of ``width`` steps; every step of a layer depends on every step of
  the layer above and quotes each of their outputs (``steps x width`` template references).

Every role is inline (``model: mock``), so the files run with ``ark run --provider mock`` and
nothing else. ``python -m tests.bench.workloads chain|layered STEPS [WIDTH] > team.yaml``
writes one to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

HEADER = "apiVersion: arkonis.dev/v1alpha1\nkind: ArkTeam\nmetadata:\n  name: {name}\nspec:\n"


def _name(index: int) -> str:
    return f"s{index}"


def _team(name: str, steps: Sequence[tuple[str, Sequence[str]]]) -> str:
    """YAML of a team whose steps are ``(role, dependencies)``; flow-style lines keep it compact."""
    out = [
        HEADER.format(name=name),
        "  inputs:\n  - {name: topic, default: benchmarks}\n",
        "  roles:\n",
    ]
    out.extend(
        f"  - {{name: {role}, model: mock, systemPrompt: {json.dumps(f'You are step {role}.')}}}\n"
        for role, _ in steps
    )
    out.append("  pipeline:\n")
    for role, deps in steps:
        if not deps:
            out.append(f"  - role: {role}\n    inputs: {{task: 'Start from {{{{ .input.topic }}}}.'}}\n")
            continue
        quoted = ", ".join(f"from_{dep}: '{{{{ .steps.{dep}.output }}}}'" for dep in deps)
        out.append(f"  - role: {role}\n    dependsOn: [{', '.join(deps)}]\n    inputs: {{{quoted}}}\n")
    last = steps[-1][0]
    out.append(f"  output: '{{{{ .steps.{last}.output }}}}'\n")
    return "".join(out)


def chain(steps: int, name: str = "bench-chain") -> str:
    """A chain of ``steps`` steps: ``s{i}`` depends on ``s{i-1}`` and quotes its output."""
    return _team(name, [(_name(i), [_name(i - 1)] if i else []) for i in range(steps)])


def layered(steps: int, width: int = 10, name: str = "bench-layered") -> str:
    """``steps`` steps in layers of ``width``; each depends on, and quotes, the whole layer above."""
    plan: list[tuple[str, Sequence[str]]] = []
    for index in range(steps):
        layer = index // width
        above = range((layer - 1) * width, min(layer * width, steps)) if layer else range(0)
        plan.append((_name(index), [_name(dep) for dep in above]))
    return _team(name, plan)


def main(argv: Sequence[str]) -> int:
    """``chain|layered STEPS [WIDTH]``: print the team's YAML."""
    if len(argv) not in (2, 3) or argv[0] not in ("chain", "layered"):
        print("usage: python -m tests.bench.workloads chain|layered STEPS [WIDTH]", file=sys.stderr)
        return 2
    steps = int(argv[1])
    text = chain(steps) if argv[0] == "chain" else layered(steps, int(argv[2]) if len(argv) == 3 else 10)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
