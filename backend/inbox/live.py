"""The live inbox: the changes of a branch's inbox sent to every open page of its supervisors, as server-sent events,
and to a page that was offline from its cursor (docs/inbox.md, "Live").

How a change travels:
1. A command is applied and committed (journal.registry.AFTER_COMMIT): the refresher wakes, and on PostgreSQL
   tells the other processes (NOTIFY), whose refreshers wake too. It also wakes every
   GIAMSAT_INBOX_REFRESH_SECONDS, for what no command changes (a deadline passing, a declaration received from the
   national system). It refreshes the branches with a stream open in this process, and those a listener asks for
   (the ones with push subscriptions): a branch nobody watches is not read; when a page opens again, its first
   refresh numbers everything that changed meanwhile, which is what a page that was offline needs.
2. A refresh of a branch reads its inbox through the providers, as a supervisor of that branch would, compares the
   items with the ones remembered (`InboxSeen`) and numbers each difference as an `InboxEvent` ("added" or
   "decided"). Refreshes of one branch never run at once: PostgreSQL holds an advisory lock per branch across the
   read and the write (so two processes number a change once); SQLite has one writer process.
3. The events are announced: in this process to the streams of that branch, and on PostgreSQL by NOTIFY (sent at
   commit) to the other processes, which wake their streams the same way.
4. A stream that wakes reads the events after its cursor, draws the items that appeared (in its reader's language)
   and sends one message: what appeared, what left, the totals. A page that was offline reconnects with its last
   event id (the browser's Last-Event-ID) and receives what it missed, not the whole inbox.

A stream ends after GIAMSAT_INBOX_STREAM_SECONDS and the browser reconnects from its cursor: the session is checked
again at every reconnection, so a revoked session stops receiving within that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar.response import ServerSentEventMessage
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from backend import db
from backend.inbox import services
from backend.inbox.registry import load_kinds
from backend.inbox.schemas import Inbox
from backend.inbox.tables import InboxEvent, InboxSeen
from backend.journal.registry import AFTER_COMMIT
from backend.lib import clock
from backend.lib.i18n import current_language
from backend.officers.schemas import Actor
from backend.officers.tables import Branch, Role
from backend.settings import Settings

logger = logging.getLogger("giamsat.inbox")

EVENTS_CHANNEL = "giamsat_inbox"  # payload "<branch id>:<last event id>"
HINT_CHANNEL = "giamsat_inbox_hint"  # payload: the sending process's id (something was applied there)

# Told of the items that appeared in a branch's inbox, after the refresh that numbered them committed, in the one
# process that numbered them: (settings, branch id, new items by kind, the branch's open items now). Web Push
# registers here (backend/push). A listener's failure is logged, never the refresher's.
NewItemsListener = Callable[[Settings, int, dict[str, int], int], Awaitable[Any]]
NEW_ITEMS_LISTENERS: list[NewItemsListener] = []

# Branches to refresh even when no page of theirs is open here (the ones with push subscriptions).
BranchSource = Callable[[], Awaitable[set[int]]]
BRANCH_SOURCES: list[BranchSource] = []


def item_key(kind: str, ref: str) -> str:
    return f"{kind}:{ref}"


def keys_of(inbox: Inbox) -> set[str]:
    return {item_key(item.kind, item.ref) for group in inbox.groups for item in group.items}


async def supervisor_of(branch_id: int) -> Actor | None:
    """A supervisor of the branch as the providers need one (they read by the actor's branch): the refresher's
    reading of a branch's inbox, which no person asked for."""
    branch = await Branch.select(Branch.code, Branch.name).where(Branch.id == branch_id).first()
    if branch is None:
        return None
    return Actor(
        id=0, code="", full_name="", role=Role.SUPERVISOR, branch_id=branch_id, branch_code=branch["code"], branch_name=branch["name"]
    )


@dataclass(eq=False)
class _Stream:
    branch_id: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Changes:
    """What a stream sends: the items that appeared (drawn), the keys of those that left, the totals after."""

    last: int
    added: list[dict[str, str]]
    removed: list[str]
    total: int
    counts: dict[str, int]


class LiveInbox:
    """One per app process: the refresher (a task), the streams open here, and on PostgreSQL a listening
    connection. Started and stopped with the app (app.py)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.options = settings.inbox
        self.streams: dict[int, set[_Stream]] = defaultdict(set)
        self.latest: dict[int, int] = {}  # branch -> the last event id known here
        self.hint = asyncio.Event()
        self.tell_others = False
        self.renderer: Callable[[str, dict[str, Any]], str] | None = None
        self.task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.listener: Any = None  # asyncpg connection, PostgreSQL only
        self.process_id = f"{os.getpid()}-{id(self)}"
        # Drawn messages, shared by the streams of a branch at the same cursor, in the same language.
        self._changes: OrderedDict[tuple[int, str, int, int], asyncio.Future[Changes]] = OrderedDict()
        self._inboxes: dict[tuple[int, str], tuple[int, asyncio.Future[Inbox]]] = {}
        self._prune_after = 0.0

    @property
    def postgres(self) -> bool:
        return isinstance(self.engine, PostgresEngine)

    # --- start, stop ---------------------------------------------------------------------------------------

    async def start(self, renderer: Callable[[str, dict[str, Any]], str] | None = None) -> None:
        if self.task is not None:
            return
        self.renderer = renderer
        self.loop = asyncio.get_running_loop()
        load_kinds()  # the domains' inbox modules, which may also add branch sources and new-items listeners
        AFTER_COMMIT.append(self._applied)
        if self.postgres:
            import asyncpg  # PostgreSQL's driver, present with Piccolo's PostgresEngine

            self.listener = await asyncpg.connect(dsn=self.settings.database.url)
            await self.listener.add_listener(EVENTS_CHANNEL, self._on_events)
            await self.listener.add_listener(HINT_CHANNEL, self._on_hint)
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            AFTER_COMMIT.remove(self._applied)
        if self.task is not None:
            task, self.task = self.task, None  # the refresher's loop and the streams end when they see it gone
            self.hint.set()
            task.cancel()
            # Not `await task`: a cancellation can be lost in Python 3.11 (asyncio.wait_for racing its timeout), and
            # the app's shutdown would wait forever (seen in CI); the loop also ends by itself at its next turn.
            await asyncio.wait({task}, timeout=10)
        if self.listener is not None:
            with contextlib.suppress(Exception):
                await self.listener.close()
            self.listener = None
        for streams in self.streams.values():
            for stream in streams:
                stream.wake.set()

    # --- what wakes the refresher ----------------------------------------------------------------------------

    def _applied(self, actor: Actor, outcomes: list[Any]) -> None:
        if not self.current():
            return
        self.tell_others = True
        # The journal tells every listener of the process in the applying task's loop; the hint is this loop's.
        try:
            same_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self.hint.set()
        elif self.loop is not None:
            self.loop.call_soon_threadsafe(self.hint.set)

    def _on_hint(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        if payload != self.process_id:
            self.hint.set()

    def _on_events(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            branch, last = (int(part) for part in payload.split(":", 1))
            self._announce(branch, last)

    def _announce(self, branch_id: int, last: int) -> None:
        if last > self.latest.get(branch_id, 0):
            self.latest[branch_id] = last
            for stream in self.streams.get(branch_id, ()):
                stream.wake.set()

    async def _run(self) -> None:
        this = asyncio.current_task()
        while self.task is this:
            await _woken(self.hint, self.options.refresh_seconds)
            if self.task is not this:
                return
            self.hint.clear()
            try:
                await self.refresh_due()
            except Exception:  # the database away, a provider's bug: logged, tried again at the next turn
                logger.exception("inbox refresh failed")
            # Commands arriving meanwhile are refreshed together at the next turn: at most one refresh of a branch
            # per tick, however many commands its officers send.
            await asyncio.sleep(self.options.tick_seconds)

    def current(self) -> bool:
        """Whether the tables are bound to this app's engine. One app runs in a process, except in tests that make
        a second app while the first still runs: the tables then point at the second one's engine (db.bind_engine),
        whose connections belong to another event loop, and the first app's refresher must not touch them."""
        return InboxEvent._meta.db is self.engine

    async def refresh_due(self) -> None:
        if not self.current():
            return
        branches = {branch for branch, streams in self.streams.items() if streams}
        for source in BRANCH_SOURCES:
            branches |= await source()
        if self.tell_others and self.postgres:
            self.tell_others = False
            await InboxEvent.raw("SELECT pg_notify({}, {})", HINT_CHANNEL, self.process_id)
        for branch_id in sorted(branches):
            await self.refresh(branch_id)
        await self._prune()

    # --- the refresh: the inbox now against the inbox remembered ----------------------------------------------

    async def refresh(self, branch_id: int) -> list[tuple[int, str, str]]:
        """Number the differences between the branch's inbox now and the one remembered; announce them.
        Answers the events written: (id, item key, change)."""
        actor = await supervisor_of(branch_id)
        if actor is None:
            return []
        if self.postgres:
            async with self.engine.transaction():
                await InboxEvent.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"inbox:{branch_id}")
                inbox = await services.inbox_for(actor, self.settings)
                events = await self._remember(branch_id, keys_of(inbox))
                if events:
                    await InboxEvent.raw("SELECT pg_notify({}, {})", EVENTS_CHANNEL, f"{branch_id}:{events[-1][0]}")
        else:
            # One process: this task is the only refresher, so reading before the write transaction is safe, and
            # the write lock is not held while the providers read.
            inbox = await services.inbox_for(actor, self.settings)
            async with db.write_transaction(self.engine):
                events = await self._remember(branch_id, keys_of(inbox))
        if events:
            self._announce(branch_id, events[-1][0])
            added: dict[str, int] = defaultdict(int)
            for _, key, change in events:
                if change == "added":
                    added[key.split(":", 1)[0]] += 1
            if added:
                for listener in NEW_ITEMS_LISTENERS:
                    asyncio.create_task(self._tell(listener, branch_id, dict(added), inbox.total))
        return events

    async def _tell(self, listener: NewItemsListener, branch_id: int, added: dict[str, int], total: int) -> None:
        try:
            await listener(self.settings, branch_id, added, total)
        except Exception:
            logger.exception("inbox new-items listener failed")

    async def _remember(self, branch_id: int, keys: set[str]) -> list[tuple[int, str, str]]:
        rows = await InboxSeen.select(InboxSeen.item_key).where(InboxSeen.branch_id == branch_id)
        seen = {row["item_key"] for row in rows}
        added, decided = sorted(keys - seen), sorted(seen - keys)
        if not added and not decided:
            return []
        now = clock.now()
        changes = [(key, "decided") for key in decided] + [(key, "added") for key in added]
        inserted = await InboxEvent.insert(
            *[InboxEvent(branch_id=branch_id, item_key=key, change=change, at=now) for key, change in changes]
        ).returning(InboxEvent.id)
        if decided:
            await InboxSeen.delete().where((InboxSeen.branch_id == branch_id) & InboxSeen.item_key.is_in(decided))
        if added:
            await InboxSeen.insert(*[InboxSeen(branch_id=branch_id, item_key=key) for key in added])
        ids = sorted(row["id"] for row in inserted)
        return [(event_id, key, change) for event_id, (key, change) in zip(ids, changes)]

    async def _prune(self) -> None:
        """Events older than GIAMSAT_INBOX_KEEP_DAYS go (at most once an hour); a cursor older than what is kept
        gets a reset."""
        now = asyncio.get_running_loop().time()
        if now < self._prune_after:
            return
        self._prune_after = now + 3600
        horizon = clock.now() - timedelta(days=self.options.keep_days)
        old = await InboxEvent.select(InboxEvent.id).where(InboxEvent.at < horizon).order_by(InboxEvent.id, ascending=False).first()
        if old is not None:
            await InboxEvent.delete().where(InboxEvent.id <= old["id"])

    async def _pruned_after(self, cursor: int) -> bool:
        """Whether events after `cursor` were deleted: the oldest kept is further on than the next one."""
        oldest = await InboxEvent.select(InboxEvent.id).order_by(InboxEvent.id).first()
        return oldest is not None and oldest["id"] > cursor + 1

    # --- the streams -----------------------------------------------------------------------------------------

    async def last_event(self, branch_id: int) -> int:
        row = await InboxEvent.select(InboxEvent.id).where(InboxEvent.branch_id == branch_id).order_by(InboxEvent.id, ascending=False).first()
        last = row["id"] if row else 0
        self._announce(branch_id, last)
        return max(last, self.latest.get(branch_id, 0))

    async def stream(self, actor: Actor, language: str, cursor: int) -> AsyncIterator[ServerSentEventMessage]:
        """The messages of one open page: at once what it missed after `cursor`, then each change as it comes,
        a comment now and then (so proxies keep the connection and a gone client is noticed), and the end after
        GIAMSAT_INBOX_STREAM_SECONDS (the browser reconnects from its last id)."""
        assert actor.branch_id is not None
        branch_id = actor.branch_id
        stream = _Stream(branch_id)
        self.streams[branch_id].add(stream)
        self.hint.set()  # a branch newly watched here is refreshed at once
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.options.stream_seconds
        try:
            # The reconnection delay the browser uses after the stream ends (milliseconds).
            yield ServerSentEventMessage(comment="giamsat inbox", retry=int(self.options.retry_seconds * 1000))
            last = await self.last_event(branch_id)
            if cursor > last or (cursor and await self._pruned_after(cursor)):
                # A cursor this server never gave (another database) or older than what is kept: the page reads
                # the inbox again and opens a new stream from the cursor that reading gives it.
                yield ServerSentEventMessage(event="reset", data="{}", id=str(last))
                return
            while self.task is not None:
                stream.wake.clear()
                last = self.latest.get(branch_id, last)
                if last > cursor:
                    changes = await self.changes(branch_id, language, cursor, last)
                    yield ServerSentEventMessage(event="changes", data=_json(changes), id=str(changes.last))
                    cursor = changes.last
                    continue
                left = ends - loop.time()
                if left <= 0:
                    return
                if not await _woken(stream.wake, min(left, self.options.keepalive_seconds)):
                    yield ServerSentEventMessage(comment="keep-alive")
        finally:
            self.streams[branch_id].discard(stream)

    async def changes(self, branch_id: int, language: str, after: int, upto: int) -> Changes:
        """The message for streams of a branch at cursor `after` in `language`, drawn once for all of them."""
        key = (branch_id, language, after, upto)
        future = self._changes.get(key)
        if future is None:
            future = self._changes[key] = asyncio.ensure_future(self._draw_changes(branch_id, language, after, upto))
            while len(self._changes) > 256:
                self._changes.popitem(last=False)
        try:
            return await asyncio.shield(future)
        except Exception:
            self._changes.pop(key, None)
            raise

    async def _draw_changes(self, branch_id: int, language: str, after: int, upto: int) -> Changes:
        rows = await InboxEvent.select(InboxEvent.id, InboxEvent.item_key, InboxEvent.change).where(
            (InboxEvent.branch_id == branch_id) & (InboxEvent.id > after) & (InboxEvent.id <= upto)
        ).order_by(InboxEvent.id)
        final: dict[str, str] = {}
        for row in rows:
            final[row["item_key"]] = row["change"]
        inbox = await self.inbox(branch_id, language, upto)
        present = {item_key(item.kind, item.ref): (group, item) for group in inbox.groups for item in group.items}
        added = []
        for key, change in final.items():
            if change == "added" and key in present:
                group, item = present[key]
                added.append({"key": key, "kind": group.kind, "html": self._draw("inbox/_item.html", language, item=item),
                              "group": self._draw("inbox/_group.html", language, group=group, items=[])})
        removed = [key for key, change in final.items() if change == "decided" or key not in present]
        return Changes(
            last=upto, added=added, removed=removed, total=inbox.total, counts={group.kind: len(group.items) for group in inbox.groups}
        )

    async def inbox(self, branch_id: int, language: str, upto: int) -> Inbox:
        """The branch's inbox in `language`, read once per announced change for all the streams that need it."""
        cached = self._inboxes.get((branch_id, language))
        if cached is None or cached[0] < upto:
            cached = (upto, asyncio.ensure_future(self._read_inbox(branch_id, language)))
            self._inboxes[(branch_id, language)] = cached
        try:
            return await asyncio.shield(cached[1])
        except Exception:
            self._inboxes.pop((branch_id, language), None)
            raise

    async def _read_inbox(self, branch_id: int, language: str) -> Inbox:
        actor = await supervisor_of(branch_id)
        token = current_language.set(language)
        try:
            return await services.inbox_for(actor, self.settings) if actor else Inbox(total=0, groups=[])
        finally:
            current_language.reset(token)

    def _draw(self, template: str, language: str, **context: Any) -> str:
        assert self.renderer is not None, "started without templates"
        token = current_language.set(language)
        try:
            return self.renderer(template, context)
        finally:
            current_language.reset(token)


async def _woken(event: asyncio.Event, timeout: float) -> bool:
    """Whether `event` was set within `timeout` seconds. asyncio.wait, not asyncio.wait_for: in Python 3.11 the
    latter can swallow a cancellation that races its timeout, and a task that should stop runs on."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        done, _ = await asyncio.wait({waiter}, timeout=timeout)
        return bool(done)
    finally:
        waiter.cancel()


def _json(changes: Changes) -> str:
    return json.dumps(
        {"last": changes.last, "added": changes.added, "removed": changes.removed, "total": changes.total, "counts": changes.counts},
        ensure_ascii=False,
    )
