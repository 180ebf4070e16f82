from piccolo.columns import UUID, ForeignKey, Text, Timestamptz
from piccolo.table import Table

from backend.officers.tables import Branch, Officer


class ContingencyPeriod(Table, tablename="contingency_period"):
    """A time when the upstream customs system was declared down (domain.md W9).

    `branch` is the branch that declared it; no branch means every branch (declared by an admin, or later
    by the upstream adapter's health probe). Written only by the sync.* contingency commands.
    """

    branch = ForeignKey(references=Branch, null=True)
    reason = Text(default="")
    started_at = Timestamptz()
    started_by = ForeignKey(references=Officer, null=False)
    start_command_id = UUID(unique=True)
    ended_at = Timestamptz(null=True, default=None)
    ended_by = ForeignKey(references=Officer, null=True)
    end_command_id = UUID(null=True, default=None)


class ReconciliationReview(Table, tablename="reconciliation_review"):
    """A supervisor's review of a command made offline or in contingency mode, once the system is back."""

    command_id = UUID(unique=True, index=True)  # the reviewed command (journal_entry.command_id)
    reviewed_by = ForeignKey(references=Officer, null=False)
    reviewed_at = Timestamptz()
    note = Text(default="")
    review_command_id = UUID()  # the sync.review_commands command that recorded it


class UpstreamOutage(Table, tablename="upstream_outage"):
    """A time when the automatic check found the upstream customs system not answering (docs/offline.md 6).

    A detection, not a declaration: contingency mode is declared by a person (ContingencyPeriod), whom the
    supervisors' banner asks to. Written only by `sync.record_upstream_status`, which the probe sends as the system
    officer UPSTREAM; the command ids make each start and end recorded once however many processes probe.
    """

    started_at = Timestamptz()  # the first probe that got no answer
    start_command_id = UUID(unique=True)
    ended_at = Timestamptz(null=True, default=None)  # the first probe answered again
    end_command_id = UUID(null=True, default=None)
