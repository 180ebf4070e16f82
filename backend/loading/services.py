"""Reading loading plans for the people the policy lets see them (backend/loading/policy.py)."""

from __future__ import annotations

from typing import Any

from backend.loading import policy
from backend.loading.tables import LoadingContainer, LoadingPlan
from backend.loading.workflow import PlanState
from backend.officers.schemas import Actor
from backend.officers.tables import Location, Role
from backend.warehouse.policy import premises_row

LIST_LIMIT = 200

_COLUMNS = (
    LoadingPlan.all_columns(),
    LoadingPlan.premises.name.as_alias("premises_name"),
    LoadingPlan.submitted_by.full_name.as_alias("submitted_by_name"),
    LoadingPlan.proposed_by.full_name.as_alias("proposed_by_name"),
    LoadingPlan.decided_by.full_name.as_alias("decided_by_name"),
)


def staff_premises(actor: Actor) -> list[int]:
    """Every premises a warehouse user works at, the one on their account first (the set `works_at` reads)."""
    ids = [premises_id for premises_id in (actor.premises_ids or ()) if premises_id != actor.premises_id]
    return ([actor.premises_id] if actor.premises_id is not None else []) + ids


async def premises_for_form(actor: Actor) -> list[dict[str, Any]]:
    """The premises a warehouse user may submit a plan for (Art 40.2: the operator of the warehouse, yard or port
    notifies its own plan): every premises they work at, the one on their account first; anyone else none."""
    if actor.role != Role.WAREHOUSE:
        return []
    found = []
    for premises_id in staff_premises(actor):
        premises = await premises_row(premises_id)
        if policy.may_submit(actor, premises):
            found.append(premises)
    return found


async def plans_for(actor: Actor, *, states: list[PlanState] | None = None, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The plans the actor sees, newest first: an operator's staff, their premises' (whatever branch manages them);
    customs, the plans at premises their branch manages now; anyone else, none."""
    if actor.role == Role.WAREHOUSE:
        mine = staff_premises(actor)
        if not mine:
            return []
        # Every premises they work at (issue 16 item 1, the premises seam): never one a request names.
        where = LoadingPlan.premises.is_in(mine)
    elif actor.role in (Role.OFFICER, Role.SUPERVISOR) and actor.branch_id is not None:
        managed = [row["id"] for row in await Location.select(Location.id).where((Location.branch == actor.branch_id) & (Location.kind != "gate"))]
        if not managed:
            return []
        where = LoadingPlan.premises.is_in(managed)
    else:
        return []
    if states:
        where = where & LoadingPlan.state.is_in([state.value for state in states])
    return await LoadingPlan.select(*_COLUMNS).where(where).order_by(LoadingPlan.id, ascending=False).limit(limit)


async def plan_for(actor: Actor, plan_id: int) -> dict[str, Any]:
    """One plan with its containers, if the actor may see it; NotFound otherwise (the plan is not theirs to know)."""
    plan = await LoadingPlan.select(*_COLUMNS).where(LoadingPlan.id == plan_id).first()
    if plan is None:
        raise policy.not_found()
    premises = await policy.premises_of(plan)
    if not policy.may_see(actor, premises):
        raise policy.not_found()
    plan["containers"] = await LoadingContainer.select().where(LoadingContainer.plan == plan_id).order_by(LoadingContainer.line)
    plan["may_withdraw"] = policy.may_withdraw(actor, premises) and plan["state"] == PlanState.SUBMITTED
    plan["may_propose"] = policy.may_propose(actor, premises) and plan["state"] == PlanState.SUBMITTED
    plan["may_decide"] = policy.may_decide(actor, premises) and plan["state"] == PlanState.PROPOSED
    return plan
