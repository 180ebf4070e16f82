"""/paper and the form 07 print page: what each role sees, forms posted without script, the QR."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.paper.helpers import Person, declaration, exit_request, journal_rows, rows

YEAR = datetime.now(timezone(timedelta(hours=7))).year


def vi(msgid: str) -> str:
    return str(escape(translate_in("vi", msgid)))


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    return Person(client, world["officer"])


def test_paper_page_shows_the_forms_to_an_officer(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get("/paper")

    assert page.status_code == 200
    for form_id, command in [("confirm-form", "paper.confirm_declaration"), ("report-form", "paper.report_declaration"),
                             ("special-form", "paper.record_special_case"), ("request-form", "paper.request_export_exit")]:
        assert f'data-command="{command}" id="{form_id}"' in page.text
    assert vi("No form 07 was made in your branch yet.") in page.text
    assert 'id="paper-waiting"' not in page.text  # decisions are the supervisor's
    # The signed types are announced to the device script, which signs them at submit.
    signed = re.search(r'<meta name="signed-commands" content="([^"]*)"', page.text).group(1).split(",")
    assert {"paper.confirm_declaration", "paper.record_special_case", "paper.decide_request", "paper.issue_form07"} <= set(signed)
    assert "paper.report_declaration" not in signed


def test_report_posted_without_script_is_applied_and_listed(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    fields = {"location_id": str(world["gate"]), "declaration_number": "HQ/777", "declaration_date": "2026-11-22",
              "declaration_kind": "export", "declarant_name": "Công ty Bảy", "declarant_tax_code": "", "reason": "Chưa có xác nhận"}

    response = client.post("/paper/declarations/report", data=fields, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/paper"
    (report,) = in_app(client, rows, "report")
    assert report["declaration_number"] == "HQ/777" and report["declaration_kind"] == "export" and report["reason"] == "Chưa có xác nhận"
    sign_in_as(client, world["supervisor"])
    page = client.get("/paper").text
    assert 'id="report-1"' in page and "HQ/777" in page and "Chưa có xác nhận" in page


def test_refused_form_shows_the_reason_and_keeps_what_was_typed(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    fields = {"location_id": str(world["other_gate"]), "declaration_number": "HQ/<1>", "declaration_date": "2026-11-22",
              "declaration_kind": "import", "declarant_name": "Công ty Tám", "reason": "x"}

    page = client.post("/paper/declarations/report", data=fields)

    assert page.status_code == 422
    assert 'id="report-error"' in page.text and vi("This location does not belong to your branch.") in page.text
    assert 'value="HQ/&lt;1&gt;"' in page.text and 'value="Công ty Tám"' in page.text
    assert in_app(client, rows, "report") == [] and in_app(client, journal_rows) == []


def test_signed_form_posted_without_script_is_refused_in_words(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    fields = {key: str(value) for key, value in declaration(world).items()}

    page = client.post("/paper/declarations/confirm", data=fields)

    assert page.status_code == 422 and 'id="confirm-error"' in page.text
    assert vi("This action must be signed with your passkey.") in page.text
    assert in_app(client, rows, "form07") == []


def test_supervisor_sees_waiting_requests_and_officer_sees_approved_ones(client: TestClient, world: World, officer: Person) -> None:
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]
    supervisor = Person(client, world["supervisor"])

    waiting = supervisor.client.get("/paper").text
    supervisor.send("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})
    approved = officer.client.get("/paper").text

    assert f'id="approve-{request_id}-form"' in waiting and f'id="reject-{request_id}-form"' in waiting
    assert "15/2026/CV-NSV" in waiting and "Hạt điều nhân" in waiting
    assert f'id="issue-{request_id}-form"' in approved and vi("Approved") in approved
    assert f'id="approve-{request_id}-form"' not in approved


def test_print_page_shows_the_form_and_a_qr_that_verifies(client: TestClient, world: World, officer: Person, settings) -> None:
    from backend.barcodes.services import keyring_for
    from backend.paper.qr import verify_form07_qr

    result = officer.send("paper.confirm_declaration", declaration(world))["result"]

    page = officer.client.get(f"/paper/forms/{result['form07_id']}/print")

    assert page.status_code == 200
    text = page.text
    serial = f"07/B1/{YEAR}/000001"
    assert result["serial"] == serial
    for shown in [vi("Form No. 07/DSHHG/GSQL"), vi("LIST OF GOODS ELIGIBLE TO PASS THE CUSTOMS SUPERVISION ZONE"),
                  vi("CUSTOMS DEPARTMENT"), "CHI CỤC MỘT", serial, "HQ-2026/00123", "20/11/2026",
                  "Công ty TNHH Thương mại Hải Phòng", "0201234567", "CSQU3054383", "15C-123.45",
                  "Gạo trắng 5% tấm", "20000", "VN-01", "Thùng carton", "1500.5", "Nguyễn Văn Một", "Cổng A",
                  vi("SUPERVISING CUSTOMS OFFICER"), 'class="qr form07-qr"', "data:image/svg+xml;base64,"]:
        assert shown in text, shown
    qr_text = re.search(r'id="form07-qr-text">([^<]+)<', text).group(1)
    assert qr_text.startswith(f"F07.{serial}.A")
    assert verify_form07_qr(keyring_for(settings), qr_text) == serial


def test_print_page_of_another_branch_is_not_found(client: TestClient, world: World, officer: Person) -> None:
    from backend.officers import services

    form_id = officer.send("paper.confirm_declaration", declaration(world))["result"]["form07_id"]
    other_id = in_app(client, lambda: services.create_officer("CB9", "Lý Văn Chín", "officer", "B2"))
    sign_in_as(client, other_id)

    page = client.get(f"/paper/forms/{form_id}/print")

    assert page.status_code == 404 and vi("There is no such form 07 in your branch.") in page.text
    assert "HQ-2026/00123" not in page.text


@pytest.mark.parametrize("person", ["warehouse_user", "admin"])
def test_paper_page_is_forbidden_to_warehouse_staff_and_admins(client: TestClient, world: World, person: str) -> None:
    sign_in_as(client, world[person])

    assert client.get("/paper").status_code == 403
    assert client.get("/paper/forms/1/print").status_code == 403


def test_decision_posted_without_script_is_refused_at_its_own_form(client: TestClient, world: World, officer: Person) -> None:
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]
    sign_in_as(client, world["supervisor"])
    fields = {"location_id": str(world["gate"]), "request_id": str(request_id), "decision": "reject", "reason": "Thiếu xác nhận"}

    page = client.post("/paper/requests/decide", data=fields)

    assert page.status_code == 422
    assert f'id="reject-{request_id}-error"' in page.text and vi("This action must be signed with your passkey.") in page.text
    assert in_app(client, rows, "request")[0]["state"] == "requested"


def test_withdrawal_posted_without_script_is_applied(client: TestClient, world: World, officer: Person) -> None:
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]
    sign_in_as(client, world["officer"])
    fields = {"location_id": str(world["gate"]), "request_id": str(request_id), "reason": "Doanh nghiệp rút đề nghị"}

    response = client.post("/paper/requests/withdraw", data=fields, follow_redirects=False)
    again = client.post("/paper/requests/withdraw", data=fields)

    assert response.status_code == 303
    (request,) = in_app(client, rows, "request")
    assert request["state"] == "withdrawn" and request["reason"] == "Doanh nghiệp rút đề nghị"
    assert f'id="request-{request_id}"' not in client.get("/paper").text
    # Withdrawn already (a new command id: the form had none): refused in words, nothing changed.
    assert again.status_code == 422 and 'id="page-error"' in again.text
    assert vi("A request that is “%(current)s” cannot become “%(target)s”.").replace("%(current)s", vi("Withdrawn")).replace("%(target)s", vi("Withdrawn")) in again.text
    assert [row["command_type"] for row in in_app(client, journal_rows)] == ["paper.request_export_exit", "paper.withdraw_request"]


def test_refusal_is_worded_in_the_officers_language(client: TestClient, world: World, officer: Person) -> None:
    envelope = officer.envelope("paper.confirm_declaration", declaration(world, goods="Gạo; hai mươi; tấn"))

    outcome = officer.client.post("/api/v1/commands", json=[envelope]).json()["results"][0]

    assert outcome["code"] == "invalid_goods"
    assert outcome["reason"] == translate_in("vi", "Goods line %(line)d: the quantity is not a number: %(value)s", line=1, value="hai mươi")


def test_paper_actions_are_in_the_logbook(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 38.2.b: as khoản 1 asks, the request, the head's decision and the form 07 issued are in the
    place's logbook ("sổ theo dõi hàng qua khu vực giám sát")."""
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]
    supervisor = Person(client, world["supervisor"])
    supervisor.send("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})
    officer.send("paper.issue_form07", {"location_id": world["gate"], "request_id": request_id})

    page = officer.client.get(f"/logbook?location={world['gate']}").text

    for msgid in ["Request to take export goods out of the port recorded",
                  "Branch head's decision on a request to take export goods out",
                  "Form 07 issued for an approved request"]:
        assert vi(msgid) in page, msgid
    assert f"07/B1/{YEAR}/000001" in page and "15/2026/CV-NSV" in page
    assert vi("Approved") in page  # the decision, in the reader's language


def test_print_page_names_each_basis(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 38.1.a: the printed form 07 names its basis, the authority's document (38.1) or the request
    the head approved (38.2.b)."""
    from tests.paper.helpers import special

    special_id = officer.send("paper.record_special_case", special(world))["result"]["form07_id"]
    request_id = officer.send("paper.request_export_exit", exit_request(world))["result"]["request_id"]
    Person(client, world["supervisor"]).send(
        "paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"}
    )
    issued_id = officer.send("paper.issue_form07", {"location_id": world["gate"], "request_id": request_id})["result"]["form07_id"]
    today = datetime.now(timezone(timedelta(hours=7))).strftime("%d/%m/%Y")

    special_page = officer.client.get(f"/paper/forms/{special_id}/print").text
    issued_page = officer.client.get(f"/paper/forms/{issued_id}/print").text

    basis = re.search(r'id="form07-basis">(.*?)</dd>', special_page, re.S).group(1)
    assert vi("Document of the competent authority") in basis and "1234/BCT-XNK" in basis and "10/11/2026" in basis
    assert "Bộ Công Thương" in basis and "Cho phép đưa hàng viện trợ khẩn cấp ra khỏi cảng" in basis
    basis = re.search(r'id="form07-basis">(.*?)</dd>', issued_page, re.S).group(1)
    assert vi("Declarant's request approved by the branch head") in basis
    assert "15/2026/CV-NSV" in basis and "24/11/2026" in basis and "Cảng Tân Vũ" in basis and "88/XN-TV" in basis
    assert today in basis  # the approval's date
    assert "Hạt điều nhân" in issued_page and "0301234567-001" in issued_page
