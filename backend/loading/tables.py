"""The loading domain's tables; written only by the `loading.*` commands (backend/loading/commands.py)."""

from piccolo.columns import UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.loading.workflow import PlanState
from backend.officers.tables import Branch, Location, Officer


class LoadingPlan(Table, tablename="loading_plan"):
    """A carrier's or port operator's written notice of a transhipment / ship-to-ship plan (Art 40.1) or of a
    loading / unloading plan at a warehouse, yard or port (Art 40.2), the supervision team's proposed measure and the
    head's decision. `branch` is the premises' branch when it was submitted (the branch that decides);
    `state` is assigned only by `workflow.transition()`."""

    command_id = UUID(unique=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    premises = ForeignKey(references=Location, null=False, index=True)
    submitted_by = ForeignKey(references=Officer, null=False)
    kind = Varchar(length=16)  # schemas.PlanKind
    notice_number = Varchar(length=64)  # the written notice's (or request letter's) number
    carrier_name = Varchar(length=200)  # the carrier, or the enterprise asking for the transfer
    vessel = Varchar(length=200)  # the vessel (name, IMO or call sign) or vehicle
    voyage = Varchar(length=64, default="")
    place = Varchar(length=200)  # the transhipment area, berth or yard
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    goods = Text()  # the goods concerned, in words
    declarations = Text(default="")  # declaration numbers, one a line, if any
    state = Varchar(length=16, choices=PlanState, default=PlanState.SUBMITTED, index=True)
    proposed_method = Varchar(length=16, default="")  # schemas.Method
    proposed_measure = Text(default="")
    proposed_by = ForeignKey(references=Officer, null=True, default=None)
    proposed_at = Timestamptz(null=True, default=None)
    decided_method = Varchar(length=16, default="")
    decided_measure = Text(default="")
    decision_note = Text(default="")
    decided_by = ForeignKey(references=Officer, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    withdraw_reason = Text(default="")
    issued_at = Timestamptz()  # device clock: when the operator submitted it
    recorded_at = Timestamptz(default=TimestamptzNow())


class LoadingContainer(Table, tablename="loading_container"):
    """A container the plan concerns, as typed or imported from the operator's CSV file (`line`: its line there)."""

    plan = ForeignKey(references=LoadingPlan, null=False, index=True)
    line = Integer()
    number = Varchar(length=11)  # ISO 6346, check digit checked
    seal_number = Varchar(length=32, default="")
    declaration_number = Varchar(length=64, default="")
    note = Varchar(length=200, default="")
