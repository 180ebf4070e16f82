"""The registry of command types.

A domain's `commands.py` declares each command with `@command(...)`: its payload Struct, the roles
allowed to issue it, and whether it replaces a signature and stamp (signed). `load_commands()` imports
every domain's `commands.py`, so registering a command is all a domain has to do.
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
    issued_at: datetime
    received_at: datetime
    device_id: str


Handler = Callable[[CommandContext, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class CommandSpec:
    type: str
    payload: type
    handler: Handler
    roles: frozenset[Role]
    signed: bool = False


COMMANDS: dict[str, CommandSpec] = {}


def command(type_: str, *, payload: type, roles: set[Role], signed: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if type_ in COMMANDS and COMMANDS[type_].handler is not handler:
            raise RuntimeError(f"command type {type_!r} registered twice")
        COMMANDS[type_] = CommandSpec(type_, payload, handler, frozenset(roles), signed)
        return handler

    return register


def load_commands() -> dict[str, CommandSpec]:
    for domain in DOMAINS:
        module = f"backend.{domain}.commands"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return COMMANDS
