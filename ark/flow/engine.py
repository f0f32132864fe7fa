"""The run engine: a pure state machine over :class:`~ark.flow.state.RunState`.

Every entry point takes the state and the current time, mutates the state, and returns the
:mod:`actions <ark.flow.actions>` the host must carry out (submit or cancel tasks, answer a
waiting ``delegate()``) plus what observers may want to show. Nothing here does I/O or reads a
clock, so the same engine drives ``ark run`` (in-process queue) and the ArkRun controller
(Redis Streams; the state persisted in ``status`` after every call)::

    engine = Engine(plan, EngineOptions(max_parallel=8))
    state = engine.new_state(run_uid, inputs)
    actions = engine.start(state, now)            # or engine.resume(state, now) after a restart
    actions = engine.on_result(state, result, now)
    actions = engine.on_tick(state, now)          # timeouts; call by engine.next_deadline(state)
    child_id, actions = engine.delegate(state, parent_task_id, role, prompt, now)
    actions = engine.cancel(state, now, "why")

Step life: ``Pending -> Running -> Succeeded | Failed | Skipped``. A retry (outputSchema
violation, failed ``validate`` with ``onFailure: retry``) and a further loop iteration go back
to ``Pending``. Run life (reference §3.8): ``Pending -> Running -> Succeeded | Failed``; on
each transition the run timeout is checked first, then the token budget, then step outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ark.flow.actions import (
    Action,
    CancelTask,
    DelegationReply,
    RunFinished,
    StepChanged,
    SubmitTask,
)
from ark.flow.checks import check_answer, parse_verdict
from ark.flow.index import RunIndex
from ark.flow.outputs import canonical_json, extract_json
from ark.flow.plan import ROUTE_STEP, AgentLimits, RunPlan, StepPlan
from ark.flow.prompts import input_prompt, judge_prompt, step_prompt, template_data
from ark.flow.routing import decide, router_prompt, router_schema
from ark.flow.state import RunReason, RunState, StepState
from ark.flow.template import TemplateError, is_truthy, parse
from ark_runtime.protocol import Result, Task, TaskKind, task_id

RETRY_PREFIX = "retrying: "
TRUNCATED_NOTE = "output cut off at the token limit (limits.maxTokensPerCall), it may be incomplete"
TRUNCATED_CAUSE = "the answer was cut off at the token limit (limits.maxTokensPerCall), the likely cause"
JUDGE_SUFFIX = ".judge"
DEFAULT_STEP_GRACE_SECONDS = 5.0


class DelegationRefused(Exception):
    """A ``delegate()`` the engine will not run; the message is for the model."""


@dataclass(frozen=True)
class EngineOptions:
    """How the host runs the engine.

    ``max_parallel`` bounds the steps in flight (delegation hops are not counted: their parent
    holds a slot while it waits). ``step_grace_seconds`` is how long past a task's own timeout
    (role ``limits.timeoutSeconds``) the engine waits for its result before failing the step.
    ``redeliveries`` is how many times the host's queue runs a task again after its worker
    crashed, each time with its whole timeout: the engine waits that many timeouts more, and the
    grace should then cover the time the queue takes to notice the crash.
    """

    max_parallel: int | None = None
    step_grace_seconds: float = DEFAULT_STEP_GRACE_SECONDS
    redeliveries: int = 0


class Engine:
    """Drives one plan; holds no run state of its own, so one engine can serve many runs."""

    def __init__(self, plan: RunPlan, options: EngineOptions | None = None) -> None:
        self.plan = plan
        self.options = options or EngineOptions()

    # ----------------------------------------------------------------- entry points

    def new_state(self, run_uid: str, inputs: dict[str, str]) -> RunState:
        """A Pending run of this plan with resolved ``inputs`` (see :mod:`ark.flow.inputs`)."""
        if "." in run_uid:
            raise ValueError(f"run uid {run_uid!r} must not contain '.' (task ids are dot-separated)")
        plan = self.plan
        state = RunState(run_uid=run_uid, team=plan.team, mode=plan.mode, inputs=dict(inputs))
        if plan.steps:
            for step in plan.steps:
                state.steps[step.name] = StepState(step.name, step.role, plan.roles[step.role].agent)
        elif plan.routing is not None:
            state.steps[ROUTE_STEP] = StepState(
                ROUTE_STEP, ROUTE_STEP, plan.routing.router_agent, kind="route"
            )
        elif plan.entry is not None:
            state.steps[plan.entry] = StepState(plan.entry, plan.entry, plan.roles[plan.entry].agent)
        return state

    def start(self, state: RunState, now: float) -> list[Action]:
        """Start a Pending run (a run already started is resumed)."""
        if state.phase != "Pending":
            return self.resume(state, now)
        out: list[Action] = []
        state.phase = "Running"
        state.reason = "Validated"
        state.start_time = now
        self._advance(state, now, out)
        return out

    def resume(self, state: RunState, now: float) -> list[Action]:
        """After a restart: submit every in-flight task again (same ids) and carry on.

        Delegation hops are not resubmitted: their parent task re-delegates if it runs again.
        The deadlines of in-flight tasks restart at ``now``.
        """
        out: list[Action] = []
        if state.finished:
            return out
        if state.phase == "Pending":
            return self.start(state, now)
        for step in self._index(state).running():
            step.submitted_at = now
            if step.kind == "delegate":
                continue
            submit = self._task_for(state, step, now, out)
            if submit is not None:
                out.append(submit)
        self._advance(state, now, out)
        return out

    def on_result(self, state: RunState, result: Result, now: float) -> list[Action]:
        """Record a task's result; a result for no in-flight task (a duplicate) changes nothing."""
        out: list[Action] = []
        step = self.step_for_task(state, result.id)
        if step is None or state.finished:
            return out
        step.input_tokens += result.input_tokens
        step.output_tokens += result.output_tokens
        self._index(state).tokens += result.input_tokens + result.output_tokens
        if step.judging:
            self._on_judge(state, step, result, now, out)
        elif step.kind == "delegate":
            self._on_delegated(step, result, now, out)
        elif step.kind == "route":
            self._on_route(state, step, result, now, out)
        else:
            self._on_answer(state, step, result, now, out)
        self._advance(state, now, out)
        return out

    def on_tick(self, state: RunState, now: float) -> list[Action]:
        """Enforce the run timeout and the per-task deadlines."""
        out: list[Action] = []
        if state.finished or state.phase != "Running":
            return out
        run_deadline = self._run_deadline(state)
        if run_deadline is not None and now >= run_deadline:
            self._finish(
                state,
                "Failed",
                "TimedOut",
                f"the run timed out after {_seconds(self.plan.timeout_seconds)} (spec.timeoutSeconds)",
                None,
                now,
                out,
            )
            return out
        for step in self._index(state).running():
            limits = self._limits(step)
            deadline = self._step_deadline(step)
            if deadline is not None and now >= deadline:
                what = "the judge call" if step.judging else "the task"
                why = "limits.timeoutSeconds"
                if self.options.redeliveries:
                    waited = now - (step.submitted_at or now)
                    why += f"; waited {waited:.1f} s, allowing for a redelivery after a crash"
                message = f"{what} gave no result within {_seconds(limits.timeout_seconds)} ({why})"
                out.append(CancelTask(step.task_id or "", step.name))
                if step.kind == "delegate":
                    self._end_delegated(step, "Failed", "", message, now, out)
                else:
                    self._fail_step(state, step, message, now, out)
                    if _ended(state):
                        return out
        self._advance(state, now, out)
        return out

    def delegate(
        self,
        state: RunState,
        parent_task_id: str,
        role: str,
        prompt: str,
        now: float,
        *,
        delegation_id: str | None = None,
    ) -> tuple[str, list[Action]]:
        """Record a ``delegate(role, prompt)`` call of the task ``parent_task_id`` as a child step.

        Returns the child's task id and the actions (its submission). Raises
        :class:`DelegationRefused` for a role outside ``canDelegate``, a loop back along the
        delegation path, a path deeper than the depth bound (§18 #12), a spent token budget or
        a finished run.

        ``delegation_id`` is the caller's id for the call: a call whose id is already recorded (an
        agent that crashed and made the same call again) creates no second hop; it returns the
        recorded hop's task id, with its :class:`DelegationReply` if the hop is done.
        """
        out: list[Action] = []
        if delegation_id is not None:
            known = self._index(state).delegation(delegation_id)
            if known is not None:
                if known.done:
                    out.append(
                        DelegationReply(
                            known.task_id or "",
                            known.output or "",
                            known.message if known.phase == "Failed" else None,
                        )
                    )
                return known.task_id or "", out
        if state.finished:
            raise DelegationRefused("the run has already finished")
        parent = self.step_for_task(state, parent_task_id)
        if parent is None:
            raise DelegationRefused(f"task {parent_task_id!r} is not running in this run")
        allowed = self.plan.roles[parent.role].can_delegate if parent.role in self.plan.roles else ()
        if role not in allowed:
            listed = ", ".join(allowed) or "none"
            raise DelegationRefused(
                f"role {role!r} is not one {parent.role!r} may delegate to (canDelegate: {listed})"
            )
        path = self._path(state, parent)
        if role in path:
            raise DelegationRefused(
                f"delegating to {role!r} would loop back along the path {' -> '.join((*path, role))}"
            )
        if len(path) > self.plan.max_depth:
            raise DelegationRefused(
                f"delegation depth limit {self.plan.max_depth} reached (path {' -> '.join(path)}); "
                "answer with what you have"
            )
        if self._over_budget(state):
            raise DelegationRefused("the run's token budget (spec.maxTokens) is spent")
        name = self._child_name(state, parent.name, role)
        role_plan = self.plan.roles[role]
        child = StepState(
            name,
            role,
            role_plan.agent,
            kind="delegate",
            parent=parent.name,
            phase="Running",
            attempt=1,
            delegation_id=delegation_id,
        )
        child.task_id = task_id(state.run_uid, name, 1)
        child.start_time = child.submitted_at = now
        self._add_step(state, child)
        task = Task(
            id=child.task_id,
            run=state.run_uid,
            step=name,
            prompt=prompt,
            kind="delegate",
            max_tokens=role_plan.limits.max_tokens_per_call,
            deadline_ms=_deadline_ms(now, role_plan.limits),
            attempt=1,
            parent=parent_task_id,
            path="/".join((*path, role)),
        )
        out.append(SubmitTask(role_plan.agent, task))
        out.append(StepChanged(name, "Running"))
        return child.task_id, out

    def cancel(self, state: RunState, now: float, message: str) -> list[Action]:
        """Stop the run (Ctrl-C, deletion): Failed with reason ``Cancelled``."""
        out: list[Action] = []
        if not state.finished:
            self._finish(state, "Failed", "Cancelled", message, None, now, out)
        return out

    def next_deadline(self, state: RunState) -> float | None:
        """When :meth:`on_tick` next has something to check (None: nothing is timed)."""
        if state.finished or state.phase != "Running":
            return None
        times = [t for t in (self._step_deadline(s) for s in self._index(state).running()) if t is not None]
        run_deadline = self._run_deadline(state)
        if run_deadline is not None:
            times.append(run_deadline)
        return min(times) if times else None

    def step_for_task(self, state: RunState, task: str) -> StepState | None:
        """The step whose in-flight task is ``task`` (ids are ``{run}.{step}[.judge].{attempt}``)."""
        prefix = state.run_uid + "."
        if not task.startswith(prefix):
            return None
        name = task[len(prefix) :].rpartition(".")[0]
        # Agent names (routed runs) may contain dots, so try the name as is before the judge form.
        for candidate in (name, name.removesuffix(JUDGE_SUFFIX)):
            step = state.steps.get(candidate)
            if step is not None and step.phase == "Running" and step.task_id == task:
                return step
        return None

    # ------------------------------------------------------------------- scheduling

    def _advance(self, state: RunState, now: float, out: list[Action]) -> None:
        if state.finished or state.phase != "Running":
            return
        if self._over_budget(state):
            if not self._index(state).running():
                self._finish(
                    state,
                    "Failed",
                    "BudgetExceeded",
                    f"the run used {state.total_tokens} tokens, over its budget of {self.plan.max_tokens} "
                    "(spec.maxTokens)",
                    None,
                    now,
                    out,
                )
            return
        if self.plan.steps:
            self._schedule_pipeline(state, now, out)
        else:
            for step in self._index(state).waiting():
                if step.phase == "Pending" and self._free_slots(state) > 0:
                    self._submit(state, step, now, out)
        if not state.finished:
            self._maybe_succeed(state, now, out)

    def _schedule_pipeline(self, state: RunState, now: float, out: list[Action]) -> None:
        ready = self._index(state).ready
        assert ready is not None
        slots = self._free_slots(state)
        while not state.finished:
            # One round visits the Pending candidates in pipeline order; a skip may make its
            # dependents ready, and they are looked at in the next round.
            visit = ready.round()
            skipped = False
            while (step := visit.next(slots)) is not None:
                plan_step = self.plan.step_index[step.name]
                if plan_step.condition is not None and step.attempt == 0 and step.iterations == 0:
                    skip = self._skip_reason(state, plan_step)
                    if skip is not None:
                        step.phase = "Skipped"
                        step.message = skip
                        step.completion_time = now
                        ready.satisfied(step.name)
                        out.append(StepChanged(step.name, "Skipped", skip))
                        skipped = True
                        continue
                if slots <= 0:
                    continue
                self._submit(state, step, now, out)
                if _ended(state):
                    return
                slots -= 1
            visit.close()
            if not skipped:
                return

    def _index(self, state: RunState) -> RunIndex:
        index = state.scheduling
        if not isinstance(index, RunIndex) or not index.serves(self.plan, state):
            index = state.scheduling = RunIndex(self.plan, state)
        return index

    def _requeue(self, state: RunState, step: StepState) -> None:
        ready = self._index(state).ready
        if ready is not None and step.name in self.plan.step_index:
            ready.requeue(step.name)

    def _add_step(self, state: RunState, step: StepState) -> None:
        index = self._index(state)
        state.steps[step.name] = step
        index.added(step)

    def _skip_reason(self, state: RunState, plan_step: StepPlan) -> str | None:
        assert plan_step.condition is not None
        try:
            template = parse(plan_step.condition, name=f"steps.{plan_step.name}.if")
            text = template.render(template_data(state, wrap=False, current=plan_step.name))
        except TemplateError as exc:
            return f"skipped: if condition could not be evaluated: {exc}"
        return None if is_truthy(text) else "skipped: if condition evaluated to false"

    def _free_slots(self, state: RunState) -> float:
        if self.options.max_parallel is None:
            return float("inf")
        busy = sum(1 for step in self._index(state).running() if step.kind != "delegate")
        return self.options.max_parallel - busy

    def _submit(self, state: RunState, step: StepState, now: float, out: list[Action]) -> None:
        step.attempt += 1
        step.phase = "Running"
        self._index(state).started(step)
        step.submitted_at = now
        if step.start_time is None:
            step.start_time = now
        step.message = f"{RETRY_PREFIX}{step.retry_reason}" if step.retry_reason else None
        submit = self._task_for(state, step, now, out)
        if submit is None:
            return
        step.task_id = submit.task.id
        out.append(submit)
        out.append(StepChanged(step.name, "Running", step.message))

    def _task_for(self, state: RunState, step: StepState, now: float, out: list[Action]) -> SubmitTask | None:
        """The task of the step's current attempt (or judge call); None if it failed to build."""
        limits = self._limits(step)

        def task(ident: str, prompt: str, kind: TaskKind = "step", schema: str = "") -> Task:
            return Task(
                id=ident,
                run=state.run_uid,
                step=step.name,
                prompt=prompt,
                kind=kind,
                output_schema=schema,
                max_tokens=limits.max_tokens_per_call,
                deadline_ms=_deadline_ms(now, limits),
                attempt=step.attempt,
            )

        ident = task_id(state.run_uid, step.name, step.attempt)
        plan_step = self.plan.step(step.name)
        if step.judging:
            assert plan_step is not None
            assert plan_step.validate is not None
            semantic = plan_step.validate.semantic or ""
            prompt = judge_prompt(semantic, step.name, step.output or "")
            judge_id = task_id(state.run_uid, step.name + JUDGE_SUFFIX, step.attempt)
            return SubmitTask(step.agent, task(judge_id, prompt, "judge"))
        if step.kind == "route":
            routing = self.plan.routing
            assert routing is not None
            prompt = router_prompt(routing.capabilities, state.inputs)
            return SubmitTask(step.agent, task(ident, prompt, "route", router_schema(routing.capabilities)))
        if plan_step is None:  # the dynamic entry task, or a routed run's dispatched task
            return SubmitTask(step.agent, task(ident, input_prompt(state.inputs)))
        data = template_data(state, wrap=True, current=step.name)
        pairs: list[tuple[str, str]] = []
        for key, source in plan_step.inputs:
            try:
                pairs.append((key, parse(source, name=f"steps.{step.name}.inputs.{key}").render(data)))
            except TemplateError as exc:
                self._fail_step(state, step, f"input template error: {exc}", now, out)
                return None
        schema = plan_step.response_schema
        submit = SubmitTask(
            step.agent, task(ident, step_prompt(pairs, schema, step.retry_reason), schema=schema or "")
        )
        role = self.plan.roles[step.role]
        if role.team is not None:
            return SubmitTask(step.agent, submit.task, team=role.team, inputs=dict(pairs))
        return submit

    # ------------------------------------------------------------------- results

    def _on_answer(
        self, state: RunState, step: StepState, result: Result, now: float, out: list[Action]
    ) -> None:
        if result.status == "error":
            self._fail_step(state, step, result.error or "the task failed without a reason", now, out)
            return
        step.output = result.output
        step.truncated = result.truncated
        plan_step = self.plan.step(step.name)
        if plan_step is None:
            parsed, value = extract_json(result.output)
            step.output_json = canonical_json(value) if parsed else None
            self._succeed(step, None, now, out)
            return
        checked = check_answer(plan_step, result.output)
        step.output_json = checked.output_json
        if checked.schema_problem is not None:
            problem = checked.schema_problem
            if step.truncated:
                problem += f"; {TRUNCATED_CAUSE}"
            if step.schema_retries < 1:
                step.schema_retries += 1
                self._retry(state, step, problem, out)
            else:
                self._fail_step(state, step, f"{problem} (after a retry)", now, out)
            return
        if checked.validate_problem is not None:
            self._validation_failed(state, step, plan_step, checked.validate_problem, now, out)
            return
        if checked.needs_judge:
            step.judging = True
            step.retry_reason = None
            step.submitted_at = now
            step.message = "judging the output (validate.semantic)"
            submit = self._task_for(state, step, now, out)
            assert submit is not None
            step.task_id = submit.task.id
            out.append(submit)
            out.append(StepChanged(step.name, "Running", step.message))
            return
        self._passed(state, step, plan_step, now, out)

    def _on_judge(
        self, state: RunState, step: StepState, result: Result, now: float, out: list[Action]
    ) -> None:
        step.judging = False
        plan_step = self.plan.step(step.name)
        assert plan_step is not None
        if result.status == "error":
            self._fail_step(
                state, step, f"validate.semantic: the judge call failed: {result.error}", now, out
            )
            return
        passed, reason = parse_verdict(result.output)
        if passed:
            self._passed(state, step, plan_step, now, out)
        else:
            self._validation_failed(state, step, plan_step, f"validate.semantic: {reason}", now, out)

    def _validation_failed(
        self,
        state: RunState,
        step: StepState,
        plan_step: StepPlan,
        problem: str,
        now: float,
        out: list[Action],
    ) -> None:
        check = plan_step.validate
        assert check is not None
        if check.on_failure == "retry" and step.validation_retries < check.max_retries:
            step.validation_retries += 1
            self._retry(state, step, problem, out)
            return
        after = (
            f" (after {step.validation_retries} {'retry' if step.validation_retries == 1 else 'retries'})"
            if step.validation_retries
            else ""
        )
        self._fail_step(state, step, f"validation failed: {problem}{after}", now, out)

    def _retry(self, state: RunState, step: StepState, reason: str, out: list[Action]) -> None:
        step.phase = "Pending"
        self._requeue(state, step)
        step.retry_reason = reason
        step.task_id = None
        step.message = f"{RETRY_PREFIX}{reason}"
        out.append(StepChanged(step.name, "Pending", step.message))

    def _passed(
        self, state: RunState, step: StepState, plan_step: StepPlan, now: float, out: list[Action]
    ) -> None:
        step.retry_reason = None
        if plan_step.loop_condition is None:
            self._succeed(step, None, now, out, state)
            return
        step.iterations += 1
        try:
            template = parse(plan_step.loop_condition, name=f"steps.{step.name}.loop.condition")
            again = is_truthy(template.render(template_data(state, wrap=False, current=step.name)))
        except TemplateError as exc:
            self._succeed(step, f"loop stopped: the condition could not be evaluated: {exc}", now, out, state)
            return
        count = f"{step.iterations} iteration{'s' if step.iterations != 1 else ''}"
        if not again:
            self._succeed(step, f"loop finished after {count}", now, out, state)
        elif step.iterations >= plan_step.max_iterations:
            self._succeed(
                step,
                f"loop stopped at maxIterations ({plan_step.max_iterations}) with the condition still true",
                now,
                out,
                state,
            )
        else:
            step.phase = "Pending"
            self._requeue(state, step)
            step.task_id = None
            step.schema_retries = step.validation_retries = 0
            step.message = f"loop: iteration {step.iterations + 1} of at most {plan_step.max_iterations}"
            out.append(StepChanged(step.name, "Pending", step.message))

    def _succeed(
        self,
        step: StepState,
        message: str | None,
        now: float,
        out: list[Action],
        state: RunState | None = None,
    ) -> None:
        step.phase = "Succeeded"
        if step.truncated:
            message = f"{message}; {TRUNCATED_NOTE}" if message else TRUNCATED_NOTE
        step.message = message
        step.completion_time = now
        if state is not None and self.plan.steps and step.name in self.plan.step_index:
            ready = self._index(state).ready
            assert ready is not None
            ready.satisfied(step.name)
        out.append(StepChanged(step.name, "Succeeded", message))

    def _on_delegated(self, step: StepState, result: Result, now: float, out: list[Action]) -> None:
        if result.status == "ok":
            self._end_delegated(step, "Succeeded", result.output, None, now, out)
        else:
            self._end_delegated(step, "Failed", "", result.error or "the delegated task failed", now, out)

    def _end_delegated(
        self, step: StepState, phase: str, output: str, error: str | None, now: float, out: list[Action]
    ) -> None:
        # A failed hop does not fail the run: the error goes back to the delegating model.
        step.phase = "Succeeded" if phase == "Succeeded" else "Failed"
        step.completion_time = now
        if error is None:
            step.output = output
            parsed, value = extract_json(output)
            step.output_json = canonical_json(value) if parsed else None
        step.message = error
        out.append(StepChanged(step.name, step.phase, error))
        out.append(DelegationReply(step.task_id or "", output, error))

    def _on_route(
        self, state: RunState, step: StepState, result: Result, now: float, out: list[Action]
    ) -> None:
        routing = self.plan.routing
        assert routing is not None
        if result.status == "ok":
            step.output = result.output
            parsed, value = extract_json(result.output)
            step.output_json = canonical_json(value) if parsed else None
            decision = decide(routing, result.output)
        else:
            decision = decide(routing, None, result.error or "no reason given")
        step.selected_capability = decision.capability
        step.routing_reason = decision.reason
        step.resolved_agent = decision.agent
        if decision.agent is None:
            why = decision.reason or decision.capability
            message = f"no capability fits ({why}) and routing.fallback is not set"
            self._fail_step(state, step, message, now, out)
            return
        if decision.agent not in self.plan.agents:
            self._fail_step(
                state, step, f'agent "{decision.agent}" is not available to run the task', now, out
            )
            return
        how = "fallback" if decision.fallback else f"capability {decision.capability}"
        self._succeed(step, f"routed to {decision.agent} ({how})", now, out)
        name = decision.agent if decision.agent != ROUTE_STEP else f"{decision.agent}-agent"
        self._add_step(state, StepState(name, decision.agent, decision.agent))

    # ------------------------------------------------------------------- endings

    def _fail_step(
        self, state: RunState, step: StepState, message: str, now: float, out: list[Action]
    ) -> None:
        step.phase = "Failed"
        step.judging = False
        step.retry_reason = None
        step.message = message
        step.completion_time = now
        out.append(StepChanged(step.name, "Failed", message))
        self._finish(
            state, "Failed", "StepFailed", f'step "{step.name}" failed: {message}', step.name, now, out
        )

    def _maybe_succeed(self, state: RunState, now: float, out: list[Action]) -> None:
        plan = self.plan
        if plan.steps:
            ready = self._index(state).ready
            if ready is None or not ready.all_satisfied():
                return
            default = "\n\n".join(
                state.steps[name].output or ""
                for name in plan.sinks()
                if state.steps[name].phase == "Succeeded"
            )
        else:
            final = self._final_step(state)
            if final is None or final.phase != "Succeeded":
                return
            default = final.output or ""
        output = default
        if plan.output is not None:
            try:
                output = parse(plan.output, name="output").render(template_data(state, wrap=False))
            except TemplateError as exc:
                self._finish(
                    state, "Failed", "OutputError", f"team output template error: {exc}", None, now, out
                )
                return
        state.output = output
        cut = [s.name for s in state.steps.values() if s.phase == "Succeeded" and s.truncated]
        note = f"{'step' if len(cut) == 1 else 'steps'} {', '.join(cut)}: {TRUNCATED_NOTE}" if cut else None
        self._finish(state, "Succeeded", "Succeeded", note, None, now, out)

    def _final_step(self, state: RunState) -> StepState | None:
        if self.plan.routing is not None:
            route = state.steps.get(ROUTE_STEP)
            agent = route.resolved_agent if route is not None else None
            if agent is None:
                return None
            return state.steps.get(agent if agent != ROUTE_STEP else f"{agent}-agent")
        return state.steps.get(self.plan.entry or "")

    def _finish(
        self,
        state: RunState,
        phase: str,
        reason: RunReason,
        message: str | None,
        failed_step: str | None,
        now: float,
        out: list[Action],
    ) -> None:
        why = {
            "TimedOut": "the run timed out",
            "Cancelled": "the run was cancelled",
            "StepFailed": f'step "{failed_step}" failed',
        }.get(reason, "the run ended")
        for step in self._index(state).running():
            out.append(CancelTask(step.task_id or "", step.name))
            if step.kind == "delegate":
                self._end_delegated(step, "Failed", "", f"cancelled: {why}", now, out)
                continue
            step.phase = "Failed"
            step.judging = False
            step.retry_reason = None
            step.message = f"cancelled: {why}"
            step.completion_time = now
            out.append(StepChanged(step.name, "Failed", step.message))
        state.phase = "Succeeded" if phase == "Succeeded" else "Failed"
        state.reason = reason
        state.message = message
        state.failed_step = failed_step
        state.completion_time = now
        out.append(RunFinished(state.phase, reason, message, failed_step))

    # ------------------------------------------------------------------- helpers

    def _over_budget(self, state: RunState) -> bool:
        return self.plan.max_tokens is not None and self._index(state).tokens > self.plan.max_tokens

    def _limits(self, step: StepState) -> AgentLimits:
        if step.kind == "route":
            return AgentLimits()
        role = self.plan.roles.get(step.role)
        if role is not None:
            return role.limits
        return self.plan.agents.get(step.agent, AgentLimits())

    def _step_deadline(self, step: StepState) -> float | None:
        if step.submitted_at is None:
            return None
        timeout = self._limits(step).timeout_seconds
        return step.submitted_at + timeout * (1 + self.options.redeliveries) + self.options.step_grace_seconds

    def _run_deadline(self, state: RunState) -> float | None:
        if self.plan.timeout_seconds is None or state.start_time is None:
            return None
        return state.start_time + self.plan.timeout_seconds

    def _path(self, state: RunState, step: StepState) -> tuple[str, ...]:
        roles: list[str] = []
        current: StepState | None = step
        while current is not None:
            roles.append(current.role)
            current = state.steps.get(current.parent) if current.parent else None
        return tuple(reversed(roles))

    @staticmethod
    def _child_name(state: RunState, parent: str, role: str) -> str:
        base = f"{parent}/{role}"
        if base not in state.steps:
            return base
        number = 2
        while f"{base}#{number}" in state.steps:
            number += 1
        return f"{base}#{number}"


def _ended(state: RunState) -> bool:
    # A call, not the property: mypy would keep an earlier narrowing of `state.finished`
    # across the method calls that change it.
    return state.finished


def _deadline_ms(now: float, limits: AgentLimits) -> int:
    return int((now + limits.timeout_seconds) * 1000)


def _seconds(value: float | None) -> str:
    return f"{value:g} s" if value is not None else "?"
