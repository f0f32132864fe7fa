"""``ark run`` against a loopback OpenAI-compatible server: bad answers, judges, prompts, tools, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.support.wait import wait_for_sync
from tests.unit.cli.support import (
    ARK,
    REPO,
    SAMPLES,
    ark,
    loopback,
    system_prompt,
    text_reply,
    tool_call_reply,
    user_prompt,
    write,
)

SCHEMA_TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: planner}
spec:
  roles:
    - {name: chef, model: llama3.2, systemPrompt: You plan meals.}
  pipeline:
    - role: chef
      inputs: {prompt: Plan soup.}
      outputSchema: '{"type": "object", "required": ["title", "steps"]}'
"""


def test_a_step_that_keeps_violating_its_output_schema_is_retried_then_fails_the_run(tmp_path: Path) -> None:
    with loopback(lambda body: text_reply('{"title": "Soup"}')) as server:
        done = ark("run", write(tmp_path, "t.yaml", SCHEMA_TEAM), env=server.env())
    assert done.returncode == 1
    assert done.stderr == (
        'ark run: failed: step "chef": output does not match outputSchema: '
        "'steps' is a required property (after a retry)\n"
    )
    assert "Team planner Failed" in done.stdout
    assert (
        "Failed: step \"chef\" failed: output does not match outputSchema: 'steps' is a required property"
        in (done.stdout)
    )
    first, second = (user_prompt(body) for body in server.requests)
    assert first.startswith(
        "prompt: Plan soup.\n\nAnswer with JSON only, no other text, matching this JSON Schema:\n"
    )
    assert second == first + (
        "\nYour previous answer was rejected: "
        "output does not match outputSchema: 'steps' is a required property\n"
        "Answer again and fix that.\n"
    )


def test_a_schema_violation_fixed_on_the_retry_succeeds(tmp_path: Path) -> None:
    answers = iter(['{"title": "Soup"}', '```json\n{"title": "Soup", "steps": ["boil"]}\n```'])
    with loopback(lambda body: text_reply(next(answers))) as server:
        done = ark("run", write(tmp_path, "t.yaml", SCHEMA_TEAM), "-o", "json", env=server.env())
    assert done.returncode == 0, done.stderr
    (step,) = json.loads(done.stdout)["steps"]
    assert (step["attempts"], step["retries"]["outputSchema"], step["data"]) == (
        2,
        1,
        {"title": "Soup", "steps": ["boil"]},
    )
    assert step["tokens"] == {"input": 20, "output": 10, "total": 30}


JUDGED = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: judged}
spec:
  roles:
    - name: nutritionist
      model: llama3.2
      systemPromptRef: {configMapKeyRef: {name: prompts, key: nutrition}}
      configRef: {name: house-style}
  pipeline:
    - role: nutritionist
      inputs: {recipe: soup}
      validate:
        semantic: "Does it give calories? Answer VALID or INVALID with a reason."
        onFailure: retry
        maxRetries: 1
---
apiVersion: v1
kind: ConfigMap
metadata: {name: prompts}
data: {nutrition: You estimate calories.}
---
apiVersion: arkonis.dev/v1alpha1
kind: ArkSettings
metadata: {name: house-style}
spec:
  temperature: "0.2"
  promptFragments: {persona: You work for a clinic., outputRules: Be brief., zz: Use metric units.}
"""


def test_semantic_validation_calls_a_judge_and_retries_on_invalid(tmp_path: Path) -> None:
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        prompt = user_prompt(body)
        if prompt.startswith("<ark:step-output"):
            return text_reply("VALID: has a number" if "300" in prompt else "INVALID: no number given")
        return text_reply("about 300 kcal" if "rejected" in prompt else "it is healthy")

    with loopback(respond) as server:
        done = ark("run", write(tmp_path, "t.yaml", JUDGED), "-o", "json", env=server.env())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (step,) = result["steps"]
    assert (step["output"], step["attempts"], step["retries"]["validate"]) == ("about 300 kcal", 2, 1)
    prompts = [user_prompt(body) for body in server.requests]
    assert prompts[1] == (
        '<ark:step-output step="nutritionist">\nit is healthy\n</ark:step-output>\n\n'
        "Does it give calories? Answer VALID or INVALID with a reason.\n"
    )
    assert prompts[2].endswith("rejected: validate.semantic: no number given\nAnswer again and fix that.\n")
    system = system_prompt(server.requests[0])
    assert system.startswith(
        "You work for a clinic.\n\nYou estimate calories.\n\nUse metric units.\n\nBe brief.\n\n"
    )
    assert "<ark:step-output>" in system  # the injection-defence paragraph ends every system prompt
    assert server.requests[0]["temperature"] == 0.2


TOOLED = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: tooled}
spec:
  roles:
    - name: clerk
      model: gpt-4o-mini
      systemPrompt: You look things up.
      tools:
        - name: lookup_invoice
          description: Look up an invoice.
          url: URL/invoices
          inputSchema: >-
            {"type": "object", "properties": {"number": {"type": "string"}}, "required": ["number"]}
  pipeline:
    - {role: clerk, inputs: {task: "Status of invoice 42?"}}
"""


def test_inline_http_tools_are_offered_and_called_unless_no_mcp(tmp_path: Path) -> None:
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        if any(m["role"] == "tool" for m in body["messages"]):
            result = next(m["content"] for m in body["messages"] if m["role"] == "tool")
            return text_reply(f"The tool said: {result}")
        if body.get("tools"):
            return tool_call_reply("call_1", "lookup_invoice", {"number": "42"})
        return text_reply("I have no tools.")

    routes = {"/invoices": lambda body: json.dumps({"invoice": body["number"], "status": "paid"})}
    with loopback(respond, routes) as server:
        path = write(tmp_path, "t.yaml", TOOLED.replace("URL", server.url))
        done = ark("run", path, "-o", "json", env=server.env())
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["output"] == 'The tool said: {"invoice": "42", "status": "paid"}'
        assert "/invoices" in server.paths
        done = ark("run", path, "-o", "json", "--no-mcp", env=server.env())
    assert json.loads(done.stdout)["output"] == "I have no tools."
    assert "tools" not in server.requests[-1] or not server.requests[-1]["tools"]


def test_the_router_is_a_real_model_call_whose_choice_is_recorded() -> None:
    def respond(body: dict[str, Any]) -> dict[str, Any]:
        prompt = user_prompt(body)
        if prompt.startswith("Capabilities:"):
            return text_reply('{"capability": "sql", "reason": "it is about a query"}')
        return text_reply(f"answer from {system_prompt(body).split('.')[0]}")

    with loopback(respond) as server:
        done = ark(
            "run", str(SAMPLES / "team-routed.yaml"), "-o", "json", "-i", "task=slow join", env=server.env()
        )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    route, _ = result["steps"]
    assert (route["resolvedAgent"], route["selectedCapability"], route["routingReason"]) == (
        "sql-expert",
        "sql",
        "it is about a query",
    )
    assert result["output"] == "answer from You write and explain SQL queries for PostgreSQL"


def test_ctrl_c_cancels_cleanly_with_exit_130_and_the_partial_state(tmp_path: Path) -> None:
    team = SCHEMA_TEAM.replace('outputSchema: \'{"type": "object", "required": ["title", "steps"]}\'', "")
    with loopback(lambda body: text_reply("late"), delay=30) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ARK_"))}
        env.update(server.env())
        process = subprocess.Popen(
            [ARK, "run", write(tmp_path, "t.yaml", team), "--watch"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        wait_for_sync(lambda: server.requests, timeout=20, message="the model to be called")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 130
    assert "Team planner Failed" in out
    assert "chef  Failed" in out
    assert "cancelled: the run was cancelled" in out
    assert err.splitlines()[0] == "chef [running]"
    assert err.splitlines()[-1] == "ark run: failed (Cancelled): cancelled by the user (Ctrl-C)"


def test_timeout_fails_a_slow_run_with_timed_out(tmp_path: Path) -> None:
    team = SCHEMA_TEAM.replace('outputSchema: \'{"type": "object", "required": ["title", "steps"]}\'', "")
    with loopback(lambda body: text_reply("late"), delay=10) as server:
        done = ark("run", write(tmp_path, "t.yaml", team), "--timeout", "1", "-o", "json", env=server.env())
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert (result["phase"], result["reason"]) == ("Failed", "TimedOut")
    assert result["message"] == "the run timed out after 1 s (spec.timeoutSeconds)"
    assert result["steps"][0]["message"] == "cancelled: the run timed out"
    assert result["durationSeconds"] < 5


CLAUDE_TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: haiku}
spec:
  roles:
    - {name: poet, model: claude-haiku-4-5, systemPrompt: You write haiku.}
  pipeline:
    - role: poet
      inputs: {topic: autumn}
"""


def anthropic_message(text: str) -> str:
    """A final Messages API answer, as Anthropic sends it."""
    return json.dumps(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 12, "output_tokens": 7},
        }
    )


def test_provider_auto_speaks_anthropic_to_claude_models_with_the_key_from_env(tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []

    def messages(body: dict[str, Any]) -> str:
        bodies.append(body)
        return anthropic_message("leaves fall, quietly")

    team = write(tmp_path, "claude.yaml", CLAUDE_TEAM)
    with loopback(routes={"/v1/messages": messages}) as server:
        env = {"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": server.url}
        done = ark("run", str(team), "--provider", "auto", "-o", "json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["phase"], result["output"], result["tokens"]["total"]) == (
        "Succeeded",
        "leaves fall, quietly",
        19,
    )
    assert result["steps"][0]["provider"] == "anthropic"
    assert [b["model"] for b in bodies] == ["claude-haiku-4-5"]
    assert bodies[0]["messages"][0]["content"] == [{"type": "text", "text": "topic: autumn\n"}]
    assert bodies[0]["system"].startswith("You write haiku.")
    assert "sk-test" not in done.stdout + done.stderr


def test_a_missing_provider_key_is_named_before_anything_runs(tmp_path: Path) -> None:
    team = write(tmp_path, "claude.yaml", CLAUDE_TEAM)
    done = ark("run", str(team), "--provider", "anthropic")
    assert done.returncode != 0
    assert "ANTHROPIC_API_KEY" in done.stderr
