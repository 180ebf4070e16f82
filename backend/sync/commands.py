"""Commands of the sync domain: declaring and ending contingency mode, reviewing what was made in it, and what the
automatic check of the upstream customs system found."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec

from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError, Forbidden
from backend.lib.structs import Struct
from backend.officers.tables import Role
from backend.sync import policy, reconciliation, upstream
from backend.sync.tables import ContingencyPeriod, ReconciliationReview, UpstreamOutage
from backend.journal.tables import JournalEntry


class DeclareContingency(Struct):
    """The upstream customs system is down: work goes on in contingency mode (domain.md W9)."""

    reason: Annotated[str, msgspec.Meta(max_length=500)]


class EndContingency(Struct):
    """The upstream system is back: contingency mode ends and reconciliation begins."""

    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ReviewCommands(Struct):
    """A supervisor has reconciled commands made offline or in contingency mode."""

    command_ids: Annotated[list[UUID], msgspec.Meta(max_length=200)]  # none chosen: refused in words
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class RecordUpstreamStatus(Struct):
    """What the automatic check found: the upstream customs system stopped answering, or answers again."""

    answering: bool
    detail: Annotated[str, msgspec.Meta(max_length=500)] = ""


async def _open_in_scope(branch_id: int | None) -> dict[str, Any] | None:
    where = ContingencyPeriod.ended_at.is_null()
    where &= ContingencyPeriod.branch.is_null() if branch_id is None else ContingencyPeriod.branch == branch_id
    return await ContingencyPeriod.select(ContingencyPeriod.id).where(where).first()


@command(
    "sync.declare_contingency",
    payload=DeclareContingency,
    roles={Role.SUPERVISOR, Role.ADMIN},
    label=N_("Contingency mode declared"),
)
async def declare_contingency(context: CommandContext, payload: DeclareContingency) -> dict[str, Any]:
    reason = payload.reason.strip()
    if not reason:
        raise DomainError("empty_reason", N_("Say why the system cannot be used."))
    branch_id = policy.contingency_branch(context.actor)
    if await _open_in_scope(branch_id) is not None:
        raise DomainError("contingency_open", N_("Contingency mode is already declared."))
    period_id = (
        await ContingencyPeriod.insert(
            ContingencyPeriod(
                branch=branch_id,
                reason=reason,
                started_at=context.received_at,
                started_by=context.actor.id,
                start_command_id=context.command_id,
            )
        ).returning(ContingencyPeriod.id)
    )[0]["id"]
    return {"period_id": period_id}


@command(
    "sync.end_contingency", payload=EndContingency, roles={Role.SUPERVISOR, Role.ADMIN}, label=N_("Contingency mode ended")
)
async def end_contingency(context: CommandContext, payload: EndContingency) -> dict[str, Any]:
    period = await _open_in_scope(policy.contingency_branch(context.actor))
    if period is None:
        raise DomainError("contingency_not_open", N_("Contingency mode is not declared."))
    await ContingencyPeriod.update(
        {
            ContingencyPeriod.ended_at: context.received_at,
            ContingencyPeriod.ended_by: context.actor.id,
            ContingencyPeriod.end_command_id: context.command_id,
        }
    ).where(ContingencyPeriod.id == period["id"])
    return {"period_id": period["id"]}


@command("sync.review_commands", payload=ReviewCommands, roles={Role.SUPERVISOR}, label=N_("Actions reconciled"))
async def review_commands(context: CommandContext, payload: ReviewCommands) -> dict[str, Any]:
    # Reads journal rows committed before this command: a command applied in the same group commit is not
    # visible yet (journal/services.py), and would be refused here as unknown; the supervisor sends again.
    if not payload.command_ids:
        raise DomainError("nothing_chosen", N_("Choose at least one action to mark as reconciled."))
    branch_code = context.actor.branch_code
    ids = list(dict.fromkeys(payload.command_ids))
    # What /reconciliation lists: marked offline / contingency, or with an implausible time.
    marked = await JournalEntry.select(JournalEntry.command_id).where(
        JournalEntry.command_id.is_in(ids) & reconciliation.reviewable(branch_code)
    )
    found = {row["command_id"] for row in marked}
    missing = [str(command_id) for command_id in ids if command_id not in found]
    if missing:
        raise DomainError(
            "not_reconcilable",
            N_("These actions are not offline or contingency actions of your branch: %(ids)s"),
            ids=", ".join(missing[:5]),
        )
    already = {
        row["command_id"]
        for row in await ReconciliationReview.select(ReconciliationReview.command_id).where(
            ReconciliationReview.command_id.is_in(ids)
        )
    }
    new = [command_id for command_id in ids if command_id not in already]
    if new:
        await ReconciliationReview.insert(
            *[
                ReconciliationReview(
                    command_id=command_id,
                    reviewed_by=context.actor.id,
                    reviewed_at=context.received_at,
                    note=payload.note.strip(),
                    review_command_id=context.command_id,
                )
                for command_id in new
            ]
        )
    return {"reviewed": len(new), "already_reviewed": len(ids) - len(new)}


@command(
    "sync.record_upstream_status",
    payload=RecordUpstreamStatus,
    roles={Role.ADMIN},
    label=N_("Customs system status recorded"),
)
async def record_upstream_status(context: CommandContext, payload: RecordUpstreamStatus) -> dict[str, Any]:
    """A change of the upstream system's state, as the probe saw it (sync/upstream.py); it declares nothing.
    Only the probe's system officer sends it. The same state twice is refused, so that with the chain lock a
    change is recorded once however many processes probe (their command ids agree too)."""
    if not upstream.is_probe(context.actor):
        raise Forbidden("upstream_probe_only", N_("Only the automatic check records the customs system's state."))
    current = await upstream.latest_outage()
    if payload.answering:
        if current is None or current.ended_at is not None:
            raise DomainError("upstream_state_unchanged", N_("The customs system is already recorded as answering."))
        await UpstreamOutage.update(
            {UpstreamOutage.ended_at: context.received_at, UpstreamOutage.end_command_id: context.command_id}
        ).where(UpstreamOutage.id == current.id)
        return {"outage_id": current.id, "answering": True}
    if current is not None and current.ended_at is None:
        raise DomainError("upstream_state_unchanged", N_("The customs system is already recorded as not answering."))
    outage_id = (
        await UpstreamOutage.insert(
            UpstreamOutage(started_at=context.received_at, start_command_id=context.command_id)
        ).returning(UpstreamOutage.id)
    )[0]["id"]
    return {"outage_id": outage_id, "answering": False}
