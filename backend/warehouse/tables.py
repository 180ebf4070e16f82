"""The warehouse domain's tables: operators and their premises and staff (issue 16 item 1); air-cargo anomaly records
(Biên bản bất thường, Art 35.2.đ)."""

from enum import StrEnum

from piccolo.columns import UUID, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.officers.tables import Branch, Location, Officer
from backend.warehouse.workflow import AnomalyState


class Operator(Table, tablename="operator"):
    """An operating company (doanh nghiệp kinh doanh kho, bãi, cảng, CFS): it operates premises and employs their
    warehouse staff. Written only by the `warehouse.*` operator commands (operators.py)."""

    name = Varchar(length=200)
    tax_code = Varchar(length=14, unique=True)  # mã số thuế: 10 digits, or 10-3 for a dependent unit
    address = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class OperatorPremises(Table, tablename="operator_premises"):
    """Which operator runs a premises (a location that is not a gate). A location has at most one operator; a table
    of its own so that the officers domain's Location stays as it is."""

    operator = ForeignKey(references=Operator, null=False, index=True)
    location = ForeignKey(references=Location, null=False, unique=True)


class StaffPremises(Table, tablename="staff_premises"):
    """A warehouse user working at one more premises of their operator, besides the premises on their account
    (officer.premises, the first). Read on every request of a warehouse user (the actor's premises_ids): hence the
    index on officer. One row per (officer, location), kept so by the commands."""

    officer = ForeignKey(references=Officer, null=False, index=True)
    location = ForeignKey(references=Location, null=False)


class AnomalyKind(StrEnum):
    """What the airport warehouse operator found, in the words of Art 35.2.đ (its list ends with "..."; hence OTHER)."""

    SHORT_PACKAGES = "short_packages"  # thiếu số lượng kiện
    EXTRA_PACKAGES = "extra_packages"  # thừa số lượng kiện
    NO_WAYBILL = "no_waybill"  # kiện hàng không có vận đơn
    DAMAGED_PACKAGING = "damaged_packaging"  # bao bì rách vỡ
    WEIGHT_DIFFERENCE = "weight_difference"  # thiếu, thừa trọng lượng
    OTHER = "other"  # bất thường khác


class AirCargoAnomaly(Table, tablename="air_cargo_anomaly"):
    """An anomaly record made by the warehouse operator's staff at their premises; written only by the
    `warehouse.*` commands, its state only by workflow.transition()."""

    command_id = UUID(unique=True)
    premises = ForeignKey(references=Location, null=False)
    # The branch that managed the premises when the record was made (its photos are attached for it); who receives the
    # record is decided by the premises' branch now (policy.manages), never by the client.
    branch = ForeignKey(references=Branch, null=False)
    kind = Varchar(length=32, choices=AnomalyKind)
    flight = Varchar(length=32)
    mawb = Varchar(length=32, default="")
    hawb = Varchar(length=32, default="")
    packages = Text(default="")  # which packages: marks, numbers, as the operator identifies them
    declared_packages = Integer(null=True, default=None)  # on the manifest
    found_packages = Integer(null=True, default=None)
    declared_weight_kg = DoublePrecision(null=True, default=None)
    found_weight_kg = DoublePrecision(null=True, default=None)
    note = Text(default="")
    state = Varchar(length=16, choices=AnomalyState, default=AnomalyState.RECORDED.value)
    recorded_by = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()  # device clock: when the staff made it
    recorded_at = Timestamptz(default=TimestamptzNow())  # server clock
    received_by = ForeignKey(references=Officer, null=True, default=None)
    received_at = Timestamptz(null=True, default=None)
    handled_by = ForeignKey(references=Officer, null=True, default=None)
    handled_at = Timestamptz(null=True, default=None)
    handling = Text(default="")  # what the officer did (35.2.đ: "triển khai thực hiện các nghiệp vụ có liên quan")
