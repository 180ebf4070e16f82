"""The command envelope and the per-command answer of `POST /api/v1/commands`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from backend.lib.structs import Struct

MAX_BATCH = 500


class CommandEnvelope(Struct):
    """What a device sends. `id` is made on the device when the officer submits; `issued_at` is the device clock."""

    id: UUID
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    issued_at: Annotated[datetime, msgspec.Meta(tz=True)]
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    payload: dict[str, Any]
    signature: dict[str, Any] | None = None  # a passkey assertion over the command: see journal/signing.py
    # True when the device queued the command because it could not reach the server. Not signed: the
    # device learns it only after signing, when the first send fails.
    offline: bool = False
    # The device's latest measured clock offset when it made the command (server minus device, milliseconds;
    # None: never measured). Not signed, like `offline`: the journal keeps it beside the device time and
    # estimates from it when the action was made (`journal.services.clock_estimate`; docs/offline.md, "The
    # device clock"). Bounded by MAX_CLOCK_OFFSET when the command is checked.
    clock_offset_ms: int | None = None


@dataclass(frozen=True)
class IssuedAtWindow:
    """How far a command's device time may be from the server's clock and still be believed.

    Decision 1966 says nothing of device clocks; this is giamsat's rule, a setting (GIAMSAT_ISSUED_AT_MAX_AGE_DAYS,
    GIAMSAT_ISSUED_AT_MAX_AHEAD_HOURS). A queue may wait days offline (the 2024 outage lasted 16 hours; devices warn
    after GIAMSAT_QUEUE_WARN_DAYS), and a phone's clock may be hours off (the page warns of that), so the window
    is wide: it only refuses what no device could have made (a clock reset to 1970, the year 2999).
    """

    max_age: timedelta = timedelta(days=366)
    max_ahead: timedelta = timedelta(hours=24)

    def admits(self, issued_at: datetime, now: datetime) -> bool:
        return now - self.max_age <= issued_at <= now + self.max_ahead


ISSUED_AT_WINDOW = IssuedAtWindow()

# A command marked offline that reaches the server sooner than this after it was made was not really made offline
# (the device lost the network for a moment, or claims it falsely): it gets the online rules. giamsat's rule, a
# setting (GIAMSAT_OFFLINE_GRACE_SECONDS); docs/offline.md "Offline is a marking, not a permission".
OFFLINE_GRACE = timedelta(seconds=30)


# The device clock (docs/offline.md, "The device clock"). giamsat's rules; Decision 1966 says nothing of device
# clocks. A measured offset beyond this is no clock a device could have kept (a clock reset to 1970 is refused
# by the window above): the command is refused (`clock_offset_implausible`).
MAX_CLOCK_OFFSET = timedelta(days=400)
# How far a clock may be off before it matters: the device's banner warns beyond this (queue-client.js
# CLOCK_WARN_MS); beyond it pages show the device's own time beside the server's estimate, and /reconciliation
# lists the action (backend/sync/reconciliation.py).
CLOCK_TOLERANCE = timedelta(minutes=2)


def configure_issued_at(window: IssuedAtWindow, offline_grace: timedelta = timedelta(seconds=30)) -> None:
    global ISSUED_AT_WINDOW, OFFLINE_GRACE
    ISSUED_AT_WINDOW = window
    OFFLINE_GRACE = offline_grace


class CommandOutcome(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: UUID
    status: Literal["applied", "duplicate", "rejected"]
    code: str | None = None  # stable reason code, for programs
    reason: str | None = None  # the reason in the caller's language
    result: dict[str, Any] | None = None


class CommandBatchResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    results: list[CommandOutcome]
    server_time: str | None = None  # the server clock when it answered: devices measure their offset with it
