"""POST /api/v1/barcodes/decode through the app: a photo in, the codes it holds and what they say out,
on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import random
from typing import Any

from litestar.testing import TestClient
from PIL import Image

from backend.barcodes import payload, qr, services
from backend.barcodes.payload import DocumentKind, Keyring
from backend.lib.i18n import translate_in
from tests.barcodes import photos
from tests.conftest import World, sign_in_as

URL = "/api/v1/barcodes/decode"


def post_photo(client: TestClient, data: bytes, content_type: str = "image/png", **headers: str) -> Any:
    return client.post(URL, content=data, headers={"content-type": content_type, **headers})


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (640, 480), 255).save(out, "PNG")
    return out.getvalue()


def test_decode_api_answers_the_payload_of_a_list_qr(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["officer"])
    text = payload.encode(services.keyring_for(settings), "305123456789", 3, DocumentKind.CONTAINER_LIST)

    response = post_photo(client, qr.qr_png(text))

    assert response.status_code == 200
    assert response.json() == {
        "codes": [
            {
                "text": text,
                "payload": {
                    "number": "305123456789",
                    "kind": "container_list",
                    "version": 3,
                    "key_id": "A",
                    "signed": True,
                    "typed": False,
                },
                "error": None,
            }
        ]
    }


def test_decode_api_reads_a_phone_photo_jpeg(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["warehouse_user"])
    text = payload.encode(services.keyring_for(settings), "305123456789", 1, DocumentKind.GOODS_LIST)
    photo = photos.photo_of(photos.qr(text), random.Random(7))

    response = post_photo(client, photo.jpeg, "image/jpeg")

    assert response.status_code == 200
    assert [(code["text"], code["payload"]["kind"]) for code in response.json()["codes"]] == [(text, "goods_list")]


def test_decode_api_after_key_rotation_reads_old_papers_and_refuses_unknown_keys(client: TestClient, world: World, settings: Any) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / payload.KEYRING_FILE).write_text(f"A {settings.secret_key}\nB a new secret\n")
    services._keyring.cache_clear()  # the keyring is read once per process: as after a restart
    sign_in_as(client, world["officer"])
    old_paper = payload.encode(Keyring.from_secrets({"A": settings.secret_key}, "A"), "305123456789", 1, DocumentKind.GOODS_LIST)
    new_paper = payload.encode(services.keyring_for(settings), "305123456789", 2, DocumentKind.GOODS_LIST)
    unknown = payload.encode(Keyring.from_secrets({"C": "x"}, "C"), "305123456789", 2, DocumentKind.GOODS_LIST)

    answers = [post_photo(client, qr.qr_png(text)).json()["codes"][0] for text in (old_paper, new_paper, unknown)]

    assert [answer["payload"]["key_id"] for answer in answers[:2]] == ["A", "B"]
    assert answers[2]["error"] == {
        "error": "barcode_unknown_key",
        "message": translate_in("vi", payload.unknown_key("C").message, key_id="C"),
    }


def test_decode_api_code_of_another_deployment_is_refused_as_forged_in_vietnamese(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    text = payload.encode(Keyring.from_secrets({"A": "someone else's secret"}, "A"), "305123456789", 1, DocumentKind.CONTAINER_LIST)

    response = post_photo(client, qr.qr_png(text))

    assert response.status_code == 200
    assert response.json()["codes"] == [
        {"text": text, "payload": None, "error": {"error": "barcode_forged", "message": translate_in("vi", payload.forged().message)}}
    ]


def test_decode_api_bare_number_code_128_is_a_typed_unsigned_payload(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])
    page = Image.new("L", (600, 300), 255)
    page.paste(photos.code128("305123456789"), (40, 40))
    out = io.BytesIO()
    page.save(out, "PNG")

    response = post_photo(client, out.getvalue())

    (code,) = response.json()["codes"]
    assert code["payload"] == {"number": "305123456789", "kind": None, "version": None, "key_id": None, "signed": False, "typed": True}


def test_decode_api_photo_without_a_code_is_unreadable_in_the_callers_language(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")

    response = post_photo(client, blank_png())

    assert response.status_code == 422
    assert response.json() == {
        "error": "barcode_unreadable",
        "message": "No barcode could be read. Try again, or type the declaration number.",
        "detail": None,
    }


def test_decode_api_not_an_image_is_refused_with_a_typed_error(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    response = post_photo(client, b"%PDF-1.7 not a photo", "image/jpeg")

    assert response.status_code == 415
    assert response.json()["error"] == "not_an_image"
    assert response.json()["message"] == translate_in("vi", "This file is not a JPEG, PNG or WebP photo.")


def test_decode_api_unaccepted_type_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    response = post_photo(client, b"GIF89a", "image/gif")

    assert response.status_code == 415 and response.json()["error"] == "unsupported_type"


def test_decode_api_photo_over_10_mb_is_refused_with_the_limit(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    response = post_photo(client, b"\xff" * (10 * 1024 * 1024 + 1), "image/jpeg")

    assert response.status_code == 413
    assert response.json()["error"] == "file_too_large"
    assert response.json()["message"] == translate_in("vi", "The file is larger than %(limit)s MB.", limit=10)


def test_decode_api_by_admin_is_forbidden(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])

    response = post_photo(client, blank_png())

    assert response.status_code == 403 and response.json()["error"] == "forbidden"


def test_decode_api_signed_out_is_401(client: TestClient, world: World) -> None:
    response = post_photo(client, blank_png())

    assert response.status_code == 401 and response.json()["error"] == "not_signed_in"
