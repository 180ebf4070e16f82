"""The bonded domain's tables (Decision 1966 Art 43; 44.2.a for a CFS); written only by the `bonded.*` commands and
by the after-apply hook that follows the seals domain's receipt of a handover record (commands.py).

Quantities are kept in thousandths of the lot's unit (`*_m` columns), so that "12,5 tấn" or "1850,25 kg" stay exact
and stock is compared in integers."""

from piccolo.columns import UUID, BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.bonded.workflow import ProposalState, ReleaseState
from backend.officers.tables import Branch, Location, Officer


class BondedEntry(Table, tablename="bonded_entry"):
    """Goods in: one declaration's goods entering a bonded warehouse under the managing branch's supervision.

    `kind`: `abroad` (43.1: the handover record from the gate received by the managing branch, `record` its id),
    `same_branch` (43.1.d: gate and warehouse under one branch, TT38 Art 91.6: no handover record), `domestic` (43.2:
    from the domestic market or a non-tariff zone), `bonded` (43.6.a: from another bonded warehouse)."""

    command_id = UUID(unique=True)
    premises = ForeignKey(references=Location, null=False, index=True)
    branch = ForeignKey(references=Branch, null=False)  # the managing branch when the goods entered
    kind = Varchar(length=16)
    declaration_number = Varchar(length=12, index=True)
    record = Integer(null=True, default=None, unique=True)  # seals_record.id (43.1); at most one entry per record
    record_serial = Varchar(length=40, default="")
    note = Text(default="")
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())


class BondedLot(Table, tablename="bonded_lot"):
    """A lot of bonded stock: what one entry brought in, by goods line. `quantity_left_m` only decreases, through a
    conditional update that never takes it below zero (commands.py `_take`)."""

    entry = ForeignKey(references=BondedEntry, null=False, index=True)
    premises = ForeignKey(references=Location, null=False, index=True)
    declaration_number = Varchar(length=12, index=True)
    goods = Text()
    unit = Varchar(length=24)
    quantity_in_m = BigInt()
    quantity_left_m = BigInt()


class BondedRelease(Table, tablename="bonded_release"):
    """Goods out: a movement out of a bonded warehouse on the warehouse's release note (Phiếu xuất kho).

    `kind`: `abroad` (43.3: on an independent transit declaration), `domestic` (43.4; 44.2.a from a CFS),
    `non_tariff` (43.5: to the zone managed by `to_branch`, sealed, with a handover record `record`), `bonded` (43.6:
    to the bonded warehouse `to_premises`). `state` is assigned only by `workflow.transition()`."""

    command_id = UUID(unique=True)
    premises = ForeignKey(references=Location, null=False, index=True)
    branch = ForeignKey(references=Branch, null=False)
    kind = Varchar(length=16)
    declaration_number = Varchar(length=12, index=True)
    note_number = Varchar(length=40)  # số Phiếu xuất kho
    to_branch = ForeignKey(references=Branch, null=True, default=None)
    to_premises = ForeignKey(references=Location, null=True, default=None)
    state = Varchar(length=16, choices=ReleaseState, default=ReleaseState.SUBMITTED, index=True)
    created_by = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    recorded_at = Timestamptz(default=TimestamptzNow())
    checked_by = ForeignKey(references=Officer, null=True, default=None)
    checked_at = Timestamptz(null=True, default=None)
    checks = Text(default="{}")  # JSON: what the officer compared and ticked (43.3.a.1-a.2, 43.4.b.1-b.2)
    record = Integer(null=True, default=None)  # seals_record.id of the handover record to the zone's branch (43.5)
    record_serial = Varchar(length=40, default="")
    done_at = Timestamptz(null=True, default=None)


class BondedReleaseLine(Table, tablename="bonded_release_line"):
    """One line of the release note: a quantity of one lot, and what the officer found loaded."""

    release = ForeignKey(references=BondedRelease, null=False, index=True)
    line = Integer()
    lot = ForeignKey(references=BondedLot, null=False, index=True)
    quantity_m = BigInt()
    loaded_m = BigInt(null=True, default=None)


class BondedProposal(Table, tablename="bonded_proposal"):
    """An officer's proposal to the head of the branch (Chi cục trưởng) for a physical inspection on signs of a
    violation (43.1.c.4, 43.2.b on entry; 43.3.a.1 on release); the head's decision is a signed command."""

    command_id = UUID(unique=True)
    premises = ForeignKey(references=Location, null=False, index=True)
    branch = ForeignKey(references=Branch, null=False, index=True)
    entry = ForeignKey(references=BondedEntry, null=True, default=None)
    release = ForeignKey(references=BondedRelease, null=True, default=None)
    clause = Varchar(length=16)
    text = Text()
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    state = Varchar(length=16, choices=ProposalState, default=ProposalState.PROPOSED, index=True)
    decided_by = ForeignKey(references=Officer, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
    inspect = Boolean(null=True, default=None)
