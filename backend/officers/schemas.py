from __future__ import annotations

import msgspec

from backend.officers.tables import Role


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who is making a request, as the server established it (never as the page claims)."""

    id: int
    code: str
    full_name: str
    role: Role
    branch_id: int | None
    branch_code: str | None
    branch_name: str | None
    premises_id: int | None = None
    # Warehouse staff: every premises they work at (premises_id among them; warehouse/operators.py premises_ids_of).
    premises_ids: tuple[int, ...] = ()
    # Established by an API token, not by a signed-in browser: such an actor may not register passkeys nor act as
    # an admin over officers (docs/security.md, "A stolen token").
    via_token: bool = False

    @property
    def is_national_admin(self) -> bool:
        """An admin with no branch acts on every branch. Only `giamsat officer add --national` makes one."""
        return self.role == Role.ADMIN and self.branch_id is None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class OfficerView(msgspec.Struct, kw_only=True):
    id: int
    code: str
    full_name: str
    role: str
    branch_code: str | None
    active: bool
