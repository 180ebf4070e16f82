"""Real image files made with Pillow (and one hand-made PNG) for the files tests."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

from PIL import ExifTags, Image

RED, BLUE = (255, 0, 0), (0, 0, 255)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def phone_jpeg() -> bytes:
    """A 400×200 JPEG as a phone writes it: red left half, blue right half, stored sideways with EXIF
    orientation 6 (turn 90° clockwise to view, so it is 200×400 and red on top), and where it was taken."""
    image = Image.new("RGB", (400, 200), RED)
    image.paste(BLUE, (200, 0, 400, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: (20.0, 51.0, 30.0), 3: "E", 4: (106.0, 41.0, 0.0)})
    return encode(image, "JPEG", exif=exif, quality=95, comment=b"taken at gate A")


def plain_jpeg(size: tuple[int, int] = (640, 480), color: tuple[int, int, int] = (40, 120, 60)) -> bytes:
    return encode(Image.new("RGB", size, color), "JPEG")


def png(size: tuple[int, int] = (300, 150)) -> bytes:
    """A PNG with a transparent right half."""
    image = Image.new("RGBA", size, (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (size[0] // 2, 0, size[0], size[1]))
    return encode(image, "PNG")


def webp(size: tuple[int, int] = (320, 240)) -> bytes:
    return encode(Image.new("RGB", size, (200, 160, 0)), "WEBP")


def gif() -> bytes:
    return encode(Image.new("RGB", (20, 20), RED), "GIF")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A valid black 1-bit PNG of width×height pixels that compresses to a few KB: a decompression bomb.

    Written by hand, so that making it does not decode it (Pillow would hold width×height bytes)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte, then the packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def png_header_only(width: int, height: int) -> bytes:
    """Just the start of a PNG announcing width×height: enough for Pillow to see the size."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
