"""The seals pages: sealing a declaration's containers (and its handover record), the printed form 10/BBBG/GSQL
with its signed QR, and the receiving branch's check of a record.

Thin: the services read, the commands change (through the device queue: every form of these pages is a command,
signed where `SIGNED_COMMANDS` says so). Who: officers and supervisors; what each sees is limited to their branch's
part by the services (a record or evidence of another branch is answered 404).
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from backend.lib.params import PathRowId
from backend.auth.middleware import require_roles
from backend.barcodes.qr import qr_img_tag
from backend.declarations.services import parse_number
from backend.declarations.tables import Declaration
from backend.gate.cards import card_for
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib import clock
from backend.lib.errors import DomainError
from backend.lib.i18n import gettext
from backend.logbook.services import vietnam_day
from backend.officers.services import locations_of_branch
from backend.officers.tables import Branch, Role
from backend.seals import consolidated, policy, record_qr, services
from backend.seals.services import SEAL_ROLES
from backend.seals.replica import checked_since
from backend.seals.schemas import RecordView
from backend.sync import contingency

COPIES = 2  # Art 35.1.a.2, 36.1.a.2: "In 02 bản": customs keeps 1, 1 travels with the goods
# The 6 Aug 2024 outage instructions (../shared/seeds/000_b9b6962f286d1487.txt): the branch the goods leave
# "lập 3 biên bản bàn giao"; at the destination "lập 2 biên bản bàn giao". The receiving branch prints 2, always.
CONTINGENCY_COPIES = 3


async def _branches(own_branch_id: int | None) -> list[dict[str, Any]]:
    """The branches a record may be handed over to: every other branch."""
    rows = await Branch.select(Branch.id, Branch.code, Branch.name).order_by(Branch.code)
    return [row for row in rows if row["id"] != own_branch_id]


async def _declaration(request: Request[Any, Any, Any], number_text: str) -> dict[str, Any]:
    """The declaration's gate card, its containers (corrections applied) and its sealing evidence when the
    caller's branch has a part in it; an error in words otherwise."""
    try:
        number = parse_number(number_text)
        card = await card_for(number)
    except DomainError as error:
        return {"error": gettext(error.message, **error.params)}
    row = await Declaration.select(Declaration.id).where(Declaration.number == card.number).first()
    containers = await services.declared_containers(row["id"]) if row else []
    try:
        evidence = await services.evidence(request.user, card.number)
    except DomainError:
        evidence = None  # not yet sealed or decided by this branch: the page still lets it start
    seals = {seal.unit: seal for seal in (evidence.seals if evidence else []) if seal.state == "active"}
    ended: dict[str, list[Any]] = {}  # a unit's seals no longer on it (replaced, cut, or recorded in error)
    for seal in evidence.seals if evidence else []:
        if seal.state != "active":
            ended.setdefault(seal.unit, []).append(seal)
    # Rail wagons and packages (Art 41.1.c.1.1) are not in the declaration's container list: their active seals are.
    other_seals = [seal for seal in (evidence.seals if evidence else []) if seal.state == "active" and seal.unit_kind != "container"]
    # A transit declaration (Art 41): its departure branch seals it, reports a result not as declared (41.1.c.2) and
    # prints the documents signed at sealing (41.1.c.1.2-c.1.3).
    case = await policy.transit_case(card.number)
    transit = case is not None and policy.seals_transit_at_departure(request.user, case)
    # 44.2.b.2: a transit declaration's container sealed at a CFS (44.2.b.1.2) and not yet read for it: the page says
    # so, and recording that seal's number links it (seals/consolidated.py adopt) instead of sealing again.
    unsealed = [c["number"] for c in containers if c["number"] not in seals]
    cfs_seals = await consolidated.cfs_seals_for(unsealed) if case is not None and unsealed else {}
    return {
        "card": card, "containers": containers, "evidence": evidence, "seals": seals, "ended": ended,
        "other_seals": other_seals, "transit": transit, "cfs_seals": cfs_seals,
        "mismatches": await services.mismatches(declaration_id=row["id"]) if transit and row else [],
    }


@get("/seals", guards=[require_roles(*SEAL_ROLES)])
async def seals_page(
    request: Request[Any, Any, Any], number: FromQuery[str | None] = None, location: FromQuery[int | None] = None
) -> Template:
    """Sealing one declaration: each container's customs seal, corrections, the requirement, "confirm sealed",
    and its handover records (make, sign, hand over, print). The forms go through the device queue."""
    locations = await locations_of_branch(request.user.branch_id)
    chosen = next((place for place in locations if place["id"] == location), locations[0] if locations else None)
    found = await _declaration(request, number) if number and number.strip() else None
    return Template(
        "seals/index.html",
        context={
            "locations": locations,
            "location": chosen,
            "number": (number or "").strip(),
            "found": found,
            "branches": await _branches(request.user.branch_id),
        },
    )


@functools.lru_cache(maxsize=256)
def _signed_qr(fields: bytes, key_id: str, alt: str) -> tuple[str, Markup]:
    """The record's signed QR text and its image. Signing and drawing cost ~28 ms, most of the print page, and a
    record is printed again and again with the same fields (copies, reprints, the receiving branch): a signature
    over the same fields by the same key vouches for the same, so it is made once per process. The key id is in
    the cache key: after a rotation (a restart) the new key signs."""
    text = record_qr.sign_record(msgspec.json.decode(fields, type=record_qr.RecordFields))
    return text, qr_img_tag(text, alt, "qr record-qr")


def record_fields(record: RecordView) -> record_qr.RecordFields:
    """What the printed QR vouches for, from the record as its pages read it."""
    goods = "; ".join(f"{line.name}, {line.quantity:g} {line.unit}" for line in record.goods) or None
    moment = record.signed_at or record.issued_at
    return record_qr.RecordFields(
        serial=record.serial,
        record_id=record.id,
        kind=record.kind,
        declaration=record.declaration_number,
        from_branch=record.from_branch_code,
        to_branch=record.to_branch_code,
        containers=[record_qr.Container(number=c.number, seals=[c.seal_number] if c.seal_number else []) for c in record.containers],
        goods=goods,
        signed_at=record_qr.signed_time(moment),
    )


@get("/seals/records/{record_id:int}/print", guards=[require_roles(*SEAL_ROLES)])
async def print_record(request: Request[Any, Any, Any], record_id: PathRowId) -> Template:
    """Form 10/BBBG/GSQL (or the record of findings) on A4, in Vietnamese, each copy with the record's signed QR:
    2 copies, 3 for the departure branch while it is in contingency mode, 2 for the receiving branch even then
    (the 2024 outage instructions). 404 for a record of another branch."""
    record = await services.record_view(request.user, record_id)
    text, image = _signed_qr(
        msgspec.json.encode(record_fields(record)), record_qr.keyring().current,
        gettext("Signed QR of record %(serial)s", serial=record.serial),
    )
    period = await contingency.open_period(request.user.branch_id)
    departure = record.from_branch_code != "" and record.from_branch_code == request.user.branch_code
    extra_copy = period is not None and departure
    copies = CONTINGENCY_COPIES if extra_copy else COPIES
    # The carrier's seal of each container, as declared (corrections applied), for its column on the form.
    declaration = await Declaration.select(Declaration.id).where(Declaration.number == record.declaration_number).first()
    declared = await services.declared_containers(declaration["id"]) if declaration else []
    return Template(
        "seals/print.html",
        context={
            "record": record,
            "qr": image,
            "qr_text": text,
            "copies": list(range(1, copies + 1)),
            "contingency_period": period,
            "extra_copy": extra_copy,
            "carrier_seals": {container["number"]: container["carrier_seal"] for container in declared},
        },
    )


@get("/seals/receive", guards=[require_roles(*SEAL_ROLES)])
async def receive_page(request: Request[Any, Any, Any], location: FromQuery[int | None] = None) -> Template:
    """The receiving branch: scan a record's QR (verified on the device, offline), compare, confirm receipt or
    record the discrepancy; enter a paper-only record. Lists the records handed over to the caller's branch."""
    locations = await locations_of_branch(request.user.branch_id)
    chosen = next((place for place in locations if place["id"] == location), locations[0] if locations else None)
    records = []
    if request.user.branch_id is not None:
        records = await services.records_addressed_to(request.user.branch_id, checked_since())
    settings = request.app.state.settings.seals
    faxes = await services.faxes_due(request.user.branch_id) if request.user.branch_id is not None else []
    return Template(
        "seals/receive.html",
        context={
            "locations": locations,
            "location": chosen,
            "records": records,
            # Highlighted, never hidden: Art 41.1.4.b wants goods past their time followed up.
            "overdue": services.overdue_days(records, clock.now(), settings.record_overdue_days),
            "overdue_limit": settings.record_overdue_days,
            "checked_days": settings.checked_record_days,
            "branches": await _branches(request.user.branch_id),
            # Art 43.1.c.3: receipts the System has not confirmed yet, to be faxed to the departure branch within the day.
            "faxes_due": faxes,
            "fax_overdue": {due.id for due in faxes if vietnam_day(due.received_at) < vietnam_day(clock.now())},
        },
    )


@get("/seals/violations", guards=[require_roles(Role.SUPERVISOR)])
async def violations_page(request: Request[Any, Any, Any], show: FromQuery[str | None] = None) -> Template:
    """The violation records receiving branches made about this branch's records (Art 43.1.c), for its
    supervisors: open ones, or all; each closed with what was done."""
    return await _violations(request, open_only=show != "all")


async def _violations(request: Request[Any, Any, Any], *, open_only: bool, error: str | None = None) -> Template:
    return Template(
        "seals/violations.html",
        context={
            "violations": await services.violations_for(request.user.branch_id, open_only=open_only),
            # Art 41.1.c.2: goods found not as declared at sealing, reported to the head (or guided to supplement).
            "mismatches": await services.mismatches(branch_id=request.user.branch_id, open_only=open_only),
            "open_only": open_only,
            "error": error,
        },
        status_code=422 if error else 200,
    )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


@post("/seals/violations", guards=[require_roles(Role.SUPERVISOR)])
async def close_violation_form(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    """Closing a violation record, or resolving a report of goods not as declared at sealing, from the page without
    its script: the same `seals.close_violation` / `seals.resolve_sealing_mismatch` command."""
    form = dict(await request.form())
    if "mismatch_id" in form:  # a report of goods not as declared at sealing (Art 41.1.c.2), resolved
        command_type, payload = "seals.resolve_sealing_mismatch", {"mismatch_id": _int(form.get("mismatch_id")), "resolution": str(form.get("resolution") or "")}
    else:
        command_type, payload = "seals.close_violation", {"violation_id": _int(form.get("violation_id")), "note": str(form.get("note") or "")}
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, command_type, payload)], request.user)
    if outcome.status == "rejected":
        return await _violations(request, open_only=True, error=outcome.reason)
    return Redirect("/seals/violations", status_code=303)


ROUTES = [seals_page, print_record, receive_page, violations_page, close_violation_form]
