"""The supervisor's inbox: `/inbox` (the page) and `GET /api/v1/inbox` (the same, as JSON).

Who: supervisors of a branch (policy.has_inbox); anyone else signed in gets 403 — an officer has no decisions of
the branch to take. Each item links to where it is decided (its domain's page and its signed command); the inbox
changes nothing itself.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Template

from backend.auth.middleware import require_roles
from backend.inbox import evidence, services
from backend.inbox.live import LiveInbox
from backend.inbox.schemas import Inbox
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib.i18n import current_language, gettext
from backend.logbook.services import sync_text
from backend.officers.tables import Role

HEADS = require_roles(Role.SUPERVISOR)


@get("/api/v1/inbox", guards=[HEADS], summary="What waits for a decision of the supervisor's branch")
async def get_inbox(request: Request[Any, Any, Any]) -> Inbox:
    return await services.inbox_for(request.user, request.app.state.settings)


@get("/inbox", guards=[HEADS])
async def inbox_page(request: Request[Any, Any, Any]) -> Template:
    """Grouped by kind in the procedure's order, newest first, each with its evidence line, who, since when, its
    deadline (late ones marked) and the link to decide it."""
    return await _page(request)


async def _page(request: Request[Any, Any, Any], *, error: str | None = None, error_item: str = "") -> Template:
    # The stream's cursor is read before the inbox: a change between the two is sent again, and a page applies
    # it once (an item is replaced by its key, a removal of what is gone changes nothing).
    cursor = await _live(request).last_event(request.user.branch_id)
    inbox = await services.inbox_for(request.user, request.app.state.settings)
    context = {"inbox": inbox, "error": error, "error_item": error_item, "cursor": cursor}
    return Template("inbox/index.html", context=context, status_code=422 if error else 200)


def _live(request: Request[Any, Any, Any]) -> LiveInbox:
    live: LiveInbox = request.app.state.live_inbox
    return live


@get("/inbox/stream", guards=[HEADS])
async def inbox_stream(request: Request[Any, Any, Any], after: int = 0) -> ServerSentEvent:
    """The changes of the branch's inbox as server-sent events (live.py): from the browser's Last-Event-ID when it
    reconnects, else from the page's cursor (`after`). The session is the request's: checked at every reconnection."""
    last_event_id = request.headers.get("last-event-id", "")
    cursor = int(last_event_id) if last_event_id.isdigit() else max(after, 0)
    stream = _live(request).stream(request.user, current_language.get(), cursor)
    # No proxy buffering (nginx), no caching: each message must reach the page when it is sent.
    return ServerSentEvent(stream, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@get("/inbox/evidence/{kind:str}/{ref:str}", guards=[HEADS])
async def item_evidence(request: Request[Any, Any, Any], kind: FromPath[str], ref: FromPath[str]) -> Template:
    """The fragment an item's "Evidence" opens (evidence.py): only for an item in this supervisor's inbox now;
    otherwise 404, in words."""
    found = await evidence.evidence_for(request.user, request.app.state.settings, kind, ref)
    if found is None:
        message = gettext("This item was decided already, or is not yours to decide.")
        return Template("inbox/_evidence.html", context={"evidence": None, "error": message}, status_code=404)
    return Template("inbox/_evidence.html", context={"evidence": found, "error": None, "sync_text": sync_text})


@post("/inbox/decide/{command:str}", guards=[HEADS])
async def decide_form(request: Request[Any, Any, Any], state: State, command: FromPath[str]) -> Template | Redirect:
    """A decision from the inbox without the page's script: only a decision the inbox offers this supervisor now
    (the same command and fixed payload, found again on the server), applied as the script would apply it. A
    signed decision is refused here by the journal (it needs the passkey, hence the script), in words."""
    form = dict(await request.form())
    found = services.find_action(await services.inbox_for(request.user, request.app.state.settings), command, form)
    if found is None:
        return await _page(request, error=gettext("This item was decided already, or is not yours to decide."))
    item, action = found
    payload = {**action.payload, **{field.name: str(form.get(field.name) or "").strip() for field in action.fields}}
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, command, payload)], request.user)
    if outcome.status == "rejected":
        return await _page(request, error=outcome.reason, error_item=f"{item.kind}:{item.ref}")
    return Redirect("/inbox", status_code=303)


ROUTES = [get_inbox, inbox_page, inbox_stream, item_evidence, decide_form]
