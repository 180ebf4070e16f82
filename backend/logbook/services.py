"""The logbook (sổ theo dõi): every action of one location on one day, read from the branch's journal.

Every action is a command, so a gate's logbook is the journal rows of that location, whatever their type: who
(officer), when (device time and server time), how (online, offline, in contingency mode, queued on the device)
and what (the command's label and a short summary). Days are Vietnam days (UTC+7, no daylight saving) of the
moment the officer acted as the server best knows it (the device's time corrected by the device's measured clock
offset, never after the server heard of it: `made_at_utc`), not of a wrong device clock and not of the moment
the server heard of it; the journal keeps that time in UTC spelled like `received_at`, so a day is a range of
plain string comparisons on both databases.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable

import msgspec

from backend.journal.envelope import CLOCK_TOLERANCE
from backend.journal.registry import COMMANDS
from backend.journal.services import chain_of
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.i18n import gettext
from backend.officers.schemas import Actor
from backend.officers.services import locations_of_branch
from backend.officers.tables import Location, Officer

VIETNAM = timezone(timedelta(hours=7))
# An action that reached the server later than this after it was made waited in the device's queue (a slow
# request takes seconds; a minute is beyond any retry of an online submit).
QUEUED_AFTER = timedelta(minutes=1)
# A page shows at most this many actions (a busy gate's day is a few hundred); the CSV export has them all.
PAGE_LIMIT = 2000

# The journal columns `action_from_row` reads (other pages reading the journal as actions select these too).
JOURNAL_COLUMNS = (
    JournalEntry.command_id,
    JournalEntry.command_type,
    JournalEntry.actor_code,
    JournalEntry.device_id,
    JournalEntry.issued_at_utc,
    JournalEntry.made_at_utc,
    JournalEntry.received_at,
    JournalEntry.payload,
    JournalEntry.result,
    JournalEntry.offline,
    JournalEntry.contingency,
    JournalEntry.location_id,
)


@dataclass(frozen=True)
class Summary:
    """What an action did, in a few words: the fields a type has, the rest left empty."""

    text: str = ""
    representative_name: str = ""
    representative_id_number: str = ""
    photos: tuple[str, ...] = ()
    detail: str = ""


# command type -> how to summarize its payload and result. A domain whose commands belong in the logbook adds
# its types here; a type without an entry is shown by its label alone.
SUMMARIES: dict[str, Callable[[dict[str, Any], dict[str, Any]], Summary]] = {}


def _summarize_logbook_entry(payload: dict[str, Any], result: dict[str, Any]) -> Summary:
    # The payload's photos are the entry's files: the handler attached exactly these (deduplicated) or refused.
    return Summary(
        text=str(payload.get("text") or "").strip(),
        representative_name=str(payload.get("representative_name") or "").strip(),
        representative_id_number=str(payload.get("representative_id_number") or "").strip(),
        photos=tuple(dict.fromkeys(payload.get("photos") or ())),
    )


SUMMARIES["logbook.add_entry"] = _summarize_logbook_entry


class Action(msgspec.Struct, kw_only=True):
    """One journal row as people read it."""

    command_id: str
    command_type: str
    label: str
    officer_code: str
    officer_name: str
    device_id: str
    issued_at: datetime  # the device's time, UTC
    received_at: datetime  # the server's time, UTC
    # the server's estimate of when it was made: the device time corrected by the device's clock offset
    # (journal.services.clock_estimate); what pages show as the action's time
    made_at: datetime
    offline: bool
    contingency: bool
    queued: bool  # waited in the device's queue before it reached the server
    location_id: int | None
    text: str = ""
    representative_name: str = ""
    representative_id_number: str = ""
    photos: list[str] = []
    detail: str = ""

    @property
    def waited(self) -> timedelta:
        return max(self.received_at - self.made_at, timedelta(0))

    @property
    def device_time_differs(self) -> bool:
        """Whether the device's own time is further from the estimate than a clock may be off unnoticed (the
        device's banner warns beyond the same): pages then show the device time beside the estimate."""
        return abs(self.issued_at - self.made_at) > CLOCK_TOLERANCE


def action_label(command_type: str) -> str:
    """The action's name in the reader's language; a type registered without a label is shown as it is."""
    spec = COMMANDS.get(command_type)
    return gettext(spec.label) if spec is not None and spec.label else command_type


def action_from_row(row: dict[str, Any], officer_names: dict[str, str]) -> Action:
    """An Action from a journal row holding JOURNAL_COLUMNS."""
    issued_at = datetime.fromisoformat(row["issued_at_utc"])
    received_at = datetime.fromisoformat(row["received_at"])
    made_at = datetime.fromisoformat(row["made_at_utc"])
    summarize = SUMMARIES.get(row["command_type"])
    summary = summarize(msgspec.json.decode(row["payload"]), msgspec.json.decode(row["result"])) if summarize else Summary()
    offline = bool(row["offline"])
    return Action(
        command_id=str(row["command_id"]),
        command_type=row["command_type"],
        label=action_label(row["command_type"]),
        officer_code=row["actor_code"],
        officer_name=officer_names.get(row["actor_code"], ""),
        device_id=row["device_id"],
        issued_at=issued_at,
        received_at=received_at,
        made_at=made_at,
        offline=offline,
        contingency=bool(row["contingency"]),
        queued=offline or received_at - made_at > QUEUED_AFTER,
        location_id=row["location_id"],
        text=summary.text,
        representative_name=summary.representative_name,
        representative_id_number=summary.representative_id_number,
        photos=list(summary.photos),
        detail=summary.detail,
    )


async def officer_names(codes: Iterable[str]) -> dict[str, str]:
    """Officer code -> full name, in one query."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await Officer.select(Officer.code, Officer.full_name).where(Officer.code.is_in(wanted))
    return {row["code"]: row["full_name"] for row in rows}


async def actions_from_rows(rows: list[dict[str, Any]]) -> list[Action]:
    names = await officer_names(row["actor_code"] for row in rows)
    return [action_from_row(row, names) for row in rows]


# --- days -------------------------------------------------------------------------------------------------------

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today() -> date:
    """Today in Vietnam."""
    return clock.now().astimezone(VIETNAM).date()


def vietnam_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def parse_day(text: str | None) -> date:
    """A day written YYYY-MM-DD (an <input type="date">); none means today. Anything else is refused (400)."""
    if text is None or text == "":
        return today()
    try:
        if not _DAY.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError("invalid_day", N_("This is not a valid day (YYYY-MM-DD): %(day)s"), day=text[:40]) from None


def day_bounds(day: date) -> tuple[str, str]:
    """The day's first instant and the next day's, in UTC, spelled as the journal spells `made_at_utc`."""
    start = datetime.combine(day, datetime.min.time(), VIETNAM)
    return clock.iso(start), clock.iso(start + timedelta(days=1))


# --- locations ---------------------------------------------------------------------------------------------------


async def logbook_location(actor: Actor, location: str | int | None) -> dict[str, Any] | None:
    """The location a logbook is asked for: one of the actor's branch (404 otherwise, as if it did not exist),
    or, when none is named, the branch's first location (None when the branch has none)."""
    if location is None or location == "":
        locations = await locations_of_branch(actor.branch_id)
        return locations[0] if locations else None
    try:
        location_id = int(location)
    except ValueError:
        raise DomainError(
            "invalid_location", N_("This is not a valid location: %(location)s"), location=str(location)[:40]
        ) from None
    row = await Location.select(Location.id, Location.code, Location.name, Location.kind, Location.branch).where(
        Location.id == location_id
    ).first()
    if row is None or actor.branch_id is None or row["branch"] != actor.branch_id:
        raise NotFound("unknown_location", N_("Your branch has no such location."))
    return row


# --- the logbook ---------------------------------------------------------------------------------------------------


async def actions_at(actor: Actor, location_id: int, day: date, limit: int | None = None) -> list[Action]:
    """Every action of the actor's branch journal at a location made on `day` (Vietnam time, the server's estimate
    of when it was made), in the order they were made."""
    start, end = day_bounds(day)
    query = (
        JournalEntry.select(*JOURNAL_COLUMNS)
        .where(
            (JournalEntry.chain == chain_of(actor))
            & (JournalEntry.location_id == location_id)
            & (JournalEntry.made_at_utc >= start)
            & (JournalEntry.made_at_utc < end)
        )
        .order_by(JournalEntry.made_at_utc, JournalEntry.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    return await actions_from_rows(await query)


def connection_text(action: Action) -> str:
    return gettext("Offline") if action.offline else gettext("Online")


def sync_text(action: Action) -> str:
    """How the action reached the server: at once, or after waiting in the device's queue."""
    if not action.queued:
        return gettext("Sent at once")
    received = action.received_at.astimezone(VIETNAM)
    same_day = received.date() == action.made_at.astimezone(VIETNAM).date()
    at = received.strftime("%H:%M" if same_day else "%d/%m/%Y %H:%M")
    return gettext("Queued on the device, synced at %(time)s", time=at)


def waited_text(waited: timedelta) -> str:
    """A wait in days, hours and minutes, the two largest parts: "2 h 5 min", "3 d 4 h", "under a minute"."""
    minutes = int(waited.total_seconds() // 60)
    if minutes < 1:
        return gettext("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(days)d d %(hours)d h", days=days, hours=hours)
    if hours:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    return gettext("%(minutes)d min", minutes=minutes)


def _time(moment: datetime, fmt: str) -> str:
    return moment.astimezone(VIETNAM).strftime(fmt)


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text: what an officer typed must never run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def logbook_csv(actions: list[Action]) -> bytes:
    """The logbook as CSV for Excel: UTF-8 with a byte order mark (without it Excel reads Vietnamese as
    Windows-1252), a header row in the reader's language, one row per action, times in Vietnam time: when it was
    made as the server estimates it (the device's time corrected by its clock offset), the device's own time, and
    when the server received it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            gettext("Estimated time"),
            gettext("Device time"),
            gettext("Server time"),
            gettext("Officer code"),
            gettext("Officer"),
            gettext("Action"),
            gettext("What happened"),
            gettext("Enterprise representative (full name)"),
            gettext("Representative's ID number"),
            gettext("Photos"),
            gettext("Connection"),
            gettext("Contingency mode"),
            gettext("Sync"),
            gettext("Device"),
            gettext("Command id"),
        ]
    )
    for action in actions:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    _time(action.made_at, "%d/%m/%Y %H:%M:%S"),
                    _time(action.issued_at, "%d/%m/%Y %H:%M:%S"),
                    _time(action.received_at, "%d/%m/%Y %H:%M:%S"),
                    action.officer_code,
                    action.officer_name,
                    action.label,
                    action.text or action.detail,
                    action.representative_name,
                    action.representative_id_number,
                    len(action.photos),
                    connection_text(action),
                    gettext("Yes") if action.contingency else gettext("No"),
                    sync_text(action),
                    action.device_id,
                    action.command_id,
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_filename(location: dict[str, Any], day: date) -> str:
    """so-theo-doi_<location code>_<day>.csv, ASCII only, so every browser and OS keeps it as it is."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", str(location["code"])).strip("-") or str(location["id"])
    return f"so-theo-doi_{code}_{day.isoformat()}.csv"
