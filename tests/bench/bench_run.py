"""``ark run`` benchmarks: a generated 500-step DAG end to end, and the engine's cost per step.

* ``run_500_steps``: wall time of ``ark run team.yaml --provider mock`` as a subprocess (interpreter
  start-up, imports, YAML, validation, 500 mock tasks, output) on a DAG of 25 levels of 20 steps,
  each step reading one or two steps of the level before. Target <= 2 s (architecture §8).
* ``engine_step_overhead``: the engine alone (no provider, no queue): steps driven from start to
  Succeeded by feeding results straight back, microseconds per step.

Measured, never asserted. ``python -m tests.bench.bench_run`` runs both.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

STEPS = 500
WIDTH = 20
RUNS = 5


def generate_team(steps: int = STEPS, width: int = WIDTH, name: str = "bench-dag") -> str:
    """YAML of a pipeline team: ``steps`` steps in levels of ``width``, each after 1-2 of the level before."""
    roles = []
    pipeline = []
    for index in range(steps):
        level, slot = divmod(index, width)
        role = f"l{level}s{slot}"
        roles.append({"name": role, "model": "mock", "systemPrompt": f"You are step {role}."})
        step: dict[str, object] = {"role": role}
        if level == 0:
            step["inputs"] = {"task": "Start from {{ .input.topic }}."}
        else:
            deps = sorted({f"l{level - 1}s{slot}", f"l{level - 1}s{(slot * 7 + 3) % width}"})
            step["dependsOn"] = deps
            step["inputs"] = {f"from_{dep}": f"{{{{ .steps.{dep}.output }}}}" for dep in deps}
        pipeline.append(step)
    last = (steps - 1) // width
    team = {
        "apiVersion": "arkonis.dev/v1alpha1",
        "kind": "ArkTeam",
        "metadata": {"name": name},
        "spec": {
            "inputs": [{"name": "topic", "default": "benchmarks"}],
            "roles": roles,
            "pipeline": pipeline,
            "output": f"{{{{ .steps.l{last}s0.output }}}}",
        },
    }
    return yaml.safe_dump(team, sort_keys=False)


def run_500_steps() -> float:
    """Median wall seconds of the ``ark run`` subprocess over :data:`RUNS` runs."""
    ark = str(Path(sys.executable).parent / "ark")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dag.yaml"
        path.write_text(generate_team())
        for _ in range(RUNS):
            started = time.perf_counter()
            done = subprocess.run(
                [ark, "run", str(path), "--provider", "mock", "--max-parallel", str(WIDTH), "-o", "json"],
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - started)
            if done.returncode != 0 or '"phase": "Succeeded"' not in done.stdout:
                raise RuntimeError(f"ark run failed ({done.returncode}): {done.stderr[-2000:]}")
    return statistics.median(times)


def engine_step_overhead() -> float:
    """Microseconds of engine work per step: start, on_result for every task, to Succeeded."""
    from ark.api.kinds import parse_object
    from ark.api.team import ArkTeam
    from ark.flow.actions import SubmitTask
    from ark.flow.engine import Engine, EngineOptions
    from ark.flow.plan import build_plan
    from ark_runtime.protocol import Result

    team = parse_object(yaml.safe_load(generate_team()))
    assert isinstance(team, ArkTeam)
    plan = build_plan("bench-dag", team.spec)
    engine = Engine(plan, EngineOptions(max_parallel=WIDTH))
    samples = []
    for round_ in range(RUNS):
        state = engine.new_state(f"bench{round_}", {"topic": "benchmarks"})
        started = time.perf_counter()
        pending = [a.task for a in engine.start(state, 0.0) if isinstance(a, SubmitTask)]
        while pending:
            task = pending.pop()
            result = Result(
                task.id, task.run, task.step, "ok", output=f"answer of {task.step}", input_tokens=1
            )
            pending.extend(a.task for a in engine.on_result(state, result, 1.0) if isinstance(a, SubmitTask))
        samples.append((time.perf_counter() - started) / STEPS * 1e6)
        if state.phase != "Succeeded":
            raise RuntimeError(f"engine run ended {state.phase}: {state.message}")
    return statistics.median(samples)


def main() -> None:
    """Print both figures."""
    print(f"bench: run_500_steps {run_500_steps():.3f} s", flush=True)
    print(f"bench: engine_step_overhead {engine_step_overhead():.1f} us", flush=True)


if __name__ == "__main__":
    main()
