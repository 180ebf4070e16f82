"""Benchmark of the server's barcode reading (issue 17): photo-like pictures of a printed list, read by the real
decode function, before and after a change, per class of photo.

    .venv/bin/python -m bench.decode --qr-per-class 10         # 30 Code 128 and 10 QR photos a class, before and after
    .venv/bin/python -m bench.decode --per-class 10 --only c128-blur-1.5,nocode   # quick
    .venv/bin/python -m bench.decode --before-ref HEAD~3       # "before" is that commit's decode.py
    .venv/bin/python -m bench.decode --device --qr-per-class 10  # the device's reader in Chromium, before and after
    .venv/bin/python -m bench.decode --device --before-ref 3cfd72c,a887a5f   # several "befores", one column each

--device reads the same photos with the page's own reader instead (DevicePage: camera-scan.js in Debian's Chromium
through Playwright, on http://localhost, under the app's CSP; `giamsatCamera.decodeImage(blob)`, the path of a photo
chosen on the device): "before" is the page's reader as of --before-ref (camera-scan.js and its vendored reader
served from that commit, read with git show), "after" the working tree's; the time is measured in the page.

The photos (made here with Pillow, seeded: the same seed makes the same bytes; the sensor noise comes from fixed
seeded fields, as Pillow's effect_noise is not seeded): what a phone sends from the gate,
1280 x 720 JPEG. A code printed on a white sheet with lines of print beside and under it (the list), on a desk or
truck-cab background, seen slightly aslant (perspective), turned, out of focus, with sensor noise, under some light,
saved as JPEG. The codes are made by the project's own generators: the QR is `backend.barcodes.qr.qr_png` of a signed
list payload (what the lists print), the Code 128 is zxing-cpp's writer (`zxingcpp.create_barcode`, a dependency
already) of a bare 12-digit declaration number, as tests/barcodes/photos.py makes it. No new dependency.

Each class varies one thing from a moderate base (code 300 px wide, blur 0.6 px, turned -6..6 degrees, noise sigma
4-8, JPEG 75-85, even light); `mixed` varies everything at once over the issue's ranges; `nocode` is a list photo
whose code was cut out. "Code width" is the width of the bars, start to stop (a Code 128 of 12 digits is 101 modules;
a QR 25 modules), without the quiet zone.

"Readable by eye": whether a careful person looking at the photo could make out every bar (or module) of the code.
Decided per photo from the optics alone: the code's real bar pattern at the photo's scale, blurred by the photo's
blur, must still take every bar and every space across the half-way grey by at least 10 % of the ink-to-paper
contrast (a bar that no longer crosses it has merged with its neighbours: no eye, and no threshold reader, can
separate them), and that margin must stand 3 sigma above the sensor noise averaged along 16 px of the bar (dark and
uneven light shrink the contrast). Turn, glare and JPEG leave the bars visible in these classes. The table prints
the smallest margin of each class, and the share of its photos marked readable, so that the marking can be checked.

Times are the whole `decode_photo(jpeg)` call (checks, JPEG decoding, every pass run), one photo after another in
this process, wall clock and the CPU time of the reading thread. "before" is `backend/barcodes/decode.py` as of
--before-ref (read with `git show`, nothing checked out), "after" the working tree's; both run on the same photos in the same run, interleaved photo by photo so that
the machine's load falls on both alike. The load average is printed.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import io
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

from backend.barcodes import payload as barcode_payload
from backend.barcodes.qr import qr_png

REPO = Path(__file__).resolve().parent.parent
FRAME = (1280, 720)
SEED = 17
KEYRING = barcode_payload.Keyring.from_secrets({"A": "bench secret"}, "A")
C128_MODULES = 101  # a 12-digit Code 128 (code set C): start, 6 pairs, check, stop
QR_MODULES = 25  # a version 2 QR, what a list prints (docs/barcodes.md)
EYE_MARGIN = 0.10  # every bar and space must cross half-way grey by this share of the contrast
EYE_SNR = 3.0  # ... and that must stand this many noise sigmas clear, the noise averaged along 16 px of the bar
EYE_RUN = 16


# --- the classes ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """The ranges a class draws a photo's parameters from (each a (low, high) uniform range)."""

    width: tuple[float, float] = (300, 300)  # px, the bars (or QR modules) without quiet zone
    blur: tuple[float, float] = (0.6, 0.6)  # Gaussian sigma, px
    angle: tuple[float, float] = (-6, 6)  # degrees, counter-clockwise
    slant: tuple[float, float] = (0.0, 0.05)  # perspective: corners pulled by up to this share
    noise: tuple[float, float] = (4, 8)  # sigma, grey levels
    quality: tuple[int, int] = (75, 85)
    light: tuple[str, ...] = ("even",)  # even, uneven, dark, glare


BASE = Spec()


def _classes() -> dict[str, Spec]:
    classes: dict[str, Spec] = {}
    for width in (180, 240, 300, 420):
        classes[f"width-{width}"] = Spec(width=(width, width))
    for blur in (0.0, 1.0, 1.5, 2.0, 2.5):
        classes[f"blur-{blur}"] = Spec(blur=(blur, blur))
    # The failing corner: small and a little blurred; and smaller and more blurred still.
    classes["small-240+blur-1.5"] = Spec(width=(240, 240), blur=(1.5, 1.5))
    classes["small-180+blur-1.5"] = Spec(width=(180, 180), blur=(1.5, 1.5))
    classes["small-180+blur-2.5"] = Spec(width=(180, 180), blur=(2.5, 2.5))
    for angle in (15, 30, 45, 60, 75, 90):
        classes[f"turn-{angle}"] = Spec(angle=(angle - 2, angle + 2))
    classes["turn-45-small"] = Spec(width=(240, 240), angle=(43, 47), blur=(1.0, 1.0))
    classes["noise-high"] = Spec(noise=(12, 18))
    classes["jpeg-low"] = Spec(quality=(25, 40))
    classes["light-dark"] = Spec(light=("dark",), noise=(6, 10))
    classes["light-uneven"] = Spec(light=("uneven",))
    classes["light-glare"] = Spec(light=("glare",))
    # The description, everything at once.
    classes["mixed"] = Spec(
        width=(240, 420), blur=(0, 1.5), angle=(0, 90), slant=(0, 0.10), noise=(3, 14), quality=(60, 85),
        light=("even", "uneven", "dark", "glare"),
    )
    return classes


CLASSES = _classes()
NOCODE = Spec(width=(180, 420), blur=(0, 2.5), angle=(0, 90), noise=(3, 14), quality=(40, 85), light=("even", "uneven", "dark", "glare"))


# --- the photos ----------------------------------------------------------------------------------------------------


def code128_image(text: str, module_px: int = 4) -> Image.Image:
    """Code 128 by zxing-cpp's writer (as tests/barcodes/photos.py), quiet zones included, as tall as a list prints it."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128)
    view = memoryview(zxingcpp.write_barcode_to_image(barcode, scale=module_px, add_quiet_zones=True))
    height, width = view.shape
    image = Image.frombuffer("L", (width, height), bytes(view))
    return image.resize((width, width // 3), Image.Resampling.NEAREST)


def qr_image(text: str) -> Image.Image:
    return Image.open(io.BytesIO(qr_png(text))).convert("L")  # 10 px a module, 4-module quiet zone


@dataclass
class Sample:
    name: str  # class
    kind: str  # "c128", "qr", "none"
    text: str | None  # what must be read (None: nothing)
    jpeg: bytes
    params: dict[str, Any]
    eye: bool = True  # readable by eye (below)
    margin: float = 1.0


def _sheet(code: Image.Image, rng: random.Random, blank: bool) -> tuple[Image.Image, tuple[int, int]]:
    """The list: the code on a white sheet with lines of print; the code's box's upper-left corner on the sheet."""
    margin = max(code.width, code.height) // 5
    width = code.width * 2 + 2 * margin
    height = code.height + 2 * margin + max(code.height // 2, code.width // 3)
    sheet = Image.new("L", (width, height), 250)
    if not blank:
        sheet.paste(code, (margin, margin))
    draw = ImageDraw.Draw(sheet)
    line = max(5, code.width // 40)
    x0 = margin * 2 + code.width
    for row in range(max(3, code.height // (line * 2))):
        y = margin + row * line * 2
        if y + line > margin + code.height:
            break
        draw.rectangle([x0, y, x0 + rng.randint(code.width // 3, code.width - margin // 2), y + line], fill=55)
    for row in range(4):
        y = margin * 2 + code.height + row * line * 2
        if y + line >= height - 2:
            break
        draw.rectangle([margin, y, margin + rng.randint(code.width, code.width * 2 - margin), y + line], fill=55)
    return sheet, (margin, margin)


def _perspective(image: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    width, height = image.size
    dx, dy = width * amount, height * amount
    corners = [
        (rng.uniform(0, dx), rng.uniform(0, dy)),
        (rng.uniform(0, dx), height - rng.uniform(0, dy)),
        (width - rng.uniform(0, dx), height - rng.uniform(0, dy)),
        (width - rng.uniform(0, dx), rng.uniform(0, dy)),
    ]
    return image.transform(image.size, Image.Transform.QUAD, [c for xy in corners for c in xy], Image.Resampling.BILINEAR, fillcolor=250)


def _background(rng: random.Random) -> Image.Image:
    """A desk or a cab: a grey gradient with a few darker shapes."""
    base = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(FRAME).point(lambda v: 60 + v // 3)
    draw = ImageDraw.Draw(base)
    for _ in range(4):
        x, y = rng.randint(0, FRAME[0]), rng.randint(0, FRAME[1])
        draw.rectangle([x, y, x + rng.randint(40, 300), y + rng.randint(20, 200)], fill=rng.randint(30, 110))
    return base


def _light(frame: Image.Image, light: str, rng: random.Random, centre: tuple[int, int]) -> Image.Image:
    if light == "even":
        return frame
    if light == "dark":  # night at the gate: a quarter of the light
        factor = rng.uniform(0.22, 0.32)
        return frame.point(lambda v: int(v * factor))
    if light == "uneven":  # a shadow across the sheet: the light falls from 100 % to ~35 % across the code
        shade = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(FRAME).point(lambda v: 90 + v * 165 // 255)
        return ImageChops.multiply(frame, shade)
    if light == "glare":  # a lamp's reflection on the glossy sheet, near the code
        spot = Image.new("L", FRAME, 0)
        radius = rng.randint(60, 140)
        x, y = centre[0] + rng.randint(-80, 80), centre[1] + rng.randint(-40, 40)
        ImageDraw.Draw(spot).ellipse([x - radius, y - radius * 0.7, x + radius, y + radius * 0.7], fill=rng.randint(110, 160))
        spot = spot.filter(ImageFilter.GaussianBlur(radius / 2.5))
        return ImageChops.add(frame, spot)
    raise ValueError(light)


NOISE_FIELDS = 6


@functools.lru_cache(maxsize=1)
def _noise_fields() -> list[tuple[Image.Image, float, float]]:
    """Sensor-like noise fields (each the mean of 4 uniform ones: nearly Gaussian), with their mean and sigma, made
    once from a fixed seed: Pillow's effect_noise draws from the C library's unseeded generator, which would make
    every run's photos different."""
    rng = random.Random("giamsat-bench-decode-noise")
    size = (FRAME[0] + 64, FRAME[1] + 64)

    def uniform() -> Image.Image:
        return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))

    fields = []
    for _ in range(NOISE_FIELDS):
        field = ImageChops.add(ImageChops.add(uniform(), uniform(), 2.0), ImageChops.add(uniform(), uniform(), 2.0), 2.0)
        stat = ImageStat.Stat(field)
        fields.append((field, stat.mean[0], stat.stddev[0]))
    return fields


def _noise(rng: random.Random, sigma: float) -> Image.Image:
    """A frame of noise of `sigma` around 128: one of the fixed fields, shifted and scaled, chosen by `rng`."""
    field, mean, spread = rng.choice(_noise_fields())
    x, y = rng.randrange(64), rng.randrange(64)
    crop = field.crop((x, y, x + FRAME[0], y + FRAME[1]))
    return crop.point(lambda v: max(0, min(255, round(128 + (v - mean) * sigma / spread))))


def make_photo(name: str, kind: str, spec: Spec, rng: random.Random) -> Sample:
    number = f"{rng.choice('13')}0{rng.randrange(10**10):010d}"
    text: str | None
    if kind == "qr":
        text = barcode_payload.encode(KEYRING, number, rng.randint(1, 9), rng.choice(list(barcode_payload.DocumentKind)))
        code, modules = qr_image(text), QR_MODULES
        unit = 10
        quiet = 4 * unit
    else:
        text = number
        code, modules = code128_image(number), C128_MODULES
        unit = 4
        quiet = 10 * unit
    blank = kind == "none"
    sheet, corner = _sheet(code, rng, blank)
    bars_px = modules * unit
    width = rng.uniform(*spec.width)
    scale = width / bars_px
    # The code's centre from the sheet's centre, before turning.
    offset = (corner[0] + code.width / 2 - sheet.width / 2, corner[1] + code.height / 2 - sheet.height / 2)
    sheet = sheet.resize((max(1, round(sheet.width * scale)), max(1, round(sheet.height * scale))), Image.Resampling.LANCZOS)
    slant = rng.uniform(*spec.slant)
    sheet = _perspective(sheet, rng, slant)
    angle = rng.uniform(*spec.angle)
    mask = Image.new("L", sheet.size, 255).rotate(angle, expand=True, resample=Image.Resampling.BILINEAR)
    turned = sheet.rotate(angle, expand=True, resample=Image.Resampling.BILINEAR, fillcolor=0)
    turn = math.radians(angle)
    dx, dy = offset[0] * scale, offset[1] * scale
    code_dx = dx * math.cos(turn) + dy * math.sin(turn)
    code_dy = dy * math.cos(turn) - dx * math.sin(turn)
    w, h = code.width * scale, code.height * scale
    cos, sin = abs(math.cos(turn)), abs(math.sin(turn))
    reach_x = min(FRAME[0] // 2, int((w * cos + h * sin) / 2) + 6)
    reach_y = min(FRAME[1] // 2, int((w * sin + h * cos) / 2) + 6)
    centre = (rng.randint(reach_x, FRAME[0] - reach_x), rng.randint(reach_y, FRAME[1] - reach_y))
    frame = _background(rng)
    frame.paste(turned, (int(centre[0] - code_dx - turned.width / 2), int(centre[1] - code_dy - turned.height / 2)), mask)
    light = rng.choice(spec.light)
    frame = _light(frame, light, rng, centre)
    blur = rng.uniform(*spec.blur)
    if blur > 0:
        frame = frame.filter(ImageFilter.GaussianBlur(blur))
    low, high = rng.randint(15, 40), rng.randint(215, 240)  # the camera's black and white points
    frame = frame.point(lambda v: low + v * (high - low) // 255)
    sigma = rng.uniform(*spec.noise)
    frame = ImageChops.add(frame, _noise(rng, sigma), 1.0, -128)
    quality = rng.randint(*spec.quality)
    out = io.BytesIO()
    frame.convert("RGB").save(out, "JPEG", quality=quality)
    params = {"width": round(width), "blur": round(blur, 2), "angle": round(angle), "slant": round(slant, 2),
              "noise": round(sigma, 1), "quality": quality, "light": light}
    eye, margin, _ = (True, 1.0, 0.0) if blank else readable_by_eye(kind, width, blur, sigma, light)
    return Sample(name, kind, None if blank else text, out.getvalue(), params, eye, margin)


def samples(per_class: int, seed: int, only: set[str] | None, kinds: tuple[str, ...], qr_per_class: int | None = None) -> list[Sample]:
    made: list[Sample] = []
    for name, spec in CLASSES.items():
        for kind in kinds:
            label = f"{kind}-{name}"
            if only and label not in only and name not in only:
                continue
            rng = random.Random(f"{seed}-{label}")
            count = qr_per_class if kind == "qr" and qr_per_class is not None else per_class
            made += [make_photo(name, kind, spec, rng) for _ in range(count)]
    if not only or "nocode" in only:
        rng = random.Random(f"{seed}-nocode")
        made += [make_photo("nocode", "none", NOCODE, rng) for _ in range(per_class)]
    return made


# --- readable by eye -----------------------------------------------------------------------------------------------


def _bar_profile() -> list[int]:
    """The 12-digit Code 128's modules, 1 for a bar, bars only (start to stop)."""
    barcode = zxingcpp.create_barcode("305123456789", zxingcpp.BarcodeFormat.Code128)
    view = memoryview(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False))
    row = bytes(view)[: view.shape[1]]
    return [1 if value < 128 else 0 for value in row]


def eye_margin(kind: str, width: float, blur: float) -> float:
    """The smallest share of the contrast by which a bar or space (a QR module: the same test on a worst-case
    1-module pattern) still crosses half-way grey after the blur: <= 0 means merged with its neighbours."""
    modules = _bar_profile() if kind == "c128" else [1, 0, 1, 0, 1, 1, 0, 0, 1, 0]  # a QR's worst: single modules
    unit = width / (C128_MODULES if kind == "c128" else QR_MODULES)
    step = 0.1  # px of the fine profile
    quiet = int(10 * unit / step)
    fine = [0.0] * quiet + [float(modules[int(i * step / unit)]) for i in range(int(len(modules) * unit / step))] + [0.0] * quiet
    if blur > 0:
        radius = int(4 * blur / step)
        kernel = [math.exp(-((i * step) ** 2) / (2 * blur * blur)) for i in range(-radius, radius + 1)]
        total = sum(kernel)
        kernel = [k / total for k in kernel]
        padded = [0.0] * radius + fine + [0.0] * radius
        blurred = [sum(padded[i + j] * kernel[j] for j in range(0, len(kernel), 1)) for i in range(len(fine))]
    else:
        blurred = fine
    worst = 1.0
    start = quiet
    index = 0
    while index < len(modules):  # each run of equal modules is one bar or space
        end = index
        while end < len(modules) and modules[end] == modules[index]:
            end += 1
        lo, hi = start + int(index * unit / step), start + int(end * unit / step)
        values = blurred[lo:hi] or [blurred[lo]]
        crossing = (max(values) - 0.5) if modules[index] else (0.5 - min(values))
        worst = min(worst, crossing * 2)  # as a share of the whole contrast's half
        index = end
    return worst


def readable_by_eye(kind: str, width: float, blur: float, noise: float, light: str) -> tuple[bool, float, float]:
    """Whether a careful person could make out every bar of the code in this photo; the margin and the
    signal-to-noise ratio it was decided by."""
    margin = _margin(kind, round(width), round(blur, 1))
    contrast = 200.0 * (0.22 if light == "dark" else 0.4 if light == "uneven" else 1.0)  # ink to paper, grey levels
    snr = margin * contrast / 2 / (max(noise, 1) / math.sqrt(EYE_RUN))
    return margin >= EYE_MARGIN and snr >= EYE_SNR, margin, snr


@functools.lru_cache(maxsize=None)
def _margin(kind: str, width: int, blur: float) -> float:
    return eye_margin(kind, width, blur)


# --- the pipelines -------------------------------------------------------------------------------------------------


def load_before(ref: str) -> ModuleType:
    """backend/barcodes/decode.py as of `ref`, imported under another name (git show: nothing checked out)."""
    source = subprocess.run(["git", "show", f"{ref}:backend/barcodes/decode.py"], cwd=REPO, check=True, capture_output=True, text=True).stdout
    with tempfile.TemporaryDirectory(prefix="giamsat-decode-before-") as folder:
        path = Path(folder) / "decode_before.py"
        path.write_text(source)
        name = "decode_before_" + re.sub(r"\W", "_", ref)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while a class is made
        spec.loader.exec_module(module)
    return module


@dataclass
class Result:
    ok: list[bool] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # wall clock
    cpu: list[float] = field(default_factory=list)  # CPU time of this thread
    wrong: int = 0  # photos where a code read is not the one in the photo (or anything read from a photo with none)
    wrong_reads: list[str] = field(default_factory=list)


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def run(made: list[Sample], pipelines: dict[str, Callable[[bytes, str], list[str]]]) -> dict[tuple[str, str, str], Result]:
    results: dict[tuple[str, str, str], Result] = {}
    for index, sample in enumerate(made):
        order = list(pipelines.items())
        if index % 2:
            order.reverse()  # neither pipeline always runs first (caches, the machine's load)
        for pipe, function in order:
            started, cpu = time.perf_counter(), time.thread_time()
            found = function(sample.jpeg, "image/jpeg")
            elapsed = time.perf_counter() - started
            result = results.setdefault((pipe, sample.kind, sample.name), Result())
            result.times.append(elapsed)
            result.cpu.append(time.thread_time() - cpu)
            result.ok.append(sample.text in found if sample.text else not found)
            wrong = [text for text in found if text != sample.text]
            result.wrong += bool(wrong)
            result.wrong_reads += [f"{sample.kind} {sample.name} #{index}: read {wrong}, the code says {sample.text!r}"] if wrong else []
    return results


# --- the device's reader (--device) -------------------------------------------------------------------------------

DEVICE_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEVICE_PAGE = b"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>bench</title>
<script src="/static/js/camera-scan.js" defer></script></head><body><main>bench</main></body></html>"""
DEVICE_READ = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], {type: "image/jpeg"});
  const started = performance.now();
  const texts = await giamsatCamera.decodeImage(blob);
  return {texts, ms: performance.now() - started};
}"""


class DevicePage:
    """Debian's Chromium (Playwright) on a page at http://localhost that loads the app's own camera-scan.js and its
    vendored reader (zxing-wasm; headless Linux Chromium has no native BarcodeDetector): the code path of a photo
    chosen on the device, `giamsatCamera.decodeImage(blob)`. The static files are served by a small server in this
    process, under the app's CSP: from frontend/static, or as of commit `ref` (git show; nothing checked out)."""

    def __init__(self, browser: Any, ref: str | None = None) -> None:
        import http.server
        import threading

        from backend.app import CONTENT_SECURITY_POLICY

        static = REPO / "frontend" / "static"
        types = {".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css"}
        committed: dict[str, bytes | None] = {}

        def static_file(name: str) -> bytes | None:
            if ref is None:
                file = static / name
                return file.read_bytes() if file.is_file() else None
            if name not in committed:
                shown = subprocess.run(["git", "show", f"{ref}:frontend/static/{name}"], cwd=REPO, capture_output=True)
                committed[name] = shown.stdout if shown.returncode == 0 else None
            return committed[name]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?")[0]
                if path == "/":
                    body, kind = DEVICE_PAGE, "text/html; charset=utf-8"
                elif path.startswith("/static/") and ".." not in path and (found := static_file(path[8:])) is not None:
                    body, kind = found, types.get(Path(path).suffix, "application/octet-stream")
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"http://localhost:{self.server.server_address[1]}/")
        self.page.wait_for_function("() => Boolean(window.giamsatCamera)")
        self.kind = self.page.evaluate("() => giamsatCamera.reader()")

    def read(self, jpeg: bytes, _type: str) -> tuple[list[str], float]:
        import base64

        self.page.bring_to_front()  # a page behind another is run at a lower priority (several "befores": a page each)
        answer = self.page.evaluate(DEVICE_READ, base64.b64encode(jpeg).decode())
        return answer["texts"], answer["ms"] / 1000

    def close(self) -> None:
        self.page.close()
        self.server.shutdown()


def run_device(made: list[Sample], pipelines: dict[str, Callable[[bytes, str], tuple[list[str], float]]]) -> dict[tuple[str, str, str], Result]:
    """As run(), with the time measured in the page (performance.now() around decodeImage: the photo's decoding
    and every read, not the transfer of the photo to the page); no CPU time there, so it repeats the wall time."""
    results: dict[tuple[str, str, str], Result] = {}
    for index, sample in enumerate(made):
        order = list(pipelines.items())
        if index % 2:
            order.reverse()
        for pipe, function in order:
            found, elapsed = function(sample.jpeg, "image/jpeg")
            result = results.setdefault((pipe, sample.kind, sample.name), Result())
            result.times.append(elapsed)
            result.cpu.append(elapsed)
            result.ok.append(sample.text in found if sample.text else not found)
            wrong = [text for text in found if text != sample.text]
            result.wrong += bool(wrong)
            result.wrong_reads += [f"{sample.kind} {sample.name} #{index}: read {wrong}, the code says {sample.text!r}"] if wrong else []
    return results


def _cells(ok: list[bool], times: list[float], cpu: list[float], wrong: int, bold: bool = False) -> list[str]:
    rate = f"{sum(ok) / len(ok):.1%}" if bold else f"{sum(ok) / len(ok):.0%}"
    return [(f"**{rate}**" if bold else rate) + (f" ({wrong} wrong)" if wrong else ""),
            f"{statistics.median(times) * 1000:.0f} ({statistics.median(cpu) * 1000:.0f})",
            f"{pct(times, 0.95) * 1000:.0f} ({pct(cpu, 0.95) * 1000:.0f})"]


def table(made: list[Sample], results: dict[tuple[str, str, str], Result], pipes: list[str]) -> str:
    """Per class: photos, readable by eye, then per pipeline the read rate (of all its photos; of those readable by
    eye in brackets where they differ), median and p95 time; then the totals."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, sample in enumerate(made):
        groups.setdefault((sample.kind, sample.name), []).append(index)
    position = {index: n for members in groups.values() for n, index in enumerate(members)}
    head = "| code | class | photos | by eye (min margin) | " + " | ".join(f"{p}: read | median ms (CPU) | p95 ms (CPU)" for p in pipes) + " |"
    lines = [head, "|" + "---|" * (4 + 3 * len(pipes))]
    for (kind, name), members in groups.items():
        eye = sum(made[i].eye for i in members)
        margin = min(made[i].margin for i in members)
        mark = "—" if kind == "none" else "yes" if eye == len(members) else "no" if not eye else f"{eye}/{len(members)}"
        mark += "" if kind == "none" else f" ({margin:+.2f})"
        cells = []
        for pipe in pipes:
            result = results[(pipe, kind, name)]
            cell = _cells(result.ok, result.times, result.cpu, result.wrong)
            if 0 < eye < len(members):
                seen = [result.ok[position[i]] for i in members if made[i].eye]
                cell[0] += f" ({sum(seen) / len(seen):.0%} of eye)"
            if kind == "none":
                cell[0] = f"{cell[0]} none read"
            cells += cell
        lines.append(f"| {kind} | {name} | {len(members)} | {mark} | " + " | ".join(cells) + " |")
    totals = [
        ("**all photos with a code**", lambda s: s.kind != "none"),
        ("**readable by eye**", lambda s: s.kind != "none" and s.eye),
        # The issue's own ranges (the code 240-420 px wide, blur up to ~1.5 px, any turn, noise, JPEG, light), by eye or not.
        ("**within the issue's ranges** (240–420 px, blur ≤ 1.5 px)", lambda s: s.kind != "none" and 240 <= s.params["width"] <= 420 and s.params["blur"] <= 1.5),
        ("Code 128, all", lambda s: s.kind == "c128"),
        ("Code 128, readable by eye", lambda s: s.kind == "c128" and s.eye),
        ("QR, all", lambda s: s.kind == "qr"),
        ("no code (none read; time)", lambda s: s.kind == "none"),
    ]
    for label, chosen in totals:
        members = [i for i, sample in enumerate(made) if chosen(sample)]
        if not members:
            continue
        cells = []
        for pipe in pipes:
            picked = [(results[(pipe, made[i].kind, made[i].name)], position[i]) for i in members]
            ok = [result.ok[at] for result, at in picked]
            times = [result.times[at] for result, at in picked]
            cpu = [result.cpu[at] for result, at in picked]
            wrong = sum(results[(pipe, k, n)].wrong for k, n in {(made[i].kind, made[i].name) for i in members})
            cells += _cells(ok, times, cpu, wrong, bold=True)
        lines.append(f"| | {label} | {len(members)} | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-class", type=int, default=30, help="photos per class and code (default 30)")
    parser.add_argument("--qr-per-class", type=int, help="QR photos per class (default: --per-class; every QR is read at the first pass)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--only", default="", help="comma-separated classes (e.g. blur-1.5,c128-turn-45,nocode)")
    parser.add_argument("--codes", default="c128,qr", help="c128, qr or both")
    parser.add_argument("--before-ref", default="HEAD", help="the commit whose reader is 'before' (default HEAD; several, comma-separated: a column each)")
    parser.add_argument("--no-before", action="store_true", help="measure the working tree's pipeline only")
    parser.add_argument("--save", type=Path, help="write the photos as JPEG files into this directory (to look at them)")
    parser.add_argument("--failures", action="store_true", help="list the photos the last pipeline did not read")
    parser.add_argument("--device", action="store_true", help="the device's reader instead of the server's: camera-scan.js "
                        "in Chromium (before: the page's reader as of --before-ref)")
    parser.add_argument("--chromium", default=os.environ.get("GIAMSAT_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)

    from backend.barcodes import decode as after

    only = {name for name in args.only.split(",") if name} or None
    kinds = tuple(k for k in args.codes.split(",") if k)
    started = time.perf_counter()
    made = samples(args.per_class, args.seed, only, kinds, args.qr_per_class)
    print(f"{len(made)} photos made in {time.perf_counter() - started:.1f} s; load average {os.getloadavg()}", file=sys.stderr)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for index, sample in enumerate(made):
            (args.save / f"{sample.kind}-{sample.name}-{index:04d}.jpg").write_bytes(sample.jpeg)
    if args.device:
        return main_device(args, made)
    pipelines: dict[str, Callable[[bytes, str], list[str]]] = {}
    if not args.no_before:
        refs = [ref for ref in args.before_ref.split(",") if ref]
        for ref in refs:
            pipelines["before" if len(refs) == 1 else ref] = load_before(ref).decode_photo
    pipelines["after"] = after.decode_photo
    load_start = os.getloadavg()
    started = time.perf_counter()
    results = run(made, pipelines)
    load_end = os.getloadavg()
    print(f"read in {time.perf_counter() - started:.1f} s; load average {load_start[0]:.2f} -> {load_end[0]:.2f} "
          f"(1 min), {os.cpu_count()} CPUs; after's budget {getattr(after, 'TIME_BUDGET_S', '?')} s\n")
    print(table(made, results, list(pipelines)))
    for (pipe, _, _), result in results.items():
        for line in result.wrong_reads:
            print(f"wrong read by {pipe}: {line}")
    if args.failures:
        print_failures(made, results, list(pipelines)[-1])
    return 0


def print_failures(made: list[Sample], results: dict[tuple[str, str, str], Result], pipe: str) -> None:
    for index, sample in enumerate(made):
        result = results[(pipe, sample.kind, sample.name)]
        position = [s for s in made if (s.kind, s.name) == (sample.kind, sample.name)].index(sample)
        if not result.ok[position]:
            print(f"not read by {pipe}: {sample.kind} {sample.name} #{index} eye {sample.eye} "
                  f"({sample.margin:+.2f}) {sample.params}")


def main_device(args: argparse.Namespace, made: list[Sample]) -> int:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=args.chromium, args=DEVICE_ARGS)
    pages: dict[str, DevicePage] = {}
    try:
        refs = [] if args.no_before else [ref for ref in args.before_ref.split(",") if ref]
        for ref in refs:
            pages["before" if len(refs) == 1 else ref] = DevicePage(browser, ref)
        pages["after"] = DevicePage(browser)
        for page in pages.values():
            page.read(made[0].jpeg, "image/jpeg")  # the wasm compiled and warm before timing
        load_start = os.getloadavg()
        started = time.perf_counter()
        results = run_device(made, {name: page.read for name, page in pages.items()})
        load_end = os.getloadavg()
        kinds = ", ".join(f"{name} {page.kind!r}" for name, page in pages.items())
        print(f"device: Chromium {browser.version}, readers: {kinds}; read in {time.perf_counter() - started:.1f} s; "
              f"load average {load_start[0]:.2f} -> {load_end[0]:.2f} (1 min), {os.cpu_count()} CPUs\n")
        print(table(made, results, list(pages)))
        for (pipe, _, _), result in results.items():
            for line in result.wrong_reads:
                print(f"wrong read by {pipe}: {line}")
        for name, page in pages.items():
            if page.errors:
                print(f"page errors ({name}):", *page.errors, sep="\n  ")
        if args.failures:
            print_failures(made, results, "after")
    finally:
        for page in pages.values():
            page.close()
        browser.close()
        playwright.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
