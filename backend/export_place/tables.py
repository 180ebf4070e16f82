"""The export place domain's tables (Decision 1966, Art 43.3.b-c).

- `ExportChange`: one change of export place of a transit lot from a bonded warehouse (43.3.c): its case (c.1-c.4),
  the transit case it changes, the branches (copied from the transit case, upstream's facts), the new place, the
  quantities, the handover record or the new transit declaration, the BIA note. `state` changes only through
  workflow.transition().
- `ExportChangeEvent`: its timeline.
- `ExportLetter`: a letter between branches: the exit gate's notice to the bonded warehouse's branch of a lot at
  the gate for 15 days and not exported (43.3.b, `gate_15_days`), or the branch of registration's notice to the
  original exit gate of an approved change of exit gate (43.3.c.2.1.2, c.4.1.2, `change_notice`).
"""

from piccolo.columns import UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.export_place.workflow import ChangeKind, ChangeState
from backend.officers.tables import Branch, Location, Officer
from backend.transit.tables import TransitCase


class ExportChange(Table, tablename="export_place_change"):
    command_id = UUID(unique=True)
    case = ForeignKey(references=TransitCase, null=False, index=True)
    number = Varchar(length=12, index=True)  # the transit declaration
    kind = Varchar(length=2, choices=ChangeKind)
    state = Varchar(length=32, choices=ChangeState, index=True)
    registration_branch = ForeignKey(references=Branch, null=False, index=True)  # the transit case's departure branch
    original_branch = ForeignKey(references=Branch, null=False, index=True)  # the exit gate's (the case's destination)
    new_place = ForeignKey(references=Location, null=False)  # the new export place
    new_branch = ForeignKey(references=Branch, null=False, index=True)  # the new place's branch
    declarant_notice = Text(default="")  # the declarant's written notice (reference, date)
    authority_document = Text(default="")  # the competent authority's document, if any
    proposal = Text(default="")
    total_quantity = Integer(default=0)  # the lot: containers, or packages of loose cargo
    moved_quantity = Integer(default=0)  # what goes to the new place
    exported_here = Integer(null=True, default=None)  # exported at the original place (c.3, c.4)
    record = Integer(null=True, default=None)  # seals' HandoverRecord id (c.1, c.3)
    new_number = Varchar(length=12, default="")  # the new transit declaration (c.2, c.4)
    proposed_by = ForeignKey(references=Officer, null=False)
    proposed_at = Timestamptz()
    decided_by = ForeignKey(references=Officer, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(default="")
    reported_by = ForeignKey(references=Officer, null=True, default=None)
    reported_at = Timestamptz(null=True, default=None)
    report_note = Text(default="")
    bia_note = Text(default="")
    closed_by = ForeignKey(references=Officer, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    changed_at = Timestamptz(default=TimestamptzNow())


class ExportChangeEvent(Table, tablename="export_place_event"):
    change = ForeignKey(references=ExportChange, null=False, index=True)
    from_state = Varchar(length=32, default="")
    to_state = Varchar(length=32)
    officer = ForeignKey(references=Officer, null=True, default=None)
    made_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())
    clause = Varchar(length=32)
    note = Text(default="")
    command_id = UUID(null=True, default=None)


class ExportLetter(Table, tablename="export_place_letter"):
    command_id = UUID(unique=True)
    kind = Varchar(length=16)  # gate_15_days | change_notice
    case = ForeignKey(references=TransitCase, null=False, index=True)
    change = ForeignKey(references=ExportChange, null=True, default=None, index=True)
    from_branch = ForeignKey(references=Branch, null=False, index=True)
    to_branch = ForeignKey(references=Branch, null=False, index=True)
    text = Text()
    made_by = ForeignKey(references=Officer, null=False)
    made_at = Timestamptz()
    acknowledged_by = ForeignKey(references=Officer, null=True, default=None)
    acknowledged_at = Timestamptz(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
