"""Where decoding and re-encoding photos runs: a thread pool of its own, as wide as the machine's cores.

Pillow and the barcode decoders release the GIL, so photo work runs in threads beside the event loop. Through
`asyncio.to_thread` it would share the loop's default pool (up to cores + 4 threads), and with many uploads in flight
every thread holds a decoded image (a 1600x1200 photo is ~6 MB) in a malloc arena of its own, which glibc keeps:
the server's memory climbed with the number of uploads at once (bench/README.md, `bench/photos.py`). More threads
than cores make no photo faster; the rest wait their turn here.
"""

from __future__ import annotations

import asyncio
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")

def _cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


_POOL = ThreadPoolExecutor(max_workers=_cores(), thread_name_prefix="giamsat-image")


async def run(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` on the photo pool, awaited."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, functools.partial(function, *args))
