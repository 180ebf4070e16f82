"""Photo-like pictures of printed codes, made with Pillow: what an officer's phone sends from the gate.

A code printed on a white sheet with lines of "text" around it, on a darker desk or truck-cab background,
under uneven light; then small in the frame, turned 0-90 degrees, seen at a slant (perspective), out of focus,
low in contrast, noisy, and saved as JPEG at quality 60-85. Seeded: the same seed makes the same photo.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from backend.barcodes.qr import qr_png

FRAME = (1280, 720)


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    description: str


def code128(text: str, module_px: int = 3) -> Image.Image:
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128)
    view = memoryview(zxingcpp.write_barcode_to_image(barcode, scale=module_px, add_quiet_zones=True))
    height, width = view.shape
    image = Image.frombuffer("L", (width, height), bytes(view))
    return image.resize((width, max(height, width // 4)))  # a printed 1D code is taller than zxing draws it


def qr(text: str) -> Image.Image:
    return Image.open(io.BytesIO(qr_png(text))).convert("L")


def _sheet(code: Image.Image, rng: random.Random) -> Image.Image:
    """The code on a white sheet, with a few lines of print beside and below it."""
    margin = code.width // 6
    sheet = Image.new("L", (code.width * 2 + 2 * margin, code.height + 2 * margin + code.height // 2), 250)
    sheet.paste(code, (margin, margin))
    draw = ImageDraw.Draw(sheet)
    line_height = max(6, code.height // 12)
    for row in range(8):
        y = margin + row * line_height * 2
        x = margin * 2 + code.width
        draw.rectangle([x, y, x + rng.randint(code.width // 3, code.width - margin), y + line_height], fill=60)
    for row in range(3):
        y = margin * 2 + code.height + row * line_height * 2
        draw.rectangle([margin, y, margin + rng.randint(code.width, code.width * 2 - margin), y + line_height], fill=60)
    return sheet


def _perspective(image: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """Seen at a slant: the four corners pulled by up to `amount` of the size."""
    width, height = image.size
    dx, dy = width * amount, height * amount
    corners = [
        (rng.uniform(0, dx), rng.uniform(0, dy)),
        (rng.uniform(0, dx), height - rng.uniform(0, dy)),
        (width - rng.uniform(0, dx), height - rng.uniform(0, dy)),
        (width - rng.uniform(0, dx), rng.uniform(0, dy)),
    ]
    # QUAD maps the quadrilateral of the source onto the whole output: the inverse of a slanted view,
    # which is a slanted view too.
    return image.transform(image.size, Image.Transform.QUAD, [c for xy in corners for c in xy], Image.Resampling.BILINEAR, fillcolor=250)


def photo_of(code: Image.Image, rng: random.Random, code_width: tuple[int, int] = (130, 360)) -> Photo:
    """A 1280 x 720 JPEG of `code` printed on a sheet, as a phone would take it; the code is in the frame."""
    sheet = _sheet(code, rng)
    scale = rng.randint(*code_width) / code.width
    # Where the code's centre is, from the sheet's centre (the code is the sheet's upper-left part).
    margin = code.width // 6
    offset = (margin + code.width / 2 - sheet.width / 2, margin + code.height / 2 - sheet.height / 2)
    sheet = sheet.resize((max(1, int(sheet.width * scale)), max(1, int(sheet.height * scale))), Image.Resampling.LANCZOS)
    slant = rng.uniform(0, 0.12)
    sheet = _perspective(sheet, rng, slant)
    angle = rng.uniform(0, 90)
    mask = Image.new("L", sheet.size, 255).rotate(angle, expand=True, resample=Image.Resampling.BILINEAR)
    sheet = sheet.rotate(angle, expand=True, resample=Image.Resampling.BILINEAR, fillcolor=0)

    background = Image.linear_gradient("L").resize(FRAME).point(lambda v: 70 + v // 3)  # uneven light
    frame = background.copy()
    # Pillow turns counter-clockwise: a point (dx, dy) from the centre goes to (dx cos + dy sin, dy cos - dx sin).
    turn = math.radians(angle)
    dx, dy = offset[0] * scale, offset[1] * scale
    code_x = dx * math.cos(turn) + dy * math.sin(turn)
    code_y = dy * math.cos(turn) - dx * math.sin(turn)
    # Half the turned code's bounding box, so that all of it is in the frame.
    width, height = code.width * scale, code.height * scale
    cos, sin = abs(math.cos(turn)), abs(math.sin(turn))
    reach_x = min(FRAME[0] // 2, int((width * cos + height * sin) / 2) + 4)
    reach_y = min(FRAME[1] // 2, int((width * sin + height * cos) / 2) + 4)
    centre_x, centre_y = rng.randint(reach_x, FRAME[0] - reach_x), rng.randint(reach_y, FRAME[1] - reach_y)
    x = int(centre_x - code_x - sheet.width / 2)
    y = int(centre_y - code_y - sheet.height / 2)
    frame.paste(sheet, (x, y), mask)

    blur = rng.uniform(0, 1.6)
    frame = frame.filter(ImageFilter.GaussianBlur(blur))
    low, high = rng.randint(20, 90), rng.randint(170, 235)  # low contrast: grey ink on grey paper
    frame = frame.point(lambda v: low + v * (high - low) // 255)
    sigma = rng.uniform(3, 14)
    frame = ImageChops.add(frame, Image.effect_noise(FRAME, sigma), 1.0, -128)
    quality = rng.randint(60, 85)
    out = io.BytesIO()
    frame.convert("RGB").save(out, "JPEG", quality=quality)
    description = (
        f"code {int(code.width * scale)} px, angle {angle:.0f}, slant {slant:.2f}, blur {blur:.1f}, "
        f"contrast {low}-{high}, noise {sigma:.0f}, jpeg {quality}"
    )
    return Photo(out.getvalue(), description)
