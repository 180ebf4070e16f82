"""The /outbox page: what the branch's actions told the national system, what waits and why, what it refused and
what to do about a refusal; a supervisor sends a refused message again (outbox.retry) after fixing it."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.officers.tables import Role
from backend.outbox import services
from backend.outbox.registry import OUTBOUND
from backend.outbox.workflow import State as MessageState

# What the national system is told, for people (the registry's kinds; a kind not listed shows as it is spelled).
KIND_LABELS = {
    "gate.passage_confirmed": N_("Passage confirmed"),
    "gate.passage_cancelled": N_("Passage confirmation cancelled"),
    "gate.confirmations_cancelled": N_("Confirmations cancelled with a report"),
    "seals.requirement_changed": N_("Seal requirement proposed or withdrawn"),
    "seals.handover_record": N_("Handover record"),
    "seals.sealed_confirmed": N_("Goods confirmed sealed"),
    "seals.handover_record_confirmed": N_("Handover record confirmed on receipt"),
}

HELD_LABELS = {
    "contingency": N_("Held: contingency mode is on. Sent once the system is restored and contingency mode is ended."),
    "behind": N_("Waits for an earlier message about the same declaration."),
    "backoff": N_("The national system did not answer; tried again automatically."),
}


async def _page(request: Request[Any, Any, Any], error: str | None = None) -> Template:
    actor = request.user
    kinds = {spec.kind for specs in OUTBOUND.values() for spec in specs}
    return Template(
        "outbox/index.html",
        context={
            "counts": await services.counts_of(actor),
            "waiting": await services.messages_of(actor, MessageState.WAITING),
            "refused": await services.messages_of(actor, MessageState.REFUSED),
            "delivered": await services.messages_of(actor, MessageState.DELIVERED),
            "kind_labels": {kind: gettext(KIND_LABELS[kind]) if kind in KIND_LABELS else kind for kind in kinds},
            "held_labels": {key: gettext(label) for key, label in HELD_LABELS.items()},
            "can_retry": actor.role == Role.SUPERVISOR,
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/outbox", guards=[require_roles(Role.OFFICER, Role.SUPERVISOR)])
async def outbox_page(request: Request[Any, Any, Any]) -> Template:
    """The branch's messages to the national system: refused first (someone must act), then waiting, then delivered."""
    return await _page(request)


@post("/outbox/retry", guards=[require_roles(Role.SUPERVISOR)])
async def retry_form(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    """Sending a refused message again from the page: the `outbox.retry` command, then back to the page."""
    form = dict(await request.form())
    try:
        message_id = str(uuid.UUID(str(form.get("message_id") or "")))
    except ValueError:
        message_id = "00000000-0000-0000-0000-000000000000"
    payload = {"message_id": message_id, "note": str(form.get("note") or "")}
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, "outbox.retry", payload)], request.user)
    if outcome.status == "rejected":
        return await _page(request, error=outcome.reason)
    return Redirect("/outbox", status_code=303)


ROUTES = [outbox_page, retry_form]
