"""The documents signed when a transit declaration's goods are sealed (Decision 1966, Art 41.1.c.1.2), and who keeps
and carries each copy (41.1.c.1.3), as printable A4 pages.

c.1.2: "Ký tên, đóng dấu công chức, ghi ngày, tháng, năm xác nhận trên 03 Thông báo phê duyệt khai báo vận chuyển,
02 Bản kê vận đơn/tờ khai xuất khẩu (nếu có) và 03 Bản kê hàng hóa (nếu có)".
c.1.3: the departure branch keeps 1 notice, 1 B/L or export-declaration schedule and 1 goods schedule; 1 notice and 1
goods schedule go with the goods, handed to the declarant to show the warehouse, yard or port operator when the
goods pass the supervised area; 1 notice and 1 goods schedule are sealed and carried by the declarant to the
destination branch. The text says nothing of the second signed B/L schedule: giamsat prints it for the declarant and
says, on the copy, that c.1.3 names only the one kept (docs/seals.md).

Each copy prints, in Vietnamese (the official language of the papers): whom it is for, the declaration, the
containers, wagons and packages with their carrier and customs seal numbers (c.1.1 "Số seal" / "Số niêm phong hải
quan"), the goods that could not be sealed and their record of findings, the corrections of the goods schedule
(c.1.1, old → new, the reason, signed), and the officer's signature box: the signed "confirm sealed"
(`seals.confirm_sealed`, the passkey in place of the signature and stamp) when made, empty for the pen before.

Who (`seals/policy.py`, from the transit case, backend/transit read only): officers and supervisors of the departure
branch, every copy; of the destination branch, once the goods departed (BOA), the copies carried to it (which it
keeps, 41.2.b.3). Anyone else, or a declaration that is not a transit declaration: 404, as for an unknown number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from backend.auth.middleware import require_roles
from backend.declarations.services import parse_number
from backend.lib.errors import N_, DomainError, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Branch
from backend.seals import policy, services
from backend.seals.services import SEAL_ROLES
from backend.seals.tables import HandoverRecord, RecordKind, SealCorrection, SealedConfirmation

DEPARTURE, DECLARANT, DESTINATION = "departure", "declarant", "destination"


@dataclass(frozen=True)
class Copy:
    holder: str  # DEPARTURE keeps it; DECLARANT carries it with the goods; DESTINATION: sealed, for that branch
    text: str  # what the copy says of whom it is for (Vietnamese, printed); {departure} / {destination}: the branches
    clause: str


@dataclass(frozen=True)
class Document:
    kind: str
    title: str  # as the text names it
    if_any: bool  # "(nếu có)": only when the declaration has one
    copies: tuple[Copy, ...]


_KEPT = Copy(DEPARTURE, "Lưu tại Chi cục Hải quan nơi hàng hóa vận chuyển đi ({departure})", "41.1.c.1.3")
_WITH_GOODS = Copy(
    DECLARANT,
    "Giao người khai hải quan cùng hàng hóa, để xuất trình cho doanh nghiệp kinh doanh kho, bãi, cảng khi đưa hàng hóa qua khu vực giám sát",
    "41.1.c.1.3",
)
_SEALED_FOR_DESTINATION = Copy(
    DESTINATION,
    "Niêm phong, giao người khai hải quan vận chuyển cùng hàng hóa đến Chi cục Hải quan nơi hàng hóa vận chuyển đến ({destination})",
    "41.1.c.1.3",
)
_SECOND_BL = Copy(
    DECLARANT,
    "Giao người khai hải quan (điểm c.1.3 chỉ quy định lưu 01 bản tại Chi cục Hải quan nơi đi; không quy định nơi giữ bản thứ hai)",
    "41.1.c.1.2",
)

DOCUMENTS: dict[str, Document] = {
    "notice": Document("notice", "Thông báo phê duyệt khai báo vận chuyển", False, (_KEPT, _WITH_GOODS, _SEALED_FOR_DESTINATION)),
    "bl-schedule": Document("bl-schedule", "Bản kê vận đơn/tờ khai xuất khẩu", True, (_KEPT, _SECOND_BL)),
    "goods-schedule": Document("goods-schedule", "Bản kê hàng hóa", True, (_KEPT, _WITH_GOODS, _SEALED_FOR_DESTINATION)),
}
UNIT_WORDS = {"container": "Container", "wagon": "Toa tàu", "package": "Kiện hàng"}
FIELD_WORDS = {"container_number": "Số container", "carrier_seal": "Số chì hãng vận chuyển"}


async def readable_case(actor: Actor, number_text: str) -> tuple[dict[str, Any], bool]:
    """(the transit case, whether the actor reads every copy): every copy for the departure branch; the destination's
    copies for the destination branch once departed. Otherwise "no such declaration" (404)."""
    try:
        number = parse_number(number_text)
    except DomainError:
        raise policy.not_found(number_text.strip()[:20]) from None
    case = await policy.transit_case(number)
    if case is not None and policy.seals_transit_at_departure(actor, case):
        return case, True
    if case is not None and policy.reads_destination_copies(actor, case):
        return case, False
    raise policy.not_found(number)


def copies_for(document: Document, everything: bool) -> list[tuple[int, Copy]]:
    """(copy number, copy) of the document the reader may print: all of them, or the destination's only."""
    return [(n, copy) for n, copy in enumerate(document.copies, 1) if everything or copy.holder == DESTINATION]


async def _branch(branch_id: int | None, code: str) -> dict[str, str]:
    row = await Branch.select(Branch.code, Branch.name).where(Branch.id == branch_id).first() if branch_id else None
    return {"code": row["code"], "name": row["name"]} if row else {"code": code, "name": code}


async def documents_context(case: dict[str, Any]) -> dict[str, Any]:
    """What every copy prints: branches, units and seals, unsealable goods, corrections, the signature."""
    declaration_id = case["declaration"]
    corrections = await SealCorrection.select(
        SealCorrection.all_columns(), SealCorrection.officer.full_name.as_alias("officer_name")
    ).where(SealCorrection.declaration == declaration_id).order_by(SealCorrection.id)
    findings = await HandoverRecord.select(
        HandoverRecord.id, HandoverRecord.serial, HandoverRecord.goods, HandoverRecord.state, HandoverRecord.kind
    ).where((HandoverRecord.declaration == declaration_id) & (HandoverRecord.kind == RecordKind.FINDINGS.value)).order_by(HandoverRecord.id)
    confirmation = await SealedConfirmation.select(
        SealedConfirmation.issued_at, SealedConfirmation.officer.full_name.as_alias("officer_name")
    ).where(SealedConfirmation.declaration == declaration_id).first()
    departure = await _branch(case["departure_branch"], "")
    destination = await _branch(case["destination_branch"], case["destination_code"])
    return {
        "case": case,
        "departure": departure,
        "destination": destination,
        "units": await services.sealing_units(declaration_id),
        "unit_words": UNIT_WORDS,
        "field_words": FIELD_WORDS,
        "corrections": corrections,
        "findings": [
            {"serial": row["serial"], "state": row["state"], "goods": msgspec.json.decode(row["goods"] or "[]")}
            for row in findings
        ],
        "confirmation": confirmation,
        "mismatches": await services.mismatches(declaration_id=declaration_id, open_only=True),
    }


def _holder_text(copy: Copy, departure: dict[str, str], destination: dict[str, str]) -> str:
    return copy.text.format(
        departure=f"{departure['name']} - {departure['code']}", destination=f"{destination['name']} - {destination['code']}"
    )


@get("/seals/{number:str}/transit-documents", guards=[require_roles(*SEAL_ROLES)])
async def documents_page(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    """The documents signed at sealing (41.1.c.1.2) and whom each copy is for (41.1.c.1.3), with a print link per
    document kind. 404 unless the reader's branch is the departure branch, or the destination once departed."""
    case, everything = await readable_case(request.user, number)
    context = await documents_context(case)
    documents = [
        {
            "document": document,
            "copies": [(n, _holder_text(copy, context["departure"], context["destination"]), copy) for n, copy in copies_for(document, everything)],
        }
        for document in DOCUMENTS.values()
    ]
    return Template(
        "seals/transit_documents.html",
        context={**context, "documents": [d for d in documents if d["copies"]], "everything": everything},
    )


@get("/seals/{number:str}/transit-documents/{kind:str}", guards=[require_roles(*SEAL_ROLES)])
async def print_document(request: Request[Any, Any, Any], number: FromPath[str], kind: FromPath[str]) -> Template:
    """One document kind on A4, a page per copy, each marked with whom it is for (41.1.c.1.3), with the units and
    seals, the corrections and the officer's signature box (41.1.c.1.2). 404 for an unknown kind or a copy the
    reader's branch may not print."""
    case, everything = await readable_case(request.user, number)
    document = DOCUMENTS.get(kind)
    copies = copies_for(document, everything) if document else []
    if document is None or not copies:
        raise NotFound("document_not_found", N_("No such document for your branch."))
    context = await documents_context(case)
    return Template(
        "seals/transit_document_print.html",
        context={
            **context,
            "document": document,
            "total": len(document.copies),
            "copies": [(n, _holder_text(copy, context["departure"], context["destination"]), copy) for n, copy in copies],
        },
    )


ROUTES = [documents_page, print_document]
