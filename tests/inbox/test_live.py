"""The live inbox (issue 15, item 3; backend/inbox/live.py): a change of a branch's inbox is numbered once, sent to
the branch's streams with the item drawn, and a stream opened from a cursor receives only what came after it.
SQLite and PostgreSQL, through the app (the stream read to its end: GIAMSAT_INBOX_STREAM_SECONDS is short here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import ORIGIN, World, in_app
from tests.journal.device import Person
from tests.paper.helpers import exit_request


@pytest.fixture
def client(app_env: dict[str, str]) -> Iterator[TestClient]:
    """The app with streams of 1.5 s and no rest between refreshes: a test reads a whole stream quickly."""
    from backend.app import create_app
    from backend.settings import load_settings

    settings = load_settings({**app_env, "GIAMSAT_INBOX_STREAM_SECONDS": "1.5", "GIAMSAT_INBOX_TICK_SECONDS": "0"})
    with TestClient(create_app(settings), base_url=ORIGIN) as test_client:
        yield test_client


def messages(person: Person, *, after: int | None = None, last_event_id: str | None = None) -> list[dict[str, Any]]:
    """Every message of one whole stream: {"event", "id", "data"} (comments left out)."""
    headers = {"last-event-id": last_event_id} if last_event_id is not None else {}
    response = person.client.get("/inbox/stream" + (f"?after={after}" if after is not None else ""), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in response.text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            if name in {"event", "id", "data"}:
                fields[name] = value.removeprefix(" ")
        if "event" in fields:
            found.append({**fields, "data": json.loads(fields["data"])})
    return found


def request_exit(officer: Person, world: World, number: str) -> int:
    outcome = officer.do("paper.request_export_exit", exit_request(world, request_number=number))
    assert outcome["status"] == "applied", outcome
    return int(outcome["result"]["request_id"])


def test_live_stream_sends_an_item_drawn_then_its_decision_from_the_cursor(client: TestClient, world: World) -> None:
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    request_id = request_exit(officer, world, "21/2026/CV")

    (first,) = messages(head, after=0)

    key = f"paper.export_exit_request:{request_id}"
    assert first["event"] == "changes" and first["data"]["removed"] == [] and first["data"]["total"] == 1
    (added,) = first["data"]["added"]
    assert added["key"] == key and added["kind"] == "paper.export_exit_request"
    assert f'data-key="{key}"' in added["html"] and "21/2026/CV" in added["html"]
    assert 'data-command="paper.decide_request"' in added["html"]  # decided from the item itself
    assert 'name="_csrf_token" value=""' in added["html"]  # the page's script puts its own token in
    assert 'data-kind="paper.export_exit_request"' in added["group"] and "38.2.a" in added["group"]

    decided = head.do("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})
    assert decided["status"] == "applied", decided
    # A page that was away reconnects with its last event id: only the decision, not the inbox again.
    (second,) = messages(head, last_event_id=first["id"])
    assert second["data"]["removed"] == [key] and second["data"]["added"] == [] and second["data"]["total"] == 0
    assert int(second["id"]) > int(first["id"])
    # Nothing new after that: the stream sends no change.
    assert messages(head, last_event_id=second["id"]) == []


def test_live_refresh_numbers_each_change_once(client: TestClient, world: World) -> None:
    officer = Person(client, world["officer"])
    live = client.app.state.live_inbox
    first = request_exit(officer, world, "22/2026/CV")

    numbered = in_app(client, live.refresh, world["branch"])
    again = in_app(client, live.refresh, world["branch"])
    request_exit(officer, world, "23/2026/CV")
    later = in_app(client, live.refresh, world["branch"])

    assert [(key, change) for _, key, change in numbered] == [(f"paper.export_exit_request:{first}", "added")]
    assert again == []
    assert [change for _, _, change in later] == ["added"] and later[0][0] > numbered[0][0]
    assert in_app(client, live.refresh, world["other_branch"]) == []  # B2's inbox has nothing of B1's


def test_live_stream_of_another_branch_receives_nothing_of_this_one(client: TestClient, world: World) -> None:
    officer = Person(client, world["officer"])

    async def other_head() -> int:
        from backend.officers.services import create_officer

        return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")

    other = Person(client, in_app(client, other_head))
    request_exit(officer, world, "24/2026/CV")

    assert messages(other, after=0) == []
    assert in_app(client, client.app.state.live_inbox.last_event, world["other_branch"]) == 0


def test_live_stream_is_a_supervisors_only(client: TestClient, world: World) -> None:
    for role in ("officer", "warehouse_user", "admin"):
        person = Person(client, world[role])
        response = person.client.get("/inbox/stream")
        assert response.status_code == 403, (role, response.text)
    anonymous = client.get("/inbox/stream", headers={"accept": "text/event-stream"}, follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401) and "event-stream" not in anonymous.headers.get("content-type", "")


def test_live_stream_from_a_cursor_it_never_gave_starts_again(client: TestClient, world: World) -> None:
    head = Person(client, world["supervisor"])

    (reset,) = messages(head, after=99_999)

    assert reset["event"] == "reset" and reset["id"] == "0"


def test_live_page_gives_its_stream_the_cursor_read_before_the_inbox(client: TestClient, world: World) -> None:
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    request_exit(officer, world, "25/2026/CV")
    (first,) = messages(head, after=0)

    page = head.client.get("/inbox")

    assert f'data-stream="/inbox/stream?after={first["id"]}"' in page.text
    assert 'id="inbox-live"' in page.text and 'src="/static/js/inbox-live.js"' in page.text
