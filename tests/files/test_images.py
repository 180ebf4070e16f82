"""Checking and processing photos (backend/files/images.py): pure functions, no database."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from backend.files import images
from backend.lib.errors import DomainError
from tests.files.photos import BLUE, RED, bomb_png, encode, gif, phone_jpeg, plain_jpeg, png, png_header_only, webp


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: tuple[int, ...], color: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color))


def refusal(data: bytes, declared: str | None) -> DomainError:
    with pytest.raises(DomainError) as caught:
        images.process(data, declared)
    return caught.value


def test_process_phone_jpeg_is_upright_and_has_no_metadata() -> None:
    original = phone_jpeg()
    assert opened(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo really carries a position

    result = images.process(original, "image/jpeg")

    display, thumb = opened(result.display), opened(result.thumb)
    assert (result.content_type, result.width, result.height) == ("image/jpeg", 200, 400)
    assert display.format == thumb.format == "JPEG"
    assert display.size == (200, 400) and thumb.size == (160, 320)
    assert near(display.getpixel((100, 20)), RED) and near(display.getpixel((100, 380)), BLUE)
    for copy, data in ((display, result.display), (thumb, result.thumb)):
        assert dict(copy.getexif()) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & copy.info.keys()
        assert b"Exif" not in data and b"iPhone" not in data and b"gate A" not in data


def test_process_large_photo_is_shrunk_to_1600_and_320() -> None:
    result = images.process(plain_jpeg((4000, 1000)), "image/jpeg")

    assert (result.width, result.height) == (4000, 1000)
    assert opened(result.display).size == (1600, 400)
    assert opened(result.thumb).size == (320, 80)


def test_process_small_photo_is_not_enlarged() -> None:
    result = images.process(plain_jpeg((120, 90)), "image/jpeg")

    assert opened(result.display).size == (120, 90) and opened(result.thumb).size == (120, 90)


def test_process_png_transparency_becomes_white() -> None:
    result = images.process(png((300, 150)), "image/png")

    display = opened(result.display)
    assert (result.content_type, result.width, result.height) == ("image/png", 300, 150)
    assert display.mode == "RGB" and display.format == "JPEG"
    assert near(display.getpixel((50, 75)), (0, 128, 0)) and near(display.getpixel((250, 75)), (255, 255, 255))


def test_process_webp_is_accepted() -> None:
    result = images.process(webp((320, 240)), "image/webp")

    assert (result.content_type, result.width, result.height) == ("image/webp", 320, 240)
    assert opened(result.display).format == "JPEG" and opened(result.display).size == (320, 240)


def test_process_declared_type_with_parameters_and_capitals_is_understood() -> None:
    result = images.process(png(), "Image/PNG; charset=binary")

    assert result.content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "declared", "code", "status"),
    [
        (b"Bien ban ban giao, khong phai anh", "image/jpeg", "not_an_image", 415),
        (b"", "image/jpeg", "not_an_image", 415),
        (gif(), "image/jpeg", "not_an_image", 415),
        (gif(), "image/gif", "unsupported_type", 415),
        (plain_jpeg(), None, "unsupported_type", 415),
        (plain_jpeg(), "text/plain", "unsupported_type", 415),
        (png(), "image/jpeg", "type_mismatch", 400),
        (plain_jpeg(), "image/webp", "type_mismatch", 400),
    ],
    ids=["text", "empty", "gif-as-jpeg", "gif", "no-type", "text-type", "png-as-jpeg", "jpeg-as-webp"],
)
def test_process_wrong_kind_of_file_is_refused(data: bytes, declared: str | None, code: str, status: int) -> None:
    error = refusal(data, declared)

    assert (error.code, error.status_code) == (code, status)


def test_process_type_mismatch_names_both_types() -> None:
    error = refusal(png(), "image/jpeg")

    assert error.params == {"actual": "image/png", "declared": "image/jpeg"}


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_process_truncated_jpeg_is_refused_as_damaged(keep: float) -> None:
    photo = encode(Image.effect_noise((2400, 1800), 60).convert("RGB"), "JPEG")

    error = refusal(photo[: int(len(photo) * keep)], "image/jpeg")

    assert (error.code, error.status_code) == ("image_damaged", 400)


@pytest.mark.parametrize(
    "data",
    [bomb_png(10_000, 10_000), bomb_png(7_000, 7_000), png_header_only(30_000, 30_000)],
    ids=["100MP-pillow-warns", "49MP-under-pillow-limit", "900MP-pillow-refuses"],
)
def test_process_decompression_bomb_is_refused(data: bytes) -> None:
    assert len(data) < 100_000  # a few KB on the wire

    error = refusal(data, "image/png")

    assert (error.code, error.status_code, error.params) == ("too_many_pixels", 400, {"limit": 40})


def test_process_photo_at_the_pixel_limit_is_accepted() -> None:
    result = images.process(bomb_png(8_000, 5_000), "image/png")

    assert (result.width, result.height) == (8_000, 5_000) and opened(result.display).size == (1600, 1000)


def test_check_size_refuses_over_10_mb() -> None:
    images.check_size(10 * 1024 * 1024)
    images.check_size(None)

    with pytest.raises(DomainError) as caught:
        images.check_size(10 * 1024 * 1024 + 1)

    assert (caught.value.code, caught.value.status_code, caught.value.params) == ("file_too_large", 413, {"limit": 10})


def test_process_over_10_mb_is_refused_before_decoding() -> None:
    error = refusal(b"\xff\xd8" + b"\x00" * (10 * 1024 * 1024), "image/jpeg")

    assert (error.code, error.status_code) == ("file_too_large", 413)
