"""Checking an uploaded photo and making the copies that are shown. Pure: bytes in, bytes out, no I/O.

What is checked, in order: the size; the declared type is one we accept (JPEG, PNG, WebP); the bytes really
are one of those formats, the one declared; the pixel count is sane (a small file can decode to gigabytes:
a decompression bomb); the whole image decodes (a truncated file is refused). Only then are the copies made.

The original bytes are kept as uploaded, since the device's SHA-256 covers them and they are the evidence,
but they are never served: they may carry EXIF with the phone's GPS position, owner and serial number.
What is served is re-encoded from pixels only, so no metadata can survive: a display copy (orientation from
EXIF applied, longest side at most 1600 px) and a thumbnail (longest side 320 px), both JPEG.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from backend.lib.errors import N_, DomainError

MAX_FILE_BYTES = 10 * 1024 * 1024
# The ceiling for any photo (the barcode reader's, which gets a phone's full-size photo). Uploads have a lower
# limit, a setting (GIAMSAT_UPLOAD_MAX_MEGAPIXELS): the phone sends them at most 1600 px a side.
MAX_PIXELS = 40_000_000
DISPLAY_SIDE = 1600
THUMB_SIDE = 320

# Declared Content-Type → Pillow's name of the format.
FORMATS: dict[str, str] = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
CONTENT_TYPES: dict[str, str] = {fmt: content_type for content_type, fmt in FORMATS.items()}

# EXIF orientations 5-8 turn the picture by a quarter: what a person sees is the stored size transposed.
_QUARTER_TURNS = {5, 6, 7, 8}
_EXIF_ORIENTATION = 0x0112


class FileTooLarge(DomainError):
    status_code = 413


class UnsupportedMediaType(DomainError):
    status_code = 415


@dataclass(frozen=True)
class ProcessedImage:
    content_type: str  # of the original, from its bytes
    width: int  # of the original as a person sees it (EXIF orientation applied)
    height: int
    display: bytes  # JPEG, no metadata
    thumb: bytes  # JPEG, no metadata


def check_size(size: int | None) -> None:
    """Refuse a file over the size limit; callers pass a Content-Length before reading a body when they can."""
    if size is not None and size > MAX_FILE_BYTES:
        raise FileTooLarge("file_too_large", N_("The file is larger than %(limit)s MB."), limit=MAX_FILE_BYTES // (1024 * 1024))


def accepted_type(declared: str | None) -> str:
    """The declared Content-Type without parameters, if it is one we accept."""
    content_type = (declared or "").split(";", 1)[0].strip().lower()
    if content_type not in FORMATS:
        raise UnsupportedMediaType("unsupported_type", N_("Only JPEG, PNG and WebP photos are accepted."))
    return content_type


def _too_many_pixels(max_pixels: int = MAX_PIXELS) -> DomainError:
    return DomainError(
        "too_many_pixels",
        N_("The photo has too many pixels (at most %(limit)s megapixels)."),
        limit=max_pixels // 1_000_000,
    )


def damaged() -> DomainError:
    """The refusal for a photo whose pixels cannot be decoded (truncated, corrupt)."""
    return DomainError("image_damaged", N_("The photo is damaged or incomplete. Take it again."))


def _open(data: bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Read the header only: the format and the size, before any pixel is decoded."""
    # The explicit MAX_PIXELS check below is the guard; Pillow's own bomb warning (beyond ~89 megapixels)
    # is also made an error, so it can never be merely printed and ignored.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(max_pixels) from None
        except UnidentifiedImageError:
            raise UnsupportedMediaType("not_an_image", N_("This file is not a JPEG, PNG or WebP photo.")) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise damaged() from None


def _flattened(image: Image.Image) -> Image.Image:
    """A JPEG-ready image (RGB, or L for greyscale): transparent parts become white rather than black."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("L" if image.mode == "1" else "RGB")


def _shrunk(image: Image.Image, side: int) -> Image.Image:
    """A copy whose longest side is at most `side` (never enlarged)."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # Pillow's JPEG writer carries a COM (comment) segment over from `info`; EXIF, XMP and ICC are written
    # only when passed to save(), which they are not.
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def open_checked(data: bytes, declared_type: str | None, max_pixels: int = MAX_PIXELS) -> tuple[Image.Image, str]:
    """A photo opened (header only, no pixel decoded yet) once every check that needs no decoding passed:
    size, an accepted declared type, a real JPEG/PNG/WebP of that type, at most `max_pixels`. Also used by the
    barcode reader (barcodes/decode.py), so both refuse the same files in the same words."""
    check_size(len(data))
    content_type = accepted_type(declared_type)
    image = _open(data, max_pixels)
    actual_type = CONTENT_TYPES[image.format or ""]
    if actual_type != content_type:
        raise DomainError(
            "type_mismatch",
            N_("The file is of type %(actual)s but was sent as %(declared)s."),
            actual=actual_type,
            declared=content_type,
        )
    if image.width * image.height > max_pixels:
        raise _too_many_pixels(max_pixels)
    return image, content_type


def header_pixels(data: bytes, declared_type: str | None, max_pixels: int) -> int:
    """The pixel count of a photo, read from its header (microseconds: nothing is decoded); refused with
    `too_many_pixels` above `max_pixels`, and with the same words as `process` when it is no photo we accept."""
    image, _ = open_checked(data, declared_type, max_pixels)
    return image.width * image.height


def process(data: bytes, declared_type: str | None) -> ProcessedImage:
    """Check an uploaded photo and make its display copy and thumbnail; raise a DomainError if refused.

    CPU-bound (tens of milliseconds for a phone photo): call it in a worker thread.
    """
    image, content_type = open_checked(data, declared_type)
    width, height = image.size
    if image.getexif().get(_EXIF_ORIENTATION) in _QUARTER_TURNS:
        width, height = height, width
    try:
        scale = DISPLAY_SIDE / max(image.size)
        if scale < 1:
            # JPEG only (a no-op for the others): decode at the smallest scale still at least the display
            # size, several times faster and smaller in memory for a full-size camera photo.
            image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()  # the whole stream: a truncated file fails here
        ImageOps.exif_transpose(image, in_place=True)  # in place: a 40-megapixel copy is not cheap
        display = _flattened(image)
        # In place (no copy of a large image); thumbnail() decodes in steps (reduce) before resampling.
        display.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.LANCZOS)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise damaged() from None
    return ProcessedImage(
        content_type=content_type,
        width=width,
        height=height,
        display=_jpeg(display, quality=85),
        thumb=_jpeg(_shrunk(display, THUMB_SIDE), quality=80),
    )
