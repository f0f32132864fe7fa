"""The ``ark-runtime`` console script: read the environment, run the agent, exit cleanly on SIGTERM.

Exit codes: 0 after a clean stop, 2 for an invalid environment (the log line names the variable).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping

from prometheus_client import disable_created_metrics

from ark_runtime import __version__
from ark_runtime.agent import Agent
from ark_runtime.config import AgentConfig, ConfigError
from ark_runtime.logs import configure_logging, secret_values
from ark_runtime.providers.select import select_provider
from ark_runtime.telemetry import configure_tracing

log = logging.getLogger("ark_runtime")


async def run_agent(env: Mapping[str, str]) -> int:
    """Run an agent configured by ``env`` until SIGTERM/SIGINT; returns the exit code."""
    try:
        config = AgentConfig.from_env(env)
        headers = {s.name: s.resolved_headers(env) for s in config.mcp_servers}
        configure_logging(
            config.log_level, secret_values(env, [v for h in headers.values() for v in h.values()])
        )
        provider = select_provider(config.model, config.provider, env, config.limits)
        agent = Agent(config, provider, headers, env)
    except ConfigError as exc:
        configure_logging(env.get("LOG_LEVEL", "INFO").upper(), secret_values(env))
        log.error("invalid configuration", extra={"error": str(exc)})
        return 2
    configure_tracing(f"ark-agent-{config.name}", env)
    # As the operator: no `_created` twin of every counter on /metrics.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.stop)
    try:
        await agent.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0


USAGE = """usage: ark-runtime [-h] [--version]

The program in every ark agent pod. It takes no arguments: it is configured by environment
variables (set by the operator), pulls tasks from Redis Streams and answers them with the model.

Required: AGENT_MODEL, AGENT_SYSTEM_PROMPT, TASK_QUEUE_URL (host:port or redis://...).
Common:   AGENT_PROVIDER (anthropic|openai|mock; default from the model name), ANTHROPIC_API_KEY,
          OPENAI_API_KEY, OPENAI_BASE_URL, AGENT_NAMESPACE, AGENT_NAME, POD_NAME,
          AGENT_MAX_TOKENS, AGENT_TIMEOUT_SECONDS, AGENT_MAX_CONCURRENT_TASKS, AGENT_MAX_RETRIES,
          AGENT_DAILY_TOKEN_LIMIT, AGENT_MCP_SERVERS, AGENT_WEBHOOK_TOOLS, AGENT_VALIDATOR_PROMPT,
          AGENT_HEALTH_PORT (default 8080: /healthz, /readyz).
The full contract is in ark_runtime/config.py.
"""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["-h"], ["--help"]):
        print(USAGE, end="")
        sys.exit(0)
    if args == ["--version"]:
        print(f"ark-runtime {__version__}")
        sys.exit(0)
    if args:
        print(USAGE, end="", file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(run_agent(os.environ)))


if __name__ == "__main__":
    main()
