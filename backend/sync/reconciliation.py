"""Reconciliation: what was made offline or in contingency mode, for a supervisor to check once the system is back.

Decision 1966 and the 2024 outage order the same thing: work goes on while the customs system is down, every
action is entered once it is back, and the branch then checks the lots to catch violations (domain.md W9). The
journal marks those actions (`contingency`: made offline, or while a period was declared or open); a supervisor
lists the marks of their branch that nobody has reviewed, sees what happened at the same place since each one,
and marks them reconciled with `sync.review_commands`.

The journal also keeps, beside the device's time, the server's estimate of when each action was made and how long
it waited (journal/services.py `clock_estimate`). An action whose time is implausible is listed too, marked or not,
with the reasons in words (`clock_notes`): its estimate after the server received it (the device's clock, or the
offset it measured, is wrong), long before it (`GIAMSAT_CLOCK_PAST_HOURS`), a command sent at once whose time is
minutes before it reached the server, or a device whose measured clock was off by more than CLOCK_TOLERANCE.
Decision 1966 says nothing of device clocks: these are giamsat's rules (docs/offline.md, "The device clock").

`RECONCILE_CHECKS` is where a domain adds its own re-checks of a marked command (was the declaration still
eligible, was that seal already used, ...): `command type -> async fn(journal row) -> notes`, notes in the
reader's language. The page shows every note beside the command.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

import msgspec

from backend.journal.envelope import CLOCK_TOLERANCE
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.i18n import gettext
from backend.logbook.services import JOURNAL_COLUMNS, Action, action_label, actions_from_rows, waited_text
from backend.officers.schemas import Actor
from backend.officers.tables import Location
from backend.sync import policy
from backend.sync.tables import ContingencyPeriod, ReconciliationReview

Check = Callable[[dict[str, Any]], Awaitable[list[str]]]
# command type -> its domain's re-check; empty until the domains that need one (gate, seals, transit) add theirs.
RECONCILE_CHECKS: dict[str, Check] = {}

# The contingency bookkeeping itself (declaring, ending, reviewing) is marked like everything made during a period,
# but it is not work at a gate or yard that anyone has to check again.
NOT_RECONCILED_PREFIX = "sync."
# A page lists at most this many commands, oldest first; reviewing them brings the next ones.
PAGE_LIMIT = 300
RECENT_PERIODS = 20
# An action made longer than this before the server received it is listed (GIAMSAT_CLOCK_PAST_HOURS, read by the
# page from the settings; this is its default).
CLOCK_PAST = timedelta(hours=72)
MILLISECOND = timedelta(milliseconds=1)


# --- contingency periods ---------------------------------------------------------------------------------------


class PeriodView(msgspec.Struct, kw_only=True):
    id: int
    branch_id: int | None  # None: every branch
    branch_name: str
    reason: str
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    ended_by: str

    @property
    def national(self) -> bool:
        return self.branch_id is None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


def _period_columns() -> tuple[Any, ...]:
    return (
        ContingencyPeriod.id,
        ContingencyPeriod.branch.as_alias("branch_id"),
        ContingencyPeriod.branch.name.as_alias("branch_name"),
        ContingencyPeriod.reason,
        ContingencyPeriod.started_at,
        ContingencyPeriod.started_by.full_name.as_alias("started_by"),
        ContingencyPeriod.ended_at,
        ContingencyPeriod.ended_by.full_name.as_alias("ended_by"),
    )


def _period(row: dict[str, Any]) -> PeriodView:
    return PeriodView(
        id=row["id"],
        branch_id=row["branch_id"],
        branch_name=row["branch_name"] or "",
        reason=row["reason"] or "",
        started_at=row["started_at"],
        started_by=row["started_by"] or "",
        ended_at=row["ended_at"],
        ended_by=row["ended_by"] or "",
    )


def in_scope(actor: Actor, period: PeriodView) -> bool:
    """Whether the actor may end this period (sync/policy.py)."""
    return policy.may_end_period(actor, period.branch_id)


async def recent_periods(actor: Actor, limit: int = RECENT_PERIODS) -> list[PeriodView]:
    """The periods the actor sees, newest first (open ones included)."""
    query = ContingencyPeriod.select(*_period_columns()).order_by(ContingencyPeriod.id, ascending=False).limit(limit)
    where = policy.visible_periods(actor)
    if where is not None:
        query = query.where(where)
    return [_period(row) for row in await query]


async def open_periods(actor: Actor) -> list[PeriodView]:
    """Every open period the actor sees, the one they may end first."""
    query = ContingencyPeriod.select(*_period_columns()).where(ContingencyPeriod.ended_at.is_null())
    where = policy.visible_periods(actor)
    if where is not None:
        query = query.where(where)
    periods = [_period(row) for row in await query.order_by(ContingencyPeriod.id)]
    return sorted(periods, key=lambda period: not in_scope(actor, period))


async def period_for(actor: Actor, period: str | int | None) -> PeriodView | None:
    """A period named in a page's address: one the actor sees (404 otherwise), or None when none is named."""
    if period is None or period == "":
        return None
    try:
        period_id = int(period)
    except ValueError:
        raise DomainError("invalid_period", N_("This is not a valid period: %(period)s"), period=str(period)[:40]) from None
    query = ContingencyPeriod.select(*_period_columns()).where(ContingencyPeriod.id == period_id)
    where = policy.visible_periods(actor)
    if where is not None:
        query = query.where(where)
    row = await query.first()
    if row is None:
        raise NotFound("unknown_period", N_("There is no such contingency period for your branch."))
    return _period(row)


# --- marked commands ---------------------------------------------------------------------------------------------


class Review(msgspec.Struct, kw_only=True):
    reviewed_at: datetime
    reviewed_by: str
    note: str


class LaterAction(msgspec.Struct, kw_only=True):
    label: str
    count: int


class ReconcileItem(msgspec.Struct, kw_only=True):
    action: Action
    location_name: str
    waited: str  # how long it waited on the device, in words
    later_count: int  # actions at the same location after its time
    later: list[LaterAction]
    notes: list[str]  # from RECONCILE_CHECKS
    clock_notes: list[str] = []  # why its time is implausible, in words (`clock_notes`); empty when it is not
    review: Review | None = None


def _clock_off() -> Any:
    """Rows made on a device whose clock was off by more than the tolerance: measured (its offset), shown by a time
    after the server received it, or, for a device that gave no offset, by a command not marked offline whose time
    is minutes before the server received it."""
    tolerance = CLOCK_TOLERANCE // MILLISECOND
    return (
        (JournalEntry.clock_offset_ms > tolerance)
        | (JournalEntry.clock_offset_ms < -tolerance)
        | (JournalEntry.wait_ms < -tolerance)
        | (JournalEntry.clock_offset_ms.is_null() & (JournalEntry.offline == False) & (JournalEntry.wait_ms > tolerance))  # noqa: E712
    )


def implausible_time(past: timedelta = CLOCK_PAST) -> Any:
    """Rows whose time is implausible (see the module's docstring); `past`: GIAMSAT_CLOCK_PAST_HOURS."""
    return _clock_off() | (JournalEntry.wait_ms > past // MILLISECOND)


def reviewable(branch_code: str | None) -> Any:
    """The rows of a branch a supervisor may mark reconciled (`sync.review_commands`): every row the page can list
    (marked offline / contingency, or with an implausible time under any GIAMSAT_CLOCK_PAST_HOURS: it is at least
    an hour, and every row that waited longer than the tolerance qualifies here)."""
    tolerance = CLOCK_TOLERANCE // MILLISECOND
    return (JournalEntry.chain == branch_code) & (
        (JournalEntry.contingency == True) | _clock_off() | (JournalEntry.wait_ms > tolerance)  # noqa: E712
    )


def clock_notes(row: dict[str, Any], past: timedelta = CLOCK_PAST) -> list[str]:
    """Why a journal row's time is implausible, in the reader's language; empty when it is not."""
    notes: list[str] = []
    offset, wait = row["clock_offset_ms"], timedelta(milliseconds=row["wait_ms"])
    if offset is not None and abs(offset) > CLOCK_TOLERANCE // MILLISECOND:
        off = waited_text(timedelta(milliseconds=abs(offset)))
        if offset < 0:  # server minus device: the device was ahead
            notes.append(gettext("The device's clock was %(duration)s ahead of the server's.", duration=off))
        else:
            notes.append(gettext("The device's clock was %(duration)s behind the server's.", duration=off))
    if wait < -CLOCK_TOLERANCE:
        notes.append(
            gettext(
                "Its time, corrected by the device's clock offset, is %(duration)s after the server received it: "
                "the device's clock or its offset is wrong.",
                duration=waited_text(-wait),
            )
        )
    elif wait > past:
        notes.append(
            gettext(
                "Made %(duration)s before the server received it, longer than %(hours)d hours.",
                duration=waited_text(wait),
                hours=past // timedelta(hours=1),
            )
        )
    elif offset is None and not row["offline"] and wait > CLOCK_TOLERANCE:
        notes.append(
            gettext(
                "Not marked offline, yet its device time is %(duration)s before the server received it: the "
                "device's clock may be behind (it gave no measured offset).",
                duration=waited_text(wait),
            )
        )
    return notes


def _marked(actor: Actor, period: PeriodView | None, past: timedelta = CLOCK_PAST) -> Any:
    where = (
        (JournalEntry.chain == actor.branch_code)
        & ((JournalEntry.contingency == True) | implausible_time(past))  # noqa: E712 (a column comparison)
        & JournalEntry.command_type.not_like(NOT_RECONCILED_PREFIX + "%")
    )
    if period is not None:
        # Made during the period (the server's estimate), or applied while it was open (the system could not check
        # it then).
        start = clock.iso(period.started_at)
        end = clock.iso(period.ended_at or clock.now())
        where &= ((JournalEntry.made_at_utc >= start) & (JournalEntry.made_at_utc <= end)) | (
            (JournalEntry.received_at >= start) & (JournalEntry.received_at <= end)
        )
    return where


def marked_where(actor: Actor, period: PeriodView | None = None, *, reviewed: bool = False, past: timedelta = CLOCK_PAST) -> Any:
    """The journal rows of the actor's branch to reconcile (see marked_commands): not yet reviewed, or reviewed."""
    reviewed_ids = ReconciliationReview.select(ReconciliationReview.command_id)
    where = _marked(actor, period, past)
    return where & (JournalEntry.command_id.is_in(reviewed_ids) if reviewed else JournalEntry.command_id.not_in(reviewed_ids))


async def marked_commands(
    actor: Actor,
    period: PeriodView | None = None,
    *,
    reviewed: bool = False,
    limit: int = PAGE_LIMIT,
    past: timedelta = CLOCK_PAST,
) -> tuple[list[ReconcileItem], bool]:
    """The actor's branch's commands marked offline / contingency or with an implausible time (`past`:
    GIAMSAT_CLOCK_PAST_HOURS), oldest first by the server's estimate of when they were made: those nobody reviewed
    yet, or (`reviewed`) those already reviewed. Answers the items and whether there are more than `limit`."""
    where = marked_where(actor, period, reviewed=reviewed, past=past)
    rows = await (
        JournalEntry.select(*JOURNAL_COLUMNS, JournalEntry.seq, JournalEntry.clock_offset_ms, JournalEntry.wait_ms)
        .where(where)
        .order_by(JournalEntry.made_at_utc, JournalEntry.seq)
        .limit(limit + 1)
    )
    more, rows = len(rows) > limit, rows[:limit]
    actions = await actions_from_rows(rows)
    later = await _later_at_same_location(actor, rows)
    places = await _location_names({row["location_id"] for row in rows if row["location_id"] is not None})
    reviews = await _reviews([row["command_id"] for row in rows]) if reviewed else {}
    items = []
    for row, action in zip(rows, actions):
        after = later.get(str(row["command_id"]), Counter())
        check = RECONCILE_CHECKS.get(row["command_type"])
        items.append(
            ReconcileItem(
                action=action,
                location_name=places.get(row["location_id"], ""),
                waited=waited_text(action.waited),
                later_count=sum(after.values()),
                later=[LaterAction(label=label, count=count) for label, count in sorted(after.items())],
                notes=await check(row) if check is not None else [],
                clock_notes=clock_notes(row, past),
                review=reviews.get(str(row["command_id"])),
            )
        )
    return items, more


async def _later_at_same_location(actor: Actor, rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    """command id -> labels (with counts) of the branch's actions at its location after its time (the estimate).

    One query for the whole page: the later actions at those locations since the oldest command listed."""
    placed = [row for row in rows if row["location_id"] is not None]
    if not placed:
        return {}
    others = await JournalEntry.select(
        JournalEntry.command_id, JournalEntry.command_type, JournalEntry.location_id, JournalEntry.made_at_utc
    ).where(
        (JournalEntry.chain == actor.branch_code)
        & JournalEntry.location_id.is_in(sorted({row["location_id"] for row in placed}))
        & (JournalEntry.made_at_utc > min(row["made_at_utc"] for row in placed))
    )
    found: dict[str, Counter[str]] = {}
    for row in placed:
        found[str(row["command_id"])] = Counter(
            action_label(other["command_type"])
            for other in others
            if other["location_id"] == row["location_id"]
            and other["made_at_utc"] > row["made_at_utc"]
            and other["command_id"] != row["command_id"]
        )
    return found


async def _location_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await Location.select(Location.id, Location.name).where(Location.id.is_in(sorted(ids)))
    return {row["id"]: row["name"] for row in rows}


async def _reviews(command_ids: list[Any]) -> dict[str, Review]:
    if not command_ids:
        return {}
    rows = await ReconciliationReview.select(
        ReconciliationReview.command_id,
        ReconciliationReview.reviewed_at,
        ReconciliationReview.reviewed_by.full_name.as_alias("reviewed_by"),
        ReconciliationReview.note,
    ).where(ReconciliationReview.command_id.is_in(command_ids))
    return {
        str(row["command_id"]): Review(reviewed_at=row["reviewed_at"], reviewed_by=row["reviewed_by"] or "", note=row["note"] or "")
        for row in rows
    }
