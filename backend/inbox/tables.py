"""What the live stream remembers (docs/inbox.md, "Live"): the items each branch's inbox held at its last
refresh, and the changes between refreshes as numbered events.

The inbox itself stores nothing: its items are the domains' rows, read by the providers. These two tables only
turn "the inbox now" into "what changed since cursor N", so that an open page (or one that was offline) receives
the changes and not the whole inbox again, and so that several app processes number the changes once.
"""

from __future__ import annotations

from piccolo.columns import BigSerial, Integer, Timestamptz, Varchar
from piccolo.table import Table


class InboxSeen(Table, tablename="inbox_seen"):
    """An item a branch's inbox held at the last refresh ((branch_id, item_key) is unique: migration)."""

    branch_id = Integer(index=True)
    item_key = Varchar(length=300)  # "<kind>:<ref>"


class InboxEvent(Table, tablename="inbox_event"):
    """An item that appeared in (added) or left (decided) a branch's inbox; `id` is the stream's cursor."""

    id = BigSerial(primary_key=True)
    branch_id = Integer(index=True)
    item_key = Varchar(length=300)
    change = Varchar(length=8)  # "added" | "decided"
    at = Timestamptz()
