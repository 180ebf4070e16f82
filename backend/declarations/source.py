"""Where declarations come from: the upstream customs system behind a `DeclarationSource`, and its health probe.

A live adapter (VNACCS / e-Customs through the customs gateway) implements `DeclarationSource`; the demo and the
tests use `FileSource`, a JSON file of items in the API's format. `probe_upstream` records when the source stops
answering and when it answers again (sync/upstream.py); it declares no contingency: a person does, asked to by the
supervisors' banner (docs/offline.md 6). `UpstreamProbe` runs it in every app process, every
GIAMSAT_UPSTREAM_PROBE_SECONDS, from the app's start to its shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any, Protocol

import msgspec

from backend.journal.envelope import CommandEnvelope
from backend.journal.registry import load_commands
from backend.journal.services import apply_commands
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.officers.schemas import Actor
from backend.officers.tables import Officer, Role
from backend.settings import Settings
from backend.sync import upstream
from backend.sync.upstream import UPSTREAM_CODE

UPSTREAM_NAME = "Hệ thống hải quan (tự động)"
DEVICE_ID = "upstream-probe"
# A health check that has not answered in this many seconds counts as no answer (at most the probe's interval).
HEALTH_TIMEOUT_SECONDS = 20.0

logger = logging.getLogger("giamsat.upstream")


class DeclarationSource(Protocol):
    """A connection to the upstream customs system."""

    async def fetch_changes(self, since: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Declarations changed since the cursor `since` (None: everything), as API items, and the next cursor."""
        ...

    async def health(self) -> bool:
        """Whether the upstream system answers now."""
        ...


class FileSource:
    """A JSON file (a list of API items) standing in for upstream; its cursor is the file's SHA-256, so a file that
    did not change has no changes. Healthy while the file exists and is a JSON list."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _read(self) -> tuple[bytes, list[dict[str, Any]]]:
        data = self.path.read_bytes()
        items = msgspec.json.decode(data)
        if not isinstance(items, list):
            raise ValueError(f"{self.path}: not a JSON list")
        return data, items

    async def fetch_changes(self, since: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """Every item of the file when it changed since the cursor, else none."""
        data, items = self._read()
        cursor = hashlib.sha256(data).hexdigest()
        return ([] if since == cursor else items), cursor

    async def health(self) -> bool:
        """The file exists and holds a JSON list."""
        try:
            self._read()
        except (OSError, ValueError, msgspec.DecodeError):
            return False
        return True


async def upstream_actor() -> Actor:
    """The system officer `UPSTREAM` (role admin, no branch, never signs in: inactive) that the probe acts as,
    created on first use; its commands are in the journal like anyone's. Refused if a row with its code is
    anything else (as the command line's CONSOLE)."""
    columns = (Officer.id, Officer.code, Officer.full_name, Officer.role, Officer.branch, Officer.active)
    row = await Officer.select(*columns).where(Officer.code == UPSTREAM_CODE).first()
    if row is None:
        # Several processes may make it at once: the first insert wins, the others change nothing.
        await Officer.insert(
            Officer(code=UPSTREAM_CODE, full_name=UPSTREAM_NAME, role=Role.ADMIN, branch=None, active=False)
        ).on_conflict(target=Officer.code, action="DO NOTHING")
        row = await Officer.select(*columns).where(Officer.code == UPSTREAM_CODE).first()
    if row is None or row["role"] != Role.ADMIN or row["branch"] is not None or row["active"]:
        raise RuntimeError(f"officer {UPSTREAM_CODE} exists and is not the upstream probe's system actor")
    return Actor(
        id=row["id"], code=row["code"], full_name=row["full_name"], role=Role(row["role"]), branch_id=None, branch_code=None, branch_name=None
    )


async def answers(source: DeclarationSource, timeout: float = HEALTH_TIMEOUT_SECONDS) -> bool:
    """Whether the source answers its health check within `timeout` seconds; an error is no answer."""
    try:
        return bool(await asyncio.wait_for(source.health(), timeout))
    except Exception:  # a live adapter's network error, a timeout: the system does not answer, whatever the cause
        logger.info("upstream health check failed", exc_info=True)
        return False


async def probe_upstream(source: DeclarationSource, timeout: float = HEALTH_TIMEOUT_SECONDS) -> str | None:
    """Ask the source for its health and record it when it changed: "down" (stopped answering), "up" (answers
    again) or None (no change, or another process recorded the same change first).

    The record is `sync.record_upstream_status`, applied through the journal as `UPSTREAM` with a command id made
    from the outage before it (sync/upstream.py), so that several processes probing one database record each
    change once. Contingency mode is neither declared nor ended here. Raises RuntimeError when the journal refused
    the record for another reason than "no change".
    """
    load_commands()  # the sync commands' handlers (imported once; the app has them already)
    healthy = await answers(source, timeout)
    latest = await upstream.latest_outage()
    is_down = latest is not None and latest.ended_at is None
    if healthy != is_down:  # answering and recorded answering, or silent and recorded silent
        return None
    if healthy:
        assert latest is not None
        command_id, outcome_name = upstream.answers_again_id(latest.id), "up"
        payload = {"answering": True, "detail": "health check answered"}
    else:
        command_id, outcome_name = upstream.stopped_answering_id(latest.id if latest else None), "down"
        payload = {"answering": False, "detail": f"no answer to the health check within {timeout:g} s"}
    envelope = CommandEnvelope(
        id=command_id, type="sync.record_upstream_status", issued_at=clock.now(), device_id=DEVICE_ID, payload=payload
    )
    (outcome,) = await apply_commands(JournalEntry._meta.db, [envelope], await upstream_actor())
    if outcome.status == "applied":
        logger.warning("upstream customs system %s", "answers again" if healthy else "stopped answering")
        return outcome_name
    if outcome.status == "duplicate" or outcome.code == "upstream_state_unchanged":
        return None  # another process recorded it
    raise RuntimeError(f"sync.record_upstream_status rejected: {outcome.code}: {outcome.reason}")


async def probe_forever(source: DeclarationSource, interval: float) -> None:
    """Probe the source now and then every `interval` seconds, until cancelled. A failed probe (the database
    away) is logged and tried again at the next turn: the loop never ends by itself."""
    while True:
        try:
            await probe_upstream(source, timeout=min(HEALTH_TIMEOUT_SECONDS, interval))
        except Exception:
            logger.exception("upstream probe failed")
        await asyncio.sleep(interval)


def configured_source(settings: Settings) -> DeclarationSource | None:
    """The upstream source the settings name (GIAMSAT_UPSTREAM_FILE), or None. A live adapter is chosen here."""
    path = settings.sync.upstream_file
    return FileSource(path) if path is not None else None


class UpstreamProbe:
    """The app's background probe: started after the database (on_startup), cancelled before it stops
    (on_shutdown). One per process; off when GIAMSAT_UPSTREAM_PROBE_SECONDS is 0 or no source is configured."""

    def __init__(self, settings: Settings, source: DeclarationSource | None = None) -> None:
        self.interval = settings.sync.upstream_probe_seconds
        self.source = source if source is not None else configured_source(settings)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.interval > 0 and self.source is not None and self.task is None:
            self.task = asyncio.create_task(probe_forever(self.source, self.interval), name="upstream-probe")

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
