"""The pipeline state machine: scheduling, conditions, loops, checks, retries, timeouts, budgets."""

from __future__ import annotations

import json

from ark_runtime.protocol import Task
from tests.unit.flow.support import echo, error, harness, ok

CHAIN = """
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
  - {name: c, model: m, systemPrompt: p}
pipeline:
  - {role: a, inputs: {task: "{{ .input.topic }}"}}
  - {role: b, dependsOn: [a], inputs: {from_a: "{{ .steps.a.output }}"}}
  - {role: c, dependsOn: [b], inputs: {from_b: "{{ .steps.b.output }}"}}
output: "final: {{ .steps.c.output }}"
"""

FAN = """
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
  - {name: c, model: m, systemPrompt: p}
  - {name: d, model: m, systemPrompt: p}
  - {name: e, model: m, systemPrompt: p}
pipeline:
  - {role: a}
  - {role: b}
  - {role: c}
  - {role: d}
  - {role: e, dependsOn: [a, b, c, d]}
"""


def test_a_chain_runs_in_order_to_succeeded_and_renders_the_output() -> None:
    h = harness(CHAIN, {"topic": "soup"})

    state = h.run(echo)

    assert state.phase == "Succeeded"
    assert state.reason == "Succeeded"
    assert state.output == "final: answer of c"
    assert [s.task.step for s in h.submitted] == ["a", "b", "c"]
    assert [c for c in h.changes if c[0] == "a"] == [("a", "Running", None), ("a", "Succeeded", None)]
    assert state.total_tokens == 60
    assert state.start_time == 1000.0
    assert state.completion_time == 1003.0


def test_task_ids_are_deterministic_and_carry_the_attempt() -> None:
    h = harness(CHAIN, {"topic": "soup"}, uid="run7")
    h.run(echo)
    assert [s.task.id for s in h.submitted] == ["run7.a.1", "run7.b.1", "run7.c.1"]
    assert all(s.agent == f"t-{s.task.step}" for s in h.submitted)


def test_step_prompts_envelope_earlier_outputs() -> None:
    h = harness(CHAIN, {"topic": "soup"})
    h.run(echo)
    assert h.prompts("a") == ["task: soup\n"]
    assert h.prompts("b") == ['from_a: <ark:step-output step="a">\nanswer of a\n</ark:step-output>\n']


def test_independent_steps_run_in_parallel_up_to_max_parallel() -> None:
    h = harness(FAN, max_parallel=2)
    first = h.start()
    assert [t.step for t in first] == ["a", "b"]
    more = h.answer(first[0], "x")
    assert [t.step for t in more] == ["c"]
    assert h.state.steps["d"].phase == "Pending"


def test_unbounded_parallelism_submits_every_ready_step_at_once() -> None:
    h = harness(FAN)
    assert [t.step for t in h.start()] == ["a", "b", "c", "d"]


def test_a_falsy_if_skips_the_step_and_skipped_satisfies_dependents() -> None:
    spec = """
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
  - {name: c, model: m, systemPrompt: p}
pipeline:
  - {role: a}
  - {role: b, dependsOn: [a], if: '{{ eq .steps.a.output "go" }}'}
  - {role: c, dependsOn: [b], inputs: {b: "[{{ .steps.b.output }}]"}}
"""
    h = harness(spec)
    state = h.run(lambda task: "stop" if task.step == "a" else "done")
    assert h.phases() == {"a": "Succeeded", "b": "Skipped", "c": "Succeeded"}
    assert state.steps["b"].message == "skipped: if condition evaluated to false"
    assert h.prompts("c") == ["b: []\n"]
    assert state.phase == "Succeeded"


def test_a_truthy_if_runs_the_step() -> None:
    spec = """
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
pipeline:
  - {role: a}
  - {role: b, dependsOn: [a], if: '{{ eq .steps.a.output "go" }}'}
"""
    h = harness(spec)
    h.run(lambda task: "go")
    assert h.phases() == {"a": "Succeeded", "b": "Succeeded"}


def test_an_if_that_fails_to_render_skips_with_the_error() -> None:
    spec = """
roles:
  - {name: a, model: m, systemPrompt: p}
pipeline:
  - {role: a, if: '{{ index .input.list 5 }}'}
"""
    h = harness(spec, {"list": "abc"})
    state = h.run(echo)
    assert h.phases() == {"a": "Skipped"}
    assert state.steps["a"].message is not None
    assert state.steps["a"].message.startswith(
        "skipped: if condition could not be evaluated: template: steps.a.if:"
    )
    assert state.phase == "Succeeded"


def test_skips_cascade_through_a_chain_of_conditions() -> None:
    spec = """
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
  - {name: c, model: m, systemPrompt: p}
pipeline:
  - {role: c, dependsOn: [b], if: "{{ .steps.b.output }}"}
  - {role: b, dependsOn: [a], if: "{{ .steps.a.output }}"}
  - {role: a, if: "{{ .input.go }}"}
"""
    h = harness(spec, {"go": "no"})
    state = h.run(echo)
    assert h.phases() == {"c": "Skipped", "b": "Skipped", "a": "Skipped"}
    assert h.submitted == []
    assert state.phase == "Succeeded"
    assert state.output == ""


def test_an_input_template_error_fails_the_step_and_the_run() -> None:
    spec = """
roles:
  - {name: a, model: m, systemPrompt: p}
pipeline:
  - {role: a, inputs: {x: "{{ index .input.list 9 }}"}}
"""
    h = harness(spec, {"list": "abc"})
    state = h.run(echo)
    assert state.phase == "Failed"
    assert state.reason == "StepFailed"
    assert state.failed_step == "a"
    assert state.steps["a"].message == (
        "input template error: template: steps.a.inputs.x:1:4: at <index .input.list 9>: "
        "error calling index: index out of range: 9"
    )
    assert h.submitted == []


def test_an_error_result_fails_the_run_and_cancels_running_steps() -> None:
    h = harness(FAN)
    tasks = h.start()
    h.answer(tasks[1], error(tasks[1], "openai provider: HTTP 401 invalid key"))
    state = h.state
    assert state.phase == "Failed"
    assert state.failed_step == "b"
    assert state.message == 'step "b" failed: openai provider: HTTP 401 invalid key'
    assert sorted(h.cancelled) == ["r1.a.1", "r1.c.1", "r1.d.1"]
    assert state.steps["a"].phase == "Failed"
    assert state.steps["a"].message == 'cancelled: step "b" failed'
    assert state.steps["e"].phase == "Pending"
    assert h.finished[-1].reason == "StepFailed"


def test_results_for_unknown_or_finished_tasks_change_nothing() -> None:
    h = harness(CHAIN, {"topic": "x"})
    (a,) = h.start()
    h.answer(a, "one")
    before = h.state.to_dict()
    assert h.engine.on_result(h.state, ok(a, "again"), 2000.0) == []
    assert h.engine.on_result(h.state, ok(Task("other.a.1", "other", "a", "p"), "x"), 2000.0) == []
    assert h.state.to_dict() == before


SCHEMA = """
roles:
  - {name: chef, model: m, systemPrompt: p}
pipeline:
  - role: chef
    inputs: {prompt: "Plan soup."}
    outputSchema: '{"type": "object", "required": ["steps"], "properties": {"steps": {"type": "array"}}}'
"""


def test_output_schema_is_appended_and_valid_json_becomes_data() -> None:
    h = harness(SCHEMA)
    state = h.run(lambda task: 'Here:\n```json\n{"steps": ["boil"]}\n```')
    assert state.phase == "Succeeded"
    (prompt,) = h.prompts("chef")
    assert prompt.startswith(
        "prompt: Plan soup.\n\nAnswer with JSON only, no other text, matching this JSON Schema:\n"
    )
    assert prompt.endswith('{"type": "array"}}}\n')
    assert h.submitted[0].task.output_schema.startswith('{"type": "object"')
    assert state.steps["chef"].output_json == '{"steps":["boil"]}'
    assert state.steps["chef"].data() == {"steps": ["boil"]}


def test_an_output_schema_violation_is_retried_once_with_the_error() -> None:
    h = harness(SCHEMA)
    answers = iter(['{"title": "soup"}', '{"steps": []}'])
    state = h.run(lambda task: next(answers))
    assert state.phase == "Succeeded"
    first, second = h.prompts("chef")
    assert "Your previous answer was rejected" not in first
    assert second.endswith(
        "\nYour previous answer was rejected: output does not match outputSchema: "
        "'steps' is a required property\nAnswer again and fix that.\n"
    )
    assert [s.task.id for s in h.submitted] == ["r1.chef.1", "r1.chef.2"]
    assert state.steps["chef"].schema_retries == 1
    assert (
        "chef",
        "Pending",
        "retrying: output does not match outputSchema: 'steps' is a required property",
    ) in h.changes


def test_a_second_output_schema_violation_fails_the_run_naming_the_schema_error() -> None:
    h = harness(SCHEMA)
    state = h.run(lambda task: "no JSON here, sorry")
    assert state.phase == "Failed"
    assert len(h.submitted) == 2
    assert (
        state.steps["chef"].message
        == "output does not match outputSchema: the output is not JSON (after a retry)"
    )
    assert (
        state.message
        == 'step "chef" failed: output does not match outputSchema: the output is not JSON (after a retry)'
    )


def test_schema_errors_name_the_path() -> None:
    h = harness(SCHEMA)
    state = h.run(lambda task: '{"steps": 3}')
    assert state.steps["chef"].message == (
        "output does not match outputSchema: 3 is not of type 'array' (at steps) (after a retry)"
    )


VALIDATE = """
roles:
  - {name: n, model: m, systemPrompt: p}
pipeline:
  - role: n
    inputs: {recipe: soup}
    validate: {contains: "(?i)calories", onFailure: retry, maxRetries: 2}
"""


def test_validate_contains_retries_then_passes() -> None:
    h = harness(VALIDATE)
    answers = iter(["no idea", "about 300 Calories"])
    state = h.run(lambda task: next(answers))
    assert state.phase == "Succeeded"
    assert state.steps["n"].validation_retries == 1
    assert h.prompts("n")[1].endswith(
        "rejected: validate.contains: the output has no match for (?i)calories\nAnswer again and fix that.\n"
    )


def test_validate_contains_fails_after_max_retries() -> None:
    h = harness(VALIDATE)
    state = h.run(lambda task: "no idea")
    assert state.phase == "Failed"
    assert len(h.submitted) == 3
    assert state.steps["n"].message == (
        "validation failed: validate.contains: the output has no match for (?i)calories (after 2 retries)"
    )


def test_validate_fails_at_once_by_default() -> None:
    spec = VALIDATE.replace("onFailure: retry, maxRetries: 2", 'schema: \'{"type": "object"}\'')
    h = harness(spec)
    state = h.run(lambda task: "[1, 2]")
    assert state.phase == "Failed"
    assert len(h.submitted) == 1
    assert state.steps["n"].message == "validation failed: validate.schema: [1, 2] is not of type 'object'"


def test_validate_schema_asks_for_json_and_exposes_data() -> None:
    spec = VALIDATE.replace("onFailure: retry, maxRetries: 2", 'schema: \'{"type": "object"}\'')
    h = harness(spec)
    state = h.run(lambda task: '{"calories": 300}')
    assert state.phase == "Succeeded"
    assert h.submitted[0].task.output_schema == '{"type": "object"}'
    assert state.steps["n"].data() == {"calories": 300}


SEMANTIC = """
roles:
  - {name: n, model: m, systemPrompt: p}
pipeline:
  - role: n
    inputs: {recipe: soup}
    validate: {semantic: "Is this a calorie estimate? Answer pass or fail: <reason>.", onFailure: retry}
"""


def test_semantic_validation_asks_a_judge_with_the_output_enveloped() -> None:
    h = harness(SEMANTIC)
    state = h.run(lambda task: "PASS - looks right" if task.kind == "judge" else "300 kcal")
    assert state.phase == "Succeeded"
    _, judge = (s.task for s in h.submitted)
    assert judge.kind == "judge"
    assert judge.id == "r1.n.judge.1"
    assert judge.step == "n"
    assert h.submitted[1].agent == "t-n"
    assert judge.prompt == (
        '<ark:step-output step="n">\n300 kcal\n</ark:step-output>\n\n'
        "Is this a calorie estimate? Answer pass or fail: <reason>.\n"
    )
    assert state.steps["n"].output == "300 kcal"
    assert state.steps["n"].total_tokens == 40  # the judge's tokens count for the step


def test_a_failing_judge_verdict_retries_with_its_reason_then_fails() -> None:
    h = harness(SEMANTIC)
    state = h.run(lambda task: "INVALID: no numbers" if task.kind == "judge" else "tasty")
    assert state.phase == "Failed"
    assert [s.task.kind for s in h.submitted] == ["step", "judge", "step", "judge"]
    assert "rejected: validate.semantic: no numbers" in h.prompts("n")[1]
    assert state.steps["n"].message == "validation failed: validate.semantic: no numbers (after 1 retry)"


def test_a_judge_call_that_errors_fails_the_step() -> None:
    h = harness(SEMANTIC)
    state = h.run(lambda task: error(task, "model down") if task.kind == "judge" else "x")
    assert state.steps["n"].message == "validate.semantic: the judge call failed: model down"
    assert state.phase == "Failed"


LOOP = """
roles:
  - {name: w, model: m, systemPrompt: p}
pipeline:
  - role: w
    inputs: {previous: "{{ .steps.w.output }}"}
    loop: {condition: '{{ not (contains "DONE" .steps.w.output) }}', maxIterations: 3}
"""


def test_a_loop_runs_until_its_condition_is_false() -> None:
    h = harness(LOOP)
    answers = iter(["draft 1", "draft 2 DONE"])
    state = h.run(lambda task: next(answers))
    step = state.steps["w"]
    assert (step.phase, step.iterations, step.message) == ("Succeeded", 2, "loop finished after 2 iterations")
    assert h.prompts("w") == [
        "previous: \n",
        'previous: <ark:step-output step="w">\ndraft 1\n</ark:step-output>\n',
    ]
    assert [s.task.id for s in h.submitted] == ["r1.w.1", "r1.w.2"]
    assert ("w", "Pending", "loop: iteration 2 of at most 3") in h.changes


def test_a_loop_stops_at_max_iterations() -> None:
    h = harness(LOOP)
    state = h.run(lambda task: "never finished")
    step = state.steps["w"]
    assert step.iterations == 3
    assert step.message == "loop stopped at maxIterations (3) with the condition still true"
    assert state.phase == "Succeeded"


def test_a_loop_condition_that_fails_to_render_stops_the_loop() -> None:
    h = harness(LOOP.replace('{{ not (contains "DONE" .steps.w.output) }}', "{{ index .steps.w.output 99 }}"))
    state = h.run(lambda task: "short")
    assert state.steps["w"].iterations == 1
    assert (state.steps["w"].message or "").startswith("loop stopped: the condition could not be evaluated:")
    assert state.phase == "Succeeded"


def test_retry_counters_restart_with_each_loop_iteration() -> None:
    spec = LOOP + '    outputSchema: \'{"type": "object"}\'\n'
    h = harness(spec)
    answers = iter(["bad", '{"n": 1}', "bad", '{"DONE": 1}'])
    state = h.run(lambda task: next(answers))
    assert state.phase == "Succeeded"
    assert state.steps["w"].iterations == 2
    assert [s.task.id for s in h.submitted] == ["r1.w.1", "r1.w.2", "r1.w.3", "r1.w.4"]


def test_a_step_without_result_times_out_after_its_role_timeout_plus_grace() -> None:
    spec = CHAIN.replace(
        "{name: b, model: m, systemPrompt: p}",
        "{name: b, model: m, systemPrompt: p, limits: {timeoutSeconds: 30}}",
    )
    h = harness(spec, {"topic": "x"}, grace=5)
    (a,) = h.start()
    (b,) = h.answer(a, "one", advance=1)
    assert h.engine.next_deadline(h.state) == 1001 + 35
    assert h.tick(1035.9) == []
    assert h.state.phase == "Running"
    h.tick(1036)
    assert h.state.phase == "Failed"
    assert h.state.steps["b"].message == "the task gave no result within 30 s (limits.timeoutSeconds)"
    assert h.cancelled == [b.id]
    assert b.deadline_ms == (1001 + 30) * 1000


def test_the_run_times_out_first() -> None:
    spec = CHAIN + "timeoutSeconds: 60\n"
    h = harness(spec, {"topic": "x"})
    (a,) = h.start()
    assert h.engine.next_deadline(h.state) == 1060
    h.tick(1060)
    state = h.state
    assert (state.phase, state.reason) == ("Failed", "TimedOut")
    assert state.message == "the run timed out after 60 s (spec.timeoutSeconds)"
    assert state.steps["a"].message == "cancelled: the run timed out"
    assert state.failed_step is None
    assert h.cancelled == [a.id]
    assert h.engine.on_tick(state, 5000) == []


BUDGET = """
maxTokens: 25
roles:
  - {name: a, model: m, systemPrompt: p}
  - {name: b, model: m, systemPrompt: p}
  - {name: c, model: m, systemPrompt: p}
pipeline:
  - {role: a}
  - {role: b}
  - {role: c, dependsOn: [a, b]}
"""


def test_over_budget_no_new_steps_start_running_ones_finish_then_the_run_fails() -> None:
    h = harness(BUDGET)
    a, b = h.start()
    assert h.answer(a, ok(a, "big", tokens=15)) == []  # 30 > 25: c will never start
    assert h.state.phase == "Running"  # b is still running
    h.answer(b, ok(b, "small", tokens=1))
    state = h.state
    assert (state.phase, state.reason) == ("Failed", "BudgetExceeded")
    assert state.message == "the run used 32 tokens, over its budget of 25 (spec.maxTokens)"
    assert state.steps["b"].phase == "Succeeded"
    assert state.steps["c"].phase == "Pending"
    assert [s.task.step for s in h.submitted] == ["a", "b"]


def test_the_budget_is_checked_even_when_the_last_step_succeeds() -> None:
    h = harness(BUDGET.replace("maxTokens: 25", "maxTokens: 50"))
    state = h.run(lambda task: ok(task, "x", tokens=10))
    assert (state.phase, state.reason) == ("Failed", "BudgetExceeded")


def test_exactly_the_budget_is_allowed() -> None:
    h = harness(BUDGET.replace("maxTokens: 25", "maxTokens: 60"))
    state = h.run(lambda task: ok(task, "x", tokens=10))
    assert state.phase == "Succeeded"


def test_without_an_output_template_the_output_is_the_sinks_outputs() -> None:
    h = harness(FAN)
    state = h.run(echo)
    assert state.output == "answer of e"
    two_sinks = FAN.replace("  - {role: e, dependsOn: [a, b, c, d]}\n", "  - {role: e, dependsOn: [a, b]}\n")
    h = harness(two_sinks)
    assert h.run(echo).output == "answer of c\n\nanswer of d\n\nanswer of e"


def test_the_output_template_sees_raw_outputs_data_and_the_legacy_input_alias() -> None:
    spec = (
        SCHEMA
        + 'output: "{{ .pipeline.input.who }}: {{ len .steps.chef.data.steps }} {{ .steps.chef.output }}"\n'
    )
    h = harness(spec, {"who": "chef"})
    state = h.run(lambda task: '{"steps": [1, 2]}')
    assert state.output == 'chef: 2 {"steps": [1, 2]}'


def test_an_output_template_error_fails_the_run() -> None:
    h = harness(SCHEMA + 'output: "{{ index .steps.chef.data.steps 7 }}"\n')
    state = h.run(lambda task: '{"steps": []}')
    assert (state.phase, state.reason) == ("Failed", "OutputError")
    assert (state.message or "").startswith("team output template error: template: output:1:4:")


def test_cancel_fails_the_run_and_cancels_running_tasks() -> None:
    h = harness(FAN)
    h.start()
    h.record(h.engine.cancel(h.state, 1010, "cancelled by the user (Ctrl-C)"))
    assert (h.state.phase, h.state.reason) == ("Failed", "Cancelled")
    assert len(h.cancelled) == 4
    assert h.state.steps["a"].message == "cancelled: the run was cancelled"
    assert h.engine.cancel(h.state, 1011, "again") == []


def test_resume_resubmits_in_flight_tasks_with_the_same_ids_and_prompts() -> None:
    h = harness(SCHEMA)
    (first,) = h.start()
    (retry,) = h.answer(first, "not json")
    copy = type(h.state).from_json(h.state.to_json())
    actions = h.engine.resume(copy, 2000.0)
    (again,) = [a.task for a in actions if hasattr(a, "task")]
    assert again.id == retry.id == "r1.chef.2"
    assert again.prompt == retry.prompt
    assert copy.steps["chef"].submitted_at == 2000.0


def test_resume_of_a_pending_run_starts_it_and_of_a_finished_run_does_nothing() -> None:
    h = harness(CHAIN, {"topic": "x"})
    assert [a.task.step for a in h.engine.resume(h.state, 1.0) if hasattr(a, "task")] == ["a"]
    h.run(echo)
    assert h.engine.resume(h.state, 2.0) == []


def test_judge_in_flight_is_resumed_as_a_judge() -> None:
    h = harness(SEMANTIC)
    (step_task,) = h.start()
    (judge,) = h.answer(step_task, "an answer")
    copy = type(h.state).from_json(h.state.to_json())
    (again,) = [a.task for a in h.engine.resume(copy, 5.0) if hasattr(a, "task")]
    assert (again.id, again.kind, again.prompt) == (judge.id, "judge", judge.prompt)


def test_start_twice_does_not_resubmit_new_work() -> None:
    h = harness(CHAIN, {"topic": "x"})
    h.start()
    again = h.engine.start(h.state, 1001.0)
    assert [a.task.id for a in again if hasattr(a, "task")] == ["r1.a.1"]


def test_status_json_of_the_data_is_canonical() -> None:
    h = harness(SCHEMA)
    state = h.run(lambda task: '{ "steps" : [ "a" ] }')
    assert json.loads(state.steps["chef"].output_json or "null") == {"steps": ["a"]}
    assert state.steps["chef"].output_json == '{"steps":["a"]}'
