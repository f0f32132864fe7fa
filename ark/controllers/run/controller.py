"""The ArkRun controller: the run engine (``ark.flow``) driven over Redis Streams, exactly once.

One reconcile of a run, serialised per run by the work queue:

1. load the run once per process (or after any write failed): a quorum GET, the plan from its
   snapshot, the state from its status (full outputs read back from ConfigMaps) and
   ``engine.resume`` -- in-flight tasks are submitted again under the same ids, and the answers
   to finished delegation hops are sent again;
2. apply what arrived: the results and delegation requests the inbox read for it, the ends of
   the child runs of ``arkTeam`` steps, and the engine's deadlines (``on_tick``);
3. write the status, if it changed, with the resourceVersion last seen (a conflict means someone
   else wrote: the state is dropped and reloaded);
4. then, in one Redis round trip: acknowledge what the status now records, submit the tasks it
   names (``ark:task:{id}`` markers make a resubmission run once), answer waiting ``delegate()``
   calls, add team token usage; then create the child runs of new ``arkTeam`` steps;
5. requeue at the engine's next deadline. Nothing polls: results wake the run through the inbox.

If a step between 3 and 4 is cut short (a crash, a Redis outage), nothing is lost: the status
already names every task (resubmitted on load, deduplicated by marker) and unacknowledged
entries are read again. Failpoints (:mod:`ark.failpoints`) mark the instants the crash tests
kill the operator at: ``run.before-status-write``, ``run.after-result`` (results applied, status
not yet written), ``run.after-status-write`` (status written; nothing acknowledged or submitted).

Interface::

    reconciler = setup_run_controller(manager, options, inbox=inbox, writer=writer)
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ark.api import API_VERSION, ArkAgentSpec, ArkTeamSpec
from ark.api.issues import format_path
from ark.api.registry import ArkRegistrySpec, ArkRegistryStatus, RegistryPolicy
from ark.api.run import ArkRunSpec, ArkRunStatus, OutputRef
from ark.controllers.budget import team_budget_key
from ark.controllers.cache import Cache
from ark.controllers.resources import ARK_AGENTS, ARK_REGISTRIES, ARK_RUNS, ARK_TEAMS, FIELD_MANAGER
from ark.controllers.run.dispatch import Batch, QueueWriter
from ark.controllers.run.inbox import Entry, Inbox
from ark.controllers.run.messages import (
    child_result,
    failed_before_start,
    owed_replies,
    refusal,
    reply_for,
    run_status,
)
from ark.controllers.run.metrics import RunMetrics
from ark.controllers.run.planning import Lookups, MissingAgent, Registry, plan_run, snapshot_problem
from ark.controllers.run.run_span import record_result, record_run
from ark.controllers.run.tracing import in_delegation_trace, traced_tasks
from ark.failpoints import failpoint
from ark.flow.actions import Action, DelegationReply, RunFinished, SubmitTask
from ark.flow.engine import DelegationRefused, Engine, EngineOptions
from ark.flow.inputs import InputError
from ark.flow.plan import PlanError
from ark.flow.state import TERMINAL_RUN_PHASES, RunState, StepState
from ark.flow.status import from_status
from ark.kube.client import AlreadyExists, ApiError, Conflict, KubeClient, NotFound, TransportError
from ark.kube.conditions import get_condition
from ark.kube.controller import Controller, Result
from ark.kube.events import EventRecorder
from ark.kube.manager import Manager
from ark.kube.store import split_key
from ark.runs.create import child_run, child_run_name, with_snapshot
from ark.runs.outputs import OutputMissing, known_refs, read_output, restore_outputs, shrink, write_output
from ark.runs.retry import RetryError, seed
from ark_runtime.protocol import DEFAULT_MAX_RESULT_BYTES, DelegationRequest, Task, tasks_stream
from ark_runtime.protocol import Result as TaskResult
from ark_runtime.queue.connection import is_outage

Obj = dict[str, Any]
log = logging.getLogger(__name__)

UID_INDEX = "uid"
DEFAULT_STEP_GRACE_SECONDS = 65.0
"""Covers the time the agent runtime takes to notice a crashed pod (reclaim grace 30 s + interval <= 30 s)."""
REDELIVERIES = 1
"""A step's task may run once more, with its whole timeout, after the pod working on it crashed."""
MIN_REQUEUE_SECONDS = 0.05


@dataclass(frozen=True)
class RunOptions:
    """How the run controller works."""

    namespaces: Sequence[str] = ()
    """Namespaces to watch; empty means all."""
    workers: int = 8
    step_grace_seconds: float = DEFAULT_STEP_GRACE_SECONDS
    """How long past a task's own timeout its result is waited for before the step fails."""
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES
    """A result whose output is larger is recorded as the step's error, never as its output."""


@dataclass
class RunRecord:
    """What this process knows of a run it drives; dropped whenever it may be stale."""

    uid: str
    name: str
    namespace: str
    team: str
    engine: Engine
    state: RunState
    resource_version: str
    generation: int | None
    written: ArkRunStatus | None
    """The status (with full outputs) last written or read."""
    refs: dict[str, OutputRef] = field(default_factory=dict)
    carry: list[Action] = field(default_factory=list)
    """Actions of the load (``resume``) still to be carried out."""
    owed: list[tuple[str, TaskResult]] = field(default_factory=list)
    local: list[TaskResult] = field(default_factory=list)
    """Results made here (a child run that could not be created) for the next step."""
    children: list[SubmitTask] = field(default_factory=list)
    """``arkTeam`` steps whose run could not be created yet."""
    unsent: Batch | None = None
    """A Redis batch that failed (an outage); sent before anything else."""


def _uid_index(obj: Obj) -> list[str]:
    uid = obj.get("metadata", {}).get("uid")
    return [uid] if uid else []


def _phase_changed(old: Obj, new: Obj) -> bool:
    return bool((old.get("status") or {}).get("phase") != (new.get("status") or {}).get("phase"))


def _spec_changed(old: Obj, new: Obj) -> bool:
    return old is new or old.get("metadata", {}).get("generation") != new.get("metadata", {}).get(
        "generation"
    )


def _error(task: Task, message: str) -> TaskResult:
    return TaskResult(id=task.id, run=task.run, step=task.step, status="error", error=message)


def _parse(model: Any, data: Any) -> Any:
    try:
        return model.model_validate(data or {}, by_alias=True, by_name=False)
    except ValidationError:
        return None


class RunReconciler:
    """Drives every ArkRun through the engine; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        *,
        runs: Cache,
        teams: Cache,
        agents: Cache,
        registries: Cache,
        inbox: Inbox,
        writer: QueueWriter,
        recorder: EventRecorder,
        options: RunOptions,
        metrics: RunMetrics | None = None,
        on_usage: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.runs = runs
        self.teams = teams
        self.agents = agents
        self.registries = registries
        self.inbox = inbox
        self.writer = writer
        self.recorder = recorder
        self.options = options
        self.metrics = metrics
        self.on_usage = on_usage
        self.clock = clock
        self.records: dict[str, RunRecord] = {}

    def key_for_uid(self, uid: str) -> str | None:
        """The key of the ArkRun with this uid (the ``run`` field of every task and result)."""
        keys = self.runs.index_keys(UID_INDEX, uid)
        return keys[0] if keys else None

    # ------------------------------------------------------------------ reconcile

    async def reconcile(self, key: str) -> Result | None:
        """Advance the run ``key`` by what happened since its last reconcile."""
        namespace, name = split_key(key)
        assert namespace is not None
        run = self.runs.get(namespace, name)
        if run is None or run["metadata"].get("deletionTimestamp"):
            self.records.pop(key, None)
            await self._settle(key)
            return None
        self.inbox.watch_namespace(namespace)
        record = self.records.get(key)
        if record is not None and record.uid != run["metadata"]["uid"]:
            del self.records[key]  # deleted and created again under the same name
            record = None
        if record is not None and record.unsent is not None:
            await self._send(record, record.unsent)
        if record is None and (run.get("status") or {}).get("phase") not in TERMINAL_RUN_PHASES:
            record = await self._load(key)
        if record is None:
            await self._settle(key)
            return None
        return await self._step(key, run, record)

    async def _settle(self, key: str) -> None:
        """Acknowledge what arrived for a run that has ended or is gone (duplicates, late answers)."""
        entries = self.inbox.take(key)
        if not entries:
            return
        try:
            await self.writer.commit(Batch(acks=entries))
        except Exception as exc:
            if not is_outage(exc):
                raise
            self.inbox.give_back(key, entries)
            raise

    # ------------------------------------------------------------------ loading

    def _lookups(self, namespace: str) -> Lookups:
        def registry(name: str) -> Registry | None:
            obj = self.registries.get(namespace, name)
            if obj is None:
                return None
            spec: ArkRegistrySpec | None = _parse(ArkRegistrySpec, obj.get("spec"))
            status: ArkRegistryStatus | None = _parse(ArkRegistryStatus, obj.get("status"))
            if spec is None:
                return None
            return Registry(status or ArkRegistryStatus(), spec.policy or RegistryPolicy())

        def agent(name: str) -> ArkAgentSpec | None:
            obj = self.agents.get(namespace, name)
            return _parse(ArkAgentSpec, obj.get("spec")) if obj is not None else None

        def team(name: str) -> ArkTeamSpec | None:
            obj = self.teams.get(namespace, name)
            return _parse(ArkTeamSpec, obj.get("spec")) if obj is not None else None

        return Lookups(agent=agent, team=team, registry=registry)

    async def _load(self, key: str) -> RunRecord | None:
        namespace, name = split_key(key)
        assert namespace is not None
        try:
            run = await self.client.get(ARK_RUNS, name, namespace)
        except NotFound:
            return None
        meta = run["metadata"]
        generation = meta.get("generation")
        try:
            spec = ArkRunSpec.model_validate(run.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = format_path(("spec", *error["loc"]))
            await self._fail(run, "InvalidSpec", f"the ArkRun spec is invalid: {where}: {error['msg']}")
            return None
        team_name = spec.team_ref.name
        if spec.team_spec is None:
            await self._take_snapshot(run, team_name)
            return None
        status: ArkRunStatus = _parse(ArkRunStatus, run.get("status")) or ArkRunStatus()
        if status.phase in TERMINAL_RUN_PHASES:
            return None
        try:
            plan = plan_run(team_name, spec.team_spec, self._lookups(namespace))
        except PlanError as exc:
            await self._fail(
                run, "AgentNotFound" if isinstance(exc, MissingAgent) else "InvalidDAG", str(exc)
            )
            return None
        problem = snapshot_problem(team_name, spec.team_spec)
        if problem is not None:
            await self._fail(run, "InvalidSpec", f"the ArkRun spec is invalid: {problem}")
            return None
        engine = Engine(
            plan, EngineOptions(step_grace_seconds=self.options.step_grace_seconds, redeliveries=REDELIVERIES)
        )
        now = self.clock()
        inputs = dict(spec.input or {})
        record = RunRecord(
            uid=meta["uid"],
            name=name,
            namespace=namespace,
            team=team_name,
            engine=engine,
            state=engine.new_state(meta["uid"], inputs),
            resource_version=meta["resourceVersion"],
            generation=generation,
            written=None,
        )
        if status.phase in (None, "Pending") and not status.steps:
            why = self._budget_refusal(namespace, team_name)
            if why is not None:
                await self._fail(run, "BudgetExceeded", why)
                return None
            if spec.retry_of is not None:
                try:
                    await self._seed(record, spec)
                except (RetryError, OutputMissing, NotFound) as exc:
                    message = (
                        str(exc) if not isinstance(exc, NotFound) else f"run {spec.retry_of.run} is gone"
                    )
                    await self._fail(run, "RetryFailed", f"cannot retry: {message}")
                    return None
            record.carry = engine.start(record.state, now)
            if self.metrics is not None:
                self.metrics.started.labels(namespace=namespace, team=team_name).inc()
            self.recorder.normal(run, "Started", f"{plan.mode} run of ArkTeam {team_name} started")
        else:
            try:
                full = await restore_outputs(self.client, namespace, status)
            except OutputMissing as exc:
                await self._fail(run, "OutputLost", f"part of the run's record is gone: {exc}")
                return None
            record.state = from_status(full, plan, run_uid=meta["uid"], inputs=inputs)
            record.written = full
            record.refs = known_refs(status)
            record.carry = engine.resume(record.state, now)
            record.owed = owed_replies(record.state, namespace)
        self.records[key] = record
        return record

    async def _take_snapshot(self, run: Obj, team_name: str) -> None:
        """A run created by hand: copy the team spec and resolve the input, once."""
        meta = run["metadata"]
        team = self.teams.get(meta["namespace"], team_name)
        if team is None:
            await self._fail(run, "TeamNotFound", f"ArkTeam {meta['namespace']}/{team_name} does not exist")
            return
        try:
            patch = with_snapshot(run, team)
        except InputError as exc:
            await self._fail(run, "InvalidInput", str(exc))
            return
        # The update (a new generation) brings the run back here with its snapshot.
        await self.client.patch(ARK_RUNS, meta["name"], patch, meta["namespace"], field_manager=FIELD_MANAGER)

    async def _seed(self, record: RunRecord, spec: ArkRunSpec) -> None:
        assert spec.retry_of is not None
        previous = await self.client.get(ARK_RUNS, spec.retry_of.run, record.namespace)
        stored: ArkRunStatus = _parse(ArkRunStatus, previous.get("status")) or ArkRunStatus()
        full = await restore_outputs(self.client, record.namespace, stored)
        before = from_status(
            full,
            record.engine.plan,
            run_uid=previous["metadata"]["uid"],
            inputs=dict((previous.get("spec") or {}).get("input") or {}),
        )
        seed(record.state, before, spec.retry_of.reuse or [], spec.retry_of.run)

    def _budget_refusal(self, namespace: str, team_name: str) -> str | None:
        team = self.teams.get(namespace, team_name)
        exceeded = get_condition((team or {}).get("status", {}).get("conditions"), "BudgetExceeded")
        if exceeded is None or exceeded.get("status") != "True":
            return None
        return f"ArkTeam {team_name}: {exceeded.get('message') or 'daily token budget used up'}"

    async def _fail(self, run: Obj, reason: str, message: str) -> None:
        """End a run that cannot start, saying why (status, condition and a Warning Event)."""
        meta = run["metadata"]
        status = failed_before_start(reason, message, self.clock(), meta.get("generation"))
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkRun",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "resourceVersion": meta["resourceVersion"],
            },
            "status": status.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        await self.client.update_status(ARK_RUNS, body)
        self.recorder.warning(run, reason, message)
        if self.metrics is not None:
            team = (run.get("spec") or {}).get("teamRef", {}).get("name", "")
            self.metrics.finished.labels(
                namespace=meta["namespace"], team=team, phase="Failed", reason=reason
            ).inc()

    # ------------------------------------------------------------------ one step

    async def _step(self, key: str, run: Obj, record: RunRecord) -> Result | None:
        started = time.monotonic()
        entries = self.inbox.take(key)
        engine, state = record.engine, record.state
        now = self.clock()
        actions, record.carry = record.carry, []
        replies, record.owed = record.owed, []
        for result in record.local:
            actions += engine.on_result(state, result, now)
        record.local = []
        for entry in entries:
            message = entry.message
            if isinstance(message, DelegationRequest):
                actions += self._delegate(record, message, now, replies)
            else:
                self._measure(record, message, now)
                actions += engine.on_result(state, self._bounded(message), now)
                record_result(run, record.team, message)
        actions += await self._finished_children(record, now)
        deadline = engine.next_deadline(state)
        if deadline is not None and deadline <= now:
            actions += engine.on_tick(state, now)
        if entries:
            failpoint("run.after-result")
        status = run_status(state, record.generation)
        if status != record.written:
            failpoint("run.before-status-write")
            try:
                await self._write_status(record, run, status)
            except NotFound:
                self.records.pop(key, None)
                return None
            except (Conflict, ApiError, TransportError):
                # The stored status may be ahead of or behind what this process holds: reload it.
                self.records.pop(key, None)
                self.inbox.give_back(key, entries)
                raise
            failpoint("run.after-status-write")
        batch = self._batch(record, run, entries, actions, replies)
        await self._send(record, batch)
        await self._start_children(record, run, [a for a in actions if isinstance(a, SubmitTask) and a.team])
        self._observe(run, record, entries, actions, started)
        if state.finished:
            self.records.pop(key, None)
            return None
        if record.local:
            return Result(requeue_after=MIN_REQUEUE_SECONDS)
        deadline = engine.next_deadline(state)
        if deadline is None:
            return None
        return Result(requeue_after=max(MIN_REQUEUE_SECONDS, deadline - self.clock()))

    def _bounded(self, result: TaskResult) -> TaskResult:
        """``result``, or an error in its place when its output is over the cap (an agent of another
        build, or one whose cap was raised, may write one)."""
        why = result.oversize(self.options.max_result_bytes)
        if not why:
            return result
        return dataclasses.replace(
            result, status="error", output="", error=f"{why.split(';')[0]}; not recorded"
        )

    @staticmethod
    def _delegate(
        record: RunRecord, request: DelegationRequest, now: float, replies: list[tuple[str, TaskResult]]
    ) -> list[Action]:
        try:
            _, actions = record.engine.delegate(
                record.state, request.parent, request.role, request.prompt, now, delegation_id=request.id
            )
        except DelegationRefused as exc:
            replies.append(refusal(request, str(exc)))
            return []
        return in_delegation_trace(request, actions)

    async def _write_status(self, record: RunRecord, run: Obj, status: ArkRunStatus) -> None:
        shrunk, pending = shrink(status, record.refs)
        if pending:
            for item in pending:
                record.refs[item.digest] = await write_output(self.client, run, item)
            shrunk, _ = shrink(status, record.refs)
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkRun",
            "metadata": {
                "name": record.name,
                "namespace": record.namespace,
                "resourceVersion": record.resource_version,
            },
            "status": shrunk.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
        answer = await self.client.update_status(ARK_RUNS, body)
        record.resource_version = answer["metadata"]["resourceVersion"]
        record.written = status

    def _batch(
        self,
        record: RunRecord,
        run: Obj,
        entries: list[Entry],
        actions: list[Action],
        replies: list[tuple[str, TaskResult]],
    ) -> Batch:
        submits = [
            (tasks_stream(record.namespace, a.agent), a.task)
            for a in actions
            if isinstance(a, SubmitTask) and a.team is None
        ]
        tasks = traced_tasks(run, record.team, submits)
        for action in actions:
            if isinstance(action, DelegationReply):
                reply = reply_for(record.state, record.namespace, action)
                if reply is not None:
                    replies.append(reply)
        usage: list[tuple[str, str, int]] = []
        if self._team_has_budget(record):
            key = team_budget_key(record.namespace, record.team)
            for entry in entries:
                result = entry.message
                if isinstance(result, TaskResult) and result.total_tokens:
                    at = result.finished_ms or int(self.clock() * 1000)
                    usage.append((key, f"{result.id}:{result.total_tokens}", at))
        return Batch(acks=entries, tasks=tasks, replies=replies, usage=usage)

    def _team_has_budget(self, record: RunRecord) -> bool:
        team = self.teams.get(record.namespace, record.team)
        limits = ((team or {}).get("spec") or {}).get("limits") or {}
        return bool(limits.get("maxDailyTokens"))

    async def _send(self, record: RunRecord, batch: Batch) -> None:
        """Write ``batch`` to Redis; during an outage keep it for the next reconcile (rate-limited)."""
        record.unsent = None
        try:
            await self.writer.commit(batch)
        except Exception as exc:
            if not is_outage(exc):
                raise
            record.unsent = batch
            raise
        if batch.usage and self.on_usage is not None:
            self.on_usage(f"{record.namespace}/{record.team}")

    # ------------------------------------------------------------------ arkTeam steps

    def _team_steps(self, record: RunRecord) -> list[tuple[str, StepState]]:
        out = []
        for step in record.state.running():
            role = record.engine.plan.roles.get(step.role)
            if role is not None and role.team is not None and step.kind == "step":
                out.append((role.team, step))
        return out

    async def _finished_children(self, record: RunRecord, now: float) -> list[Action]:
        actions: list[Action] = []
        for team, step in self._team_steps(record):
            child = self.runs.get(record.namespace, child_run_name(record.name, step.name, step.attempt))
            status: ArkRunStatus | None = _parse(ArkRunStatus, (child or {}).get("status"))
            if status is None:
                continue
            if status.phase == "Succeeded" and status.output_ref is not None:
                output, _ = await read_output(self.client, record.namespace, status.output_ref)
                status = status.model_copy(update={"output": output})
            result = child_result(step, team, status, record.uid)
            if result is not None:
                actions += record.engine.on_result(record.state, result, now)
        return actions

    async def _start_children(self, record: RunRecord, run: Obj, submits: list[SubmitTask]) -> None:
        """Create the run of each new ``arkTeam`` step (idempotent: the name is the step's and attempt's).

        A team or input that does not allow it becomes the step's error result; an API failure keeps
        the request for the next reconcile.
        """
        pending = [*record.children, *submits]
        record.children = []
        for index, submit in enumerate(pending):
            task = submit.task
            name = child_run_name(record.name, task.step, task.attempt)
            if self.runs.get(record.namespace, name) is not None:
                continue
            team = self.teams.get(record.namespace, submit.team or "")
            if team is None:
                record.local.append(_error(task, f"ArkTeam {record.namespace}/{submit.team} does not exist"))
                continue
            try:
                body = child_run(run, task.step, task.attempt, team, dict(submit.inputs or {}))
            except InputError as exc:
                record.local.append(_error(task, f"team {submit.team}: {exc}"))
                continue
            try:
                await self.client.create(ARK_RUNS, body)
            except AlreadyExists:
                continue
            except (ApiError, TransportError):
                record.children = pending[index:]
                raise

    # ------------------------------------------------------------------ observing

    def _measure(self, record: RunRecord, result: TaskResult, now: float) -> None:
        """Step duration and tokens by agent and model of a result, before the engine records it."""
        step = record.engine.step_for_task(record.state, result.id) if self.metrics is not None else None
        if step is None or self.metrics is None:
            return
        agent = step.resolved_agent or step.agent
        if step.submitted_at is not None:
            self.metrics.step_duration.labels(namespace=record.namespace, team=record.team).observe(
                max(0.0, now - step.submitted_at)
            )
        spec = (self.agents.get(record.namespace, agent) or {}).get("spec") or {}
        model = str(spec.get("model") or "")
        self.metrics.used(record.namespace, agent, model, result.input_tokens, result.output_tokens)

    def _observe(
        self, run: Obj, record: RunRecord, entries: list[Entry], actions: list[Action], started: float
    ) -> None:
        metrics = self.metrics
        namespace, team = record.namespace, record.team
        if metrics is not None:
            for entry in entries:
                kind = "delegate" if isinstance(entry.message, DelegationRequest) else "result"
                metrics.messages.labels(namespace=namespace, type=kind).inc()
                if isinstance(entry.message, TaskResult):
                    metrics.tokens.labels(namespace=namespace, team=team).inc(entry.message.total_tokens)
            if entries and any(isinstance(a, SubmitTask) for a in actions):
                metrics.transition.observe(time.monotonic() - started)
        for action in actions:
            if not isinstance(action, RunFinished):
                continue
            record_run(run, team, record.state, action.phase, action.reason)
            state = record.state
            if metrics is not None:
                metrics.finished.labels(
                    namespace=namespace, team=team, phase=action.phase, reason=action.reason
                ).inc()
                took = state.duration()
                if took is not None:
                    metrics.duration.labels(namespace=namespace, team=team, phase=action.phase).observe(took)
            if action.phase == "Succeeded":
                took = state.duration() or 0.0
                self.recorder.normal(
                    run, "Succeeded", f"succeeded in {took:.1f} s using {state.total_tokens} tokens"
                )
            else:
                self.recorder.warning(run, action.reason, action.message or action.reason)


def setup_run_controller(
    manager: Manager,
    options: RunOptions,
    *,
    inbox_url: str,
    writer: QueueWriter,
    on_usage: Callable[[str], None] | None = None,
) -> RunReconciler:
    """Create the caches, the inbox and the controller for ArkRuns and add them to ``manager``."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    runs = Cache(factory, ARK_RUNS, namespaces)
    runs.add_indexers({UID_INDEX: _uid_index})
    teams = Cache(factory, ARK_TEAMS, namespaces)
    agents = Cache(factory, ARK_AGENTS, namespaces)
    registries = Cache(factory, ARK_REGISTRIES, namespaces)
    holder: dict[str, Controller] = {}
    reconciler_ref: list[RunReconciler] = []
    inbox = Inbox(
        inbox_url,
        lambda uid: reconciler_ref[0].key_for_uid(uid),
        lambda key: holder["controller"].enqueue(key),
    )
    reconciler = RunReconciler(
        manager.client,
        runs=runs,
        teams=teams,
        agents=agents,
        registries=registries,
        inbox=inbox,
        writer=writer,
        recorder=manager.event_recorder(FIELD_MANAGER),
        options=options,
        metrics=None,
        on_usage=on_usage,
    )
    reconciler_ref.append(reconciler)
    reconciler.metrics = RunMetrics(
        manager.metrics.registry, lambda: len(reconciler.records), inbox.pending, runs=runs.all
    )
    controller = Controller("arkrun", reconciler.reconcile, workers=options.workers, metrics=manager.metrics)
    holder["controller"] = controller
    for informer in runs.informers.values():
        controller.watch(informer, update_filter=_spec_changed)
        controller.watch_owned(informer, ARK_RUNS, update_filter=_phase_changed)
    manager.add_controller(controller)
    manager.add_runnable(inbox.run)
    return reconciler
