"""What the key vehicle commands share (identification checks, the decision's start time) and what its pages read.

Every read goes through the asking person's branch: a vehicle of another branch is "not found" (policy.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from backend.files import services as files
from backend.lib import clock
from backend.lib.errors import N_, DomainError
from backend.officers.schemas import Actor
from backend.officers.tables import Location, Officer, Role
from backend.vehicles import policy
from backend.vehicles.tables import KeyVehicle, VehicleAssignment, VehicleJournalEntry, VehicleKind
from backend.vehicles.workflow import SupervisionState

VIETNAM = timezone(timedelta(hours=7))
PHOTO_RECORD = "vehicle_journal_entry"  # how the files domain names what a journal photo is attached to
PAGE_LIMIT = 100  # ended supervisions the list shows (newest first); those under supervision are all shown

KIND_LABELS: dict[str, str] = {
    VehicleKind.VESSEL: N_("Vessel"),
    VehicleKind.VEHICLE: N_("Road vehicle"),
    VehicleKind.TRAIN: N_("Train"),
    VehicleKind.AIRCRAFT: N_("Aircraft"),
}
# What the registration field holds for each kind (the form's hint and the journal's heading).
REGISTRATION_LABELS: dict[str, str] = {
    VehicleKind.VESSEL: N_("IMO number"),
    VehicleKind.VEHICLE: N_("Number plate"),
    VehicleKind.TRAIN: N_("Train or wagon number"),
    VehicleKind.AIRCRAFT: N_("Aircraft registration"),
}

_IMO = re.compile(r"^(?:IMO\s*)?(\d{7})$", re.IGNORECASE)
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?$")


def imo_valid(digits: str) -> bool:
    """The IMO ship identification number's check digit: the first six digits weighted 7..2, the sum's last digit."""
    return len(digits) == 7 and digits.isdigit() and sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1))) % 10 == int(digits[6])


def clean_registration(kind: VehicleKind, text: str) -> str:
    """The registration as kept: trimmed, upper case. A vessel's seven-digit number is an IMO number and its check
    digit must hold (a mistyped digit would name another ship); a vessel without one (a river craft) keeps its own
    registration as typed. Not a rule of Art 39: how IMO numbers are made (IMO Resolution A.1117(30))."""
    value = " ".join(text.split()).upper()
    if not value:
        raise DomainError("registration_required", N_("Write the vehicle's IMO number, plate or registration."))
    match = _IMO.match(value)
    if kind is VehicleKind.VESSEL and match:
        if not imo_valid(match.group(1)):
            raise DomainError("invalid_imo", N_("IMO number %(number)s is not valid: its check digit does not match."), number=match.group(1))
        return f"IMO {match.group(1)}"
    return value


def parse_from(text: str, default: datetime) -> datetime:
    """From when the decision applies: Vietnam time as an <input type="datetime-local"> writes it, or an ISO time
    with its offset; blank: from the decision itself."""
    value = text.strip()
    if not value:
        return default
    try:
        if _LOCAL_MINUTE.match(value):
            return datetime.fromisoformat(value).replace(tzinfo=VIETNAM)
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    except ValueError:
        raise DomainError("invalid_time", N_("Write the time as day, month, year, hour and minute.")) from None


async def vehicle_row(vehicle_id: int) -> dict[str, Any] | None:
    return await KeyVehicle.select().where(KeyVehicle.id == vehicle_id).first()


async def visible_vehicle(actor: Actor, vehicle_id: int) -> dict[str, Any]:
    """The key vehicle, if the actor's branch supervises it; NotFound otherwise (policy.require_visible)."""
    return policy.require_visible(actor, await vehicle_row(vehicle_id))


async def assigned_ids(vehicle_id: int) -> set[int]:
    rows = await VehicleAssignment.select(VehicleAssignment.officer).where(
        (VehicleAssignment.vehicle == vehicle_id) & VehicleAssignment.unassigned_at.is_null()
    )
    return {row["officer"] for row in rows}


async def assignable_officers(branch_id: int | None) -> list[dict[str, Any]]:
    """The branch's active officers and supervisors, whom the head may put on a key vehicle."""
    return await Officer.select(Officer.id, Officer.code, Officer.full_name, Officer.role).where(
        (Officer.branch == branch_id) & (Officer.active == True) & Officer.role.is_in([Role.OFFICER, Role.SUPERVISOR])  # noqa: E712
    ).order_by(Officer.code)


async def already_supervised(branch_id: int, registration: str) -> bool:
    return await KeyVehicle.exists().where(
        (KeyVehicle.branch == branch_id) & (KeyVehicle.registration == registration) & (KeyVehicle.state == SupervisionState.DESIGNATED)
    )


_LIST_COLUMNS = (
    KeyVehicle.id,
    KeyVehicle.kind,
    KeyVehicle.name,
    KeyVehicle.registration,
    KeyVehicle.flag,
    KeyVehicle.reason,
    KeyVehicle.state,
    KeyVehicle.supervised_from,
    KeyVehicle.designated_at,
    KeyVehicle.ended_at,
    KeyVehicle.end_note,
    KeyVehicle.location.name.as_alias("location_name"),
    KeyVehicle.designated_by.full_name.as_alias("designated_by_name"),
    KeyVehicle.ended_by.full_name.as_alias("ended_by_name"),
)


async def _with_people(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each vehicle with its assigned officers, its number of entries and the time of its last one."""
    ids = [row["id"] for row in rows]
    if not ids:
        return rows
    people = await VehicleAssignment.select(
        VehicleAssignment.vehicle, VehicleAssignment.officer, VehicleAssignment.officer.code.as_alias("code"), VehicleAssignment.officer.full_name.as_alias("full_name")
    ).where(VehicleAssignment.vehicle.is_in(ids) & VehicleAssignment.unassigned_at.is_null()).order_by(VehicleAssignment.officer.code)
    entries = await VehicleJournalEntry.select(VehicleJournalEntry.vehicle, VehicleJournalEntry.observed_at).where(VehicleJournalEntry.vehicle.is_in(ids))
    for row in rows:
        row["officers"] = [person for person in people if person["vehicle"] == row["id"]]
        times = [entry["observed_at"] for entry in entries if entry["vehicle"] == row["id"]]
        row["entry_count"], row["last_entry_at"] = len(times), max(times) if times else None
    return rows


async def branch_vehicles(actor: Actor) -> dict[str, list[dict[str, Any]]]:
    """The branch's key vehicles: `current` (under supervision, oldest first) and `ended` (newest first, at most
    PAGE_LIMIT)."""
    where = KeyVehicle.branch == actor.branch_id
    current = await KeyVehicle.select(*_LIST_COLUMNS).where(where & (KeyVehicle.state == SupervisionState.DESIGNATED)).order_by(KeyVehicle.supervised_from)
    ended = (
        await KeyVehicle.select(*_LIST_COLUMNS)
        .where(where & (KeyVehicle.state == SupervisionState.ENDED))
        .order_by(KeyVehicle.ended_at, ascending=False)
        .limit(PAGE_LIMIT)
    )
    return {"current": await _with_people(current), "ended": await _with_people(ended)}


async def journal(actor: Actor, vehicle_id: int) -> dict[str, Any]:
    """One key vehicle as its journal shows it: the vehicle, who is assigned, and every entry (oldest first) with its
    officer and photos. NotFound for another branch's vehicle."""
    await visible_vehicle(actor, vehicle_id)
    (vehicle,) = await _with_people(await KeyVehicle.select(*_LIST_COLUMNS, KeyVehicle.branch).where(KeyVehicle.id == vehicle_id))
    entries = await VehicleJournalEntry.select(
        VehicleJournalEntry.id,
        VehicleJournalEntry.command_id,
        VehicleJournalEntry.text,
        VehicleJournalEntry.observed_at,
        VehicleJournalEntry.recorded_at,
        VehicleJournalEntry.officer.code.as_alias("officer_code"),
        VehicleJournalEntry.officer.full_name.as_alias("officer_name"),
    ).where(VehicleJournalEntry.vehicle == vehicle_id).order_by(VehicleJournalEntry.observed_at).order_by(VehicleJournalEntry.id)
    for entry in entries:
        entry["photos"] = await files.files_of(PHOTO_RECORD, entry["id"])
    assigned = {person["officer"] for person in vehicle["officers"]}
    vehicle["entries"] = entries
    vehicle["may_write"] = vehicle["state"] == SupervisionState.DESIGNATED and policy.may_write_journal(actor, vehicle, assigned)
    vehicle["is_head"] = policy.is_head(actor, vehicle)
    vehicle["is_assigned"] = actor.id in assigned
    return vehicle


def now_local_minute() -> str:
    """Now, as an <input type="datetime-local"> shows it (the designation form's default)."""
    return clock.now().astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


async def location_choices(branch_id: int | None) -> list[dict[str, Any]]:
    """Where a key vehicle may be berthed or parked: the branch's locations (its customs supervision area)."""
    return await Location.select(Location.id, Location.name, Location.kind).where(Location.branch == branch_id).order_by(Location.code)
