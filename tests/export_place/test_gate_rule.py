"""The 15-day rule (Decision 1966, Art 43.3.b), SQLite and PostgreSQL, with the inbox's clock controlled: a lot from a
bonded warehouse at the exit gate for 15 days without crossing becomes an item for the exit gate's supervisors; the
head's notice makes a letter and an item at the bonded warehouse's branch; both watch the lot until it is exported
(BIA), when it drops off their lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.testing import TestClient

from backend.lib import clock
from tests.conftest import World
from tests.export_place.helpers import NUMBER, Cast, at_exit_area, inbox


@pytest.fixture
def cast(client: TestClient, world: World) -> Cast:
    return Cast(client, world)


def test_43_3_b_fifteen_days_at_the_exit_gate_notice_watch_and_drop_off_when_exported(client: TestClient, cast: Cast) -> None:
    """Art 43.3.b: "Quá 15 ngày kể từ ngày hàng hóa đến cửa khẩu xuất nhưng chưa được vận chuyển ... sang nước nhập
    khẩu": 14 days -> nothing; 15 days -> an item for the exit gate's head; the notice -> a letter and an item at the
    bonded warehouse's branch; both branches watch the lot; exported (BIA) -> off both lists."""
    at_exit_area(cast, days_ago=15)
    b2_head, b1_head = cast.ids["b2_head"], cast.world["supervisor"]

    at_14_days = inbox(client, b2_head, clock.now() - timedelta(days=1))
    at_15_days = inbox(client, b2_head, clock.now())
    head_page = cast.destination_head.client.get("/export-place").text
    by_officer = cast.destination.do("export_place.notify_warehouse", {"number": NUMBER})
    by_warehouse_branch = cast.head.do("export_place.notify_warehouse", {"number": NUMBER})
    sent = cast.destination_head.do("export_place.notify_warehouse", {"number": NUMBER})
    again = cast.destination_head.do("export_place.notify_warehouse", {"number": NUMBER})
    letter_id = sent["result"]["letter_id"]
    after_notice_b2, after_notice_b1 = inbox(client, b2_head), inbox(client, b1_head)
    letter = cast.officer.client.get(f"/export-place/letters/{letter_id}")
    watched_b1 = cast.officer.client.get("/export-place").text
    watched_b2 = cast.destination.client.get("/export-place").text
    stranger = cast.stranger.client.get(f"/export-place/letters/{letter_id}")

    assert ("export_place.gate_15_days", NUMBER) not in at_14_days
    assert ("export_place.gate_15_days", NUMBER) in at_15_days
    assert f'id="notify-form-{NUMBER}"' in head_page and 'data-command="export_place.notify_warehouse"' in head_page
    assert by_officer["code"] == "forbidden_role"
    assert by_warehouse_branch["code"] == "not_your_step" and "43.3.b" in by_warehouse_branch["reason"]
    assert sent["status"] == "applied" and again["code"] == "already_notified"
    assert ("export_place.gate_15_days", NUMBER) not in after_notice_b2
    assert ("export_place.gate_notice", str(letter_id)) in after_notice_b1
    assert letter.status_code == 200 and "điểm b khoản 3 Điều 43" in letter.text and "đã quá 15 ngày" in letter.text and NUMBER in letter.text
    assert stranger.status_code == 404
    assert f'data-number="{NUMBER}"' in watched_b1.split('id="watching"')[1].split('id="changes"')[0]
    assert f'data-number="{NUMBER}"' in watched_b2.split('id="watching"')[1].split('id="changes"')[0]

    exported = cast.destination.do("transit.confirm_arrival", {"location_id": cast.world["other_gate"], "number": NUMBER})

    assert exported["status"] == "applied"
    assert ("export_place.gate_notice", str(letter_id)) not in inbox(client, b1_head)
    for person in (cast.officer, cast.destination):
        assert f'data-number="{NUMBER}"' not in person.client.get("/export-place").text.split('id="watching"')[1].split('id="changes"')[0]


def test_43_3_b_notice_refused_before_15_days(client: TestClient, cast: Cast) -> None:
    """Art 43.3.b: before 15 days at the exit gate there is no notice to send, on the inbox or by command."""
    at_exit_area(cast, days_ago=14)

    refused = cast.destination_head.do("export_place.notify_warehouse", {"number": NUMBER})

    assert refused["code"] == "not_15_days" and "43.3.b" in refused["reason"]
    assert ("export_place.gate_15_days", NUMBER) not in inbox(client, cast.ids["b2_head"])
