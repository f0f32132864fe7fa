"""The program that runs in every agent pod; it knows nothing about Kubernetes.

Core API (stable; ``ark run``'s in-process workers use exactly this)::

    from ark_runtime.config import AgentConfig, ConfigError
    AgentConfig.from_env(env: Mapping[str, str]) -> AgentConfig      # §12 contract; errors name the variable

    from ark_runtime.providers import select_provider, provider_name_for, MockProvider, Provider
    select_provider(model, explicit=None, env=None, limits=None) -> Provider
        # explicit ("anthropic" | "openai" | "mock"; "auto"/None = by model name) wins; a missing key
        # raises ConfigError naming ANTHROPIC_API_KEY / OPENAI_API_KEY
    class Provider(Protocol):
        name: str
        async def complete(self, request: ChatRequest) -> ChatResponse  # raises ProviderError
        async def aclose(self) -> None
    ChatRequest(system, messages: Sequence[UserTurn | AssistantTurn | ToolResultsTurn],
                tools: Sequence[ToolSpec], max_tokens, temperature,
                deadline (time.monotonic() instant | None), step, kind, output_schema)
    ChatResponse(text, tool_calls, stop_reason, usage: Usage(input_tokens, output_tokens))

    from ark_runtime.tools import ToolSet, Tool, ToolResult, DelegateTool, DelegationError, child_path
    ToolSet(builtins=(), inline=(), sources=())        # dispatch priority: built-ins -> inline -> MCP sources
    toolset.offer() -> Offer(specs, guidance)          # what a task starting now is offered (sources change)
    await toolset.call(name, arguments) -> ToolResult(text, is_error)
    DelegateTool(fn: async (role, prompt, parent_task: Task) -> str, roles: Sequence[str], max_depth: int = 5)
        # refuses (tool error) roles outside canDelegate, depth > max_depth, and roles already on the path;
        # the host's fn submits Task(kind="delegate", parent=parent.id, path=child_path(parent, role), ...)
        # and returns the answer, or raises DelegationError

    from ark_runtime.loop import run_task, build_system_prompt, system_prompt_with_defence, task_deadline
    await run_task(task: Task, *, provider: Provider, tools: ToolSet, system_prompt: str, max_tokens: int,
                   deadline: float | None, consumer: str, max_turns: int = 20,
                   temperature: float | None = None, limits: Limits | None = None) -> Result
        # never raises for model/tool/network failures: Result(status="error", error=<reason>);
        # limits (ark_runtime.limits, from ark_runtime.config.limits_from_env) caps the output and repeats;
        # system_prompt is the agent's own: the offered servers' guidance and the defence are added
    build_system_prompt(prompt, guidance) -> str      # prompt + tool servers' guidance + injection defence
    system_prompt_with_defence(prompt) -> str         # decision §18 #5, idempotent
    task_deadline(task, timeout_seconds) -> float     # monotonic instant: timeout and task.deadline_ms

    from ark_runtime.tools.servers import ServerConnection, ServerStatus
    from ark_runtime.tools.startup import connect_first
    ServerConnection(config: McpServerConfig, headers, limits=None)  # a ToolSource; `await run()` in a task
    connection.status() -> ServerStatus(name, url, state, transport, tools, error); connection.subscribe(fn)
    await connect_first(connections, timeout)          # every first connection attempt over (in parallel)

Redis Streams side (``ark_runtime.queue``): :class:`~ark_runtime.queue.Consumer` (the agent pod's
worker loop), :class:`~ark_runtime.queue.Submitter` (XADD + ``SET ark:task:{id} NX`` in one
MULTI), :class:`~ark_runtime.queue.ResultsReader` (a consumer group over ``ark:results:{ns}``).
The ``ark-runtime`` console script is :func:`ark_runtime.main.main`.
"""

__version__ = "0.1.0"
