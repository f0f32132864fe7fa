"""The ArkNotify controller: sends each run, budget and health event of the teams and agents that
refer to a policy (``spec.notifyRef``) once, to its channels.

One reconcile of an ArkNotify, reading from the informer caches:

1. parse the spec (``Ready=False/InvalidSpec``), the templates (``InvalidTemplate``) and read
   the channels' URLs and headers from Secrets (``SecretNotFound``, ``SecretKeyMissing``,
   ``InvalidURL``, ``InvalidSecret``); a policy that cannot send sends nothing and loses nothing:
   the events wait until it is fixed;
2. list the events of the teams and agents referring to it (:mod:`~.events`) that happened since
   the ArkNotify was created and are not in ``status.notified``;
3. per event, oldest first: no rule for it → only recorded; over the rate limit
   (:mod:`~.ratelimit`) → dropped and counted in ``suppressedCount``; else rendered
   (:mod:`~.render`) and POSTed to every channel with retries (:mod:`~.delivery`), counted in
   ``sentCount`` or ``failedCount`` (with ``Delivered=False/DeliveryFailed`` naming the channel
   and HTTP status, and a Warning Event);
4. the status is written after every delivery, so the record is durable before the next one.

Delivery is at least once (D132): a crash between a send and its status write sends that event
again on restart (with the same ``X-Ark-Notification-Id``). Runs never wait for this controller.

Interface::

    controller = setup_notify_controller(manager, NotifyOptions(namespaces, workers))
"""

from __future__ import annotations

import copy
import datetime
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import ValidationError

from ark.api import API_VERSION, ArkNotifySpec, NotifyPolicy
from ark.controllers.agent.references import data_changed
from ark.controllers.cache import Cache
from ark.controllers.notify import delivery
from ark.controllers.notify.channels import ChannelError, Target, notification_id, payload, resolve
from ark.controllers.notify.delivery import RetryPolicy
from ark.controllers.notify.events import (
    Occurrence,
    agent_occurrences,
    parse_time,
    rule_for,
    run_occurrence,
    since,
    team_occurrences,
)
from ark.controllers.notify.ratelimit import admit, open_windows
from ark.controllers.notify.render import check_templates, context, render, template_fields
from ark.controllers.resources import ARK, ARK_AGENTS, ARK_RUNS, ARK_TEAMS, FIELD_MANAGER
from ark.flow.template import TemplateError
from ark.kube.client import KubeClient, NotFound
from ark.kube.conditions import set_condition
from ark.kube.controller import Controller, Result, generation_changed
from ark.kube.events import EventRecorder, format_time
from ark.kube.manager import Manager
from ark.kube.resources import SECRETS
from ark.kube.store import LABEL_INDEX, split_key
from ark.runs.create import TEAM_LABEL, label_value

Obj = dict[str, Any]
Now = Callable[[], datetime.datetime]
log = logging.getLogger(__name__)

ARK_NOTIFIES = ARK["ArkNotify"]
REF_INDEX = "notify-ref"
READY = "Ready"
DELIVERED = "Delivered"
OWNED = (
    "sentCount",
    "suppressedCount",
    "failedCount",
    "notified",
    "rateLimitWindows",
    "lastSentAt",
    "conditions",
)


@dataclass(frozen=True)
class NotifyOptions:
    """How the ArkNotify controller runs."""

    namespaces: Sequence[str] = ()
    """Namespaces to watch; empty means all."""
    workers: int = 2
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def notify_ref(obj: Obj) -> list[str]:
    """Index: ``namespace/notify`` of the ArkNotify a team or agent refers to."""
    ref = (obj.get("spec") or {}).get("notifyRef") or {}
    name = ref.get("name") if isinstance(ref, dict) else None
    return [f"{obj['metadata'].get('namespace')}/{name}"] if isinstance(name, str) and name else []


def secret_names(notify: Obj) -> set[str]:
    """Names of every Secret an ArkNotify's raw spec refers to (to map Secret changes)."""
    spec = notify.get("spec") or {}
    channels = [spec.get("channel"), *(spec.get("channels") or ())]
    names: set[str] = set()
    for channel in channels:
        if not isinstance(channel, dict):
            continue
        slack = channel.get("slack") or {}
        hook = channel.get("webhook") or {}
        refs = [slack.get("webhookUrlSecretRef"), slack.get("webhookURLFrom"), hook.get("urlFrom")]
        refs += [h.get("valueFrom") for h in hook.get("headers") or () if isinstance(h, dict)]
        names.update(r["name"] for r in refs if isinstance(r, dict) and isinstance(r.get("name"), str))
    return names


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    path = ".".join(str(p) for p in error["loc"])
    return f"spec.{path}: {error['msg']}" if path else error["msg"]


class NotifyReconciler:
    """Sends a policy's pending events; see the module docstring."""

    def __init__(
        self,
        client: KubeClient,
        *,
        notifies: Cache,
        teams: Cache,
        agents: Cache,
        runs: Cache,
        secrets: Cache,
        recorder: EventRecorder,
        retry: RetryPolicy | None = None,
        now: Now = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self.client = client
        self.notifies = notifies
        self.teams = teams
        self.agents = agents
        self.runs = runs
        self.secrets = secrets
        self.recorder = recorder
        self.retry = retry or RetryPolicy()
        self.now = now
        self._written: dict[str, tuple[str, Obj]] = {}

    async def reconcile(self, key: str) -> Result | None:
        """Send what ArkNotify ``key`` has not sent yet and bring its status up to date."""
        namespace, name = split_key(key)
        assert namespace is not None
        notify = self.notifies.get(namespace, name)
        if notify is None or notify["metadata"].get("deletionTimestamp"):
            self._written.pop(key, None)
            return None
        current = self._current(key, notify)
        status: Obj = {k: copy.deepcopy(current[k]) for k in OWNED if current.get(k) is not None}
        status.setdefault("conditions", [])
        status["observedGeneration"] = int(notify["metadata"].get("generation") or 1)
        targets = self._targets(notify, namespace, status)
        if targets is not None:
            policy, channels = targets
            pending = self._pending(notify, policy, status)
            if pending:
                async with delivery.client() as http:
                    for occurrence in pending:
                        if await self._handle(notify, policy, channels, occurrence, status, http):
                            # Recorded before the next send: a crash repeats at most this one.
                            await self._write_status(key, notify, status)
        await self._write_status(key, notify, status)
        return None

    # ------------------------------------------------------------------ what to send, and where

    def _targets(self, notify: Obj, namespace: str, status: Obj) -> tuple[NotifyPolicy, list[Target]] | None:
        try:
            spec = ArkNotifySpec.model_validate(notify.get("spec") or {}, by_alias=True, by_name=False)
        except ValidationError as exc:
            self._ready(status, "False", "InvalidSpec", _first_error(exc))
            return None
        policy = spec.normalized()
        problem = check_templates(template_fields(spec.form, policy.events, policy.channels))
        if problem is not None:
            self._ready(status, "False", "InvalidTemplate", str(problem))
            return None
        try:
            channels = [
                resolve(spec.form, i, channel, lambda secret: self.secrets.get(namespace, secret))
                for i, channel in enumerate(policy.channels)
            ]
        except ChannelError as exc:
            self._ready(status, "False", exc.reason, str(exc))
            return None
        teams = self.teams.index_keys(REF_INDEX, f"{namespace}/{notify['metadata']['name']}")
        agents = self.agents.index_keys(REF_INDEX, f"{namespace}/{notify['metadata']['name']}")
        sends = ", ".join(t.label for t in channels)
        self._ready(
            status,
            "True",
            "Active",
            f"sends to {sends}; referred to by {len(teams)} ArkTeams and {len(agents)} ArkAgents",
        )
        return policy, channels

    def _occurrences(self, notify: Obj) -> list[Occurrence]:
        meta = notify["metadata"]
        namespace = meta["namespace"]
        found: list[Occurrence] = []
        for team in self.teams.by_index(REF_INDEX, f"{namespace}/{meta['name']}"):
            name = team["metadata"]["name"]
            found += team_occurrences(team)
            for run in self.runs.by_index(LABEL_INDEX, f"{TEAM_LABEL}={label_value(name)}"):
                if (
                    run["metadata"].get("namespace") == namespace
                    and ((run.get("spec") or {}).get("teamRef") or {}).get("name") == name
                ):
                    occurrence = run_occurrence(run, team)
                    if occurrence is not None:
                        found.append(occurrence)
        for agent in self.agents.by_index(REF_INDEX, f"{namespace}/{meta['name']}"):
            found += agent_occurrences(agent)
        return found

    def _pending(self, notify: Obj, policy: NotifyPolicy, status: Obj) -> list[Occurrence]:
        occurrences = self._occurrences(notify)
        namespace = notify["metadata"]["namespace"]
        # Keys of events that can no longer happen again (a run deleted, a condition moved on)
        # leave the record, so it stays bounded. Whether a team still refers to the policy does
        # not matter: a notifyRef removed and put back must not replay its runs.
        notified = [k for k in status.get("notified") or () if self._visible(namespace, k)]
        status["notified"] = notified
        windows = open_windows(status.get("rateLimitWindows") or [], policy.rate_limiting, self.now())
        status["rateLimitWindows"] = windows
        done = set(notified)
        created = parse_time(notify["metadata"].get("creationTimestamp"))
        return [o for o in since(occurrences, created) if o.key not in done]

    def _visible(self, namespace: str, key: str) -> bool:
        kind, _, rest = key.partition("/")
        name, _, detail = rest.partition("/")
        if kind == "ArkRun":
            run = self.runs.get(namespace, name)
            return run is not None and run["metadata"].get("uid", "") == detail
        if kind == "ArkTeam":
            team = self.teams.get(namespace, name)
            return team is not None and key in {o.key for o in team_occurrences(team)}
        if kind == "ArkAgent":
            agent = self.agents.get(namespace, name)
            return agent is not None and key in {o.key for o in agent_occurrences(agent)}
        return False

    # ------------------------------------------------------------------ one event

    async def _handle(
        self,
        notify: Obj,
        policy: NotifyPolicy,
        channels: list[Target],
        occurrence: Occurrence,
        status: Obj,
        http: httpx.AsyncClient,
    ) -> bool:
        """Send, drop or skip ``occurrence``, recording it in ``status``; True when it was sent."""
        status["notified"].append(occurrence.key)
        rule = rule_for(policy, occurrence)
        if rule is None:
            return False  # recorded, so that adding a rule later does not replay old events
        now = self.now()
        decision = admit(
            status["rateLimitWindows"], occurrence.rate_key, occurrence.type, policy.rate_limiting, now
        )
        status["rateLimitWindows"] = decision.windows
        if not decision.send:
            status["suppressedCount"] = int(status.get("suppressedCount") or 0) + 1
            return False
        data = context(occurrence)
        try:
            message = render(rule.template, data)
        except TemplateError as exc:
            message = occurrence.message
            self.recorder.warning(
                notify, "TemplateError", f"{occurrence.type} template: {exc}; sent the default"
            )
        failures: list[str] = []
        sent = False
        for target in channels:
            outcome = await delivery.post(
                http,
                target,
                payload(
                    target,
                    occurrence,
                    notify["metadata"]["namespace"],
                    message,
                    self._body(target, data, message),
                ),
                notification_id(occurrence),
                self.retry,
            )
            if outcome.delivered:
                sent = True
            else:
                failures.append(f"{target.label}: {outcome.describe()}")
        what = f"{occurrence.type} of {occurrence.rate_key}"
        if sent:
            status["sentCount"] = int(status.get("sentCount") or 0) + 1
            status["lastSentAt"] = format_time(now)
        if failures:
            status["failedCount"] = int(status.get("failedCount") or 0) + 1
            message = f"{what} not delivered: {'; '.join(failures)}"
            self._delivered(status, "False", "DeliveryFailed", message)
            self.recorder.warning(notify, "DeliveryFailed", message)
        else:
            self._delivered(status, "True", "Sent", f"{what} sent to {', '.join(t.label for t in channels)}")
        return True

    def _body(self, target: Target, data: Obj, message: str) -> str | None:
        if target.template is None:
            return None
        try:
            return render(target.template, {**data, "Message": message})
        except TemplateError:
            return None  # the default JSON body still says what happened

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

    @staticmethod
    def _delivered(status: Obj, value: str, reason: str, message: str) -> None:
        set_condition(
            status["conditions"],
            DELIVERED,
            value,
            reason,
            message,
            observed_generation=status["observedGeneration"],
        )

    def _current(self, key: str, notify: Obj) -> Obj:
        written = self._written.get(key)
        if written is not None and not caught_up(notify["metadata"].get("resourceVersion"), written[0]):
            # The cache has not reached our last write yet (it may hold an earlier one of ours):
            # reading it would forget what was just sent, and send it again.
            return copy.deepcopy(written[1])
        return dict(notify.get("status") or {})

    async def _write_status(self, key: str, notify: Obj, status: Obj) -> None:
        current = self._current(key, notify)
        if {k: current.get(k) for k in (*OWNED, "observedGeneration")} == {
            k: status.get(k) for k in (*OWNED, "observedGeneration")
        }:
            return
        meta = notify["metadata"]
        body = {
            "apiVersion": API_VERSION,
            "kind": "ArkNotify",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "status": copy.deepcopy(status),
        }
        try:
            stored = await self.client.apply(
                ARK_NOTIFIES, body, field_manager=FIELD_MANAGER, force=True, subresource="status"
            )
        except NotFound:
            return
        self._written[key] = (str(stored["metadata"].get("resourceVersion")), copy.deepcopy(status))


def caught_up(cached: object, written: str) -> bool:
    """Whether the cached object is at or past the resourceVersion our last write returned.

    Resource versions are etcd revisions in practice; when they are not numbers, only the very
    same version counts as caught up.
    """
    if not isinstance(cached, str):
        return False
    if cached.isdigit() and written.isdigit():
        return int(cached) >= int(written)
    return cached == written


def _phase_changed(old: Obj, new: Obj) -> bool:
    return old is new or (old.get("status") or {}).get("phase") != (new.get("status") or {}).get("phase")


def _conditions_changed(old: Obj, new: Obj) -> bool:
    return (
        old is new
        or (old.get("status") or {}).get("conditions") != (new.get("status") or {}).get("conditions")
        or (old.get("spec") or {}).get("notifyRef") != (new.get("spec") or {}).get("notifyRef")
    )


def setup_notify_controller(manager: Manager, options: NotifyOptions) -> tuple[Controller, NotifyReconciler]:
    """Create the caches, indexes and controller for ArkNotifies and add them to ``manager``."""
    factory = manager.informers
    namespaces = list(options.namespaces)
    notifies = Cache(factory, ARK_NOTIFIES, namespaces)
    teams = Cache(factory, ARK_TEAMS, namespaces)
    agents = Cache(factory, ARK_AGENTS, namespaces)
    teams.add_indexers({REF_INDEX: notify_ref})
    agents.add_indexers({REF_INDEX: notify_ref})
    runs = Cache(factory, ARK_RUNS, namespaces)
    secrets = Cache(factory, SECRETS, namespaces)
    reconciler = NotifyReconciler(
        manager.client,
        notifies=notifies,
        teams=teams,
        agents=agents,
        runs=runs,
        secrets=secrets,
        recorder=manager.event_recorder(FIELD_MANAGER),
        retry=options.retry,
    )
    controller = Controller(
        "arknotify", reconciler.reconcile, workers=options.workers, metrics=manager.metrics
    )

    def by_run(run: Obj) -> list[str]:
        team_name = ((run.get("spec") or {}).get("teamRef") or {}).get("name")
        team = (
            teams.get(run["metadata"].get("namespace", ""), team_name) if isinstance(team_name, str) else None
        )
        return notify_ref(team) if team is not None else []

    def by_secret(secret: Obj) -> list[str]:
        meta = secret["metadata"]
        namespace = meta.get("namespace", "")
        return [
            f"{namespace}/{n['metadata']['name']}"
            for n in notifies.in_namespace(namespace)
            if meta.get("name") in secret_names(n)
        ]

    for informer in notifies.informers.values():
        controller.watch(informer, update_filter=generation_changed)
    for informer in [*teams.informers.values(), *agents.informers.values()]:
        controller.watch_mapped(
            informer, notify_ref, update_filter=_conditions_changed, map_old_on_update=True
        )
    for informer in runs.informers.values():
        controller.watch_mapped(informer, by_run, update_filter=_phase_changed)
    for informer in secrets.informers.values():
        controller.watch_mapped(informer, by_secret, update_filter=data_changed)
    manager.add_controller(controller)
    return controller, reconciler
