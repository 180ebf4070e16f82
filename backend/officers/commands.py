"""Admin commands: creating an officer, issuing an enrollment link, activating and deactivating.

Each is journaled like any other action (on the admin's branch chain; "HQ" for a national admin), so who made an
officer, who could enroll a passkey for them and who switched them off can be audited. The scope rule is in
officers/services.py: a branch admin acts on their own branch only, a national admin on every branch.

An enrollment link's secret never reaches the journal: the caller makes it (auth.services.new_enrollment_token),
sends only its SHA-256 in the payload, and shows the link to the admin who asked.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from backend.auth.services import ENROLLMENT_MAX_HOURS, store_enrollment
from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError, Forbidden
from backend.lib.structs import RowId, Struct
from backend.officers import policy, services
from backend.officers.tables import Branch, Role

TokenHash = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class CreateOfficer(Struct):
    """A new officer of a branch, with their first enrollment link when `enrollment_token_hash` is given."""

    code: Annotated[str, msgspec.Meta(max_length=32)]
    full_name: Annotated[str, msgspec.Meta(max_length=200)]
    role: Annotated[str, msgspec.Meta(max_length=16)]
    branch_code: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    premises_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    enrollment_token_hash: TokenHash | None = None
    # An admin with no branch, acting on every branch: only the command line's actor may make one.
    national: bool = False


class IssueEnrollment(Struct):
    """A single-use link that registers a passkey for the officer (a new phone, a lost one)."""

    officer_id: RowId
    token_hash: TokenHash


class SetActive(Struct):
    """Switch an officer on or off. Off ends their sessions and revokes their API tokens."""

    officer_id: RowId
    active: bool


def _refuse_other_branch() -> DomainError:
    return Forbidden("branch_not_yours", N_("You manage the officers of your own branch only."))


@command("officers.create_officer", payload=CreateOfficer, roles={Role.ADMIN}, label=N_("Officer created"))
async def create_officer(context: CommandContext, payload: CreateOfficer) -> dict[str, Any]:
    actor = context.actor
    policy.require_admin_session(actor)
    if payload.code.strip().upper() in services.RESERVED_CODES:
        raise DomainError("code_taken", N_("An officer with code %(code)s already exists."), code=payload.code.strip())
    branch_code = (payload.branch_code or "").strip() or None
    if payload.national:
        if actor.code != services.CONSOLE_CODE or not actor.is_national_admin:
            raise Forbidden("national_admin_cli_only", N_("A national administrator is created only with the giamsat command."))
        if payload.role != Role.ADMIN or branch_code is not None:
            raise DomainError("national_admin_shape", N_("A national administrator is an administrator with no branch."))
    elif branch_code is None:
        if payload.role == Role.ADMIN:
            raise Forbidden("national_admin_cli_only", N_("A national administrator is created only with the giamsat command."))
        raise DomainError("branch_required", N_("Officers, supervisors and warehouse staff belong to a branch."))
    else:
        branch = await Branch.select(Branch.id).where(Branch.code == branch_code).first()
        if branch is None and actor.is_national_admin:
            raise DomainError("unknown_branch", N_("Unknown branch: %(code)s"), code=branch_code)
        if branch is None or not policy.may_manage_branch(actor, branch["id"]):
            raise _refuse_other_branch()
    officer_id = await services.create_officer(
        payload.code, payload.full_name, payload.role, branch_code, (payload.premises_code or "").strip() or None
    )
    result: dict[str, Any] = {"officer_id": officer_id, "code": payload.code.strip(), "role": payload.role}
    if payload.enrollment_token_hash is not None:
        result["enrollment_id"] = await store_enrollment(officer_id, payload.enrollment_token_hash, ENROLLMENT_MAX_HOURS)
    return result


@command("officers.issue_enrollment", payload=IssueEnrollment, roles={Role.ADMIN}, label=N_("Enrollment link issued"))
async def issue_enrollment(context: CommandContext, payload: IssueEnrollment) -> dict[str, Any]:
    policy.require_admin_session(context.actor)
    if payload.officer_id == context.actor.id:
        # An admin's own devices are added from "My devices", after a check with one of their passkeys: a stolen
        # admin session must not mint itself a passkey here.
        raise Forbidden("own_enrollment", N_("Add your own devices from My devices."))
    officer = await policy.officer_in_scope(context.actor, payload.officer_id)
    if not officer["active"]:
        raise DomainError("officer_inactive", N_("This account is not active."))
    enrollment_id = await store_enrollment(officer["id"], payload.token_hash, ENROLLMENT_MAX_HOURS)
    return {"officer_id": officer["id"], "code": officer["code"], "enrollment_id": enrollment_id}


@command("officers.set_active", payload=SetActive, roles={Role.ADMIN}, label=N_("Officer activated or deactivated"))
async def set_active(context: CommandContext, payload: SetActive) -> dict[str, Any]:
    policy.require_admin_session(context.actor)
    if payload.officer_id == context.actor.id and not payload.active:
        # The last admin locking themselves out would leave nobody to manage the branch's officers.
        raise DomainError("self_deactivation", N_("You cannot deactivate your own account."))
    officer = await policy.officer_in_scope(context.actor, payload.officer_id)
    await services.set_active(officer["id"], payload.active)
    return {"officer_id": officer["id"], "code": officer["code"], "active": payload.active}
