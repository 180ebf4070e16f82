"""The CFS list page (/cfs) a page at a time (Decision 1966 Art 44.2.b; bench/cfs.py, bench/README.md "CFS (issue
16)"): the lists in progress and the done ones, newest first, each section capped, with "older lists" links that
reach every list; the line counts right. SQLite and PostgreSQL, through the app."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from backend.cfs import services
from backend.lib.i18n import translate_in
from tests.cfs.test_cfs import EXPORT_1, EXPORT_2, cfs, new_list  # noqa: F401 (cfs: the fixture)
from tests.conftest import World, in_app
from tests.journal.device import Person


def shown(page: str, section: str) -> list[int]:
    """The ids of the lists in a section of the page (cfs-open, cfs-done), in their order."""
    if f'id="{section}"' not in page:
        return []
    part = page.split(f'id="{section}"', 1)[1].split("</ol>", 1)[0]
    return [int(found) for found in re.findall(r'id="cfs-list-(\d+)"', part)]


def received_list(staff: Person, officer: Person) -> int:
    """A list taken through the whole flow of Art 44.2.b.1 to the operator's receipt."""
    list_id = new_list(staff, lines=f"{EXPORT_1},Áo sơ mi,120,1850.5\n{EXPORT_2},Giày,64,920")
    assert staff.do("cfs.submit_list", {"list_id": list_id})["status"] == "applied"

    async def line_ids() -> list[int]:
        from backend.cfs.tables import CfsLine

        return [row["id"] for row in await CfsLine.select(CfsLine.id).where(CfsLine.cfs_list == list_id)]

    for line_id in in_app(staff.client, line_ids):
        assert officer.do("cfs.check_line", {"list_id": list_id, "line_id": line_id, "result": "match"})["status"] == "applied"
    assert officer.do("cfs.sign_list", {"list_id": list_id})["status"] == "applied"
    assert staff.do("cfs.confirm_receipt", {"list_id": list_id})["status"] == "applied"
    return list_id


def test_cfs_list_page_44_2_b_a_page_at_a_time_with_older_lists_reaching_every_list(
    client: TestClient, world: World, cfs: dict[str, int], monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setattr(services, "PAGE_OPEN", 2)
    monkeypatch.setattr(services, "PAGE_DONE", 2)
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    done = [received_list(staff, officer) for _ in range(3)]
    drafts = [new_list(staff, lines=f"{EXPORT_1},Áo,1,1") for _ in range(3)]

    first = staff.client.get("/cfs").text
    older_open = staff.client.get(f"/cfs?open_before={drafts[1]}").text
    older_done = staff.client.get(f"/cfs?before={done[1]}").text
    customs = officer.client.get("/cfs").text

    assert shown(first, "cfs-open") == [drafts[2], drafts[1]] and shown(first, "cfs-done") == [done[2], done[1]]
    assert f'href="/cfs?open_before={drafts[1]}"' in first and f'href="/cfs?before={done[1]}"' in first
    assert 'id="cfs-newest"' not in first
    assert shown(older_open, "cfs-open") == [drafts[0]] and 'id="cfs-older-open"' not in older_open
    assert shown(older_done, "cfs-done") == [done[0]] and 'id="cfs-older-done"' not in older_done
    assert 'id="cfs-newest"' in older_done
    # Customs never see drafts: their open section is empty, their done lists paged the same way.
    assert shown(customs, "cfs-open") == [] and shown(customs, "cfs-done") == [done[2], done[1]]
    # The line counts, counted by the database.
    assert re.search(rf'id="cfs-list-{done[2]}".*?2 dòng', first, re.S) and re.search(rf'id="cfs-list-{drafts[2]}".*?1 dòng', first, re.S)


def test_cfs_list_page_44_2_b_a_bad_page_mark_is_refused_in_words(client: TestClient, cfs: dict[str, int]) -> None:  # noqa: F811
    staff = Person(client, cfs["staff"])

    response = staff.client.get("/cfs?before=abc")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request" and body["message"] == translate_in("vi", "The request is not valid.")
    assert [error["key"] for error in body["detail"]["errors"]] == ["before"]
