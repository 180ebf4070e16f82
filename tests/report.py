"""The end-of-run summary: time spent per test folder and per database, so a slow corner is seen at once.

pytest's own `--durations` lists the slowest single tests; this adds up every phase (setup, call, teardown) of
every test by its folder (tests/<domain>) and by the database it ran on. Under pytest-xdist the reports of all
workers reach the controller, so the table covers the whole run; its seconds are worker-seconds, which add up to
more than the wall time when workers run side by side.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class FolderTime:
    tests: int = 0
    seconds: float = 0.0
    sqlite: float = 0.0
    postgres: float = 0.0


_folders: dict[str, FolderTime] = defaultdict(FolderTime)
_started = time.monotonic()


def _folder(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else path


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _folders[_folder(report.nodeid)]
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        entry.tests += 1
    entry.seconds += report.duration
    if "[postgres" in report.nodeid:
        entry.postgres += report.duration
    elif "[sqlite" in report.nodeid:
        entry.sqlite += report.duration


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _folders or hasattr(terminalreporter.config, "workerinput"):  # only the controller prints
        return
    write = terminalreporter.write_line
    terminalreporter.section("time per folder (worker-seconds: setup + call + teardown)")
    write(f"{'folder':<32}{'tests':>7}{'seconds':>10}{'SQLite':>9}{'PostgreSQL':>12}")
    total = FolderTime()
    for name, entry in sorted(_folders.items(), key=lambda item: -item[1].seconds):
        write(f"{name:<32}{entry.tests:>7}{entry.seconds:>10.1f}{entry.sqlite:>9.1f}{entry.postgres:>12.1f}")
        total.tests += entry.tests
        total.seconds += entry.seconds
        total.sqlite += entry.sqlite
        total.postgres += entry.postgres
    write(f"{'all':<32}{total.tests:>7}{total.seconds:>10.1f}{total.sqlite:>9.1f}{total.postgres:>12.1f}")
    write(f"wall time of the run: {time.monotonic() - _started:.0f} s")
