"""The app shell: health check, PWA manifest and service worker, security headers, OpenAPI, home page, language."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from litestar.testing import TestClient

from backend import __version__
from backend.lib.i18n import translate_in
from tests.auth.soft_authenticator import with_csrf
from tests.conftest import ORIGIN, REPO, World, _pg_admin, _with_database, run_async, sign_in_as


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', page)
    assert match, page[:200]
    return match.group(1)


# --- /healthz --------------------------------------------------------------------------------------------


def test_healthz_reports_database_kind_and_version(client: TestClient, settings: Any) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": settings.database.kind, "version": __version__}
    assert settings.database.kind in {"sqlite", "postgresql"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def breakable_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, str], Callable[[], None]]]:
    """A database the app can start on, and a way to take it away while the app runs."""
    env = {"GIAMSAT_DATA_DIR": str(tmp_path / "data"), "GIAMSAT_ORIGIN": ORIGIN, "GIAMSAT_SECRET_KEY": "k"}
    if request.param == "sqlite":
        folder = tmp_path / "disk"
        yield {**env, "DATABASE_URL": f"sqlite:///{folder / 'giamsat.db'}"}, lambda: shutil.rmtree(folder)
        return
    server = request.getfixturevalue("postgres_url")
    name = f"giamsat_doomed_{uuid.uuid4().hex[:8]}"
    run_async(_pg_admin(server, f'CREATE DATABASE "{name}"'))
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    try:
        yield {**env, "DATABASE_URL": _with_database(server, name)}, lambda: run_async(_pg_admin(server, drop))
    finally:
        run_async(_pg_admin(server, drop))


def test_healthz_is_503_when_the_database_goes_away(breakable_database: tuple[dict[str, str], Callable[[], None]]) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    env, take_away = breakable_database
    with TestClient(create_app(load_settings(env)), base_url=ORIGIN) as doomed:
        healthy = doomed.get("/healthz")
        take_away()

        response = doomed.get("/healthz")

    assert healthy.status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == load_settings(env).database.kind
    assert body["version"] == __version__ and body["error"]


# --- installable PWA -------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_is_installable(client: TestClient) -> None:
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] and manifest["short_name"] == "giamsat"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["theme_color"])
    icons = {(icon["sizes"], icon.get("purpose", "any")): icon["src"] for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons.keys()
    for (sizes, _), src in icons.items():
        image = client.get(src)
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert "x".join(map(str, png_size(image.content))) == sizes


def test_service_worker_is_served_for_the_whole_app(client: TestClient) -> None:
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response.headers["service-worker-allowed"] == "/"
    assert "javascript" in response.headers["content-type"]
    assert response.headers["cache-control"] == "no-cache"  # a deploy is seen at once
    version = re.search(r"^const VERSION = (\".*\");$", response.text, re.M)
    precache = re.search(r"^const PRECACHE_URLS = (\[.*\]);$", response.text, re.M)
    assert version and json.loads(version.group(1)).startswith(__version__)
    pinned = re.search(r"^const PINNED_URLS = (\{.*\});$", response.text, re.M)
    assert precache and pinned
    urls, kept = json.loads(precache.group(1)), json.loads(pinned.group(1))
    assert {"/offline", "/manifest.webmanifest", "/static/css/app.css", "/static/js/camera-scan.js"} <= set(urls)
    # The vendored files, versioned by name, are kept across worker versions under their content's hash.
    vendor = REPO / "frontend" / "static" / "vendor"
    assert kept == {
        f"/static/vendor/{path.name}": hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in vendor.iterdir() if path.suffix in {".js", ".wasm"}
    }
    assert "/static/vendor/htmx-2.0.11.min.js" in kept and not set(kept) & set(urls)


def test_service_worker_precache_list_loads_signed_out(client: TestClient) -> None:
    text = client.get("/sw.js").text
    urls = json.loads(re.search(r"^const PRECACHE_URLS = (\[.*\]);$", text, re.M).group(1))
    urls += list(json.loads(re.search(r"^const PINNED_URLS = (\{.*\});$", text, re.M).group(1)))

    # one failing URL makes the worker's install fail, so every one must load without a session
    statuses = {url: client.get(url, follow_redirects=False).status_code for url in urls}

    assert statuses == {url: 200 for url in urls}


def test_offline_page_is_public_and_in_vietnamese(client: TestClient) -> None:
    response = client.get("/offline")

    assert response.status_code == 200 and html_lang(response.text) == "vi"
    assert translate_in("vi", "You are offline") in response.text


# --- security headers ------------------------------------------------------------------------------------


def assert_security_headers(response: Any) -> None:
    csp = response.headers.get("content-security-policy", "")
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}
    assert "unsafe-inline" not in csp and "'unsafe-eval'" not in csp, csp
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", csp
    assert directives.get("default-src") == "default-src 'self'", csp
    # WebAssembly only (the camera reader's vendored decoder), never eval of script text.
    assert directives.get("script-src") == "script-src 'self' 'wasm-unsafe-eval'", csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") in {"same-origin", "strict-origin-when-cross-origin", "no-referrer"}


def test_security_headers_on_pages_json_static_redirects_and_errors(client: TestClient, world: World) -> None:
    signed_out = [
        client.get("/signin"),  # a page
        client.get("/healthz"),  # JSON
        client.get("/static/css/app.css"),  # a static file
        client.get("/static/vendor/htmx-2.0.11.min.js"),
        client.get("/sw.js"),
        client.get("/logbook", follow_redirects=False),  # a redirect to sign in
        client.get("/api/v1/me"),  # 401 JSON
        client.get("/api/v1/nothing"),  # 404 JSON
        client.get("/static/nothing.css"),  # 404 of a static file
    ]
    sign_in_as(client, world["admin"])
    signed_in = [
        client.get("/"),
        client.post("/admin/officers/999999/enrollment"),  # 404 page
        client.get("/logbook"),  # 403 page
    ]

    assert [r.status_code for r in signed_out + signed_in] == [200, 200, 200, 200, 200, 303, 401, 404, 404, 200, 404, 403]
    for response in signed_out + signed_in:
        assert_security_headers(response)


def test_unknown_page_is_a_404_page_with_security_headers(client: TestClient) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404 and "<html" in response.text
    assert_security_headers(response)


# --- OpenAPI ---------------------------------------------------------------------------------------------


def test_openapi_schema_describes_the_api(client: TestClient) -> None:
    response = client.get("/schema/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "giamsat" and schema["info"]["version"] == __version__
    assert {"/api/v1/commands", "/api/v1/me"} <= schema["paths"].keys()
    assert "post" in schema["paths"]["/api/v1/commands"]


# --- home page -------------------------------------------------------------------------------------------


def action_links(page: str) -> list[str]:
    return re.findall(r'<a class="action" href="([^"]+)"', page)


def test_home_page_shows_officer_branch_role_and_actions(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get("/")

    assert page.status_code == 200 and html_lang(page.text) == "vi"
    assert "Nguyễn Văn Một" in page.text and "CB1" in page.text and "Chi cục Một" in page.text
    assert translate_in("vi", "Supervision officer") in page.text
    assert action_links(page.text) == ["/gate", "/seals", "/transit", "/export-place", "/vehicles", "/paper", "/declarations", "/logbook", "/warehouse/anomalies", "/loading", "/cfs", "/bonded", "/sync", "/account/devices"]
    assert translate_in("vi", "Logbook") in page.text


@pytest.mark.parametrize(
    ("person", "actions"),
    [
        ("supervisor", ["/inbox", "/dashboard", "/gate", "/gate/reports", "/seals", "/seals/violations", "/transit", "/export-place", "/vehicles", "/paper", "/declarations", "/logbook", "/warehouse/anomalies", "/loading", "/cfs", "/bonded", "/contingency", "/reconciliation", "/sync", "/account/devices"]),
        ("warehouse_user", ["/warehouse/anomalies", "/loading", "/cfs", "/bonded", "/sync", "/account/devices"]),
        ("admin", ["/admin/officers", "/admin/operators", "/contingency", "/sync", "/account/devices"]),
    ],
)
def test_home_page_actions_follow_the_role(client: TestClient, world: World, person: str, actions: list[str]) -> None:
    sign_in_as(client, world[person])

    page = client.get("/")

    assert action_links(page.text) == actions
    for href in actions:  # every action offered can really be used by this role
        assert client.get(href, follow_redirects=False).status_code == 200


def test_home_page_signed_out_goes_to_signin(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/signin?next=/"


# --- language --------------------------------------------------------------------------------------------


def test_lang_switches_to_english_and_back(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    vietnamese = client.get("/").text

    switched = client.post("/lang", data={"lang": "en", "next": "/"}, follow_redirects=False)
    english = client.get("/").text
    client.post("/lang", data={"lang": "vi", "next": "/"})
    again = client.get("/").text

    assert html_lang(vietnamese) == "vi" and translate_in("vi", "Sign out") in vietnamese
    assert translate_in("vi", "Sign out") != "Sign out"
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    (cookie,) = [h for h in switched.headers.get_list("set-cookie") if h.startswith("gs_lang=")]
    assert cookie.startswith("gs_lang=en;") and "samesite=lax" in cookie.lower()
    assert html_lang(english) == "en"
    assert "Sign out" in english and "Supervision officer" in english and "Logbook" in english
    assert html_lang(again) == "vi"


def test_lang_signed_out_and_error_messages_follow_it(client: TestClient) -> None:
    with_csrf(client)
    client.post("/lang", data={"lang": "en", "next": "/signin"})

    page = client.get("/signin")
    refusal = client.get("/api/v1/me")

    assert html_lang(page.text) == "en"
    assert refusal.json()["message"] == "Sign in first."


def test_lang_unknown_language_and_foreign_next_are_ignored(client: TestClient) -> None:
    with_csrf(client)

    unknown = client.post("/lang", data={"lang": "fr", "next": "/offline"}, follow_redirects=False)
    foreign = client.post("/lang", data={"lang": "en", "next": "//evil.example/"}, follow_redirects=False)
    absolute = client.post("/lang", data={"lang": "en", "next": "https://evil.example/"}, follow_redirects=False)

    assert unknown.status_code == 303 and not [h for h in unknown.headers.get_list("set-cookie") if h.startswith("gs_lang=")]
    assert foreign.headers["location"] == "/" and absolute.headers["location"] == "/"


def test_lang_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/offline")

    response = client.post("/lang", data={"lang": "en"}, follow_redirects=False)

    assert response.status_code == 403
    assert "gs_lang" not in client.cookies


def test_rate_limited_and_wrong_method_are_typed_translated_errors(client: TestClient) -> None:
    wrong_method = client.put("/healthz")

    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"
    assert_security_headers(wrong_method)


def test_signed_out_post_returns_home_after_sign_in_not_to_the_form(client: TestClient) -> None:
    client.get("/offline")
    response = client.post("/logbook", data={"_csrf_token": client.cookies.get("gs_csrf")}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/"
