"""The destination's check on arrival (Decision 1966, Art 41.2.a.1-2) and the departure branch's notes for it (41.2.a.3),
through the real app (SQLite and PostgreSQL): the destination's page shows what the departure branch recorded (the
declaration's status, quantity, containers and their seals as sealed at departure) before the BIA form; the approval
notice is read from its signed barcode or its number typed; the check's lines must name exactly the declaration's
containers with their seals at departure; a seal broken or different, or a container missing, refuses BIA (41.2.b.2)
and fills in the violation record, after which BIA waits for the penalty; goods not sealed are checked by their
details. The departure branch writes notes for the destination, which reads them first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.barcodes.payload import DocumentKind, encode
from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.transit.helpers import NUMBER, People, case, check_arrival, declare, journal_count, seal, timeline, transit_item, units
from tests.seals.helpers import upsert


@pytest.fixture
def people(client: TestClient, world: World) -> People:
    return People(client, world)


def departed(client: TestClient, people: People, number: str = NUMBER, **options: Any) -> None:
    """A green-lane lot B1 -> B2, C1 and C2 sealed with HQ-000201 and HQ-000202, departed (BOA)."""
    declare(client, number, lane=1, **options)
    seal(people.officer, people.world, number)
    outcome = people.officer.do("transit.register_departure", {"location_id": people.world["gate"], "number": number})
    assert outcome["status"] == "applied", outcome


def bia(people: People, number: str = NUMBER) -> dict:
    return people.destination.do("transit.confirm_arrival", {"location_id": people.world["other_gate"], "number": number})


def notice(settings: Any, kind: DocumentKind = DocumentKind.TRANSIT_NOTICE, number: str = NUMBER, version: int = 1) -> str:
    """The approval notice's barcode as the deployment prints it (backend/barcodes/payload.py)."""
    from backend.barcodes.services import keyring_for

    return encode(keyring_for(settings), number, version, kind)


def page(people: People, who: str = "destination", number: str = NUMBER, query: str = "") -> str:
    response = getattr(people, who).client.get(f"/transit/{number}{query}")
    assert response.status_code == 200, response.text[:300]
    return response.text


def steps(html: str) -> list[str]:
    return re.findall(r'<section class="transit-step" data-step="(\w+)"', html)


def checks(client: TestClient) -> int:
    async def run() -> int:
        from backend.transit.tables import ArrivalCheck

        return await ArrivalCheck.count()

    return in_app(client, run)


def test_destination_page_shows_what_departure_recorded_before_the_bia_form(client: TestClient, world: World, people: People) -> None:
    """41.2.a.1: the declaration's status, quantity, container numbers and customs seal numbers, before BIA."""
    departed(client, people)

    html = page(people)

    assert steps(html)[:2] == ["record_arrival_check", "confirm_arrival"]
    assert html.index('id="transit-arrival"') < html.index('data-step="confirm_arrival"')
    assert re.findall(r'<tr class="transit-unit" data-unit="(\w+)" data-seal="([\w-]+)"', html) == [(C1, "HQ-000201"), (C2, "HQ-000202")]
    assert 'id="transit-arrival-status" data-allows-passage="yes">PHE_DUYET_VC' in html
    # one choice per container, each line naming the container and its seal at departure
    assert re.findall(r'<option value="(\w+\|[\w-]+\|\w+)"', html) == [
        f"{C1}|HQ-000201|intact", f"{C1}|HQ-000201|broken", f"{C1}|HQ-000201|missing",
        f"{C2}|HQ-000202|intact", f"{C2}|HQ-000202|broken", f"{C2}|HQ-000202|missing",
    ]
    assert "Niêm phong nguyên vẹn, đúng số" in html and "Thiếu container" in html
    assert 'id="transit-arrival"' not in page(people, "officer")  # nothing checked yet: the departure side has no panel


def test_check_as_recorded_then_bia(client: TestClient, world: World, people: People) -> None:
    """41.2.a.2 then 41.2.b.1.2: the check found every seal intact; BIA follows."""
    departed(client, people)

    checked = check_arrival(people)
    arrived = bia(people)

    assert (checked["status"], checked["result"]["check"], checked["result"]["notice"]) == ("applied", "passed", "typed")
    assert arrived["status"] == "applied" and case(client)["state"] == "arrived"
    assert [row[3] for row in timeline(client)][-2:] == ["41.2.a.2", "41.2.b.1.2"]
    html = page(people)
    assert 'id="transit-arrival-result" data-passed="yes"' in html and "nhập số tờ khai" in html
    assert re.findall(r'data-unit="(\w+)" data-seal="[\w-]+" data-finding="(\w+)"', html) == [(C1, "intact"), (C2, "intact")]


def test_broken_seal_refuses_bia_and_fills_in_the_violation_record(client: TestClient, world: World, people: People) -> None:
    """Art 41.2.a.2 and 41.2.b.2: a seal found broken or different: the violation record, sent to the departure
    branch; BIA only after the penalty decision is carried out."""
    departed(client, people)

    checked = check_arrival(people, found={C1: "broken"}, note="Dây niêm phong bị cắt")
    refused = bia(people)
    people.destination.client.post("/lang", data={"lang": "en", "next": "/"})
    in_english = bia(people)  # the same refusal in the officer's other language
    people.destination.client.post("/lang", data={"lang": "vi", "next": "/"})
    html = page(people)
    note = re.search(r'<textarea id="transit-record_violation-form-note" name="note"[^>]*>([^<]*)</textarea>', html).group(1)
    violation = people.destination.do("transit.record_violation", {"location_id": world["other_gate"], "number": NUMBER, "note": note})
    before_penalty = bia(people)
    penalty = people.head.do("transit.record_penalty", {"number": NUMBER, "note": "QĐ 7/QĐ-XPHC đã thực hiện"})
    after_penalty = bia(people)

    assert checked["result"]["check"] == "failed" and case(client)["arrival_check"] == "failed"
    assert people.destination.client.get(f"/api/v1/transit/declarations/{NUMBER}").json()["arrival_check"] == "failed"
    assert refused["status"] == "rejected" and refused["code"] == "arrival_check_failed"
    assert "Quyết định 1966, Điều 41.2.b.2" in refused["reason"] and "Biên bản vi phạm" in refused["reason"]
    assert in_english["code"] == "arrival_check_failed" and "Decision 1966, Art 41.2.b.2" in in_english["reason"]
    assert steps(html) == ["confirm_arrival", "record_violation"]
    assert re.search(r'id="transit-confirm_arrival-blocked">[^<]*Điều 41\.2\.b\.2', html)
    assert f"{C1}, niêm phong HQ-000201 khi đi: niêm phong bị đứt hoặc không đúng." in note and "Dây niêm phong bị cắt" in note
    assert C2 not in note  # only what was not as recorded
    assert violation["status"] == "applied" and case(client)["violation_note"] == note
    assert before_penalty["status"] == "rejected" and "41.2.b" in before_penalty["reason"]
    assert (penalty["status"], after_penalty["status"]) == ("applied", "applied") and case(client)["state"] == "arrived"


def test_missing_container_is_a_failed_check_too(client: TestClient, world: World, people: People) -> None:
    departed(client, people, exit_mode="road")

    checked = check_arrival(people, found={C2: "missing"})
    area = people.destination.do("transit.confirm_exit_area", {"location_id": world["other_gate"], "number": NUMBER})

    assert checked["result"]["check"] == "failed"
    assert area["code"] == "arrival_check_failed" and case(client)["state"] == "departed"  # nor the gate area (41.2.b.1.1.1)


@pytest.mark.parametrize(
    ("lines", "code", "clause"),
    [
        pytest.param([{"unit": C1, "seal_number": "HQ-000201", "finding": "intact"}], "check_units_differ", "41.2.a.1", id="a container left out"),
        pytest.param(
            [{"unit": C1, "seal_number": "HQ-000201", "finding": "intact"}, {"unit": C1, "seal_number": "HQ-000201", "finding": "intact"}],
            "check_units_differ", "41.2.a.1", id="a container named twice",
        ),
        pytest.param(
            [{"unit": C1, "seal_number": "HQ-000201", "finding": "intact"}, {"unit": "MSKU1234565", "seal_number": "HQ-000202", "finding": "intact"}],
            "check_units_differ", "41.2.a.1", id="another container",
        ),
        pytest.param(
            [{"unit": C1, "seal_number": "HQ-999999", "finding": "intact"}, {"unit": C2, "seal_number": "HQ-000202", "finding": "intact"}],
            "check_seal_differs", "41.2.a.1", id="a seal not the one sealed at departure",
        ),
        pytest.param(
            [{"unit": C1, "seal_number": "HQ-000201", "finding": "fine"}, {"unit": C2, "seal_number": "HQ-000202", "finding": "intact"}],
            "finding_required", "41.2.a.2", id="no finding",
        ),
        pytest.param([f"{C1}|HQ-000201", f"{C2}|HQ-000202|intact"], "bad_check_line", "41.2.a.2", id="a form line without its finding"),
    ],
)
def test_lines_must_name_exactly_the_containers_and_their_seals_at_departure(
    client: TestClient, world: World, people: People, lines: list, code: str, clause: str
) -> None:
    """Art 41.2.a.1, 41.2.a.2: the check names exactly the containers the departure branch recorded, each with its seal at departure and a finding; refused otherwise, nothing written."""
    departed(client, people)
    before = in_app(client, journal_count)

    refused = people.destination.do(
        "transit.record_arrival_check", {"location_id": world["other_gate"], "number": NUMBER, "notice": NUMBER, "lines": lines}
    )

    assert refused["status"] == "rejected" and refused["code"] == code
    assert f"Điều {clause}" in refused["reason"]
    assert in_app(client, journal_count) == before and checks(client) == 0 and case(client)["arrival_check"] == ""


def test_form_lines_as_the_page_sends_them(client: TestClient, world: World, people: People) -> None:
    """The page's lines ("<unit>|<seal>|<finding>"), lower case and spaced as a scanner may type them."""
    departed(client, people)

    checked = people.destination.do("transit.record_arrival_check", {
        "location_id": world["other_gate"], "number": NUMBER, "notice": NUMBER,
        "lines": [f"{C2.lower()}|hq-000202|intact", f"{C1}| HQ-000201 |broken"],
    })

    assert checked["status"] == "applied" and checked["result"]["check"] == "failed"


def test_the_notice_read_from_its_barcode_is_this_declarations_current_notice(client: TestClient, world: World, people: People, settings: Any) -> None:
    """41.2.a.1: "sử dụng thiết bị đọc mã vạch hoặc nhập thông tin số tờ khai": the barcode's signature, kind,
    number and version are checked."""
    departed(client, people)
    declare(client, "501000000002", lane=1)

    def with_notice(text: str) -> dict:
        return check_arrival(people, notice=text)

    container_list = with_notice(notice(settings, DocumentKind.CONTAINER_LIST))
    other = with_notice(notice(settings, number="501000000002"))
    old = with_notice(notice(settings, version=2))
    forged = with_notice(notice(settings)[:-2] + "AA")
    scanned = with_notice(notice(settings).lower())  # a scanner with Caps Lock on

    assert (container_list["code"], other["code"], old["code"], forged["code"]) == (
        "notice_wrong_document", "notice_other_declaration", "notice_old_version", "barcode_forged",
    )
    assert all("Điều 41.2.a.1" in outcome["reason"] for outcome in (container_list, other, old, forged))
    assert scanned["status"] == "applied" and scanned["result"]["notice"] == "barcode"
    assert "đọc mã vạch trên thông báo (lần khai 1)" in page(people)


def test_scanning_the_notice_on_the_transit_page_opens_the_case_with_it(client: TestClient, world: World, people: People, settings: Any) -> None:
    departed(client, people)
    code = notice(settings)

    opened = people.destination.client.get("/transit", params={"number": code}, follow_redirects=False)
    typed = people.destination.client.get("/transit", params={"number": "5010 0000 0001"}, follow_redirects=False)
    wrong = people.destination.client.get("/transit", params={"number": notice(settings, DocumentKind.GOODS_LIST)})
    html = people.destination.client.get(opened.headers["location"]).text

    assert opened.status_code == 303 and opened.headers["location"] == f"/transit/{NUMBER}?notice={code}"
    assert typed.headers["location"] == f"/transit/{NUMBER}?notice={NUMBER}"
    assert wrong.status_code == 422 and "Điều 41.2.a.1" in wrong.text and 'id="transit-find-error"' in wrong.text
    assert f'name="notice" value="{code}"' in html


def test_the_check_without_script_posts_every_line(client: TestClient, world: World, people: People) -> None:
    departed(client, people)

    response = people.destination.client.post(
        f"/transit/{NUMBER}/record_arrival_check",
        data={"location_id": str(world["other_gate"]), "number": NUMBER, "notice": NUMBER,
              "lines": [f"{C1}|HQ-000201|intact", f"{C2}|HQ-000202|intact"], "note": ""},
        follow_redirects=False,
    )
    refused = people.destination.client.post(
        f"/transit/{NUMBER}/record_arrival_check",
        data={"location_id": str(world["other_gate"]), "number": NUMBER, "notice": NUMBER, "lines": [f"{C1}|HQ-000201|intact"]},
        follow_redirects=False,
    )

    assert response.status_code == 303 and case(client)["arrival_check"] == "passed"
    assert refused.status_code == 422 and "Điều 41.2.a" in refused.text  # made once (41.2.a)


def test_the_check_is_the_destinations_once_while_departed(client: TestClient, world: World, people: People) -> None:
    from backend.officers.services import create_officer, ensure_branch
    from tests.journal.device import Person

    in_app(client, ensure_branch, "B3", "Chi cục Ba")
    third = Person(client, in_app(client, create_officer, "CB9", "Lý Văn Chín", "officer", "B3"))
    in_app(client, _third_gate)
    declare(client, lane=1)
    seal(people.officer, world)
    before_departure = check_arrival(people)
    people.officer.do("transit.register_departure", {"location_id": world["gate"], "number": NUMBER})
    lines = [{"unit": u["unit"], "seal_number": u["seal_number"], "finding": "intact"} for u in units(client)]
    by_departure = people.officer.do("transit.record_arrival_check", {"location_id": world["gate"], "number": NUMBER, "notice": NUMBER, "lines": lines})
    by_third = third.do("transit.record_arrival_check", {"location_id": _third_gate_id(client), "number": NUMBER, "notice": NUMBER, "lines": lines})
    first = check_arrival(people)
    again = check_arrival(people)

    assert before_departure["code"] == "transit_not_found"  # the destination sees nothing before departure
    assert by_departure["code"] == "not_your_step" and "Điều 41.2" in by_departure["reason"]
    assert by_third["code"] == "transit_not_found"
    assert first["status"] == "applied" and again["code"] == "check_not_now" and "Điều 41.2.a" in again["reason"]
    assert checks(client) == 1


async def _third_gate() -> None:
    from backend.officers.services import ensure_location
    from backend.officers.tables import Branch, LocationKind

    branch = await Branch.select(Branch.id).where(Branch.code == "B3").first()
    await ensure_location("B3-GA", "Cổng B3", LocationKind.GATE, branch["id"])


def _third_gate_id(client: TestClient) -> int:
    async def run() -> int:
        from backend.officers.tables import Location

        return (await Location.select(Location.id).where(Location.code == "B3-GA").first())["id"]

    return in_app(client, run)


def test_goods_not_sealed_are_checked_by_their_details(client: TestClient, world: World, people: People) -> None:
    """41.2.a.2: "hoặc các thông tin về hàng hóa trong trường hợp không phải niêm phong"."""
    from tests.declarations.helpers import item

    upsert(client, item(
        NUMBER, kind="independent_transit", lane=1, status_code="PHE_DUYET_VC", cargo_type="loose", containers=[], package_count=40,
        transit={"destination_branch_code": "B2", "transit_hours": 24},
    ))
    from tests.seals.helpers import GOODS, record_payload

    made = people.officer.do("seals.create_record", record_payload(world, number=NUMBER, kind="findings", containers=[], goods=GOODS))
    assert made["status"] == "applied", made
    people.officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": made["result"]["record_id"]})
    confirmed = people.officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    departed_ = people.officer.do("transit.register_departure", {"location_id": world["gate"], "number": NUMBER})

    html = page(people)
    without = check_arrival(people)
    different = check_arrival(people, goods_finding="different")

    assert units(client) == [] and 'id="transit-arrival-no-units"' in html and 'id="transit-arrival-packages">40<' in html
    assert departed_["status"] == "applied", (made, confirmed, departed_)
    assert 'name="goods_finding" value="as_recorded"' in html and "Máy xúc bánh xích, 2 chiếc" in html and "KOMATSU PC200" in html
    assert without["code"] == "goods_finding_required" and "Điều 41.2.a.2" in without["reason"]
    assert different["result"]["check"] == "failed" and bia(people)["code"] == "arrival_check_failed"


# --- 41.2.a.3: the departure branch's notes for the destination ---------------------------------------------------


def test_departure_note_is_read_first_at_the_destination(client: TestClient, world: World, people: People) -> None:
    """Art 41.2.a.3: the departure branch's officers and supervisors write notes for the destination (text required), which reads them first, with the declaration's warnings."""
    flagged = transit_item(lane=1)
    flagged["warnings"] = [{"text": "Doanh nghiệp rủi ro cao", "source": "upstream"}]
    upsert(client, flagged)

    by_officer = people.officer.do("transit.add_risk_note", {"number": NUMBER, "text": "Kiểm tra kỹ niêm phong container thứ hai"})
    empty = people.head.do("transit.add_risk_note", {"number": NUMBER, "text": "  "})
    departure_page = page(people, "officer")
    seal(people.officer, world)
    people.officer.do("transit.register_departure", {"location_id": world["gate"], "number": NUMBER})
    by_destination = people.destination.do("transit.add_risk_note", {"number": NUMBER, "text": "x"})
    by_head = people.head.do("transit.add_risk_note", {"number": NUMBER, "text": "Xe đi qua tuyến có rủi ro"})
    destination = page(people)

    assert by_officer["status"] == "applied" and by_head["status"] == "applied"
    assert empty["code"] == "risk_note_required" and "Điều 41.2.a.3" in empty["reason"]
    assert by_destination["code"] == "not_your_step"
    assert 'data-step="add_risk_note"' in departure_page and 'data-step="add_risk_note"' not in destination
    assert destination.index('id="transit-risk"') < destination.index('id="transit-case"') < destination.index('id="transit-arrival"')
    notes = re.findall(r'<li class="transit-risk-note" data-source="(\w+)">', destination)
    assert notes == ["departure", "departure", "upstream"]
    assert "Kiểm tra kỹ niêm phong container thứ hai" in destination and "Nguyễn Văn Một (CB1)" in destination
    assert ("sealed", "sealed", "CB1", "41.2.a.3") not in timeline(client) and ("green", "green", "CB1", "41.2.a.3") in timeline(client)


def test_no_note_after_arrival(client: TestClient, world: World, people: People) -> None:
    departed(client, people)
    check_arrival(people)
    bia(people)

    late = people.head.do("transit.add_risk_note", {"number": NUMBER, "text": "Quá muộn"})
    html = page(people, "head")

    assert late["code"] == "risk_note_too_late" and "Điều 41.2.a.3" in late["reason"]
    assert 'data-step="add_risk_note"' not in html


def test_note_form_without_script(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1)

    response = people.officer.client.post(f"/transit/{NUMBER}/add_risk_note", data={"number": NUMBER, "text": "Hàng dễ vỡ"}, follow_redirects=False)
    refused = people.officer.client.post(f"/transit/{NUMBER}/add_risk_note", data={"number": NUMBER, "text": ""}, follow_redirects=False)

    assert response.status_code == 303 and "Hàng dễ vỡ" in page(people, "officer")
    assert refused.status_code == 422 and 'id="transit-add_risk_note-error"' in refused.text and "Điều 41.2.a.3" in refused.text
