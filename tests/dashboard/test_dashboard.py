"""The supervisor's dashboard (issue 15, part 5): passages per gate per hour today from the gate's confirmations (drawn
as SVG with each bar's figure in its <title>, and the same figures in a table), open items by kind and age, overdue
transits, contingency state and the actions to reconcile, devices with old queues. Only a supervisor, for their own
branch. SQLite and PostgreSQL, through the app; the facts made by the domains' commands."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from litestar.testing import TestClient

from tests.auth.soft_authenticator import another_browser
from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import container, item
from tests.journal.device import Person
from tests.transit.helpers import NUMBER as TRANSIT_NUMBER, People, declare as declare_transit, seal

VIETNAM = timezone(timedelta(hours=7))
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = "104000000001"
C1, C2, C3, C4, C5, C6 = (container(f"TGHU{n:06d}") for n in range(1, 7))


def upsert(client: TestClient, *items: dict[str, Any]) -> None:
    async def run() -> None:
        from backend.declarations.services import upsert_many

        results = await upsert_many(list(items), "test")
        assert all(result.status != "refused" for result in results), results

    in_app(client, run)


def second_gate(client: TestClient, world: World) -> int:
    async def run() -> int:
        from backend.officers import services
        from backend.officers.tables import LocationKind

        return await services.ensure_location("B1-GB", "Cổng B", LocationKind.GATE, world["branch"])

    return in_app(client, run)


def supervisor_of_b2(client: TestClient) -> int:
    from backend.officers.services import create_officer

    return in_app(client, create_officer, "GS2", "Vũ Thị Sáu", "supervisor", "B2")


def passed(person: Person, location: int, unit: str, at: datetime | None = None) -> dict[str, Any]:
    options = {"issued_at": at} if at is not None else {}
    outcome = person.do("gate.confirm_passage", {"location_id": location, "number": NUMBER, "containers": [unit]}, **options)
    assert outcome["status"] == "applied", outcome
    return outcome


def browser_of(client: TestClient, officer_id: int) -> TestClient:
    browser = another_browser(client)
    sign_in_as(browser, officer_id)
    return browser


def svg_of(page: str) -> ET.Element:
    """The page's chart, parsed as XML (it must be well-formed on its own)."""
    match = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert match is not None, "no chart on the page"
    return ET.fromstring(match.group(0))


def bar_titles(svg: ET.Element) -> dict[str, int]:
    """Each bar's <title> -> its data-count."""
    return {rect.find(f"{SVG}title").text: int(rect.get("data-count")) for rect in svg.iter(f"{SVG}rect") if rect.get("data-count")}


async def _head_actor(officer_id: int) -> Any:
    from backend.officers.services import actor_by_id

    return await actor_by_id(officer_id)


# --- passages per gate per hour --------------------------------------------------------------------------------------


def test_passages_are_counted_per_gate_and_hour_of_the_day_in_vietnam_time(client: TestClient, world: World) -> None:
    upsert(client, item(NUMBER, containers=[{"number": c, "seal": ""} for c in (C1, C2, C3, C4, C5, C6)]))
    gate_b = second_gate(client, world)
    officer, other_officer = Person(client, world["officer"]), Person(client, world["other_officer"])
    day = (datetime.now(UTC).astimezone(VIETNAM) - timedelta(days=1)).date()

    def at(hour: int, minute: int, days_before: int = 0) -> datetime:
        # In UTC: the test device spells its time with a "Z", as toISOString() does.
        return (datetime(day.year, day.month, day.day, hour, minute, tzinfo=VIETNAM) - timedelta(days=days_before)).astimezone(UTC)

    passed(officer, world["gate"], C1, at(9, 10))
    passed(officer, world["gate"], C2, at(9, 40))
    passed(officer, gate_b, C3, at(14, 20))
    passed(officer, world["gate"], C4, at(0, 5))  # 17:05 UTC the day before: this day's hour 0 in Vietnam
    passed(officer, world["gate"], C5, at(23, 50, days_before=1))  # the day before: not counted
    passed(officer, gate_b, C6, at(9, 30))
    cancel = {"location_id": gate_b, "number": NUMBER, "unit": C6, "reason": "Nhầm container"}
    assert officer.do("gate.cancel_passage", cancel)["status"] == "applied"  # cancelled: it did not pass
    passed(other_officer, world["other_gate"], C6, at(9, 15))  # another branch's gate, the same hour: not B1's

    async def figures() -> Any:
        from backend.dashboard import services

        return await services.passages_today(await _head_actor(world["supervisor"]), at(23, 0))

    passages = in_app(client, figures)

    assert passages.day == day
    assert [(gate.name, {h: n for h, n in enumerate(gate.counts) if n}) for gate in passages.gates] == [
        ("Cổng A", {0: 1, 9: 2}),
        ("Cổng B", {14: 1}),
    ]
    assert passages.total == 4 and passages.hour_totals[9] == 2


def test_chart_is_svg_with_a_titled_bar_per_gate_and_hour(client: TestClient, world: World) -> None:
    from backend.dashboard import charts

    svg_text = charts.hourly_stacked_bars(
        [charts.Series("Cổng A", [0] * 9 + [2] + [0] * 14), charts.Series("Cổng <B>", [0] * 9 + [3] + [0] * 4 + [1] + [0] * 9)],
        title="Lượt qua",
        x_label="Giờ",
        y_label="Lượt",
        describe=lambda gate, hour, count: f"{gate}, {hour:02d}:00: {count}",
    )

    svg = ET.fromstring(str(svg_text))
    assert svg.get("viewBox").startswith("0 0 ") and svg.get("width") == "100%" and svg.get("role") == "img"
    assert bar_titles(svg) == {"Cổng A, 09:00: 2": 2, "Cổng <B>, 09:00: 3": 3, "Cổng <B>, 14:00: 1": 1}
    assert "style=" not in str(svg_text)  # a strict CSP (style-src 'self') forbids inline styles
    bars = {(rect.get("data-series"), rect.get("data-hour")): rect for rect in svg.iter(f"{SVG}rect") if rect.get("data-count")}
    first, second = bars[("0", "9")], bars[("1", "9")]
    assert first.get("fill") != second.get("fill")  # a colour per gate
    # Stacked: the second gate's bar sits on the first's, 3/2 as tall.
    assert abs(float(second.get("y")) + float(second.get("height")) - float(first.get("y"))) < 0.02
    assert abs(float(second.get("height")) / float(first.get("height")) - 1.5) < 0.01
    legend = [text.text for text in svg.iter(f"{SVG}text")]
    assert "Cổng A (2)" in legend and "Cổng <B> (4)" in legend and "Giờ" in legend


def test_dashboard_page_shows_todays_passages_of_the_own_branch_only(client: TestClient, world: World) -> None:
    upsert(client, item(NUMBER, containers=[{"number": c, "seal": ""} for c in (C1, C2, C3)]))
    officer, other_officer = Person(client, world["officer"]), Person(client, world["other_officer"])
    made = datetime.now(UTC)
    passed(officer, world["gate"], C1, made)
    passed(officer, world["gate"], C2, made)
    passed(other_officer, world["other_gate"], C3, made)
    head, other_head = browser_of(client, world["supervisor"]), browser_of(client, supervisor_of_b2(client))

    page = head.get("/dashboard")
    other_page = other_head.get("/dashboard")

    assert page.status_code == 200 and other_page.status_code == 200
    if made.astimezone(VIETNAM).date() != datetime.now(UTC).astimezone(VIETNAM).date():
        return  # the day turned between the passages and the page: they are yesterday's (a test run at midnight)
    hour = made.astimezone(VIETNAM).hour
    assert bar_titles(svg_of(page.text)) == {f"Cổng A, {hour:02d}:00–{hour + 1:02d}:00: 2 lượt": 2}
    assert bar_titles(svg_of(other_page.text)) == {f"Cổng B2, {hour:02d}:00–{hour + 1:02d}:00: 1 lượt": 1}
    assert "Cổng B2" not in page.text and "Cổng A" not in other_page.text
    # The same figures in the table under the chart.
    row = re.search(rf'<tr data-hour="{hour}">(.*?)</tr>', page.text, re.S)
    assert row is not None and re.findall(r"<td>(\d+)</td>", row.group(1)) == ["2", "2"]
    assert 'id="passages-total">2<' in page.text


# --- who --------------------------------------------------------------------------------------------------------------


def test_only_a_supervisor_sees_the_dashboard(client: TestClient, world: World) -> None:
    for role in ("officer", "warehouse_user", "admin"):
        response = browser_of(client, world[role]).get("/dashboard")
        assert response.status_code == 403 and "<html" in response.text, role
    signed_out = another_browser(client).get("/dashboard", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/signin?next=/dashboard"
    htmx = another_browser(client).get("/dashboard", headers={"hx-request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/signin?next=/dashboard"

    page = browser_of(client, world["supervisor"]).get("/dashboard")
    assert page.status_code == 200 and 'id="passages-none"' in page.text and 'id="contingency-off"' in page.text
    assert "<svg" not in page.text  # nothing to draw


# --- open items, overdue transits, contingency, old queues --------------------------------------------------------


def test_open_items_by_age_and_overdue_transits(client: TestClient, world: World) -> None:
    people = People(client, world)
    declare_transit(client)
    assert people.head.do("transit.assign", {"number": TRANSIT_NUMBER, "officer_code": "CB1"})["status"] == "applied"
    assert people.officer.do("transit.decide", {"number": TRANSIT_NUMBER, "code": "A"})["status"] == "applied"
    seal(people.officer, world)
    departed = people.officer.do("transit.register_departure", {"location_id": world["gate"], "number": TRANSIT_NUMBER})
    assert departed["status"] == "applied", departed
    upsert(client, item(NUMBER, containers=[{"number": C1, "seal": ""}]))
    reported = people.officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": NUMBER, "note": "Container lạ"})
    assert reported["status"] == "applied", reported

    async def figures(later: timedelta) -> Any:
        from backend.dashboard import services
        from backend.lib import clock

        return await services.dashboard_for(await _head_actor(world["supervisor"]), client.app.state.settings, clock.now() + later)

    now = in_app(client, lambda: figures(timedelta(0)))
    later = in_app(client, lambda: figures(timedelta(hours=25)))
    other = in_app(client, lambda: _other_branch_dashboard(client))

    ages = {kind.kind: (kind.under_hour, kind.under_day, kind.older, kind.late) for kind in now.open_items}
    assert ages["gate.report"] == (1, 0, 0, 0) and "transit.overdue" not in ages and now.overdue == []
    later_ages = {kind.kind: (kind.under_hour, kind.under_day, kind.older, kind.late) for kind in later.open_items}
    assert later_ages["gate.report"] == (0, 0, 1, 0)  # 25 hours old, no deadline
    assert later_ages["transit.overdue"] == (0, 1, 0, 1)  # waiting since its deadline, just over an hour ago: late
    assert [lot.number for lot in later.overdue] == [TRANSIT_NUMBER]
    assert other.overdue == [] and all(kind.kind != "gate.report" for kind in other.open_items)

    page = people.head.client.get("/dashboard").text
    assert '<tr data-kind="gate.report">' in page and 'id="overdue-none"' in page


async def _other_branch_dashboard(client: TestClient) -> Any:
    from backend.dashboard import services
    from backend.lib import clock
    from backend.officers.tables import Officer

    gs2 = await Officer.select(Officer.id).where(Officer.code == "GS2").first()
    return await services.dashboard_for(await _head_actor(gs2["id"]), client.app.state.settings, clock.now() + timedelta(hours=25))


def test_contingency_state_actions_to_reconcile_and_old_queues(client: TestClient, world: World) -> None:
    officer = Person(client, world["officer"])
    head = browser_of(client, world["supervisor"])
    offline = officer.do("logbook.add_entry", {"location_id": world["gate"], "text": "Ghi khi mất mạng"}, offline=True)
    assert offline["status"] == "applied", offline
    declared = head.post("/contingency/declare", data={"reason": "VNACCS không phản hồi"}, follow_redirects=False)
    assert declared.status_code == 303, declared.text
    oldest = datetime.now(UTC) - timedelta(hours=2)
    queue = officer.client.post(
        "/api/v1/sync/device-queue",
        json={"device_id": "phone-9", "waiting": 7, "oldest_issued_at": oldest.isoformat(), "rejected": 1},
    )
    assert queue.status_code == 200, queue.text

    page = head.get("/dashboard").text
    other_page = browser_of(client, supervisor_of_b2(client)).get("/dashboard").text

    assert 'id="contingency-on"' in page and "VNACCS không phản hồi" in page
    assert re.search(r'id="to-reconcile">[^<]*: (\d+)', page).group(1) == "1"  # the offline entry (the declaration itself is sync.*)
    old = re.search(r'<section class="dashboard-section" id="old-queues">(.*?)</section>', page, re.S).group(1)
    assert 'data-officer="CB1" data-device="phone-9"' in old and "7 thao tác chờ gửi" in old and "1 bị từ chối" in old
    # B2's head: B1's declaration is not theirs, nor B1's queue or actions.
    assert 'id="contingency-off"' in other_page and 'id="old-queues-none"' in other_page
    assert re.search(r'id="to-reconcile">[^<]*: (\d+)', other_page).group(1) == "0"
