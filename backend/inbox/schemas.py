"""What the inbox answers: the items waiting for the branch's decision, grouped by kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec


class InboxField(msgspec.Struct, kw_only=True):
    """What the supervisor fills in to decide: a line of text (a note, a reason) or a choice (whom to assign)."""

    name: str  # the payload field
    label: str  # in the reader's language
    kind: Literal["text", "choice"] = "text"
    required: bool = False
    choices: list[tuple[str, str]] = []  # (value, label), for a choice


class InboxAction(msgspec.Struct, kw_only=True):
    """A decision taken on the inbox itself, in one or two taps: a command with its fixed payload, plus the fields
    the supervisor fills. It goes through the device queue like every form (signed where the command is)."""

    command: str
    label: str  # the button, in the reader's language
    payload: dict[str, Any]  # fixed: which report, which request, which decision
    fields: list[InboxField] = []
    danger: bool = False  # a refusal: drawn as such


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
    url: str  # where it is decided, with the whole evidence
    actions: list[InboxAction] = []  # the decisions offered on the inbox itself (none: decided at `url`)


class InboxGroup(msgspec.Struct, kw_only=True):
    kind: str
    label: str
    clause: str
    order: int = 0  # the registry's: where the group goes among the others (the procedure's order)
    capped: bool = False  # GIAMSAT_INBOX_MAX_PER_KIND reached: older items of this kind are not shown
    items: list[InboxItem]  # newest first


class Inbox(msgspec.Struct, kw_only=True):
    total: int
    groups: list[InboxGroup]  # the kinds with items, in the procedure's order
