"""The key vehicles domain's tables; written only by the `vehicles.*` commands (backend/vehicles/commands.py)."""

from enum import StrEnum

from piccolo.columns import UUID, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.officers.tables import Branch, Location, Officer
from backend.vehicles.workflow import SupervisionState


class VehicleKind(StrEnum):
    """Art 39.1 speaks of "phương tiện vận tải nhập cảnh, xuất cảnh": any means of transport crossing the border."""

    VESSEL = "vessel"
    VEHICLE = "vehicle"
    TRAIN = "train"
    AIRCRAFT = "aircraft"


class KeyVehicle(Table, tablename="vehicles_key_vehicle"):
    """A means of transport the branch head designated for direct supervision while berthed or parked in the branch's
    customs supervision area (Art 39.1). `state` is assigned only by `workflow.transition()`."""

    command_id = UUID(unique=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    location = ForeignKey(references=Location, null=False)  # where it is berthed or parked
    kind = Varchar(length=16, choices=VehicleKind)
    name = Varchar(length=200)  # the vessel's name, the flight, train or vehicle number
    registration = Varchar(length=32)  # IMO number of a vessel, plate of a road vehicle, aircraft or train registration
    flag = Varchar(length=64, default="")  # the flag or country of registration
    reason = Text()  # why it needs close supervision (39.1: "có yêu cầu phải giám sát chặt chẽ")
    supervised_from = Timestamptz()  # from when the head's decision applies
    state = Varchar(length=16, choices=SupervisionState, default=SupervisionState.DESIGNATED, index=True)
    designated_by = ForeignKey(references=Officer, null=False)
    designated_at = Timestamptz()  # when the head signed the decision
    ended_by = ForeignKey(references=Officer, null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    end_note = Text(default="")
    recorded_at = Timestamptz(default=TimestamptzNow())


class VehicleAssignment(Table, tablename="vehicles_assignment"):
    """An officer the head put on a key vehicle (39.1 "bố trí công chức"); `unassigned_at` set when taken off it."""

    vehicle = ForeignKey(references=KeyVehicle, null=False, index=True)
    officer = ForeignKey(references=Officer, null=False)
    assigned_by = ForeignKey(references=Officer, null=False)
    assigned_at = Timestamptz()
    unassigned_at = Timestamptz(null=True, default=None)


class VehicleJournalEntry(Table, tablename="vehicles_journal_entry"):
    """An entry of the Nhật ký giám sát phương tiện vận tải (Art 39.2): what an officer saw, when, with photos
    (files attached as record type "vehicle_journal_entry")."""

    command_id = UUID(unique=True)
    vehicle = ForeignKey(references=KeyVehicle, null=False, index=True)
    officer = ForeignKey(references=Officer, null=False)
    text = Text()
    observed_at = Timestamptz()  # when the officer made the entry (device time, corrected by the journal)
    recorded_at = Timestamptz(default=TimestamptzNow())
