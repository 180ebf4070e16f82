"""Reading the codes in a photo of a list, on the server (the officer's way (c) in issue 4).

The photo is checked as uploads are (backend/files/images.py: size, real format, pixel count against
decompression bombs, complete stream), turned grey and shrunk so its longest side is at most WORK_SIDE, then
read by, in order, until one finds something:

1. zxing-cpp, told the formats we print and scan (QR, Code 128): fastest and most robust (stack-notes.md);
2. zxing-cpp again on the picture turned by 15, 45 and 75 degrees, for 1D codes photographed aslant;
3. pyzbar (ZBar), which the design card names, on the same picture;
4. pyzbar after a 3 x 3 median filter, which removes the sensor noise that breaks ZBar's line scans;
5. the same, on the filtered picture turned by 30 and 60 degrees (1D codes again).

Every step after the first runs only while the time budget lasts, so a photo with no code costs a bounded
time. Measured success rates and times are in docs/barcodes.md (tests/barcodes/test_decode.py prints them).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import zxingcpp
from PIL import Image, ImageFilter
from pyzbar import pyzbar

from backend.files import images

WORK_SIDE = 2000  # px: a list's QR in a 12-megapixel photo still has several pixels a module at this size
TIME_BUDGET_S = 1.5  # no new step starts after this; one step on a 2000 px picture takes well under 0.3 s
ZXING_FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128)
TURNS = (15, 45, 75)  # zxing: each reads about +-15 degrees around it, and zxing adds the quarter turn
MEDIAN_TURNS = (30, 60)  # ZBar's scan lines tolerate more slant; each step costs ~100 ms
PYZBAR_SYMBOLS = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128]


def open_photo(data: bytes, declared_type: str | None) -> Image.Image:
    """The photo as a greyscale picture at most WORK_SIDE on its longest side; raises DomainError if refused."""
    image, _ = images.open_checked(data, declared_type)
    try:
        scale = WORK_SIDE / max(image.size)
        if scale < 1:
            # JPEG: decode straight at a reduced scale (1/2, 1/4, 1/8) no smaller than needed: far faster.
            image.draft("L", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()  # the whole stream: a truncated file fails here
        grey = image.convert("L")
        grey.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise images.damaged() from None
    return grey


def read_zxing(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=ZXING_FORMATS) if barcode.valid]


def _turned(image: Image.Image, angles: tuple[int, ...], reader: Callable[[Image.Image], list[str]]) -> list[str]:
    for angle in angles:
        found = reader(image.rotate(angle, expand=True, resample=Image.Resampling.BILINEAR, fillcolor=255))
        if found:
            return found
    return []


def read_zxing_turned(image: Image.Image) -> list[str]:
    """zxing-cpp on the picture turned by 15, 45 and 75 degrees: a 1D code is read only near level (or upright:
    zxing also tries the quarter turn), and no decoder read one at 30-45 degrees in the stack trial."""
    return _turned(image, TURNS, read_zxing)


def read_pyzbar(image: Image.Image) -> list[str]:
    return [symbol.data.decode("utf-8", errors="replace") for symbol in pyzbar.decode(image, symbols=PYZBAR_SYMBOLS)]


def read_pyzbar_median(image: Image.Image) -> list[str]:
    return read_pyzbar(image.filter(ImageFilter.MedianFilter(3)))


def read_pyzbar_median_turned(image: Image.Image) -> list[str]:
    """The last resort, for noisy 1D codes photographed aslant: filtered once, then turned by 30 and 60 degrees."""
    return _turned(image.filter(ImageFilter.MedianFilter(3)), MEDIAN_TURNS, read_pyzbar)


# In order: the first that finds a code ends the search.
READERS: list[tuple[str, Callable[[Image.Image], list[str]]]] = [
    ("zxing-cpp", read_zxing),
    ("zxing-cpp turned", read_zxing_turned),
    ("pyzbar", read_pyzbar),
    ("pyzbar+median", read_pyzbar_median),
    ("pyzbar+median turned", read_pyzbar_median_turned),
]


def read_image(image: Image.Image, budget_s: float = TIME_BUDGET_S) -> tuple[list[str], str | None]:
    """The texts of the codes in a prepared picture and the reader that found them (None: nothing found)."""
    started = time.perf_counter()
    for index, (name, reader) in enumerate(READERS):
        if index and time.perf_counter() - started > budget_s:
            break
        texts = list(dict.fromkeys(reader(image)))  # once each, in the order found
        if texts:
            return texts, name
    return [], None


def decode_photo(data: bytes, declared_type: str | None = "image/jpeg") -> list[str]:
    """The texts of the barcodes in a photo (JPEG, PNG or WebP), empty when none could be read.

    Raises DomainError for a photo refused by the checks. CPU-bound (about 10-100 ms): call it in a thread.
    """
    return read_image(open_photo(data, declared_type))[0]
