"""Issue 11, Quotas: per-officer limits on uploads (megapixels per photo, bytes and megapixels per minute) and on
commands per minute (counted in commands, not requests), answered 429 with Retry-After and a typed body, with no
effect on other officers (backend/lib/quotas.py; docs/security.md, "Quotas").

The app here has small limits (set through the environment, as an operator would) so that a few requests reach
them; the defaults are tested for what they must allow: a device replaying a whole shift's queue at once.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any, Iterator

import pytest
from litestar.testing import TestClient
from PIL import Image

from backend.lib.i18n import translate_in
from tests.auth.soft_authenticator import another_browser
from tests.conftest import ORIGIN, World, in_app, sign_in_as
from tests.files.photos import encode, plain_jpeg, png_header_only, sha

SMALL = {
    "GIAMSAT_COMMANDS_BURST": "5",
    "GIAMSAT_COMMANDS_PER_MINUTE": "1",
    "GIAMSAT_UPLOAD_MB_BURST": "1",
    "GIAMSAT_UPLOAD_MB_PER_MINUTE": "1",
    "GIAMSAT_UPLOAD_MEGAPIXELS_BURST": "5",
    "GIAMSAT_UPLOAD_MEGAPIXELS_PER_MINUTE": "1",
}
COMMANDS_MESSAGE = "Too many commands from your account in a short time. Wait %(seconds)s seconds and send again."
PHOTOS_MESSAGE = "Too many photos from your account in a short time. Wait %(seconds)s seconds and send again."


@pytest.fixture
def client(app_env: dict[str, str]) -> Iterator[TestClient]:
    from backend.app import create_app
    from backend.settings import load_settings

    with TestClient(create_app(load_settings({**app_env, **SMALL})), base_url=ORIGIN) as test_client:
        yield test_client


def entries(location_id: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "type": "logbook.add_entry",
            "issued_at": datetime.now(UTC).isoformat(),
            "device_id": "device-1",
            "payload": {"location_id": location_id, "text": f"entry {i}"},
        }
        for i in range(count)
    ]


def upload(client: TestClient, data: bytes, content_type: str = "image/jpeg") -> Any:
    return client.put(f"/api/v1/files/{sha(data)}", content=data, headers={"content-type": content_type})


def noise_jpeg(seed: int) -> bytes:
    """About 800 KB (a noisy picture does not compress), different for each seed."""
    image = Image.effect_noise((1000, 800), 80).convert("RGB")
    image.putpixel((0, 0), (seed % 256, 0, 0))
    return encode(image, "JPEG", quality=95)


async def journal_texts() -> list[str]:
    from backend.logbook.tables import LogbookEntry

    return [row["text"] for row in await LogbookEntry.select(LogbookEntry.text)]


async def stored_hashes() -> list[str]:
    from backend.files.tables import StoredFile

    return [row["sha256"] for row in await StoredFile.select(StoredFile.sha256)]


def assert_quota_refusal(response: Any, quota: str, msgid: str) -> int:
    """A 429 with Retry-After and the typed body in the caller's language (Vietnamese by default); the wait."""
    assert response.status_code == 429, response.text
    wait = int(response.headers["retry-after"])
    assert wait >= 1
    assert response.json() == {
        "error": "quota_exceeded",
        "message": translate_in("vi", msgid, seconds=wait),
        "detail": {"quota": quota, "retry_after": wait},
    }
    return wait


# --- megapixels per photo, from the header ---------------------------------------------------------------------------


def test_megapixel_bomb_is_refused_from_its_header_and_stores_nothing(client: TestClient, world: World) -> None:
    # 39.7 megapixels announced by a PNG header with no pixel data at all: decoding it would find it damaged, so
    # a refusal for too many pixels shows that nothing was decoded.
    bomb = png_header_only(7300, 5440)
    sign_in_as(client, world["officer"])

    response = upload(client, bomb, "image/png")

    assert response.status_code == 400, response.text
    assert response.json() == {
        "error": "too_many_pixels",
        "message": translate_in("vi", "The photo has too many pixels (at most %(limit)s megapixels).", limit=12),
        "detail": None,
    }
    assert in_app(client, stored_hashes) == []


def test_megapixel_limit_is_a_setting(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    photo = plain_jpeg((1600, 1200))  # 1.9 megapixels: what the phone sends at most (1600 px a side)
    settings = load_settings({**app_env, "GIAMSAT_UPLOAD_MAX_MEGAPIXELS": "1"})
    with TestClient(create_app(settings), base_url=ORIGIN) as strict:
        sign_in_as(strict, world["officer"])
        refused = upload(strict, photo)
    sign_in_as(client, world["officer"])

    accepted = upload(client, photo)

    assert (refused.status_code, refused.json()["error"]) == (400, "too_many_pixels")
    assert accepted.status_code == 201, accepted.text


# --- bytes and megapixels per minute ---------------------------------------------------------------------------------


def test_upload_bytes_over_the_officers_quota_answer_429_and_store_nothing(client: TestClient, world: World) -> None:
    first, second = noise_jpeg(1), noise_jpeg(2)
    assert 600_000 < len(first) < 1024 * 1024 and 600_000 < len(second)  # the 1 MB burst holds one, not two
    sign_in_as(client, world["officer"])

    accepted = upload(client, first)
    refused = upload(client, second)

    assert accepted.status_code == 201, accepted.text
    wait = assert_quota_refusal(refused, "upload_bytes", PHOTOS_MESSAGE)
    assert wait <= 60  # 1 MB a minute refills what is missing within the minute
    assert in_app(client, stored_hashes) == [sha(first)]


def test_upload_bytes_quota_of_one_officer_leaves_another_unaffected(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    assert upload(client, noise_jpeg(1)).status_code == 201
    assert upload(client, noise_jpeg(2)).status_code == 429
    colleague = another_browser(client)
    sign_in_as(colleague, world["supervisor"])  # same branch, same server

    response = upload(colleague, noise_jpeg(3))

    assert response.status_code == 201, response.text


def test_upload_megapixels_over_the_officers_quota_answer_429(client: TestClient, world: World) -> None:
    photos = [plain_jpeg((1600, 1200), (i * 60, 100, 100)) for i in range(3)]  # 1.9 megapixels each, small files
    sign_in_as(client, world["officer"])

    statuses = [upload(client, photo).status_code for photo in photos[:2]]
    refused = upload(client, photos[2])

    assert statuses == [201, 201]  # 3.8 of the 5 megapixels
    assert_quota_refusal(refused, "upload_pixels", PHOTOS_MESSAGE)
    assert sorted(in_app(client, stored_hashes)) == sorted(sha(photo) for photo in photos[:2])


# --- commands per minute ---------------------------------------------------------------------------------------------


def test_commands_are_counted_in_commands_not_requests(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    first = client.post("/api/v1/commands", json=entries(world["gate"], 3))
    refused = client.post("/api/v1/commands", json=entries(world["gate"], 3))  # 2 of the 5 are left
    last = client.post("/api/v1/commands", json=entries(world["gate"], 2))

    assert [r["status"] for r in first.json()["results"]] == ["applied"] * 3
    wait = assert_quota_refusal(refused, "commands", COMMANDS_MESSAGE)
    assert wait == 60  # one command is missing; one a minute comes back
    assert [r["status"] for r in last.json()["results"]] == ["applied"] * 2
    assert len(in_app(client, journal_texts)) == 5  # the refused batch changed nothing


def test_commands_quota_of_one_officer_leaves_another_unaffected(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    assert client.post("/api/v1/commands", json=entries(world["gate"], 5)).status_code == 200
    assert client.post("/api/v1/commands", json=entries(world["gate"], 1)).status_code == 429
    colleague = another_browser(client)
    sign_in_as(colleague, world["supervisor"])

    response = colleague.post("/api/v1/commands", json=entries(world["gate"], 5))

    assert [r["status"] for r in response.json()["results"]] == ["applied"] * 5


def test_commands_refusal_is_in_the_callers_language(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")
    client.post("/api/v1/commands", json=entries(world["gate"], 5))

    response = client.post("/api/v1/commands", json=entries(world["gate"], 1))

    assert response.json()["message"] == "Too many commands from your account in a short time. Wait 60 seconds and send again."


# --- the defaults ----------------------------------------------------------------------------------------------------


def test_default_limits_let_a_device_replay_a_shifts_queue_at_once() -> None:
    """After an outage the device sends its whole queue back to back: 2,000 commands in batches of 100 (its batch
    size, service_worker/queue.js), and 300 photos of 1600x1200 at ~400 KB, each before its command."""
    from backend.lib.quotas import Buckets, Limit
    from backend.settings import load_settings

    quotas = load_settings({"GIAMSAT_SECRET_KEY": "x"}).quotas
    commands = Buckets("commands", Limit(quotas.commands_per_minute, quotas.commands_burst), clock=lambda: 0.0)
    upload_bytes = Buckets("upload_bytes", Limit(quotas.upload_mb_per_minute * 2**20, quotas.upload_mb_burst * 2**20), clock=lambda: 0.0)
    pixels = Buckets("upload_pixels", Limit(quotas.upload_megapixels_per_minute * 10**6, quotas.upload_megapixels_burst * 10**6), clock=lambda: 0.0)

    for _ in range(20):
        commands.take("officer", 100)
    for _ in range(300):
        upload_bytes.take("officer", 400_000)
        pixels.take("officer", 1600 * 1200)

    assert quotas.upload_max_megapixels * 10**6 >= 4 * 1600 * 1600  # room above what the phone sends


def test_bucket_refills_at_its_rate_and_says_when() -> None:
    from backend.lib.quotas import Buckets, Limit, QuotaExceeded

    now = [0.0]
    bucket = Buckets("commands", Limit(per_minute=60, burst=10), clock=lambda: now[0])
    bucket.take("a", 10)
    with pytest.raises(QuotaExceeded) as refused:
        bucket.take("a", 4)
    bucket.take("b", 10)  # another officer's bucket is full
    now[0] = 4.0  # four seconds: four commands back

    bucket.take("a", 4)

    assert refused.value.headers == {"Retry-After": "4"} and refused.value.detail == {"quota": "commands", "retry_after": 4}


def test_request_larger_than_the_burst_passes_on_a_full_bucket() -> None:
    """A batch of 500 (the API's largest) always gets through eventually, however small the burst is set."""
    from backend.lib.quotas import Buckets, Limit, QuotaExceeded

    now = [0.0]
    bucket = Buckets("commands", Limit(per_minute=60, burst=100), clock=lambda: now[0])
    bucket.take("a", 500)
    with pytest.raises(QuotaExceeded) as refused:
        bucket.take("a", 1)

    assert refused.value.headers == {"Retry-After": "401"}  # the debt of 400, then one


@pytest.mark.parametrize("name", ["GIAMSAT_COMMANDS_BURST", "GIAMSAT_UPLOAD_MAX_MEGAPIXELS", "GIAMSAT_UPLOAD_MB_PER_MINUTE"])
def test_quota_setting_below_one_is_refused(name: str) -> None:
    from backend.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=name):
        load_settings({"GIAMSAT_SECRET_KEY": "x", name: "0"})


def test_an_officers_command_requests_take_turns() -> None:
    """GIAMSAT_COMMANDS_AT_ONCE (1): an officer's second request waits for the first; a colleague's does not."""
    from backend.lib.quotas import Limit, Quotas
    from tests.conftest import run_async

    async def scenario() -> list[str]:
        quotas = Quotas(Limit(60, 10), Limit(60, 10), Limit(60, 10), commands_at_once=1)
        order: list[str] = []
        release = asyncio.Event()

        async def request(officer: str, name: str) -> None:
            async with quotas.turn(officer):
                order.append(name)
                await release.wait()

        tasks = [asyncio.create_task(request("a", "a1")), asyncio.create_task(request("a", "a2")), asyncio.create_task(request("b", "b1"))]
        await asyncio.sleep(0.05)
        seen = list(order)
        release.set()
        await asyncio.gather(*tasks)
        return seen

    assert run_async(scenario()) == ["a1", "b1"]


def test_command_and_upload_turns_are_apart() -> None:
    """An officer's upload does not wait for their command request, nor the reverse (GIAMSAT_UPLOADS_AT_ONCE)."""
    from backend.lib.quotas import Limit, Quotas
    from tests.conftest import run_async

    async def scenario() -> bool:
        quotas = Quotas(Limit(60, 10), Limit(60, 10), Limit(60, 10))
        async with quotas.turn("a"):
            upload_turn = quotas.turn("a", "uploads")
            return not upload_turn.locked() and quotas.turn("a").locked()

    assert run_async(scenario())
