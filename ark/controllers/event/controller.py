"""The ArkEvent controller: cron and team-output sources fire runs, webhook sources get a token.

One reconcile, reading from the informer caches:

1. parse and check the spec as ``ark validate`` does (an error: ``Ready=False/InvalidSpec``
   naming the field; a bad schedule ``InvalidCron``; an event on a cycle of team-output events
   ``TeamOutputCycle``, :mod:`~ark.controllers.event.chains`);
2. cron: work out the due time and the next one (:mod:`~ark.controllers.event.schedule`), fire
   when due, and requeue for ``nextFireAt`` (never a poll);
3. team-output: fire once for every run of the watched team that completed, in a phase
   matching ``onPhase``, after the event was created (the run names derive from the upstream
   run's name), unless the upstream run's trigger lineage is already ``MAX_CHAIN_DEPTH`` deep
   (``Fired=False/ChainTooDeep``);
4. webhook: create Secret ``<event>-webhook-token`` when absent; ``status.webhookURL``;
5. apply the status (``lastFiredAt``, ``firedCount``, ``nextFireAt``, ``Ready`` and ``Fired``).

A fire creates one run per target with deterministic names (D61): ``AlreadyExists`` means that
target already fired, so a crash between deciding and creating neither drops nor doubles a fire.
``concurrencyPolicy: Forbid`` skips a fire while a run the event created is not terminal
(Event ``FireSkipped``). A target that cannot start (missing team, bad input) is named in the
``Fired`` condition and a ``FireFailed`` Event; the other targets still fire.

Interface::

    controller = setup_event_controller(manager, EventOptions(namespaces, workers, webhook_url))
"""

from __future__ import annotations

import base64
import copy
import datetime
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ark.api import API_VERSION, ArkEventSpec
from ark.api.issues import errors
from ark.api.run import TriggerType
from ark.api.validation.chains import cycle_through, spell_cycle
from ark.api.validation.cron import cron_problem
from ark.api.validation.event import check_event_spec
from ark.api.validation.report import Report
from ark.controllers.cache import Cache
from ark.controllers.event.chains import DEPTH_ANNOTATION, MAX_CHAIN_DEPTH, chain_depth, links
from ark.controllers.event.inputs import TargetInputError
from ark.controllers.event.names import fire_run_name
from ark.controllers.event.runs import TERMINAL, event_owner_reference, running, target_run, webhook_url
from ark.controllers.event.schedule import cron_timing
from ark.controllers.resources import ARK, ARK_RUNS, ARK_TEAMS, FIELD_MANAGER, MANAGED_BY, MANAGED_BY_LABEL
from ark.flow.inputs import InputError
from ark.kube.client import AlreadyExists, KubeClient, NotFound
from ark.kube.conditions import get_condition, set_condition
from ark.kube.controller import Controller, Result, generation_changed
from ark.kube.events import EventRecorder, format_time
from ark.kube.manager import Manager
from ark.kube.resources import SECRETS
from ark.kube.store import LABEL_INDEX, OWNER_UID_INDEX, split_key
from ark.runs.create import TEAM_LABEL, label_value

Obj = dict[str, Any]
Now = Callable[[], datetime.datetime]
log = logging.getLogger(__name__)

ARK_EVENTS = ARK["ArkEvent"]
TEAM_INDEX = "event-team"
READY = "Ready"
FIRED = "Fired"
TOKEN_KEY = "token"
TOKEN_BYTES = 32
REQUEUE_MARGIN_SECONDS = 0.001
"""Wake a hair after the scheduled time, so the wake-up finds it due."""


@dataclass(frozen=True)
class EventOptions:
    """How the ArkEvent controller runs."""

    namespaces: Sequence[str] = ()
    """Namespaces to watch; empty means all."""
    workers: int = 4
    trigger_webhook_url: str | None = None
    """Base URL of the trigger webhook server (``--trigger-webhook-url``)."""


@dataclass
class Fire:
    """What one fire did: runs created, targets that could not start, or a Forbid skip."""

    created: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    existed: int = 0
    skipped: bool = False

    @property
    def new(self) -> bool:
        """Whether this is a fire not counted before (not a re-run of one already recorded)."""
        return not self.skipped and (bool(self.created) or (bool(self.failures) and not self.existed))


def token_secret_name(event: str) -> str:
    """The Secret holding a webhook event's token (key ``token``)."""
    return f"{event}-webhook-token"


def event_teams(event: Obj) -> list[str]:
    """Index: ``namespace/team`` of every team the event targets or watches."""
    meta = event["metadata"]
    spec = event.get("spec") or {}
    names = {t.get("team") or t.get("pipeline") for t in spec.get("targets") or () if isinstance(t, dict)}
    watched = (spec.get("source") or {}).get("teamOutput") or {}
    names.add(watched.get("name"))
    return sorted(f"{meta['namespace']}/{n}" for n in names if isinstance(n, str) and n)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    path = ".".join(str(p) for p in error["loc"])
    return f"spec.{path}: {error['msg']}" if path else error["msg"]


def _time(value: object) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.datetime.fromisoformat(value).astimezone(datetime.UTC)


def _invalid_cron(schedule: str, reason: str) -> str:
    return f"spec.source.cron: {schedule!r} is not a schedule: {reason}"


def _phase_changed(old: Obj, new: Obj) -> bool:
    return old is new or (old.get("status") or {}).get("phase") != (new.get("status") or {}).get("phase")


class EventReconciler:
    """Fires an event's runs and keeps its status; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        *,
        events: Cache,
        teams: Cache,
        runs: Cache,
        secrets: Cache,
        recorder: EventRecorder,
        trigger_webhook_url: str | None = None,
        now: Now = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self.client = client
        self.events = events
        self.teams = teams
        self.runs = runs
        self.secrets = secrets
        self.recorder = recorder
        self.trigger_webhook_url = trigger_webhook_url
        self.now = now
        self._written: dict[str, tuple[str, Obj]] = {}
        # Cron times skipped under Forbid. A restart forgets them, and then such a fire happens
        # late, once (D64).
        self._skipped: dict[str, datetime.datetime] = {}
        # Upstream runs a team-output event has fired for or skipped (the durable watermark is
        # lastFiredAt, the completion time of the last upstream run fired for; D65).
        self._handled: dict[str, set[str]] = {}

    async def reconcile(self, key: str) -> Result | None:
        """Fire what is due for event ``key`` and bring its status up to date."""
        namespace, name = split_key(key)
        assert namespace is not None
        event = self.events.get(namespace, name)
        if event is None or event["metadata"].get("deletionTimestamp"):
            self._written.pop(key, None)
            self._skipped.pop(key, None)
            self._handled.pop(key, None)
            return None  # the garbage collector removes its runs and token Secret
        current = self._current(key, event)
        status: Obj = {
            k: v
            for k, v in current.items()
            if k in ("lastFiredAt", "firedCount", "conditions") and v is not None
        }
        status["conditions"] = copy.deepcopy(status.get("conditions") or [])
        status["observedGeneration"] = int(event["metadata"].get("generation") or 1)
        try:
            spec = ArkEventSpec.model_validate(event.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            self._ready(status, "False", "InvalidSpec", _first_error(exc))
            await self._write_status(key, event, current, status)
            return None
        problem = self._spec_problem(event, spec)
        if problem is not None:
            self._ready(status, "False", *problem)
            await self._write_status(key, event, current, status)
            return None
        result: Result | None = None
        if spec.suspended:
            self._ready(status, "False", "Suspended", "spec.suspended is true: the event does not fire")
            if spec.source.type == "webhook":
                await self._ensure_token(event)
                self._set_url(status, event)
        elif spec.source.type == "cron":
            result = await self._cron(key, event, spec, status)
        elif spec.source.type == "team-output":
            await self._team_output(key, event, spec, status)
        else:
            await self._ensure_token(event)
            url = self._set_url(status, event)
            message = f"POST {url}" if url else "the operator has no --trigger-webhook-url; no URL to show"
            self._ready(status, "True", "WebhookReady", message)
        await self._write_status(key, event, current, status)
        return result

    def _spec_problem(self, event: Obj, spec: ArkEventSpec) -> tuple[str, str] | None:
        """(reason, message naming the field) of what keeps a parsed spec from working: a cycle
        of team-output events, a bad schedule, or an error ``ark validate`` reports (D180)."""
        if spec.source.type == "team-output":
            namespace = event["metadata"]["namespace"]
            cycle = cycle_through(event["metadata"]["name"], links(self.events.in_namespace(namespace)))
            if cycle is not None:
                index = next(i for i, t in enumerate(spec.targets) if t.team == cycle[0].to)
                message = f"spec.targets[{index}].team: team-output events form a cycle: {spell_cycle(cycle)}"
                return "TeamOutputCycle", message
        if spec.source.type == "cron":
            # croniter alone would take six fields (seconds), which ark validate refuses.
            problem = cron_problem(spec.source.cron or "")
            if problem is not None:
                return "InvalidCron", _invalid_cron(spec.source.cron or "", problem[0])
        report = Report()
        check_event_spec(report, spec)
        found = errors(report.issues)
        return ("InvalidSpec", f"{found[0].location}: {found[0].message}") if found else None

    # ------------------------------------------------------------------ sources

    async def _cron(self, key: str, event: Obj, spec: ArkEventSpec, status: Obj) -> Result | None:
        schedule = spec.source.cron or ""
        now = self.now()
        since = _time(status.get("lastFiredAt")) or _time(event["metadata"].get("creationTimestamp")) or now
        skipped = self._skipped.get(key)
        if skipped is not None and skipped > since:
            since = skipped
        created = _time(event["metadata"].get("creationTimestamp"))  # @every counts from it (D116)
        try:
            timing = cron_timing(schedule, since, now, anchor=created)
        except ValueError as exc:
            self._ready(status, "False", "InvalidCron", _invalid_cron(schedule, str(exc)))
            return None
        if timing.due is not None:
            fired_at = format_time(timing.due)
            fire = await self._fire(
                event, spec, fired_at, {"name": event["metadata"]["name"], "firedAt": fired_at}, "cron"
            )
            if fire.skipped:
                self._skipped[key] = timing.due
            self._record(status, fire, fired_at)
        status["nextFireAt"] = format_time(timing.next)
        self._ready(status, "True", "Active", f"next fire at {status['nextFireAt']}")
        delay = (timing.next - self.now()).total_seconds()
        return Result(requeue_after=max(delay, 0.0) + REQUEUE_MARGIN_SECONDS)

    async def _team_output(self, key: str, event: Obj, spec: ArkEventSpec, status: Obj) -> None:
        source = spec.source.team_output
        assert source is not None  # the model requires it for this type
        namespace = event["metadata"]["namespace"]
        if self.teams.get(namespace, source.name) is None:
            message = f'spec.source.teamOutput.name: ArkTeam "{source.name}" does not exist'
            self._ready(status, "False", "PipelineNotFound", message)
            return
        watermark = _time(status.get("lastFiredAt")) or _time(event["metadata"].get("creationTimestamp"))
        phases = TERMINAL if source.on_phase == "*" else (source.on_phase,)
        handled = self._handled.setdefault(key, set())
        completed = []
        for run in self.runs.by_index(LABEL_INDEX, f"{TEAM_LABEL}={label_value(source.name)}"):
            run_status = run.get("status") or {}
            finished = _time(run_status.get("completionTime"))
            if (
                run["metadata"].get("namespace") == namespace
                and ((run.get("spec") or {}).get("teamRef") or {}).get("name") == source.name
                and run_status.get("phase") in phases
                and finished is not None
                and run["metadata"]["name"] not in handled
                and (watermark is None or finished >= watermark)
            ):
                completed.append((finished, run))
        for finished, run in sorted(completed, key=lambda pair: (pair[0], pair[1]["metadata"]["name"])):
            depth = chain_depth(run) + 1
            handled.add(run["metadata"]["name"])
            if depth > MAX_CHAIN_DEPTH:
                self._refuse_deep(event, status, run["metadata"]["name"], format_time(finished))
                continue
            trigger = {
                "name": event["metadata"]["name"],
                "firedAt": format_time(self.now()),
                "output": (run.get("status") or {}).get("output") or "",
            }
            fire = await self._fire(event, spec, run["metadata"]["name"], trigger, "team-output", depth)
            self._record(status, fire, format_time(finished))
        self._ready(
            status, "True", "Watching", f'fires when a run of ArkTeam "{source.name}" ends {source.on_phase}'
        )

    # ------------------------------------------------------------------ firing

    async def _fire(
        self,
        event: Obj,
        spec: ArkEventSpec,
        fire_key: str,
        trigger: Mapping[str, Any],
        trigger_type: TriggerType,
        depth: int = 0,
    ) -> Fire:
        meta = event["metadata"]
        namespace = meta["namespace"]
        names = [fire_run_name(meta["name"], fire_key, i) for i in range(len(spec.targets))]
        fire = Fire(existed=sum(self.runs.get(namespace, n) is not None for n in names))
        if fire.existed == len(names):
            return fire  # fired before
        if spec.concurrency_policy == "Forbid" and not fire.existed:
            active = running(self.runs.by_index(OWNER_UID_INDEX, meta["uid"]))
            if active:
                fire.skipped = True
                self.recorder.normal(
                    event,
                    "FireSkipped",
                    f"concurrencyPolicy Forbid: skipped a fire while {', '.join(active)} runs",
                )
                return fire
        for index, target in enumerate(spec.targets):
            team = self.teams.get(namespace, target.team)
            if team is None:
                fire.failures.append(f'targets[{index}]: ArkTeam "{target.team}" does not exist')
                continue
            try:
                body = target_run(
                    event, team, index, fire_key, target.input or {}, trigger, trigger_type, depth
                )
            except (TargetInputError, InputError) as exc:
                fire.failures.append(f"targets[{index}] ({target.team}): {exc}")
                continue
            try:
                await self.client.create(ARK_RUNS, body)
            except AlreadyExists:
                fire.existed += 1
                continue
            fire.created.append(names[index])
        if fire.created:
            self.recorder.normal(event, "Fired", f"created ArkRun {', '.join(fire.created)}")
        if fire.failures:
            self.recorder.warning(event, "FireFailed", "; ".join(fire.failures))
        return fire

    def _refuse_deep(self, event: Obj, status: Obj, upstream: str, finished: str) -> None:
        # Moving the watermark keeps a restart from weighing the same run again (D119).
        status["lastFiredAt"] = finished
        message = (
            f"ArkRun {upstream} is {MAX_CHAIN_DEPTH} team-output fires deep "
            f"(annotation {DEPTH_ANNOTATION}): not firing, the chain may be a loop"
        )
        set_condition(status["conditions"], FIRED, "False", "ChainTooDeep", message)
        self.recorder.warning(event, "ChainTooDeep", message)

    @staticmethod
    def _record(status: Obj, fire: Fire, fired_at: str) -> None:
        if not fire.new:
            return
        status["lastFiredAt"] = fired_at
        status["firedCount"] = int(status.get("firedCount") or 0) + 1
        if fire.failures:
            set_condition(status["conditions"], FIRED, "False", "TargetFailed", "; ".join(fire.failures))
        else:
            set_condition(
                status["conditions"], FIRED, "True", "RunsCreated", f"created {', '.join(fire.created)}"
            )

    # ------------------------------------------------------------------ webhook

    async def _ensure_token(self, event: Obj) -> None:
        meta = event["metadata"]
        name = token_secret_name(meta["name"])
        if self.secrets.get(meta["namespace"], name) is not None:
            return
        token = secrets.token_hex(TOKEN_BYTES)
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": {MANAGED_BY_LABEL: MANAGED_BY},
                "ownerReferences": [event_owner_reference(event)],
            },
            "data": {TOKEN_KEY: base64.b64encode(token.encode()).decode()},
        }
        try:
            await self.client.create(SECRETS, body)
        except AlreadyExists:
            return  # another replica (or a previous reconcile) made it
        self.recorder.normal(event, "CreatedToken", f"created Secret {name} (key {TOKEN_KEY})")

    def _set_url(self, status: Obj, event: Obj) -> str | None:
        meta = event["metadata"]
        url = webhook_url(self.trigger_webhook_url, meta["namespace"], meta["name"])
        if url is not None:
            status["webhookURL"] = url
        return url

    # ------------------------------------------------------------------ status

    @staticmethod
    def _ready(status: Obj, value: str, reason: str, message: str) -> None:
        set_condition(
            status["conditions"],
            READY,
            value,
            reason,
            message,
            observed_generation=status["observedGeneration"],
        )

    def _current(self, key: str, event: Obj) -> Obj:
        written = self._written.get(key)
        if written is not None and written[0] == event["metadata"].get("resourceVersion"):
            return written[1]  # the cache has not caught up with our last write yet
        return dict(event.get("status") or {})

    async def _write_status(self, key: str, event: Obj, current: Obj, status: Obj) -> None:
        if status == current:
            return
        meta = event["metadata"]
        before = get_condition(current.get("conditions"), READY) or {}
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkEvent",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "status": status,
        }
        try:
            await self.client.apply(
                ARK_EVENTS, body, field_manager=FIELD_MANAGER, force=True, subresource="status"
            )
        except NotFound:
            return
        self._written[key] = (str(meta.get("resourceVersion")), status)
        after = get_condition(status["conditions"], READY) or {}
        if after.get("status") == "False" and after.get("reason") != before.get("reason"):
            self.recorder.warning(event, str(after["reason"]), str(after.get("message", "")))


def setup_event_controller(manager: Manager, options: EventOptions) -> tuple[Controller, EventReconciler]:
    """Create the caches, indexes and controller for ArkEvents and add them to ``manager``."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    events = Cache(factory, ARK_EVENTS, namespaces)
    events.add_indexers({TEAM_INDEX: event_teams})
    teams = Cache(factory, ARK_TEAMS, namespaces)
    runs = Cache(factory, ARK_RUNS, namespaces)
    # Shared with the agent controller; read from the cache, so the operator needs no ``get``.
    secrets_cache = Cache(factory, SECRETS, namespaces)
    reconciler = EventReconciler(
        manager.client,
        events=events,
        teams=teams,
        runs=runs,
        secrets=secrets_cache,
        recorder=manager.event_recorder(FIELD_MANAGER),
        trigger_webhook_url=options.trigger_webhook_url,
    )
    controller = Controller(
        "arkevent", reconciler.reconcile, workers=options.workers, metrics=manager.metrics
    )

    def by_team(obj: Obj) -> list[str]:
        meta = obj["metadata"]
        return events.index_keys(TEAM_INDEX, f"{meta.get('namespace')}/{meta['name']}")

    def by_run_team(obj: Obj) -> list[str]:
        team = ((obj.get("spec") or {}).get("teamRef") or {}).get("name")
        return events.index_keys(TEAM_INDEX, f"{obj['metadata'].get('namespace')}/{team}") if team else []

    def team_output_peers(obj: Obj) -> list[str]:
        # An event appearing, changing or going may close or open a cycle through any other
        # team-output event of its namespace.
        namespace = obj["metadata"].get("namespace") or ""
        return sorted({f"{namespace}/{link.event}" for link in links(events.in_namespace(namespace))})

    for informer in events.informers.values():
        controller.watch(informer, update_filter=generation_changed)
        controller.watch_mapped(
            informer, team_output_peers, update_filter=generation_changed, map_old_on_update=True
        )
    for informer in teams.informers.values():
        # A target or watched team appearing (or going) changes what a fire can do.
        controller.watch_mapped(informer, by_team, update_filter=lambda old, new: old is new)
    for informer in runs.informers.values():
        # Upstream runs finishing fire team-output events; own runs finishing lift a Forbid.
        controller.watch_mapped(informer, by_run_team, update_filter=_phase_changed)
        controller.watch_owned(informer, ARK_EVENTS, update_filter=_phase_changed)
    for informer in secrets_cache.informers.values():
        # A deleted token Secret is made again.
        controller.watch_owned(informer, ARK_EVENTS, update_filter=lambda old, new: old is new)
    manager.add_controller(controller)
    return controller, reconciler
