"""What ``ark run`` shows: the result (text or the documented JSON), the dry-run plan, the watch view.

The JSON shapes are documented in ``docs/run.md``; they are stable (``version`` changes if a key
ever changes meaning). The watch view is a live ``rich`` table on a terminal and one line per
step transition otherwise, with a line whenever a tool server connects, fails, goes away or
changes its tools; both go to stderr, so stdout carries only the result.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from ark.cli.run_setup import LocalRun
from ark.flow.actions import Action, RunFinished, StepChanged
from ark.flow.plan import RunPlan, StepPlan
from ark.flow.state import RunState, StepState

if TYPE_CHECKING:
    from ark_runtime.tools.servers import ServerStatus

JSON_VERSION = 1
PREVIEW_CHARS = 100


def _iso(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(step: StepState, now: float | None = None) -> float | None:
    if step.start_time is None:
        return None
    end = step.completion_time if step.completion_time is not None else now
    return None if end is None else round(max(0.0, end - step.start_time), 3)


def depth(state: RunState, step: StepState) -> int:
    """How many delegation hops below a top-level step ``step`` is."""
    level = 0
    current = step
    while current.parent is not None and current.parent in state.steps:
        level += 1
        current = state.steps[current.parent]
    return level


def ordered_steps(state: RunState) -> list[StepState]:
    """Steps with every delegation hop right under the step that delegated it (the tree, flattened)."""
    children: dict[str | None, list[StepState]] = {}
    # A snapshot: the live view renders from its refresh thread while the run adds steps.
    for step in list(state.steps.values()):
        parent = step.parent if step.parent in state.steps else None
        children.setdefault(parent, []).append(step)
    out: list[StepState] = []

    def walk(parent: str | None) -> None:
        for step in children.get(parent, []):
            out.append(step)
            walk(step.name)

    walk(None)
    return out


# ----------------------------------------------------------------------------- JSON


def result_json(state: RunState, providers: Mapping[str, str]) -> dict[str, Any]:
    """The ``--output json`` document (docs/run.md)."""
    return {
        "version": JSON_VERSION,
        "run": state.run_uid,
        "team": state.team,
        "mode": state.mode,
        "phase": state.phase,
        "reason": state.reason,
        "message": state.message,
        "failedStep": state.failed_step,
        "input": dict(state.inputs),
        "output": state.output,
        "startTime": _iso(state.start_time),
        "completionTime": _iso(state.completion_time),
        "durationSeconds": round(state.duration() or 0.0, 3) if state.start_time is not None else None,
        "tokens": {"input": state.input_tokens, "output": state.output_tokens, "total": state.total_tokens},
        "steps": [_step_json(step, providers) for step in ordered_steps(state)],
    }


def _step_json(step: StepState, providers: Mapping[str, str]) -> dict[str, Any]:
    return {
        "name": step.name,
        "role": step.role,
        "agent": step.agent,
        "provider": providers.get(step.agent),
        "kind": step.kind,
        "parent": step.parent,
        "phase": step.phase,
        "attempts": step.attempt,
        "retries": {"outputSchema": step.schema_retries, "validate": step.validation_retries},
        "iterations": step.iterations,
        "tokens": {"input": step.input_tokens, "output": step.output_tokens, "total": step.total_tokens},
        "startTime": _iso(step.start_time),
        "completionTime": _iso(step.completion_time),
        "durationSeconds": _duration(step),
        "output": step.output,
        "truncated": step.truncated,
        "data": step.data(),
        "message": step.message,
        "resolvedAgent": step.resolved_agent,
        "selectedCapability": step.selected_capability,
        "routingReason": step.routing_reason,
    }


def tool_servers_json(servers: Sequence[tuple[str, ServerStatus]]) -> list[dict[str, Any]]:
    """The ``toolServers`` of ``--output json``: each agent's tool servers as the run ended."""
    return [
        {
            "agent": agent,
            "name": status.name,
            "url": status.url,
            "state": status.state,
            "transport": status.transport,
            "tools": len(status.tools),
            "toolNames": list(status.tools),
            "error": status.error or None,
        }
        for agent, status in servers
    ]


# ----------------------------------------------------------------------------- text


def result_text(state: RunState) -> str:
    """The human summary printed on stdout when the run ends."""
    duration = state.duration() or 0.0
    lines = [
        "",
        f"Team {state.team} {state.phase} in {duration:.2f} s — total: {state.total_tokens} tokens",
        "",
    ]
    rows = [("STEP", "PHASE", "TOKENS", "TIME", "NOTE")]
    for step in ordered_steps(state):
        took = _duration(step)
        rows.append(
            (
                "  " * depth(state, step) + step.name,
                step.phase,
                str(step.total_tokens),
                f"{took:.2f} s" if took is not None else "-",
                step_note(step),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].rjust(widths[3]),
        ]
        lines.append(("  " + "  ".join(cells) + "  " + row[4]).rstrip())
    if state.phase == "Failed":
        lines += ["", f"Failed: {state.message or state.reason}"]
    else:
        if state.message:
            lines += ["", f"Note: {state.message}"]
        lines += ["", "Output:", state.output or ""]
    return "\n".join(lines) + "\n"


def step_note(step: StepState) -> str:
    """The NOTE of a step: the routing decision, else its message; retries of this iteration."""
    parts = []
    if step.kind == "route" and step.resolved_agent:
        parts.append(
            f"-> {step.resolved_agent} ({step.selected_capability}): {step.routing_reason or ''}".rstrip(": ")
        )
    elif step.message:
        parts.append(step.message)
    if step.retries:
        parts.append(f"{step.retries} {'retry' if step.retries == 1 else 'retries'}")
    return "; ".join(parts)


def failure_line(state: RunState, prog: str = "ark run") -> str:
    """One line for stderr when the run did not succeed (``prog`` is the command printing it)."""
    if state.failed_step:
        step = state.steps.get(state.failed_step)
        reason = step.message if step is not None and step.message else state.message
        return f'{prog}: {state.phase.lower()}: step "{state.failed_step}": {reason}'
    return f"{prog}: {state.phase.lower()} ({state.reason}): {state.message}"


# ----------------------------------------------------------------------------- plan


def step_calls(step: StepPlan) -> tuple[int, int]:
    """Fewest and most tasks a step can submit (model calls, tool turns aside)."""
    judge = 1 if step.validate is not None and step.validate.semantic is not None else 0
    retries = (1 if step.output_schema is not None else 0) + (
        step.validate.max_retries if step.validate is not None and step.validate.on_failure == "retry" else 0
    )
    low = 0 if step.condition is not None else 1 + judge
    high = step.max_iterations * (1 + retries) * (1 + judge)
    return low, high


def plan_json(run: LocalRun, providers: Mapping[str, str]) -> dict[str, Any]:
    """The ``--dry-run --output json`` document (docs/run.md)."""
    team = run.team
    plan = team.plan
    steps: list[dict[str, Any]] = []
    low = high = 0
    if plan.steps:
        for step in plan.steps:
            role = plan.roles[step.role]
            fewest, most = step_calls(step)
            low, high = low + fewest, high + most
            setup = team.agents.get(role.agent)
            steps.append(
                {
                    "name": step.name,
                    "agent": role.agent,
                    "team": role.team,
                    "model": setup.model if setup is not None else None,
                    "provider": providers.get(role.agent),
                    "level": step.level + 1,
                    "dependsOn": list(step.depends_on),
                    "if": step.condition,
                    "loop": {"condition": step.loop_condition, "maxIterations": step.max_iterations}
                    if step.loop_condition is not None
                    else None,
                    "outputSchema": step.output_schema is not None,
                    "validate": _validate_summary(step),
                    "calls": {"min": fewest, "max": most},
                }
            )
    elif plan.routing is not None:
        low = high = 2
        steps.append(
            {
                "name": "route",
                "agent": plan.routing.router_agent,
                "model": plan.routing.model,
                "provider": providers.get(plan.routing.router_agent),
                "level": 1,
                "dependsOn": [],
                "calls": {"min": 1, "max": 1},
            }
        )
    else:
        entry = plan.roles[plan.entry or ""]
        low = high = 1
        setup = team.agents.get(entry.agent)
        steps.append(
            {
                "name": entry.name,
                "agent": entry.agent,
                "model": setup.model if setup else None,
                "provider": providers.get(entry.agent),
                "level": 1,
                "dependsOn": [],
                "calls": {"min": 1, "max": None},
            }
        )
    return {
        "version": JSON_VERSION,
        "dryRun": True,
        "team": team.name,
        "mode": plan.mode,
        "input": dict(run.inputs),
        "timeoutSeconds": plan.timeout_seconds,
        "maxTokens": plan.max_tokens,
        "levels": plan.levels() if plan.steps else [[s["name"]] for s in steps],
        "steps": steps,
        "delegation": {
            role.name: list(role.can_delegate) for role in plan.roles.values() if role.can_delegate
        },
        "capabilities": [
            {"id": c.id, "agent": c.agent, "description": c.description}
            for c in (plan.routing.capabilities if plan.routing is not None else ())
        ],
        "fallback": plan.routing.fallback if plan.routing is not None else None,
        "agents": {
            key: {"model": setup.model, "provider": providers.get(key)}
            for key, setup in sorted(team.agents.items())
        },
        "estimatedCalls": {"min": low, "max": None if plan.mode == "Dynamic" else high},
    }


def _validate_summary(step: StepPlan) -> dict[str, Any] | None:
    check = step.validate
    if check is None:
        return None
    used = [
        name
        for name, value in (
            ("contains", check.contains),
            ("schema", check.schema),
            ("semantic", check.semantic),
        )
        if value is not None
    ]
    return {"checks": used, "onFailure": check.on_failure, "maxRetries": check.max_retries}


def plan_text(run: LocalRun, providers: Mapping[str, str]) -> str:
    """The human ``--dry-run`` output."""
    data = plan_json(run, providers)
    plan: RunPlan = run.team.plan
    head = f"Team {data['team']} ({data['mode']})"
    limits = []
    if plan.timeout_seconds:
        limits.append(f"timeout {plan.timeout_seconds:g} s")
    if plan.max_tokens:
        limits.append(f"budget {plan.max_tokens} tokens")
    lines = [head + (f": {', '.join(limits)}" if limits else "")]
    lines.append("Input:" if run.inputs else "Input: (none)")
    lines += [f"  {key} = {value}" for key, value in sorted(run.inputs.items())]
    if plan.steps:
        lines.append(f"Plan: {len(plan.steps)} steps in {len(data['levels'])} levels")
        for number, level in enumerate(data["levels"], 1):
            lines.append(f"  level {number}: {', '.join(level)}")
        lines.append("Steps:")
        for step in data["steps"]:
            extras = []
            if step["dependsOn"]:
                extras.append(f"after {', '.join(step['dependsOn'])}")
            if step["if"]:
                extras.append("if")
            if step["loop"]:
                extras.append(f"loop (max {step['loop']['maxIterations']})")
            if step["outputSchema"]:
                extras.append("outputSchema")
            if step["validate"]:
                extras.append(
                    f"validate {'+'.join(step['validate']['checks'])} ({step['validate']['onFailure']})"
                )
            runs_on = f"team {step['team']}" if step["team"] else f"{step['model']} via {step['provider']}"
            calls = step["calls"]
            extras.append(
                f"calls {calls['min']}-{calls['max']}"
                if calls["min"] != calls["max"]
                else f"calls {calls['min']}"
            )
            lines.append(f"  {step['name']}: {runs_on}; {'; '.join(extras)}")
    elif plan.routing is not None:
        lines.append(
            f"Routing: router {plan.routing.model} via {data['steps'][0]['provider']}, "
            f"registry {plan.routing.registry or '-'}, fallback {plan.routing.fallback or '(none)'}"
        )
        lines.append("Capabilities:")
        lines += [f"  {c['id']} -> {c['agent']}: {c['description']}" for c in data["capabilities"]] or [
            "  (none)"
        ]
    else:
        lines.append(f"Entry: {plan.entry}")
        for role, targets in data["delegation"].items():
            lines.append(f"  {role} may delegate to {', '.join(targets)}")
        lines.append(f"  delegation depth limit {plan.max_depth}")
    lines.append("Agents:")
    lines += [f"  {key}: {info['model']} via {info['provider']}" for key, info in data["agents"].items()]
    calls = data["estimatedCalls"]
    if calls["max"] is None:
        lines.append(f"Estimated model calls: at least {calls['min']}, plus one per delegate() call")
    else:
        span = str(calls["min"]) if calls["min"] == calls["max"] else f"{calls['min']} to {calls['max']}"
        lines.append(f"Estimated model calls: {span} (tool-use turns not counted)")
    lines.append("Dry run: nothing was sent to a model.")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- watch


class ToolServerNotes:
    """The watch's lines about tool servers: one when a connection's state, transport or tools change."""

    def __init__(self) -> None:
        self._shown: dict[tuple[str, str], tuple[object, ...]] = {}

    def line(self, agent: str, status: ServerStatus) -> str | None:
        """The line to show for ``status``, or None when nothing worth a line changed."""
        key = (status.state, status.transport, status.tools)
        if status.state == "connecting" or self._shown.get((agent, status.name)) == key:
            return None
        self._shown[(agent, status.name)] = key
        head = f"tool server {status.name} ({agent})"
        if status.state == "connected":
            count = len(status.tools)
            return f"{head}: connected over {status.transport}, {count} tool{'' if count == 1 else 's'}"
        return f"{head}: not connected: {status.error}; retrying in the background"


class LineWatch:
    """``--watch`` without a terminal: one line per step transition (reference §15)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._servers = ToolServerNotes()

    def tool_server(self, agent: str, status: ServerStatus) -> None:
        """Print what changed about a tool server's connection."""
        line = self._servers.line(agent, status)
        if line is not None:
            self._line(line)

    def __enter__(self) -> LineWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.flush()

    def observe(self, state: RunState, action: Action) -> None:
        """Print the transition ``action`` describes."""
        if not isinstance(action, StepChanged):
            if isinstance(action, RunFinished):
                self.stream.flush()
            return
        step = state.steps.get(action.step)
        if step is None:
            return
        indent = "  " * depth(state, step)
        name = f"{indent}{step.name}"
        if action.phase == "Running":
            tag = "[judging]" if step.judging else ("[retry]" if step.retry_reason else "[running]")
            extra = f" attempt {step.attempt}" if step.attempt > 1 else ""
            self._line(f"{name} {tag}{extra}")
        elif action.phase == "Succeeded":
            took = _duration(step)
            tag = "[done, truncated]" if step.truncated else "[done]"
            self._line(f"{name} {tag} {step.total_tokens} tokens {took or 0:.2f}s")
            preview = " ".join((step.output or "").split())
            if preview:
                cut = preview[:PREVIEW_CHARS] + ("…" if len(preview) > PREVIEW_CHARS else "")
                self._line(f"{indent}  └─ {cut}")
        elif action.phase == "Skipped":
            self._line(f"{name} [skipped] {action.message or ''}".rstrip())
        elif action.phase == "Failed":
            self._line(f"{name} [failed] {action.message or ''}".rstrip())
        elif action.message:
            loop = action.message.startswith("loop: ")
            text = action.message.removeprefix("loop: ").removeprefix("retrying: ")
            self._line(f"{name} {'[loop]' if loop else '[retry]'} {text}")

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


class LiveWatch:
    """``--watch`` on a terminal: a live table of steps (phase, time, tokens, retries, note)."""

    def __init__(self, stream: TextIO, state: RunState) -> None:
        from rich.console import Console
        from rich.live import Live

        self.state = state
        self.console = Console(file=stream)
        self._live = Live(
            console=self.console, refresh_per_second=8, get_renderable=self.render, transient=False
        )
        self._servers = ToolServerNotes()

    def tool_server(self, agent: str, status: ServerStatus) -> None:
        """Print what changed about a tool server's connection, above the table."""
        line = self._servers.line(agent, status)
        if line is not None:
            self.console.print(line, markup=False, highlight=False)

    def __enter__(self) -> LiveWatch:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.update(self.render(), refresh=True)
        self._live.__exit__(None, None, None)

    def observe(self, state: RunState, action: Action) -> None:
        """Keep the latest state (a cluster run's state is rebuilt from every status it watches); the
        table is redrawn from it 8 times a second (redrawing it on every transition made a
        1,000-step run quadratic)."""
        self.state = state

    def render(self) -> Any:
        """The table for the current state, as many rows as the terminal shows."""
        return watch_table(self.state, time.time(), max_rows=max(self.console.height - 7, 5))


_PHASE_STYLE = {
    "Pending": "dim",
    "Running": "yellow",
    "Succeeded": "green",
    "Failed": "bold red",
    "Skipped": "cyan",
}


def watch_table(state: RunState, now: float, max_rows: int | None = None) -> Any:
    """A rich table of the run: one row per step, delegation hops under their parent.

    With more steps than ``max_rows``, the rows are the steps running or failed, then those that
    finished last, in run order, and a last row counts the others by phase.
    """
    from rich.table import Table
    from rich.text import Text

    elapsed = state.duration(now) or 0.0
    title = f"{state.team} · {state.mode} · {state.phase} · {elapsed:.1f} s · {state.total_tokens} tokens"
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("step", no_wrap=True, min_width=8)
    table.add_column("phase", no_wrap=True, min_width=9)
    table.add_column("time", justify="right", no_wrap=True, min_width=5)
    table.add_column("tokens", justify="right", no_wrap=True, min_width=6)
    table.add_column("tries", justify="right", no_wrap=True, min_width=5)
    table.add_column("note", no_wrap=True, overflow="ellipsis", max_width=40)
    steps = ordered_steps(state)
    hidden: list[StepState] = []
    if max_rows is not None and len(steps) > max_rows:
        steps, hidden = _window(steps, max(max_rows - 1, 1))  # one row counts the others
    for step in steps:
        level = depth(state, step)
        # Under its parent a hop needs only its last path part (``docs`` of ``triage/tech/docs``).
        name = ("   " * (level - 1) + " └─ " + step.name.rsplit("/", 1)[-1]) if level else step.name
        phase = "Judging" if step.judging else step.phase
        took = _duration(step, now)
        tries = str(step.attempt) if step.attempt > 1 else ""
        note = step_note(step)
        if not note and step.phase == "Succeeded" and step.output:
            note = " ".join(step.output.split())[:60]
        table.add_row(
            name,
            Text(phase, style=_PHASE_STYLE.get(step.phase, "")),
            f"{took:.1f}s" if took is not None else "",
            str(step.total_tokens or ""),
            tries,
            note,
        )
    if hidden:
        counts = Counter(step.phase for step in hidden)
        summary = ", ".join(f"{count} {phase}" for phase, count in sorted(counts.items()))
        table.add_row("…", "", "", "", "", f"{len(hidden)} more: {summary}")
    return table


def _window(steps: list[StepState], rows: int) -> tuple[list[StepState], list[StepState]]:
    """The ``rows`` steps worth showing (running and failed first, then the latest to finish),
    in run order, and the others."""
    active = [step for step in steps if step.phase in ("Running", "Failed")]
    finished = [step for step in steps if step.phase in ("Succeeded", "Skipped")]
    finished.sort(key=lambda step: step.completion_time or 0.0, reverse=True)
    chosen = {id(step) for step in [*active, *finished][:rows]}
    return [s for s in steps if id(s) in chosen], [s for s in steps if id(s) not in chosen]
