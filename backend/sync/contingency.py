"""Contingency mode: the upstream customs system is declared down (domain.md W9, the 6 Aug 2024 outage).

While a period is open, every page shows a banner and the journal marks every command `contingency`, as
it marks every command a device made offline; when the period ends, a supervisor reconciles what was
marked (sync/reconciliation.py). A period belongs to one branch, or to every branch (no branch).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.sync.tables import ContingencyPeriod

# How far back the journal looks for periods when it marks a command: a device may sync days after the outage.
RECENT_PERIODS = 100


@dataclass(frozen=True)
class Period:
    id: int
    branch_id: int | None
    started_at: datetime
    ended_at: datetime | None
    reason: str


@dataclass(frozen=True)
class Periods:
    """The contingency periods that may concern a branch's commands."""

    periods: tuple[Period, ...]

    @property
    def open(self) -> Period | None:
        return next((period for period in self.periods if period.ended_at is None), None)

    def covers(self, issued_at: datetime) -> bool:
        """A command is made in contingency when a period is open now (the upstream system could not check it
        when it was applied) or when its device time falls in a period (made while the system was down)."""
        return any(
            period.ended_at is None or period.started_at <= issued_at <= period.ended_at for period in self.periods
        )


_PERIODS_SQL = (
    "SELECT id, branch, started_at, ended_at, reason FROM contingency_period "
    "WHERE branch IS NULL OR branch = {} ORDER BY id DESC LIMIT " + str(RECENT_PERIODS)
)
_PERIODS_NATIONAL_SQL = (
    "SELECT id, branch, started_at, ended_at, reason FROM contingency_period "
    "WHERE branch IS NULL ORDER BY id DESC LIMIT " + str(RECENT_PERIODS)
)


def _period(row: dict[str, Any]) -> Period:
    return Period(row["id"], row["branch"], row["started_at"], row["ended_at"], row["reason"] or "")


async def periods_of(branch_id: int | None) -> Periods:
    """The recent periods of a branch and the national ones, newest first (one small query, plain SQL: the
    journal calls it once per group commit, under the chain lock)."""
    if branch_id is None:
        rows = await ContingencyPeriod.raw(_PERIODS_NATIONAL_SQL)
    else:
        rows = await ContingencyPeriod.raw(_PERIODS_SQL, branch_id)
    return Periods(tuple(_period(row) for row in rows))


async def periods_for_marking(branch_id: int | None, oldest_issued_at: datetime) -> Periods:
    """The periods that can mark commands issued at or after `oldest_issued_at`."""
    periods = await periods_of(branch_id)
    return Periods(
        tuple(period for period in periods.periods if period.ended_at is None or period.ended_at >= oldest_issued_at)
    )


async def open_period(branch_id: int | None) -> Period | None:
    """The open period that concerns a branch (its own, or a national one), if any."""
    return (await periods_of(branch_id)).open
