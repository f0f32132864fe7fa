"""``ark run`` as a user meets it: exit codes, messages, the JSON shape, the dry-run plan, flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ark.cli.main import main
from tests.unit.cli.support import SAMPLES, write

TEAM = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: writers}
spec:
  inputs:
    - {name: topic, required: true}
    - {name: tone, default: calm}
  roles:
    - {name: outline, model: mock, systemPrompt: You outline.}
    - {name: draft, model: mock, systemPrompt: You write.}
  pipeline:
    - {role: outline, inputs: {topic: "{{ .input.topic }}", tone: "{{ .input.tone }}"}}
    - {role: draft, dependsOn: [outline], inputs: {outline: "{{ .steps.outline.output }}"}}
  output: "{{ .steps.draft.output }}"
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def team(tmp_path: Path) -> str:
    return write(tmp_path, "team.yaml", TEAM)


def test_a_successful_run_prints_a_summary_and_the_output(
    capsys: pytest.CaptureFixture[str], team: str
) -> None:
    code, out, err = run(capsys, team, "--mock", "-i", "topic=rivers")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[1].startswith("Team writers Succeeded in ")
    assert lines[1].endswith(" tokens")
    assert lines[3].split() == ["STEP", "PHASE", "TOKENS", "TIME", "NOTE"]
    assert lines[4].split()[:2] == ["outline", "Succeeded"]
    assert "Output:" in lines
    assert out.rstrip().endswith("]")  # the mock's answer is the output


def test_the_json_result_has_the_documented_shape(capsys: pytest.CaptureFixture[str], team: str) -> None:
    code, out, _ = run(capsys, team, "--mock", "-o", "json", "-i", '{"topic": "rivers", "tone": 3}')
    assert code == 0
    result = json.loads(out)
    assert list(result) == [
        "version", "run", "team", "mode", "phase", "reason", "message", "failedStep", "input", "output",
        "startTime", "completionTime", "durationSeconds", "tokens", "steps", "toolServers",
    ]  # fmt: skip
    assert result["toolServers"] == []  # the mock connects no tool servers
    assert result["version"] == 1
    assert result["run"].startswith("writers-")
    assert (result["team"], result["mode"], result["phase"], result["reason"]) == (
        "writers", "Pipeline", "Succeeded", "Succeeded",
    )  # fmt: skip
    assert result["input"] == {"topic": "rivers", "tone": "3"}
    assert result["startTime"].endswith("Z")
    step = result["steps"][0]
    assert list(step) == [
        "name", "role", "agent", "provider", "kind", "parent", "phase", "attempts", "retries", "iterations",
        "tokens", "startTime", "completionTime", "durationSeconds", "output", "truncated", "data", "message",
        "resolvedAgent", "selectedCapability", "routingReason",
    ]  # fmt: skip
    assert (step["agent"], step["provider"], step["attempts"]) == ("writers-outline", "mock", 1)
    assert step["retries"] == {"outputSchema": 0, "validate": 0}
    assert step["tokens"]["total"] == step["tokens"]["input"] + step["tokens"]["output"]


def test_a_missing_required_input_is_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str], team: str
) -> None:
    code, out, err = run(capsys, team, "--mock")
    assert code == 2
    assert out == ""
    assert err == 'ark run: missing required input "topic": pass --input topic=...\n'


def test_undeclared_inputs_pass_with_a_warning(capsys: pytest.CaptureFixture[str], team: str) -> None:
    code, _, err = run(capsys, team, "--mock", "-i", "topic=x", "-i", "colour=red")
    assert code == 0
    assert (
        'warning: input "colour" is not declared by the team (declared: tone, topic); passed through' in err
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "novalue",
            "ark run: --input 'novalue': write KEY=VALUE or a JSON object such as '{\"task\": \"...\"}'\n",
        ),
        (
            "{broken",
            "ark run: --input '{broken' is not a valid JSON object: "
            "Expecting property name enclosed in double quotes\n",
        ),
    ],
)
def test_bad_input_syntax_is_explained(
    capsys: pytest.CaptureFixture[str], team: str, value: str, message: str
) -> None:
    code, _, err = run(capsys, team, "--mock", "-i", value)
    assert (code, err) == (2, message)


def test_key_value_inputs_keep_equals_signs_in_values(capsys: pytest.CaptureFixture[str], team: str) -> None:
    _, out, _ = run(capsys, team, "--mock", "-o", "json", "-i", "topic=a=b")
    assert json.loads(out)["input"]["topic"] == "a=b"


def test_invalid_documents_are_reported_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "bad.yaml", TEAM.replace("dependsOn: [outline]", "dependsOn: [outlin]"))
    code, out, err = run(capsys, path, "--mock", "-i", "topic=x")
    assert code == 2
    assert out == ""
    assert err == (
        f"ark run: {path}:14: ArkTeam/writers: spec.pipeline[1].dependsOn[0]: "
        'unknown step "outlin" in dependsOn '
        '(steps: outline, draft) (did you mean "outline"?)\n'
    )


def test_a_cycle_is_refused_before_start(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = TEAM.replace("{role: outline, inputs", "{role: outline, dependsOn: [draft], inputs")
    code, _, err = run(capsys, write(tmp_path, "c.yaml", text), "--mock", "-i", "topic=x")
    assert code == 2
    assert "dependency cycle: outline -> draft -> outline" in err


def test_unknown_team_and_no_team(capsys: pytest.CaptureFixture[str], team: str, tmp_path: Path) -> None:
    code, _, err = run(capsys, team, "--mock", "--team", "readers")
    assert (code, err) == (2, 'ark run: no team named "readers" in the given files (teams: writers)\n')
    code, _, err = run(capsys, str(SAMPLES / "arkagent.yaml"), "--mock")
    assert (code, err) == (2, "ark run: no ArkTeam in the given files (nor an ArkRun with a teamSpec)\n")
    code, _, err = run(capsys, str(tmp_path / "nope.yaml"), "--mock")
    assert (code, err) == (2, f"ark run: {tmp_path / 'nope.yaml'}: no such file or directory\n")


def test_flow_is_an_alias_of_team(capsys: pytest.CaptureFixture[str], team: str) -> None:
    code, _, _ = run(capsys, team, "--mock", "--flow", "writers", "-i", "topic=x")
    assert code == 0


PROMPT_REF = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: solo}
spec:
  roles:
    - name: only
      model: mock
      systemPromptRef: {configMapKeyRef: {name: prompts, key: only}}
  pipeline:
    - {role: only, inputs: {task: go}}
"""


def test_a_system_prompt_ref_without_its_config_map_fails_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, write(tmp_path, "t.yaml", PROMPT_REF), "--mock")
    assert code == 2
    assert err == (
        "ark run: ArkTeam/solo role only: systemPromptRef needs ConfigMap prompts (key only), "
        "which is not among "
        "the given files; ark run cannot read the cluster: add the document, or use systemPrompt\n"
    )


def test_a_system_prompt_ref_resolves_from_a_config_map_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: prompts}\ndata: {only: Be brief.}\n"
    code, _, err = run(capsys, write(tmp_path, "t.yaml", PROMPT_REF + "---\n" + config_map), "--mock")
    assert (code, err) == (0, "")


def test_kinds_that_take_no_part_are_reported_and_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    extra = (SAMPLES / "arkservice.yaml").read_text() + "---\n" + (SAMPLES / "arkevent.yaml").read_text()
    extra += "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n"
    code, _, err = run(capsys, write(tmp_path, "t.yaml", TEAM + "---\n" + extra), "--mock", "-i", "topic=x")
    assert code == 0
    assert err == (
        "ark run: skipped (not used by a local run): ArkService/research (services route cluster traffic), "
        "ArkEvent/morning-digest (events fire runs in a cluster), Namespace/demo (not an ark kind)\n"
    )


def test_auto_provider_without_a_key_fails_before_the_run_naming_the_variable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ARK_PROVIDER", raising=False)
    path = write(tmp_path, "t.yaml", TEAM.replace("model: mock", "model: llama3.2"))
    code, out, err = run(capsys, path, "-i", "topic=x")
    assert code == 2
    assert out == ""
    assert "model 'llama3.2' uses the openai provider, which needs OPENAI_API_KEY; it is not set" in err


def test_ark_provider_sets_the_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARK_PROVIDER", "mock")
    path = write(tmp_path, "t.yaml", TEAM.replace("model: mock", "model: llama3.2"))
    code, out, _ = run(capsys, path, "-i", "topic=x", "-o", "json")
    assert code == 0
    assert {s["provider"] for s in json.loads(out)["steps"]} == {"mock"}


def test_the_budget_flag_fails_the_run_with_exit_1(capsys: pytest.CaptureFixture[str], team: str) -> None:
    code, out, err = run(capsys, team, "--mock", "-i", "topic=x", "--max-tokens", "5", "-o", "json")
    assert code == 1
    result = json.loads(out)
    assert (result["phase"], result["reason"]) == ("Failed", "BudgetExceeded")
    assert [s["phase"] for s in result["steps"]] == ["Succeeded", "Pending"]
    assert err.startswith("ark run: failed (BudgetExceeded): the run used ")
    assert err.endswith("tokens, over its budget of 5 (spec.maxTokens)\n")


def test_out_file_gets_the_final_output(
    capsys: pytest.CaptureFixture[str], team: str, tmp_path: Path
) -> None:
    target = tmp_path / "out.md"
    code, out, _ = run(capsys, team, "--mock", "-i", "topic=x", "--out-file", str(target), "-o", "json")
    assert code == 0
    assert target.read_text() == json.loads(out)["output"]


def test_watch_without_a_terminal_prints_one_line_per_transition(
    capsys: pytest.CaptureFixture[str], team: str
) -> None:
    code, _, err = run(capsys, team, "--mock", "-i", "topic=x", "--watch")
    assert code == 0
    lines = err.splitlines()
    assert lines[0] == "outline [running]"
    assert lines[1].startswith("outline [done] ")
    assert lines[1].endswith("s")
    assert lines[2].startswith('  └─ [mock response for step "outline": ')
    assert lines[3] == "draft [running]"


def test_watch_shows_the_delegation_tree_indented(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, str(SAMPLES / "team-dynamic.yaml"), "--mock", "-i", "task=x", "-w")
    assert code == 0
    assert "    triage/tech/docs [running]" in err.splitlines()
    assert "  triage/billing [running]" in err.splitlines()


def test_dry_run_shows_the_plan_and_calls_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SAMPLES / "team-pipeline.yaml"), "--dry-run", "-i", "dish=soup")
    assert code == 0
    assert out.splitlines() == [
        "Team recipe-planner (Pipeline): timeout 600 s, budget 40000 tokens",
        "Input:",
        "  diet = none",
        "  dish = soup",
        "Plan: 3 steps in 2 levels",
        "  level 1: chef",
        "  level 2: critic, nutritionist",
        "Steps:",
        "  chef: llama3.2 via openai; outputSchema; calls 1-2",
        "  critic: llama3.2 via openai; after chef; if; loop (max 3); calls 0-3",
        "  nutritionist: llama3.2 via openai; after chef; outputSchema; "
        "validate contains+semantic (retry); calls 2-8",
        "Agents:",
        "  recipe-planner-chef: llama3.2 via openai",
        "  recipe-planner-critic: llama3.2 via openai",
        "  recipe-planner-nutritionist: llama3.2 via openai",
        "Estimated model calls: 3 to 13 (tool-use turns not counted)",
        "Dry run: nothing was sent to a model.",
    ]


def test_dry_run_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SAMPLES / "team-routed.yaml"), "--dry-run", "--mock", "-o", "json")
    assert code == 0
    plan = json.loads(out)
    assert (plan["dryRun"], plan["mode"], plan["fallback"]) == (True, "Routed", "generalist")
    assert plan["capabilities"] == [
        {
            "id": "kubernetes",
            "agent": "k8s-expert",
            "description": "Debugs workloads and explains Kubernetes objects.",
        },
        {"id": "sql", "agent": "sql-expert", "description": "Writes, fixes and explains SQL queries."},
    ]
    assert plan["estimatedCalls"] == {"min": 2, "max": 2}


def test_dry_run_still_refuses_a_missing_required_input(
    capsys: pytest.CaptureFixture[str], team: str
) -> None:
    code, _, err = run(capsys, team, "--dry-run")
    assert code == 2
    assert "missing required input" in err


NESTED = """
apiVersion: arkonis.dev/v1alpha1
kind: ArkTeam
metadata: {name: outer}
spec:
  roles:
    - {name: intro, model: mock, systemPrompt: You introduce.}
    - {name: inner, arkTeam: writers}
  pipeline:
    - {role: intro, inputs: {task: start}}
    - {role: inner, dependsOn: [intro], inputs: {topic: "{{ .steps.intro.output }}"}}
  output: "{{ .steps.inner.output }}"
"""


def test_an_ark_team_role_runs_the_whole_referenced_team_as_one_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "t.yaml", NESTED + "---\n" + TEAM)
    code, out, err = run(capsys, path, "--mock", "--team", "outer", "-o", "json")
    assert code == 0, err
    result = json.loads(out)
    inner = result["steps"][1]
    assert (inner["name"], inner["agent"], inner["phase"]) == ("inner", "writers", "Succeeded")
    assert inner["output"].startswith('[mock response for step "draft": outline: ')
    assert inner["tokens"]["total"] > 0
    assert result["output"] == inner["output"]


def test_an_ark_team_role_whose_team_is_missing_fails_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, write(tmp_path, "t.yaml", NESTED), "--mock")
    assert code == 2
    assert err == 'ark run: role "inner" runs team "writers", which is not among the given files\n'


def test_the_live_table_shows_phases_tries_and_the_delegation_tree() -> None:
    from rich.console import Console

    from ark.cli.run_view import watch_table
    from ark.flow.state import RunState, StepState

    state = RunState("r", "desk", "Dynamic", phase="Running", start_time=100.0)
    state.steps["triage"] = StepState("triage", "triage", "a", phase="Running", start_time=100.0, attempt=2)
    state.steps["triage/tech"] = StepState(
        "triage/tech", "tech", "b", kind="delegate", parent="triage", phase="Succeeded", output="fixed it",
        start_time=100.5, completion_time=101.0, input_tokens=3, output_tokens=4,
    )  # fmt: skip
    console = Console(width=100, record=True, color_system=None)
    console.print(watch_table(state, 102.0))
    text = console.export_text()
    assert "desk · Dynamic · Running · 2.0 s · 7 tokens" in text
    rows = [line for line in text.splitlines() if "triage" in line or "tech" in line]
    assert [cell.strip() for cell in rows[0].split("│")[1:6]] == ["triage", "Running", "2.0s", "", "2"]
    assert rows[1].split("│")[1].strip() == "└─ tech"
    assert "fixed it" in rows[1]
