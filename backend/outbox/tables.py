"""The outbox: one row per message the national customs system must learn of (docs/outbox.md).

Rows are made by `services.record_messages`, which the journal runs after a command's handler succeeded, in the
same transaction: a command is never applied without its messages, nor a message kept for a command rolled back.
Their state changes only through `workflow.py`.
"""

from piccolo.columns import UUID, BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.officers.tables import Branch, Officer


class OutboxMessage(Table, tablename="outbox_message"):
    """A message to the national system. `id` orders the messages of one declaration (delivered in that order)."""

    message_id = UUID(unique=True)  # stable: the upstream's idempotency key (a resend is answered, not applied again)
    command_id = UUID(index=True)  # the journal's command that made it
    command_type = Varchar(length=64)
    kind = Varchar(length=64)  # what the national system is told, e.g. gate.passage_confirmed (registry.py)
    clause = Varchar(length=120, default="")  # the clause that does it "trên Hệ thống", as the registry cites it
    declaration_number = Varchar(length=12, default="", index=True)  # "" : not about one declaration (not ordered)
    branch = ForeignKey(references=Branch, null=True, index=True)  # the acting officer's branch (who sees it)
    branch_code = Varchar(length=16, default="")
    officer_code = Varchar(length=32, default="")
    made_at = Timestamptz()  # when the officer acted, as the journal estimates it
    contingency = Boolean(default=False)  # made offline or in contingency mode (the journal's marking)
    payload = Text(default="{}")  # JSON: what the domain's builder put in the message
    created_at = Timestamptz()
    state = Varchar(length=12, default="waiting", index=True)  # workflow.State
    attempts = Integer(default=0)
    # Epoch milliseconds, so that SQLite and PostgreSQL compare them the same way in the claim's SQL.
    next_attempt_ms = BigInt(default=0)
    lease_until_ms = BigInt(default=0)  # while `delivering`: after this, another pass may take it again
    claim = UUID(null=True, default=None)  # the delivery pass holding it
    last_error = Text(default="")
    delivered_at = Timestamptz(null=True, default=None)
    upstream_reference = Varchar(length=120, default="")
    refusal_reason = Text(default="")
    refused_at = Timestamptz(null=True, default=None)
    retried_by = ForeignKey(references=Officer, null=True)
    retried_at = Timestamptz(null=True, default=None)
