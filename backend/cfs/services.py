"""Reading consolidation lists for the people the policy lets see them (backend/cfs/policy.py), and the seam the
next steps read: `signed_list_for_container` (sealing the container for several declarations, 44.2.b.1.2, and its
transit to the exit gate, 44.2.b.2 / Art 41, are not built here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.barcodes import iso6346
from backend.cfs import policy
from backend.cfs.tables import CfsLine, CfsList
from backend.cfs.workflow import ListState
from backend.files import services as files
from backend.officers.schemas import Actor
from backend.officers.tables import Location, LocationKind, Role
from backend.warehouse.policy import premises_row

LIST_LIMIT = 200
PHOTO_RECORD = "cfs_line"  # as commands.py registers it
COPIES = (
    # Art 44.2.b.1.3: "Ký tên, đóng dấu công chức trên 02 Danh mục hàng hóa; lưu 01 Danh mục, trả 01 Danh mục cho
    # doanh nghiệp kinh doanh kho CFS": the printed copies and who keeps each.
    (1, "customs", "Bản lưu Hải quan"),
    (2, "operator", "Bản trả doanh nghiệp kinh doanh kho CFS"),
)
DONE = (ListState.SIGNED.value, ListState.RECEIVED.value)

_COLUMNS = (
    CfsList.all_columns(),
    CfsList.premises.name.as_alias("premises_name"),
    CfsList.premises.code.as_alias("premises_code"),
    CfsList.branch.name.as_alias("branch_name"),
    CfsList.created_by.full_name.as_alias("created_by_name"),
    CfsList.submitted_by.full_name.as_alias("submitted_by_name"),
    CfsList.signed_by.full_name.as_alias("signed_by_name"),
    CfsList.signed_by.code.as_alias("signed_by_code"),
    CfsList.received_by.full_name.as_alias("received_by_name"),
)


def staff_premises(actor: Actor) -> list[int]:
    """Every premises a warehouse user works at, as the actor carries them (warehouse/policy.py works_at reads the same)."""
    ids = list(getattr(actor, "premises_ids", ()) or ())
    if actor.premises_id is not None and actor.premises_id not in ids:
        ids.insert(0, actor.premises_id)
    return ids


async def cfs_premises_of(actor: Actor) -> list[dict[str, Any]]:
    """The CFSs a warehouse user works at (where they may start a list), the one on their account first."""
    found = []
    for premises_id in staff_premises(actor):
        row = await premises_row(premises_id)
        if policy.may_create(actor, row):
            found.append(row)
    return found


async def lists_for(actor: Actor, *, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The lists the actor sees, newest first, with their line counts: a CFS's staff, their CFS's (whatever branch
    manages it); customs, the lists at the CFSs their branch manages now, drafts left out (not handed to them yet);
    anyone else, none."""
    if actor.role == Role.WAREHOUSE:
        mine = staff_premises(actor)
        if not mine:
            return []
        where = CfsList.premises.is_in(mine)
    elif actor.role in (Role.OFFICER, Role.SUPERVISOR) and actor.branch_id is not None:
        managed = [row["id"] for row in await Location.select(Location.id).where((Location.branch == actor.branch_id) & (Location.kind == LocationKind.CFS.value))]
        if not managed:
            return []
        where = CfsList.premises.is_in(managed) & (CfsList.state != ListState.DRAFT.value)
    else:
        return []
    rows = await CfsList.select(*_COLUMNS).where(where).order_by(CfsList.id, ascending=False).limit(limit)
    if rows:
        counts: dict[int, int] = {}
        for line in await CfsLine.select(CfsLine.cfs_list).where(CfsLine.cfs_list.is_in([row["id"] for row in rows])):
            counts[line["cfs_list"]] = counts.get(line["cfs_list"], 0) + 1
        for row in rows:
            row["line_count"] = counts.get(row["id"], 0)
    return rows


async def list_for(actor: Actor, list_id: int) -> dict[str, Any]:
    """One list with its lines (and each line's photos for customs), and what the actor may do on it now, if the
    actor may see it; NotFound otherwise (the list is not theirs to know). Customs do not see a draft."""
    row = await CfsList.select(*_COLUMNS).where(CfsList.id == list_id).first()
    if row is None:
        raise policy.not_found()
    premises = await policy.premises_of(row)
    if not policy.may_see(actor, premises) or (row["state"] == ListState.DRAFT.value and not policy.may_edit(actor, premises)):
        raise policy.not_found()
    lines = await CfsLine.select(
        CfsLine.all_columns(), CfsLine.checked_by.full_name.as_alias("checked_by_name")
    ).where(CfsLine.cfs_list == list_id).order_by(CfsLine.line)
    customs = policy.may_check(actor, premises)
    for line in lines:
        line["weight_kg"] = line["weight_g"] / 1000
        line["photos"] = await files.files_of(PHOTO_RECORD, line["id"]) if customs and line["result"] == "difference" else []
    row["lines"] = lines
    row["total_packages"] = sum(line["packages"] for line in lines)
    row["total_weight_kg"] = sum(line["weight_g"] for line in lines) / 1000
    row["differences"] = sum(1 for line in lines if line["result"] == "difference")
    operator = policy.may_edit(actor, premises)
    row["is_operator"] = operator
    row["may_edit"] = operator and row["state"] == ListState.DRAFT.value
    row["may_receive"] = operator and row["state"] == ListState.SIGNED.value
    row["may_check"] = customs and row["state"] in (ListState.SUBMITTED.value, ListState.CHECKED.value)
    row["may_sign"] = customs and row["state"] == ListState.CHECKED.value
    return row


@dataclass(frozen=True)
class SignedList:
    """What the next steps need of a signed list: the container, the CFS, and the declarations consolidated in it."""

    list_id: int
    container: str
    premises_id: int
    branch_id: int
    declarations: tuple[str, ...]  # in the order of the list, each once
    signed_at: datetime
    received: bool


async def signed_list_for_container(container: str) -> SignedList | None:
    """The latest signed (or signed and received) consolidation list of a container, or None.

    The seam for sealing one container for several declarations (44.2.b.1.2, the seals domain) and for its transit
    to the exit gate (44.2.b.2, Art 41): they read which declarations the container carries from here, never from
    the tables. No actor: the caller has already decided who may act on the container."""
    number = iso6346.normalize(container)
    row = await CfsList.select(CfsList.id, CfsList.container, CfsList.premises, CfsList.branch, CfsList.signed_at, CfsList.state).where(
        (CfsList.container == number) & CfsList.state.is_in(list(DONE))
    ).order_by(CfsList.signed_at, ascending=False).first()
    if row is None:
        return None
    lines = await CfsLine.select(CfsLine.declaration_number).where(CfsLine.cfs_list == row["id"]).order_by(CfsLine.line)
    return SignedList(
        list_id=row["id"],
        container=row["container"],
        premises_id=row["premises"],
        branch_id=row["branch"],
        declarations=tuple(dict.fromkeys(line["declaration_number"] for line in lines)),
        signed_at=row["signed_at"],
        received=row["state"] == ListState.RECEIVED.value,
    )
