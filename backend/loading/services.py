"""Reading loading plans for the people the policy lets see them (backend/loading/policy.py)."""

from __future__ import annotations

from typing import Any

from backend.loading import policy
from backend.loading.tables import LoadingContainer, LoadingPlan
from backend.loading.workflow import PlanState
from backend.officers.schemas import Actor
from backend.officers.tables import Location, Role

LIST_LIMIT = 200

_COLUMNS = (
    LoadingPlan.all_columns(),
    LoadingPlan.premises.name.as_alias("premises_name"),
    LoadingPlan.submitted_by.full_name.as_alias("submitted_by_name"),
    LoadingPlan.proposed_by.full_name.as_alias("proposed_by_name"),
    LoadingPlan.decided_by.full_name.as_alias("decided_by_name"),
)


async def plans_for(actor: Actor, *, states: list[PlanState] | None = None, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The plans the actor sees, newest first: an operator's staff, their premises' (whatever branch manages them);
    customs, the plans at premises their branch manages now; anyone else, none."""
    if actor.role == Role.WAREHOUSE and actor.premises_id is not None:
        where = LoadingPlan.premises == actor.premises_id
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
