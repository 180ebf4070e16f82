"""Reading the codes in a photo of a list, on the server (the officer's way (c) in issue 4; harder photos: issue 17).

The photo is checked as uploads are (backend/files/images.py: size, real format, pixel count against
decompression bombs, complete stream), turned grey and shrunk so its longest side is at most WORK_SIDE, then
read by the passes of READERS in order. The first pass that finds a plausible list code (a `GS1.` payload or a
12-digit declaration number, `plausible()`: the typed number's rule, Decision 1966 Art 35.2.c; or another of
giamsat's own codes, `ends_search()`) ends the search, so an easy photo costs one zxing-cpp call. A code that is
not plausible (a seal's or a container's own barcode, a misread) does not end it; it is answered only when no pass
found a plausible one (the API then says why it is no list code, reads.py). Two different texts read at the same
place are dropped (`agreed()`: a misread at least once). The passes, cheapest first:

1. zxing-cpp with its defaults (local-average binarizer, quarter turns, downscaled copies, inverted codes);
2. zxing-cpp with a fixed threshold: keeps the narrow bars of a small or blurred Code 128 that the local
   binarizer averages away;
3. zxing-cpp after a light Gaussian blur: night photos, whose sensor noise breaks the bars' edges;
4. the located crop: where a 1D code probably is (`locate()`: strong gradients that all point one way) and the
   direction of its bars; a crop around it turned so that the bars stand upright, its rows averaged (along the
   bars: the noise goes, the bars stay), widened and sharpened (an unsharp mask undoes much of the focus blur),
   read with both binarizers, as it is and equalized (dark or half-shaded); then ZBar on the median-filtered
   upright crop. This reads most of the small, blurred, turned and dark Code 128 photos that 1-3 miss;
5. the averaged and sharpened rows of the whole picture (and its quarter turn), no location needed;
6. the same on the picture turned by 45 degrees;
7. zxing-cpp on the picture turned by 15, 45 and 75 degrees (zxing reads 1D codes about +-15 degrees off level);
8. pyzbar (ZBar), which the design card names, after a 3 x 3 median filter.

No pass starts once TIME_BUDGET_S of CPU time has been spent since the first began, and the located crop (whose cost
grows with what it finds) stops between its pictures, so a photo with no code costs about the budget and one pass.
Measured: bench/decode.py; figures in bench/README.md and docs/barcodes.md.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import zxingcpp
from PIL import Image, ImageFilter, ImageMath, ImageOps
from pyzbar import pyzbar

from backend.files import images

WORK_SIDE = 2000  # px: a list's QR in a 12-megapixel photo still has several pixels a module at this size
# No new pass starts after this much CPU time (seconds, of the reading thread, since the first pass began): the
# work a photo may cost, whatever else the machine runs. Chosen so that all eight passes of a 1280 x 720 photo fit
# on the slowest machine measured (bench/decode.py, issue 17: 0.48 s of CPU on a 2-vCPU AMD EPYC, 0.36 s on the
# first bench machine): with 0.3 s there, the last pass (ZBar) was cut and a photo a person can read, that only ZBar
# read, was lost, so the read rate depended on the CPU's speed. A 12-megapixel photo with no code costs about the
# budget and one pass.
TIME_BUDGET_S = 0.5
# When read_image's budget is spent (thread CPU time), for the passes that check it between their own steps.
_DEADLINE: ContextVar[float] = ContextVar("barcode_decode_deadline", default=math.inf)
ZXING_FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128)
CODE128 = zxingcpp.BarcodeFormat.Code128
TURNS = (15, 45, 75)  # zxing: each reads about +-15 degrees around it, and zxing adds the quarter turn
PYZBAR_SYMBOLS = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128]

# A plausible list code: what payload.decode accepts as a signed payload's shape or a declaration number (12
# ASCII digits, spaces allowed as a scanner may type them). Checked again, fully, by payload.decode.
_PLAUSIBLE = re.compile(r"^(GS1\.[A-Z]\.[0-9]{12}\.[1-9][0-9]{0,5}\.[A-Z][A-Z2-7]{16}|[0-9]{12})$")


# giamsat's other printed codes, which end the search too: a handover record's QR (docs/record-qr.md), a form 07's
# QR (docs/paper.md). Read through the same server from the receiving and paper pages.
_OWN = re.compile(r"^(GSR1|F07)\.")


def plausible(text: str) -> bool:
    """Whether a code read is a list payload or a declaration number in shape (the signature is not checked here)."""
    return bool(_PLAUSIBLE.match("".join(text.split()).upper()))


def ends_search(text: str) -> bool:
    """A list's code in shape, or another of giamsat's own codes: no later pass is needed."""
    return plausible(text) or bool(_OWN.match(text.strip().upper()))


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


# --- the readers ---------------------------------------------------------------------------------------------------


Box = tuple[float, float, float, float]
OVERLAP_PX = 8  # two reads whose boxes come this close are of the same code


def _overlap(a: Box, b: Box) -> bool:
    return a[0] - OVERLAP_PX <= b[2] and b[0] - OVERLAP_PX <= a[2] and a[1] - OVERLAP_PX <= b[3] and b[1] - OVERLAP_PX <= a[3]


def agreed(reads: list[tuple[str, Box]]) -> list[str]:
    """The texts read, without those contradicted by another text read at the same place.

    One code read twice with different texts (zxing-cpp reads a 1D code on several rows; Code 128's check character
    lets one misread in 103 through) is a misread at least once, and which one cannot be told: neither is
    answered, and the later passes read that code again. Measured: a photo of the bench gave '102535246649' and
    '102502236649' for one code; a wrong declaration number must never be offered (Art 35.2.c)."""
    texts: list[str] = []
    for text, box in reads:
        if text in texts or any(other != text and _overlap(box, where) for other, where in reads):
            continue
        texts.append(text)
    return texts


def _zxing_box(barcode: Any) -> Box:
    points = (barcode.position.top_left, barcode.position.top_right, barcode.position.bottom_right, barcode.position.bottom_left)
    xs, ys = [point.x for point in points], [point.y for point in points]
    return min(xs), min(ys), max(xs), max(ys)


def _zxing(image: Image.Image, formats: Any = ZXING_FORMATS, **options: Any) -> list[str]:
    return agreed([(barcode.text, _zxing_box(barcode)) for barcode in zxingcpp.read_barcodes(image, formats=formats, **options) if barcode.valid])


def read_zxing(image: Image.Image) -> list[str]:
    return _zxing(image)


def read_zxing_fixed(image: Image.Image) -> list[str]:
    return _zxing(image, binarizer=zxingcpp.Binarizer.FixedThreshold, try_invert=False)


def _read_rows(image: Image.Image) -> list[str]:
    """Code 128 in a picture whose bars stand upright (rows averaged, sharpened): both binarizers, level only."""
    for binarizer in (zxingcpp.Binarizer.FixedThreshold, zxingcpp.Binarizer.LocalAverage):
        found = _zxing(image, CODE128, binarizer=binarizer, try_rotate=False, try_invert=False, try_downscale=False)
        if found:
            return found
    return []


def _turn(image: Image.Image, angle: float, resample: Image.Resampling = Image.Resampling.BILINEAR) -> Image.Image:
    return image.rotate(angle, expand=True, resample=resample, fillcolor=255)


def _rows_sharpened(image: Image.Image, rows: int, widen: int = 1, percent: int = 300, radius: int = 2) -> Image.Image:
    """Upright bars: each `rows` rows averaged into one (noise down by sqrt(rows), the bars kept), the width
    multiplied by `widen` (bicubic) and an unsharp mask (`radius` px before widening, `percent` strong) to
    steepen the blurred edges of the narrow bars."""
    squashed = image.resize((image.width * widen, max(1, image.height // rows)), Image.Resampling.BICUBIC, reducing_gap=None)
    return squashed.filter(ImageFilter.UnsharpMask(radius=radius * widen, percent=percent, threshold=0))


def read_rows(image: Image.Image, rows: int = 8) -> list[str]:
    """The averaged and sharpened rows of the picture and of its quarter turn (a code standing on end)."""
    return _read_rows(_rows_sharpened(image, rows)) or _read_rows(_rows_sharpened(image.transpose(Image.Transpose.ROTATE_90), rows))


def read_rows_turned(image: Image.Image) -> list[str]:
    """The same on the picture turned by 45 degrees (then its quarter turn covers -45)."""
    return read_rows(_turn(image, 45))


@dataclass(frozen=True)
class Located:
    """Where a 1D code probably is: a box of the picture and the direction of its bars' gradients."""

    box: tuple[int, int, int, int]
    angle: float  # degrees: turning the crop by -angle (clockwise) makes the bars upright
    coherence: float  # 0-1: how much the gradients agree on one direction (a barcode: near 1)


CELL = 8  # px of the photo: the grid on which the locator measures the gradients
_SOBEL_X = ImageFilter.Kernel((3, 3), [-1, 0, 1, -2, 0, 2, -1, 0, 1], scale=8, offset=128)
_SOBEL_Y = ImageFilter.Kernel((3, 3), [-1, -2, -1, 0, 0, 0, 1, 2, 1], scale=8, offset=128)


def _signed(a: dict[str, Any], name: str) -> Any:
    return a["convert"](a[name], "F") - 128  # the Sobel filters' output is offset by 128


_PRODUCTS = (
    lambda a: _signed(a, "x") * _signed(a, "x"),
    lambda a: _signed(a, "y") * _signed(a, "y"),
    lambda a: _signed(a, "x") * _signed(a, "y"),
)


def _tensor(image: Image.Image) -> tuple[int, int, list[float], list[float], list[float]]:
    """The structure tensor of the picture's gradients summed over CELL x CELL cells: (cols, rows, xx, yy, xy).

    Computed on the picture halved (averaging 2 x 2 takes out much of the sensor noise; the bars' edges stay)."""
    half = image.reduce(2)
    gx, gy = half.filter(_SOBEL_X), half.filter(_SOBEL_Y)
    cols, rows = max(1, image.width // CELL), max(1, image.height // CELL)
    maps = []
    for product in _PRODUCTS:
        image_product = ImageMath.lambda_eval(product, x=gx, y=gy)
        maps.append(list(image_product.resize((cols, rows), Image.Resampling.BOX).get_flattened_data()))
    return cols, rows, maps[0], maps[1], maps[2]


def locate(image: Image.Image, most: int = 2) -> list[Located]:
    """Up to `most` places where a 1D code probably is, and the direction of its bars.

    A barcode is where the gradients are strong and all point one way: per cell the structure tensor's
    anisotropy (the larger eigenvalue less the smaller: sensor noise, equal in every direction, cancels out;
    print and edges of things are weaker and shorter). The best cell and its neighbours above 25 % of its score (the map smoothed over 5 x 5 cells)
    make a region (cleared before the next is sought); the bars' direction is that of the region's summed tensor.
    """
    cols, rows, xx, yy, xy = _tensor(image)
    raw = [
        0.0 if x in (0, cols - 1) or y in (0, rows - 1) else math.hypot(xx[i] - yy[i], 2 * xy[i])  # borders: filter edge effects
        for i, (x, y) in enumerate((i % cols, i // cols) for i in range(cols * rows))
    ]
    # Smoothed over 5 x 5 cells (40 px), so that a code's wide bars and spaces make one region with its narrow ones
    # (in 8 bits, enough to compare cells with a share of the best one).
    top = max(raw) or 1.0
    levels = Image.new("L", (cols, rows))
    levels.putdata([int(value * 255 / top) for value in raw])
    score = [float(value) for value in levels.filter(ImageFilter.BoxBlur(2)).get_flattened_data()]
    found: list[Located] = []
    for _ in range(most):
        peak = max(range(len(score)), key=score.__getitem__)
        if score[peak] <= 0:
            break
        threshold = score[peak] * 0.25
        region, todo = {peak}, [peak]
        while todo:
            cell = todo.pop()
            x, y = cell % cols, cell // cols
            for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                n = ny * cols + nx
                if 0 <= nx < cols and 0 <= ny < rows and n not in region and score[n] >= threshold:
                    region.add(n)
                    todo.append(n)
        for cell in region:
            score[cell] = 0.0
        if len(region) > cols * rows // 4:
            continue  # a quarter of the picture: a texture, not a code
        sxx, syy, sxy = (sum(values[c] for c in region) for values in (xx, yy, xy))
        angle = 0.5 * math.degrees(math.atan2(2 * sxy, sxx - syy))
        coherence = math.hypot(sxx - syy, 2 * sxy) / (sxx + syy) if sxx + syy else 0.0
        xs, ys = [c % cols for c in region], [c // cols for c in region]
        box = (
            max(0, (min(xs) - 1) * CELL), max(0, (min(ys) - 1) * CELL),
            min(image.width, (max(xs) + 2) * CELL), min(image.height, (max(ys) + 2) * CELL),
        )
        found.append(Located(box, angle, coherence))
    return found


# (rows averaged, width multiplied, unsharp percent, unsharp radius), in order: the four that read the most of the
# hard bench classes (small, blurred, turned, dark) between them, of 108 tried.
LOCATED_VARIANTS = ((4, 3, 150, 2), (4, 2, 150, 3), (8, 2, 150, 1), (16, 1, 150, 1))
# The equalized crop (dark, noisy): more rows averaged and little sharpening, which would raise the noise again.
EQUALIZED_VARIANTS = ((4, 3, 150, 2), (16, 2, 100, 1))


def _out_of_time() -> bool:
    return time.thread_time() > _DEADLINE.get()


def read_located(image: Image.Image) -> list[str]:
    """The located places' crops, their bars turned upright, widened, rows averaged and sharpened.

    The dearest pass, and the one whose cost grows with what it finds (a large textured place in a 12-megapixel
    photo with no code cost ~0.9 s of CPU): it stops between its pictures once read_image's budget is spent."""
    for number, place in enumerate(locate(image)):
        if place.coherence < 0.3:
            continue  # no single direction: a QR code, print or texture, not a 1D code
        if _out_of_time():
            break
        x0, y0, x1, y1 = place.box
        pad = (x1 - x0 + y1 - y0) // 8
        crop = image.crop((max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad), min(image.height, y1 + pad)))
        upright = _turn(crop, -place.angle, Image.Resampling.BICUBIC)
        # As it is, then equalized (its grey levels spread evenly: a dark or half-shaded code's bars and spaces
        # then span the whole range, which a fixed threshold needs).
        for picture, variants in ((upright, LOCATED_VARIANTS), (ImageOps.equalize(upright), EQUALIZED_VARIANTS)):
            for rows, widen, percent, radius in variants:
                if _out_of_time():
                    return []
                found = _read_rows(_rows_sharpened(picture, rows, widen, percent, radius))
                if found:
                    return found
        # ZBar on the best place's upright crop, its noise taken out by a median filter: reads noisy dark codes
        # zxing does not (only the best place: the filter costs ~1 ms per 10,000 px).
        if number == 0:
            found = read_pyzbar(upright.filter(ImageFilter.MedianFilter(3)))
            if found:
                return found
    return []


def _turned(image: Image.Image, angles: tuple[int, ...], reader: Callable[[Image.Image], list[str]]) -> list[str]:
    for angle in angles:
        found = reader(_turn(image, angle))
        if found:
            return found
    return []


def read_zxing_turned(image: Image.Image) -> list[str]:
    """zxing-cpp on the picture turned by 15, 45 and 75 degrees: a 1D code is read only near level (or upright:
    zxing also tries the quarter turn), and no decoder read one at 30-45 degrees in the stack trial."""
    return _turned(image, TURNS, read_zxing)


def read_zxing_smoothed(image: Image.Image) -> list[str]:
    return read_zxing(image.filter(ImageFilter.GaussianBlur(1)))


def read_pyzbar(image: Image.Image) -> list[str]:
    return agreed([
        (symbol.data.decode("utf-8", errors="replace"), (symbol.rect.left, symbol.rect.top, symbol.rect.left + symbol.rect.width, symbol.rect.top + symbol.rect.height))
        for symbol in pyzbar.decode(image, symbols=PYZBAR_SYMBOLS)
    ])


def read_pyzbar_median(image: Image.Image) -> list[str]:
    return read_pyzbar(image.filter(ImageFilter.MedianFilter(3)))


# In order: the first that finds a plausible code ends the search (bench/decode.py measured the order).
READERS: list[tuple[str, Callable[[Image.Image], list[str]]]] = [
    ("zxing-cpp", read_zxing),
    ("zxing-cpp fixed threshold", read_zxing_fixed),
    ("zxing-cpp smoothed", read_zxing_smoothed),
    ("located crop", read_located),
    ("averaged rows", read_rows),
    ("averaged rows turned", read_rows_turned),
    ("zxing-cpp turned", read_zxing_turned),
    ("pyzbar+median", read_pyzbar_median),
]


@dataclass
class Reading:
    texts: list[str] = field(default_factory=list)
    reader: str | None = None  # the pass that found them (None: nothing found)


def read_image(image: Image.Image, budget_s: float = TIME_BUDGET_S) -> tuple[list[str], str | None]:
    """The texts of the codes in a prepared picture and the reader that found them (None: nothing found).

    Stops at the first pass that reads a plausible list code; codes that are not (another kind of barcode) are
    kept and answered, with the pass that first read them, when no pass found a plausible one."""
    started = time.thread_time()  # CPU time of this thread: the work done, whatever else the machine runs
    deadline = _DEADLINE.set(started + budget_s)
    try:
        other = Reading()
        for index, (name, reader) in enumerate(READERS):
            if index and _out_of_time():
                break
            texts = list(dict.fromkeys(reader(image)))  # once each, in the order found
            if any(ends_search(text) for text in texts):
                return texts, name
            if texts and not other.texts:
                other = Reading(texts, name)
        return other.texts, other.reader
    finally:
        _DEADLINE.reset(deadline)


def decode_photo(data: bytes, declared_type: str | None = "image/jpeg") -> list[str]:
    """The texts of the barcodes in a photo (JPEG, PNG or WebP), empty when none could be read.

    Raises DomainError for a photo refused by the checks. CPU-bound (about 10-400 ms): call it in a thread.
    """
    return read_image(open_photo(data, declared_type))[0]
