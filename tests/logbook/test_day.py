"""The logbook of one location and one day, read from the journal: what is listed (and what is not), the marks
(online / offline / contingency, queued-then-synced), photos, Vietnam-time days, the CSV export, bad addresses."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.files.photos import plain_jpeg, sha

VIETNAM = timezone(timedelta(hours=7))


def entry(location_id: int, text: str, issued_at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": (issued_at or datetime.now(UTC)).isoformat(),
        "device_id": "phone-1",
        "payload": {"location_id": location_id, "text": text, **fields.pop("payload", {})},
        **fields,
    }


def send(client: TestClient, *envelopes: dict[str, Any]) -> list[str]:
    response = client.post("/api/v1/commands", json=list(envelopes))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["applied"] * len(envelopes), results
    return [envelope["id"] for envelope in envelopes]


def vi(message: str, **params: Any) -> str:
    return str(escape(translate_in("vi", message, **params)))


def rows(page: str) -> dict[str, str]:
    """command id -> the HTML of its row in the logbook table."""
    return dict(re.findall(r'<tr class="entry" id="action-([0-9a-f-]+)"(.*?)</tr>', page, re.S))


async def journal_row(command_id: str) -> dict[str, Any]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().where(JournalEntry.command_id == uuid.UUID(command_id)).first()


async def journal_count() -> int:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.count()


def test_logbook_day_lists_that_location_and_day_only(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    sign_in_as(client, world["other_officer"])
    (elsewhere,) = send(client, entry(world["other_gate"], "Chi cục Hai, cùng ngày"))
    sign_in_as(client, world["officer"])
    here, later = send(client, entry(world["gate"], "Xe 15C-123.45 vào cổng A"), entry(world["gate"], "Xe thứ hai"))
    (warehouse,) = send(client, entry(world["warehouse"], "Hàng vào kho"))
    (yesterday,) = send(client, entry(world["gate"], "Hôm qua ở cổng A", now - timedelta(days=1)))

    page = client.get(f"/logbook?location={world['gate']}&day={now.astimezone(VIETNAM).date().isoformat()}")

    assert page.status_code == 200
    assert list(rows(page.text)) == [here, later]  # in the order they were made
    assert "Xe 15C-123.45 vào cổng A" in page.text and "Xe thứ hai" in page.text
    for absent in ["Hàng vào kho", "Hôm qua ở cổng A", "Chi cục Hai, cùng ngày"]:
        assert absent not in page.text
    assert {elsewhere, warehouse, yesterday}.isdisjoint(rows(page.text))
    row = rows(page.text)[here]
    assert "Nguyễn Văn Một" in row and "CB1" in row and vi("Logbook entry") in row and "phone-1" in row
    assert 'id="logbook-form"' in page.text and 'id="photo-picker"' in page.text and 'id="photo-list"' in page.text


def test_logbook_defaults_to_first_location_and_today(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    (gate_entry,) = send(client, entry(world["gate"], "Hôm nay ở cổng A"))
    send(client, entry(world["warehouse"], "Hôm nay ở kho"))

    page = client.get("/logbook").text

    assert list(rows(page)) == [gate_entry]  # B1-GA comes before B1-KHO
    assert f'value="{datetime.now(VIETNAM).date().isoformat()}"' in page
    assert re.search(rf'<option value="{world["gate"]}" selected>Cổng A</option>', page)


def test_logbook_other_day_is_reached_through_the_day_links(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    day = date(2026, 3, 10)

    page = client.get(f"/logbook?location={world['gate']}&day={day.isoformat()}").text

    assert f'href="/logbook?location={world["gate"]}&amp;day=2026-03-09"' in page
    assert f'href="/logbook?location={world["gate"]}&amp;day=2026-03-11"' in page
    assert f'href="/logbook.csv?location={world["gate"]}&amp;day=2026-03-10"' in page
    assert "10/03/2026" in page and vi("Nothing was recorded at this location on this day.") in page


def test_logbook_day_is_a_vietnam_day_of_the_device_time(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    day = date(2026, 3, 10)
    early, late, next_day = send(
        client,
        entry(world["gate"], "Đầu ngày", datetime(2026, 3, 10, 0, 5, tzinfo=VIETNAM)),  # 2026-03-09 17:05 UTC
        entry(world["gate"], "Cuối ngày", datetime(2026, 3, 10, 23, 30, tzinfo=VIETNAM)),  # 16:30 UTC, same UTC day
        entry(world["gate"], "Sang ngày mới", datetime(2026, 3, 11, 0, 10, tzinfo=VIETNAM)),  # 17:10 UTC on the 10th
    )

    on_day = client.get(f"/logbook?location={world['gate']}&day={day.isoformat()}").text
    on_next = client.get(f"/logbook?location={world['gate']}&day=2026-03-11").text
    on_previous = client.get(f"/logbook?location={world['gate']}&day=2026-03-09").text

    assert list(rows(on_day)) == [early, late]
    assert list(rows(on_next)) == [next_day]
    assert list(rows(on_previous)) == []
    assert ">00:05:00<" in rows(on_day)[early] and ">23:30:00<" in rows(on_day)[late]


def test_logbook_marks_online_offline_contingency_and_queued(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    sign_in_as(client, world["officer"])
    (online,) = send(client, entry(world["gate"], "Gửi ngay"))
    (offline,) = send(client, entry(world["gate"], "Ngoại tuyến", now - timedelta(minutes=10), offline=True))
    (late,) = send(client, entry(world["gate"], "Gửi muộn, trực tuyến", now - timedelta(minutes=5)))
    sign_in_as(client, world["supervisor"])
    declared = client.post("/contingency/declare", data={"reason": "VNACCS ngừng"}, follow_redirects=False)
    assert declared.status_code == 303
    sign_in_as(client, world["officer"])
    (during,) = send(client, entry(world["gate"], "Trong thời gian sự cố"))

    page = client.get(f"/logbook?location={world['gate']}&day={now.astimezone(VIETNAM).date().isoformat()}").text
    shown = rows(page)

    def marks(command_id: str) -> list[str]:
        return re.findall(r'data-mark="(\w+)"', shown[command_id])

    assert marks(online) == ["online", "direct"] and vi("Sent at once") in shown[online]
    assert marks(offline) == ["offline", "contingency", "queued"]
    assert marks(late) == ["online", "queued"]
    assert marks(during) == ["online", "contingency", "direct"]
    received = datetime.fromisoformat(in_app(client, journal_row, offline)["received_at"]).astimezone(VIETNAM)
    synced = vi("Queued on the device, synced at %(time)s", time=received.strftime("%H:%M"))
    assert synced in shown[offline]
    assert vi("Offline") in shown[offline] and vi("Contingency mode") in shown[during] and vi("Online") in shown[online]


def test_logbook_shows_photo_thumbnails_linking_to_the_full_copy(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = plain_jpeg()
    uploaded = client.put(f"/api/v1/files/{sha(photo)}", content=photo, headers={"content-type": "image/jpeg"})
    assert uploaded.status_code == 201
    (with_photo,) = send(client, entry(world["gate"], "Niêm phong, có ảnh", payload={"photos": [sha(photo)]}))

    row = rows(client.get("/logbook").text)[with_photo]

    assert f'<a href="/files/{sha(photo)}" hx-boost="false"' in row
    assert f'<img src="/files/{sha(photo)}/thumb"' in row
    thumb = client.get(f"/files/{sha(photo)}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


def test_logbook_shows_the_representative(client: TestClient, world: World) -> None:
    """The 2024 outage instructions (2024.2): the logbook shows the enterprise representative's name and id number
    written with an entry."""
    sign_in_as(client, world["officer"])
    (with_rep,) = send(
        client,
        entry(world["gate"], "Bàn giao", payload={"representative_name": "Đỗ Thị Hoa", "representative_id_number": "031190001234"}),
    )

    row = rows(client.get("/logbook").text)[with_rep]

    assert vi("Representative: %(name)s", name="Đỗ Thị Hoa") in row and "031190001234" in row


def test_logbook_labels_in_english(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    (sent,) = send(client, entry(world["gate"], "Xe vào"))
    client.post("/lang", data={"lang": "en", "next": "/logbook"})

    row = rows(client.get("/logbook").text)[sent]

    assert "Logbook entry" in row and "Online" in row and "Sent at once" in row


@pytest.mark.parametrize(
    ("query", "status", "msgid", "params"),
    [
        ("location={other_gate}", 404, "Your branch has no such location.", {}),
        ("location=999999", 404, "Your branch has no such location.", {}),
        ("location=abc", 400, "This is not a valid location: %(location)s", {"location": "abc"}),
        ("day=2026-13-01", 400, "This is not a valid day (YYYY-MM-DD): %(day)s", {"day": "2026-13-01"}),
        ("day=10/03/2026", 400, "This is not a valid day (YYYY-MM-DD): %(day)s", {"day": "10/03/2026"}),
        ("location={gate}&day=h%C3%B4m-qua", 400, "This is not a valid day (YYYY-MM-DD): %(day)s", {"day": "hôm-qua"}),
    ],
    ids=["other-branch", "unknown", "not-a-number", "bad-month", "dd-mm-yyyy", "words"],
)
@pytest.mark.parametrize("path", ["/logbook", "/logbook.csv"])
def test_logbook_bad_address_is_refused_in_words_and_changes_nothing(
    client: TestClient, world: World, path: str, query: str, status: int, msgid: str, params: dict[str, str]
) -> None:
    sign_in_as(client, world["officer"])
    send(client, entry(world["gate"], "Xe vào"))
    before = in_app(client, journal_count)

    response = client.get(f"{path}?{query.format(**world.ids)}")

    assert response.status_code == status
    assert vi(msgid, **params) in response.text and "<html" in response.text
    assert "Cổng B2" not in response.text
    assert in_app(client, journal_count) == before


def test_logbook_bad_day_is_refused_in_english_for_an_english_reader(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    client.post("/lang", data={"lang": "en", "next": "/"})

    response = client.get("/logbook?day=2026-02-30")

    assert response.status_code == 400 and "This is not a valid day (YYYY-MM-DD): 2026-02-30" in response.text


def test_logbook_csv_has_bom_header_and_one_row_per_action(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    day = date(2026, 3, 10)
    first, second = send(
        client,
        entry(
            world["gate"],
            "Container TGHU 123456 7: niêm phong nguyên vẹn, đúng số chì",
            datetime(2026, 3, 10, 8, 15, tzinfo=VIETNAM),
            payload={"representative_name": "Đỗ Thị Hoa", "representative_id_number": "031190001234"},
        ),
        entry(world["gate"], "=HYPERLINK(\"http://x\")", datetime(2026, 3, 10, 9, 0, tzinfo=VIETNAM), offline=True),
    )
    send(client, entry(world["gate"], "Ngày khác", datetime(2026, 3, 11, 9, 0, tzinfo=VIETNAM)))

    response = client.get(f"/logbook.csv?location={world['gate']}&day={day.isoformat()}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="so-theo-doi_B1-GA_2026-03-10.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = table[0], table[1:]
    assert header[:7] == [
        translate_in("vi", name)
        for name in ["Estimated time", "Device time", "Server time", "Officer code", "Officer", "Action", "What happened"]
    ]
    assert len(body) == 2 and [row[-1] for row in body] == [first, second]
    assert body[0][:9] == [
        "10/03/2026 08:15:00",  # the estimate: the device time (no clock offset measured)
        "10/03/2026 08:15:00",
        body[0][2],
        "CB1",
        "Nguyễn Văn Một",
        translate_in("vi", "Logbook entry"),
        "Container TGHU 123456 7: niêm phong nguyên vẹn, đúng số chì",
        "Đỗ Thị Hoa",
        "031190001234",
    ]
    assert body[0][10] == translate_in("vi", "Online") and body[0][11] == translate_in("vi", "No")
    assert body[1][6] == "'=HYPERLINK(\"http://x\")"  # shown as text, never run as a formula
    assert body[1][10] == translate_in("vi", "Offline") and body[1][11] == translate_in("vi", "Yes")


def test_logbook_csv_of_an_empty_day_is_the_header_alone(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])

    response = client.get(f"/logbook.csv?location={world['warehouse']}&day=2026-01-01")

    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response.status_code == 200 and len(table) == 1
    assert response.headers["content-disposition"] == 'attachment; filename="so-theo-doi_B1-KHO_2026-01-01.csv"'


def test_logbook_page_is_printable(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get(f"/logbook?location={world['gate']}&day=2026-03-10").text

    assert '<link rel="stylesheet" href="/static/css/print.css">' in page
    assert '<script src="/static/js/print.js" defer></script>' in page
    assert "data-print" in page and vi("Print") in page
    header = page.split('class="print-only sheet-header"')[1].split("</header>")[0]
    assert vi("LOGBOOK") in header and "Chi cục Một" in header and "Cổng A" in header and "10/03/2026" in header
    css = client.get("/static/css/print.css").text
    assert "@page { size: A4" in css and "@media print" in css
    assert "window.print()" in client.get("/static/js/print.js").text
