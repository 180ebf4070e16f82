"""What the inbox answers: the items waiting for the branch's decision, grouped by kind."""

from __future__ import annotations

from datetime import datetime

import msgspec


class InboxItem(msgspec.Struct, kw_only=True):
    """One thing waiting for a supervisor's decision, as its domain describes it."""

    kind: str  # the registry's key
    ref: str  # unique within the kind: the domain's row ("report 12", a declaration number…)
    title: str  # in the reader's language
    number: str = ""  # the declaration concerned, if one
    detail: str = ""  # the evidence in a line: reasons, the officer's note, the letter…
    officer: str = ""  # who made it (an officer's name, or another branch)
    since: datetime  # when it started waiting
    deadline: datetime | None = None  # when the procedure (or giamsat's rule) wants it decided
    url: str  # where it is decided


class InboxGroup(msgspec.Struct, kw_only=True):
    kind: str
    label: str
    clause: str
    items: list[InboxItem]  # newest first


class Inbox(msgspec.Struct, kw_only=True):
    total: int
    groups: list[InboxGroup]  # the kinds with items, in the procedure's order
