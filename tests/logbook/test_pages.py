"""The logbook page: its form writes through the command journal, like the API and offline sync do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as


async def journal_rows() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)


async def entries() -> list[dict[str, Any]]:
    from backend.logbook.tables import LogbookEntry

    return await LogbookEntry.select().order_by(LogbookEntry.id)


def form(location_id: int, text: str = "Xe 15C-123.45 vào cổng, niêm phong nguyên vẹn", **extra: str) -> dict[str, str]:
    return {"location_id": str(location_id), "text": text, **extra}


def test_logbook_form_goes_through_the_journal_and_is_listed(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    command_id = str(uuid.uuid4())
    issued_at = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
    fields = form(
        world["gate"],
        representative_name="Trần Văn Đại Diện",
        representative_id_number="031234567890",
        command_id=command_id,
        issued_at=issued_at.isoformat(),
        device_id="phone-cb1",
    )

    response = client.post("/logbook", data=fields, follow_redirects=False)

    # Back to the logbook the entry is in: its location, on the device's day (Vietnam time).
    day = issued_at.astimezone(timezone(timedelta(hours=7))).date().isoformat()
    assert response.status_code == 303
    assert response.headers["location"] == f"/logbook?location={world['gate']}&day={day}"
    (row,) = in_app(client, journal_rows)
    assert row["command_type"] == "logbook.add_entry" and str(row["command_id"]) == command_id
    assert row["actor_code"] == "CB1" and row["device_id"] == "phone-cb1" and row["chain"] == "B1"
    (entry,) = in_app(client, entries)
    assert entry["text"] == fields["text"] and entry["location"] == world["gate"] and entry["officer"] == world["officer"]
    assert entry["issued_at"] == issued_at  # the device's time is kept, beside the server's
    page = client.get(response.headers["location"]).text
    for shown in [fields["text"], "Trần Văn Đại Diện", "031234567890", "Cổng A", "Nguyễn Văn Một", "CB1", "phone-cb1"]:
        assert shown in page


def test_logbook_form_without_script_gets_an_id_from_the_server(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])

    response = client.post("/logbook", data=form(world["warehouse"], "Kiểm tra kho"), follow_redirects=False)

    assert response.status_code == 303
    (row,) = in_app(client, journal_rows)
    assert row["device_id"] == "web" and row["actor_code"] == "GS1"
    assert uuid.UUID(str(row["command_id"]))
    assert response.headers["location"].startswith(f"/logbook?location={world['warehouse']}&day=")
    assert "Kiểm tra kho" in client.get(response.headers["location"]).text


def test_logbook_form_replayed_with_same_command_id_adds_one_entry(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    fields = form(world["gate"], command_id=str(uuid.uuid4()), issued_at=datetime.now(UTC).isoformat(), device_id="d1")

    first = client.post("/logbook", data=fields, follow_redirects=False)
    again = client.post("/logbook", data=fields, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert len(in_app(client, entries)) == 1 and len(in_app(client, journal_rows)) == 1
    assert client.get("/logbook").text.count(fields["text"]) == 1


@pytest.mark.parametrize(
    ("text", "where", "msgid"),
    [
        ("", "gate", "Write what happened."),
        ("   \n ", "gate", "Write what happened."),
        ("Xe lạ", "other_gate", "This location does not belong to your branch."),
        ("Xe lạ", None, "There is no such location."),
    ],
    ids=["empty-text", "blank-text", "other-branch-location", "no-location"],
)
def test_logbook_form_refused_shows_reason_and_writes_nothing(
    client: TestClient, world: World, text: str, where: str | None, msgid: str
) -> None:
    sign_in_as(client, world["officer"])
    fields = {"location_id": str(world[where]) if where else "abc", "text": text}

    page = client.post("/logbook", data=fields)

    assert page.status_code == 422
    assert str(escape(translate_in("vi", msgid))) in page.text
    assert 'id="logbook-error"' in page.text
    assert in_app(client, entries) == [] and in_app(client, journal_rows) == []


def test_logbook_form_refused_keeps_what_was_typed(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.post("/logbook", data=form(world["other_gate"], "Ghi chú <quan trọng>", representative_name="Bà Tư"))

    assert page.status_code == 422
    assert "Ghi chú &lt;quan trọng&gt;" in page.text and 'value="Bà Tư"' in page.text


def test_logbook_form_too_long_text_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.post("/logbook", data=form(world["gate"], "x" * 4001))

    assert page.status_code == 422 and 'id="logbook-error"' in page.text
    assert in_app(client, entries) == []


def test_logbook_form_refusal_in_english(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    client.post("/lang", data={"lang": "en", "next": "/logbook"})

    page = client.post("/logbook", data=form(world["gate"], ""))

    assert page.status_code == 422 and "Write what happened." in page.text


def test_logbook_lists_only_the_officers_branch(client: TestClient, world: World) -> None:
    sign_in_as(client, world["other_officer"])
    client.post("/logbook", data=form(world["other_gate"], "Chuyện ở chi cục Hai"))
    sign_in_as(client, world["officer"])
    client.post("/logbook", data=form(world["gate"], "Chuyện ở chi cục Một"))

    page = client.get("/logbook").text

    assert "Chuyện ở chi cục Một" in page and "Chuyện ở chi cục Hai" not in page
    assert "Cổng B2" not in page  # nor the other branch's locations in the form
