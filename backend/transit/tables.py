"""The transit domain's tables.

- `TransitCase`: one per transit declaration (Arts 41-42), made from the declarations mirror when upstream sends
  the declaration (services.follow_upstream). The declaration, its departure branch (the branch of registration)
  and destination branch, the registered transit time, the exit mode and the combined-transit case are upstream's
  facts, copied from the mirror, never typed by an officer. `state` changes only through workflow.transition().
- `TransitEvent`: the case's timeline: every transition (from, to, who, when, clause, note), and the notes that
  change no state (a COT nobody asked for, a letter to the destination branch, a trace case).
- `VerificationRequest`: the departure branch's letter asking the destination branch to verify a lot past its
  deadline (41.1.4.b); an item for the destination branch until it answers.
- `RiskNote`: what the departure branch asks the destination to watch closely (41.2.a.3), written before arrival.
- `ArrivalCheck`: the destination's check of the approval notice against what the departure branch recorded
  (41.2.a.1-2): the declaration's status, each container's (wagon's, package's) seal as sealed at departure and
  what was found; one per case. BIA follows a check that found everything as recorded (41.2.b.1), a violation
  record one that did not (41.2.b.2).

The overdue list reads `transit_case` by (departure_branch, state, deadline): a composite index made by a raw
step of the migration `transit_2026_12_05t12_30_00`, since a Piccolo table declares single-column indexes only.
"""

from piccolo.columns import UUID, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.declarations.tables import Declaration
from backend.officers.tables import Branch, Location, Officer
from backend.transit.workflow import TransitState


class TransitCase(Table, tablename="transit_case"):
    """A transit declaration's case: its state, who was assigned, what was decided, the clock, the marks."""

    declaration = ForeignKey(references=Declaration, null=False, unique=True)
    number = Varchar(length=12, unique=True, index=True)
    kind = Varchar(length=24)  # independent_transit | combined_transit (the mirror's kind)
    # Upstream facts (declarations.schemas.TransitFacts), kept as upstream last sent them.
    departure_branch = ForeignKey(references=Branch, null=False, index=True)
    destination_branch = ForeignKey(references=Branch, null=True, default=None, index=True)  # None: not in giamsat
    destination_code = Varchar(length=16, default="")
    transit_hours = Integer(default=0)
    exit_mode = Varchar(length=16, default="")  # road | river | inland_waterway | rail: two-step arrival
    combined_case = Varchar(length=2, default="")  # Art 42.1 a-đ
    supplements_seen = Integer(default=0)  # COT supplements already followed
    amendments_seen = Integer(default=0)  # COR/CAN already followed

    state = Varchar(length=32, choices=TransitState, index=True)
    # CES (41.1.b.1, 41.3.a): the checking officer and the head's instructions ("Nội dung giao việc").
    assigned_officer = ForeignKey(references=Officer, null=True, default=None, index=True)
    instructions = Text(default="")
    assigned_by = ForeignKey(references=Officer, null=True, default=None)
    assigned_at = Timestamptz(null=True, default=None)
    # The last CET (A / C / X) and its reason.
    decision_code = Varchar(length=1, default="")
    decision_reason = Text(default="")
    decided_by = ForeignKey(references=Officer, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    sealed_by = ForeignKey(references=Officer, null=True, default=None)
    sealed_at = Timestamptz(null=True, default=None)
    # BOA and the deadline: departure + the registered transit time (41.1.4).
    departed_by = ForeignKey(references=Officer, null=True, default=None)
    departed_at = Timestamptz(null=True, default=None)
    deadline = Timestamptz(null=True, default=None, index=True)
    # The exit gate's two steps (41.2.b.1.1): in the gate's area, then BIA when all goods crossed.
    exit_area_by = ForeignKey(references=Officer, null=True, default=None)
    exit_area_at = Timestamptz(null=True, default=None)
    # Art 41.2.b.1.1.1: while the gate-area confirmation has not reached the System, the first page of the approval
    # notice is signed, stamped, dated and faxed to the departure branch; the destination records that fax.
    notice_faxed_at = Timestamptz(null=True, default=None)
    notice_faxed_by = ForeignKey(references=Officer, null=True, default=None)
    notice_fax_to = Varchar(length=200, default="")  # the departure branch's fax number, as the officer wrote it
    arrived_by = ForeignKey(references=Officer, null=True, default=None)
    arrived_at = Timestamptz(null=True, default=None)
    # Violation at the destination and the penalty carried out (41.2.b.2).
    violation_note = Text(default="")
    violation_by = ForeignKey(references=Officer, null=True, default=None)
    violation_at = Timestamptz(null=True, default=None)
    penalty_note = Text(default="")
    penalty_by = ForeignKey(references=Officer, null=True, default=None)
    penalty_at = Timestamptz(null=True, default=None)
    # The destination's arrival check (ArrivalCheck, 41.2.a.1-2): "" not made, "passed" everything as recorded,
    # "failed" a seal broken or different, a container missing, goods not as recorded. workflow.check reads it:
    # after a failed check, BIA (or the exit gate's area) only once the penalty is carried out (41.2.b.2).
    arrival_check = Varchar(length=8, default="")
    # An amendment (COR) or cancellation (CAN) being handled (41.3), and where a refused one returns.
    amendment_kind = Varchar(length=3, default="")
    resume_state = Varchar(length=32, default="")
    amendment_proposal = Varchar(length=8, default="")  # accept | refuse: the officer's proposal
    amendment_reason = Text(default="")
    amendment_decision = Varchar(length=8, default="")  # accept | refuse: the head's decision
    amendment_decision_reason = Text(default="")
    # A lot never arrived: the departure branch's trace case and its outcome (41.1.4.b).
    trace_opened_by = ForeignKey(references=Officer, null=True, default=None)
    trace_opened_at = Timestamptz(null=True, default=None)
    trace_note = Text(default="")
    trace_outcome = Varchar(length=16, default="")  # found | not_found, once closed
    trace_closed_by = ForeignKey(references=Officer, null=True, default=None)
    trace_closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    changed_at = Timestamptz(default=TimestamptzNow())


class TransitEvent(Table, tablename="transit_event"):
    """One row of a case's timeline."""

    case = ForeignKey(references=TransitCase, null=False, index=True)
    from_state = Varchar(length=32, default="")  # "" for the case's first row
    to_state = Varchar(length=32)
    officer = ForeignKey(references=Officer, null=True, default=None)  # None: the national system
    made_at = Timestamptz()  # when it was done (the server's estimate of the device time; upstream: when received)
    recorded_at = Timestamptz(default=TimestamptzNow())
    clause = Varchar(length=32)  # Decision 1966, e.g. 41.1.b.2.3
    note = Text(default="")
    command_id = UUID(null=True, default=None)  # the journal's command, for an officer's action


class VerificationRequest(Table, tablename="transit_verification"):
    """The departure branch's letter asking the destination branch to check the state of a lot (41.1.4.b)."""

    command_id = UUID(unique=True)
    case = ForeignKey(references=TransitCase, null=False, index=True)
    from_branch = ForeignKey(references=Branch, null=False)
    to_branch = ForeignKey(references=Branch, null=False, index=True)
    letter = Text()
    requested_by = ForeignKey(references=Officer, null=False)
    requested_at = Timestamptz()
    answer = Text(default="")
    answered_by = ForeignKey(references=Officer, null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)


class RiskNote(Table, tablename="transit_risk_note"):
    """A note of the departure branch for the destination: what to watch closely when the goods arrive (41.2.a.3,
    "thông tin cần lưu ý kiểm soát chặt chẽ hoặc cảnh báo về mức độ rủi ro ... do Chi cục Hải quan nơi hàng hóa
    chuyển đi chỉ dẫn")."""

    command_id = UUID(unique=True)
    case = ForeignKey(references=TransitCase, null=False, index=True)
    text = Text()
    officer = ForeignKey(references=Officer, null=False)
    made_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())


class ArrivalCheck(Table, tablename="transit_arrival_check"):
    """The destination's check on arrival (41.2.a.1-2), one per case: how the notice was read, the declaration's
    status then, and one line per unit with its seal at departure and what was found."""

    command_id = UUID(unique=True)
    case = ForeignKey(references=TransitCase, null=False, unique=True)
    notice_read = Varchar(length=8)  # barcode | typed: the notice's barcode read, or its number typed (a.1)
    notice_version = Integer(null=True, default=None)  # the version the barcode was printed for
    status_code = Varchar(length=32)  # the declaration's status in the mirror at the check
    allows_passage = Boolean(default=False)
    # JSON: [{unit_kind, unit, seal_number, finding}]: finding intact | broken | missing (the seal at departure,
    # "" when the unit travels without a customs seal).
    lines = Text(default="[]")
    goods_finding = Varchar(length=16, default="")  # goods not sealed: as_recorded | different; "" when all sealed
    note = Text(default="")
    passed = Boolean(default=False)  # every line intact, the goods as recorded
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    checked_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())
