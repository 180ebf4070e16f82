"""/cfs: the CFS staff's consolidation lists and the form to start one; customs' lists of the branch to compare and
sign; a list's page (lines, the comparison, the signature, the receipt); form 25/DMXK-CFS/GSQL to print in two copies.
Every form writes through the journal (`apply_commands`), like the API and offline sync; who may see and do what is
the policy's (cfs/policy.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.cfs import services
from backend.cfs.commands import CHECK_LABELS
from backend.cfs.workflow import STATE_LABELS, ListState
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib.errors import N_, NotFound
from backend.lib.i18n import gettext
from backend.lib.params import PathRowId
from backend.officers.tables import Role

CAN_USE = (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR)
# The list page's forms without the page's script: the step in the URL names the command.
STEPS = {
    "line": "cfs.add_line",
    "paste": "cfs.import_lines",
    "file": "cfs.import_lines",
    "remove": "cfs.remove_line",
    "submit": "cfs.submit_list",
    "check": "cfs.check_line",
    "sign": "cfs.sign_list",
    "receive": "cfs.confirm_receipt",
    # 44.2.b.1.2: the container sealed for every declaration of the list (the seals domain's command).
    "seal": "seals.record_seal",
}
INT_FIELDS = {"list_id", "line_id", "packages"}
MAX_CSV_BYTES = 1_000_000
OPEN = (ListState.DRAFT.value, ListState.SUBMITTED.value, ListState.CHECKED.value, ListState.SIGNED.value)
DONE = (ListState.RECEIVED.value,)


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "check_labels": CHECK_LABELS}


async def _index(
    request: Request[Any, Any, Any], *, form: dict[str, Any] | None = None, error: str | None = None,
    before: int | None = None, open_before: int | None = None,
) -> Template:
    actor = request.user
    is_operator = actor.role == Role.WAREHOUSE
    # A page at a time, one more than shown to know whether there are older ones ("older lists").
    open_lists = await services.lists_for(actor, states=OPEN, limit=services.PAGE_OPEN + 1, before=open_before)
    done_lists = await services.lists_for(actor, states=DONE, limit=services.PAGE_DONE + 1, before=before)
    premises = await services.cfs_premises_of(actor) if is_operator else []
    return Template(
        "cfs/index.html",
        context={
            "is_operator": is_operator,
            "premises": premises,
            "open_lists": open_lists[: services.PAGE_OPEN],
            "done_lists": done_lists[: services.PAGE_DONE],
            "older_open": open_lists[services.PAGE_OPEN - 1]["id"] if len(open_lists) > services.PAGE_OPEN else None,
            "older_done": done_lists[services.PAGE_DONE - 1]["id"] if len(done_lists) > services.PAGE_DONE else None,
            "paged": before is not None or open_before is not None,
            "form": form or {},
            "error": error,
            **_labels(),
        },
        status_code=422 if error else 200,
    )


@get("/cfs", guards=[require_roles(*CAN_USE)])
async def cfs_page(
    request: Request[Any, Any, Any], before: FromQuery[int | None] = None, open_before: FromQuery[int | None] = None
) -> Template:
    """The lists in progress and the done ones, newest first, a page of each; `before` / `open_before`: older ones."""
    return await _index(request, before=before, open_before=open_before)


@post("/cfs", guards=[require_roles(Role.WAREHOUSE)])
async def create_list(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    form = dict(await request.form())
    envelope = envelope_from_form(form, "cfs.create_list", payload_from_form(form, int_fields={"premises_id"}))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        return await _index(request, form=form, error=outcome.reason)
    list_id = (outcome.result or {}).get("list_id")
    return Redirect(f"/cfs/{list_id}" if list_id else "/cfs", status_code=303)


async def _list_page(request: Request[Any, Any, Any], list_id: int, *, form_id: str | None = None, form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    cfs_list = await services.list_for(request.user, list_id)
    return Template(
        "cfs/list.html",
        context={"l": cfs_list, "error": error, "error_form": form_id if error else None, "form": form or {}, **_labels()},
        status_code=422 if error else 200,
    )


@get("/cfs/{list_id:int}", guards=[require_roles(*CAN_USE)])
async def list_page(request: Request[Any, Any, Any], list_id: PathRowId) -> Template:
    return await _list_page(request, list_id)


@get("/cfs/{list_id:int}/print", guards=[require_roles(*CAN_USE)])
async def list_print(request: Request[Any, Any, Any], list_id: PathRowId) -> Template:
    """Form 25/DMXK-CFS/GSQL, both copies (Art 44.2.b.1.3), each on its own page, always in Vietnamese."""
    return Template("cfs/print.html", context={"l": await services.list_for(request.user, list_id), "copies": services.COPIES, **_labels()})


async def _csv_text(upload: Any) -> str:
    """The uploaded file's text: UTF-8 (with or without the BOM spreadsheets write)."""
    if not isinstance(upload, UploadFile):
        return ""
    data = await upload.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(N_("The file is too large (at most 1 MB)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(N_("Save the file as CSV in UTF-8, then choose it again.")) from None


def _seal_payload(form: dict[str, Any]) -> dict[str, Any]:
    """`seals.record_seal` from the list page's seal form posted without its script (serialize.js makes the same)."""
    location = str(form.get("location_id", "")).strip()
    return {
        "location_id": int(location) if location.isdigit() else location,
        "number": str(form.get("number", "")),
        "unit_kind": "container",
        "unit": str(form.get("unit", "")),
        "seal_number": str(form.get("seal_number", "")),
        "scanned": str(form.get("scanned", "")).lower() == "true",
        "replace": str(form.get("replace", "")).lower() == "true",
    }


@post("/cfs/{list_id:int}/{step:str}", guards=[require_roles(*CAN_USE)])
async def list_step(request: Request[Any, Any, Any], state: State, list_id: PathRowId, step: str) -> Template | Redirect:
    if step not in STEPS:
        raise NotFound("unknown_step", N_("There is no such step."))
    raw = await request.form()
    form = dict(raw)
    form_id = f"{step}-form" if step != "check" else f"check-form-{form.get('line_id', '')}"
    if step == "file":  # a file from the operator's warehouse system: read here, parsed by the command
        try:
            form["csv"] = await _csv_text(form.pop("file", None))
        except ValueError as problem:
            return await _list_page(request, list_id, form_id=form_id, error=gettext(str(problem)))
    if step == "seal":
        await services.list_for(request.user, list_id)  # a list the actor does not see: 404, nothing applied
        payload = _seal_payload(form)
        (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, STEPS[step], payload)], request.user)
        if outcome.status == "rejected":
            return await _list_page(request, list_id, form_id=form_id, form=form, error=outcome.reason)
        return Redirect(f"/cfs/{list_id}", status_code=303)
    form["list_id"] = str(list_id)
    # Photo ids the device script put in the form, when it posts without its queue: refused in words if their files
    # never reached the server, rather than dropped without a word.
    lists = {"photos": raw.getall("photos", [])} if step == "check" else None
    payload = payload_from_form(form, int_fields=INT_FIELDS, lists=lists)
    envelope = envelope_from_form(form, STEPS[step], payload)
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        if outcome.code == "unknown_list":
            raise NotFound("unknown_list", N_("There is no such consolidation list for you."))
        return await _list_page(request, list_id, form_id=form_id, form=form, error=outcome.reason)
    return Redirect(f"/cfs/{list_id}", status_code=303)


ROUTES = [cfs_page, create_list, list_page, list_print, list_step]
