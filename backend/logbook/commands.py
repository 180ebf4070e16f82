"""Logbook commands."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from backend.files import services as files
from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError
from backend.lib.structs import RowId, Struct
from backend.logbook.tables import LogbookEntry
from backend.officers.services import location_of_branch
from backend.officers.tables import Role


MAX_PHOTOS = 10
PHOTO_RECORD = "logbook_entry"  # how the files domain names what a photo is attached to
# A logbook entry's photos are read by those who read the branch's logbook (logbook/controllers.py).
files.register_record_type(PHOTO_RECORD, {Role.OFFICER, Role.SUPERVISOR})


class AddLogbookEntry(Struct):
    """An officer's note in the logbook (sổ theo dõi), with the enterprise representative when there is one."""

    location_id: RowId
    text: Annotated[str, msgspec.Meta(max_length=4000)]  # blank text is refused by the handler, in words
    representative_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    representative_id_number: Annotated[str, msgspec.Meta(max_length=32)] = ""
    # Photos (SHA-256 of each file): the device uploads them before this command (docs/offline.md).
    photos: Annotated[list[Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]], msgspec.Meta(max_length=MAX_PHOTOS)] = []


@command(
    "logbook.add_entry", payload=AddLogbookEntry, roles={Role.OFFICER, Role.SUPERVISOR}, label=N_("Logbook entry")
)
async def add_entry(context: CommandContext, payload: AddLogbookEntry) -> dict[str, Any]:
    text = payload.text.strip()
    if not text:
        raise DomainError("empty_text", N_("Write what happened."))
    await location_of_branch(context.actor, payload.location_id)
    photos = list(dict.fromkeys(payload.photos))
    await files.require_attachable(context.actor, photos)
    entry_id = (
        await LogbookEntry.insert(
            LogbookEntry(
                command_id=context.command_id,
                location=payload.location_id,
                officer=context.actor.id,
                text=text,
                representative_name=payload.representative_name.strip(),
                representative_id_number=payload.representative_id_number.strip(),
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(LogbookEntry.id)
    )[0]["id"]
    for sha256 in photos:
        await files.attach(sha256, PHOTO_RECORD, entry_id, context.actor.branch_id)
    return {"entry_id": entry_id, "photos": len(photos)}
