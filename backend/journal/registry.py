"""The registry of command types.

A domain's `commands.py` declares each command with `@command(...)`: its payload Struct and the roles
allowed to issue it. `load_commands()` imports every domain's `commands.py`, so registering a command is
all a domain has to do. Which commands replace an officer's signature and stamp, and so must carry a
passkey assertion (journal/signing.py), is listed once, in `SIGNED_COMMANDS`.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Awaitable, Callable
from uuid import UUID

from backend.domains import DOMAINS
from backend.officers.schemas import Actor
from backend.officers.tables import Role


@dataclass(frozen=True)
class CommandContext:
    """What a handler knows besides its payload. Handlers never see a Request."""

    command_id: UUID
    actor: Actor
    # When the officer made it: the device's time corrected by its measured clock offset, never after received_at
    # (journal/services.py clock_estimate). The journal row keeps the device's own time as well.
    issued_at: datetime
    received_at: datetime
    device_id: str
    # Made offline, or while (or for a time when) the branch was in contingency mode: the officer acted on what the
    # device knew, and the act has happened. A handler whose re-check differs then records the difference for
    # reconciliation instead of refusing (sync/reconciliation.py).
    contingency: bool = False


Handler = Callable[[CommandContext, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class CommandSpec:
    type: str
    payload: type
    handler: Handler
    roles: frozenset[Role]
    label: str | None = None  # a msgid naming the action for people (the logbook, reconciliation)

    @property
    def signed(self) -> bool:
        return is_signed(self.type)


COMMANDS: dict[str, CommandSpec] = {}

# What must be written with an applied command or not at all, kept by another domain than the command's (the outbox's
# messages to the national system, backend/outbox). The journal runs each hook after the handler succeeded, in the
# command's transaction (and savepoint), with the handler's result; it knows none of them by name.
AfterApply = Callable[[CommandContext, str, Any, dict[str, Any]], Awaitable[None]]
AFTER_APPLY: list[AfterApply] = []


def after_apply(hook: AfterApply) -> AfterApply:
    """Register a hook run after every applied command (see AFTER_APPLY); registering it again changes nothing."""
    if hook not in AFTER_APPLY:
        AFTER_APPLY.append(hook)
    return hook

# Listeners told, in the applying process, that commands of an actor were applied and committed (the live inbox
# refreshes the actor's branch). Called outside any transaction with the actor and the outcomes; a listener only
# notes that something changed, quickly, and never raises. Commands applied inside a caller's own transaction are
# not told (their commit is the caller's): the listeners' periodic passes see them.
AfterCommit = Callable[[Actor, list[Any]], None]
AFTER_COMMIT: list[AfterCommit] = []


# The actions that replace an officer's signature and stamp on paper (Decision 1966: the officer "ký, đóng
# dấu công chức"). Later issues add confirm passage, confirm sealed, handover records, ... here.
SIGNED_COMMANDS: frozenset[str] = frozenset(
    {
        "gate.confirm_passage",  # the officer signs and stamps the list (Art 35.2.b.1)
        "gate.cancel_passage",  # and crosses a confirmation out (35.2.b.2.2)
        "paper.confirm_declaration",  # box 36 of a paper declaration, and form 07 (Art 35.3.a)
        "paper.sign_box36",  # box 36 of a paper declaration at a land border gate (Art 36.3.a.2)
        "paper.record_special_case",  # form 07 on an authority's document (Art 38.1.a)
        "paper.decide_request",  # the branch head's approval on the declarant's request (Art 38.2.a)
        "paper.issue_form07",  # form 07 for an approved request (Art 38.2.b)
        "seals.confirm_sealed",  # "Xác nhận niêm phong hàng hóa" (Art 35.1.a, 41.1.c)
        "seals.correct",  # a container or carrier seal number corrected on the goods schedule, signed and stamped (Art 41.1.c.1.1)
        "seals.sign_record",  # the officer signs the handover record / record of findings (form 10/BBBG/GSQL)
        "seals.receive_record",  # the receiving branch confirms the record (Art 43.1.c)
        "transit.assign",  # CES: the head assigns the checking officer, with instructions (Art 41.1.b.1, 41.3.a)
        "transit.decide_amendment",  # the head accepts or refuses an amendment or cancellation (Art 41.3.b)
        "transit.decide",  # CET A / C / X by the assigned officer (Art 41.1.b.2, 41.3.b)
        "transit.register_departure",  # BOA (Art 41.1.4.a)
        "transit.confirm_arrival",  # BIA (Art 41.2.b.1)
        "vehicles.designate",  # the branch head's decision: a key vehicle under direct supervision (Art 39.1)
        "vehicles.end_supervision",  # the head ends it: the vehicle left (Art 39.1)
        "loading.decide",  # the head decides the supervision measure of a loading / transhipment plan (Art 40.1, 40.2)
        "cfs.sign_list",  # the officer signs and stamps both copies of the CFS consolidation list, form 25 (Art 44.2.b.1.3)
        "bonded.decide_inspection",  # the head's decision on a proposed physical inspection at a bonded warehouse (Art 43.1.c.4, 43.2.b, 43.3.a.1)
        "export_place.decide",  # the head approves or refuses a change of export place (Art 43.3.c.1.1.1, c.2.1.1, c.3.1.1, c.4.1.1)
        "export_place.confirm_bia",  # BIA closing a change of export place, with its note (Art 43.3.c.1.1.4, c.2.2.3, c.3.1.3, c.4.2.3)
    }
)

# Types made signed by configuration (GIAMSAT_EXTRA_SIGNED_COMMANDS), so tests and trials can exercise signing
# on a command that exists today (logbook.add_entry). Set by create_app() and the CLI from settings.
_extra_signed: frozenset[str] = frozenset()


def configure_signed(extra: frozenset[str] | set[str]) -> None:
    global _extra_signed
    _extra_signed = frozenset(extra)


def is_signed(type_: str) -> bool:
    return type_ in SIGNED_COMMANDS or type_ in _extra_signed


def command(type_: str, *, payload: type, roles: set[Role], label: str | None = None) -> Callable[[Handler], Handler]:
    """Register a command type. `label` is a msgid (mark it with N_) naming the action in the logbook."""

    def register(handler: Handler) -> Handler:
        if type_ in COMMANDS and COMMANDS[type_].handler is not handler:
            raise RuntimeError(f"command type {type_!r} registered twice")
        COMMANDS[type_] = CommandSpec(type_, payload, handler, frozenset(roles), label)
        return handler

    return register


def load_commands() -> dict[str, CommandSpec]:
    for domain in DOMAINS:
        module = f"backend.{domain}.commands"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return COMMANDS
