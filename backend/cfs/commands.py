"""CFS consolidation list commands (Decision 1966 Art 44.2.b; form 25/DMXK-CFS/GSQL).

- `cfs.create_list` (staff of a CFS, at the premises on their account): a list for one export container, with lines
  as CSV text if they have them (so a phone offline can make a whole list in one command).
- `cfs.add_line` (the same staff, on a draft): one line typed, or its declaration's barcode scanned.
- `cfs.import_lines` (the same staff, on a draft): lines from their warehouse system's CSV file.
- `cfs.remove_line` (the same staff, on a draft): a line typed wrong.
- `cfs.submit_list` (the same staff): the list handed to customs.
- `cfs.check_line` (customs of the managing branch): the goods of a line compared with the container (44.2.b.1.1):
  matching, or a difference with a note and photos. The last line compared makes the list "checked".
- `cfs.sign_list` (the same customs, signed: it replaces the officer's signature and stamp on both copies,
  44.2.b.1.3).
- `cfs.confirm_receipt` (the operator's staff): copy 2 received (44.2.b.1.3: "trả 01 Danh mục cho doanh nghiệp").

Every line's declaration must be in the declarations mirror, an export declaration whose status allows passage;
a scanned barcode must be of the declaration's current version. A file with a bad line stores nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from backend.barcodes import iso6346
from backend.barcodes.payload import BarcodeError, decode
from backend.barcodes.services import configured_keyring
from backend.cfs import policy
from backend.cfs.schemas import MAX_LINES, LineDraft, Problem, check_line, parse_lines, refuse_lines
from backend.cfs.tables import CfsLine, CfsList
from backend.cfs.workflow import STATE_LABELS, ListState, check, transition
from backend.declarations.services import declaration_by_number
from backend.declarations.tables import DeclarationKind
from backend.files import services as files
from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.lib.structs import RowId, Struct
from backend.logbook.services import SUMMARIES, Summary
from backend.officers.tables import Role
from backend.warehouse.policy import premises_row

PHOTO_RECORD = "cfs_line"
MAX_PHOTOS = 10
# A difference's photos are customs' evidence: read by the officers and heads of the managing branch.
files.register_record_type(PHOTO_RECORD, {Role.OFFICER, Role.SUPERVISOR})

Csv = Annotated[str, msgspec.Meta(max_length=200_000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Short = Annotated[str, msgspec.Meta(max_length=600)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class CreateList(Struct, kw_only=True):
    container: Annotated[str, msgspec.Meta(max_length=40)]
    # Staff working at several CFSs name the one the container is at; the policy checks they work there. None: the
    # premises on their account.
    premises_id: RowId | None = None
    lines: Csv = ""  # optional: declaration, goods, packages, weight (kg), one a line


class AddLine(Struct, kw_only=True):
    """One line typed on the phone. `declaration` is what was typed or scanned: 12 digits or the barcode's payload.
    Numbers arrive as the form gave them (a number, or the text typed) and are refused in words when wrong."""

    list_id: RowId
    declaration: Annotated[str, msgspec.Meta(max_length=80)]
    goods: Short
    packages: int | str | None = None  # None: left blank (the device's serializer sends a blank number as null)
    weight_kg: float | int | str | None = None


class ImportLines(Struct, kw_only=True):
    list_id: RowId
    csv: Csv


class RemoveLine(Struct, kw_only=True):
    list_id: RowId
    line_id: RowId


class ListOnly(Struct, kw_only=True):
    list_id: RowId


class CheckLine(Struct, kw_only=True):
    """The officer's comparison of one line with what is in the container (Art 44.2.b.1.1)."""

    list_id: RowId
    line_id: RowId
    result: Literal["match", "difference"]
    note: Note = ""
    # Photos (SHA-256 of each file): the device uploads them before this command (docs/offline.md).
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=MAX_PHOTOS)] = []


# --- the declarations on the lines ------------------------------------------------------------------------------


async def _declaration_problem(draft: LineDraft) -> tuple[str, Problem | None]:
    """The declaration number of a line, or why the line is refused: not a number or barcode of ours, not in the
    mirror, not an export declaration, not allowed to pass, or a barcode printed for an older version."""
    try:
        read = decode(configured_keyring(), draft.declaration)
    except BarcodeError as error:
        return "", (draft.line, error.message, {k: str(v) for k, v in error.params.items()})
    try:
        found = await declaration_by_number(read.number)
    except DomainError as error:
        return "", (draft.line, error.message, {k: str(v) for k, v in error.params.items()})
    if found.kind != DeclarationKind.EXPORT:
        return "", (draft.line, N_("declaration %(number)s is not an export declaration"), {"number": found.number})
    if not found.allows_passage:
        return "", (draft.line, N_("the status of declaration %(number)s does not allow the goods to pass (%(status)s)"),
                    {"number": found.number, "status": found.status_code})
    if read.signed and read.version != found.version:
        return "", (draft.line, N_("the barcode was printed for version %(printed)s of declaration %(number)s; it is now version %(current)s"),
                    {"printed": str(read.version), "number": found.number, "current": str(found.version)})
    return found.number, None


async def _store_lines(list_id: int, drafts: list[LineDraft], problems: list[Problem]) -> int:
    """Look every line's declaration up, then store all the lines after the list's last, or none: a refusal names
    every bad line. The count added."""
    numbers: list[str] = []
    for draft in drafts:
        number, problem = await _declaration_problem(draft)
        if problem:
            problems.append(problem)
        numbers.append(number)
    if problems:
        raise refuse_lines(sorted(problems, key=lambda problem: problem[0]))
    if not drafts:
        return 0
    last = await CfsLine.select(CfsLine.line).where(CfsLine.cfs_list == list_id).order_by(CfsLine.line, ascending=False).first()
    first = last["line"] if last else 0
    if first + len(drafts) > MAX_LINES:
        raise DomainError("too_many_lines", N_("A consolidation list has at most %(max)s lines."), max=MAX_LINES)
    await CfsLine.insert(
        *[
            CfsLine(cfs_list=list_id, line=first + index, declaration_number=number, goods=draft.goods, packages=draft.packages, weight_g=draft.weight_g)
            for index, (draft, number) in enumerate(zip(drafts, numbers), start=1)
        ]
    )
    return len(drafts)


async def _list_for(context: CommandContext, list_id: int, may: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The list and its CFS, if `may(actor, premises)`; otherwise the list is unknown to the actor (or, to one who
    sees it, not theirs to do this on)."""
    row = await CfsList.select().where(CfsList.id == list_id).first()
    if row is None:
        raise policy.not_found()
    premises = await policy.premises_of(row)
    if not may(context.actor, premises):
        if policy.may_see(context.actor, premises):
            raise DomainError("not_yours_to_do", N_("You may see this list but not do this on it."))
        raise policy.not_found()
    return row, premises


def _draft_only(row: dict[str, Any]) -> None:
    if row["state"] != ListState.DRAFT.value:
        raise DomainError("list_not_draft", N_("Lines are changed only before the list is submitted."))


def _result(row: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"list_id": row["id"], "container": row["container"], **more}


# --- the operator's side ----------------------------------------------------------------------------------------


@command("cfs.create_list", payload=CreateList, roles={Role.WAREHOUSE}, label=N_("CFS consolidation list started"))
async def create_list(context: CommandContext, payload: CreateList) -> dict[str, Any]:
    wanted = payload.premises_id if payload.premises_id is not None else context.actor.premises_id
    premises = await premises_row(wanted) if wanted is not None else None
    if not policy.may_create(context.actor, premises):
        raise DomainError("not_at_a_cfs", N_("Your account is not attached to a CFS: ask your administrator."))
    assert premises is not None
    verdict = iso6346.check(payload.container)
    if not verdict.valid:
        if verdict.hints:
            raise DomainError("invalid_container", N_("Container number %(number)s is not valid (ISO 6346); did you mean %(hints)s?"),
                              number=verdict.number[:20], hints=", ".join(verdict.hints))
        raise DomainError("invalid_container", N_("Container number %(number)s is not valid (ISO 6346)."), number=verdict.number[:20])
    drafts, problems = parse_lines(payload.lines)  # every line checked before anything is written
    list_id = (
        await CfsList.insert(
            CfsList(command_id=context.command_id, branch=premises["branch"], premises=premises["id"], container=verdict.number,
                    created_by=context.actor.id, state=ListState.DRAFT.value, issued_at=context.issued_at)
        ).returning(CfsList.id)
    )[0]["id"]
    lines = await _store_lines(list_id, drafts, problems)  # a refusal rolls the list back with the command
    return {"list_id": list_id, "container": verdict.number, "lines": lines, "state": ListState.DRAFT.value}


@command("cfs.add_line", payload=AddLine, roles={Role.WAREHOUSE}, label=N_("Line added to a CFS consolidation list"))
async def add_line(context: CommandContext, payload: AddLine) -> dict[str, Any]:
    row, _ = await _list_for(context, payload.list_id, policy.may_edit)
    _draft_only(row)
    blank = ("" if value is None else value for value in (payload.packages, payload.weight_kg))
    checked = check_line(1, payload.declaration, payload.goods, *blank)
    if not isinstance(checked, LineDraft):
        _, message, params = checked
        raise DomainError("invalid_line", message, **params)
    number, problem = await _declaration_problem(checked)
    if problem:
        _, message, params = problem
        raise DomainError("invalid_line", message, **params)
    await _store_lines(row["id"], [LineDraft(1, number, checked.goods, checked.packages, checked.weight_g)], [])
    return _result(row, declaration=number, lines=1)


@command("cfs.import_lines", payload=ImportLines, roles={Role.WAREHOUSE}, label=N_("Lines imported into a CFS consolidation list"))
async def import_lines(context: CommandContext, payload: ImportLines) -> dict[str, Any]:
    row, _ = await _list_for(context, payload.list_id, policy.may_edit)
    _draft_only(row)
    drafts, problems = parse_lines(payload.csv)
    count = await _store_lines(row["id"], drafts, problems)
    if count == 0:
        raise DomainError("no_lines", N_("The file has no line."))
    return _result(row, lines=count)


@command("cfs.remove_line", payload=RemoveLine, roles={Role.WAREHOUSE}, label=N_("Line removed from a CFS consolidation list"))
async def remove_line(context: CommandContext, payload: RemoveLine) -> dict[str, Any]:
    row, _ = await _list_for(context, payload.list_id, policy.may_edit)
    _draft_only(row)
    removed = await CfsLine.delete().where((CfsLine.id == payload.line_id) & (CfsLine.cfs_list == row["id"])).returning(CfsLine.declaration_number)
    if not removed:
        raise DomainError("unknown_line", N_("There is no such line on this list."))
    return _result(row, declaration=removed[0]["declaration_number"])


@command("cfs.submit_list", payload=ListOnly, roles={Role.WAREHOUSE}, label=N_("CFS consolidation list submitted to customs"))
async def submit_list(context: CommandContext, payload: ListOnly) -> dict[str, Any]:
    row, _ = await _list_for(context, payload.list_id, policy.may_edit)
    check(row["state"], ListState.SUBMITTED)
    if not await CfsLine.exists().where(CfsLine.cfs_list == row["id"]):
        raise DomainError("no_lines", N_("Add the goods of at least one declaration before submitting."))
    await transition(row["id"], row["state"], ListState.SUBMITTED, by=context.actor.id, at=context.issued_at)
    return _result(row, state=ListState.SUBMITTED.value)


@command("cfs.confirm_receipt", payload=ListOnly, roles={Role.WAREHOUSE}, label=N_("CFS operator received their signed copy of the list"))
async def confirm_receipt(context: CommandContext, payload: ListOnly) -> dict[str, Any]:
    row, _ = await _list_for(context, payload.list_id, policy.may_edit)
    await transition(row["id"], row["state"], ListState.RECEIVED, by=context.actor.id, at=context.issued_at)
    return _result(row, state=ListState.RECEIVED.value)


# --- customs' side ---------------------------------------------------------------------------------------------


@command("cfs.check_line", payload=CheckLine, roles={Role.OFFICER, Role.SUPERVISOR}, label=N_("Line of a CFS consolidation list compared with the container"))
async def check_line_command(context: CommandContext, payload: CheckLine) -> dict[str, Any]:
    row, premises = await _list_for(context, payload.list_id, policy.may_check)
    if row["state"] not in (ListState.SUBMITTED.value, ListState.CHECKED.value):
        raise DomainError("list_not_open", N_("Lines are compared once the list is submitted and until it is signed."))
    note = payload.note.strip()
    if payload.result == "difference" and not note:
        raise DomainError("note_required", N_("Say what differs from the list."))
    photos = list(dict.fromkeys(payload.photos))
    await files.require_attachable(context.actor, photos)
    updated = await CfsLine.update(
        {CfsLine.result: payload.result, CfsLine.note: note, CfsLine.checked_by: context.actor.id, CfsLine.checked_at: context.issued_at}
    ).where((CfsLine.id == payload.line_id) & (CfsLine.cfs_list == row["id"])).returning(CfsLine.declaration_number)
    if not updated:
        raise DomainError("unknown_line", N_("There is no such line on this list."))
    for sha256 in photos:
        await files.attach(sha256, PHOTO_RECORD, payload.line_id, premises["branch"])
    state = row["state"]
    if state == ListState.SUBMITTED.value and not await CfsLine.exists().where((CfsLine.cfs_list == row["id"]) & (CfsLine.result == "")):
        await transition(row["id"], state, ListState.CHECKED, by=context.actor.id, at=context.issued_at)
        state = ListState.CHECKED.value
    return _result(row, declaration=updated[0]["declaration_number"], line_id=payload.line_id, check=payload.result, photos=len(photos), state=state)


@command("cfs.sign_list", payload=ListOnly, roles={Role.OFFICER, Role.SUPERVISOR}, label=N_("CFS consolidation list signed by customs (both copies)"))
async def sign_list(context: CommandContext, payload: ListOnly) -> dict[str, Any]:
    row, _ = await _list_for(context, payload.list_id, policy.may_check)
    await transition(row["id"], row["state"], ListState.SIGNED, by=context.actor.id, at=context.issued_at)
    # 44.2.b.1.2 then b.1.3: the container already sealed for the list, its declarations are sealed now (the gate
    # card reads "confirm sealed"); signed before the seal, they are when the seal is recorded (seals/consolidated.py).
    from backend.seals.consolidated import after_list_signed

    confirmed = await after_list_signed(context, row["id"], row["premises"])
    return _result(row, state=ListState.SIGNED.value, **({"confirmed_sealed": confirmed} if confirmed else {}))


# --- the logbook's words for these commands -------------------------------------------------------------------

CHECK_LABELS = {"match": N_("matches the list"), "difference": N_("differs from the list")}


def _summary(payload: dict[str, Any], result: dict[str, Any]) -> Summary:
    parts = []
    if result.get("container"):
        parts.append(str(result["container"]))
    if result.get("declaration"):
        parts.append(str(result["declaration"]))
    if result.get("check") in CHECK_LABELS:
        parts.append(gettext(CHECK_LABELS[result["check"]]))
    if result.get("state") in STATE_LABELS:
        parts.append(gettext(STATE_LABELS[result["state"]]))
    return Summary(detail=" · ".join(parts), text=str(payload.get("note") or "").strip())


for _type in ("cfs.create_list", "cfs.add_line", "cfs.import_lines", "cfs.remove_line", "cfs.submit_list", "cfs.check_line", "cfs.sign_list", "cfs.confirm_receipt"):
    SUMMARIES[_type] = _summary
