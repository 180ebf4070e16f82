"""Loading commands (Art 40): the operator's plan, the supervision team's proposed measure, the head's decision.

- `loading.submit_plan` (warehouse staff, at a premises they work at: the one on their account unless they name
  another of theirs): the written notice of a transhipment /
  ship-to-ship plan (40.1) or of a loading / unloading plan at a warehouse, yard or port (40.2), with its containers
  as CSV lines (typed, pasted, or a file read by the page's upload route: the same parser either way).
- `loading.import_containers` (the same staff, before a proposal): more containers from a CSV file.
- `loading.withdraw_plan` (the same staff, before a proposal).
- `loading.propose_measure` (customs of the managing branch): the method and measure proposed to the head.
- `loading.decide` (a head of the managing branch, signed: it replaces the head's signature on the decision):
  approve the proposal, or change it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

import msgspec

from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.lib.structs import RowId, Struct
from backend.loading import policy
from backend.loading.schemas import KIND_LABELS, METHOD_LABELS, ContainerLine, Method, PlanKind, parse_containers
from backend.loading.tables import LoadingContainer, LoadingPlan
from backend.loading.workflow import STATE_LABELS, PlanState, check, transition
from backend.logbook.services import SUMMARIES, Summary
from backend.officers.tables import Role
from backend.warehouse.policy import premises_row

VIETNAM = timezone(timedelta(hours=7))  # a time typed without its zone is Vietnam's (datetime-local inputs)

Text200 = Annotated[str, msgspec.Meta(max_length=200)]
Text64 = Annotated[str, msgspec.Meta(max_length=64)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Csv = Annotated[str, msgspec.Meta(max_length=200_000)]
MethodInput = Literal["", "direct", "equipment", "seal"]


class SubmitPlan(Struct, kw_only=True):
    """The written notice (Art 40.1: the carrier's notice or the enterprise's request for a ship-to-ship transfer;
    40.2: the warehouse, yard or port operator's notice): what, which vessel or vehicle, where, when, the goods and
    containers, the declarations if any."""

    kind: PlanKind
    # Staff working at several premises name the one the plan is for; the policy checks they work there (issue 16
    # item 1). None: the premises on their account.
    premises_id: RowId | None = None
    notice_number: Text64
    carrier_name: Text200
    vessel: Text200
    voyage: Text64 = ""
    place: Text200
    starts_at: Text64  # ISO date and time; without a zone: Vietnam's
    ends_at: Text64
    goods: Note
    declarations: Note = ""
    containers: Csv = ""


class ImportContainers(Struct, kw_only=True):
    plan_id: RowId
    csv: Csv


class WithdrawPlan(Struct, kw_only=True):
    plan_id: RowId
    reason: Note


class ProposeMeasure(Struct, kw_only=True):
    plan_id: RowId
    method: Method
    measure: Note


class Decide(Struct, kw_only=True):
    """The head decides the proposed measure (approve) or another one (change: its method and measure)."""

    plan_id: RowId
    decision: Literal["approve", "change"]
    method: MethodInput = ""
    measure: Note = ""
    note: Note = ""


def _text(value: str, code: str, message: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise DomainError(code, message)
    return cleaned


def _moment(value: str, code: str, message: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(code, message) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def _declarations(text: str) -> str:
    numbers = [part for part in text.replace(",", " ").replace(";", " ").split() if part]
    for number in numbers:
        if not number.isdigit() or len(number) > 20:
            raise DomainError("invalid_declaration", N_("A declaration number is digits: %(number)s"), number=number[:20])
    return "\n".join(dict.fromkeys(numbers))


async def _add_containers(plan_id: int, lines: list[ContainerLine], *, first_line: int = 0) -> int:
    """Store the parsed lines (after the plan's `first_line` lines); the count added."""
    if first_line and lines:
        already = {row["number"]: row["line"] for row in await LoadingContainer.select(LoadingContainer.number, LoadingContainer.line).where(LoadingContainer.plan == plan_id)}
        twice = [line for line in lines if line.number in already]
        if twice:
            raise DomainError(
                "container_already_listed",
                N_("Nothing was saved: line %(line)s, container %(number)s is already on the plan."),
                line=twice[0].line, number=twice[0].number,
            )
    if lines:
        await LoadingContainer.insert(
            *[
                LoadingContainer(plan=plan_id, line=first_line + line.line, number=line.number, seal_number=line.seal_number,
                                 declaration_number=line.declaration_number, note=line.note)
                for line in lines
            ]
        )
    return len(lines)


async def _plan_for(context: CommandContext, plan_id: int, may: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan and its premises, if `may(actor, premises)`; otherwise the plan is unknown to the actor."""
    plan = await LoadingPlan.select().where(LoadingPlan.id == plan_id).first()
    if plan is None:
        raise policy.not_found()
    premises = await policy.premises_of(plan)
    if not may(context.actor, premises):
        if policy.may_see(context.actor, premises):
            raise DomainError("not_yours_to_do", N_("You may see this plan but not do this on it."))
        raise policy.not_found()
    return plan, premises


@command("loading.submit_plan", payload=SubmitPlan, roles={Role.WAREHOUSE}, label=N_("Loading or transhipment plan submitted"))
async def submit_plan(context: CommandContext, payload: SubmitPlan) -> dict[str, Any]:
    if payload.premises_id is not None:
        # Art 40.2: the operator notifies the plan of its own warehouse, yard or port: one the staff member works at.
        premises = await premises_row(payload.premises_id)
        if not policy.may_submit(context.actor, premises):
            raise DomainError("not_your_premises", N_("You can submit plans only for the premises you work at (Decision 1966, Art 40.2)."))
    else:  # the premises on their account (or, with none there, the first they work at)
        mine = [context.actor.premises_id] if context.actor.premises_id is not None else list(context.actor.premises_ids)[:1]
        premises = await premises_row(mine[0]) if mine else None
    if not policy.may_submit(context.actor, premises):
        raise DomainError("no_premises", N_("Your account is not attached to a port or warehouse: ask your administrator."))
    assert premises is not None
    notice = _text(payload.notice_number, "notice_required", N_("Write the number of the written notice."))
    carrier = _text(payload.carrier_name, "carrier_required", N_("Write the carrier's or enterprise's name."))
    vessel = _text(payload.vessel, "vessel_required", N_("Write the vessel or vehicle."))
    place = _text(payload.place, "place_required", N_("Write where the goods are loaded, unloaded or transferred."))
    goods = _text(payload.goods, "goods_required", N_("Describe the goods concerned."))
    starts = _moment(payload.starts_at, "invalid_start", N_("Write when the work starts (date and time)."))
    ends = _moment(payload.ends_at, "invalid_end", N_("Write when the work ends (date and time)."))
    if ends <= starts:
        raise DomainError("ends_before_start", N_("The work must end after it starts."))
    containers = parse_containers(payload.containers)  # every line checked before anything is written
    plan_id = (
        await LoadingPlan.insert(
            LoadingPlan(
                command_id=context.command_id, branch=premises["branch"], premises=premises["id"], submitted_by=context.actor.id,
                kind=payload.kind.value, notice_number=notice, carrier_name=carrier, vessel=vessel, voyage=payload.voyage.strip(),
                place=place, starts_at=starts, ends_at=ends, goods=goods, declarations=_declarations(payload.declarations),
                state=PlanState.SUBMITTED.value, issued_at=context.issued_at, recorded_at=context.received_at,
            )
        ).returning(LoadingPlan.id)
    )[0]["id"]
    count = await _add_containers(plan_id, containers)
    return {"plan_id": plan_id, "state": PlanState.SUBMITTED.value, "containers": count}


@command("loading.import_containers", payload=ImportContainers, roles={Role.WAREHOUSE}, label=N_("Containers added to a loading plan"))
async def import_containers(context: CommandContext, payload: ImportContainers) -> dict[str, Any]:
    plan, _ = await _plan_for(context, payload.plan_id, policy.may_withdraw)
    if plan["state"] != PlanState.SUBMITTED.value:
        raise DomainError("plan_not_open", N_("Containers are added only before the supervision team proposes a measure."))
    last = await LoadingContainer.select(LoadingContainer.line).where(LoadingContainer.plan == plan["id"]).order_by(LoadingContainer.line, ascending=False).first()
    # The file's lines follow the plan's (line numbers stay unique); errors name the file's own lines.
    count = await _add_containers(plan["id"], parse_containers(payload.csv), first_line=last["line"] if last else 0)
    if count == 0:
        raise DomainError("no_containers", N_("The file has no container."))
    return {"plan_id": plan["id"], "containers": count}


@command("loading.withdraw_plan", payload=WithdrawPlan, roles={Role.WAREHOUSE}, label=N_("Loading plan withdrawn"))
async def withdraw_plan(context: CommandContext, payload: WithdrawPlan) -> dict[str, Any]:
    plan, _ = await _plan_for(context, payload.plan_id, policy.may_withdraw)
    reason = _text(payload.reason, "reason_required", N_("Give the reason."))
    await transition(plan["id"], plan["state"], PlanState.WITHDRAWN, by=context.actor.id, at=context.issued_at, withdraw_reason=reason)
    return {"plan_id": plan["id"], "state": PlanState.WITHDRAWN.value}


@command("loading.propose_measure", payload=ProposeMeasure, roles={Role.OFFICER, Role.SUPERVISOR}, label=N_("Supervision measure proposed for a loading plan"))
async def propose_measure(context: CommandContext, payload: ProposeMeasure) -> dict[str, Any]:
    plan, _ = await _plan_for(context, payload.plan_id, policy.may_propose)
    check(plan["state"], PlanState.PROPOSED)
    measure = _text(payload.measure, "measure_required", N_("Describe the measure: who supervises, where, how."))
    await transition(plan["id"], plan["state"], PlanState.PROPOSED, by=context.actor.id, at=context.issued_at,
                     proposed_method=payload.method.value, proposed_measure=measure)
    return {"plan_id": plan["id"], "state": PlanState.PROPOSED.value}


@command("loading.decide", payload=Decide, roles={Role.SUPERVISOR}, label=N_("Head's decision on a loading plan's supervision measure"))
async def decide(context: CommandContext, payload: Decide) -> dict[str, Any]:
    plan, _ = await _plan_for(context, payload.plan_id, policy.may_decide)
    if payload.decision == "approve":
        target, method, measure = PlanState.APPROVED, plan["proposed_method"], plan["proposed_measure"]
    else:
        target = PlanState.CHANGED
        if not payload.method:
            raise DomainError("method_required", N_("Choose the supervision method you decide."))
        method = payload.method
        measure = _text(payload.measure, "measure_required", N_("Describe the measure: who supervises, where, how."))
    await transition(plan["id"], plan["state"], target, by=context.actor.id, at=context.issued_at,
                     decided_method=method, decided_measure=measure, decision_note=payload.note.strip())
    return {"plan_id": plan["id"], "state": target.value}


# --- the logbook's words for these commands -------------------------------------------------------------------


def _summary(payload: dict[str, Any], result: dict[str, Any]) -> Summary:
    parts = []
    if payload.get("kind") in KIND_LABELS:
        parts.append(gettext(KIND_LABELS[payload["kind"]]))
    for key in ("notice_number", "vessel"):
        if payload.get(key):
            parts.append(str(payload[key]))
    if result.get("plan_id"):
        parts.append(gettext("plan %(id)s", id=result["plan_id"]))
    if payload.get("method") in METHOD_LABELS:
        parts.append(gettext(METHOD_LABELS[payload["method"]]))
    if result.get("state") in STATE_LABELS:
        parts.append(gettext(STATE_LABELS[result["state"]]))
    text = str(payload.get("measure") or payload.get("reason") or payload.get("note") or "").strip()
    return Summary(detail=" · ".join(parts), text=text)


for _type in ("loading.submit_plan", "loading.import_containers", "loading.withdraw_plan", "loading.propose_measure", "loading.decide"):
    SUMMARIES[_type] = _summary
