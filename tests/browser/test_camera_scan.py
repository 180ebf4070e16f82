"""The camera reader (frontend/static/js/camera-scan.js, frontend/templates/gate/_camera.html) in real Chromium,
under the app's own Content-Security-Policy, against the real server.

Headless Chromium on Linux has no native BarcodeDetector, so every read in the page here goes through the
vendored ZXing-wasm reader, loaded from /static/vendor (never a CDN) only when first needed. The tests:
- `giamsatCamera.decodeImage` reads a QR code (from `backend.barcodes.qr.qr_png`) and a Code 128; beside another
  code, the list's code too; two numbers read at one place, neither;
- a photo chosen on `[data-photo-scan]` is read in the page (a Code 128 turned 45° too, by the page's located crop,
  issue 17), or else (a Code 128 blurred past what the page reads, which the server's located crop reads) by
  POST /api/v1/barcodes/decode; no code, or no network, shows words in the page and submits nothing;
- the live camera: a second Chromium from the same Playwright, with a fake camera showing a QR code
  (`--use-file-for-fake-video-capture`), opens the overlay, reads the code, stops the camera and submits;
- no camera: words in the page, and the typed field still submits.

The gate page is written elsewhere, so the page under test is a small one served at the server's origin with
`page.route` (same origin: static files and the API are the server's own); it holds a scan form and the real
fragment rendered with the app's templates and the Vietnamese catalog.
"""

from __future__ import annotations

import base64
import io
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import jinja2
import pytest
from PIL import Image, ImageFilter

from backend.app import CONTENT_SECURITY_POLICY
from backend.barcodes import payload, qr
from backend.lib.i18n import translate_in
from tests.barcodes.photos import code128
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OFFLINE_NOISE,
    Browsing,
    Server,
    add_authenticator,
    enroll,
    wait_for_worker,
    wait_until,
)
from tests.conftest import REPO

pytestmark = pytest.mark.browser

READER = "/static/vendor/zxing-wasm-3.1.3-reader.min.js"
WASM = "/static/vendor/zxing-wasm-3.1.3-reader.wasm"
TEST_PATH = "/__camera_test"
SUBMITS = """() => {
  window.__submitted = [];
  const form = document.getElementById("gate-scan-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    window.__submitted.push(new FormData(form).get("code"));
  });
}"""
DECLARATION = "305123456789"
# The server's answer to a photo with no code (422) is logged by Chromium as a failed resource load.
REFUSED_NOISE = r"Failed to load resource: the server responded with a status of 422"


def vi(message: str) -> str:
    return translate_in("vi", message)


def fragment(scan_form: str) -> str:
    """gate/_camera.html as the app renders it, in Vietnamese."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPO / "frontend" / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"]
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=vi, ngettext=lambda s, p, n: vi(s if n == 1 else p), newstyle=True
    )
    return env.from_string('{% with scan_form="' + scan_form + '" %}{% include "gate/_camera.html" %}{% endwith %}').render()


def scan_page_html(csrf_token: str = "") -> str:
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="csrf-token" content="{csrf_token}">
<link rel="stylesheet" href="/static/css/app.css">
<script src="/static/js/camera-scan.js" defer></script>
<title>camera</title></head>
<body><main id="main">
<form id="gate-scan-form" method="post" action="/__camera_test/submitted">
  <label for="code">Mã</label><input id="code" name="code" autocomplete="off">
  <button type="submit" class="button button-primary">Tra cứu</button>
</form>
{fragment("gate-scan-form")}
</main></body></html>"""


class ScanPage:
    """The test page on one Chromium page: the codes the form submitted, and every URL the page asked for."""

    def __init__(self, page: Any, server: Server, csrf_token: str = "", headers: dict[str, str] | None = None) -> None:
        self.page = page
        self.server = server
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        html = scan_page_html(csrf_token)

        def serve(route: Any) -> None:
            route.fulfill(
                status=200, body=html, content_type="text/html; charset=utf-8",
                headers={"content-security-policy": CONTENT_SECURITY_POLICY, **(headers or {})},
            )

        page.route(server.url(TEST_PATH), serve)

    def open(self) -> None:
        self.page.goto(self.server.url(TEST_PATH))
        self.page.wait_for_function("() => Boolean(window.giamsatCamera)")
        # The submit event a real submit fires (requestSubmit() or Enter), with the form's data, kept in the page
        # instead of leaving it: the test then still sees the page the code was read on.
        self.page.evaluate(SUBMITS)

    @property
    def posted(self) -> list[str]:
        return self.page.evaluate("() => window.__submitted")

    def wait_for_submit(self) -> str:
        self.page.wait_for_function("() => window.__submitted.length > 0")
        posted = self.posted
        assert len(posted) == 1, posted
        return posted[0]

    def asked_for(self, path: str) -> bool:
        return any(url.split("?")[0] == self.server.url(path) for url in self.requests)

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.server.origin + "/")]


def png_b64(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def save_png(image: Image.Image, path: Path) -> Path:
    image.save(path, "PNG")
    return path


def on_sheet(code: Image.Image, size: int = 900, angle: float = 0) -> Image.Image:
    """The code in the middle of a white sheet, turned by `angle` degrees."""
    sheet = Image.new("L", (size, size), 255)
    sheet.paste(code, ((size - code.width) // 2, (size - code.height) // 2))
    return sheet.rotate(angle, fillcolor=255, resample=Image.Resampling.BILINEAR) if angle else sheet


def qr_text() -> str:
    keyring = payload.Keyring.from_secrets({"A": "test secret"}, "A")
    return payload.encode(keyring, DECLARATION, 2, payload.DocumentKind.CONTAINER_LIST)


DECODE = """async ({b64, asBitmap}) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], {type: "image/png"});
  const texts = await giamsatCamera.decodeImage(asBitmap ? await createImageBitmap(blob) : blob);
  return {texts, reader: await giamsatCamera.reader(), native: typeof window.BarcodeDetector};
}"""


# --- reading in the page -------------------------------------------------------------------------------------------


def test_camera_decode_image_reads_qr_and_code128_through_the_vendored_reader(server: Server, browsing: Browsing) -> None:
    text = qr_text()
    scan = ScanPage(browsing.new_page(), server)
    scan.open()
    loaded_before = scan.asked_for(READER) or scan.asked_for(WASM)

    from_blob = scan.page.evaluate(DECODE, {"b64": base64.b64encode(qr.qr_png(text)).decode(), "asBitmap": False})
    from_bitmap = scan.page.evaluate(DECODE, {"b64": png_b64(on_sheet(code128(DECLARATION))), "asBitmap": True})
    from_blank = scan.page.evaluate(DECODE, {"b64": png_b64(Image.new("L", (400, 300), 255)), "asBitmap": False})

    assert loaded_before is False  # lazily: the page alone never loads the 1.1 MB reader
    assert from_blob == {"texts": [text], "reader": "wasm", "native": "undefined"}
    assert from_bitmap == {"texts": [DECLARATION], "reader": "wasm", "native": "undefined"}
    assert from_blank["texts"] == []
    assert scan.asked_for(READER) and scan.asked_for(WASM)
    assert scan.foreign_requests() == []  # nothing from a CDN
    browsing.assert_clean()


def two_codes(top: Image.Image, bottom: Image.Image, gap: int, size: int = 900) -> Image.Image:
    """Two codes on a white sheet, one under the other `gap` px apart, the top one across the sheet's middle row
    (where ZXing starts looking)."""
    sheet = Image.new("L", (size, size), 255)
    sheet.paste(top, ((size - top.width) // 2, size // 2 - top.height // 2))
    sheet.paste(bottom, ((size - bottom.width) // 2, size // 2 + top.height - top.height // 2 + gap))
    return sheet


def test_camera_decode_image_reads_the_list_code_beside_another_code(server: Server, browsing: Browsing) -> None:
    """The page asks ZXing for one code first (issue 17: about half the time of asking for every code); when the one
    found is no list code (a container's number printed on the same sheet), the picture is read again for every code
    and the list's is offered first: the declaration scanned is the list's, not another number (Art 35.2.c)."""
    container = "MSKU1234565"
    scan = ScanPage(browsing.new_page(), server)
    scan.open()

    sheet = png_b64(two_codes(code128(container), code128(DECLARATION), gap=120))
    read = scan.page.evaluate(DECODE, {"b64": sheet, "asBitmap": False})
    # The reader alone (no located crop, which would find the list's code too): both codes from the reader's reads.
    plain = scan.page.evaluate(
        "async (b64) => giamsatCamera.decodeImage(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], {type: 'image/png'}), {plain: true})", sheet
    )
    offered = scan.page.evaluate("(texts) => giamsatCamera.offered(texts, false)", read["texts"])

    assert sorted(read["texts"]) == sorted(plain) == sorted([container, DECLARATION]) and read["reader"] == "wasm"
    assert offered == [DECLARATION, container]
    browsing.assert_clean()


def test_camera_two_numbers_read_at_one_place_offer_neither(server: Server, browsing: Browsing) -> None:
    """What a misread looks like — one code read on two rows with two texts — made on purpose: a code whose upper
    rows are one declaration number and lower rows another, one digit apart. Which one is printed cannot be told,
    so neither is offered (Art 35.2.c; the server's decode.agreed() rule). ZXing asked for one code finds only one of
    them; the page reads that code's area again for every code, which finds the other."""
    other = DECLARATION[:-1] + str((int(DECLARATION[-1]) + 1) % 10)
    upper, lower = (code.resize((code.width, 8)) for code in (code128(DECLARATION), code128(other)))
    scan = ScanPage(browsing.new_page(), server)
    scan.open()
    alone = scan.page.evaluate(DECODE, {"b64": png_b64(on_sheet(lower)), "asBitmap": False})

    read = scan.page.evaluate(DECODE, {"b64": png_b64(two_codes(upper, lower, gap=0)), "asBitmap": False})

    assert alone["texts"] == [other]  # each is a code the reader reads
    assert read["texts"] == []
    browsing.assert_clean()


def test_camera_reader_files_are_served_as_wasm_and_precached(server: Server) -> None:
    with urllib.request.urlopen(server.url(WASM)) as response:
        content_type = response.headers["content-type"]
        body = response.read()
    with urllib.request.urlopen(server.url("/sw.js")) as response:
        worker = response.read().decode()

    assert content_type == "application/wasm"
    assert body == (REPO / "frontend" / "static" / WASM.removeprefix("/static/")).read_bytes()
    assert body[:4] == b"\0asm"
    assert f'"{WASM}"' in worker and f'"{READER}"' in worker and '"/static/js/camera-scan.js"' in worker


def test_camera_reader_works_offline_from_the_service_workers_precache(server: Server, browsing: Browsing) -> None:
    text = qr_text()
    page = browsing.new_page()
    cdp, _ = add_authenticator(page)
    enroll(page, server.enrollment_link("GS001"))
    cdp.detach()
    wait_for_worker(page)
    # Kept by the worker under their content's hash (sw.js, the vendored files' cache).
    wait_until(page, "async (urls) => (await Promise.all(urls.map((url) => caches.match(url, {ignoreSearch: true})))).every(Boolean)", [READER, WASM])
    page.context.set_offline(True)

    # The home page, as a page with a scan form would: its script, then a photo read, all with no network.
    page.evaluate("""() => new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "/static/js/camera-scan.js";
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    })""")
    read = page.evaluate(DECODE, {"b64": base64.b64encode(qr.qr_png(text)).decode(), "asBitmap": False})

    assert read == {"texts": [text], "reader": "wasm", "native": "undefined"}
    browsing.assert_clean(OFFLINE_NOISE)


# --- a photo ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def signed_in_scan(server: Server, browsing: Browsing) -> ScanPage:
    """The test page for a signed-in officer (the server's decoder needs one), with the page's real CSRF token.
    Service workers are blocked: the worker would answer the routed test page's URL itself."""
    page = browsing.new_page(service_workers="block")
    cdp, _ = add_authenticator(page)
    enroll(page, server.enrollment_link("CB001"))
    cdp.detach()
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    assert token
    scan = ScanPage(page, server, csrf_token=token)
    scan.open()
    return scan


def test_camera_photo_is_read_in_the_page_and_submitted(signed_in_scan: ScanPage, browsing: Browsing, tmp_path: Path) -> None:
    text = qr_text()
    photo = tmp_path / "list.png"
    photo.write_bytes(qr.qr_png(text))

    signed_in_scan.page.set_input_files("[data-photo-scan]", str(photo))
    code = signed_in_scan.wait_for_submit()

    assert code == text
    assert signed_in_scan.page.evaluate("() => giamsatCamera.lastPath()") == "wasm"
    assert not signed_in_scan.asked_for("/api/v1/barcodes/decode")  # read in the page: the server was not asked
    browsing.assert_clean()


def small_and_blurred() -> Image.Image:
    """A Code 128 of the declaration number 300 px wide, out of focus by 1.9 px: past what the page's reader reads
    (its located crop included), read by the server's (bench/README.md: blur 2.0 px, server 100 %, device less)."""
    code = code128(DECLARATION)
    code = code.resize((300, code.height * 300 // code.width), Image.Resampling.LANCZOS)
    return on_sheet(code).filter(ImageFilter.GaussianBlur(1.9))


def test_camera_photo_the_page_cannot_read_goes_to_the_server(signed_in_scan: ScanPage, browsing: Browsing, tmp_path: Path) -> None:
    photo = save_png(small_and_blurred(), tmp_path / "small.png")
    in_page = signed_in_scan.page.evaluate(DECODE, {"b64": base64.b64encode(photo.read_bytes()).decode(), "asBitmap": False})
    assert in_page["texts"] == [] and in_page["reader"] == "wasm"

    signed_in_scan.page.set_input_files("[data-photo-scan]", str(photo))
    code = signed_in_scan.wait_for_submit()

    assert code == DECLARATION  # the server's located crop read it; a bare declaration number has no error
    assert signed_in_scan.page.evaluate("() => giamsatCamera.lastPath()") == "server"
    assert signed_in_scan.asked_for("/api/v1/barcodes/decode")
    browsing.assert_clean()


def test_camera_photo_turned_45_degrees_is_read_in_the_page_by_the_located_crop(signed_in_scan: ScanPage, browsing: Browsing, tmp_path: Path) -> None:
    """Issue 17: ZXing alone reads no 1D code turned 45°; the page's located crop (the bars found, turned upright,
    rows averaged) does, on the device and offline, without asking the server."""
    turned = save_png(on_sheet(code128(DECLARATION), angle=45), tmp_path / "turned.png")
    b64 = base64.b64encode(turned.read_bytes()).decode()
    plain = signed_in_scan.page.evaluate(
        "async (b64) => giamsatCamera.decodeImage(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], {type: 'image/png'}), {plain: true})", b64
    )

    signed_in_scan.page.set_input_files("[data-photo-scan]", str(turned))
    code = signed_in_scan.wait_for_submit()

    assert plain == []  # ZXing alone, as before issue 17
    assert code == DECLARATION
    assert signed_in_scan.page.evaluate("() => giamsatCamera.lastPath()") == "wasm"
    assert not signed_in_scan.asked_for("/api/v1/barcodes/decode")
    browsing.assert_clean()


def test_camera_photo_without_code_says_so_and_submits_nothing(signed_in_scan: ScanPage, browsing: Browsing, tmp_path: Path) -> None:
    blank = save_png(Image.new("L", (640, 480), 235), tmp_path / "blank.png")
    page = signed_in_scan.page

    page.set_input_files("[data-photo-scan]", str(blank))
    page.wait_for_selector("[data-camera-alert]:not([hidden])")

    assert page.text_content("[data-camera-alert]") == vi("No barcode could be read. Try again, or type the declaration number.")
    assert page.get_attribute("[data-camera-alert]", "role") == "alert"
    assert page.is_hidden("[data-camera-status]")
    assert page.input_value("[name=code]") == "" and signed_in_scan.posted == []
    assert page.input_value("[data-photo-scan]") == ""  # the same photo may be chosen again
    browsing.assert_clean(REFUSED_NOISE)


def test_camera_photo_offline_says_so_in_the_page(signed_in_scan: ScanPage, browsing: Browsing, tmp_path: Path) -> None:
    turned = save_png(small_and_blurred(), tmp_path / "small.png")
    page = signed_in_scan.page
    page.evaluate("() => giamsatCamera.reader()")  # the reader is on the device (the service worker keeps it)
    page.context.set_offline(True)

    page.set_input_files("[data-photo-scan]", str(turned))
    page.wait_for_selector("[data-camera-alert]:not([hidden])")

    assert page.text_content("[data-camera-alert]") == vi(
        "No code could be read in this photo on the device, and the server cannot be reached to try. "
        "Take it again, or type the declaration number."
    )
    assert signed_in_scan.posted == []
    browsing.assert_clean(OFFLINE_NOISE)


# --- the camera ------------------------------------------------------------------------------------------------------


def test_camera_unavailable_says_so_and_the_typed_field_still_works(server: Server, browsing: Browsing) -> None:
    scan = ScanPage(browsing.new_page(), server)  # the shared Chromium has no camera
    scan.open()

    scan.page.click("[data-camera-scan]")
    scan.page.wait_for_selector("[data-camera-alert]:not([hidden])")
    shown = scan.page.text_content("[data-camera-alert]")
    overlay_hidden = scan.page.is_hidden("[data-camera-overlay]")
    focused = scan.page.evaluate("() => document.activeElement && document.activeElement.name")
    scan.page.keyboard.type(DECLARATION)
    scan.page.keyboard.press("Enter")
    code = scan.wait_for_submit()

    assert shown == vi("No camera can be used on this device. Read the code from a photo, or type the declaration number.")
    assert overlay_hidden and focused == "code"
    assert code == DECLARATION
    browsing.assert_clean()


def write_y4m(path: Path, image: Image.Image, frames: int = 5) -> Path:
    """A still picture as a Y4M video (4:2:0), what Chromium's fake camera plays in a loop."""
    ycbcr = image.convert("RGB").convert("YCbCr")
    width, height = ycbcr.size
    y, cb, cr = ycbcr.split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


@pytest.fixture(scope="module")
def camera_browser(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A second Chromium from the session's Playwright whose camera shows a QR code of a list."""
    frame = Image.new("RGB", (640, 480), (200, 200, 195))
    code = Image.open(io.BytesIO(qr.qr_png(qr_text()))).convert("RGB").resize((330, 330), Image.Resampling.NEAREST)
    frame.paste(code, ((640 - 330) // 2, (480 - 330) // 2))
    video = write_y4m(tmp_path_factory.mktemp("camera") / "list.y4m", frame)
    instance = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    yield instance
    instance.close()


def test_camera_live_reads_the_code_stops_the_camera_and_submits(server: Server, camera_browser: Any, request: pytest.FixtureRequest) -> None:
    browsing = Browsing(camera_browser, request.node.name)
    try:
        page = browsing.new_page()
        page.context.grant_permissions(["camera"], origin=server.origin)
        scan = ScanPage(page, server)
        scan.open()
        page.evaluate("""() => {
          window.__tracks = [];
          const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getUserMedia = async (constraints) => {
            window.__constraints = constraints;
            const stream = await open(constraints);
            window.__tracks.push(...stream.getTracks());
            return stream;
          };
        }""")

        page.click("[data-camera-scan]")
        page.wait_for_selector("[data-camera-overlay]:not([hidden])", timeout=5_000)
        page.wait_for_function("() => giamsatCamera.lastPath() !== null", timeout=20_000)
        after = page.evaluate("""() => ({
          path: giamsatCamera.lastPath(),
          constraints: window.__constraints,
          tracks: window.__tracks.map((track) => [track.kind, track.readyState]),
          overlayHidden: document.querySelector("[data-camera-overlay]").hidden,
          video: document.querySelector("[data-camera-video]").srcObject,
        })""")
        code = scan.wait_for_submit()

        assert after == {
            "path": "wasm",
            "constraints": {"video": {"facingMode": "environment"}, "audio": False},
            "tracks": [["video", "ended"]],  # the camera is off once the code is read
            "overlayHidden": True,
            "video": None,
        }
        assert code == qr_text()
        browsing.assert_clean()
    finally:
        browsing.screenshot_all()
        browsing.close()


def test_camera_cancel_stops_the_camera_and_submits_nothing(server: Server, camera_browser: Any, request: pytest.FixtureRequest) -> None:
    browsing = Browsing(camera_browser, request.node.name)
    try:
        page = browsing.new_page()
        scan = ScanPage(page, server)
        scan.open()
        page.evaluate("""() => {
          window.__tracks = [];
          const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getUserMedia = async (constraints) => {
            const stream = await open(constraints);
            window.__tracks.push(...stream.getTracks());
            // Cancelled before any frame is read: the officer changed their mind.
            document.querySelector("[data-camera-cancel]").click();
            return stream;
          };
        }""")

        page.click("[data-camera-scan]")
        page.wait_for_function("() => window.__tracks.length === 1 && window.__tracks[0].readyState === 'ended'")
        page.wait_for_timeout(500)  # a code read after the cancel would submit now

        assert page.is_hidden("[data-camera-overlay]")
        assert page.evaluate("() => document.activeElement && document.activeElement.name") == "code"
        assert page.evaluate("() => giamsatCamera.lastPath()") is None
        assert scan.posted == []
        browsing.assert_clean()
    finally:
        browsing.screenshot_all()
        browsing.close()


def test_camera_refused_says_so_and_the_typed_field_still_works(server: Server, camera_browser: Any, request: pytest.FixtureRequest) -> None:
    browsing = Browsing(camera_browser, request.node.name)
    try:
        # The camera exists and would be allowed, but this page may not use it: the browser refuses
        # (NotAllowedError), as when the officer said no, or a policy forbids it.
        scan = ScanPage(browsing.new_page(), server, headers={"permissions-policy": "camera=()"})
        scan.open()

        scan.page.click("[data-camera-scan]")
        scan.page.wait_for_selector("[data-camera-alert]:not([hidden])")
        shown = scan.page.text_content("[data-camera-alert]")
        scan.page.fill("[name=code]", DECLARATION)
        scan.page.press("[name=code]", "Enter")
        code = scan.wait_for_submit()

        assert shown == vi("The camera may not be used: allow it in the browser's settings, or type the declaration number.")
        assert scan.page.is_hidden("[data-camera-overlay]")
        assert code == DECLARATION
        browsing.assert_clean(r"^Permissions policy violation: camera is not allowed in this document\.$")  # the refusal itself
    finally:
        browsing.screenshot_all()
        browsing.close()
