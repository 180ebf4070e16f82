"""Who may call what, for every route of the app.

RULES lists every route (method and path as the app registers them) with who may call it. A route added
to the app without a rule here fails `test_every_route_has_a_rule`, so nobody can add a page or an API
without saying, and testing, who may use it. The server decides: these requests are made with no page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.testing import TestClient

from backend.officers.tables import Role
from tests.auth.soft_authenticator import with_csrf
from tests.conftest import World, sign_in_as

PUBLIC, SIGNED_IN, ROLES = "public", "signed in", "roles"
ALL_ROLES = frozenset(Role)
PERSON_OF_ROLE = {Role.OFFICER: "officer", Role.SUPERVISOR: "supervisor", Role.WAREHOUSE: "warehouse_user", Role.ADMIN: "admin"}


@dataclass(frozen=True)
class Rule:
    access: str
    url: str  # may name world ids: {officer}, {gate}, ...
    roles: frozenset[Role] = ALL_ROLES
    form: dict[str, str] | None = None
    json: Any = None
    # Also needs a recent passkey assertion in the session (a step-up): adding a passkey (issue 11, finding 5).
    stepped_up: bool = False


def roles(*allowed: Role, **kwargs: Any) -> Rule:
    return Rule(ROLES, roles=frozenset(allowed), **kwargs)


RULES: dict[tuple[str, str], Rule] = {
    # the shell
    ("GET", "/"): Rule(SIGNED_IN, "/"),
    ("POST", "/lang"): Rule(PUBLIC, "/lang", form={"lang": "en", "next": "/offline"}),
    ("GET", "/offline"): Rule(PUBLIC, "/offline"),
    ("GET", "/manifest.webmanifest"): Rule(PUBLIC, "/manifest.webmanifest"),
    ("GET", "/sw.js"): Rule(PUBLIC, "/sw.js"),
    ("GET", "/sw/{name:str}"): Rule(PUBLIC, "/sw/queue.js"),
    ("GET", "/healthz"): Rule(PUBLIC, "/healthz"),
    ("GET", "/static/{file_path:path}"): Rule(PUBLIC, "/static/css/app.css"),
    ("HEAD", "/static/{file_path:path}"): Rule(PUBLIC, "/static/vendor/htmx-2.0.11.min.js"),
    # the OpenAPI description (it holds no data)
    ("GET", "/schema"): Rule(PUBLIC, "/schema"),
    ("GET", "/schema/openapi.json"): Rule(PUBLIC, "/schema/openapi.json"),
    ("GET", "/schema/openapi.yaml"): Rule(PUBLIC, "/schema/openapi.yaml"),
    ("GET", "/schema/openapi.yml"): Rule(PUBLIC, "/schema/openapi.yml"),
    ("GET", "/schema/swagger"): Rule(PUBLIC, "/schema/swagger"),
    ("GET", "/schema/redoc"): Rule(PUBLIC, "/schema/redoc"),
    ("GET", "/schema/elements"): Rule(PUBLIC, "/schema/elements"),
    ("GET", "/schema/rapidoc"): Rule(PUBLIC, "/schema/rapidoc"),
    ("GET", "/schema/oauth2-redirect.html"): Rule(PUBLIC, "/schema/oauth2-redirect.html"),
    ("GET", "/schema/{path:str}"): Rule(PUBLIC, "/schema/nothing-here"),
    # signing in
    ("GET", "/signin"): Rule(PUBLIC, "/signin"),
    ("GET", "/enroll/{token:str}"): Rule(PUBLIC, "/enroll/not-a-link"),
    ("POST", "/auth/signin/options"): Rule(PUBLIC, "/auth/signin/options"),
    ("POST", "/auth/signin/verify"): Rule(PUBLIC, "/auth/signin/verify", json={"credential": {}}),
    ("POST", "/auth/register/options"): Rule(PUBLIC, "/auth/register/options", json={"enrollment_token": "x"}),
    ("POST", "/auth/register/verify"): Rule(PUBLIC, "/auth/register/verify", json={"credential": {}}),
    ("POST", "/auth/stepup/options"): Rule(SIGNED_IN, "/auth/stepup/options"),
    ("POST", "/auth/stepup/verify"): Rule(SIGNED_IN, "/auth/stepup/verify", json={"credential": {}}),
    ("POST", "/auth/demo"): Rule(PUBLIC, "/auth/demo", form={"officer_id": "{admin}"}),
    ("POST", "/signout"): Rule(SIGNED_IN, "/signout"),
    # the officer's own devices
    ("GET", "/account/devices"): Rule(SIGNED_IN, "/account/devices"),
    ("POST", "/account/devices/link"): Rule(SIGNED_IN, "/account/devices/link", stepped_up=True),
    ("POST", "/account/devices/{passkey_id:int}/revoke"): Rule(SIGNED_IN, "/account/devices/999999/revoke"),
    # the API
    ("GET", "/api/v1/me"): Rule(SIGNED_IN, "/api/v1/me"),
    ("POST", "/api/v1/commands"): Rule(SIGNED_IN, "/api/v1/commands", json=[]),  # each command checks its own roles
    ("POST", "/api/v1/signing/ticket"): Rule(SIGNED_IN, "/api/v1/signing/ticket", json={"device_id": "web-phone-1"}),
    ("GET", "/api/v1/sync/status"): Rule(SIGNED_IN, "/api/v1/sync/status"),
    # what waits on the device, reported for the session's officer (sync/device_queue.py); admins queue nothing to follow up
    ("POST", "/api/v1/sync/device-queue"): roles(
        Role.OFFICER, Role.SUPERVISOR, Role.WAREHOUSE, url="/api/v1/sync/device-queue", json={"device_id": "web-phone-1", "waiting": 0}
    ),
    ("GET", "/api/v1/replica/{dataset:str}"): Rule(SIGNED_IN, "/api/v1/replica/locations"),
    # the device's sync page (its contents live on the device)
    ("GET", "/sync"): Rule(SIGNED_IN, "/sync"),
    # files: photos uploaded before the commands that use them; their copies shown to who may see a record
    ("PUT", "/api/v1/files/{sha256:str}"): roles(
        Role.OFFICER, Role.SUPERVISOR, Role.WAREHOUSE, url="/api/v1/files/" + "0" * 64
    ),
    ("GET", "/files/{sha256:str}"): Rule(SIGNED_IN, "/files/" + "0" * 64),  # 404 unless this user may see it
    ("GET", "/files/{sha256:str}/thumb"): Rule(SIGNED_IN, "/files/" + "0" * 64 + "/thumb"),
    # barcodes: a photo of a list's code decoded on the server (the body is the photo; an empty one is refused
    # by the handler, after the guards)
    ("POST", "/api/v1/barcodes/decode"): roles(Role.OFFICER, Role.SUPERVISOR, Role.WAREHOUSE, url="/api/v1/barcodes/decode"),
    # the logbook
    ("GET", "/logbook"): roles(Role.OFFICER, Role.SUPERVISOR, url="/logbook"),
    ("POST", "/logbook"): roles(Role.OFFICER, Role.SUPERVISOR, url="/logbook", form={"location_id": "{gate}", "text": "x"}),
    ("GET", "/logbook.csv"): roles(Role.OFFICER, Role.SUPERVISOR, url="/logbook.csv?location={gate}"),
    # contingency mode (a supervisor for their branch, an admin for every branch) and reconciliation
    ("GET", "/contingency"): roles(Role.SUPERVISOR, Role.ADMIN, url="/contingency"),
    ("POST", "/contingency/declare"): roles(Role.SUPERVISOR, Role.ADMIN, url="/contingency/declare", form={"reason": "x"}),
    ("POST", "/contingency/end"): roles(Role.SUPERVISOR, Role.ADMIN, url="/contingency/end", form={"note": ""}),
    ("GET", "/reconciliation"): roles(Role.SUPERVISOR, url="/reconciliation"),
    ("POST", "/reconciliation/review"): roles(
        Role.SUPERVISOR, url="/reconciliation/review", form={"command_ids": "00000000-0000-4000-8000-000000000000"}
    ),
    # declarations: upstream's batch upsert is an admin's (the gateway's token belongs to an admin officer);
    # lookups by officers and supervisors of any branch (goods registered elsewhere pass their gates)
    ("POST", "/api/v1/declarations"): roles(Role.ADMIN, url="/api/v1/declarations", json=[]),
    ("GET", "/api/v1/declarations/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/declarations/999999999999"),
    ("GET", "/declarations"): roles(Role.OFFICER, Role.SUPERVISOR, url="/declarations?number=999999999999"),
    # printed container / goods lists: staff of the declaration's branch of registration (the handler checks the
    # branch after the lookup: an unknown number is 404 for everyone) and admins (the demo)
    ("GET", "/declarations/{number:str}/container-list"): roles(
        Role.OFFICER, Role.SUPERVISOR, Role.ADMIN, url="/declarations/999999999999/container-list"
    ),
    ("GET", "/declarations/{number:str}/goods-list"): roles(
        Role.OFFICER, Role.SUPERVISOR, Role.ADMIN, url="/declarations/999999999999/goods-list"
    ),
    # the gate: cards and the check, by officers and supervisors of any branch (goods registered elsewhere pass
    # their gates); warehouse staff and admins do not work the gate
    ("GET", "/api/v1/gate/cards/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/gate/cards/999999999999"),
    ("POST", "/api/v1/gate/check"): roles(
        Role.OFFICER, Role.SUPERVISOR, url="/api/v1/gate/check", json={"number": "999999999999"}
    ),
    # the gate page (its own branch's locations); the reports from the gates, for the branch's supervisors
    ("GET", "/gate"): roles(Role.OFFICER, Role.SUPERVISOR, url="/gate"),
    ("GET", "/gate/reports"): roles(Role.SUPERVISOR, url="/gate/reports"),
    ("POST", "/gate/reports"): roles(Role.SUPERVISOR, url="/gate/reports", form={"report_id": "999999"}),
    # paper declarations, special cases, Art 38.2 requests and form 07 (their own branch's; each command also checks
    # the location's branch); deciding a request is the branch head's. Another branch's form 07 is not found (404).
    ("GET", "/paper"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper"),
    ("POST", "/paper/declarations/confirm"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper/declarations/confirm", form={"location_id": "{gate}"}),
    ("POST", "/paper/declarations/report"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper/declarations/report", form={"location_id": "{gate}"}),
    ("POST", "/paper/border/sign"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper/border/sign", form={"location_id": "{gate}"}),
    ("POST", "/paper/border/refuse"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper/border/refuse", form={"location_id": "{gate}"}),
    ("POST", "/paper/special-cases"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper/special-cases", form={"location_id": "{gate}"}),
    ("POST", "/paper/requests"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper/requests", form={"location_id": "{gate}"}),
    ("POST", "/paper/requests/decide"): roles(
        Role.SUPERVISOR, url="/paper/requests/decide", form={"location_id": "{gate}", "request_id": "999999", "decision": "approve"}
    ),
    ("POST", "/paper/requests/issue"): roles(
        Role.OFFICER, Role.SUPERVISOR, url="/paper/requests/issue", form={"location_id": "{gate}", "request_id": "999999"}
    ),
    ("POST", "/paper/requests/withdraw"): roles(
        Role.OFFICER, Role.SUPERVISOR, url="/paper/requests/withdraw", form={"location_id": "{gate}", "request_id": "999999", "reason": "x"}
    ),
    ("GET", "/paper/forms/{form_id:int}/print"): roles(Role.OFFICER, Role.SUPERVISOR, url="/paper/forms/999999/print"),
    # seals: a declaration's sealing evidence and a handover record, for officers and supervisors of a branch that
    # has a part in them (else 404); violation records found on receipt, for the departure branch's supervisors
    ("GET", "/api/v1/seals/record-keys"): Rule(SIGNED_IN, "/api/v1/seals/record-keys"),
    ("GET", "/api/v1/seals/declarations/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/seals/declarations/999999999999"),
    ("GET", "/api/v1/seals/records/{record_id:int}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/seals/records/999999"),
    ("GET", "/api/v1/seals/violations"): roles(Role.SUPERVISOR, url="/api/v1/seals/violations"),
    # transit: a case for its departure branch (and its destination once departed), the branch's lists and letters
    ("GET", "/api/v1/transit/declarations/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/transit/declarations/999999999999"),
    ("GET", "/api/v1/transit/lists"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/transit/lists"),
    ("GET", "/api/v1/transit/overdue"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/transit/overdue"),
    ("GET", "/api/v1/transit/verifications"): roles(Role.OFFICER, Role.SUPERVISOR, url="/api/v1/transit/verifications"),
    # the transit pages: the branch's lists, a case (404 unless the branch departs it, or receives it once departed),
    # the departure branch's overdue list; a step's form without the script applies its command (which checks the
    # party: policy.py), then shows the case (404 for an unknown number)
    ("GET", "/transit"): roles(Role.OFFICER, Role.SUPERVISOR, url="/transit"),
    ("GET", "/transit/overdue"): roles(Role.OFFICER, Role.SUPERVISOR, url="/transit/overdue"),
    ("GET", "/transit/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/transit/999999999999"),
    # the letter asking the destination branch to verify a lot (41.1.4.b), printable: the branch that sent it and
    # the branch it was sent to (transit/policy.py may_read_letter); 404 otherwise
    ("GET", "/transit/letters/{request_id:int}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/transit/letters/999999"),
    ("POST", "/transit/{number:str}/{step:str}"): roles(
        Role.OFFICER, Role.SUPERVISOR, url="/transit/999999999999/open_trace", form={"number": "999999999999", "note": "x"}
    ),
    # key vehicles (Art 39): the branch's list and each journal for its officers and supervisors (404 for another
    # branch's vehicle); the head designates, assigns and ends, the assigned officers write (vehicles/policy.py)
    ("GET", "/vehicles"): roles(Role.OFFICER, Role.SUPERVISOR, url="/vehicles"),
    ("GET", "/vehicles/{vehicle_id:int}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/vehicles/999999"),
    ("GET", "/vehicles/{vehicle_id:int}/print"): roles(Role.OFFICER, Role.SUPERVISOR, url="/vehicles/999999/print"),
    ("POST", "/vehicles/designate"): roles(Role.SUPERVISOR, url="/vehicles/designate", form={"location_id": "{gate}", "kind": "vessel"}),
    ("POST", "/vehicles/assign"): roles(Role.SUPERVISOR, url="/vehicles/assign", form={"vehicle_id": "999999"}),
    ("POST", "/vehicles/entries"): roles(Role.OFFICER, Role.SUPERVISOR, url="/vehicles/entries", form={"vehicle_id": "999999", "text": "x"}),
    ("POST", "/vehicles/end"): roles(Role.SUPERVISOR, url="/vehicles/end", form={"vehicle_id": "999999"}),
    # the seals pages: sealing (any declaration the gate sees), a record's print (its two branches'; 404 otherwise),
    # receiving (the records handed over to the caller's branch)
    ("GET", "/seals"): roles(Role.OFFICER, Role.SUPERVISOR, url="/seals?number=999999999999"),
    ("GET", "/seals/records/{record_id:int}/print"): roles(Role.OFFICER, Role.SUPERVISOR, url="/seals/records/999999/print"),
    ("GET", "/seals/receive"): roles(Role.OFFICER, Role.SUPERVISOR, url="/seals/receive"),
    # a declaration's evidence page (the rule of the evidence API: 404 for a branch with no part in it) and its form
    ("GET", "/seals/evidence"): roles(Role.OFFICER, Role.SUPERVISOR, url="/seals/evidence?number=999999999999"),
    ("GET", "/seals/evidence/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/seals/evidence/999999999999"),
    # the departure branch's violation records, for its supervisors (closing one is a command; the POST is the
    # page's fallback without its script)
    ("GET", "/seals/violations"): roles(Role.SUPERVISOR, url="/seals/violations"),
    ("POST", "/seals/violations"): roles(Role.SUPERVISOR, url="/seals/violations", form={"violation_id": "999999", "note": "x"}),
    # the documents signed at a transit declaration's sealing (Art 41.1.c.1.2-c.1.3): its departure branch, and its
    # destination once departed for the copies carried to it (seals/policy.py, from the transit case); 404 otherwise
    ("GET", "/seals/{number:str}/transit-documents"): roles(Role.OFFICER, Role.SUPERVISOR, url="/seals/999999999999/transit-documents"),
    ("GET", "/seals/{number:str}/transit-documents/{kind:str}"): roles(
        Role.OFFICER, Role.SUPERVISOR, url="/seals/999999999999/transit-documents/notice"
    ),
    # loading and transhipment plans (Art 40): the operator's staff see their premises' plans, customs the plans at the
    # premises their branch manages (loading/policy.py: anyone else 404); submitting is the staff's; a plan's step
    # without the script applies its command (which checks the role and the party)
    ("GET", "/loading"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/loading"),
    ("POST", "/loading"): roles(Role.WAREHOUSE, url="/loading", form={"kind": "loading"}),
    ("GET", "/loading/{plan_id:int}"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/loading/999999"),
    ("POST", "/loading/{plan_id:int}/{step:str}"): roles(
        Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/loading/999999/withdraw", form={"reason": "x"}
    ),
    # CFS consolidation lists (Art 44.2.b): a CFS's staff see their CFS's lists, customs the submitted lists of the
    # CFSs their branch manages (cfs/policy.py: anyone else 404); starting one is the staff's; a list's step without
    # the script applies its command (which checks the role and the party)
    ("GET", "/cfs"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/cfs"),
    ("POST", "/cfs"): roles(Role.WAREHOUSE, url="/cfs", form={"container": "x"}),
    ("GET", "/cfs/{list_id:int}"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/cfs/999999"),
    ("GET", "/cfs/{list_id:int}/print"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/cfs/999999/print"),
    ("POST", "/cfs/{list_id:int}/{step:str}"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/cfs/999999/submit", form={}),
    # export place (Art 43.3.b-c): customs staff; a change is answered to the transit case's branches and the record's
    # addressee (export_place/policy.py: anyone else 404); forms apply their command (role and party checked there)
    ("GET", "/export-place"): roles(Role.OFFICER, Role.SUPERVISOR, url="/export-place"),
    ("POST", "/export-place/notify"): roles(Role.OFFICER, Role.SUPERVISOR, url="/export-place/notify", form={"number": "999999999999"}),
    ("GET", "/export-place/new/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/export-place/new/999999999999"),
    ("POST", "/export-place/new/{number:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/export-place/new/999999999999", form={"kind": "c1"}),
    ("GET", "/export-place/changes/{change_id:int}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/export-place/changes/999999"),
    ("POST", "/export-place/changes/{change_id:int}/{step:str}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/export-place/changes/999999/exported_at_new", form={}),
    ("GET", "/export-place/letters/{letter_id:int}"): roles(Role.OFFICER, Role.SUPERVISOR, url="/export-place/letters/999999"),
    # bonded warehouses (Art 43): the warehouse's staff see their premises, customs the warehouses their branch
    # manages (bonded/policy.py: anyone else 404); each form and step applies its command (role and party checked there)
    ("GET", "/bonded"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/bonded"),
    ("POST", "/bonded/{form_name:str}"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/bonded/propose", form={"entry_id": "999999", "text": "x"}),
    ("GET", "/bonded/out/{release_id:int}"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/bonded/out/999999"),
    ("GET", "/bonded/out/{release_id:int}/print"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/bonded/out/999999/print"),
    ("POST", "/bonded/out/{release_id:int}/{step:str}"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/bonded/out/999999/check", form={"loaded": "1,1"}),
    # the outbox: the branch's messages to the national system, for its officers and supervisors; sending a refused
    # one again is a supervisor's (outbox/policy.py: another branch's message is unknown to them)
    ("GET", "/outbox"): roles(Role.OFFICER, Role.SUPERVISOR, url="/outbox"),
    ("POST", "/outbox/retry"): roles(
        Role.SUPERVISOR, url="/outbox/retry", form={"message_id": "00000000-0000-4000-8000-000000000000"}
    ),
    # the supervisor's inbox: what waits for a decision of the branch (inbox/policy.py)
    ("GET", "/inbox"): roles(Role.SUPERVISOR, url="/inbox"),
    ("GET", "/api/v1/inbox"): roles(Role.SUPERVISOR, url="/api/v1/inbox"),
    ("POST", "/inbox/decide/{command:str}"): roles(Role.SUPERVISOR, url="/inbox/decide/gate.close_report", form={"report_id": "999999"}),
    # the live stream (a cursor it never gave: answered with a reset at once, so the request ends)
    ("GET", "/inbox/stream"): roles(Role.SUPERVISOR, url="/inbox/stream?after=999999999"),
    ("GET", "/inbox/evidence/{kind:str}/{ref:str}"): roles(Role.SUPERVISOR, url="/inbox/evidence/gate.report/999999"),
    # air-cargo anomaly records (Art 35.2.đ): staff of the premises record, customs of the managing branch receive and
    # handle (warehouse/anomaly_policy.py: another premises' or branch's record is 404); the POSTs are the page's
    # fallbacks without its script, applying the command
    ("GET", "/warehouse/anomalies"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/warehouse/anomalies"),
    ("POST", "/warehouse/anomalies"): roles(Role.WAREHOUSE, url="/warehouse/anomalies", form={"premises_id": "{warehouse}", "kind": "x", "flight": ""}),
    ("GET", "/warehouse/anomalies/{anomaly_id:int}"): roles(Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR, url="/warehouse/anomalies/999999"),
    ("POST", "/warehouse/anomalies/{anomaly_id:int}/acknowledge"): roles(Role.OFFICER, Role.SUPERVISOR, url="/warehouse/anomalies/999999/acknowledge", form={}),
    ("POST", "/warehouse/anomalies/{anomaly_id:int}/handle"): roles(Role.OFFICER, Role.SUPERVISOR, url="/warehouse/anomalies/999999/handle", form={"handling": "x"}),
    # the supervisor's dashboard: the branch's figures (dashboard/policy.py)
    ("GET", "/dashboard"): roles(Role.SUPERVISOR, url="/dashboard"),
    # notifications: a supervisor's browser opts its device in (push/policy.py); anyone removes only their own
    # subscription (another's, or an unknown one, is 404)
    ("POST", "/api/v1/push/subscriptions"): roles(
        Role.SUPERVISOR, url="/api/v1/push/subscriptions", json={"endpoint": "https://push.example.net/x", "keys": {"p256dh": "AA", "auth": "AA"}}
    ),
    ("DELETE", "/api/v1/push/subscriptions"): Rule(SIGNED_IN, "/api/v1/push/subscriptions", json={"endpoint": "https://push.example.net/x"}),
    # administration
    ("GET", "/admin/officers"): roles(Role.ADMIN, url="/admin/officers"),
    ("POST", "/admin/officers"): roles(
        Role.ADMIN, url="/admin/officers", form={"code": "", "full_name": "", "role": "officer", "branch": "B1"}
    ),
    ("POST", "/admin/officers/{officer_id:int}/enrollment"): roles(Role.ADMIN, url="/admin/officers/{officer}/enrollment"),
    ("POST", "/admin/officers/{officer_id:int}/active"): roles(
        Role.ADMIN, url="/admin/officers/{officer}/active", form={"active": "1"}
    ),
    # operators and their premises (warehouse/operators.py: a branch admin on their own branch's premises and staff)
    ("GET", "/admin/operators"): roles(Role.ADMIN, url="/admin/operators"),
    ("POST", "/admin/operators"): roles(Role.ADMIN, url="/admin/operators", form={"name": "", "tax_code": "", "address": ""}),
    ("GET", "/admin/operators/{operator_id:int}"): roles(Role.ADMIN, url="/admin/operators/999999"),
    ("POST", "/admin/operators/{operator_id:int}/premises"): roles(Role.ADMIN, url="/admin/operators/999999/premises", form={"location_id": "{warehouse}"}),
    ("POST", "/admin/operators/{operator_id:int}/staff"): roles(
        Role.ADMIN, url="/admin/operators/999999/staff", form={"officer_id": "{warehouse_user}", "location_id": "{warehouse}"}
    ),
    ("POST", "/admin/operators/{operator_id:int}/staff/remove"): roles(
        Role.ADMIN, url="/admin/operators/999999/staff/remove", form={"officer_id": "{warehouse_user}", "location_id": "{warehouse}"}
    ),
}


def app_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, but OPTIONS, which Litestar adds to every path by itself."""
    found = set()
    for route in client.app.routes:
        for method in getattr(route, "methods", None) or {type(route).__name__}:
            if method != "OPTIONS":
                found.add((method, route.path))
    return found


def call(client: TestClient, world: World, method: str, rule: Rule, **headers: str) -> Any:
    url = rule.url.format(**world.ids)
    form = {key: value.format(**world.ids) for key, value in rule.form.items()} if rule.form is not None else None
    return client.request(method, url, data=form, json=rule.json, headers=headers or None, follow_redirects=False)


def refused_as_signed_out(method: str, path: str, response: Any) -> str | None:
    """None when the answer is the right refusal for someone not signed in, else what was wrong."""
    if path.startswith(("/api/", "/auth/")):  # the API, and the passkey ceremonies the page's script calls, speak JSON
        if response.status_code == 401 and response.json()["error"] == "not_signed_in":
            return None
    elif response.status_code == 303 and response.headers["location"].startswith("/signin?next="):
        return None
    return f"{method} {path}: {response.status_code} {response.headers.get('location', '')} {response.text[:120]}"


def let_through(response: Any) -> bool:
    """The guards let the request reach its handler (whatever the handler then answered)."""
    if response.status_code in (401, 403):
        return False
    return not (response.status_code == 303 and response.headers.get("location", "").startswith("/signin?next="))


def test_every_route_has_a_rule(client: TestClient) -> None:
    routes = app_routes(client)

    missing = sorted(routes - RULES.keys())
    stale = sorted(RULES.keys() - routes)

    assert missing == [], f"routes without a permission rule in tests/test_permissions.py: {missing}"
    assert stale == [], f"rules for routes the app no longer has: {stale}"


def test_public_rules_match_what_the_routes_declare(client: TestClient) -> None:
    declared_public = set()
    for route in client.app.routes:
        for method, handler in getattr(route, "route_handler_map", {}).items():
            handler = handler[0] if isinstance(handler, tuple) else handler
            if method != "OPTIONS" and (handler.opt.get("public") or route.path.startswith("/schema")):
                declared_public.add((method, route.path))

    assert declared_public == {key for key, rule in RULES.items() if rule.access == PUBLIC}


def test_signed_out_is_refused_on_every_private_route(client: TestClient, world: World) -> None:
    with_csrf(client)  # a signed-out browser has a CSRF cookie: what refuses it must be the sign-in guard

    problems = [
        problem
        for (method, path), rule in RULES.items()
        if rule.access != PUBLIC
        and (problem := refused_as_signed_out(method, path, call(client, world, method, rule))) is not None
    ]

    assert problems == []


def test_signed_out_htmx_request_is_told_where_to_sign_in(client: TestClient, world: World) -> None:
    response = client.get("/logbook", headers={"hx-request": "true"}, follow_redirects=False)

    assert response.status_code == 401 and response.headers["hx-redirect"] == "/signin?next=/logbook"


def test_signed_out_is_let_through_on_every_public_route(client: TestClient, world: World) -> None:
    with_csrf(client)

    problems = [
        f"{method} {path}: {response.status_code} {response.text[:120]}"
        for (method, path), rule in RULES.items()
        if rule.access == PUBLIC and not let_through(response := call(client, world, method, rule))
    ]

    assert problems == []


def test_wrong_role_is_forbidden_on_every_role_route(client: TestClient, world: World) -> None:
    problems = []
    for (method, path), rule in RULES.items():
        if rule.access != ROLES:
            continue
        for role in ALL_ROLES - rule.roles:
            sign_in_as(client, world[PERSON_OF_ROLE[role]])
            response = call(client, world, method, rule)
            page_expected = not path.startswith("/api/")  # the API answers JSON whatever the Accept header says
            if response.status_code != 403 or (page_expected and "<html" not in response.text):
                problems.append(f"{role} {method} {path}: {response.status_code}")
            json_response = call(client, world, method, rule, accept="application/json")
            if json_response.status_code != 403 or json_response.json()["error"] != "forbidden":
                problems.append(f"{role} {method} {path} (JSON): {json_response.status_code}")

    assert problems == []


def step_up_every_session(client: TestClient) -> None:
    """As if each session had just made a passkey assertion (what /auth/stepup/verify records)."""
    from backend.auth.tables import Session
    from backend.lib import clock
    from tests.conftest import in_app

    in_app(client, lambda: Session.update({Session.passkey_verified_at: clock.now()}).where(Session.id > 0))


def test_allowed_roles_are_let_through_on_every_private_route(client: TestClient, world: World) -> None:
    problems = []
    for (method, path), rule in RULES.items():
        if rule.access == PUBLIC:
            continue
        for role in sorted(rule.roles):
            sign_in_as(client, world[PERSON_OF_ROLE[role]])
            if rule.stepped_up:
                step_up_every_session(client)
            response = call(client, world, method, rule)
            if not let_through(response):
                problems.append(f"{role} {method} {path}: {response.status_code} {response.text[:120]}")

    assert problems == []


def test_step_up_routes_refuse_a_session_without_a_recent_passkey_assertion(client: TestClient, world: World) -> None:
    problems = []
    for (method, path), rule in RULES.items():
        if not rule.stepped_up:
            continue
        for role in sorted(rule.roles):
            sign_in_as(client, world[PERSON_OF_ROLE[role]])
            if (response := call(client, world, method, rule)).status_code != 403:
                problems.append(f"{role} {method} {path}: {response.status_code}")

    assert problems == []


def test_wrong_role_changes_nothing(client: TestClient, world: World) -> None:
    from backend.auth.tables import Enrollment
    from backend.logbook.tables import LogbookEntry
    from backend.officers.tables import Officer
    from backend.sync.tables import ContingencyPeriod, ReconciliationReview
    from tests.conftest import in_app

    async def counts() -> tuple[int, int, int, int, int]:
        return (
            await Officer.count(),
            await Enrollment.count(),
            await LogbookEntry.count(),
            await ContingencyPeriod.count(),
            await ReconciliationReview.count(),
        )

    before = in_app(client, counts)
    sign_in_as(client, world["officer"])
    client.post("/admin/officers", data={"code": "CB99", "full_name": "Lén lút", "role": "admin"})
    client.post(f"/admin/officers/{world['officer']}/enrollment")
    client.post(f"/admin/officers/{world['supervisor']}/active", data={"active": "0"})
    sign_in_as(client, world["warehouse_user"])
    client.post("/logbook", data={"location_id": str(world["gate"]), "text": "không được phép"})
    client.post("/contingency/declare", data={"reason": "không được phép"})
    sign_in_as(client, world["admin"])
    client.post("/reconciliation/review", data={"command_ids": "00000000-0000-4000-8000-000000000000"})

    assert in_app(client, counts) == before
    assert client.get("/api/v1/me").status_code == 200  # the supervisor was not deactivated either
