"""Reading consolidation lists for the people the policy lets see them (backend/cfs/policy.py), and the seam the
next steps read: `signed_list_for_container` and `consolidation_of` (sealing the container for several declarations,
44.2.b.1.2, in the seals domain: backend/seals/consolidated.py), `managing_branches_of` (which branches the lists
make concerned with a declaration's goods) and `onward_transit` (the transit declaration that carries the container
to the exit gate, 44.2.b.2 / Art 41)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from backend.barcodes import iso6346
from backend.cfs import policy
from backend.cfs.tables import CfsLine, CfsList
from backend.cfs.workflow import ListState
from backend.files import services as files
from backend.officers.schemas import Actor
from backend.officers.tables import Location, LocationKind, Role
from backend.warehouse.policy import premises_row

LIST_LIMIT = 200
# The list page (/cfs): the lists in progress, newest first, and the done ones a page at a time ("older lists"), so
# that a CFS with thousands of lists answers as fast as a new one (bench/cfs.py, bench/README.md "CFS (issue 16)").
PAGE_OPEN = 50
PAGE_DONE = 20
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

# What a list's row on /cfs shows (cfs/_list_item.html): two joins, not the seven of a list's page. PostgreSQL plans
# a seven-join query in tens of milliseconds, more than it takes to run (bench/cfs.py).
_LIST_COLUMNS = (
    CfsList.id,
    CfsList.container,
    CfsList.state,
    CfsList.premises,
    CfsList.issued_at,
    CfsList.premises.name.as_alias("premises_name"),
    CfsList.created_by.full_name.as_alias("created_by_name"),
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


async def lists_for(
    actor: Actor, *, limit: int = LIST_LIMIT, states: tuple[str, ...] | None = None, before: int | None = None
) -> list[dict[str, Any]]:
    """The lists the actor sees, newest first, with their line counts: a CFS's staff, their CFS's (whatever branch
    manages it); customs, the lists at the CFSs their branch manages now, drafts left out (not handed to them yet);
    anyone else, none. Only those in `states` when given, and older than list `before` (the page's "older lists")."""
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
    if states is not None:
        where = where & CfsList.state.is_in(list(states))
    if before is not None:
        where = where & (CfsList.id < before)
    rows = await CfsList.select(*_LIST_COLUMNS).where(where).order_by(CfsList.id, ascending=False).limit(limit)
    if rows:
        # Counted by the database (one row a list), not by reading every line of every list shown (bench/cfs.py).
        counts = {
            line["cfs_list"]: line["count"]
            for line in await CfsLine.select(CfsLine.cfs_list, Count()).where(CfsLine.cfs_list.is_in([row["id"] for row in rows])).group_by(CfsLine.cfs_list)
        }
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
    # 44.2.b.1.2: customs seal the container once every line is compared (b.1.1), through the seals domain's command;
    # 44.2.b.2: the transit declaration that carries it on to the exit gate, when one is in the mirror.
    row["seal"] = await container_seal(row["id"]) if customs else None
    row["may_seal"] = customs and row["state"] in SEALABLE and await _is_latest(row)
    row["onward"] = await onward_transit(row["container"]) if customs else []
    return row


async def _is_latest(row: dict[str, Any]) -> bool:
    """Only the container's latest list handed to customs is sealed for (an older one's seal was the last trip's)."""
    latest = await consolidation_of(row["container"])
    return latest is not None and latest.list_id == row["id"]


async def container_seal(list_id: int) -> dict[str, Any] | None:
    """The container's active customs seal put for this list (44.2.b.1.2), with the declarations it covers, or None."""
    from backend.seals.services import covered_numbers
    from backend.seals.tables import Seal, SealState

    seal = await Seal.select(
        Seal.id, Seal.seal_number, Seal.sealed_at, Seal.officer.full_name.as_alias("officer_name")
    ).where((Seal.cfs_list == list_id) & (Seal.state == SealState.ACTIVE.value)).order_by(Seal.id, ascending=False).first()
    if seal is None:
        return None
    seal["covers"] = (await covered_numbers([seal["id"]])).get(seal["id"], [])
    return seal


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


# --- the seam for sealing (44.2.b.1.2) and the onward transit (44.2.b.2) -----------------------------------------

# A list is customs' from its submission: from then on the managing branch sees it (drafts are the operator's).
HANDED_TO_CUSTOMS = (ListState.SUBMITTED.value, ListState.CHECKED.value, ListState.SIGNED.value, ListState.RECEIVED.value)
# Art 44.2.b.1: compared (b.1.1) before the container is sealed (b.1.2): a list from "checked" on may be sealed.
SEALABLE = (ListState.CHECKED.value, ListState.SIGNED.value, ListState.RECEIVED.value)


@dataclass(frozen=True)
class Consolidation:
    """The latest list of a container handed to customs, whatever its state: what the sealing step reads."""

    list_id: int
    container: str
    state: str
    premises_id: int
    premises_name: str
    branch_id: int  # the branch managing the CFS now (the premises seam), not when the list was made
    declarations: tuple[str, ...]

    @property
    def sealable(self) -> bool:
        return self.state in SEALABLE

    @property
    def signed(self) -> bool:
        return self.state in DONE


async def consolidation_of(container: str) -> Consolidation | None:
    """The container's latest consolidation list handed to customs (submitted or later), or None. No actor: the
    caller decides who may act on the container (seals/consolidated.py)."""
    number = iso6346.normalize(container)
    row = await CfsList.select(CfsList.id, CfsList.container, CfsList.state, CfsList.premises).where(
        (CfsList.container == number) & CfsList.state.is_in(list(HANDED_TO_CUSTOMS))
    ).order_by(CfsList.id, ascending=False).first()
    if row is None:
        return None
    premises = await premises_row(row["premises"])
    if premises is None:
        return None
    lines = await CfsLine.select(CfsLine.declaration_number).where(CfsLine.cfs_list == row["id"]).order_by(CfsLine.line)
    return Consolidation(
        list_id=row["id"], container=row["container"], state=row["state"], premises_id=premises["id"],
        premises_name=premises["name"], branch_id=premises["branch"],
        declarations=tuple(dict.fromkeys(line["declaration_number"] for line in lines)),
    )


async def managing_branches_of(declaration_number: str) -> set[int]:
    """The branches managing a CFS whose consolidation list, handed to customs, carries the declaration: a fact the
    CFS operator created (the list) on premises customs assigned (the managing branch), never one the branch made
    itself. The seals policy counts it among the branches concerned with the goods (Art 44.2.b.1.2)."""
    rows = await CfsLine.select(CfsLine.cfs_list.premises.branch.as_alias("branch")).where(
        (CfsLine.declaration_number == declaration_number) & CfsLine.cfs_list.state.is_in(list(HANDED_TO_CUSTOMS))
    )
    return {row["branch"] for row in rows if row["branch"] is not None}


async def onward_transit(container: str) -> list[dict[str, Any]]:
    """The transit declarations in the mirror that carry the container (44.2.b.2: "chuyển đến cửa khẩu xuất theo
    quy định tại Điều 41"), newest first, each with its transit case's state when giamsat has the case:
    [{number, kind, state, state_label}] (state "" when there is no case yet)."""
    from backend.declarations.tables import DeclarationContainer, DeclarationKind
    from backend.transit.tables import TransitCase
    from backend.transit.workflow import STATE_LABELS as TRANSIT_LABELS

    number = iso6346.normalize(container)
    kinds = [DeclarationKind.INDEPENDENT_TRANSIT.value, DeclarationKind.COMBINED_TRANSIT.value]
    rows = await DeclarationContainer.select(
        DeclarationContainer.declaration.id.as_alias("id"), DeclarationContainer.declaration.number.as_alias("number"),
        DeclarationContainer.declaration.kind.as_alias("kind"),
    ).where((DeclarationContainer.number == number) & DeclarationContainer.declaration.kind.is_in(kinds))
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row["id"], {"number": row["number"], "kind": row["kind"], "state": "", "state_label": ""})
    if found:
        for case in await TransitCase.select(TransitCase.declaration, TransitCase.state).where(TransitCase.declaration.is_in(list(found))):
            found[case["declaration"]]["state"] = case["state"]
            found[case["declaration"]]["state_label"] = TRANSIT_LABELS.get(case["state"], "")
    return [found[key] for key in sorted(found, reverse=True)]
