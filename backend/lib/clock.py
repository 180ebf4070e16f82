"""The server clock, in one place so that tests and the journal agree on what 'now' means."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds: one spelling per instant, so hashes over it are stable."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
