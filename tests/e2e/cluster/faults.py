"""The workload of the exactly-once tests: 20 concurrent runs of a 5-step pipeline whose agents call
a loopback OpenAI-compatible model that counts its calls per task, and the checks that every run
succeeded with every step's result recorded exactly once."""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ark.api.run import RunTrigger
from ark.controllers.resources import ARK_RUNS, ARK_TEAMS
from ark.kube.client import KubeClient
from ark.runs.create import run_for_team
from tests.integration.runtime.support import ModelServer, Reply, last_user_text, openai_text
from tests.support.wait import WaitTimeout, wait_for

RUNS = 20
STEPS = 5
PROMPT_TOKENS, COMPLETION_TOKENS = 10, 5
TASK = re.compile(r"run (\d+) step (\d+)")


def _step(i: int) -> dict[str, Any]:
    step: dict[str, Any] = {"role": f"s{i}", "inputs": {"prompt": f"run {{{{ .input.n }}}} step {i}"}}
    if i > 1:
        step["dependsOn"] = [f"s{i - 1}"]
        step["inputs"]["previous"] = f"{{{{ .steps.s{i - 1}.output }}}}"
    return step


TEAM: dict[str, Any] = {
    "apiVersion": "arkonis.dev/v1alpha1",
    "kind": "ArkTeam",
    "metadata": {"name": "chain"},
    "spec": {
        "inputs": [{"name": "n", "required": True}],
        # Keep every run for the checks (the default keeps the last 10).
        "successfulRunsHistoryLimit": RUNS,
        "roles": [
            {
                "name": f"s{i}",
                "model": "llama-test",
                "systemPrompt": "p",
                "limits": {"timeoutSeconds": 10, "maxConcurrentTasks": 25},
            }
            for i in range(1, STEPS + 1)
        ],
        "pipeline": [_step(i) for i in range(1, STEPS + 1)],
    },
}
"""The 5-step chain: each step names its run and step (the model's key) and quotes the previous one."""


def answer(run: int, step: int) -> str:
    """What the model answers to step ``step`` of run ``run``."""
    return f"answer {run}.{step}"


class CountingModel(ModelServer):
    """Answers each task deterministically and counts how often each task reached the model.

    ``slow_step``: calls for that step take ``delay`` seconds (a window to kill an agent in).
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[tuple[int, int]] = Counter()
        self.slow_step: int | None = None
        self.delay = 0.0
        self.in_flight = threading.Semaphore(0)
        self.responder = self._answer

    def _answer(self, entry: dict[str, Any]) -> Reply:
        found = TASK.search(last_user_text(entry["body"]).splitlines()[-1])
        assert found, entry["body"]
        run, step = int(found.group(1)), int(found.group(2))
        self.calls[(run, step)] += 1
        reply = openai_text(answer(run, step), PROMPT_TOKENS, COMPLETION_TOKENS)
        if step == self.slow_step:
            self.in_flight.release()
            reply.delay = self.delay
        return reply

    @property
    def repeated(self) -> int:
        """Model calls beyond the first for a task (allowed: delivery is at least once)."""
        return sum(count - 1 for count in self.calls.values())


def agent_env(model: CountingModel) -> list[str]:
    """``--agent-env`` flags: the model server, and a quick reclaim of a crashed pod's task."""
    return [
        "--agent-env=AGENT_PROVIDER=openai",
        f"--agent-env=OPENAI_BASE_URL={model.openai_base}",
        "--agent-env=OPENAI_API_KEY=test",
        "--agent-env=AGENT_RECLAIM_GRACE_SECONDS=1",
        "--agent-env=AGENT_RECLAIM_INTERVAL_SECONDS=0.5",
        # The operator waits long enough for a reclaimed task (two timeouts + reclaim + this grace).
        "--step-grace-seconds=30",
    ]


async def team_ready(kube: KubeClient, namespace: str) -> None:
    async def ready() -> bool:
        team = await kube.get(ARK_TEAMS, "chain", namespace)
        return (team.get("status") or {}).get("phase") == "Ready"

    await wait_for(ready, timeout=90, message="ArkTeam chain Ready")


async def trigger_all(kube: KubeClient, namespace: str) -> dict[int, str]:
    """Start the 20 runs at once; run number -> ArkRun name."""
    team = await kube.get(ARK_TEAMS, "chain", namespace)

    async def one(n: int) -> tuple[int, str]:
        body = run_for_team(team, {"n": str(n)}, RunTrigger(type="manual", source="test")).body
        created = await kube.create(ARK_RUNS, body)
        return n, str(created["metadata"]["name"])

    return dict(await asyncio.gather(*(one(n) for n in range(RUNS))))


@dataclass(frozen=True)
class Outcome:
    """What the fault did to the runs."""

    model_calls: int
    repeated_calls: int
    doubled_results: int

    def line(self, scenario: str) -> str:
        return (
            f"exactly-once: {scenario}: {RUNS} runs x {STEPS} steps Succeeded; "
            f"model calls {self.model_calls}, repeated {self.repeated_calls}, "
            f"doubled results {self.doubled_results}"
        )


async def check_all(kube: KubeClient, namespace: str, runs: dict[int, str], model: CountingModel) -> Outcome:
    """Wait for every run to succeed; each step's output is its own answer, recorded once."""

    stuck: dict[str, Any] = {}

    async def done() -> list[dict[str, Any]] | None:
        page = await kube.list(ARK_RUNS, namespace)
        statuses = {r["metadata"]["name"]: r.get("status") or {} for r in page["items"]}
        phases = [statuses.get(name, {}).get("phase") for name in runs.values()]
        stuck.clear()
        for name in runs.values():
            status = statuses.get(name, {"phase": "deleted"})
            if status.get("phase") != "Succeeded":
                stuck[name] = [(s["name"], s["phase"], s.get("taskID")) for s in status.get("steps") or ()]
        failed = [name for name in runs.values() if statuses.get(name, {}).get("phase") == "Failed"]
        assert not failed, {name: statuses[name].get("message") for name in failed}
        return [statuses[runs[n]] for n in range(RUNS)] if all(p == "Succeeded" for p in phases) else None

    try:
        statuses = await wait_for(done, timeout=240, interval=0.25, message="every run Succeeded")
    except WaitTimeout as exc:
        raise AssertionError(f"{exc}; runs not done: {stuck}; model calls: {dict(model.calls)}") from None
    doubled = 0
    for n, status in enumerate(statuses):
        steps = {s["name"]: s for s in status["steps"]}
        assert sorted(steps) == [f"s{i}" for i in range(1, STEPS + 1)]
        for i in range(1, STEPS + 1):
            step = steps[f"s{i}"]
            assert step["output"] == answer(n, i)
            usage = step["tokenUsage"]
            # A result recorded twice would add its tokens twice (or bump the attempt).
            if (usage["inputTokens"], usage["outputTokens"], step.get("attempt")) != (
                PROMPT_TOKENS,
                COMPLETION_TOKENS,
                1,
            ):
                doubled += 1
        assert status["totalTokenUsage"]["totalTokens"] == STEPS * (PROMPT_TOKENS + COMPLETION_TOKENS)
    assert all(model.calls[(n, i)] >= 1 for n in range(RUNS) for i in range(1, STEPS + 1))
    return Outcome(sum(model.calls.values()), model.repeated, doubled)
