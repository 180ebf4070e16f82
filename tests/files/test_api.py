"""The files API through the app: uploads (PUT /api/v1/files/<sha256>) and the copies pages show
(GET /files/<sha256>, /files/<sha256>/thumb), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterator

import pytest
from litestar.testing import TestClient
from PIL import Image

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.files.photos import BLUE, RED, bomb_png, gif, phone_jpeg, plain_jpeg, png, sha, webp

MB = 1024 * 1024


def upload(client: TestClient, data: bytes, content_type: str | None, name: str | None = None, **kwargs: Any) -> Any:
    headers = {"content-type": content_type} if content_type else {}
    return client.put(f"/api/v1/files/{name or sha(data)}", content=data, headers=headers, **kwargs)


async def stored_rows() -> list[dict[str, Any]]:
    from backend.files.tables import StoredFile

    return await StoredFile.select().order_by(StoredFile.id)


def files_on_disk(settings: Any) -> list[str]:
    root: Path = settings.data_dir / "files"
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def attach(client: TestClient, sha256: str, record_id: int, branch_id: int | None) -> None:
    from backend.files import services

    in_app(client, services.attach, sha256, "logbook_entry", record_id, branch_id)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: tuple[int, ...], color: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color))


# --- uploading -------------------------------------------------------------------------------------------


def test_upload_photo_answers_201_and_stores_original_copies_and_row(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["officer"])
    photo = phone_jpeg()
    digest = sha(photo)

    response = upload(client, photo, "image/jpeg")

    assert response.status_code == 201
    assert response.json() == {
        "sha256": digest, "content_type": "image/jpeg", "size": len(photo), "width": 200, "height": 400, "created": True,
    }
    (row,) = in_app(client, stored_rows)
    assert (row["sha256"], row["content_type"], row["size"], row["width"], row["height"]) == (
        digest, "image/jpeg", len(photo), 200, 400,
    )
    assert row["uploaded_by"] == world["officer"] and row["uploaded_branch"] == world["branch"]
    folder = f"{digest[:2]}/{digest[2:4]}/{digest}"
    assert files_on_disk(settings) == [folder, f"{folder}.display.jpg", f"{folder}.thumb.jpg"]
    assert (settings.data_dir / "files" / folder).read_bytes() == photo  # the evidence, byte for byte


@pytest.mark.parametrize(
    ("make", "content_type", "size"),
    [(png, "image/png", (300, 150)), (webp, "image/webp", (320, 240)), (plain_jpeg, "image/jpeg", (640, 480))],
    ids=["png", "webp", "jpeg"],
)
def test_upload_each_accepted_format_is_stored(
    client: TestClient, world: World, make: Any, content_type: str, size: tuple[int, int]
) -> None:
    sign_in_as(client, world["warehouse_user"])
    data = make()

    response = upload(client, data, content_type)

    assert response.status_code == 201
    assert (response.json()["content_type"], response.json()["width"], response.json()["height"]) == (content_type, *size)
    served = client.get(f"/files/{sha(data)}")
    assert served.status_code == 200 and opened(served.content).format == "JPEG" and opened(served.content).size == size


def test_upload_same_bytes_again_answers_200_and_stores_once(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["officer"])
    photo = phone_jpeg()
    first = upload(client, photo, "image/jpeg")
    on_disk = files_on_disk(settings)

    sign_in_as(client, world["supervisor"])
    again = upload(client, photo, "image/jpeg")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "created": False}
    (row,) = in_app(client, stored_rows)
    assert row["uploaded_by"] == world["officer"]  # the first uploader stays the uploader
    assert files_on_disk(settings) == on_disk and len(on_disk) == 3


def test_upload_again_with_wrong_bytes_is_still_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = phone_jpeg()
    upload(client, photo, "image/jpeg")

    response = upload(client, photo[:-10], "image/jpeg", name=sha(photo))

    assert response.status_code == 400 and response.json()["error"] == "file_hash_mismatch"


def _chunked(data: bytes, size: int = 1 * MB) -> Iterator[bytes]:
    """A body sent without Content-Length (chunked), so that only what is read can be counted."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


REFUSALS = {
    "text": (lambda: b"Bien ban ban giao hang hoa", "image/jpeg", None, 415, "not_an_image",
             "This file is not a JPEG, PNG or WebP photo.", {}),
    "truncated-jpeg": (lambda: plain_jpeg((1200, 900))[:4000], "image/jpeg", None, 400, "image_damaged",
                       "The photo is damaged or incomplete. Take it again.", {}),
    "png-declared-jpeg": (png, "image/jpeg", None, 400, "type_mismatch",
                          "The file is of type %(actual)s but was sent as %(declared)s.",
                          {"actual": "image/png", "declared": "image/jpeg"}),
    "gif": (gif, "image/gif", None, 415, "unsupported_type", "Only JPEG, PNG and WebP photos are accepted.", {}),
    "no-content-type": (plain_jpeg, None, None, 415, "unsupported_type", "Only JPEG, PNG and WebP photos are accepted.", {}),
    "decompression-bomb": (bomb_png, "image/png", None, 400, "too_many_pixels",
                           "The photo has too many pixels (at most %(limit)s megapixels).", {"limit": 12}),
    "hash-mismatch": (plain_jpeg, "image/jpeg", "ab" * 32, 400, "file_hash_mismatch",
                      "The file does not match its SHA-256: it was changed or cut short on the way. Send it again.", {}),
    "hash-uppercase": (plain_jpeg, "image/jpeg", sha(plain_jpeg()).upper(), 400, "invalid_hash",
                       "A file is named by its SHA-256: 64 lowercase hexadecimal characters.", {}),
    "hash-too-short": (plain_jpeg, "image/jpeg", "abc123", 400, "invalid_hash",
                       "A file is named by its SHA-256: 64 lowercase hexadecimal characters.", {}),
    "over-10-mb": (lambda: b"\xff\xd8" + b"\x00" * (11 * MB), "image/jpeg", None, 413, "file_too_large",
                   "The file is larger than %(limit)s MB.", {"limit": 10}),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_upload_refused_answers_typed_error_and_stores_nothing(
    client: TestClient, world: World, settings: Any, case: str
) -> None:
    make, content_type, name, status, code, msgid, params = REFUSALS[case]
    sign_in_as(client, world["officer"])

    response = upload(client, make(), content_type, name=name)

    assert response.status_code == status
    assert response.json() == {"error": code, "message": translate_in("vi", msgid, **params), "detail": None}
    assert in_app(client, stored_rows) == [] and files_on_disk(settings) == []


@pytest.mark.parametrize(
    ("size", "code", "msgid", "params"),
    [
        (11 * MB, "file_too_large", "The file is larger than %(limit)s MB.", {"limit": 10}),
        (13 * MB, "too_large", "What you sent is too large.", {}),
    ],
    ids=["over-file-limit", "over-body-limit"],
)
def test_upload_oversize_body_without_length_is_cut_off_with_413(
    client: TestClient, world: World, settings: Any, size: int, code: str, msgid: str, params: dict[str, Any]
) -> None:
    sign_in_as(client, world["officer"])
    body = b"\xff\xd8" + b"\x00" * size

    response = client.put(f"/api/v1/files/{sha(body)}", content=_chunked(body), headers={"content-type": "image/jpeg"})

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"error": code, "message": translate_in("vi", msgid, **params), "detail": None}
    assert in_app(client, stored_rows) == [] and files_on_disk(settings) == []


def test_upload_error_is_in_the_callers_language(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")

    response = upload(client, png(), "image/jpeg")

    assert response.json()["message"] == "The file is of type image/png but was sent as image/jpeg."


def test_upload_by_admin_is_forbidden_and_stores_nothing(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["admin"])

    response = upload(client, plain_jpeg(), "image/jpeg")

    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert in_app(client, stored_rows) == [] and files_on_disk(settings) == []


def test_upload_signed_out_is_401(client: TestClient, world: World, settings: Any) -> None:
    response = upload(client, plain_jpeg(), "image/jpeg")

    assert response.status_code == 401 and response.json()["error"] == "not_signed_in"
    assert in_app(client, stored_rows) == [] and files_on_disk(settings) == []


def test_upload_with_session_but_without_csrf_token_is_refused(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["officer"])
    del client.headers["x-csrf-token"]

    response = upload(client, plain_jpeg(), "image/jpeg")

    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"
    assert in_app(client, stored_rows) == []


# --- showing ---------------------------------------------------------------------------------------------


def test_file_served_copy_is_upright_jpeg_without_exif(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = phone_jpeg()
    upload(client, photo, "image/jpeg")

    display = client.get(f"/files/{sha(photo)}")
    thumb = client.get(f"/files/{sha(photo)}/thumb")

    for response in (display, thumb):
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content != photo and b"Exif" not in response.content and b"iPhone" not in response.content
        assert dict(opened(response.content).getexif()) == {}
    image = opened(display.content)
    assert image.size == (200, 400) and opened(thumb.content).size == (160, 320)
    assert near(image.getpixel((100, 20)), RED) and near(image.getpixel((100, 380)), BLUE)


def test_file_original_is_never_served(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = phone_jpeg()
    upload(client, photo, "image/jpeg")

    answers = [client.get(f"/files/{sha(photo)}{suffix}") for suffix in ("", "/thumb", "/original", ".jpg")]

    assert [answer.status_code for answer in answers] == [200, 200, 404, 404]
    assert all(answer.content != photo for answer in answers)


def test_file_of_other_branch_is_404_until_attached_to_a_record_of_theirs(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = phone_jpeg()
    upload(client, photo, "image/jpeg")
    sign_in_as(client, world["other_officer"])

    before = client.get(f"/files/{sha(photo)}")
    attach(client, sha(photo), 7, world["branch"])
    still = client.get(f"/files/{sha(photo)}/thumb")
    attach(client, sha(photo), 8, world["other_branch"])
    after = client.get(f"/files/{sha(photo)}")

    assert (before.status_code, still.status_code, after.status_code) == (404, 404, 200)
    assert before.headers["content-type"].startswith("text/html") and "cache-control" not in before.headers
    assert opened(after.content).size == (200, 400)


def test_file_of_own_branch_is_seen_once_attached(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = plain_jpeg()
    upload(client, photo, "image/jpeg")
    sign_in_as(client, world["supervisor"])

    before = client.get(f"/files/{sha(photo)}").status_code
    attach(client, sha(photo), 1, world["branch"])
    after = client.get(f"/files/{sha(photo)}").status_code

    assert (before, after) == (404, 200)


def test_file_refusal_looks_like_an_unknown_file(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = plain_jpeg()
    upload(client, photo, "image/jpeg")
    sign_in_as(client, world["other_officer"])

    hidden = client.get(f"/files/{sha(photo)}", headers={"accept": "application/json"})
    unknown = client.get(f"/files/{'0' * 64}", headers={"accept": "application/json"})
    malformed = client.get("/files/not-a-hash/thumb", headers={"accept": "application/json"})

    assert hidden.status_code == unknown.status_code == malformed.status_code == 404
    assert hidden.json() == unknown.json() == malformed.json()


def test_file_admin_does_not_see_the_officers_evidence(client: TestClient, world: World) -> None:
    # Issue 11: an administrator manages people, not evidence; a malicious admin reads no branch's photos.
    sign_in_as(client, world["other_officer"])
    photo = webp()
    upload(client, photo, "image/webp")
    sign_in_as(client, world["admin"])

    response = client.get(f"/files/{sha(photo)}/thumb", headers={"accept": "application/json"})

    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_file_signed_out_is_sent_to_sign_in(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    photo = plain_jpeg()
    upload(client, photo, "image/jpeg")
    client.cookies.clear()

    page = client.get(f"/files/{sha(photo)}", follow_redirects=False)
    as_json = client.get(f"/files/{sha(photo)}/thumb", headers={"accept": "application/json"})

    assert page.status_code == 303 and page.headers["location"] == f"/signin?next=/files/{sha(photo)}"
    assert as_json.status_code == 401 and as_json.json()["error"] == "not_signed_in"
