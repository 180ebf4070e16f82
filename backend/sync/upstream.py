"""What the automatic check of the upstream customs system found, and who is told (docs/offline.md 6).

The probe (backend/declarations/source.py) records when the upstream system stops answering and when it answers
again, through `sync.record_upstream_status` as the system officer UPSTREAM. It declares nothing: in Decision 1966
Art 35.2.d and 36.2.đ it is the officer who finds they cannot check on the System, looks up VNACCS, calls the help
desk and goes to paper, and in the 2024 outage the General Department's dispatch sent the branches to manual
processing. So a person declares contingency mode (`sync.declare_contingency`); the detection only puts a banner
before the people who may (supervisors and admins) asking them to, with the help desk's numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.sync.contingency import Period
from backend.sync.policy import may_end_period
from backend.sync.tables import UpstreamOutage

UPSTREAM_CODE = "UPSTREAM"  # the system officer the probe acts as (officers/services.py reserves the code)

# Command ids of the records, derived from the outage before them: every process that sees the same change sends
# the same id, and the journal applies an id once (the others get `duplicate`).
_IDS = uuid.UUID("6f1c1a52-6c7e-4d55-9d0e-2a8a9e3c5b10")


def stopped_answering_id(previous_outage_id: int | None) -> uuid.UUID:
    """The command id recording the outage that follows `previous_outage_id` (None: the first one)."""
    return uuid.uuid5(_IDS, f"upstream-down-after:{previous_outage_id or 0}")


def answers_again_id(outage_id: int) -> uuid.UUID:
    """The command id recording the end of outage `outage_id`."""
    return uuid.uuid5(_IDS, f"upstream-up:{outage_id}")


@dataclass(frozen=True)
class Outage:
    id: int
    started_at: datetime
    ended_at: datetime | None


def is_probe(actor: Actor) -> bool:
    """The probe's system officer: the only actor that records what the upstream system does."""
    return actor.code == UPSTREAM_CODE and actor.is_national_admin


async def latest_outage() -> Outage | None:
    """The newest outage, open or ended (one indexed read: every page of a supervisor asks it)."""
    row: dict[str, Any] | None = (
        await UpstreamOutage.select(UpstreamOutage.id, UpstreamOutage.started_at, UpstreamOutage.ended_at)
        .order_by(UpstreamOutage.id, ascending=False)
        .first()
    )
    return None if row is None else Outage(row["id"], row["started_at"], row["ended_at"])


@dataclass(frozen=True)
class Notice:
    """What a supervisor's banner says: `down` (not answering since `since`: declare contingency mode) or `back`
    (answering again since `since` while their contingency period is open: end it once they have checked)."""

    kind: str
    since: datetime


def may_declare(actor: Actor) -> bool:
    """Who is asked to declare: those whom sync.declare_contingency allows (a supervisor or an admin)."""
    return actor.role in (Role.SUPERVISOR, Role.ADMIN)


def notice_for(actor: Actor, outage: Outage | None, period: Period | None) -> Notice | None:
    """The banner for `actor`, given the latest outage and the contingency period open for their branch."""
    if outage is None or not may_declare(actor):
        return None
    if outage.ended_at is None:
        return Notice("down", outage.started_at) if period is None else None
    if period is not None and outage.ended_at >= period.started_at and may_end_period(actor, period.branch_id):
        return Notice("back", outage.ended_at)
    return None
