"""The background delivery: in every app process, from its start to its shutdown, a delivery pass every
GIAMSAT_OUTBOX_INTERVAL_SECONDS (0 switches it off, as does an empty GIAMSAT_UPSTREAM_URL), each sending up to
GIAMSAT_OUTBOX_BATCH_SIZE messages in one request. Several processes on
one PostgreSQL claim disjoint messages (workflow.claim), so running it in every process is safe."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from piccolo.engine.base import Engine

from backend.outbox.adapter import HttpAdapter
from backend.outbox.services import deliver_until_idle
from backend.settings import Settings

logger = logging.getLogger("giamsat.outbox")


class OutboxWorker:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings.outbox, engine
        self.task: asyncio.Task[None] | None = None
        self.adapter: HttpAdapter | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.settings.upstream_url) and self.settings.interval_seconds > 0

    async def start(self) -> None:
        if not self.enabled or self.task is not None:
            return
        self.adapter = HttpAdapter(self.settings.upstream_url, timeout=self.settings.timeout_seconds)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self.adapter is not None
        while True:
            try:
                await deliver_until_idle(self.engine, self.adapter, batch=self.settings.batch_size)
            except Exception:  # the database away, a bug: logged, tried again at the next turn
                logger.exception("outbox delivery pass failed")
            await asyncio.sleep(self.settings.interval_seconds)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
        if self.adapter is not None:
            await self.adapter.close()
            self.adapter = None
