"""An inbox item's evidence, opened on the item itself (issue 15, item 1): the declaration it concerns (status,
lane, containers and their seals, warnings) and who did what, when, on that declaration in this branch (the
journal's rows, with their notes and photos), newest first.

Who: the item must be in the asking supervisor's inbox now (found again on the server by kind and ref), so a ref
guessed for another branch's item, or an item decided meanwhile, answers nothing. The journal rows are the
supervisor's own branch's (its chain): a branch cannot make itself concerned with another branch's actions by
reporting on a declaration number (docs/inbox.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.declarations.schemas import DeclarationView
from backend.declarations.services import declaration_by_number
from backend.inbox import services
from backend.inbox.schemas import InboxItem
from backend.journal.tables import JournalEntry
from backend.lib.errors import DomainError
from backend.logbook.services import JOURNAL_COLUMNS, Action, actions_from_rows
from backend.officers.schemas import Actor
from backend.settings import Settings

ACTIONS_SHOWN = 50  # the newest; the declaration's own pages have the rest


@dataclass(frozen=True)
class ItemEvidence:
    item: InboxItem
    declaration: DeclarationView | None
    actions: list[Action]  # newest first


async def evidence_for(actor: Actor, settings: Settings, kind: str, ref: str) -> ItemEvidence | None:
    """The evidence of the supervisor's inbox item `kind`/`ref`, or None when no such item waits for them."""
    inbox = await services.inbox_for(actor, settings)
    item = next((item for group in inbox.groups for item in group.items if item.kind == kind and item.ref == ref), None)
    if item is None:
        return None
    if not item.number:
        return ItemEvidence(item=item, declaration=None, actions=[])
    try:
        declaration: DeclarationView | None = await declaration_by_number(item.number)
    except DomainError:  # not in the mirror (a number typed at the gate): the actions still tell what happened
        declaration = None
    rows = await (
        JournalEntry.select(*JOURNAL_COLUMNS)
        .where((JournalEntry.declaration_number == item.number) & (JournalEntry.chain == actor.branch_code))
        .order_by(JournalEntry.made_at_utc, ascending=False)
        .limit(ACTIONS_SHOWN)
    )
    return ItemEvidence(item=item, declaration=declaration, actions=await actions_from_rows(rows))
