"""``ark run`` benchmarks: generated pipelines end to end, and the engine's cost per step.

Whole-process figures are ``ark run team.yaml --provider mock -o json`` as a subprocess
(interpreter start-up, imports, YAML, validation, the mock tasks, output), the median of
:data:`~tests.bench.measure.RUNS` runs:

* ``run_500_steps``: a DAG of 25 levels of 20 steps, each step reading one or two steps of the
  level before (architecture §8: <= 0.4 s).
* ``run_chain_1000``: a 1,000-step chain (:func:`~tests.bench.workloads.chain`).
* ``run_layered_1000`` / ``run_layered_2000``: layers of 10 steps, each step depending on and
  quoting the whole layer above (:func:`~tests.bench.workloads.layered`); twice the steps should
  cost at most twice the time. ``run_layered_1000_peak_rss`` is the peak RSS of the first.
* ``engine_step_overhead``: the engine alone (no provider, no queue): steps driven from start to
  Succeeded by feeding results straight back, microseconds per step.

Each whole-process figure is printed as wall time and, as ``<name>_cpu``, CPU time (steadier on
a shared machine). Measured, never asserted. ``python -m tests.bench.bench_run`` runs them all.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import yaml

from tests.bench.measure import ARK, Medians, Sample, median_of, report
from tests.bench.workloads import chain, layered

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


def _succeeded(sample: Sample) -> str | None:
    if sample.returncode != 0 or b'"phase": "Succeeded"' not in sample.output:
        return f"the run did not succeed (exit status {sample.returncode})"
    return None


def run_team(text: str, max_parallel: int = 8) -> Medians:
    """Medians of ``ark run`` on the team ``text``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "team.yaml"
        path.write_text(text)
        command = [ARK, "run", str(path), "--provider", "mock", "--max-parallel", str(max_parallel)]
        return median_of([*command, "-o", "json"], check=_succeeded)


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
    """Print every figure."""
    report("run_500_steps", run_team(generate_team(), WIDTH))
    report("run_chain_1000", run_team(chain(1000)))
    medians = run_team(layered(1000, 10), 10)
    report("run_layered_1000", medians)
    print(f"bench: run_layered_1000_peak_rss {medians.peak_rss_mb:.1f} MB", flush=True)
    report("run_layered_2000", run_team(layered(2000, 10), 10))
    print(f"bench: engine_step_overhead {engine_step_overhead():.1f} us", flush=True)


if __name__ == "__main__":
    main()
