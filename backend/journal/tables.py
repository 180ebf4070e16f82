from piccolo.columns import UUID, BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.officers.tables import Officer


class JournalEntry(Table, tablename="journal_entry"):
    """One applied command.

    Rows form one hash chain per branch (`chain` is the branch code): each row's hash covers its own
    fields and the previous row's hash in the same chain, so an altered or removed row breaks the chain.
    Payload and result are stored as the exact canonical JSON that was hashed.
    """

    chain = Varchar(length=16, index=True)
    seq = Integer(index=True)
    command_id = UUID(unique=True, index=True)
    command_type = Varchar(length=64, index=True)
    actor_code = Varchar(length=32)
    device_id = Varchar(length=64)
    issued_at = Varchar(length=40)  # device clock, ISO 8601 as received (kept exact for the hash)
    received_at = Varchar(length=40)  # server clock, ISO 8601 UTC with microseconds
    payload = Text()
    result = Text()
    signature = Text(null=True, default=None)  # {nonce, credential, signed}: see journal/signing.py
    offline = Boolean(default=False)  # the device queued it because it could not reach the server
    contingency = Boolean(default=False)  # made offline, or while the upstream system was declared down
    # The device's measured clock offset (server minus device, ms) when it made the command; None when it gave
    # none. Hashed when present (rows from before it existed hash as they did).
    clock_offset_ms = BigInt(null=True, default=None)
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
    # Derived from hashed fields, kept for queries (the logbook's "location and day"); not hashed themselves.
    location_id = Integer(null=True, default=None, index=True)  # the payload's location_id, when it has one
    issued_at_utc = Varchar(length=40, default="", index=True)  # issued_at in UTC, spelled as received_at
    # The declaration the command was about, when its result names one (`number`), as location_id is the
    # payload's: the evidence view finds a declaration's rows by it without reading every result. Not hashed:
    # it is read from the hashed result.
    declaration_number = Varchar(length=12, null=True, default=None, index=True)
    # The server's estimate of when the action was made, in UTC spelled as received_at: the device time
    # corrected by its offset, never after received_at (journal.services.clock_estimate). Not hashed: derived
    # from hashed fields, like location_id.
    made_at_utc = Varchar(length=40, default="", index=True)
    # received_at minus the corrected device time, in ms: how long the command waited before the server had it.
    # Negative: the corrected time is after the server received it (the clock, or its offset, is wrong).
    # Derived like made_at_utc; /reconciliation lists implausible values.
    wait_ms = BigInt(default=0)


class JournalChainHead(Table, tablename="journal_chain_head"):
    """The latest row of each chain. It anchors the chain's end, so removing the last row is detected too."""

    chain = Varchar(length=16, unique=True, index=True)
    seq = Integer()
    hash = Varchar(length=64)


class SigningNonce(Table, tablename="signing_nonce"):
    """A server-issued value bound into the challenge of signed commands (journal/signing.py).

    Two kinds. A *ticket* (`reusable`, issued to one device of one officer, renewed daily while online) may
    sign any number of commands, each bound to it by its own single-use command id: it proves the signature
    was made after the ticket was issued. A *single-use nonce* (the first version's stock) signs one command;
    devices may still hold some, so they are still accepted, once each.
    """

    nonce = Varchar(length=64, unique=True, index=True)  # base64url of 32 random bytes
    officer = ForeignKey(references=Officer, null=False)
    issued_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)  # a single-use nonce: when it was used
    command_id = UUID(null=True, default=None)  # a single-use nonce: the command it signed
    reusable = Boolean(default=False)  # a ticket
    device_id = Varchar(length=64, null=True, default=None)  # a ticket: the device it was issued to
