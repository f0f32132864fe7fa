"""The async driver with the in-process queue: real asyncio workers, real time (short)."""

from __future__ import annotations

import asyncio

from ark.flow.actions import Action, StepChanged, SubmitTask
from ark.flow.driver import Driver
from ark.flow.engine import Engine, EngineOptions
from ark.flow.local import InProcessQueue
from ark.flow.state import RunState
from ark_runtime.loop import run_task
from ark_runtime.protocol import Result, Task
from ark_runtime.providers.mock import MockProvider
from ark_runtime.tools import DelegateTool, ToolSet
from tests.unit.flow.support import ok, plan_of
from tests.unit.flow.test_engine_modes import DYNAMIC
from tests.unit.flow.test_engine_pipeline import FAN

WIDE = (
    "roles:\n"
    + "".join(f"  - {{name: s{i}, model: m, systemPrompt: p}}\n" for i in range(6))
    + "pipeline:\n"
    + "".join(f"  - {{role: s{i}}}\n" for i in range(6))
)


async def test_the_driver_runs_a_pipeline_with_bounded_parallelism() -> None:
    running = 0
    peak = 0

    async def worker(task: Task) -> Result:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return ok(task, f"did {task.step}")

    plan = plan_of(WIDE)
    engine = Engine(plan, EngineOptions(max_parallel=2))
    state = engine.new_state("d1", {})
    queue = InProcessQueue({role.agent: worker for role in plan.roles.values()})
    await Driver(engine, state, queue).run()
    assert state.phase == "Succeeded"
    assert peak == 2


async def test_a_queue_runs_a_task_id_once_however_often_it_is_submitted() -> None:
    calls: list[str] = []

    async def worker(task: Task) -> Result:
        calls.append(task.id)
        return ok(task, "x")

    queue = InProcessQueue({"a": worker})
    task = Task("r.s.1", "r", "s", "p")
    await queue.submit(SubmitTask("a", task))
    await queue.submit(SubmitTask("a", task))
    assert (await queue.get_result()).id == "r.s.1"
    await queue.aclose()
    assert calls == ["r.s.1"]


async def test_a_missing_worker_or_a_crashing_worker_becomes_an_error_result() -> None:
    async def crash(task: Task) -> Result:
        raise RuntimeError("boom")

    queue = InProcessQueue({"bad": crash})
    await queue.submit(SubmitTask("bad", Task("r.a.1", "r", "a", "p")))
    await queue.submit(SubmitTask("nobody", Task("r.b.1", "r", "b", "p")))
    results = {r.id: r for r in [await queue.get_result(), await queue.get_result()]}
    assert results["r.a.1"].error == "RuntimeError: boom"
    assert results["r.b.1"].error == "no worker for agent 'nobody'"


async def test_dynamic_runs_delegate_through_the_runtime_tool_and_the_mock_model() -> None:
    plan = plan_of(DYNAMIC)
    engine = Engine(plan)
    state = engine.new_state("d2", {"task": "my invoice is wrong"})
    drivers: dict[str, Driver] = {}
    mock = MockProvider()

    async def delegate(role: str, prompt: str, parent: Task) -> str:
        return await drivers[parent.run].delegate(role, prompt, parent)

    def worker_for(can_delegate: tuple[str, ...]):  # type: ignore[no-untyped-def]
        tools = ToolSet([DelegateTool(delegate, can_delegate)] if can_delegate else [])

        async def work(task: Task) -> Result:
            return await run_task(
                task,
                provider=mock,
                tools=tools,
                system_prompt="s",
                max_tokens=100,
                deadline=None,
                consumer="test",
            )

        return work

    queue = InProcessQueue({r.agent: worker_for(r.can_delegate) for r in plan.roles.values()})
    driver = drivers["d2"] = Driver(engine, state, queue)
    await driver.run()
    await queue.aclose()
    assert state.phase == "Succeeded"
    tree = {name: (step.parent, step.phase) for name, step in state.steps.items()}
    assert tree == {
        "triage": (None, "Succeeded"),
        "triage/billing": ("triage", "Succeeded"),
        "triage/tech": ("triage", "Succeeded"),
        "triage/tech/docs": ("triage/tech", "Succeeded"),
    }
    assert '[mock response for step "triage/tech/docs"' in (state.output or "")


async def test_cancel_stops_a_run_that_waits_on_slow_tasks() -> None:
    started = asyncio.Event()

    async def slow(task: Task) -> Result:
        started.set()
        await asyncio.sleep(30)
        return ok(task, "never")

    plan = plan_of(FAN)
    engine = Engine(plan)
    state = engine.new_state("d3", {})
    queue = InProcessQueue({role.agent: slow for role in plan.roles.values()})
    driver = Driver(engine, state, queue)
    running = asyncio.create_task(driver.run())
    await started.wait()
    await driver.cancel("stop now")
    await asyncio.wait_for(running, 2)
    await queue.aclose()
    assert (state.phase, state.reason, state.message) == ("Failed", "Cancelled", "stop now")
    assert {s.phase for s in state.steps.values()} == {"Failed", "Pending"}


async def test_the_driver_wakes_up_for_timeouts() -> None:
    async def slow(task: Task) -> Result:
        await asyncio.sleep(30)
        return ok(task, "never")

    plan = plan_of(
        FAN.replace(
            "{name: a, model: m, systemPrompt: p}",
            "{name: a, model: m, systemPrompt: p, limits: {timeoutSeconds: 1}}",
        )
    )
    engine = Engine(plan, EngineOptions(step_grace_seconds=0.05))
    state = engine.new_state("d4", {})
    seen: list[tuple[str, str]] = []

    def observe(_: RunState, action: Action) -> None:
        if isinstance(action, StepChanged):
            seen.append((action.step, action.phase))

    queue = InProcessQueue({role.agent: slow for role in plan.roles.values()})
    await asyncio.wait_for(Driver(engine, state, queue, observer=observe).run(), 5)
    await queue.aclose()
    assert state.failed_step == "a"
    assert state.steps["a"].message == "the task gave no result within 1 s (limits.timeoutSeconds)"
    assert ("a", "Running") in seen
    assert ("a", "Failed") in seen
