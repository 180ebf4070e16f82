"""What the transit read side answers: a case with its timeline, the officer's lists, the overdue list, the letters."""

from __future__ import annotations

from datetime import datetime

import msgspec


class TransitEventView(msgspec.Struct, kw_only=True):
    from_state: str
    to_state: str
    officer_code: str | None  # None: the national system
    officer_name: str | None
    made_at: datetime
    recorded_at: datetime
    clause: str  # Decision 1966
    note: str


class TransitCaseView(msgspec.Struct, kw_only=True):
    """A transit declaration's case as its departure or destination branch sees it, with its timeline (oldest first)."""

    number: str
    kind: str
    state: str
    state_label: str
    departure_branch_code: str
    destination_code: str
    transit_hours: int
    exit_mode: str
    combined_case: str
    assigned_officer_code: str | None
    instructions: str  # "Nội dung giao việc"
    decision_code: str  # the last CET: A, C or X
    decision_reason: str
    departed_at: datetime | None
    deadline: datetime | None
    overdue: bool
    exit_area_at: datetime | None
    arrived_at: datetime | None
    violation_note: str
    penalty_note: str
    amendment_kind: str  # COR / CAN in progress
    amendment_proposal: str
    amendment_decision: str
    trace_opened_at: datetime | None
    trace_outcome: str
    arrival_check: str = ""  # the destination's check (41.2.a.1-2): "" not made, passed, failed
    timeline: list[TransitEventView]


class TransitListItem(msgspec.Struct, kw_only=True):
    number: str
    kind: str
    state: str
    state_label: str
    departure_branch_code: str
    destination_code: str
    deadline: datetime | None
    overdue: bool
    changed_at: datetime


class TransitLists(msgspec.Struct, kw_only=True):
    """The officer's transit list: what waits for them, and for their branch."""

    assigned_to_me: list[TransitListItem]  # CES named me: check, propose, send CET
    to_assign: list[TransitListItem]  # supervisors: yellow lane, amendments received, proposals to decide
    to_seal: list[TransitListItem]  # green or approved: sealing (41.1.c)
    to_depart: list[TransitListItem]  # sealed: BOA (41.1.4.a)
    to_confirm_arriving: list[TransitListItem]  # addressed to my branch, departed: BIA (41.2)


class VerificationView(msgspec.Struct, kw_only=True):
    id: int
    number: str
    from_branch_code: str
    to_branch_code: str
    letter: str
    requested_at: datetime
    answer: str
    answered_at: datetime | None
