from enum import StrEnum

from piccolo.columns import Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.lib.errors import N_
from backend.lib.i18n import Deferred


class Role(StrEnum):
    OFFICER = "officer"  # công chức hải quan giám sát: gate, yard, sealing, transit
    SUPERVISOR = "supervisor"  # Chi cục trưởng / Đội trưởng: assigns, approves, receives reports
    WAREHOUSE = "warehouse"  # kho, bãi, cảng, CFS operator staff
    ADMIN = "admin"  # manages officers and devices


# How a role is shown to people: msgids, worded by `role_label()` (also the `role_label` template filter).
ROLE_LABELS: dict[str, str] = {
    Role.OFFICER: N_("Supervision officer"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.WAREHOUSE: N_("Warehouse / CFS staff"),
    Role.ADMIN: N_("Administrator"),
}


def role_label(role: str | None) -> Deferred | str:
    """A role as people read it, in the reader's language; an unknown value is shown as it is."""
    return Deferred(ROLE_LABELS[role]) if role in ROLE_LABELS else role or ""


class LocationKind(StrEnum):
    GATE = "gate"
    PORT = "port"
    WAREHOUSE = "warehouse"
    CFS = "cfs"


class Branch(Table, tablename="branch"):
    """A customs branch (Chi cục Hải quan)."""

    code = Varchar(length=16, unique=True, index=True)
    name = Varchar(length=200)


class Location(Table, tablename="location"):
    """A place under a branch's supervision: a gate, a port, a bonded warehouse or a CFS."""

    code = Varchar(length=32, unique=True, index=True)
    name = Varchar(length=200)
    kind = Varchar(length=16, choices=LocationKind)
    branch = ForeignKey(references=Branch, null=False)
    # A road, river or rail border gate: Art 36 applies there (the goods' outside state is checked, and goods
    # may be refused exit); elsewhere Art 35 (seaports, inland ports, airports, ICDs).
    border_gate = Boolean(default=False)


class Officer(Table, tablename="officer"):
    """A person who signs in: officer, supervisor, warehouse staff or admin.

    Customs staff belong to a branch; warehouse staff also to the premises (a location) they work at.
    """

    code = Varchar(length=32, unique=True, index=True)
    full_name = Varchar(length=200)
    role = Varchar(length=16, choices=Role)
    branch = ForeignKey(references=Branch, null=True)
    premises = ForeignKey(references=Location, null=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
