"""Signed actions through the real app: a passkey assertion over SHA-256(nonce ‖ canonical envelope), made
online or offline, verified once, kept in the journal and verified again by `audit verify`.

`logbook.add_entry` is made a signed command for these tests (GIAMSAT_EXTRA_SIGNED_COMMANDS), as the issue
allows until the gate and sealing commands exist. A software authenticator plays the phone.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Iterator

import pytest
from litestar.testing import TestClient

from backend.lib.canonical import canonical_json
from tests.auth.soft_authenticator import SoftAuthenticator, b64url, enroll, unb64url
from tests.conftest import ORIGIN, World, in_app


@pytest.fixture
def client(app_env: dict[str, str]) -> Iterator[TestClient]:
    from backend.app import create_app
    from backend.settings import load_settings

    settings = load_settings({**app_env, "GIAMSAT_EXTRA_SIGNED_COMMANDS": "logbook.add_entry"})
    with TestClient(create_app(settings), base_url=ORIGIN) as test_client:
        yield test_client


def enrolled_device(client: TestClient, officer_id: int) -> SoftAuthenticator:
    """A phone with a passkey for the officer; the client is then signed in as them."""
    from backend.auth import services
    from backend.settings import load_settings

    web = load_settings({"GIAMSAT_ORIGIN": ORIGIN, "GIAMSAT_SECRET_KEY": "x"}).web
    link = in_app(client, lambda: services.create_enrollment(officer_id, web))
    device = SoftAuthenticator()
    response = enroll(client, link.rsplit("/", 1)[1], device, "phone")
    assert response.status_code == 200, response.text
    return device


def nonces(client: TestClient, count: int = 5) -> list[str]:
    response = client.post("/api/v1/signing/nonces", json={"count": count})
    assert response.status_code == 200, response.text
    return [item["nonce"] for item in response.json()["nonces"]]


def signed_envelope(
    device: SoftAuthenticator, nonce: str, location_id: int, text: str = "Niêm phong lại container", **fields: Any
) -> dict[str, Any]:
    """What the device sends: the envelope, its issued_at spelled as JavaScript spells it, and the assertion."""
    issued = fields.pop("issued_at", datetime.now(UTC))
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%S.") + f"{issued.microsecond // 1000:03d}Z",
        "device_id": "web-phone-1",
        "payload": {"location_id": location_id, "text": text},
        **fields,
    }
    signed = {name: envelope[name] for name in ("device_id", "id", "issued_at", "payload", "type")}
    challenge = hashlib.sha256(unb64url(nonce) + canonical_json(signed).encode()).digest()
    assertion = device.get({"challenge": b64url(challenge), "rpId": "localhost"})
    envelope["signature"] = {"nonce": nonce, "credential": assertion}
    return envelope


def send(client: TestClient, *envelopes: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/api/v1/commands", json=list(envelopes))
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def journal_rows() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)


async def nonce_rows() -> list[dict[str, Any]]:
    from backend.journal.tables import SigningNonce

    return await SigningNonce.select().order_by(SigningNonce.id)


async def audit() -> Any:
    from backend.journal.services import verify_journal

    return await verify_journal(ORIGIN, "localhost")


def test_signed_command_is_applied_kept_and_verified_again(client: TestClient, world: World) -> None:
    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)
    command = signed_envelope(device, nonce, world["gate"])

    (outcome,) = send(client, command)

    assert outcome["status"] == "applied", outcome
    (row,) = in_app(client, journal_rows)
    import json

    stored = json.loads(row["signature"])
    assert stored["nonce"] == nonce and stored["credential"]["id"] == device.id
    assert json.loads(stored["signed"])["issued_at"] == command["issued_at"]  # the device's own spelling
    (used,) = [n for n in in_app(client, nonce_rows) if n["nonce"] == nonce]
    assert used["used_at"] is not None and str(used["command_id"]) == command["id"]
    report = in_app(client, audit)
    assert report.intact and report.rows == 1


def test_signed_command_made_offline_verifies_after_sync_and_is_marked(client: TestClient, world: World) -> None:
    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)  # fetched while online, used later without the network
    made_at = datetime.now(UTC) - timedelta(hours=5)
    command = signed_envelope(device, nonce, world["gate"], issued_at=made_at)
    command["offline"] = True  # set by the device after signing, when the first send failed

    (outcome,) = send(client, command)

    assert outcome["status"] == "applied", outcome
    (row,) = in_app(client, journal_rows)
    assert bool(row["offline"]) and bool(row["contingency"])
    assert in_app(client, audit).intact


def test_signed_assertion_with_changed_payload_is_refused_and_changes_nothing(client: TestClient, world: World) -> None:
    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)
    command = signed_envelope(device, nonce, world["gate"], text="3 containers")
    command["payload"]["text"] = "2 containers"

    (outcome,) = send(client, command)

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_invalid"
    assert in_app(client, journal_rows) == []
    assert all(n["used_at"] is None for n in in_app(client, nonce_rows))  # the nonce is still good


def test_signed_command_with_reused_nonce_is_refused(client: TestClient, world: World) -> None:
    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)
    first = signed_envelope(device, nonce, world["gate"], text="first")
    second = signed_envelope(device, nonce, world["gate"], text="second")  # a valid assertion, same nonce

    outcomes = send(client, first, second)

    assert [o["status"] for o in outcomes] == ["applied", "rejected"]
    assert outcomes[1]["code"] == "nonce_used"
    assert len(in_app(client, journal_rows)) == 1


def test_signed_command_replayed_is_a_duplicate_not_a_reused_nonce(client: TestClient, world: World) -> None:
    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)
    command = signed_envelope(device, nonce, world["gate"])

    outcomes = [send(client, command)[0]["status"] for _ in range(3)]

    assert outcomes == ["applied", "duplicate", "duplicate"]
    assert len(in_app(client, journal_rows)) == 1


def test_signed_command_without_signature_is_refused(client: TestClient, world: World) -> None:
    enrolled_device(client, world["officer"])
    command = {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": datetime.now(UTC).isoformat(),
        "device_id": "web-phone-1",
        "payload": {"location_id": world["gate"], "text": "x"},
    }

    (outcome,) = send(client, command)

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_required"
    assert in_app(client, journal_rows) == []


def test_signed_command_with_another_officers_nonce_is_refused(client: TestClient, world: World) -> None:
    other_device = enrolled_device(client, world["supervisor"])
    (supervisors_nonce,) = nonces(client, 1)
    device = enrolled_device(client, world["officer"])  # now signed in as the officer

    command = signed_envelope(device, supervisors_nonce, world["gate"])
    (outcome,) = send(client, command)

    assert other_device.id != device.id
    assert outcome["status"] == "rejected" and outcome["code"] == "nonce_unknown"
    assert in_app(client, journal_rows) == []


def test_signed_command_with_another_officers_passkey_is_refused(client: TestClient, world: World) -> None:
    supervisors_device = enrolled_device(client, world["supervisor"])
    enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)  # the officer's nonce, signed with the supervisor's passkey

    (outcome,) = send(client, signed_envelope(supervisors_device, nonce, world["gate"]))

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_unknown_passkey"


def test_nonce_stock_is_capped_per_officer(client: TestClient, world: World) -> None:
    enrolled_device(client, world["officer"])

    first = nonces(client, 40)
    second = client.post("/api/v1/signing/nonces", json={"count": 40}).json()

    assert len(first) == 40 and len(second["nonces"]) == 10  # at most 50 unused at once
    assert len(second["credential_ids"]) == 1
    assert client.post("/api/v1/signing/nonces", json={"count": 0}).status_code == 400


def test_audit_finds_a_forged_signature_even_when_the_chain_was_rehashed(client: TestClient, world: World) -> None:
    """An insider who edits a signed row and recomputes every hash after it still cannot forge the assertion."""
    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)
    send(client, signed_envelope(device, nonce, world["gate"], text="2 containers"))

    async def forge() -> None:
        import json

        from backend.journal.services import row_hash
        from backend.journal.tables import JournalChainHead, JournalEntry

        (row,) = await JournalEntry.select()
        signature = json.loads(row["signature"])
        signed = json.loads(signature["signed"])
        signed["payload"]["text"] = "3 containers"
        signature["signed"] = canonical_json(signed)
        row["signature"] = canonical_json(signature)
        row["payload"] = row["payload"].replace("2 containers", "3 containers")
        row["hash"] = row_hash(row["prev_hash"], row)
        await JournalEntry.update(
            {JournalEntry.signature: row["signature"], JournalEntry.payload: row["payload"], JournalEntry.hash: row["hash"]}
        ).where(JournalEntry.id == row["id"])
        await JournalChainHead.update({JournalChainHead.hash: row["hash"]}).where(JournalChainHead.chain == row["chain"])

    in_app(client, forge)
    report = in_app(client, audit)

    assert not report.intact
    assert "signature" in (report.problem or "") and "does not verify" in (report.problem or "")
