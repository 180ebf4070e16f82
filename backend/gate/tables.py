"""What happened at the gate: confirmations of passage and the reports to the supervisor.

Written only by the gate commands (backend/gate/commands.py), through the journal. A gate card
(backend/gate/cards.py) is still computed from the declarations mirror; these tables hold the officers' acts.
"""

from enum import StrEnum

from piccolo.columns import UUID, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.declarations.tables import Declaration
from backend.officers.tables import Branch, Location, Officer

# The unit of a passage for bulk, liquid and loose cargo: the whole lot passes at once (Art 35.2.a.2).
LOT = "LOT"


class Passage(Table, tablename="gate_passage"):
    """A confirmation that goods passed the supervision zone (Art 35.2.b.1 / 36.2.c.1): one container (trucks pass
    one by one), or the whole lot of bulk, liquid or loose cargo (`unit` = LOT). Cancelled, it stays, with why
    (35.2.b.2.2)."""

    command_id = UUID(index=True)  # one command may confirm the few containers of one truck
    declaration = ForeignKey(references=Declaration, null=False, index=True)
    unit = Varchar(length=11)  # ISO 6346 container number, or LOT
    # "<declaration id>/<unit>" while the confirmation stands, NULL once cancelled. Unique: at most one standing
    # confirmation of a container or lot, enforced by the database even between branches (separate journal chains).
    standing_key = Varchar(length=40, null=True, default=None, unique=True)
    version = Integer()  # the declaration's version the officer confirmed against
    scanned = Boolean(default=False)  # from a signed barcode (False: the number was typed, Art 35.2.c)
    presented = Text(default="{}")  # JSON: what the officer entered (weight, packages, outside state)
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    confirmed_at = Timestamptz()  # device clock
    recorded_at = Timestamptz(default=TimestamptzNow())  # server clock
    # The server's own check when it applied the confirmation, when it differed from the device's (made offline
    # or in contingency mode: applied anyway, the goods have gone; shown on /reconciliation). JSON list of reasons.
    server_reasons = Text(default="[]")
    cancelled_command_id = UUID(null=True, default=None)
    cancelled_by = ForeignKey(references=Officer, null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Text(default="")
    changed_at = Timestamptz(default=TimestamptzNow())  # confirmed or cancelled: the replica cursor


class ReportKind(StrEnum):
    MISMATCH = "mismatch"  # documents or goods do not match: report to the supervisor (35.2.b.2.3 / 36.2.c.2.3)
    EXIT_REFUSED = "exit_refused"  # at a land border: the goods are not allowed out (36.2.c.2.3)


class GateReport(Table, tablename="gate_report"):
    """A report to the branch's supervisors about goods at a gate: a mismatch, or an exit refused at a land border."""

    command_id = UUID(unique=True)
    kind = Varchar(length=16, choices=ReportKind)
    number = Varchar(length=12)  # the declaration number as read (it may not be in giamsat)
    declaration = ForeignKey(references=Declaration, null=True, default=None)
    branch = ForeignKey(references=Branch, null=False, index=True)  # the location's branch: whose supervisors see it
    location = ForeignKey(references=Location, null=False)
    officer = ForeignKey(references=Officer, null=False)
    reasons = Text(default="[]")  # JSON: [{code, clause}] of the verdict the officer saw
    containers = Text(default="[]")  # JSON list of the containers concerned
    note = Text(default="")
    cancelled_passages = Integer(default=0)  # confirmations cancelled with the report (W1.4)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())
    closed_by = ForeignKey(references=Officer, null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    closing_note = Text(default="")


class CardState(Table, tablename="gate_card_state"):
    """Every state a gate card was served in (stamp = the card's `updated_at`) and whether the goods could pass on
    it: the server's record of what a device may have checked. A confirmation made offline names the card it
    checked (signed); only a card that could pass lets it be applied against the server's current check
    (docs/offline.md, "Offline is a marking, not a permission")."""

    declaration = ForeignKey(references=Declaration, null=False, index=True)
    stamp = Varchar(length=40)  # the card's updated_at, as devices hold it (clock.iso)
    eligible = Boolean(default=False)  # the card itself let goods pass (every declared unit presented as declared)
    recorded_at = Timestamptz(default=TimestamptzNow())
