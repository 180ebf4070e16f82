"""The inbox of an actor: every registered kind's items for the actor's branch, grouped, newest first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backend.inbox import policy
from backend.inbox.registry import Asking, load_kinds
from backend.inbox.schemas import Inbox, InboxAction, InboxGroup, InboxItem
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
    # The newest of each kind, at most GIAMSAT_INBOX_MAX_PER_KIND (each provider reads newest first and no more): an
    # item that just arrived is always there, and reaches the live stream; the group says when older ones are left out.
    cap = settings.inbox.max_per_kind
    for kind in sorted(load_kinds().values(), key=lambda kind: (kind.order, kind.key)):
        items = await kind.provider(asking)
        if items:
            items.sort(key=lambda item: item.since, reverse=True)
            groups.append(InboxGroup(
                kind=kind.key, label=gettext(kind.label), clause=kind.clause, order=kind.order, items=items[:cap],
                capped=len(items) >= cap,
            ))
    return Inbox(total=sum(len(group.items) for group in groups), groups=groups)


def find_action(inbox: Inbox, command: str, form: Mapping[str, Any]) -> tuple[InboxItem, InboxAction] | None:
    """The decision of `inbox` a submitted form names: the same command and every fixed payload value the same."""
    for group in inbox.groups:
        for item in group.items:
            for action in item.actions:
                if action.command == command and all(str(form.get(name, "")) == str(value) for name, value in action.payload.items()):
                    return item, action
    return None
