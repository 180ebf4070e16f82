"""`giamsat sync import FILE`: an exported device queue, loaded by an admin.

When a phone cannot reach the server for days (or is about to be wiped), the officer exports its queue
from the /sync page: a JSON file with the queued commands, in order, and the photos they reference
(docs/offline.md §5). Importing it goes through the same path as a device's sync: files first (by their
SHA-256, so a file already there is a no-op), then the commands through `apply_commands`, each as the
officer who made it. Command ids make it idempotent: importing the same file twice applies it once.

A file is not a session: anyone can write one naming any officer. A signed entry proves itself (the officer's passkey
signed the command, journal/signing.py); an unsigned one is applied only for an officer the operator vouches for
(`--vouch-for CODE`: they checked with that officer that the phone and the file are theirs). Other unsigned entries
are refused (`unsigned_not_vouched`) and stay in the file for a later import (issue 11, finding 9).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from backend.files.services import save_upload
from backend.files.store import FileStore
from backend.journal import signing
from backend.journal.envelope import CommandEnvelope, CommandOutcome
from backend.journal.services import apply_commands
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.officers.schemas import Actor
from backend.officers.services import actor_by_id, officer_id_by_code

FORMAT, VERSION = "giamsat-queue", 1


class ExportedFile(msgspec.Struct, kw_only=True):
    type: str
    base64: str


class ExportedEntry(msgspec.Struct, kw_only=True):
    officer_code: str
    envelope: dict[str, Any]
    files: list[str] = []


class ExportedQueue(msgspec.Struct, kw_only=True):
    format: str
    version: int
    entries: list[ExportedEntry]
    files: dict[str, ExportedFile] = {}
    device_id: str = ""
    officer_code: str = ""
    exported_at: str = ""


@dataclass
class ImportReport:
    outcomes: list[tuple[str, CommandOutcome]] = field(default_factory=list)  # (officer code, outcome), in order
    files_stored: int = 0
    files_known: int = 0

    def count(self, status: str) -> int:
        return sum(1 for _, outcome in self.outcomes if outcome.status == status)


def parse_export(data: bytes) -> tuple[ExportedQueue, list[CommandEnvelope], dict[str, tuple[str, bytes]]]:
    """Check the whole file before anything is applied; an error names the entry or file at fault."""
    try:
        export = msgspec.json.decode(data, type=ExportedQueue)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise DomainError("import_unreadable", N_("This is not an exported giamsat queue: %(detail)s"), detail=str(exc)) from exc
    if export.format != FORMAT or export.version != VERSION:
        raise DomainError(
            "import_format", N_("Unknown queue format %(format)s version %(version)s."), format=export.format, version=export.version
        )
    envelopes = []
    for index, entry in enumerate(export.entries, start=1):
        try:
            envelope = msgspec.convert(entry.envelope, CommandEnvelope)
        except msgspec.ValidationError as exc:
            raise DomainError("import_entry", N_("Entry %(index)s is not a valid command: %(detail)s"), index=index, detail=str(exc)) from exc
        envelopes.append(signing.bind_raw(entry.envelope, envelope))
        for sha256 in entry.files:
            if sha256 not in export.files:
                raise DomainError("import_file_missing", N_("Entry %(index)s needs file %(sha)s, which is not in the export."), index=index, sha=sha256)
    files = {}
    for sha256, item in export.files.items():
        try:
            files[sha256] = (item.type, base64.b64decode(item.base64, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise DomainError("import_file_unreadable", N_("File %(sha)s in the export cannot be read."), sha=sha256) from exc
    return export, envelopes, files


async def _actor(code: str, cache: dict[str, Actor | None]) -> Actor | None:
    if code not in cache:
        try:
            cache[code] = await actor_by_id(await officer_id_by_code(code))
        except DomainError:
            cache[code] = None
    return cache[code]


def _refused(envelope: CommandEnvelope, code: str, message: str, **params: Any) -> CommandOutcome:
    return CommandOutcome(id=envelope.id, status="rejected", code=code, reason=gettext(message, **params))


async def import_queue(engine: Engine, store: FileStore, data: bytes, vouched_for: frozenset[str] = frozenset()) -> ImportReport:
    """Apply an exported queue: files, then commands in their order, each as its officer; idempotent. Unsigned
    commands only of the officers in `vouched_for` (the module's docstring says why)."""
    export, envelopes, files = parse_export(data)
    report = ImportReport()
    actors: dict[str, Actor | None] = {}
    file_errors: dict[str, str] = {}
    # Consecutive commands of one officer go together, in order, as the device would have sent them.
    run: list[CommandEnvelope] = []
    run_officer: str | None = None

    async def flush() -> None:
        nonlocal run
        if run and run_officer is not None:
            actor = await _actor(run_officer, actors)
            if actor is not None:
                outcomes = await apply_commands(engine, run, actor)
            else:
                outcomes = [
                    _refused(envelope, "officer_inactive", N_("No active officer has code %(code)s."), code=run_officer)
                    for envelope in run
                ]
            report.outcomes.extend((run_officer, outcome) for outcome in outcomes)
        run = []

    for entry, envelope in zip(export.entries, envelopes):
        if envelope.signature is None and entry.officer_code not in vouched_for:
            await flush()
            report.outcomes.append((entry.officer_code, _refused(
                envelope, "unsigned_not_vouched",
                N_("Not signed, and nobody vouched for %(officer)s: import again with --vouch-for %(officer)s once the officer confirms the file is theirs."),
                officer=entry.officer_code,
            )))
            continue
        actor = await _actor(entry.officer_code, actors)
        for sha256 in entry.files:
            if sha256 in file_errors or actor is None:
                continue
            content_type, body = files[sha256]
            try:
                _, created = await save_upload(store, actor, sha256, content_type, body)
            except DomainError as error:
                file_errors[sha256] = gettext(error.message, **error.params)
                continue
            report.files_stored += created
            report.files_known += not created
        broken = [sha256 for sha256 in entry.files if sha256 in file_errors]
        if broken:
            await flush()
            report.outcomes.append(
                (entry.officer_code, _refused(envelope, "file_refused", N_("A file of this action was refused: %(reason)s"), reason=file_errors[broken[0]]))
            )
            continue
        if entry.officer_code != run_officer:
            await flush()
            run_officer = entry.officer_code
        run.append(envelope)
        if len(run) >= 500:
            await flush()
    await flush()
    return report
