"""`giamsat sync import FILE`: an exported device queue applied through the real command line, twice —
applied once; photos stored once; refusals reported; a malformed file changes nothing."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from PIL import Image

from tests.conftest import World, giamsat, in_app


def jpeg(color: str = "navy") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def entry(officer_code: str, location_id: int, text: str, photos: list[str] | None = None) -> dict[str, Any]:
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "device_id": "web-phone-7",
        "payload": {"location_id": location_id, "text": text, "photos": photos or []},
        "offline": True,
    }
    return {"officer_code": officer_code, "envelope": envelope, "files": photos or []}


def export_file(tmp_path: Path, entries: list[dict[str, Any]], files: dict[str, bytes]) -> Path:
    body = {
        "format": "giamsat-queue",
        "version": 1,
        "device_id": "web-phone-7",
        "officer_code": "CB1",
        "exported_at": datetime.now(UTC).isoformat(),
        "entries": entries,
        "files": {sha: {"type": "image/jpeg", "base64": base64.b64encode(data).decode()} for sha, data in files.items()},
    }
    path = tmp_path / "queue.json"
    path.write_text(json.dumps(body, ensure_ascii=False))
    return path


async def journal() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select(JournalEntry.command_id, JournalEntry.offline, JournalEntry.contingency)


async def logbook() -> list[dict[str, Any]]:
    from backend.logbook.tables import LogbookEntry

    return await LogbookEntry.select(LogbookEntry.id, LogbookEntry.text).order_by(LogbookEntry.id)


async def attachments() -> list[dict[str, Any]]:
    from backend.files.tables import FileAttachment, StoredFile

    return [*(await StoredFile.select(StoredFile.sha256)), *(await FileAttachment.select(FileAttachment.sha256))]


def test_sync_import_twice_applies_once(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    """The 2024 outage instructions (2024.7): entries exported from a device are entered into the system once; a
    second import applies nothing again."""
    photo = jpeg()
    sha = hashlib.sha256(photo).hexdigest()
    entries = [
        entry("CB1", world["gate"], "Container TGHU1234567 không niêm phong được", [sha]),
        entry("CB1", world["gate"], "Xe 15C-123.45 ra cổng"),
        entry("CB1", world["gate"], "   "),  # refused by the handler: nothing written for it
        entry("GS1", world["gate"], "Giám sát viên ghi nhận"),
    ]
    path = export_file(tmp_path, entries, {sha: photo})

    first = giamsat(app_env, "sync", "import", str(path), "--vouch-for", "CB1", "--vouch-for", "GS1")
    second = giamsat(app_env, "sync", "import", str(path), "--vouch-for", "CB1", "--vouch-for", "GS1")

    assert "4 command(s): 3 applied, 0 already applied (duplicate), 1 rejected; files: 1 stored" in first.stdout
    assert "4 command(s): 0 applied, 3 already applied (duplicate), 1 rejected; files: 0 stored, 1 already there" in second.stdout
    assert "empty_text" in second.stdout
    rows = in_app(client, journal)
    assert sorted(str(row["command_id"]) for row in rows) == sorted(e["envelope"]["id"] for e in [entries[0], entries[1], entries[3]])
    assert all(row["offline"] and row["contingency"] for row in rows)
    assert [row["text"] for row in in_app(client, logbook)] == [
        "Container TGHU1234567 không niêm phong được", "Xe 15C-123.45 ra cổng", "Giám sát viên ghi nhận"
    ]
    assert [row["sha256"] for row in in_app(client, attachments)] == [sha, sha]  # stored once, attached once
    assert "Journal intact: 3 rows" in giamsat(app_env, "audit", "verify").stdout


def test_sync_import_of_a_broken_file_changes_nothing(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    good = entry("CB1", world["gate"], "ok")
    needs_missing_file = entry("CB1", world["gate"], "ảnh thiếu", ["a" * 64])
    path = export_file(tmp_path, [good, needs_missing_file], {})
    not_json = tmp_path / "junk.json"
    not_json.write_text("{ not json")

    missing = giamsat(app_env, "sync", "import", str(path), "--vouch-for", "CB1", check=False)
    unreadable = giamsat(app_env, "sync", "import", str(not_json), check=False)

    assert missing.returncode == 2 and "Entry 2 needs file" in missing.stderr
    assert unreadable.returncode == 2 and "not an exported giamsat queue" in unreadable.stderr
    assert in_app(client, journal) == []


def test_sync_import_refuses_an_entry_whose_photo_is_not_an_image(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    fake = b"this is not a photo"
    sha = hashlib.sha256(fake).hexdigest()
    bad = entry("CB1", world["gate"], "ảnh hỏng", [sha])
    fine = entry("CB1", world["gate"], "bình thường")
    path = export_file(tmp_path, [bad, fine], {sha: fake})

    result = giamsat(app_env, "sync", "import", str(path), "--vouch-for", "CB1")

    assert "1 applied" in result.stdout and "1 rejected" in result.stdout and "file_refused" in result.stdout
    assert [str(row["command_id"]) for row in in_app(client, journal)] == [fine["envelope"]["id"]]


def test_sync_import_applies_unsigned_entries_only_for_officers_vouched_for(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    # Issue 11, finding 9: a file is not a session; anyone can write one naming any officer.
    mine = entry("CB1", world["gate"], "của CB1")
    forged = entry("GS1", world["gate"], "giả danh giám sát viên")
    path = export_file(tmp_path, [mine, forged], {})

    result = giamsat(app_env, "sync", "import", str(path), "--vouch-for", "CB1")

    assert "1 applied" in result.stdout and "unsigned_not_vouched" in result.stdout
    assert [str(row["command_id"]) for row in in_app(client, journal)] == [mine["envelope"]["id"]]
