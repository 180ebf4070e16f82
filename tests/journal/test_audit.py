"""The anchored audit (issue 11, finding 7; docs/audit.md): `giamsat audit verify` names the row of each tampering a
database administrator can do, and `giamsat audit anchor` / `audit verify --anchors FILE` catch what the chains alone
cannot (a chain cut at its end with the head moved back; a row rewritten and the chain re-hashed after it).

The database is tampered with directly, with SQL, as such a person would; the command line runs as a real process
against the same database (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable

import pytest
from litestar.testing import TestClient

from tests.conftest import World, giamsat, in_app, sign_in_as


def entry(location_id: int, text: str) -> dict[str, Any]:
    return command("logbook.add_entry", location_id=location_id, text=text)


def command(type_: str, **payload: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "issued_at": datetime.now(UTC).isoformat(),
        "device_id": "device-1",
        "payload": payload,
    }


def add_entries(client: TestClient, world: World, count: int, start: int = 0) -> None:
    sign_in_as(client, world["officer"])
    results = client.post("/api/v1/commands", json=[entry(world["gate"], f"entry {start + i}") for i in range(count)]).json()
    assert [r["status"] for r in results["results"]] == ["applied"] * count


async def chain_rows(chain: str = "B1") -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().where(JournalEntry.chain == chain).order_by(JournalEntry.seq)


def named(row: dict[str, Any]) -> str:
    """How the audit names a row."""
    return f"chain {row['chain']}, row seq {row['seq']} (id {row['id']}, command {row['command_type']} {row['command_id']})"


async def sql(statement: str, *values: Any) -> None:
    from backend.journal.tables import JournalEntry

    await JournalEntry.raw(statement, *values)


def verify(app_env: dict[str, str], *anchor_files: Path, keys: Path | None = None) -> Any:
    args = [arg for path in anchor_files for arg in ("--anchors", str(path))]
    if keys is not None:
        args += ["--anchor-keys", str(keys)]
    return giamsat(app_env, "audit", "verify", *args, check=False)


def anchor(app_env: dict[str, str], out: Path) -> Any:
    return giamsat(app_env, "audit", "anchor", "--out", str(out), check=False)


# --- an untouched journal -------------------------------------------------------------------------------------


def test_audit_untampered_journal_passes_with_its_signed_checkpoints(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    add_entries(client, world, 3)
    sign_in_as(client, world["other_officer"])
    client.post("/api/v1/commands", json=[entry(world["other_gate"], "B2's entry")])
    out = tmp_path / "anchors.jsonl"

    anchored = anchor(app_env, out)
    result = verify(app_env, out)

    assert anchored.returncode == 0, anchored.stderr
    assert "2 checkpoint(s) of 4 rows appended" in anchored.stdout
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    last_b1, last_b2 = in_app(client, chain_rows)[-1], in_app(client, chain_rows, "B2")[-1]
    assert [(line["chain"], line["seq"], line["hash"], line["row_id"], line["command_id"]) for line in lines] == [
        ("B1", 3, last_b1["hash"], last_b1["id"], str(last_b1["command_id"])),
        ("B2", 1, last_b2["hash"], last_b2["id"], str(last_b2["command_id"])),
    ]
    assert {line["format"] for line in lines} == {"giamsat-anchor-1"} and len(lines[0]["signature"]) == 86
    assert (Path(app_env["GIAMSAT_DATA_DIR"]) / "anchor-keys.pem").stat().st_mode & 0o077 == 0  # the owner's alone
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Journal intact: 4 rows in 2 chain(s); 2 checkpoint(s) hold."


def test_audit_anchor_prints_checkpoints_and_commands_after_an_anchor_still_verify(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    add_entries(client, world, 2)
    printed = giamsat(app_env, "audit", "anchor")
    out = tmp_path / "printed.jsonl"
    out.write_text(printed.stdout)
    add_entries(client, world, 2, start=2)  # the journal goes on after the export

    result = verify(app_env, out)

    assert json.loads(printed.stdout)["seq"] == 2
    assert result.returncode == 0, result.stderr
    assert "4 rows in 1 chain(s); 1 checkpoint(s) hold" in result.stdout


# --- tampering 1: the last rows deleted and the head moved back --------------------------------------------------


def test_audit_last_rows_deleted_and_head_moved_back_is_caught_by_the_anchor(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    add_entries(client, world, 4)
    out = tmp_path / "anchors.jsonl"
    assert anchor(app_env, out).returncode == 0
    rows = in_app(client, chain_rows)
    in_app(client, sql, "DELETE FROM journal_entry WHERE chain = 'B1' AND seq > 2")
    in_app(client, sql, "UPDATE journal_chain_head SET seq = 2, hash = {} WHERE chain = 'B1'", rows[1]["hash"])

    without = verify(app_env)
    result = verify(app_env, out)

    # The chain that is left is consistent: without a checkpoint kept elsewhere nothing can tell (docs/audit.md).
    assert without.returncode == 0 and "2 rows in 1 chain(s)" in without.stdout
    assert result.returncode == 1
    assert f"Journal BROKEN: {named(rows[3])}: removed: the chain ends at seq 2" in result.stderr


def test_audit_last_row_deleted_below_the_newest_of_several_checkpoints_names_the_first_anchored_row_gone(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "anchors.jsonl"
    add_entries(client, world, 2)
    anchor(app_env, out)
    add_entries(client, world, 2, start=2)
    anchor(app_env, out)  # appended: the file now holds seq 2 and seq 4
    rows = in_app(client, chain_rows)
    in_app(client, sql, "DELETE FROM journal_entry WHERE chain = 'B1' AND seq = 4")
    in_app(client, sql, "UPDATE journal_chain_head SET seq = 3, hash = {} WHERE chain = 'B1'", rows[2]["hash"])

    result = verify(app_env, out)

    assert len(out.read_text().splitlines()) == 2
    assert result.returncode == 1
    assert f"{named(rows[3])}: removed: the chain ends at seq 3" in result.stderr
    assert "the rows from seq 4 on were deleted" in result.stderr


def test_audit_whole_chain_deleted_is_caught_by_the_anchor(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    add_entries(client, world, 1)
    sign_in_as(client, world["other_officer"])
    client.post("/api/v1/commands", json=[entry(world["other_gate"], "B2 một"), entry(world["other_gate"], "B2 hai")])
    out = tmp_path / "anchors.jsonl"
    anchor(app_env, out)
    b2 = in_app(client, chain_rows, "B2")
    in_app(client, sql, "DELETE FROM journal_entry WHERE chain = 'B2'")
    in_app(client, sql, "DELETE FROM journal_chain_head WHERE chain = 'B2'")

    without = verify(app_env)
    result = verify(app_env, out)

    assert without.returncode == 0 and "1 rows in 1 chain(s)" in without.stdout
    assert result.returncode == 1
    assert f"{named(b2[1])}: removed: the chain ends at seq 0" in result.stderr


# --- tampering 2: an unsigned row rewritten and the chain re-hashed -------------------------------------------


async def rewrite_and_rehash(seq: int, text: str) -> None:
    """Change one row's payload, then give it and every later row the hashes the audit would compute, and move the
    head: what someone who knows the (public) hashing rule can do."""
    from backend.journal.services import GENESIS_HASH, row_hash

    prev = GENESIS_HASH
    for row in await chain_rows():
        if row["seq"] == seq:
            payload = json.loads(row["payload"])
            row["payload"] = json.dumps({**payload, "text": text}, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        if row["seq"] >= seq:
            row["prev_hash"], row["hash"] = prev, row_hash(prev, row)
            await sql(
                "UPDATE journal_entry SET payload = {}, prev_hash = {}, hash = {} WHERE id = {}",
                row["payload"], row["prev_hash"], row["hash"], row["id"],
            )
        prev = row["hash"]
    await sql("UPDATE journal_chain_head SET hash = {} WHERE chain = 'B1'", prev)


def test_audit_rewritten_row_with_the_chain_rehashed_is_caught_by_the_anchor(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    add_entries(client, world, 4)
    out = tmp_path / "anchors.jsonl"
    anchor(app_env, out)
    rows = in_app(client, chain_rows)
    in_app(client, rewrite_and_rehash, 2, "Xe 51C-000.00 chưa từng vào cổng")

    without = verify(app_env)
    result = verify(app_env, out)

    after = in_app(client, chain_rows)
    assert "chưa từng" in after[1]["payload"] and after[3]["hash"] != rows[3]["hash"]
    assert without.returncode == 0  # self-consistent again: only the checkpoint knows the old hash
    assert result.returncode == 1
    assert (
        f"Journal BROKEN: {named(after[3])}: its hash is not the one in the checkpoint signed at" in result.stderr
        and "a row from seq 1 to 4 was rewritten and the chain re-hashed from it" in result.stderr
    )


def test_audit_rewritten_row_between_two_checkpoints_is_narrowed_to_them(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "anchors.jsonl"
    add_entries(client, world, 2)
    anchor(app_env, out)
    add_entries(client, world, 2, start=2)
    anchor(app_env, out)
    in_app(client, rewrite_and_rehash, 3, "sửa lại")

    result = verify(app_env, out)

    after = in_app(client, chain_rows)
    assert result.returncode == 1
    assert f"{named(after[3])}: its hash is not the one in the checkpoint" in result.stderr
    assert "a row from seq 3 to 4 was rewritten" in result.stderr


def test_audit_rewrite_after_the_last_checkpoint_is_not_detected(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    """The documented limit: rows written after the last exported checkpoint have nothing outside to answer to."""
    add_entries(client, world, 2)
    out = tmp_path / "anchors.jsonl"
    anchor(app_env, out)
    add_entries(client, world, 2, start=2)
    in_app(client, rewrite_and_rehash, 3, "sửa lại")

    result = verify(app_env, out)

    assert result.returncode == 0, result.stderr


# --- tampering 3: the stored columns that decide where a row appears --------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "seen"),
    [
        ("issued_at_utc", "2026-01-01T00:00:00.000000+00:00", "issued_at_utc is '2026-01-01T00:00:00.000000+00:00'"),
        ("location_id", "warehouse", "location_id is "),
        ("declaration_number", "104000009999", "declaration_number is '104000009999', but its hashed fields make it None"),
    ],
)
def test_audit_edited_unhashed_column_is_named(
    client: TestClient, world: World, app_env: dict[str, str], column: str, value: str, seen: str
) -> None:
    add_entries(client, world, 3)
    rows = in_app(client, chain_rows)
    new_value: Any = world["warehouse"] if value == "warehouse" else value
    in_app(client, sql, f"UPDATE journal_entry SET {column} = {{}} WHERE id = {{}}", new_value, rows[1]["id"])

    result = verify(app_env)

    assert result.returncode == 1
    assert f"Journal BROKEN: {named(rows[1])}: {seen}" in result.stderr
    assert "(edited)" in result.stderr


def test_audit_declaration_number_moved_off_its_declaration_is_named(
    client: TestClient, world: World, app_env: dict[str, str]
) -> None:
    from tests.declarations.helpers import C1
    from tests.seals.helpers import NUMBER, declare

    declare(client)
    sign_in_as(client, world["officer"])
    sealed = command("seals.record_seal", location_id=world["gate"], number=NUMBER, unit=C1, seal_number="HQ-000101")
    assert client.post("/api/v1/commands", json=[sealed]).json()["results"][0]["status"] == "applied"
    (row,) = in_app(client, chain_rows)
    assert row["declaration_number"] == NUMBER
    in_app(client, sql, "UPDATE journal_entry SET declaration_number = NULL WHERE id = {}", row["id"])  # hidden from the evidence

    result = verify(app_env)

    assert result.returncode == 1
    assert f"{named(row)}: declaration_number is None, but its hashed fields make it '{NUMBER}' (edited)" in result.stderr


# --- the checkpoints themselves ------------------------------------------------------------------------------


def _other_hash(line: dict[str, Any]) -> None:
    line["hash"] = "f" * 64


def _other_signature(line: dict[str, Any]) -> None:
    raw = bytearray(base64.urlsafe_b64decode(line["signature"] + "=="))
    raw[10] ^= 0x01
    line["signature"] = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


def _high_s(line: dict[str, Any]) -> None:
    from backend.journal.anchors import P256_ORDER

    raw = base64.urlsafe_b64decode(line["signature"] + "==")
    s = P256_ORDER - int.from_bytes(raw[32:], "big")  # the same signature, spelled the other way
    line["signature"] = base64.urlsafe_b64encode(raw[:32] + s.to_bytes(32, "big")).decode().rstrip("=")


def _another_key(line: dict[str, Any]) -> None:
    from backend.journal import anchors

    ring = anchors.AnchorKeyring({}, anchors.new_private_key())
    fields = {name: line[name] for name in ("chain", "seq", "hash", "row_id", "command_id", "command_type", "anchored_at")}
    line.update(json.loads(anchors.sign_checkpoint(ring, **{**fields, "hash": "f" * 64}).line()))


@pytest.mark.parametrize(
    ("forge", "refusal"),
    [
        (_other_hash, "the signature does not match the checkpoint (altered or forged)"),
        (_other_signature, "the signature does not match the checkpoint (altered or forged)"),
        (_high_s, "the signature is not in its one accepted form"),
        (_another_key, "which is not one of the anchor keys"),
    ],
    ids=["altered-hash", "altered-signature", "high-s", "another-key"],
)
def test_audit_forged_anchor_file_is_refused(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path,
    forge: Callable[[dict[str, Any]], None], refusal: str,
) -> None:
    add_entries(client, world, 2)
    sign_in_as(client, world["other_officer"])
    client.post("/api/v1/commands", json=[entry(world["other_gate"], "B2")])
    out = tmp_path / "anchors.jsonl"
    anchor(app_env, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    forge(lines[1])
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))

    result = verify(app_env, out)

    assert result.returncode == 2
    assert result.stderr.startswith(f"Anchors REFUSED: {out}, line 2 (chain B2, seq 1): ")
    assert refusal in result.stderr
    assert "Journal" not in result.stdout + result.stderr  # a forged file is not used at all


def test_audit_verify_with_a_public_copy_of_the_keys_and_without_any(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization

    from backend.journal import anchors

    add_entries(client, world, 1)
    out = tmp_path / "anchors.jsonl"
    anchor(app_env, out)
    ring = anchors.read_keyring(Path(app_env["GIAMSAT_DATA_DIR"]) / anchors.KEYS_FILE)
    public = tmp_path / "anchor-public.pem"
    public.write_bytes(
        ring.signing.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    empty_env = {**app_env, "GIAMSAT_DATA_DIR": str(tmp_path / "elsewhere")}

    with_copy = verify(empty_env, out, keys=public)
    without_keys = verify(empty_env, out)

    assert with_copy.returncode == 0 and "1 checkpoint(s) hold" in with_copy.stdout
    assert without_keys.returncode == 2 and "anchor-keys.pem does not exist" in without_keys.stderr


def test_audit_anchor_refuses_a_broken_journal(
    client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path
) -> None:
    add_entries(client, world, 2)
    rows = in_app(client, chain_rows)
    in_app(client, sql, "UPDATE journal_entry SET location_id = NULL WHERE id = {}", rows[0]["id"])
    out = tmp_path / "anchors.jsonl"

    result = anchor(app_env, out)

    assert result.returncode == 1
    assert f"Journal BROKEN, nothing anchored: {named(rows[0])}: location_id is None" in result.stderr
    assert not out.exists()


# --- a live journal ---------------------------------------------------------------------------------------------


async def _verify_while_writing(engine: Any, officer_id: int, gate: int) -> tuple[Any, int]:
    import asyncio

    import msgspec

    from backend.journal.envelope import CommandEnvelope
    from backend.journal.services import apply_commands, verify_journal
    from backend.officers.services import actor_by_id

    actor = await actor_by_id(officer_id)

    async def write() -> None:
        for batch in range(10):
            await apply_commands(engine, [msgspec.convert(entry(gate, f"live {batch}.{i}"), CommandEnvelope) for i in range(3)], actor)

    # One row a read: many reads, so the writes land between them (and between the rows and the head).
    report, _ = await asyncio.gather(verify_journal("http://localhost:8000", "localhost", page_size=1), write())
    return report, len(await chain_rows())


def test_audit_of_a_journal_written_to_meanwhile_is_intact(client: TestClient, world: World) -> None:
    """`audit anchor` runs on a schedule against a live server: rows committed while it reads must not look
    like tampering (before, the head was read first and any later command made the chain look cut)."""
    add_entries(client, world, 60)

    report, rows = in_app(client, _verify_while_writing, client.app.state.engine, world["officer"], world["gate"])

    assert report.problem is None
    assert rows == 90 and 60 <= report.rows <= 90  # how far it read depends on timing: it is never a problem
    assert report.ends["B1"].seq == report.rows  # the checkpoint it would sign is of the last row it verified
