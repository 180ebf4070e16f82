"""Per-officer quotas: commands, upload bytes and upload megapixels, each a token bucket per officer; and turns, so
that an officer's own requests of one kind are handled one at a time (`Quotas.turn`).

A bucket holds at most `burst` units and refills at `per_minute`. A request takes what it costs (a batch of 100
commands takes 100) or is refused whole with a `QuotaExceeded` (429, Retry-After: when the bucket will hold
enough). The burst is what lets a device replay a shift's queue at once after an outage; the rate is what a flood
gets after that. docs/security.md, "Quotas", says why these numbers and why the counters live in each process.

Why not Litestar's `RateLimitMiddleware`: it counts requests, one each, in a fixed window, keeps a timestamp per
request (JSON-encoded into its store on every request) and has no notion of cost, so it can count neither the
commands of a batch nor the bytes or pixels of an upload, and it has no burst beside the rate.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

from backend.lib.errors import N_, DomainError


@dataclass(frozen=True)
class Limit:
    per_minute: float  # units refilled per minute
    burst: float  # the most a bucket holds: what may be spent at once after a quiet spell


class QuotaExceeded(DomainError):
    """429: the officer's bucket for this quota does not hold what the request costs; nothing was done."""

    status_code = 429

    def __init__(self, quota: str, message: str, retry_after: int) -> None:
        super().__init__("quota_exceeded", message, seconds=retry_after)
        self.detail = {"quota": quota, "retry_after": retry_after}
        self.headers = {"Retry-After": str(retry_after)}


MESSAGES = {
    "commands": N_("Too many commands from your account in a short time. Wait %(seconds)s seconds and send again."),
    "upload_bytes": N_("Too many photos from your account in a short time. Wait %(seconds)s seconds and send again."),
    "upload_pixels": N_("Too many photos from your account in a short time. Wait %(seconds)s seconds and send again."),
}


class Buckets:
    """One quota's buckets, one per officer, in this process (an asyncio app: `take` never awaits, so it is atomic)."""

    def __init__(self, quota: str, limit: Limit, clock: Callable[[], float] = time.monotonic) -> None:
        self.quota = quota
        self.limit = limit
        self.clock = clock
        self._buckets: dict[Any, tuple[float, float]] = {}  # key -> (units held, when last filled)

    def take(self, key: Any, cost: float) -> None:
        """Take `cost` units from `key`'s bucket, or raise QuotaExceeded and take nothing.

        A cost above the burst passes when the bucket is full and leaves it in debt, so that the largest request
        the API accepts always gets through eventually, however small the limits are set.
        """
        now = self.clock()
        rate = self.limit.per_minute / 60.0
        held, then = self._buckets.get(key, (self.limit.burst, now))
        held = min(self.limit.burst, held + (now - then) * rate)
        needed = min(cost, self.limit.burst)
        if held < needed:
            wait = math.ceil((needed - held) / rate) if rate > 0 else 3600
            self._buckets[key] = (held, now)
            raise QuotaExceeded(self.quota, MESSAGES[self.quota], max(1, wait))
        self._buckets[key] = (held - cost, now)


class Quotas:
    """The app's quotas (one set per app, kept in its State)."""

    def __init__(
        self, commands: Limit, upload_bytes: Limit, upload_pixels: Limit, commands_at_once: int = 1, uploads_at_once: int = 1
    ) -> None:
        self.commands = Buckets("commands", commands)
        self.upload_bytes = Buckets("upload_bytes", upload_bytes)
        self.upload_pixels = Buckets("upload_pixels", upload_pixels)
        self.at_once = {"commands": commands_at_once, "uploads": uploads_at_once}
        self._turns: dict[tuple[str, Any], asyncio.Semaphore] = {}

    def turn(self, key: Any, kind: str = "commands") -> asyncio.Semaphore:
        """The officer's turn at the journal (or, kind "uploads", at the photo pool): their requests of that kind are
        handled `at_once[kind]` at a time (one by default), in this process; the others wait (they are not refused).

        A device sends its queue one request after another, so this costs it nothing; a flood of parallel batches
        from one account queues behind itself instead of filling the branch's group commit, so a colleague's command
        waits for at most one of its batches; the same for photos, whose decoding shares a pool as wide as the
        machine's cores with everyone's. Taken after the buckets, so what waits is bounded by the bursts.
        """
        turn = self._turns.get((kind, key))
        if turn is None:
            turn = self._turns[(kind, key)] = asyncio.Semaphore(self.at_once[kind])
        return turn


def of(state: Any) -> Quotas:
    """The app's quotas, made from its settings on first use."""
    quotas = state.get("quotas")
    if quotas is None:
        limits = state.settings.quotas
        quotas = Quotas(
            commands=Limit(limits.commands_per_minute, limits.commands_burst),
            upload_bytes=Limit(limits.upload_mb_per_minute * 1024 * 1024, limits.upload_mb_burst * 1024 * 1024),
            upload_pixels=Limit(limits.upload_megapixels_per_minute * 1_000_000, limits.upload_megapixels_burst * 1_000_000),
            commands_at_once=limits.commands_at_once,
            uploads_at_once=limits.uploads_at_once,
        )
        state["quotas"] = quotas
    return quotas
