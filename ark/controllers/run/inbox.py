"""The results consumer: the operator leader's side of ``ark:results:{ns}`` (architecture §4).

One blocking XREADGROUP (group ``operator``, consumer ``operator``) over the results streams of
every namespace that has ArkRuns, so results arrive the moment an agent writes them; nothing
polls. Each entry is parsed (a :class:`~ark_runtime.protocol.Result` or a
:class:`~ark_runtime.protocol.DelegationRequest`), routed by its ``run`` (the ArkRun's uid) to
that run's mailbox, and the run's key is enqueued for its reconcile. An entry stays pending in
Redis until the reconcile that records it has written the ArkRun's status and acknowledges it
(:meth:`Inbox.ack_commands`). A garbage entry, or one for a run that does not exist, is logged
and acknowledged at once, so it never blocks anything else.

The consumer name is fixed: only the leader reads, so a new leader (or this process after a
restart) first re-reads what the previous one read but never acknowledged, then new entries. A
new namespace joins the blocking read at once (``CLIENT UNBLOCK`` of the reading connection).

Interface::

    inbox = Inbox(url, run_key_for_uid, notify=controller.enqueue)
    inbox.watch_namespace("team-a")          # its results stream joins the read
    await inbox.run()                        # leader-only runnable, until cancelled
    entries = inbox.take(key); inbox.give_back(key, entries)
    Inbox.ack_commands(pipe, entries)        # XACK + XDEL, in the caller's pipeline
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from ark_runtime.protocol import RESULTS_GROUP, Message, ProtocolError, parse_message, results_stream
from ark_runtime.queue.connection import Backoff, ensure_group, is_nogroup, is_outage, stream_entries

log = logging.getLogger(__name__)

CONSUMER = "operator"
BLOCK_MS = 5000
BATCH = 50
"""Entries per read: with results of up to the result cap each, what one read may hold."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One message read from a results stream, until its reconcile acknowledges it."""

    stream: str
    entry_id: str
    message: Message


class Inbox:
    """Reads every watched results stream and hands each entry to its run's mailbox."""

    def __init__(
        self,
        url: str,
        key_for_uid: Callable[[str], str | None],
        notify: Callable[[str], None],
        *,
        block_ms: int = BLOCK_MS,
    ) -> None:
        # One connection that only blocks on XREADGROUP, so CLIENT UNBLOCK can wake exactly it.
        self._reader = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            single_connection_client=True,
            socket_connect_timeout=5.0,
            socket_timeout=block_ms / 1000 + 10,
        )
        self._control = aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5.0)
        self._key_for_uid = key_for_uid
        self._notify = notify
        self._block_ms = block_ms
        self._streams: set[str] = set()
        self._fresh: set[str] = set()
        self._reader_id: int | None = None
        self._mail: dict[str, list[Entry]] = {}
        self._any_stream = asyncio.Event()
        self.connected = False

    # ------------------------------------------------------------------ membership

    def watch_namespace(self, namespace: str) -> None:
        """Read ``namespace``'s results stream from now on (a no-op when already read)."""
        stream = results_stream(namespace)
        if stream in self._streams:
            return
        self._streams.add(stream)
        self._fresh.add(stream)
        self._any_stream.set()
        if self._reader_id is not None:
            asyncio.get_running_loop().create_task(self._wake(self._reader_id))

    async def _wake(self, client_id: int) -> None:
        with contextlib.suppress(Exception):  # at worst the read returns at its BLOCK timeout
            await self._control.client_unblock(client_id)

    # ------------------------------------------------------------------ mailboxes

    def take(self, key: str) -> list[Entry]:
        """Everything waiting for run ``key`` (the caller acknowledges or gives it back)."""
        return self._mail.pop(key, [])

    def give_back(self, key: str, entries: Sequence[Entry]) -> None:
        """Return entries a reconcile could not record; they come first next time."""
        if entries:
            self._mail[key] = [*entries, *self._mail.get(key, [])]

    def pending(self) -> int:
        """Entries read but not yet taken by a reconcile."""
        return sum(len(entries) for entries in self._mail.values())

    @staticmethod
    def ack_commands(pipe: Any, entries: Iterable[Entry | tuple[str, str]]) -> None:
        """Queue XACK and XDEL of ``entries`` (or ``(stream, entry_id)`` pairs) on a Redis pipeline;
        processed entries leave the stream."""
        by_stream: dict[str, list[str]] = {}
        for entry in entries:
            stream, entry_id = (entry.stream, entry.entry_id) if isinstance(entry, Entry) else entry
            by_stream.setdefault(stream, []).append(entry_id)
        for stream, ids in by_stream.items():
            pipe.xack(stream, RESULTS_GROUP, *ids)
            pipe.xdel(stream, *ids)

    # ------------------------------------------------------------------ reading

    async def run(self) -> None:
        """Read until cancelled, riding out Redis outages with backoff."""
        backoff = Backoff()
        try:
            while True:
                try:
                    await self._read_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not (is_outage(exc) or is_nogroup(exc)):
                        raise
                    self._reader_id = None
                    self._fresh |= self._streams  # the groups may be gone too (Redis lost its data)
                    if self.connected:
                        log.warning(
                            "task queue unreachable; results wait in Redis", extra={"error": str(exc)}
                        )
                    self.connected = False
                    await backoff.wait()
                    continue
                if not self.connected:
                    log.info("reading results", extra={"streams": len(self._streams)})
                self.connected = True
                backoff.reset()
        finally:
            with contextlib.suppress(Exception):
                await self._reader.aclose()
            with contextlib.suppress(Exception):
                await self._control.aclose()

    async def _read_once(self) -> None:
        if self._reader_id is None:
            self._reader_id = int(await self._reader.client_id())
        for stream in sorted(self._fresh):
            await ensure_group(self._control, stream, RESULTS_GROUP)
            await self._drain_history(stream)
            self._fresh.discard(stream)
        if not self._streams:
            await self._any_stream.wait()  # nothing to read until a namespace has runs
            return
        response = await self._reader.xreadgroup(
            RESULTS_GROUP,
            CONSUMER,
            dict.fromkeys(sorted(self._streams), ">"),
            count=BATCH,
            block=self._block_ms,
        )
        self._deliver(_per_stream(response))

    async def _drain_history(self, stream: str) -> None:
        """Entries this consumer read before (a crash, a previous leader) but never acknowledged."""
        cursor = "0"
        while True:
            response = await self._reader.xreadgroup(RESULTS_GROUP, CONSUMER, {stream: cursor}, count=BATCH)
            batch = _per_stream(response)
            if not batch:
                return
            self._deliver(batch)
            cursor = batch[-1][1]

    def _deliver(self, batch: list[tuple[str, str, dict[str, str]]]) -> None:
        garbage: list[tuple[str, str]] = []
        for stream, entry_id, fields in batch:
            try:
                message = parse_message(fields)
            except ProtocolError as exc:
                log.warning(
                    "ignoring a malformed entry on the results stream",
                    extra={
                        "stream": stream,
                        "entry": entry_id,
                        "error": str(exc),
                        "fields": sorted(fields)[:20],
                    },
                )
                garbage.append((stream, entry_id))
                continue
            key = self._key_for_uid(message.run)
            if key is None:
                log.warning(
                    "ignoring a message for a run that does not exist",
                    extra={
                        "stream": stream,
                        "entry": entry_id,
                        "run_uid": message.run,
                        "task_id": message.id,
                    },
                )
                garbage.append((stream, entry_id))
                continue
            self._mail.setdefault(key, []).append(Entry(stream, entry_id, message))
            self._notify(key)
        if garbage:
            asyncio.get_running_loop().create_task(self._discard(garbage))

    async def _discard(self, entries: list[tuple[str, str]]) -> None:
        try:
            async with self._control.pipeline(transaction=False) as pipe:
                self.ack_commands(pipe, entries)
                await pipe.execute()
        except Exception as exc:  # still pending: read again after a restart, and dropped again
            log.warning("could not acknowledge ignored entries", extra={"error": str(exc)})


def _per_stream(response: Any) -> list[tuple[str, str, dict[str, str]]]:
    """``(stream, entry_id, fields)`` of an XREADGROUP reply over several streams."""
    if not response:
        return []
    items = response.items() if isinstance(response, dict) else response
    out: list[tuple[str, str, dict[str, str]]] = []
    for stream, batch in items:
        for entry_id, fields in stream_entries([(stream, batch)]):
            out.append((str(stream), entry_id, fields))
    return out
