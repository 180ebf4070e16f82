"""Kinds of inbox items, contributed by the domains as they contribute routes and commands.

A domain that has decisions for a branch's supervisors adds a module `backend/<domain>/inbox.py` that registers
its kinds with `@inbox_kind(...)`: a provider answering the items of that kind waiting for the asking
supervisor's branch (`Asking`).
`load_kinds()` imports that module of every domain in `backend.domains.DOMAINS`; nothing lists the kinds
elsewhere, so a later domain adds its decisions without editing the inbox.

A provider is given a supervisor with a branch (the inbox's policy decides that before it asks) and answers only
what that branch must decide: the facts it reads are the domain's, never the client's.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from backend.domains import DOMAINS
from backend.inbox.schemas import InboxItem
from backend.officers.schemas import Actor
from backend.settings import Settings



@dataclass(frozen=True)
class Asking:
    """Who asks (a supervisor of a branch: the inbox's policy decided), with the app's settings and the moment."""

    actor: Actor
    settings: Settings
    now: datetime


Provider = Callable[[Asking], Awaitable[list[InboxItem]]]


@dataclass(frozen=True)
class InboxKind:
    key: str  # "<domain>.<what>", e.g. gate.report
    label: str  # msgid: what the group is called on the page
    clause: str  # where Decision 1966 gives the decision to the head (shown with the group)
    provider: Provider
    order: int  # the page's group order: the procedure's order of articles


KINDS: dict[str, InboxKind] = {}


def inbox_kind(key: str, *, label: str, clause: str, order: int) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        if key in KINDS and KINDS[key].provider is not provider:
            raise ValueError(f"inbox kind {key} registered twice")
        KINDS[key] = InboxKind(key=key, label=label, clause=clause, provider=provider, order=order)
        return provider

    return register


def load_kinds() -> dict[str, InboxKind]:
    for domain in DOMAINS:
        module = f"backend.{domain}.inbox"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return KINDS
