"""Where declarations come from: the upstream customs system behind a `DeclarationSource`, and its health probe.

A live adapter (VNACCS / e-Customs through the customs gateway) implements `DeclarationSource`; the demo and the
tests use `FileSource`, a JSON file of items in the API's format. `probe_upstream` turns the source's health into
contingency mode for every branch (domain.md W9): not reachable -> declared, reachable again -> ended.
Not wired to a timer yet: a scheduler (or the gateway process) is to call `probe_upstream` every minute or so.
"""

from __future__ import annotations

import hashlib
import uuid
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
from backend.sync.contingency import open_period
from backend.sync.tables import ContingencyPeriod

UPSTREAM_CODE = "UPSTREAM"
UPSTREAM_NAME = "Hệ thống hải quan (tự động)"
DEVICE_ID = "upstream-probe"


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
    created on first use; its commands are in the journal like anyone's."""
    columns = (Officer.id, Officer.code, Officer.full_name, Officer.role)
    row = await Officer.select(*columns).where(Officer.code == UPSTREAM_CODE).first()
    if row is None:
        await Officer.insert(Officer(code=UPSTREAM_CODE, full_name=UPSTREAM_NAME, role=Role.ADMIN, branch=None, active=False))
        row = await Officer.select(*columns).where(Officer.code == UPSTREAM_CODE).first()
    return Actor(
        id=row["id"], code=row["code"], full_name=row["full_name"], role=Role(row["role"]), branch_id=None, branch_code=None, branch_name=None
    )


async def probe_upstream(source: DeclarationSource) -> str | None:
    """Ask the source for its health and switch contingency mode for every branch when it flipped.

    Unhealthy and no national period open -> `sync.declare_contingency` as `UPSTREAM`; healthy and the open
    national period was declared by `UPSTREAM` -> `sync.end_contingency`. A period a person declared is left for a
    person to end. Both go through the journal (`apply_commands`). Returns "declared", "ended" or None (no change);
    raises RuntimeError when the journal rejected the command.
    """
    load_commands()  # the sync commands' handlers (imported once; the app has them already)
    healthy = await source.health()
    period = await open_period(None)
    if healthy and period is None or not healthy and period is not None:
        return None
    actor = await upstream_actor()
    if healthy:
        row = await ContingencyPeriod.select(ContingencyPeriod.started_by).where(ContingencyPeriod.id == period.id).first()
        if row is None or row["started_by"] != actor.id:
            return None
        command_type, payload, outcome_name = "sync.end_contingency", {"note": "Upstream reachable again (health probe)"}, "ended"
    else:
        command_type, payload, outcome_name = (
            "sync.declare_contingency",
            {"reason": "Upstream customs system not reachable (health probe)"},
            "declared",
        )
    envelope = CommandEnvelope(id=uuid.uuid4(), type=command_type, issued_at=clock.now(), device_id=DEVICE_ID, payload=payload)
    (outcome,) = await apply_commands(JournalEntry._meta.db, [envelope], actor)
    if outcome.status == "rejected":
        raise RuntimeError(f"{command_type} rejected: {outcome.code}: {outcome.reason}")
    return outcome_name
