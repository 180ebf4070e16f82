"""The dashboard's figures for a supervisor's branch, read from the other domains' rows (it stores nothing).

- Passages per gate per hour today: the gate's standing confirmations (a cancelled one did not pass), by the
  device's time of the confirmation (when the goods passed, also when it was made offline and sent later), in
  Vietnam's time (UTC+7, no daylight saving), at the branch's locations.
- Open items by kind and age: the supervisor's inbox (backend/inbox), counted: waiting under an hour, up to a day,
  longer; and how many are past their deadline.
- Overdue transits: the departure branch's overdue list (transit/services.py, as the `transit.overdue` inbox kind).
- Contingency: the open period that concerns the branch (its own, or a national one), and the actions to reconcile
  (as the `sync.reconciliation` inbox kind counts them).
- Devices with old queues: sync/device_queue.py (as the `sync.stale_queue` inbox kind lists them).

Every function takes the moment (`now`) as a parameter, the server's clock by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from backend.dashboard import policy
from backend.gate.cards import as_datetime
from backend.gate.tables import Passage
from backend.inbox.schemas import Inbox
from backend.inbox.services import inbox_for
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.logbook.services import VIETNAM
from backend.officers.schemas import Actor
from backend.officers.tables import Location
from backend.settings import Settings
from backend.sync import contingency, device_queue, reconciliation
from backend.transit.schemas import TransitListItem
from backend.transit.services import overdue_list

HOURS = 24


@dataclass(frozen=True)
class GatePassages:
    location_id: int
    name: str
    counts: list[int]  # per hour of the day, 0 to 23

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class PassageDay:
    day: date  # in Vietnam's time
    gates: list[GatePassages]  # the branch's locations with passages that day, by name

    @property
    def hour_totals(self) -> list[int]:
        return [sum(gate.counts[hour] for gate in self.gates) for hour in range(HOURS)]

    @property
    def total(self) -> int:
        return sum(gate.total for gate in self.gates)


@dataclass(frozen=True)
class KindAges:
    """One inbox kind's open items by how long they have waited (they sum to `total`); `late`: of them, past
    their deadline."""

    kind: str
    label: str
    under_hour: int
    under_day: int
    older: int
    late: int

    @property
    def total(self) -> int:
        return self.under_hour + self.under_day + self.older


@dataclass(frozen=True)
class ContingencyState:
    period: contingency.Period | None  # open, for the branch or (branch_id None) every branch
    to_reconcile: int


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    passages: PassageDay
    open_items: list[KindAges]
    overdue: list[TransitListItem]
    contingency: ContingencyState
    old_queues: list[device_queue.StaleQueue]


def day_bounds(now: datetime) -> tuple[date, datetime, datetime]:
    """Today in Vietnam's time and its start and end as instants."""
    day = now.astimezone(VIETNAM).date()
    # In UTC: SQLite compares the stored UTC text, so the bounds must be spelt in UTC too.
    start = datetime(day.year, day.month, day.day, tzinfo=VIETNAM).astimezone(UTC)
    return day, start, start + timedelta(days=1)


async def passages_today(actor: Actor, now: datetime | None = None) -> PassageDay:
    """Standing passages at the actor's branch's locations per location and hour of today (Vietnam's time)."""
    day, start, end = day_bounds(now or clock.now())
    if actor.branch_id is None:
        return PassageDay(day=day, gates=[])
    rows = await Passage.select(Passage.location, Passage.confirmed_at).where(
        (Passage.location.branch == actor.branch_id)
        & Passage.cancelled_at.is_null()
        & (Passage.confirmed_at >= start)
        & (Passage.confirmed_at < end)
    )
    counts: dict[int, list[int]] = {}
    for row in rows:
        hour = as_datetime(row["confirmed_at"]).astimezone(VIETNAM).hour
        counts.setdefault(row["location"], [0] * HOURS)[hour] += 1
    if not counts:
        return PassageDay(day=day, gates=[])
    names = await Location.select(Location.id, Location.name).where(Location.id.is_in(sorted(counts)))
    gates = [GatePassages(location_id=row["id"], name=row["name"], counts=counts[row["id"]]) for row in names]
    return PassageDay(day=day, gates=sorted(gates, key=lambda gate: (gate.name, gate.location_id)))


def open_items_by_age(inbox: Inbox, now: datetime) -> list[KindAges]:
    """Count the inbox's items per kind in age buckets (under 1 h, 1–24 h, over 24 h) and those past deadline."""
    found = []
    for group in inbox.groups:
        ages = [now - item.since for item in group.items]
        found.append(
            KindAges(
                kind=group.kind,
                label=group.label,
                under_hour=sum(age < timedelta(hours=1) for age in ages),
                under_day=sum(timedelta(hours=1) <= age <= timedelta(hours=24) for age in ages),
                older=sum(age > timedelta(hours=24) for age in ages),
                late=sum(item.deadline is not None and item.deadline < now for item in group.items),
            )
        )
    return found


async def contingency_state(actor: Actor, settings: Settings) -> ContingencyState:
    """Whether contingency mode is on for the branch (its own period or a national one) and how many actions of the
    branch wait to be reconciled (offline, in contingency mode, or with an implausible time; not reviewed)."""
    where: Any = reconciliation.marked_where(actor, past=timedelta(hours=settings.sync.clock_past_hours))
    return ContingencyState(
        period=await contingency.open_period(actor.branch_id),
        to_reconcile=await JournalEntry.count().where(where),
    )


async def dashboard_for(actor: Actor, settings: Settings, now: datetime | None = None) -> Dashboard | None:
    """Every figure of the dashboard for a supervisor's branch; None for whoever has no dashboard (policy)."""
    if not policy.has_dashboard(actor):
        return None
    now = now or clock.now()
    return Dashboard(
        now=now,
        passages=await passages_today(actor, now),
        open_items=open_items_by_age(await inbox_for(actor, settings, now), now),
        overdue=await overdue_list(actor, now),
        contingency=await contingency_state(actor, settings),
        old_queues=await device_queue.stale_queues(actor.branch_id, settings, now),
    )
