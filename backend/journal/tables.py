from piccolo.columns import UUID, Integer, Text, Varchar
from piccolo.table import Table


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
    signature = Text(null=True, default=None)
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class JournalChainHead(Table, tablename="journal_chain_head"):
    """The latest row of each chain. It anchors the chain's end, so removing the last row is detected too."""

    chain = Varchar(length=16, unique=True, index=True)
    seq = Integer()
    hash = Varchar(length=64)
