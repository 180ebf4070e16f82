"""The admin page: adding officers (with an enrollment link and its QR code), new links, deactivation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from backend.lib.i18n import translate_in
from backend.officers.qr import qr_svg
from tests.auth.soft_authenticator import SoftAuthenticator, another_browser, enroll
from tests.conftest import ORIGIN, World, in_app, sign_in_as


async def officers() -> dict[str, dict[str, Any]]:
    from backend.officers.tables import Officer

    return {row["code"]: row for row in await Officer.select()}


async def enrollment_count() -> int:
    from backend.auth.tables import Enrollment

    return await Enrollment.count()


async def session_officers() -> list[int]:
    from backend.auth.tables import Session

    return [row["officer"] for row in await Session.select(Session.officer)]


def shown_link(page: str) -> str:
    match = re.search(r'<a href="([^"]+)" id="enrollment-link">', page)
    assert match, "no enrollment link on the page"
    return match.group(1)


def test_admin_page_lists_every_officer(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])

    page = client.get("/admin/officers")

    assert page.status_code == 200
    for code, name in [("CB1", "Nguyễn Văn Một"), ("KHO1", "Lê Văn Ba"), ("CB2", "Hoàng Văn Năm"), ("AD1", "Phạm Thị Bốn")]:
        assert code in page.text and name in page.text


def test_admin_creates_officer_with_enrollment_link_and_qr(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])

    page = client.post(
        "/admin/officers", data={"code": "CB8", "full_name": "Vũ Thị Tám", "role": "supervisor", "branch": "B1"}
    )

    assert page.status_code == 200
    created = in_app(client, officers)["CB8"]
    assert created["full_name"] == "Vũ Thị Tám" and created["role"] == "supervisor"
    assert created["branch"] == world["branch"] and created["active"] is True
    link = shown_link(page.text)
    assert link.startswith(f"{ORIGIN}/enroll/")
    svg = qr_svg(link)
    assert svg.startswith("<svg") and svg in page.text  # the QR code of exactly this link, inline
    assert "style=" not in svg  # nothing the Content-Security-Policy would block
    # the link works once, for the new officer
    phone = another_browser(client)
    assert "Vũ Thị Tám" in phone.get(link.removeprefix(ORIGIN)).text
    assert enroll(phone, link.rsplit("/", 1)[1], SoftAuthenticator()).status_code == 200
    assert phone.get("/api/v1/me").json()["code"] == "CB8"


def test_admin_page_cannot_create_a_national_admin(client: TestClient, world: World) -> None:
    # Issue 11, finding 6: a national admin (no branch) is made only by `giamsat officer add --national`.
    sign_in_as(client, world["admin"])

    page = client.post("/admin/officers", data={"code": "AD2", "full_name": "Quản trị Hai", "role": "admin", "branch": ""})

    assert page.status_code == 403
    assert str(escape(translate_in("vi", "A national administrator is created only with the giamsat command."))) in page.text
    assert "AD2" not in in_app(client, officers)


@pytest.mark.parametrize(
    ("form", "msgid", "params"),
    [
        ({"code": "cán bộ", "full_name": "Tên", "role": "officer", "branch": "B1"}, "An officer code is 1-32 letters, digits, '.', '_' or '-'.", {}),
        ({"code": "CB9", "full_name": "   ", "role": "officer", "branch": "B1"}, "Enter the officer's full name.", {}),
        ({"code": "CB9", "full_name": "Tên", "role": "chief", "branch": "B1"}, "Unknown role: %(role)s", {"role": "chief"}),
        ({"code": "CB1", "full_name": "Trùng mã", "role": "officer", "branch": "B1"}, "An officer with code %(code)s already exists.", {"code": "CB1"}),
        ({"code": "CB9", "full_name": "Tên", "role": "officer", "branch": "B9"}, "Unknown branch: %(code)s", {"code": "B9"}),
        ({"code": "CB9", "full_name": "Tên", "role": "officer", "branch": ""}, "Officers, supervisors and warehouse staff belong to a branch.", {}),
    ],
    ids=["bad-code", "blank-name", "unknown-role", "taken-code", "unknown-branch", "no-branch"],
)
def test_admin_create_refused_shows_reason_and_creates_nothing(
    client: TestClient, world: World, form: dict[str, str], msgid: str, params: dict[str, str]
) -> None:
    sign_in_as(client, world["admin"])
    before = in_app(client, officers)

    page = client.post("/admin/officers", data=form)

    assert page.status_code == 422
    assert str(escape(translate_in("vi", msgid, **params))) in page.text
    assert f'value="{escape(form["code"])}"' in page.text  # what was typed is kept
    assert 'id="enrollment-link"' not in page.text
    assert in_app(client, officers) == before
    assert in_app(client, enrollment_count) == 0


def test_admin_new_link_for_existing_officer(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])

    page = client.post(f"/admin/officers/{world['officer']}/enrollment")
    missing = client.post("/admin/officers/999999/enrollment")

    assert page.status_code == 200 and qr_svg(shown_link(page.text)) in page.text
    assert missing.status_code == 404
    assert in_app(client, enrollment_count) == 1


def test_admin_deactivates_officer_and_their_session_stops(client: TestClient, world: World) -> None:
    officer = another_browser(client)
    sign_in_as(officer, world["officer"])
    assert officer.get("/api/v1/me").status_code == 200
    sign_in_as(client, world["admin"])

    response = client.post(f"/admin/officers/{world['officer']}/active", data={"active": "0"}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/admin/officers"
    assert in_app(client, officers)["CB1"]["active"] is False
    assert officer.get("/api/v1/me").status_code == 401
    assert officer.get("/logbook", follow_redirects=False).headers["location"] == "/signin?next=/logbook"
    assert world["officer"] not in in_app(client, session_officers)
    assert translate_in("vi", "Activate") in client.get("/admin/officers").text


def test_admin_reactivated_officer_does_not_get_old_sessions_back(client: TestClient, world: World) -> None:
    officer = another_browser(client)
    sign_in_as(officer, world["officer"])
    sign_in_as(client, world["admin"])
    client.post(f"/admin/officers/{world['officer']}/active", data={"active": "0"})

    client.post(f"/admin/officers/{world['officer']}/active", data={"active": "1"})

    assert in_app(client, officers)["CB1"]["active"] is True
    assert officer.get("/api/v1/me").status_code == 401  # they sign in again, with their passkey


def test_admin_active_of_unknown_officer_is_404(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])

    response = client.post("/admin/officers/999999/active", data={"active": "0"}, follow_redirects=False)

    assert response.status_code == 404


def test_admin_cannot_deactivate_themselves(client: TestClient, world: World) -> None:
    from backend.officers.tables import Officer

    sign_in_as(client, world["admin"])

    response = client.post(f"/admin/officers/{world['admin']}/active", data={"active": "0"}, follow_redirects=False)

    assert response.status_code == 400
    assert in_app(client, lambda: Officer.select(Officer.active).where(Officer.id == world["admin"]).first())["active"] is True
