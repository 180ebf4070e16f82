"""Files: storing uploads, linking them to records, and deciding who may see them.

An upload is checked (hash, type, size, pixels), its copies made (images.py), and its bytes written to the
store before the row that says the server has it: a row always has its bytes. Any refusal stores nothing.
Command handlers call `require_uploaded` and `attach` inside their transaction (plain Piccolo queries join it).
"""

from __future__ import annotations

import hashlib
from typing import Awaitable, Callable, Iterable, Literal

from backend.files import images
from backend.files.schemas import FileInfo
from backend.files.store import FileStore, display_key, is_sha256, original_key, thumb_key
from backend.files.tables import FileAttachment, StoredFile
from backend.lib import image_work
from backend.lib.errors import N_, DomainError
from backend.officers.schemas import Actor
from backend.officers.tables import Role

_INFO_COLUMNS = (StoredFile.sha256, StoredFile.content_type, StoredFile.size, StoredFile.width, StoredFile.height)


def check_sha256(sha256: str) -> None:
    """Refuse a file name that is not a SHA-256 (64 lowercase hexadecimal characters)."""
    if not is_sha256(sha256):
        raise DomainError("invalid_hash", N_("A file is named by its SHA-256: 64 lowercase hexadecimal characters."))


async def stored_info(sha256: str) -> FileInfo | None:
    """What the server holds under a hash, or None."""
    row = await StoredFile.select(*_INFO_COLUMNS).where(StoredFile.sha256 == sha256).first()
    return FileInfo(**row) if row else None


async def save_upload(
    store: FileStore, actor: Actor, sha256: str, declared_type: str | None, body: bytes
) -> tuple[FileInfo, bool]:
    """Store an uploaded file under its SHA-256; answer its info and whether it was new (created).

    The hash must be the SHA-256 of `body` (else `file_hash_mismatch`). A hash the server already holds is a
    no-op answering created=False: a device retrying an upload is harmless. A new file must be a JPEG, PNG or
    WebP photo of the declared type, within the size and pixel limits (images.process); its original, display
    copy and thumbnail are written, then the row. Two identical uploads at once write the same bytes and one row.
    """
    check_sha256(sha256)
    images.check_size(len(body))
    if hashlib.sha256(body).hexdigest() != sha256:
        raise DomainError(
            "file_hash_mismatch",
            N_("The file does not match its SHA-256: it was changed or cut short on the way. Send it again."),
        )
    existing = await stored_info(sha256)
    if existing is not None:
        return existing, False
    processed = await image_work.run(images.process, body, declared_type)
    await store.put(original_key(sha256), body)
    await store.put(display_key(sha256), processed.display)
    await store.put(thumb_key(sha256), processed.thumb)
    info = FileInfo(
        sha256=sha256,
        content_type=processed.content_type,
        size=len(body),
        width=processed.width,
        height=processed.height,
    )
    inserted = await (
        StoredFile.insert(
            StoredFile(
                sha256=sha256,
                content_type=info.content_type,
                size=info.size,
                width=info.width,
                height=info.height,
                uploaded_by=actor.id,
                uploaded_branch=actor.branch_id,
            )
        )
        # Another request stored the same bytes in the meantime: its row stands, ours was the same file.
        .on_conflict(target=StoredFile.sha256, action="DO NOTHING")
        .returning(StoredFile.id)
    )
    return info, bool(inserted)


# Who may read the records of each kind that hold files: the roles, within the branches the record is attached for
# (FileAttachment.branch). Domains register their kinds (`register_record_type`); a kind nobody registered is
# readable by nobody. A file is readable exactly where a record holding it is readable, and by its uploader.
RECORD_READERS: dict[str, frozenset[Role]] = {}


def register_record_type(record_type: str, roles: Iterable[Role]) -> None:
    """Declare a kind of record that holds files (e.g. "logbook_entry") and the roles that read it in its branch."""
    RECORD_READERS[record_type] = frozenset(roles)


# Readers a domain names beyond the roles of a branch: a predicate on the actor and the ids of the records of its kind
# holding the file (warehouse staff of the premises an anomaly record was made at, not every premises of the branch).
RecordReader = Callable[[Actor, list[int]], Awaitable[bool]]
RECORD_READER_CHECKS: dict[str, RecordReader] = {}


def register_record_reader(record_type: str, may_read: RecordReader) -> None:
    """Declare who else reads a kind of record's files: `may_read(actor, record_ids)` says whether the actor reads
    one of those records (the domain's own policy decides; the files domain knows no premises)."""
    RECORD_READER_CHECKS[record_type] = may_read


async def require_uploaded(sha256s: list[str]) -> None:
    """Refuse (`photo_missing`) unless every one of these files is on the server; for command handlers.

    The device uploads a command's files before the command, so a missing one means the order was broken
    or an upload was refused.
    """
    wanted = list(dict.fromkeys(sha256s))
    if not wanted:
        return
    rows = await StoredFile.select(StoredFile.sha256).where(StoredFile.sha256.is_in(wanted))
    found = {row["sha256"] for row in rows}
    for sha256 in wanted:
        if sha256 not in found:
            raise DomainError(
                "photo_missing", N_("A photo of this entry has not reached the server yet: %(sha)s"), sha=sha256
            )


async def attach(sha256: str, record_type: str, record_id: int, branch_id: int | None) -> None:
    """Link a stored file to a record (e.g. "logbook_entry", 42) of a branch; attaching twice is a no-op.

    Call it in the command's transaction. The people of `branch_id` may then see the file (may_see).
    """
    await require_uploaded([sha256])
    # Piccolo has no composite unique constraint; a record's files are attached by the one command that
    # makes the record, so no other writer races this check.
    already = await FileAttachment.exists().where(
        (FileAttachment.sha256 == sha256)
        & (FileAttachment.record_type == record_type)
        & (FileAttachment.record_id == record_id)
    )
    if not already:
        await FileAttachment.insert(
            FileAttachment(sha256=sha256, record_type=record_type, record_id=record_id, branch=branch_id)
        )


async def files_of(record_type: str, record_id: int) -> list[str]:
    """The hashes of a record's files, in the order they were attached."""
    rows = (
        await FileAttachment.select(FileAttachment.sha256)
        .where((FileAttachment.record_type == record_type) & (FileAttachment.record_id == record_id))
        .order_by(FileAttachment.id)
    )
    return [row["sha256"] for row in rows]


async def may_see(actor: Actor, sha256: str) -> bool:
    """Whether `actor` may see a stored file: its uploader, or a reader of a record that holds it.

    A reader of a record is someone of a role registered for the record's kind, in a branch the record is
    attached for (a logbook entry: its branch; a handover record: its departure and its receiving branch). No
    role sees every file: an administrator manages people, not evidence.
    """
    row = await StoredFile.select(StoredFile.uploaded_by).where(StoredFile.sha256 == sha256).first()
    if row is None:
        return False
    if row["uploaded_by"] == actor.id:
        return True
    kinds = [kind for kind, roles in RECORD_READERS.items() if actor.role in roles]
    if actor.branch_id is not None and kinds and await FileAttachment.exists().where(
        (FileAttachment.sha256 == sha256)
        & (FileAttachment.branch == actor.branch_id)
        & FileAttachment.record_type.is_in(kinds)
    ):
        return True
    return await _a_domain_reader(actor, sha256)


async def _a_domain_reader(actor: Actor, sha256: str) -> bool:
    """Whether a domain's own reader check (register_record_reader) lets the actor read a record holding the file."""
    if not RECORD_READER_CHECKS:
        return False
    held: dict[str, list[int]] = {}
    for attachment in await FileAttachment.select(FileAttachment.record_type, FileAttachment.record_id).where(
        (FileAttachment.sha256 == sha256) & FileAttachment.record_type.is_in(list(RECORD_READER_CHECKS))
    ):
        held.setdefault(attachment["record_type"], []).append(attachment["record_id"])
    for record_type, record_ids in held.items():
        if await RECORD_READER_CHECKS[record_type](actor, record_ids):
            return True
    return False


async def require_attachable(actor: Actor, sha256s: list[str]) -> None:
    """Refuse unless every file is on the server (`photo_missing`) and the actor may attach it: they uploaded it,
    or may already see it. Knowing a file's hash is not enough: a leaked hash must not let another branch pull a
    photo into a record of its own and then read it (issue 11, finding 1)."""
    wanted = list(dict.fromkeys(sha256s))
    await require_uploaded(wanted)
    for sha256 in wanted:
        if not await may_see(actor, sha256):
            raise DomainError("photo_not_yours", N_("This photo was not taken on your devices: %(sha)s"), sha=sha256)


async def viewable_copy(store: FileStore, actor: Actor, sha256: str, which: Literal["display", "thumb"]) -> bytes | None:
    """The display copy or thumbnail (JPEG, no metadata) if `actor` may see it, else None.

    None also when the file is unknown, so that a refusal does not tell whether a file exists.
    """
    if not is_sha256(sha256) or not await may_see(actor, sha256):
        return None
    return await store.get(display_key(sha256) if which == "display" else thumb_key(sha256))
