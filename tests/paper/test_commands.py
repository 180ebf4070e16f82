"""The paper commands through the real app and journal: form 07 serials, the Art 38.2 approval, who may do what."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app
from tests.paper.helpers import Person, declaration, exit_request, journal_rows, report, rows, special

YEAR = datetime.now(timezone(timedelta(hours=7))).year  # the Vietnam year: serials count per Vietnam year


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    return Person(client, world["officer"])


@pytest.fixture
def supervisor(client: TestClient, world: World) -> Person:
    return Person(client, world["supervisor"])


def test_confirm_paper_declaration_makes_form07_with_its_goods(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.3.a.1 / 35.3.a.2: a paper declaration that carries the eligibility confirmation is
    confirmed by the officer's signed command (box 36) and one form 07 lists its goods."""
    outcome = officer.send("paper.confirm_declaration", declaration(world))

    assert outcome["status"] == "applied", outcome
    (form,) = in_app(client, rows, "form07")
    assert outcome["result"] == {"form07_id": form["id"], "serial": f"07/B1/{YEAR}/000001"}
    assert form["basis"] == "paper_declaration" and form["basis_number"] == "HQ-2026/00123"
    assert str(form["basis_date"]) == "2026-11-20" and form["basis_detail"] == "import"
    assert form["declarant_name"] == "Công ty TNHH Thương mại Hải Phòng" and form["declarant_tax_code"] == "0201234567"
    assert form["containers"] == "CSQU3054383" and form["vehicle"] == "15C-123.45"
    assert form["location"] == world["gate"] and form["officer"] == world["officer"] and form["branch"] == world["branch"]
    assert json.loads(form["goods"]) == [
        {"description": "Gạo trắng 5% tấm", "quantity": "20", "unit": "tấn", "weight_kg": "20000", "packages": 400, "marks": "VN-01"},
        {"description": "Thùng carton", "quantity": "1.5", "unit": "tấn", "weight_kg": "1500.5", "packages": None, "marks": ""},
    ]
    (row,) = in_app(client, journal_rows)
    assert row["command_type"] == "paper.confirm_declaration" and row["location_id"] == world["gate"]
    assert row["signature"] is not None and row["chain"] == "B1"


def test_confirm_declaration_is_in_the_logbook_of_its_location(client: TestClient, world: World, officer: Person) -> None:
    officer.send("paper.confirm_declaration", declaration(world))

    page = officer.client.get(f"/logbook?location={world['gate']}").text

    assert translate_in("vi", "Paper declaration confirmed (box 36, form 07)") in page
    assert f"07/B1/{YEAR}/000001" in page and "HQ-2026/00123" in page


def test_confirm_declaration_without_the_eligibility_mark_is_refused(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.3.b: without the confirmation that the goods may leave the zone box 36 is not signed:
    the command is refused and nothing is recorded."""
    outcome = officer.send("paper.confirm_declaration", declaration(world, eligible_confirmed=""))

    assert outcome["status"] == "rejected" and outcome["code"] == "eligibility_not_confirmed"
    assert in_app(client, rows, "form07") == [] and in_app(client, journal_rows) == []


def test_confirm_declaration_unsigned_is_refused(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.3.a.1: box 36 is the officer's signature: an unsigned confirmation is refused and no
    form 07 is made."""
    outcome = officer.send("paper.confirm_declaration", declaration(world), sign=False)

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_required"
    assert in_app(client, rows, "form07") == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"goods": ""}, "no_goods"),
        ({"goods": "Gạo; hai mươi; tấn"}, "invalid_goods"),
        ({"goods": "Gạo; 20"}, "invalid_goods"),
        ({"goods": "Gạo; 20; tấn; 1; nhiều"}, "invalid_goods"),
        ({"containers": "CSQU3054384"}, "invalid_container"),
        ({"declarant_name": "  "}, "declarant_required"),
        ({"declarant_tax_code": "MST-ABC"}, "invalid_tax_code"),
        ({"declaration_number": " "}, "declaration_required"),
        ({"declaration_kind": "transit"}, "invalid_payload"),
        ({"location_id": 999999}, "unknown_location"),
    ],
    ids=["no-goods", "quantity-words", "short-line", "packages-words", "container-check-digit", "no-declarant",
         "tax-code", "no-number", "kind", "no-location"],
)
def test_confirm_declaration_bad_input_is_refused_in_words(
    client: TestClient, world: World, officer: Person, changes: dict, code: str
) -> None:
    outcome = officer.client.post(
        "/api/v1/commands", json=[officer.envelope("paper.confirm_declaration", declaration(world, **changes))],
        headers={"accept-language": "vi"},
    ).json()["results"][0]

    assert outcome["status"] == "rejected" and outcome["code"] == code
    assert outcome["reason"]
    assert in_app(client, rows, "form07") == [] and in_app(client, journal_rows) == []


def test_goods_may_be_sent_as_lines(client: TestClient, world: World, officer: Person) -> None:
    lines = [{"description": "Máy bơm", "quantity": "3", "unit": "chiếc", "packages": 3}]

    outcome = officer.send("paper.record_special_case", special(world, goods=lines))

    assert outcome["status"] == "applied", outcome
    (form,) = in_app(client, rows, "form07")
    assert json.loads(form["goods"]) == [{"description": "Máy bơm", "quantity": "3", "unit": "chiếc", "weight_kg": "", "packages": 3, "marks": ""}]


@pytest.mark.parametrize(
    ("type_", "payload"),
    [("paper.confirm_declaration", declaration), ("paper.report_declaration", report),
     ("paper.record_special_case", special), ("paper.request_export_exit", exit_request)],
)
def test_other_branchs_location_is_refused(client: TestClient, world: World, officer: Person, type_: str, payload) -> None:
    outcome = officer.send(type_, payload(world, location_id=world["other_gate"]))

    assert outcome["status"] == "rejected" and outcome["code"] == "location_not_in_branch"
    assert in_app(client, journal_rows) == []
    assert in_app(client, rows, "form07") == in_app(client, rows, "request") == in_app(client, rows, "report") == []


@pytest.mark.parametrize(
    ("type_", "payload"),
    [("paper.confirm_declaration", declaration), ("paper.report_declaration", report),
     ("paper.record_special_case", special), ("paper.request_export_exit", exit_request)],
)
def test_warehouse_role_is_refused(client: TestClient, world: World, type_: str, payload) -> None:
    warehouse = Person(client, world["warehouse_user"])

    outcome = warehouse.send(type_, payload(world))

    assert outcome["status"] == "rejected" and outcome["code"] == "forbidden_role"
    assert in_app(client, journal_rows) == []


def test_report_declaration_is_kept_for_the_supervisor(client: TestClient, world: World, officer: Person, supervisor: Person) -> None:
    """Decision 1966 Art 35.3.b: a paper declaration without the confirmation is not confirmed but reported, and the
    report reaches the branch head's list (the supervisor's page), not the officer's."""
    outcome = officer.send("paper.report_declaration", report(world))

    assert outcome["status"] == "applied" and outcome["result"] == {"report_id": 1}
    (row,) = in_app(client, rows, "report")
    assert row["declaration_number"] == "HQ-2026/00999" and row["reason"].startswith("Tờ khai giấy chưa có")
    assert in_app(client, rows, "form07") == []  # nothing is confirmed
    page = supervisor.client.get("/paper").text
    assert 'id="report-1"' in page and "HQ-2026/00999" in page and "Công ty CP Vận tải Biển Đông" in page
    assert 'id="report-1"' not in officer.client.get("/paper").text  # the officer's page has no reports list


def test_report_without_a_reason_is_refused(client: TestClient, world: World, officer: Person) -> None:
    outcome = officer.send("paper.report_declaration", report(world, reason="  "))

    assert outcome["status"] == "rejected" and outcome["code"] == "reason_required"
    assert in_app(client, rows, "report") == []


def test_special_case_records_the_authority_document(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 37.1 / 37.2, handled as 38.1 and 38.1.a: goods allowed in or out by a competent authority's
    document get one form 07 recording the document's issuer, number and what it allows."""
    outcome = officer.send("paper.record_special_case", special(world))

    assert outcome["status"] == "applied"
    (form,) = in_app(client, rows, "form07")
    assert form["basis"] == "authority_document" and form["basis_issuer"] == "Bộ Công Thương"
    assert form["basis_number"] == "1234/BCT-XNK" and form["basis_detail"].startswith("Cho phép đưa hàng viện trợ")


def test_export_exit_request_approved_then_form_issued(client: TestClient, world: World, officer: Person, supervisor: Person) -> None:
    """Decision 1966 Art 37.3, handled as 38.2.a and 38.2.b: export goods brought into the port without customs
    procedure go out on the declarant's request confirmed by the operator, approved by the branch head, and then
    one form 07, once."""
    requested = officer.send("paper.request_export_exit", exit_request(world))
    request_id = requested["result"]["request_id"]
    before = officer.send("paper.issue_form07", {"location_id": world["gate"], "request_id": request_id})

    decided = supervisor.send("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})
    issued = officer.send("paper.issue_form07", {"location_id": world["gate"], "request_id": request_id})
    again = officer.send("paper.issue_form07", {"location_id": world["gate"], "request_id": request_id})

    assert requested["result"]["state"] == "requested"
    assert before["status"] == "rejected" and before["code"] == "transition_refused"  # issue before approval
    assert decided["status"] == "applied" and decided["result"]["state"] == "approved"
    assert issued["status"] == "applied" and issued["result"]["serial"] == f"07/B1/{YEAR}/000001"
    assert again["status"] == "rejected" and again["code"] == "transition_refused"  # one form per request
    (request,) = in_app(client, rows, "request")
    (form,) = in_app(client, rows, "form07")
    assert request["state"] == "form_issued" and request["decided_by"] == world["supervisor"] and request["form07"] == form["id"]
    assert form["basis"] == "export_exit_request" and form["request"] == request_id
    assert form["basis_number"] == "15/2026/CV-NSV" and form["declarant_tax_code"] == "0301234567-001"
    assert json.loads(form["goods"])[0]["description"] == "Hạt điều nhân"
    types = [row["command_type"] for row in in_app(client, journal_rows)]
    assert types == ["paper.request_export_exit", "paper.decide_request", "paper.issue_form07"]


def test_rejected_request_needs_a_reason_and_cannot_be_issued(client: TestClient, world: World, officer: Person, supervisor: Person) -> None:
    """Decision 1966 Art 38.2.a / 38.2.b: a rejected request needs its reason and gets no form 07, which follows
    only the head's approval."""
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]
    decision = {"location_id": world["gate"], "request_id": request_id, "decision": "reject"}

    without_reason = supervisor.send("paper.decide_request", decision)
    rejected = supervisor.send("paper.decide_request", {**decision, "reason": "Cảng chưa xác nhận là hàng xuất khẩu"})
    issued = officer.send("paper.issue_form07", {"location_id": world["gate"], "request_id": request_id})

    assert without_reason["code"] == "reason_required"
    assert rejected["status"] == "applied" and rejected["result"]["state"] == "rejected"
    assert issued["status"] == "rejected" and issued["code"] == "transition_refused"
    (request,) = in_app(client, rows, "request")
    assert request["state"] == "rejected" and request["reason"] == "Cảng chưa xác nhận là hàng xuất khẩu"
    assert in_app(client, rows, "form07") == []


def test_withdrawn_request_cannot_be_decided(client: TestClient, world: World, officer: Person, supervisor: Person) -> None:
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]

    withdrawn = officer.send("paper.withdraw_request", {"location_id": world["gate"], "request_id": request_id, "reason": "Doanh nghiệp rút đề nghị"})
    decided = supervisor.send("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})

    assert withdrawn["status"] == "applied" and withdrawn["result"]["state"] == "withdrawn"
    assert decided["status"] == "rejected" and decided["code"] == "transition_refused"


def test_officer_cannot_decide(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 38.2.a: only the branch head approves the declarant's request; an officer's decision is
    refused."""
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]

    outcome = officer.send("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})

    assert outcome["status"] == "rejected" and outcome["code"] == "forbidden_role"
    assert in_app(client, rows, "request")[0]["state"] == "requested"


def test_supervisor_of_another_branch_cannot_decide(client: TestClient, world: World, officer: Person) -> None:
    from backend.officers import services

    other_id = in_app(client, lambda: services.create_officer("GS2", "Đỗ Văn Sáu", "supervisor", "B2"))
    other = Person(client, other_id)
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]

    outcome = other.send("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})

    assert outcome["status"] == "rejected" and outcome["code"] == "unknown_request"
    assert in_app(client, rows, "request")[0]["state"] == "requested"


def test_decision_must_name_the_requests_location(client: TestClient, world: World, officer: Person, supervisor: Person) -> None:
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]

    outcome = supervisor.send("paper.decide_request", {"location_id": world["warehouse"], "request_id": request_id, "decision": "approve"})

    assert outcome["status"] == "rejected" and outcome["code"] == "wrong_location"


def test_replay_of_the_same_command_is_applied_once(client: TestClient, world: World, officer: Person) -> None:
    envelope = officer.envelope("paper.confirm_declaration", declaration(world))

    first = officer.client.post("/api/v1/commands", json=[envelope]).json()["results"][0]
    again = officer.client.post("/api/v1/commands", json=[envelope]).json()["results"][0]

    assert first["status"] == "applied" and again["status"] == "duplicate"
    assert again["result"] == first["result"]
    assert len(in_app(client, rows, "form07")) == 1 and len(in_app(client, journal_rows)) == 1


def test_serials_are_consecutive_per_branch_and_year(client: TestClient, world: World, officer: Person) -> None:
    from backend.officers import services

    other_id = in_app(client, lambda: services.create_officer("CB3", "Vũ Thị Bảy", "officer", "B2"))
    other = Person(client, other_id)
    # A batch of commands in one request, and a second device: all in the branch's one sequence.
    batch = [officer.envelope("paper.confirm_declaration", declaration(world, declaration_number=f"HQ/{n}")) for n in range(3)]
    batch_results = officer.client.post("/api/v1/commands", json=batch).json()["results"]
    single = officer.send("paper.record_special_case", special(world))
    elsewhere = other.send("paper.record_special_case", special(world, location_id=world["other_gate"]))
    last_year = officer.send("paper.record_special_case", special(world), issued_at=datetime(YEAR - 1, 12, 31, 10, tzinfo=UTC))

    serials = [result["result"]["serial"] for result in batch_results] + [single["result"]["serial"]]
    assert serials == [f"07/B1/{YEAR}/{n:06d}" for n in range(1, 5)]
    assert elsewhere["result"]["serial"] == f"07/B2/{YEAR}/000001"
    assert last_year["result"]["serial"] == f"07/B1/{YEAR - 1}/000001"
    stored = [row["serial"] for row in in_app(client, rows, "form07")]
    assert len(stored) == len(set(stored)) == 6


def test_refused_command_takes_no_serial(client: TestClient, world: World, officer: Person) -> None:
    officer.send("paper.confirm_declaration", declaration(world, goods=""))
    outcome = officer.send("paper.confirm_declaration", declaration(world))

    assert outcome["result"]["serial"] == f"07/B1/{YEAR}/000001"


def test_a_paper_declaration_is_confirmed_once(client: TestClient, world: World, officer: Person) -> None:
    first = officer.send("paper.confirm_declaration", declaration(world))

    again = officer.send("paper.confirm_declaration", declaration(world, goods="Gạo; 1; tấn"))
    other_date = officer.send("paper.confirm_declaration", declaration(world, declaration_date="2026-11-21"))

    assert first["status"] == "applied"
    assert again["status"] == "rejected" and again["code"] == "already_confirmed"
    assert first["result"]["serial"] in again["reason"]
    assert other_date["status"] == "applied"  # another declaration that happens to share the number
    assert len(in_app(client, rows, "form07")) == 2
