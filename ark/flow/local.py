"""The in-process :class:`~ark.flow.driver.TaskQueue` of ``ark run``: one asyncio task per task.

A worker is ``async (Task) -> Result`` for an agent (``ark run`` wraps the runtime's tool-use
loop); a team runner answers tasks whose role is an ``arkTeam`` reference. A task id is run at
most once, whatever the number of submissions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

from ark.flow.actions import SubmitTask
from ark_runtime.protocol import Result, Task

Worker = Callable[[Task], Awaitable[Result]]
TeamRunner = Callable[[SubmitTask], Awaitable[Result]]


def error_result(task: Task, message: str) -> Result:
    """A failed result for ``task``."""
    now = int(time.time() * 1000)
    return Result(
        id=task.id,
        run=task.run,
        step=task.step,
        status="error",
        error=message,
        consumer="ark-run",
        started_ms=now,
        finished_ms=now,
    )


class InProcessQueue:
    """Runs every submitted task right away, concurrently, in this event loop."""

    def __init__(self, workers: Mapping[str, Worker], team_runner: TeamRunner | None = None) -> None:
        self._workers = dict(workers)
        self._team_runner = team_runner
        self._results: asyncio.Queue[Result] = asyncio.Queue()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._seen: set[str] = set()

    async def submit(self, request: SubmitTask) -> None:
        """Start the task unless its id was submitted before."""
        task = request.task
        if task.id in self._seen:
            return
        self._seen.add(task.id)
        self._tasks[task.id] = asyncio.create_task(self._run(request), name=f"ark-task-{task.id}")

    def cancel(self, task_id: str) -> None:
        """Cancel a running task; it produces no result."""
        running = self._tasks.pop(task_id, None)
        if running is not None:
            running.cancel()

    async def get_result(self) -> Result:
        """The next finished task's result."""
        return await self._results.get()

    async def aclose(self) -> None:
        """Cancel whatever still runs and wait for it to stop."""
        pending = list(self._tasks.values())
        self._tasks.clear()
        for running in pending:
            running.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _run(self, request: SubmitTask) -> None:
        task = request.task
        try:
            if request.team is not None:
                if self._team_runner is None:
                    result = error_result(task, f"no runner for team {request.team!r}")
                else:
                    result = await self._team_runner(request)
            else:
                worker = self._workers.get(request.agent)
                if worker is None:
                    result = error_result(task, f"no worker for agent {request.agent!r}")
                else:
                    result = await worker(task)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a worker bug fails its task, not the run loop
            result = error_result(task, f"{type(exc).__name__}: {exc}")
        finally:
            self._tasks.pop(task.id, None)
        await self._results.put(result)
