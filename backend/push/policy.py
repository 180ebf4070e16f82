"""Who may be notified, and of what.

A device is notified of its branch's inbox, so only a supervisor of a branch (backend/inbox/policy.has_inbox) may
subscribe one; officers, warehouse staff and admins have no decisions of a branch to wait for. An API token is a
machine's, not a device with a screen: it may not subscribe (a stolen token must not be able to listen to a
branch's activity either). A subscription is removed only by its own officer.
"""

from __future__ import annotations

from backend.inbox.policy import has_inbox
from backend.officers.schemas import Actor


def is_browser(actor: Actor) -> bool:
    return not actor.via_token


def may_subscribe(actor: Actor) -> bool:
    return has_inbox(actor) and is_browser(actor)


def owns(actor: Actor, subscription_officer_id: int) -> bool:
    return actor.id == subscription_officer_id


def may_unsubscribe(actor: Actor, subscription_officer_id: int) -> bool:
    return is_browser(actor) and owns(actor, subscription_officer_id)
