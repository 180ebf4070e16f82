"""The inbox of an actor: every registered kind's items for the actor's branch, grouped, newest first."""

from __future__ import annotations

from datetime import datetime

from backend.inbox import policy
from backend.inbox.registry import Asking, load_kinds
from backend.inbox.schemas import Inbox, InboxGroup
from backend.lib import clock
from backend.lib.i18n import gettext
from backend.officers.schemas import Actor
from backend.settings import Settings


async def inbox_for(actor: Actor, settings: Settings, now: datetime | None = None) -> Inbox:
    """Empty for whoever has no inbox (policy.has_inbox). The providers run one after another: they share the
    request's database connection pool, and a branch's inbox is a handful of small indexed queries."""
    if not policy.has_inbox(actor):
        return Inbox(total=0, groups=[])
    asking = Asking(actor=actor, settings=settings, now=now or clock.now())
    groups = []
    for kind in sorted(load_kinds().values(), key=lambda kind: (kind.order, kind.key)):
        items = await kind.provider(asking)
        if items:
            items.sort(key=lambda item: item.since, reverse=True)
            groups.append(InboxGroup(kind=kind.key, label=gettext(kind.label), clause=kind.clause, items=items))
    return Inbox(total=sum(len(group.items) for group in groups), groups=groups)


async def count_for(actor: Actor, settings: Settings) -> int:
    return (await inbox_for(actor, settings)).total
