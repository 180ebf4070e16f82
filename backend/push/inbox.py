"""Web Push joins the live inbox (backend/inbox/live.py): the branches with a subscribed supervisor's device are
refreshed even when no page of theirs is open, and the new items of a refresh are pushed to those devices (kinds
and counts only). Loaded by the inbox's registry with every domain's `inbox` module."""

from __future__ import annotations

from backend.inbox.live import BRANCH_SOURCES, NEW_ITEMS_LISTENERS
from backend.officers.tables import Role
from backend.push.services import notify_new_items
from backend.push.tables import PushSubscription


async def subscribed_branches() -> set[int]:
    """The branches of active supervisors with at least one device subscribed."""
    rows = await PushSubscription.select(PushSubscription.officer.branch.as_alias("branch")).where(
        (PushSubscription.officer.role == Role.SUPERVISOR.value) & (PushSubscription.officer.active == True)  # noqa: E712
    ).distinct()
    return {row["branch"] for row in rows if row["branch"] is not None}


if subscribed_branches not in BRANCH_SOURCES:
    BRANCH_SOURCES.append(subscribed_branches)
if notify_new_items not in NEW_ITEMS_LISTENERS:
    NEW_ITEMS_LISTENERS.append(notify_new_items)
