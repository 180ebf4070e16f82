"""Who sees the dashboard: a supervisor of a branch, for that branch. An officer, warehouse staff and an admin get
403 (the figures are the head's, for running the branch); every figure is read by the asking supervisor's own
branch, so a supervisor of another branch sees nothing of this one."""

from __future__ import annotations

from backend.officers.schemas import Actor
from backend.officers.tables import Role


def has_dashboard(actor: Actor) -> bool:
    return actor.role == Role.SUPERVISOR and actor.branch_id is not None
