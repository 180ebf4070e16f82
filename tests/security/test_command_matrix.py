"""Who may send which command, for every command type the app registers (issue 11, "an authorization matrix").

POLICY lists every command type with the roles that may send it and the branch rule its handler applies (said in
words, as docs/security.md says it). A command type registered without an entry here fails
`test_every_command_has_a_policy_entry`, so nobody adds an action without saying, and testing, who may do it. Routes
have the same list in tests/test_permissions.py.

The matrix: every command × every role it does not allow (refused `forbidden_role`, nothing written); no session, a
revoked token (401); and, for every command acting at a location, an officer of another branch naming that branch's
location, or naming goods their branch is not concerned with (refused, nothing written).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Callable

import pytest
from litestar.testing import TestClient

from backend.officers.tables import Role
from tests.conftest import World, in_app, sign_in_as
from tests.journal.device import Person
from tests.seals.helpers import C1, NUMBER, declare

OFFICERS = frozenset({Role.OFFICER, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})
ADMINS = frozenset({Role.ADMIN})
PERSON_OF_ROLE = {Role.OFFICER: "officer", Role.SUPERVISOR: "supervisor", Role.WAREHOUSE: "warehouse_user", Role.ADMIN: "admin"}

AT_A_LOCATION = "a location of the actor's branch"
GOODS = AT_A_LOCATION + ", goods the branch is concerned with (seals/policy.py)"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    branch: str  # the branch rule, in words
    # A valid payload naming location `loc` (commands acting at a location): the probes below send it as an officer
    # of another branch.
    example: Callable[[int], dict[str, Any]] | None = None


POLICY: dict[str, Rule] = {
    "logbook.add_entry": Rule(OFFICERS, AT_A_LOCATION + "; photos its uploader's or readable", lambda loc: {"location_id": loc, "text": "x"}),
    "gate.confirm_passage": Rule(OFFICERS, AT_A_LOCATION, lambda loc: {"location_id": loc, "number": NUMBER, "containers": [C1]}),
    "gate.cancel_passage": Rule(OFFICERS, AT_A_LOCATION + "; a confirmation made by the branch", lambda loc: {"location_id": loc, "number": NUMBER, "unit": C1, "reason": "x"}),
    "gate.report_mismatch": Rule(OFFICERS, AT_A_LOCATION, lambda loc: {"location_id": loc, "number": NUMBER, "note": "x"}),
    "gate.refuse_exit": Rule(OFFICERS, AT_A_LOCATION + " (a land border gate)", lambda loc: {"location_id": loc, "number": NUMBER, "note": "x"}),
    "gate.close_report": Rule(SUPERVISORS, "a report addressed to the supervisor's branch"),
    "paper.confirm_declaration": Rule(OFFICERS, AT_A_LOCATION, lambda loc: {
        "location_id": loc, "declaration_number": "104000000009", "declaration_date": "2026-12-01", "declaration_kind": "import",
        "declarant_name": "Công ty A", "goods": "Gạo; 20; tấn", "eligible_confirmed": "yes"}),
    "paper.sign_box36": Rule(OFFICERS, AT_A_LOCATION + " (a land border gate)", lambda loc: {
        "location_id": loc, "declaration_number": "104000000009", "declaration_date": "2026-12-01", "declaration_kind": "import",
        "declarant_name": "Công ty A", "outside_state": "intact", "eligible_confirmed": "yes"}),
    "paper.refuse_exit": Rule(OFFICERS, AT_A_LOCATION + " (a land border gate)", lambda loc: {
        "location_id": loc, "declaration_number": "104000000009", "declaration_date": "2026-12-01", "declaration_kind": "import",
        "declarant_name": "Công ty A", "outside_state": "damaged", "reason": "x"}),
    "paper.report_declaration": Rule(OFFICERS, AT_A_LOCATION, lambda loc: {
        "location_id": loc, "declaration_number": "104000000009", "declaration_date": "2026-12-01", "declaration_kind": "import",
        "declarant_name": "Công ty A", "reason": "x"}),
    "paper.record_special_case": Rule(OFFICERS, AT_A_LOCATION, lambda loc: {
        "location_id": loc, "document_issuer": "Bộ", "document_number": "1", "document_date": "2026-12-01",
        "document_allows": "x", "declarant_name": "Công ty A", "goods": "Gạo; 20; tấn"}),
    "paper.request_export_exit": Rule(OFFICERS, AT_A_LOCATION, lambda loc: {
        "location_id": loc, "declarant_name": "Công ty A", "request_number": "1", "request_date": "2026-12-01",
        "operator_name": "Cảng", "operator_confirmation_number": "1", "operator_confirmation_date": "2026-12-01",
        "goods": "Gạo; 20; tấn"}),
    "paper.decide_request": Rule(SUPERVISORS, AT_A_LOCATION + "; a request of the branch", lambda loc: {"location_id": loc, "request_id": 1, "decision": "approve"}),
    "paper.issue_form07": Rule(OFFICERS, AT_A_LOCATION + "; an approved request of the branch", lambda loc: {"location_id": loc, "request_id": 1}),
    "paper.withdraw_request": Rule(OFFICERS, AT_A_LOCATION + "; a request of the branch", lambda loc: {"location_id": loc, "request_id": 1, "reason": "x"}),
    "seals.set_requirement": Rule(OFFICERS, GOODS, lambda loc: {"location_id": loc, "number": NUMBER, "decision": "propose"}),
    "seals.record_seal": Rule(OFFICERS, GOODS, lambda loc: {"location_id": loc, "number": NUMBER, "unit": C1, "seal_number": "HQ-424242"}),
    "seals.remove_seal": Rule(OFFICERS, GOODS, lambda loc: {"location_id": loc, "number": NUMBER, "seal_number": "HQ-424242", "cause": "cut", "reason": "x"}),
    "seals.correct": Rule(OFFICERS, GOODS, lambda loc: {
        "location_id": loc, "number": NUMBER, "field": "carrier_seal", "container": C1, "old_value": "CS111", "new_value": "X1", "reason": "x"}),
    "seals.confirm_sealed": Rule(OFFICERS, GOODS, lambda loc: {"location_id": loc, "number": NUMBER}),
    "seals.create_record": Rule(OFFICERS, GOODS + "; the record is the branch's", lambda loc: {
        "location_id": loc, "number": NUMBER, "to_branch": "B1", "containers": [{"number": C1, "seal_number": "HQ-424242"}]}),
    "seals.sign_record": Rule(OFFICERS, AT_A_LOCATION + "; a record the branch made", lambda loc: {"location_id": loc, "record_id": 1}),
    "seals.hand_over": Rule(OFFICERS, AT_A_LOCATION + "; a record the branch made", lambda loc: {"location_id": loc, "record_id": 1}),
    "seals.receive_record": Rule(OFFICERS, AT_A_LOCATION + "; a record handed over to the branch", lambda loc: {"location_id": loc, "record_id": 1}),
    "seals.record_discrepancy": Rule(OFFICERS, AT_A_LOCATION + "; a record handed over to the branch", lambda loc: {"location_id": loc, "record_id": 1, "text": "x"}),
    "seals.record_fax": Rule(OFFICERS, "a record received by the branch (Art 43.1.c.3)"),
    "transit.record_notice_fax": Rule(OFFICERS, "a lot the branch confirmed in its exit gate's area (Art 41.2.b.1.1.1)"),
    "seals.enter_paper_record": Rule(OFFICERS, GOODS + " (both branches, by upstream facts)", lambda loc: {
        "location_id": loc, "paper_number": "1", "paper_date": "2026-12-01", "number": NUMBER, "from_branch": "B1",
        "containers": [{"number": C1, "seal_number": "HQ-424242"}]}),
    "seals.close_violation": Rule(SUPERVISORS, "a violation record addressed to the supervisor's branch"),
    "seals.report_sealing_mismatch": Rule(OFFICERS, GOODS + "; a transit declaration of the branch (its departure branch)", lambda loc: {
        "location_id": loc, "number": NUMBER, "route": "report", "differences": "x"}),
    "seals.resolve_sealing_mismatch": Rule(OFFICERS, "a report of the actor's branch; one reported to the head: its supervisors only (41.1.c.2)"),
    "transit.assign": Rule(SUPERVISORS, "the head of the departure branch (transit/policy.py); a yellow or amendment case; an officer of that branch"),
    "transit.decide": Rule(OFFICERS, "the officer CES assigned, of the departure branch"),
    "transit.propose": Rule(OFFICERS, "the officer CES assigned, of the departure branch"),
    "transit.decide_amendment": Rule(SUPERVISORS, "the head of the departure branch"),
    "transit.register_departure": Rule(OFFICERS, AT_A_LOCATION + "; the departure branch", lambda loc: {"location_id": loc, "number": NUMBER}),
    "transit.confirm_exit_area": Rule(OFFICERS, AT_A_LOCATION + "; the destination branch, once departed", lambda loc: {"location_id": loc, "number": NUMBER}),
    "transit.confirm_arrival": Rule(OFFICERS, AT_A_LOCATION + "; the destination branch, once departed", lambda loc: {"location_id": loc, "number": NUMBER}),
    "transit.record_violation": Rule(OFFICERS, AT_A_LOCATION + "; the destination branch, once departed", lambda loc: {"location_id": loc, "number": NUMBER, "note": "x"}),
    "transit.record_penalty": Rule(SUPERVISORS, "the head of the departure branch"),
    "transit.request_verification": Rule(SUPERVISORS, "the head of the departure branch; a lot past its deadline"),
    "transit.answer_verification": Rule(OFFICERS, "a letter addressed to the branch"),
    "transit.open_trace": Rule(OFFICERS, "the departure branch; a lot past its deadline"),
    "transit.close_trace": Rule(SUPERVISORS, "the head of the departure branch; an open trace case"),
    "transit.record_arrival_check": Rule(OFFICERS, AT_A_LOCATION + "; the destination branch, once departed", lambda loc: {
        "location_id": loc, "number": NUMBER, "notice": NUMBER, "lines": []}),
    "transit.add_risk_note": Rule(OFFICERS, "the departure branch; before arrival"),
    "warehouse.record_anomaly": Rule(frozenset({Role.WAREHOUSE}), "the premises on the staff member's account (warehouse/policy.py works_at); photos its uploader's"),
    "warehouse.acknowledge_anomaly": Rule(OFFICERS, "a record of premises the actor's branch manages (warehouse/policy.py manages)"),
    "warehouse.handle_anomaly": Rule(OFFICERS, "a record of premises the actor's branch manages, received"),
    "vehicles.designate": Rule(SUPERVISORS, AT_A_LOCATION + " (where the vehicle is berthed or parked)", lambda loc: {
        "location_id": loc, "kind": "vessel", "name": "MV A", "registration": "IMO 9074729", "reason": "x"}),
    "vehicles.assign_officers": Rule(SUPERVISORS, "a key vehicle of the supervisor's branch (vehicles/policy.py); officers of that branch"),
    "vehicles.add_journal_entry": Rule(OFFICERS, "a key vehicle of the branch: the officers assigned to it and the branch's supervisors"),
    "vehicles.end_supervision": Rule(SUPERVISORS, "a key vehicle of the supervisor's branch"),
    "loading.submit_plan": Rule(frozenset({Role.WAREHOUSE}), "the premises on the staff member's account (loading/policy.py), never one the payload names"),
    "loading.import_containers": Rule(frozenset({Role.WAREHOUSE}), "a plan of the staff member's premises, before a proposal"),
    "loading.withdraw_plan": Rule(frozenset({Role.WAREHOUSE}), "a plan of the staff member's premises, before a proposal"),
    "loading.propose_measure": Rule(OFFICERS, "a plan at premises the actor's branch manages (warehouse/policy.py manages)"),
    "loading.decide": Rule(SUPERVISORS, "a plan at premises the head's branch manages, once proposed"),
    "cfs.create_list": Rule(frozenset({Role.WAREHOUSE}), "a CFS the staff member works at (cfs/policy.py may_create on warehouse/policy.py works_at)"),
    "cfs.add_line": Rule(frozenset({Role.WAREHOUSE}), "a draft list of a CFS the staff member works at"),
    "cfs.import_lines": Rule(frozenset({Role.WAREHOUSE}), "a draft list of a CFS the staff member works at"),
    "cfs.remove_line": Rule(frozenset({Role.WAREHOUSE}), "a draft list of a CFS the staff member works at"),
    "cfs.submit_list": Rule(frozenset({Role.WAREHOUSE}), "a draft list of a CFS the staff member works at"),
    "cfs.confirm_receipt": Rule(frozenset({Role.WAREHOUSE}), "a signed list of a CFS the staff member works at"),
    "cfs.check_line": Rule(OFFICERS, "a submitted list of a CFS the actor's branch manages (warehouse/policy.py manages); photos its uploader's"),
    "cfs.sign_list": Rule(OFFICERS, "a list of a CFS the actor's branch manages, every line compared"),
    "export_place.propose": Rule(OFFICERS, "the transit case's destination (exit gate) branch for c.1/c.3, its departure branch (registration) for c.2/c.4 (export_place/policy.py)"),
    "export_place.decide": Rule(SUPERVISORS, "the head of the exit gate's branch (c.1/c.3) or of the branch of registration (c.2/c.4); signed"),
    "export_place.hand_over": Rule(OFFICERS, "the original exit gate's branch; a handover record it made to the new place's branch"),
    "export_place.report_exported": Rule(OFFICERS, "the branch a handed-over record of the change is addressed to"),
    "export_place.require_declaration": Rule(OFFICERS, "the original exit gate's branch"),
    "export_place.link_declaration": Rule(OFFICERS, "the original exit gate's branch; a transit declaration in the mirror"),
    "export_place.record_part_exported": Rule(OFFICERS, "the original exit gate's branch"),
    "export_place.confirm_bia": Rule(OFFICERS, AT_A_LOCATION + "; the original exit gate's branch; signed", lambda loc: {"change_id": 999999, "location_id": loc}),
    "export_place.notify_warehouse": Rule(SUPERVISORS, "the head of the transit case's destination (exit gate) branch; 15 days in the exit area"),
    "export_place.acknowledge": Rule(SUPERVISORS, "a 43.3.b letter addressed to the head's branch"),
    "bonded.create_release": Rule(frozenset({Role.WAREHOUSE}), "a bonded warehouse (or CFS, 44.2.a) the staff member works at (bonded/policy.py may_release)"),
    "bonded.supervise_entry": Rule(OFFICERS, "a bonded warehouse the actor's branch manages (warehouse/policy.py manages)"),
    "bonded.check_release": Rule(OFFICERS, "a release of a bonded warehouse the actor's branch manages"),
    "bonded.attach_record": Rule(OFFICERS, "a release of a bonded warehouse the actor's branch manages; a record its branch made to the zone's branch"),
    "bonded.propose_inspection": Rule(OFFICERS, "an entry or release of a bonded warehouse the actor's branch manages"),
    "bonded.decide_inspection": Rule(SUPERVISORS, "a proposal at a bonded warehouse the supervisor's branch manages; signed"),
    "sync.declare_contingency": Rule(frozenset({Role.SUPERVISOR, Role.ADMIN}), "the supervisor's branch; an admin's branch, or every branch for a national admin"),
    "sync.end_contingency": Rule(frozenset({Role.SUPERVISOR, Role.ADMIN}), "as declare_contingency"),
    "sync.review_commands": Rule(SUPERVISORS, "marked commands of the supervisor's branch's chain"),
    "sync.record_upstream_status": Rule(ADMINS, "only the upstream probe's system officer UPSTREAM (upstream_probe_only), on the HQ chain"),
    "outbox.retry": Rule(SUPERVISORS, "a refused message of the supervisor's branch (outbox/policy.py)"),
    "officers.create_officer": Rule(ADMINS, "the admin's branch (a national admin: every branch)"),
    "officers.issue_enrollment": Rule(ADMINS, "an officer of the admin's branch (a national admin: every branch)"),
    "officers.set_active": Rule(ADMINS, "an officer of the admin's branch (a national admin: every branch)"),
    "warehouse.create_operator": Rule(ADMINS, "any admin (a company is no branch's); in a signed-in browser"),
    "warehouse.link_premises": Rule(ADMINS, "premises of the admin's branch (a national admin: every branch)"),
    "warehouse.assign_staff": Rule(ADMINS, "premises and warehouse staff of the admin's branch, the premises this operator's"),
    "warehouse.unassign_staff": Rule(ADMINS, "premises and warehouse staff of the admin's branch"),
}

# What a handler answers when the location is another branch's, or the goods are not the branch's concern.
OTHER_BRANCH_CODES = {"location_not_in_branch", "declaration_not_found", "unknown_request", "unknown_record"}


def envelope(type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": type_, "issued_at": datetime.now(UTC).isoformat(), "device_id": "matrix", "payload": payload}


def send(client: TestClient, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/commands", json=[envelope(type_, payload)])
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


async def other_supervisor() -> int:
    from backend.officers.services import create_officer

    return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")


async def journal_count() -> int:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.count()


def registered() -> dict[str, Any]:
    from backend.journal.registry import COMMANDS, load_commands

    load_commands()
    return COMMANDS


def test_every_command_has_a_policy_entry() -> None:
    commands = registered()

    assert sorted(set(commands) - set(POLICY)) == [], "commands without a policy entry: add them to POLICY"
    assert sorted(set(POLICY) - set(commands)) == [], "policy entries of commands that no longer exist"
    assert {name: set(spec.roles) for name, spec in commands.items()} == {name: set(rule.roles) for name, rule in POLICY.items()}


def test_every_command_is_refused_to_every_role_it_does_not_allow(client: TestClient, world: World) -> None:
    refusals: dict[tuple[str, str], str] = {}
    for role, person in PERSON_OF_ROLE.items():
        sign_in_as(client, world[person])
        for type_, rule in POLICY.items():
            if role not in rule.roles:
                refusals[(type_, role.value)] = send(client, type_, {}).get("code", "applied!")

    assert set(refusals.values()) == {"forbidden_role"}, {k: v for k, v in refusals.items() if v != "forbidden_role"}
    assert in_app(client, journal_count) == 0


def test_commands_without_a_session_or_with_a_revoked_token_are_refused(client: TestClient, world: World) -> None:
    from backend.auth import services

    token = in_app(client, lambda: services.create_api_token(world["officer"], "matrix"))
    in_app(client, lambda: services.revoke_api_token(token))
    client.cookies.clear()
    body = [envelope("logbook.add_entry", {"location_id": world["gate"], "text": "x"})]

    anonymous = client.post("/api/v1/commands", json=body)
    revoked = client.post("/api/v1/commands", json=body, headers={"authorization": f"Bearer {token}"})

    assert (anonymous.status_code, revoked.status_code) == (401, 401)
    assert in_app(client, journal_count) == 0


@pytest.mark.parametrize("type_", [name for name, rule in POLICY.items() if rule.example is not None])
def test_every_command_at_a_location_is_refused_at_another_branchs_location(client: TestClient, world: World, type_: str) -> None:
    declare(client)  # goods of branch B1
    person = Person(client, world["other_officer"] if Role.OFFICER in POLICY[type_].roles else in_app(client, other_supervisor))

    at_their_gate = person.do(type_, POLICY[type_].example(world["gate"]))  # B1's gate, by someone of B2 (signed if it must be)

    assert at_their_gate["status"] == "rejected" and at_their_gate["code"] in OTHER_BRANCH_CODES, at_their_gate
    assert in_app(client, journal_count) == 0


@pytest.mark.parametrize("type_", [name for name, rule in POLICY.items() if rule.branch.startswith(GOODS)])
def test_every_command_on_goods_is_refused_to_a_branch_not_concerned(client: TestClient, world: World, type_: str) -> None:
    declare(client)  # goods of branch B1, no place of B2 named
    person = Person(client, world["other_officer"])

    at_own_gate = person.do(type_, POLICY[type_].example(world["other_gate"]))

    assert at_own_gate["status"] == "rejected" and at_own_gate["code"] == "declaration_not_found", at_own_gate
    assert in_app(client, journal_count) == 0
