"""The app shell: home, language switch, PWA manifest, service worker, offline page, health check."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie, State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from piccolo.querystring import QueryString

from backend import __version__, db
from backend.lib.i18n import LANGUAGE_COOKIE, LANGUAGES, gettext
from backend.lib.urls import local_path
from backend.officers.tables import Role, role_label
from backend.settings import Settings

PUBLIC = {"public": True}


def actions_for(role: Role) -> list[dict[str, str]]:
    """The home page's actions for a role. The routes check the role again: this list is only a menu."""
    actions: list[dict[str, str]] = []
    if role == Role.SUPERVISOR:
        actions.append({"href": "/inbox", "label": gettext("Inbox"), "hint": gettext("Everything waiting for a decision of your branch")})
        actions.append({"href": "/dashboard", "label": gettext("Dashboard"), "hint": gettext("Today's passages per gate, open items, overdue transits, contingency, devices with old queues")})
    if role in (Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/gate", "label": gettext("Gate check"), "hint": gettext("Scan a container list, check it, confirm passage")})
    if role == Role.SUPERVISOR:
        actions.append({"href": "/gate/reports", "label": gettext("Reports from the gates"), "hint": gettext("Mismatches and exits refused, waiting for your decision")})
    if role in (Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/seals", "label": gettext("Seals and handover records"), "hint": gettext("Seal containers, make, print and receive handover records")})
    if role == Role.SUPERVISOR:
        actions.append({"href": "/seals/violations", "label": gettext("Violation records"), "hint": gettext("What receiving branches found not as recorded")})
    if role in (Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/transit", "label": gettext("Transit"), "hint": gettext("Assign, check, seal, depart and confirm arrival of transit goods; overdue lots")})
        actions.append({"href": "/export-place", "label": gettext("Exit gate: 15 days and changes of export place"), "hint": gettext("Goods from bonded warehouses waiting at the exit gate (Art 43.3.b), changes of export place and their letters (Art 43.3.c)")})
    if role in (Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/vehicles", "label": gettext("Key vehicles"), "hint": gettext("Vessels and vehicles under direct supervision and their supervision journal")})
    if role in (Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/paper", "label": gettext("Paper declarations and special cases"), "hint": gettext("Box 36, form 07, goods allowed by an authority's document")})
    if role in (Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/declarations", "label": gettext("Declarations"), "hint": gettext("Look up a declaration by its number, with its history")})
    if role in (Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/logbook", "label": gettext("Logbook"), "hint": gettext("Note what happened at your gate or yard")})
    if role in (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/warehouse/anomalies", "label": gettext("Anomaly records (air cargo)"), "hint": gettext("Missing, extra or damaged packages found at the warehouse (Art 35.2.đ)")})
    if role in (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/loading", "label": gettext("Loading and transhipment plans"), "hint": gettext("Plans of loading, unloading and transhipment (Art 40): the measure proposed and decided")})
    if role in (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/cfs", "label": gettext("CFS consolidation lists"), "hint": gettext("Export goods consolidated in one container (form 25, Art 44.2.b): listed by the CFS, compared and signed by customs")})
    if role in (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR):
        actions.append({"href": "/bonded", "label": gettext("Bonded warehouses"), "hint": gettext("Bonded stock, goods in and out (Art 43): release notes, checks, inspections proposed")})
    if role == Role.ADMIN:
        actions.append({"href": "/admin/officers", "label": gettext("Officers"), "hint": gettext("Add officers and send enrollment links")})
    if role == Role.ADMIN:
        actions.append({"href": "/admin/operators", "label": gettext("Operators"), "hint": gettext("Warehouse, CFS and port companies, their premises and staff")})
    if role in (Role.SUPERVISOR, Role.ADMIN):
        actions.append({"href": "/contingency", "label": gettext("Contingency mode"), "hint": gettext("Declare or end it when the customs system is down")})
    if role == Role.SUPERVISOR:
        actions.append({"href": "/reconciliation", "label": gettext("Reconciliation"), "hint": gettext("Check what was done offline or in contingency mode")})
    actions.append({"href": "/sync", "label": gettext("Sync"), "hint": gettext("What this device still has to send")})
    actions.append({"href": "/account/devices", "label": gettext("My devices"), "hint": gettext("Passkeys on your phones and scanners")})
    return actions


@get("/")
async def home(request: Request[Any, Any, Any]) -> Template:
    actor = request.user
    return Template(
        "shell/home.html",
        context={"actions": actions_for(actor.role), "role_label": role_label(actor.role)},
    )


@post("/lang", opt=PUBLIC, status_code=303)
async def set_language(request: Request[Any, Any, Any]) -> Redirect:
    form = await request.form()
    language = str(form.get("lang") or "")
    target = local_path(form.get("next"))
    response = Redirect(target, status_code=303)
    if language in LANGUAGES:
        response.set_cookie(Cookie(key=LANGUAGE_COOKIE, value=language, max_age=3600 * 24 * 365, samesite="lax", path="/"))
    return response


@get("/offline", opt=PUBLIC)
async def offline_page() -> Template:
    return Template("shell/offline.html")


@get("/manifest.webmanifest", opt=PUBLIC, media_type="application/manifest+json")
async def manifest() -> Response[bytes]:
    body = {
        "name": "giamsat — Giám sát hải quan",
        "short_name": "giamsat",
        "description": "Giám sát hàng hóa tại cửa khẩu, cảng, kho ngoại quan và CFS",
        "lang": "vi",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b3d6e",
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/static/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False).encode(), media_type="application/manifest+json")


def shell_files(settings: Settings) -> list[Path]:
    static = settings.web.frontend_dir / "static"
    files = [p for p in sorted(static.rglob("*")) if p.is_file() and p.suffix in {".css", ".js", ".png", ".svg", ".wasm"}]
    return files


# The modules of service_worker/ that the worker imports and pages load too, in load order (queue.js uses store.js).
WORKER_MODULES = ("store.js", "serialize.js", "queue.js")


@lru_cache(maxsize=4)
def service_worker_source(settings: Settings) -> str:
    """sw.js with the precache list and a version that changes whenever any shell file changes.

    The version is a hash over the worker, its modules and every precached file, so a deploy that changes
    any of them makes the browser see a new worker (which then waits until the officer accepts the update).
    The worker imports its modules with the version in the URL, so it never runs a module of another version.
    """
    static = settings.web.frontend_dir / "static"
    worker = (settings.web.service_worker_dir / "sw.js").read_text()
    digest = hashlib.sha256(worker.encode())
    urls = ["/offline", "/manifest.webmanifest"]
    for name in WORKER_MODULES:
        digest.update((settings.web.service_worker_dir / name).read_bytes())
        urls.append(f"/sw/{name}")
    pinned: dict[str, str] = {}
    for path in shell_files(settings):
        content = path.read_bytes()
        digest.update(content)
        url = "/static/" + path.relative_to(static).as_posix()
        if path.parent == static / "vendor":
            # Vendored files carry their version in their names (htmx-2.0.11.min.js): the worker keeps them across
            # versions, keyed by their content's hash, and fetches them again only when that changes.
            pinned[url] = hashlib.sha256(content).hexdigest()[:16]
        else:
            urls.append(url)
    version = f"{__version__}-{digest.hexdigest()[:12]}"
    modules = [f"/sw/{name}?v={version}" for name in WORKER_MODULES]
    header = (
        f"const VERSION = {json.dumps(version)};\nconst PRECACHE_URLS = {json.dumps(urls)};\n"
        f"const PINNED_URLS = {json.dumps(pinned)};\nconst MODULE_URLS = {json.dumps(modules)};\n"
    )
    return header + worker


@get("/sw.js", opt=PUBLIC, media_type="text/javascript")
async def service_worker(state: State) -> Response[str]:
    return Response(
        service_worker_source(state.settings),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@get("/sw/{name:str}", opt=PUBLIC, media_type="text/javascript")
async def service_worker_module(name: FromPath[str], state: State) -> Response[bytes]:
    """A module of the service worker that pages load too (store.js, serialize.js, queue.js)."""
    if name not in WORKER_MODULES:
        raise NotFoundException()
    body = (state.settings.web.service_worker_dir / name).read_bytes()
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@get("/healthz", opt=PUBLIC, media_type=MediaType.JSON)
async def healthz(state: State) -> Response[dict[str, Any]]:
    engine = state.engine
    body = {"status": "ok", "database": db.kind(engine), "version": __version__}
    try:
        if body["database"] == "sqlite" and not state.settings.database.sqlite_path.exists():
            # Open connections keep working on a deleted file, and what they write is lost at the next start.
            raise FileNotFoundError(state.settings.database.sqlite_path)
        await engine.run_querystring(QueryString("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "unhealthy", whatever its type
        return Response({**body, "status": "unavailable", "error": type(exc).__name__}, status_code=503)
    return Response(body)


ROUTES = [home, set_language, offline_page, manifest, service_worker, service_worker_module, healthz]
