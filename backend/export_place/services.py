"""What the export place domain reads (Decision 1966, Art 43.3.b-c): lots at the exit gate for 15 days, the lots both
branches watch, changes of export place with their timeline and next step, letters, and the BIA note.

"Đến cửa khẩu xuất" (43.3.b) is, in giamsat's facts, the transit case's arrival in the exit gate's supervision area
(`exit_area_at`, 41.2.b.1.1.1), the first of the two steps of a road, river, inland-waterway or rail exit gate.
"Vận chuyển qua khu vực cửa khẩu xuất sang nước nhập khẩu" is BIA (41.2.b.1.1.2: all goods crossed). An exit gate
with one step (sea, air) has no fact between the two: the rule is not run there (docs/export-place.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from backend.declarations.tables import Declaration, DeclarationContainer
from backend.export_place import policy
from backend.export_place.tables import ExportChange, ExportChangeEvent, ExportLetter
from backend.export_place.workflow import FINAL, KIND_LABELS, STATE_LABELS, TRANSITIONS, ChangeKind, ChangeState
from backend.lib import clock
from backend.lib.errors import N_, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Branch, Location
from backend.seals.tables import HandoverRecord
from backend.transit.tables import TransitCase
from backend.transit.workflow import TransitState

# Decision 1966, Art 43.3.b: "Quá 15 ngày kể từ ngày hàng hóa đến cửa khẩu xuất": the text's own figure.
GATE_DAYS_43_3_B = 15
GATE_15_DAYS, CHANGE_NOTICE = "gate_15_days", "change_notice"
# 43.3.c, preamble: "hàng hóa đã đưa vào khu vực giám sát hải quan tại cửa khẩu xuất ... chưa thực hiện ... BIA".
IN_EXIT_AREA = TransitState.AT_EXIT_AREA
# The new transit declaration is "phê duyệt" (c.2.2.3, c.4.2.3): its case reached approval or went further.
APPROVED_OR_LATER = frozenset(
    {TransitState.APPROVED, TransitState.SEALED, TransitState.DEPARTED, TransitState.AT_EXIT_AREA, TransitState.VIOLATION,
     TransitState.PENALTY_CARRIED_OUT, TransitState.ARRIVED, TransitState.GREEN}
)


def gate_deadline(case: dict[str, Any]) -> datetime | None:
    """When the 15 days of 43.3.b end for a lot in the exit gate's area, or None (not at a two-step gate's area)."""
    if case.get("exit_area_at") is None:
        return None
    return case["exit_area_at"] + timedelta(days=GATE_DAYS_43_3_B)


def past_15_days(case: dict[str, Any], now: datetime) -> bool:
    end = gate_deadline(case)
    return case["state"] == IN_EXIT_AREA and end is not None and end <= now


async def gate_overdue(branch_id: int, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """The exit gate branch's lots in its area for 15 days or more, not crossed (no BIA), with no notice sent yet."""
    rows = await TransitCase.select(
        TransitCase.id, TransitCase.number, TransitCase.state, TransitCase.exit_area_at, TransitCase.departure_branch,
        TransitCase.departure_branch.code.as_alias("warehouse_branch_code"), TransitCase.changed_at,
    ).where(
        (TransitCase.destination_branch == branch_id)
        & (TransitCase.state == IN_EXIT_AREA.value)
        & (TransitCase.exit_area_at <= now - timedelta(days=GATE_DAYS_43_3_B))
    ).order_by(TransitCase.exit_area_at).limit(limit)
    if not rows:
        return []
    sent = {
        row["case"]
        for row in await ExportLetter.select(ExportLetter.case).where(
            (ExportLetter.kind == GATE_15_DAYS) & ExportLetter.case.is_in([row["id"] for row in rows])
        )
    }
    return [row for row in rows if row["id"] not in sent]


async def watching(actor: Actor) -> list[dict[str, Any]]:
    """The lots the actor's branch watches after a 43.3.b notice (sent or received) until they are exported (BIA)."""
    if not policy.is_staff(actor):
        return []
    return await ExportLetter.select(
        ExportLetter.id, ExportLetter.case.number.as_alias("number"), ExportLetter.case.exit_area_at.as_alias("exit_area_at"),
        ExportLetter.from_branch, ExportLetter.to_branch, ExportLetter.from_branch.code.as_alias("from_code"),
        ExportLetter.to_branch.code.as_alias("to_code"), ExportLetter.made_at, ExportLetter.acknowledged_at,
    ).where(
        (ExportLetter.kind == GATE_15_DAYS)
        & ((ExportLetter.from_branch == actor.branch_id) | (ExportLetter.to_branch == actor.branch_id))
        & (ExportLetter.case.state != TransitState.ARRIVED.value)
    ).order_by(ExportLetter.made_at)


async def lot_quantity(declaration_id: int) -> int:
    """The lot (43.3.c "toàn bộ lô hàng"): its containers, or the packages of loose cargo, as upstream declared them."""
    row = await Declaration.select(Declaration.cargo_type, Declaration.package_count).where(Declaration.id == declaration_id).first()
    if row is None:
        return 0
    containers = await DeclarationContainer.count().where(DeclarationContainer.declaration == declaration_id)
    return containers if containers else int(row["package_count"] or 0)


async def branch_row(branch_id: int) -> dict[str, Any]:
    return await Branch.select(Branch.id, Branch.code, Branch.name).where(Branch.id == branch_id).first() or {"id": branch_id, "code": "", "name": ""}


async def record_row(record_id: int | None) -> dict[str, Any] | None:
    if not record_id:
        return None
    return await HandoverRecord.select(
        HandoverRecord.id, HandoverRecord.serial, HandoverRecord.state, HandoverRecord.kind, HandoverRecord.from_branch,
        HandoverRecord.to_branch, HandoverRecord.declaration_number,
    ).where(HandoverRecord.id == record_id).first()


async def change_row(change_id: int) -> dict[str, Any] | None:
    return await ExportChange.select(
        *ExportChange.all_columns(), ExportChange.new_place.code.as_alias("new_place_code"),
        ExportChange.new_place.name.as_alias("new_place_name"), ExportChange.new_branch.code.as_alias("new_branch_code"),
    ).where(ExportChange.id == change_id).first()


async def visible_change(actor: Actor, change_id: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """(change, its transit case, its handover record) if the actor's branch may see it; 404 otherwise."""
    change = await change_row(change_id)
    if change is None:
        raise policy.not_found()
    case = await TransitCase.select().where(TransitCase.id == change["case"]).first()
    record = await record_row(change["record"])
    if case is None or not policy.may_see(actor, case, change, record):
        raise policy.not_found()
    return change, case, record


async def open_change(case_id: int) -> dict[str, Any] | None:
    return await ExportChange.select(ExportChange.id, ExportChange.state).where(
        (ExportChange.case == case_id) & ExportChange.state.not_in([state.value for state in FINAL])
    ).first()


def change_allowed(case: dict[str, Any]) -> str | None:
    """None when 43.3.c's preamble allows a change now, else why not (a msgid)."""
    if case["state"] != IN_EXIT_AREA:
        return N_("A change of export place is made only while the goods are in the exit gate's supervision area and BIA is not done (Decision 1966, Art 43.3.c).")
    return None


def quantity_text(change: dict[str, Any]) -> tuple[int, int]:
    """(stays at the original place, goes to the new place)."""
    moved = change["moved_quantity"]
    return change["total_quantity"] - moved, moved


def bia_note(change: dict[str, Any]) -> str:
    """The note written with BIA in "Ghi chú (dành cho hải quan)", in Vietnamese as the System keeps it."""
    place = f"{change['new_place_name']} ({change['new_place_code']})"
    here, moved = quantity_text(change)
    kind = ChangeKind(change["kind"])
    if kind is ChangeKind.WHOLE_SAME_GATE:  # c.1.1.4
        return f"Địa điểm xuất hàng thực tế: {place} (Điều 43.3.c.1.1.4 QĐ 1966/QĐ-TCHQ)."
    if kind is ChangeKind.PART_SAME_GATE:  # c.3.1.3
        exported = change["exported_here"] if change["exported_here"] is not None else here
        return (
            f"Xuất khẩu từng phần: {exported}/{change['total_quantity']} tại địa điểm xuất hàng ban đầu; "
            f"{moved}/{change['total_quantity']} tại {place} (Điều 43.3.c.3.1.3 QĐ 1966/QĐ-TCHQ)."
        )
    if kind is ChangeKind.WHOLE_OTHER_GATE:  # c.2.2.3
        return f"Thay đổi cửa khẩu xuất: tờ khai vận chuyển độc lập mới số {change['new_number']} (Điều 43.3.c.2.2.3 QĐ 1966/QĐ-TCHQ)."
    exported = change["exported_here"] if change["exported_here"] is not None else here
    return (  # c.4.2.3
        f"Xuất khẩu tại cửa khẩu xuất ban đầu: {exported}/{change['total_quantity']}; sẽ xuất khẩu tại cửa khẩu xuất mới "
        f"{place}: {moved}/{change['total_quantity']}; tờ khai vận chuyển độc lập mới số {change['new_number']} "
        f"(Điều 43.3.c.4.2.3 QĐ 1966/QĐ-TCHQ)."
    )


def gate_letter_text(number: str, exit_area_at: datetime, exit_branch: dict[str, Any], warehouse_branch: dict[str, Any]) -> str:
    """43.3.b's notice, in Vietnamese (the letter between branches)."""
    return (
        f"Kính gửi: {warehouse_branch['name']} ({warehouse_branch['code']}).\n"
        f"Căn cứ điểm b khoản 3 Điều 43 Quy trình ban hành kèm Quyết định số 1966/QĐ-TCHQ, {exit_branch['name']} "
        f"({exit_branch['code']}) thông báo: lô hàng thuộc tờ khai vận chuyển độc lập số {number} đưa từ kho ngoại quan "
        f"đã đến cửa khẩu xuất ngày {exit_area_at.strftime('%d/%m/%Y')}, đã quá 15 ngày nhưng chưa được vận chuyển qua khu vực "
        f"cửa khẩu xuất sang nước nhập khẩu. Đề nghị quý Chi cục phối hợp theo dõi; {exit_branch['name']} tiếp tục giám sát "
        f"lô hàng đến khi thực xuất khẩu theo quy định tại điểm d khoản 3 Điều 91 Thông tư số 38/2015/TT-BTC."
    )


def change_letter_text(change: dict[str, Any], registration: dict[str, Any], original: dict[str, Any]) -> str:
    """43.3.c.2.1.2 / c.4.1.2: the branch of registration tells the original exit gate of the approved change."""
    part = ChangeKind(change["kind"]) is ChangeKind.PART_OTHER_GATE
    clause = "c.4.1.2" if part else "c.2.1.2"
    what = (
        f"một phần lượng hàng ({change['moved_quantity']}/{change['total_quantity']})" if part else "toàn bộ lô hàng"
    )
    return (
        f"Kính gửi: {original['name']} ({original['code']}).\n"
        f"Căn cứ điểm {clause} khoản 3 Điều 43 Quy trình ban hành kèm Quyết định số 1966/QĐ-TCHQ, {registration['name']} "
        f"({registration['code']}) thông báo: Chi cục trưởng đã phê duyệt việc thay đổi cửa khẩu xuất cho {what} thuộc tờ khai "
        f"vận chuyển độc lập số {change['number']} sang {change['new_place_name']} ({change['new_place_code']}), theo văn bản "
        f"của người khai hải quan: {change['declarant_notice']}"
        + (f"; văn bản của cơ quan có thẩm quyền: {change['authority_document']}" if change["authority_document"] else "")
        + ". Đề nghị quý Chi cục yêu cầu người khai hải quan đăng ký tờ khai vận chuyển độc lập mới và thực hiện thủ tục theo "
        "Điều 41 Quy trình."
    )


async def letter_view(actor: Actor, letter_id: int) -> dict[str, Any]:
    letter = await ExportLetter.select(
        *ExportLetter.all_columns(), ExportLetter.case.number.as_alias("number"),
        ExportLetter.from_branch.code.as_alias("from_code"), ExportLetter.from_branch.name.as_alias("from_name"),
        ExportLetter.to_branch.code.as_alias("to_code"), ExportLetter.to_branch.name.as_alias("to_name"),
        ExportLetter.made_by.full_name.as_alias("made_by_name"),
    ).where(ExportLetter.id == letter_id).first()
    if letter is None or not policy.may_read_letter(actor, letter):
        raise NotFound("letter_not_found", N_("There is no such letter for your branch."))
    return letter


async def letters_for(actor: Actor) -> list[dict[str, Any]]:
    """Letters the branch sent or was sent, newest first."""
    if not policy.is_staff(actor):
        return []
    return await ExportLetter.select(
        ExportLetter.id, ExportLetter.kind, ExportLetter.case.number.as_alias("number"), ExportLetter.made_at,
        ExportLetter.from_branch.code.as_alias("from_code"), ExportLetter.to_branch.code.as_alias("to_code"),
        ExportLetter.acknowledged_at,
    ).where((ExportLetter.from_branch == actor.branch_id) | (ExportLetter.to_branch == actor.branch_id)).order_by(
        ExportLetter.id, ascending=False
    ).limit(100)


async def changes_for(actor: Actor) -> list[dict[str, Any]]:
    """The changes the actor's branch takes part in (by the transit case's branches or the record addressed to it)."""
    if not policy.is_staff(actor):
        return []
    rows = await ExportChange.select(
        ExportChange.id, ExportChange.number, ExportChange.kind, ExportChange.state, ExportChange.changed_at,
        ExportChange.registration_branch, ExportChange.original_branch, ExportChange.new_branch, ExportChange.record,
        ExportChange.new_place.code.as_alias("new_place_code"),
    ).where(
        (ExportChange.registration_branch == actor.branch_id) | (ExportChange.original_branch == actor.branch_id)
        | (ExportChange.new_branch == actor.branch_id)
    ).order_by(ExportChange.changed_at, ascending=False).limit(200)
    out = []
    for row in rows:
        if actor.branch_id in (row["registration_branch"], row["original_branch"]):
            out.append(row)
            continue
        record = await record_row(row["record"])
        if record is not None and record["to_branch"] == actor.branch_id and record["state"] in policy.RECORD_HANDED:
            out.append(row)
    return out


async def timeline(change_id: int) -> list[dict[str, Any]]:
    return await ExportChangeEvent.select(
        *ExportChangeEvent.all_columns(), ExportChangeEvent.officer.full_name.as_alias("officer_name"),
        ExportChangeEvent.officer.code.as_alias("officer_code"),
    ).where(ExportChangeEvent.change == change_id).order_by(ExportChangeEvent.id)


async def new_case_approved(number: str) -> bool:
    """Whether the new transit declaration's case reached approval under Art 41 (c.2.2.3, c.4.2.3)."""
    row = await TransitCase.select(TransitCase.state, TransitCase.kind).where(TransitCase.number == number).first()
    return row is not None and row["state"] in APPROVED_OR_LATER


def next_steps(actor: Actor, case: dict[str, Any], change: dict[str, Any], record: dict[str, Any] | None) -> list[str]:
    """The forms the page offers the actor: each target the table has from the change's state whose party the actor is."""
    out = []
    for (kind, current, target), found in TRANSITIONS.items():
        if kind == change["kind"] and current == change["state"] and policy.may_take(actor, case, change, record, found.party):
            out.append(target.value)
    return out


def labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "kind_labels": KIND_LABELS}


def now() -> datetime:
    return clock.now()


async def location_by_code(code: str) -> dict[str, Any] | None:
    return await Location.select(Location.id, Location.code, Location.name, Location.branch).where(Location.code == code.strip().upper()).first()


async def records_for_change(change: dict[str, Any]) -> list[dict[str, Any]]:
    """Handover records (form 10) of the lot from the original place's branch to the new place's, handed over: what
    the handover step may link (43.3.c.1.1.2, c.3.1.2)."""
    return await HandoverRecord.select(HandoverRecord.id, HandoverRecord.serial, HandoverRecord.state).where(
        (HandoverRecord.declaration_number == change["number"]) & (HandoverRecord.from_branch == change["original_branch"])
        & (HandoverRecord.to_branch == change["new_branch"]) & (HandoverRecord.kind == "handover")
        & HandoverRecord.state.is_in(list(policy.RECORD_HANDED))
    ).order_by(HandoverRecord.id, ascending=False)


async def letters_of_change(change_id: int) -> list[dict[str, Any]]:
    return await ExportLetter.select(ExportLetter.id, ExportLetter.kind, ExportLetter.made_at, ExportLetter.acknowledged_at).where(
        ExportLetter.change == change_id
    ).order_by(ExportLetter.id)
