"""Signed actions through the real app: a passkey assertion over SHA-256(ticket ‖ canonical envelope), made
online or offline, applied once (by its command id), kept in the journal and verified again by `audit verify`.

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


def ticket(client: TestClient, device_id: str = "web-phone-1") -> dict[str, Any]:
    response = client.post("/api/v1/signing/ticket", json={"device_id": device_id})
    assert response.status_code == 200, response.text
    return response.json()


def nonces(client: TestClient, count: int = 1) -> list[str]:
    """The device's ticket, as what goes into signatures' `nonce` field (one value signs any number)."""
    return [ticket(client)["ticket"]["nonce"]] * count


def legacy_nonce(client: TestClient, officer_id: int, **fields: Any) -> str:
    """A single-use nonce as the first version issued them: devices may still hold some in their queue."""
    import base64
    import secrets

    from backend.journal.tables import SigningNonce

    value = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    now = datetime.now(UTC)
    row = {"nonce": value, "officer": officer_id, "issued_at": now, "expires_at": now + timedelta(days=14), **fields}

    async def insert() -> None:
        await SigningNonce.insert(SigningNonce(**row))

    in_app(client, insert)
    return value


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
    (issued,) = [n for n in in_app(client, nonce_rows) if n["nonce"] == nonce]
    assert issued["reusable"] and issued["device_id"] == "web-phone-1"
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


def test_one_ticket_signs_a_whole_shift_each_command_once(client: TestClient, world: World) -> None:
    """Issue 12: a device signs at least a 24-hour shift offline (≥ 1,000 actions) with the ticket it holds."""
    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)
    made = datetime.now(UTC) - timedelta(hours=20)
    commands = [signed_envelope(device, nonce, world["gate"], text=f"passage {i}", issued_at=made + timedelta(seconds=60 * i))
                for i in range(1000)]

    outcomes = [outcome for start in range(0, 1000, 250) for outcome in send(client, *commands[start:start + 250])]

    assert [o["status"] for o in outcomes] == ["applied"] * 1000
    # The same assertion again is the same command: a duplicate, never a second entry.
    assert [o["status"] for o in send(client, commands[0], commands[999])] == ["duplicate", "duplicate"]
    assert len(in_app(client, journal_rows)) == 1000
    report = in_app(client, audit)
    assert report.intact and report.rows == 1000


def test_ticket_is_the_same_when_asked_again_and_each_device_has_its_own(client: TestClient, world: World) -> None:
    """A page that navigates away during the request loses nothing, and no device's signing limits another's."""
    enrolled_device(client, world["officer"])
    phones = [ticket(client, f"phone-{n}") for n in range(4) for _ in range(3)]

    values = [answer["ticket"]["nonce"] for answer in phones]
    assert [len(set(values[n * 3:n * 3 + 3])) for n in range(4)] == [1, 1, 1, 1]  # asked three times: one ticket
    assert len(set(values)) == 4  # four devices: four tickets
    assert len(phones[0]["credential_ids"]) == 1
    assert in_app(client, nonce_rows).__len__() == 4


def test_ticket_is_renewed_after_a_day(client: TestClient, world: World) -> None:
    from backend.journal.tables import SigningNonce

    enrolled_device(client, world["officer"])
    first = ticket(client)["ticket"]

    async def age() -> None:
        await SigningNonce.update({SigningNonce.issued_at: datetime.now(UTC) - timedelta(days=1, minutes=1)}).where(
            SigningNonce.nonce == first["nonce"]
        )

    in_app(client, age)
    second = ticket(client)["ticket"]
    assert second["nonce"] != first["nonce"]
    assert datetime.fromisoformat(second["expires_at"]) - datetime.fromisoformat(second["issued_at"]) == timedelta(days=14)


def test_ticket_of_another_device_is_refused(client: TestClient, world: World) -> None:
    device = enrolled_device(client, world["officer"])
    other = ticket(client, "tablet-2")["ticket"]["nonce"]

    (outcome,) = send(client, signed_envelope(device, other, world["gate"]))  # sent as web-phone-1

    assert outcome["status"] == "rejected" and outcome["code"] == "ticket_other_device"
    assert in_app(client, journal_rows) == []


def test_ticket_expired_before_the_action_was_made_is_refused(client: TestClient, world: World) -> None:
    from backend.journal.tables import SigningNonce

    device = enrolled_device(client, world["officer"])
    (nonce,) = nonces(client, 1)

    async def expire() -> None:
        await SigningNonce.update({SigningNonce.expires_at: datetime.now(UTC) - timedelta(hours=2)}).where(SigningNonce.nonce == nonce)

    in_app(client, expire)
    late = signed_envelope(device, nonce, world["gate"], text="made after expiry")
    early = signed_envelope(device, nonce, world["gate"], text="made before expiry", issued_at=datetime.now(UTC) - timedelta(hours=3))
    early["offline"] = True

    outcomes = send(client, late, early)

    assert [(o["status"], o.get("code")) for o in outcomes] == [("rejected", "nonce_expired"), ("applied", None)]


def test_single_use_nonce_of_the_first_version_is_accepted_once(client: TestClient, world: World) -> None:
    """Entries queued on a device before tickets existed still go (docs/offline.md §4)."""
    device = enrolled_device(client, world["officer"])
    nonce = legacy_nonce(client, world["officer"])
    first = signed_envelope(device, nonce, world["gate"], text="first")
    second = signed_envelope(device, nonce, world["gate"], text="second")  # a valid assertion, same nonce

    outcomes = send(client, first, second)

    assert [o["status"] for o in outcomes] == ["applied", "rejected"]
    assert outcomes[1]["code"] == "nonce_used"
    assert len(in_app(client, journal_rows)) == 1
    (used,) = [n for n in in_app(client, nonce_rows) if n["nonce"] == nonce]
    assert used["used_at"] is not None and str(used["command_id"]) == first["id"]
    assert in_app(client, audit).intact


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


def test_ticket_request_without_a_device_is_refused(client: TestClient, world: World) -> None:
    enrolled_device(client, world["officer"])

    for body in ({}, {"device_id": ""}, {"device_id": "x" * 65}):
        answer = client.post("/api/v1/signing/ticket", json=body)
        assert answer.status_code == 400, body
    assert in_app(client, nonce_rows) == []


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
