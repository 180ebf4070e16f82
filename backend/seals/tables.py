"""The seals domain's tables; written only by the `seals.*` commands (backend/seals/commands.py), through the journal.

- `SealRequirementDecision`: an officer proposes or withdraws the seal requirement of a declaration ("Đề xuất/Bỏ
  đề xuất niêm phong"); the latest decision is the officers' word, which the gate combines with upstream's flag.
- `Seal`: a customs seal put on a container, wagon or package. A seal number in active use is used once:
  `active_key` holds the number while the seal is active and unique, NULL once replaced or removed (as
  `gate_passage.standing_key`). A seal recorded offline with a number already active elsewhere keeps
  `active_key` NULL and names the seal it conflicts with (`conflict_with`): both facts kept, for reconciliation.
- `SealDeclaration`: which declarations a seal covers: one row per (seal, declaration). A seal covers the declaration
  it was recorded for (`Seal.declaration`) and, on a container consolidated at a CFS (Art 44.2.b.1.2), every
  declaration of its consolidation list (form 25), and the transit declaration that carries it on (44.2.b.2).
  Everything that reads "the declaration's seals" reads them through this table.
- `SealCorrection`: a mistaken container number or carrier seal number found while sealing (Art 41.1.c.1.1).
- `SealedConfirmation`: "Xác nhận niêm phong hàng hóa", once per declaration (also for unsealable goods after
  their handover record, Art 35.1.a.3).
- `HandoverRecord`: form 10/BBBG/GSQL, or a record of findings (transit); `state` only through workflow.transition().
- `ViolationRecord`: what the receiving branch found not as recorded: a Biên bản vi phạm for the departure branch's
  supervisors (Art 41.2.b.2), or, at a bonded warehouse, a proposal to its own head for a physical inspection
  (Art 43.1.c.4).
"""

from enum import StrEnum

from piccolo.columns import UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.declarations.tables import Declaration
from backend.officers.tables import Branch, Location, Officer
from backend.seals.workflow import RecordState


class SealState(StrEnum):
    ACTIVE = "active"
    REPLACED = "replaced"  # another seal was put on the same unit
    REMOVED = "removed"  # cut at the destination, or a mistake


class UnitKind(StrEnum):
    CONTAINER = "container"  # ISO 6346 container number
    WAGON = "wagon"  # rail wagon number
    PACKAGE = "package"  # package marks


class RecordKind(StrEnum):
    HANDOVER = "handover"  # Biên bản bàn giao, form 10/BBBG/GSQL (Art 35.1, 36.1, 43.1.c)
    FINDINGS = "findings"  # Biên bản ghi nhận, unsealable transit goods (Art 41.1.c.1.1)


class SealRequirementDecision(Table, tablename="seals_requirement"):
    """An officer's proposal (or withdrawal) of the seal requirement for a declaration."""

    command_id = UUID(unique=True)
    declaration = ForeignKey(references=Declaration, null=False, index=True)
    required = Boolean()  # True: proposed; False: withdrawn
    reason = Text(default="")
    branch = ForeignKey(references=Branch, null=False)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())


class Seal(Table, tablename="seals_seal"):
    """A customs seal on one container, wagon or package of a declaration."""

    command_id = UUID(index=True)
    declaration = ForeignKey(references=Declaration, null=False, index=True)
    unit_kind = Varchar(length=16, choices=UnitKind)
    unit = Varchar(length=64)  # container number (normalised), wagon number, or package marks
    seal_number = Varchar(length=32, index=True)
    # The seal number while the seal is active, NULL otherwise; unique, so the database refuses a seal number in
    # active use twice, even between branches (their journal chains are written concurrently).
    active_key = Varchar(length=32, null=True, default=None, unique=True)
    state = Varchar(length=16, choices=SealState, default=SealState.ACTIVE)
    scanned = Boolean(default=False)  # read from the seal's barcode rather than typed
    conflict_with = Integer(null=True, default=None)  # made offline: the Seal.id that already held this number
    server_notes = Text(default="[]")  # JSON: what the server found when it applied a command made offline
    branch = ForeignKey(references=Branch, null=False, index=True)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    sealed_at = Timestamptz()  # device clock
    recorded_at = Timestamptz(default=TimestamptzNow())
    ended_command_id = UUID(null=True, default=None)
    ended_by = ForeignKey(references=Officer, null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    # Why the seal ended: "replaced", "cut" (opened after checking it, at the destination) or "mistake" (recorded
    # in error), and the officer's words.
    end_cause = Varchar(length=16, default="")
    end_reason = Text(default="")
    # A container consolidated at a CFS (Art 44.2.b.1.2): the consolidation list (cfs_list.id) whose declarations the
    # seal covers; NULL for a seal of one declaration.
    cfs_list = Integer(null=True, default=None)


class SealDeclaration(Table, tablename="seals_covers"):
    """A declaration a seal covers. Every seal has the row of its own declaration (`Seal.declaration`); a seal on a
    container consolidated at a CFS has one per declaration of the list (Art 44.2.b.1.2: one seal, several export
    declarations), and one for the transit declaration that carries the container to the exit gate (44.2.b.2, Art
    41.1.c). Unique per (seal, declaration): a raw index (migration seals_2026_12_08t08_00_01)."""

    seal = ForeignKey(references=Seal, null=False, index=True)
    declaration = ForeignKey(references=Declaration, null=False, index=True)


class SealCorrection(Table, tablename="seals_correction"):
    """A container number or carrier seal number corrected while sealing (Art 41.1.c.1.1), with the reason."""

    command_id = UUID(unique=True)
    declaration = ForeignKey(references=Declaration, null=False, index=True)
    field = Varchar(length=24)  # "container_number" | "carrier_seal"
    container = Varchar(length=11)  # the container concerned, as declared
    old_value = Varchar(length=64)
    new_value = Varchar(length=64)
    reason = Text()
    branch = ForeignKey(references=Branch, null=False)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())


class SealedConfirmation(Table, tablename="seals_confirmation"):
    """The officer's signed confirmation that a declaration's goods are sealed, or recorded in a handover record
    when they cannot be sealed. One per declaration (the unique column)."""

    command_id = UUID(unique=True)
    declaration = ForeignKey(references=Declaration, null=False, unique=True)
    seal_count = Integer(default=0)
    record = Integer(null=True, default=None)  # HandoverRecord.id for unsealable goods (Art 35.1.a.3)
    server_notes = Text(default="[]")
    branch = ForeignKey(references=Branch, null=False)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())


class HandoverRecord(Table, tablename="seals_record"):
    """A handover record (form 10/BBBG/GSQL) or a record of findings.

    `serial` is `<10|GN>/<branch code>/<year>/<seq, 6 digits>`, numbered per branch, kind and year by the branch
    that enters it, inside the entering command's transaction (the journal serializes a branch's writes).
    """

    command_id = UUID(unique=True)
    kind = Varchar(length=16, choices=RecordKind)
    serial = Varchar(length=48, unique=True, index=True)
    year = Integer()
    seq = Integer()
    numbered_by = ForeignKey(references=Branch, null=False)  # whose sequence the serial is in
    from_branch = ForeignKey(references=Branch, null=True, index=True)  # NULL: a paper record from outside giamsat
    from_branch_name = Varchar(length=200, default="")  # as written on a paper record
    to_branch = ForeignKey(references=Branch, null=False, index=True)
    declaration = ForeignKey(references=Declaration, null=True, default=None, index=True)
    declaration_number = Varchar(length=12)
    containers = Text(default="[]")  # JSON: [{number, seal_number}]
    goods = Text(default="[]")  # JSON: unsealable goods lines [{name, quantity, unit, type, marks, origin}]
    note = Text(default="")
    representative_name = Varchar(length=200, default="")
    representative_signature = Varchar(length=64, default="")  # SHA-256 of the drawn signature (PNG), or ""
    state = Varchar(length=16, choices=RecordState, default=RecordState.DRAFT, index=True)
    paper_only = Boolean(default=False)  # entered afterwards from a paper record (Art 43.1.c.1)
    paper_number = Varchar(length=64, default="")
    paper_date = Date(null=True, default=None)
    location = ForeignKey(references=Location, null=False)  # where it was made (or entered)
    officer = ForeignKey(references=Officer, null=False)  # who made (or entered) it
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())
    signed_by = ForeignKey(references=Officer, null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    handed_over_by = ForeignKey(references=Officer, null=True, default=None)
    handed_over_at = Timestamptz(null=True, default=None)
    received_by = ForeignKey(references=Officer, null=True, default=None)
    received_at = Timestamptz(null=True, default=None)
    received_location = ForeignKey(references=Location, null=True, default=None)
    receipt_check = Text(default="{}")  # JSON: what the receiving officer compared
    discrepancy = Text(default="")
    violation = Integer(null=True, default=None)  # ViolationRecord.id
    changed_at = Timestamptz(default=TimestamptzNow())  # server time of the last change: the replica cursor
    # Art 43.1.c.3: the receipt is confirmed "on the System" by the outbox message of its command; while that has not
    # reached the System, the record is signed, stamped and faxed to the departure branch within the day.
    receipt_command = UUID(null=True, default=None)  # the seals.receive_record command (its outbox message's)
    faxed_at = Timestamptz(null=True, default=None)  # when the officer says the fax went (device time)
    faxed_by = ForeignKey(references=Officer, null=True, default=None)
    fax_to = Varchar(length=200, default="")  # the departure branch's fax number, as the officer wrote it


class ViolationClause(StrEnum):
    """Which clause a discrepancy found on receipt follows, and so whom it is addressed to."""

    # Transit arrival (Art 41.2.b.2): "lập Biên bản vi phạm và chuyển Chi cục Hải quan nơi hàng hóa chuyển đi".
    TRANSIT = "41.2.b.2"
    # A bonded warehouse (Art 43.1.c.4): "đề xuất Chi cục trưởng Chi cục Hải quan tiến hành kiểm tra thực tế":
    # the head of the branch managing the warehouse, the receiving branch.
    BONDED_WAREHOUSE = "43.1.c.4"


class ViolationRecord(Table, tablename="seals_violation"):
    """What the receiving branch found not as recorded (containers, seals or goods), addressed to the supervisors
    of `to_branch`, who see it in their list: under 41.2.b.2 a Biên bản vi phạm for the departure branch; under
    43.1.c.4 (found at a bonded warehouse) a proposal to the receiving branch's head for a physical inspection. A
    paper record from a branch not in giamsat has no departure branch here: its violation record goes to the
    receiving branch's supervisors, who pass it on to `forward_to` (the name on the paper)."""

    command_id = UUID(unique=True)
    record = ForeignKey(references=HandoverRecord, null=False, index=True)
    declaration = ForeignKey(references=Declaration, null=True, default=None)
    by_branch = ForeignKey(references=Branch, null=False)  # the receiving branch, which found it
    to_branch = ForeignKey(references=Branch, null=True, index=True)  # whose supervisors it is for (see above)
    clause = Varchar(length=16, choices=ViolationClause, default=ViolationClause.TRANSIT)
    forward_to = Varchar(length=200, default="")  # a departure branch not in giamsat, as the paper names it
    text = Text()
    containers = Text(default="[]")  # JSON: [{number, seal_number, intact}] as found
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())
    # A supervisor of the departure branch closes it, saying what was done.
    closed_by = ForeignKey(references=Officer, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    closing_note = Text(default="")


class MismatchRoute(StrEnum):
    """Art 41.1.c.2, "hướng dẫn người khai hải quan khai bổ sung (nếu có) hoặc báo cáo Chi cục trưởng": which of the
    two the officer chose when sealing found the goods not as declared."""

    SUPPLEMENT = "supplement"  # the declarant was guided to supplement the declaration
    REPORT = "report"  # reported to the head of the branch, who decides case by case


class SealingMismatch(Table, tablename="seals_mismatch"):
    """A transit declaration's goods found not as declared at sealing (Art 41.1.c.2), reported by an officer of the
    departure branch; seen by that branch's supervisors (/seals/violations). While open, the goods are not sealed:
    `seals.confirm_sealed` is refused (41.1.c.1 seals only "trường hợp kết quả kiểm tra phù hợp"). Resolved by
    `seals.resolve_sealing_mismatch`: the head's decision (report), or the supplement received (supplement)."""

    command_id = UUID(unique=True)
    declaration = ForeignKey(references=Declaration, null=False, index=True)
    number = Varchar(length=12)
    branch = ForeignKey(references=Branch, null=False, index=True)  # the departure branch: whose supervisors see it
    route = Varchar(length=16, choices=MismatchRoute)
    differences = Text()  # what differs from the declaration and the approval notice, in the officer's words
    units = Text(default="[]")  # JSON: the containers, wagons or packages concerned, as the officer named them
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())
    resolved_command_id = UUID(null=True, default=None)
    resolved_by = ForeignKey(references=Officer, null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    resolution = Text(default="")
