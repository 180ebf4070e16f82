"""The logbook's days, waits and file names, without a database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.lib.errors import DomainError
from backend.lib.i18n import current_language
from backend.logbook import services


def test_day_bounds_are_vietnam_midnights_in_utc() -> None:
    assert services.day_bounds(date(2026, 3, 10)) == (
        "2026-03-09T17:00:00.000000+00:00",
        "2026-03-10T17:00:00.000000+00:00",
    )


@pytest.mark.parametrize("text", ["2026-3-10", "2026-02-30", "10/03/2026", "2026-03-10T00:00", " 2026-03-10", "x" * 100])
def test_parse_day_refuses_anything_but_a_real_yyyy_mm_dd(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        services.parse_day(text)

    assert refused.value.code == "invalid_day" and refused.value.status_code == 400
    assert refused.value.params["day"] == text[:40]


def test_parse_day_reads_a_day_and_defaults_to_today() -> None:
    assert services.parse_day("2026-03-10") == date(2026, 3, 10)
    assert services.parse_day(None) == services.parse_day("") == services.today()


@pytest.mark.parametrize(
    ("waited", "words"),
    [
        (timedelta(seconds=59), "under a minute"),
        (timedelta(minutes=7, seconds=30), "7 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    ],
)
def test_waited_text_names_the_two_largest_parts(waited: timedelta, words: str) -> None:
    token = current_language.set("en")
    try:
        assert services.waited_text(waited) == words
    finally:
        current_language.reset(token)


def test_csv_filename_keeps_to_ascii() -> None:
    assert services.csv_filename({"id": 4, "code": "HP KV3/Cổng A"}, date(2026, 3, 10)) == "so-theo-doi_HP-KV3-C-ng-A_2026-03-10.csv"
