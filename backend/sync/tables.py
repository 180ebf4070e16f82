from piccolo.columns import UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
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


class DeviceQueueReport(Table, tablename="device_queue_report"):
    """What a device last said waits in its queue for one officer (POST /api/v1/sync/device-queue, issue 15).

    Not a command and not journaled: it is the device telling its own state, not an officer's action, so it changes
    nothing of the procedure's and a newer report simply replaces the older one. One row per officer and device;
    the officer is always the session's. The supervisor's inbox (`sync.stale_queue`) and the dashboard read it.
    """

    officer_device = Varchar(length=100, unique=True)  # "<officer id>/<device_id>": the key the report upserts on
    officer = ForeignKey(references=Officer, null=False, index=True)
    device_id = Varchar(length=64)
    waiting = Integer(default=0)  # the officer's actions queued on the device
    oldest_issued_at = Timestamptz(null=True, default=None)  # device clock: the oldest queued action's issued_at
    rejected = Integer(default=0)  # the officer's actions the server refused, still shown on the device
    reported_at = Timestamptz()  # server clock
