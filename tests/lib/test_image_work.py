"""The photo pool (backend/lib/image_work.py): photo work runs off the event loop's thread, on a pool no wider than
the cores this process may use, and its result or exception comes back to the awaiting coroutine."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Coroutine, TypeVar

import pytest

from backend.lib import image_work

T = TypeVar("T")


def run_alone(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine on an event loop of its own thread: earlier tests (Playwright's sync API) may leave a loop
    running on the main thread, where asyncio.run() refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_work_runs_off_the_loop_thread_and_answers() -> None:
    async def main() -> tuple[int, int, str]:
        loop_thread = threading.get_ident()
        worker_thread = await image_work.run(threading.get_ident)
        return loop_thread, worker_thread, await image_work.run(str.upper, "hq-000101")

    loop_thread, worker_thread, answer = run_alone(main())

    assert worker_thread != loop_thread and answer == "HQ-000101"


def test_an_error_in_the_work_reaches_the_caller() -> None:
    async def main() -> None:
        await image_work.run(int, "not a number")

    with pytest.raises(ValueError):
        run_alone(main())


def test_the_pool_is_as_wide_as_the_cores_the_process_may_use() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert image_work._POOL._max_workers == cores  # noqa: SLF001
