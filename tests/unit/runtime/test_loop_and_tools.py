"""The tool-use loop, tool dispatch priority and the delegate() rules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ark_runtime.loop import (
    INJECTION_DEFENCE,
    build_system_prompt,
    run_task,
    system_prompt_with_defence,
    task_deadline,
)
from ark_runtime.protocol import Task
from ark_runtime.providers import (
    ChatRequest,
    ChatResponse,
    MockProvider,
    ProviderError,
    ToolCall,
    ToolResultsTurn,
    Usage,
)
from ark_runtime.tools import DelegateTool, DelegationError, ToolResult, ToolSet, child_path
from ark_runtime.tools.base import Tool


class ScriptedProvider:
    """Answers from a list of responses (or exceptions) and records every request."""

    name = "scripted"
    model = "scripted-1"

    def __init__(self, *replies: ChatResponse | Exception, delay: float = 0.0) -> None:
        self.replies = list(replies)
        self.requests: list[ChatRequest] = []
        self.delay = delay

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def aclose(self) -> None:
        return None


@dataclass
class EchoTool:
    name: str
    description: str = "echo"
    input_schema: Mapping[str, Any] = None  # type: ignore[assignment]
    fail: bool = False
    label: str = ""

    async def call(self, arguments: Mapping[str, Any]) -> ToolResult:
        if self.fail:
            raise RuntimeError("tool exploded")
        return ToolResult(f"{self.label or self.name}:{dict(arguments)}")


@dataclass
class Source:
    name: str
    guidance: str
    listed: Sequence[Tool]

    def tools(self) -> Sequence[Tool]:
        return self.listed


TASK = Task(id="run.s.1", run="run", step="s", prompt="do it")


async def run(provider: Any, tools: ToolSet | None = None, **kwargs: Any) -> Any:
    defaults: dict[str, Any] = {
        "system_prompt": "sys",
        "max_tokens": 100,
        "deadline": None,
        "consumer": "pod-1",
    }
    defaults.update(kwargs)
    task = defaults.pop("task", TASK)
    return await run_task(task, provider=provider, tools=tools or ToolSet(), **defaults)


def call(name: str, cid: str = "c1", **arguments: Any) -> ChatResponse:
    return ChatResponse("", (ToolCall(cid, name, arguments),), "tool_use", Usage(10, 2))


async def test_tool_results_and_errors_go_back_to_the_model_and_usage_adds_up() -> None:
    provider = ScriptedProvider(
        call("echo", q=1),
        call("missing", cid="c2"),
        call("broken", cid="c3"),
        ChatResponse("final answer", usage=Usage(5, 7)),
    )
    tools = ToolSet(inline=[EchoTool("echo"), EchoTool("broken", fail=True)])
    result = await run(provider, tools)
    assert result.status == "ok"
    assert result.output == "final answer"
    assert (result.input_tokens, result.output_tokens, result.tool_calls) == (35, 13, 3)
    turns = [m for m in provider.requests[-1].messages if isinstance(m, ToolResultsTurn)]
    assert turns[0].results[0].text == "echo:{'q': 1}"
    assert not turns[0].results[0].is_error
    assert turns[1].results[0].is_error
    assert "unknown tool 'missing'" in turns[1].results[0].text
    assert turns[2].results[0].is_error
    assert "tool exploded" in turns[2].results[0].text
    assert [t.name for t in provider.requests[0].tools] == ["echo", "broken"]
    assert result.consumer == "pod-1"
    assert result.started_ms <= result.finished_ms


async def test_bad_tool_arguments_are_reported_without_calling_the_tool() -> None:
    provider = ScriptedProvider(
        ChatResponse("", (ToolCall("c1", "echo", {}, argument_error="arguments are not valid JSON"),)),
        ChatResponse("ok"),
    )
    result = await run(provider, ToolSet(inline=[EchoTool("echo")]))
    block = provider.requests[1].messages[-1].results[0]  # type: ignore[union-attr]
    assert block.is_error
    assert block.text == "arguments are not valid JSON"
    assert result.status == "ok"


async def test_provider_error_becomes_an_error_result() -> None:
    result = await run(ScriptedProvider(ProviderError("answered HTTP 401: invalid x-api-key")))
    assert result.status == "error"
    assert result.error == "scripted provider: answered HTTP 401: invalid x-api-key"


async def test_unexpected_provider_exception_becomes_an_error_result() -> None:
    result = await run(ScriptedProvider(KeyError("boom")))
    assert result.status == "error"
    assert "KeyError" in result.error


async def test_deadline_bounds_the_model_call() -> None:
    started = time.monotonic()
    result = await run(ScriptedProvider(ChatResponse("late"), delay=5), deadline=time.monotonic() + 0.2)
    assert result.status == "error"
    assert "deadline exceeded waiting for the model" in result.error
    assert time.monotonic() - started < 2


async def test_turn_limit_stops_a_model_that_never_finishes() -> None:
    provider = ScriptedProvider(*[call("echo", cid=f"c{i}") for i in range(3)])
    result = await run(provider, ToolSet(inline=[EchoTool("echo")]), max_turns=3)
    assert result.status == "error"
    assert "after 3 turns" in result.error
    assert result.tool_calls == 3


async def test_task_max_tokens_lowers_the_per_call_cap() -> None:
    provider = ScriptedProvider(ChatResponse("a"), ChatResponse("b"))
    await run(provider, max_tokens=800)
    await run(provider, task=Task(id="i", run="r", step="s", prompt="p", max_tokens=50), max_tokens=800)
    assert [r.max_tokens for r in provider.requests] == [800, 50]


def test_task_deadline_takes_the_earlier_of_timeout_and_deadline_ms() -> None:
    soon = Task(id="i", run="r", step="s", prompt="p", deadline_ms=int((time.time() + 2) * 1000))
    assert task_deadline(soon, 60) - time.monotonic() < 2.1
    assert task_deadline(TASK, 60) - time.monotonic() > 59


def test_dispatch_priority_builtins_then_inline_then_servers() -> None:
    tools = ToolSet(
        builtins=[EchoTool("delegate", label="builtin")],
        inline=[EchoTool("delegate", label="inline"), EchoTool("kb__search", label="inline")],
        sources=[
            Source(
                "kb",
                "Search the KB first.",
                [EchoTool("kb__search", label="mcp"), EchoTool("kb__get", label="mcp")],
            )
        ],
    )
    resolved = tools.resolved()
    assert resolved["delegate"].label == "builtin"  # type: ignore[attr-defined]
    assert resolved["kb__search"].label == "inline"  # type: ignore[attr-defined]
    assert resolved["kb__get"].label == "mcp"  # type: ignore[attr-defined]
    prompt = build_system_prompt("You are helpful.", tools.offer().guidance)
    assert prompt.startswith("You are helpful.\n\n## Tools from kb\nSearch the KB first.")
    assert prompt.endswith(INJECTION_DEFENCE)


async def test_a_servers_guidance_is_in_the_prompt_only_while_its_tools_are_offered() -> None:
    kb = Source("kb", "Search the KB first.", [])
    tools = ToolSet(sources=[kb])
    provider = ScriptedProvider(ChatResponse("without"), ChatResponse("with"))
    await run(provider, tools, system_prompt="You help.")
    kb.listed = [EchoTool("kb__search")]  # the server connected
    await run(provider, tools, system_prompt="You help.")
    without, with_tools = provider.requests
    assert without.system == f"You help.\n\n{INJECTION_DEFENCE}"
    assert without.tools == ()
    assert with_tools.system == f"You help.\n\n## Tools from kb\nSearch the KB first.\n\n{INJECTION_DEFENCE}"
    assert [t.name for t in with_tools.tools] == ["kb__search"]


def test_defence_paragraph_is_appended_once() -> None:
    once = system_prompt_with_defence("Be brief.")
    assert once == f"Be brief.\n\n{INJECTION_DEFENCE}"
    assert system_prompt_with_defence(once) == once
    assert "<ark:step-output>" in INJECTION_DEFENCE


# ----------------------------------------------------------------- delegate


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, str, Task]] = []
        self.fail = fail

    async def __call__(self, role: str, prompt: str, parent: Task) -> str:
        self.calls.append((role, prompt, parent))
        if self.fail:
            raise DelegationError("the sub-task timed out")
        return f"{role} says done"


async def delegate_once(tool: DelegateTool, parent: Task, **arguments: Any) -> tuple[str, bool]:
    provider = ScriptedProvider(call("delegate", **arguments), ChatResponse("end"))
    await run(provider, ToolSet(builtins=[tool]), task=parent)
    block = provider.requests[1].messages[-1].results[0]  # type: ignore[union-attr]
    return block.text, block.is_error


async def test_delegate_calls_the_host_with_the_parent_task() -> None:
    host = Recorder()
    text, is_error = await delegate_once(
        DelegateTool(host, ["research"]), TASK, role="research", task="find facts"
    )
    assert (text, is_error) == ("research says done", False)
    role, prompt, parent = host.calls[0]
    assert (role, prompt, parent.id) == ("research", "find facts", TASK.id)
    assert child_path(parent, role) == "s/research"


async def test_delegate_refuses_roles_outside_can_delegate() -> None:
    host = Recorder()
    text, is_error = await delegate_once(DelegateTool(host, ["research"]), TASK, role="billing", task="x")
    assert is_error
    assert "not one this role may delegate to" in text
    assert "research" in text
    assert host.calls == []


async def test_delegate_refuses_a_loop_back_along_the_path() -> None:
    task = Task(id="t", run="r", step="write", prompt="p", path="lead/research/write")
    text, is_error = await delegate_once(
        DelegateTool(Recorder(), ["lead", "edit"]), task, role="lead", task="x"
    )
    assert is_error
    assert "lead -> research -> write -> lead" in text


async def test_delegate_refuses_beyond_the_depth_limit() -> None:
    task = Task(id="t", run="r", step="c", prompt="p", path="a/b/c")
    tool = DelegateTool(Recorder(), ["d"], max_depth=2)
    text, is_error = await delegate_once(tool, task, role="d", task="x")
    assert is_error
    assert "depth limit 2" in text
    ok_text, ok_error = await delegate_once(
        DelegateTool(Recorder(), ["d"], max_depth=3), task, role="d", task="x"
    )
    assert (ok_text, ok_error) == ("d says done", False)


async def test_a_failed_sub_task_is_a_tool_error() -> None:
    text, is_error = await delegate_once(DelegateTool(Recorder(fail=True), ["r"]), TASK, role="r", task="x")
    assert is_error
    assert text == "delegation to 'r' failed: the sub-task timed out"


async def test_delegate_rejects_malformed_arguments() -> None:
    text, is_error = await delegate_once(DelegateTool(Recorder(), ["r"]), TASK, role="r")
    assert is_error
    assert "non-empty string 'task'" in text


async def test_mock_in_a_dynamic_team_exercises_delegation() -> None:
    mock = MockProvider()
    seen: list[str] = []

    async def host(role: str, prompt: str, parent: Task) -> str:
        child = Task(
            id=f"{parent.id}/{role}",
            run=parent.run,
            step=role,
            prompt=prompt,
            kind="delegate",
            path=child_path(parent, role),
        )
        seen.append(child.path)
        sub = await run_task(
            child,
            provider=mock,
            tools=ToolSet(),
            system_prompt="",
            max_tokens=10,
            deadline=None,
            consumer="c",
        )
        return sub.output

    lead = Task(id="r.lead.1", run="r", step="lead", prompt="Ship the release")
    result = await run(mock, ToolSet(builtins=[DelegateTool(host, ["qa", "docs"])]), task=lead)
    assert seen == ["lead/qa", "lead/docs"]
    assert result.status == "ok"
    assert result.tool_calls == 2
    assert 'step "qa"' in result.output
    assert 'step "docs"' in result.output
