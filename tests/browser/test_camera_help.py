"""The camera reader helps the officer (issue 17): the torch and a zoom control where the phone's camera has them,
tap to focus, and advice instead of silence when frames keep failing ("hold still", "move closer"), in Vietnamese.

Real Chromium under the app's Content-Security-Policy, against the real server, with the real camera-scan.js and
the vendored ZXing-wasm reader. The camera is faked in the page: `getUserMedia` answers a real MediaStream drawn
from a canvas (`canvas.captureStream()`, a picture of a list made here with Pillow) whose video track reports the
capabilities a phone's would (`torch`, `zoom`, `focusMode`) and records what the page asks of it
(`applyConstraints`), since no camera Chromium can fake has a torch or zoom. The page under test is
tests/browser/test_camera_scan.py's: a scan form and the real gate/_camera.html fragment in Vietnamese.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image, ImageFilter

from tests.barcodes.photos import code128
from tests.browser.conftest import Browsing, Server
from tests.browser.test_camera_scan import DECLARATION, ScanPage, vi

pytestmark = pytest.mark.browser

PHONE = {"torch": True, "zoom": {"min": 1, "max": 5, "step": 0.5}, "focusMode": ["manual", "single-shot", "continuous"]}
HOLD_STILL = "Hold still and let the camera focus: the code is blurred."
MOVE_CLOSER = "Move closer: the code is too small."
POINT_AT = "Point the camera at the QR code or barcode on the list."

FAKE_CAMERA = """({b64, caps}) => {
  window.__applied = [];
  window.__tracks = [];
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const picture = await createImageBitmap(new Blob([bytes], {type: "image/png"}));
    const canvas = document.createElement("canvas");
    canvas.width = picture.width;
    canvas.height = picture.height;
    const context = canvas.getContext("2d");
    const draw = () => context.drawImage(picture, 0, 0);
    draw();
    setInterval(draw, 40);  // a canvas stream makes a frame when the canvas is drawn
    const stream = canvas.captureStream(25);
    const track = stream.getVideoTracks()[0];
    track.getCapabilities = () => caps;
    track.getSettings = () => ({width: picture.width, height: picture.height, zoom: caps.zoom ? caps.zoom.min : undefined});
    track.applyConstraints = (wanted) => {
      window.__applied.push(JSON.parse(JSON.stringify(wanted)));
      return Promise.resolve();
    };
    window.__tracks.push(track);
    return stream;
  };
}"""


def list_frame(width: int | None, blur: float = 0) -> str:
    """A 1280 x 720 frame of a list on a desk: a Code 128 of the declaration number `width` px wide on a white
    sheet (none: the sheet alone), out of focus by `blur` px; as base64 PNG."""
    frame = Image.new("L", (1280, 720), 120)
    if width:
        code = code128(DECLARATION)
        code = code.resize((width, max(1, code.height * width // code.width)), Image.Resampling.LANCZOS)
        sheet = Image.new("L", (code.width + 80, code.height + 80), 245)
        sheet.paste(code, (40, 40))
    else:
        sheet = Image.new("L", (600, 300), 245)
    frame.paste(sheet, ((1280 - sheet.width) // 2, (720 - sheet.height) // 2))
    if blur:
        frame = frame.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    frame.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def open_fake_camera(server: Server, browsing: Browsing, frame: str, caps: dict[str, Any]) -> ScanPage:
    scan = ScanPage(browsing.new_page(), server)
    scan.open()
    scan.page.evaluate(FAKE_CAMERA, {"b64": frame, "caps": caps})
    scan.page.click("[data-camera-scan]")
    scan.page.wait_for_selector("[data-camera-overlay]:not([hidden])")
    scan.page.wait_for_function("() => window.__applied.length > 0")  # the camera is open and asked for its settings
    return scan


def advanced(scan: ScanPage) -> list[dict[str, Any]]:
    """The `advanced` constraint sets of the page's last applyConstraints call."""
    return scan.page.evaluate("() => window.__applied[window.__applied.length - 1].advanced || []")


def test_camera_torch_and_zoom_shown_and_applied_where_the_camera_has_them(server: Server, browsing: Browsing) -> None:
    scan = open_fake_camera(server, browsing, list_frame(None), PHONE)
    page = scan.page
    page.wait_for_selector("[data-camera-torch]:not([hidden])")
    zoom = page.locator("[data-camera-zoom] input")
    shown = {
        "torch": page.text_content("[data-camera-torch]"),
        "pressed": page.get_attribute("[data-camera-torch]", "aria-pressed"),
        "zoom": page.is_visible("[data-camera-zoom]"),
        "range": [zoom.get_attribute("min"), zoom.get_attribute("max"), zoom.get_attribute("step"), zoom.input_value()],
    }
    first = advanced(scan)

    page.click("[data-camera-torch]")
    page.wait_for_function("() => window.__applied.length >= 2")
    torch_on = advanced(scan)
    pressed = page.get_attribute("[data-camera-torch]", "aria-pressed")
    zoom.fill("3")
    page.wait_for_function("() => window.__applied.length >= 3")
    zoomed = advanced(scan)
    page.click("[data-camera-torch]")
    page.wait_for_function("() => window.__applied.length >= 4")
    torch_off = advanced(scan)
    page.click("[data-camera-cancel]")

    assert shown == {"torch": vi("Torch"), "pressed": "false", "zoom": True, "range": ["1", "5", "0.5", "1"]}
    assert vi("Torch") == "Đèn pin" and vi("Zoom") == "Thu phóng"
    assert first == [{"focusMode": "continuous"}]  # continuous focus kept; the torch off until asked
    assert torch_on == [{"focusMode": "continuous"}, {"torch": True}] and pressed == "true"
    assert zoomed == [{"focusMode": "continuous"}, {"torch": True}, {"zoom": 3}]
    assert torch_off == [{"focusMode": "continuous"}, {"zoom": 3}]
    assert page.evaluate("() => window.__applied[0].width") == {"ideal": 1920}
    assert page.is_hidden("[data-camera-torch]") and page.is_hidden("[data-camera-zoom]")  # closed with the camera
    assert page.evaluate("() => window.__tracks[0].readyState") == "ended"
    assert scan.posted == []
    browsing.assert_clean()


def test_camera_without_torch_or_zoom_shows_no_controls(server: Server, browsing: Browsing) -> None:
    scan = open_fake_camera(server, browsing, list_frame(None), {})
    page = scan.page
    page.wait_for_timeout(300)

    assert page.is_hidden("[data-camera-torch]") and page.is_hidden("[data-camera-zoom]")
    assert page.evaluate("() => window.__applied") == [{"width": {"ideal": 1920}, "height": {"ideal": 1080}}]
    assert page.evaluate("() => document.querySelector('.camera-tools').getBoundingClientRect().height") == 0
    page.keyboard.press("Escape")
    assert page.is_hidden("[data-camera-overlay]")
    browsing.assert_clean()


def test_camera_tap_on_the_view_focuses_there_where_supported(server: Server, browsing: Browsing) -> None:
    scan = open_fake_camera(server, browsing, list_frame(None), {**PHONE, "pointsOfInterest": True})
    page = scan.page
    box = page.locator("[data-camera-video]").bounding_box()
    assert box

    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => window.__applied.length >= 2")
    point = advanced(scan)[-1]["pointsOfInterest"][0]

    assert point["x"] == pytest.approx(0.25, abs=0.02) and point["y"] == pytest.approx(0.5, abs=0.02)
    browsing.assert_clean()


def test_camera_blurred_frames_say_hold_still_in_vietnamese(server: Server, browsing: Browsing) -> None:
    scan = open_fake_camera(server, browsing, list_frame(500, blur=3.5), {})
    page = scan.page

    page.wait_for_function("(text) => document.querySelector('[data-camera-hint]').textContent === text", arg=vi(HOLD_STILL), timeout=10_000)

    assert vi(HOLD_STILL) == "Giữ yên máy và chờ camera lấy nét: mã vạch đang bị mờ."
    assert page.get_attribute("[data-camera-hint]", "data-camera-advice") == "still"
    assert page.evaluate("() => giamsatCamera.lastPath()") is None and scan.posted == []
    page.click("[data-camera-cancel]")
    assert page.text_content("[data-camera-hint]") == vi(POINT_AT)  # the next camera starts with the usual words
    browsing.assert_clean()


def test_camera_small_code_says_move_closer_in_vietnamese(server: Server, browsing: Browsing) -> None:
    scan = open_fake_camera(server, browsing, list_frame(110), {})
    page = scan.page

    page.wait_for_function("(text) => document.querySelector('[data-camera-hint]').textContent === text", arg=vi(MOVE_CLOSER), timeout=10_000)

    assert vi(MOVE_CLOSER) == "Đưa camera lại gần hơn: mã vạch quá nhỏ."
    assert scan.posted == []
    browsing.assert_clean()


def test_camera_sheet_without_code_gives_no_advice(server: Server, browsing: Browsing) -> None:
    scan = open_fake_camera(server, browsing, list_frame(None, blur=3.5), {})
    page = scan.page
    page.wait_for_timeout(1_500)  # several looks at the frame

    assert page.text_content("[data-camera-hint]") == vi(POINT_AT)
    assert scan.posted == []
    browsing.assert_clean()


def test_camera_readable_frame_with_the_tools_still_reads_and_submits(server: Server, browsing: Browsing) -> None:
    scan = open_fake_camera(server, browsing, list_frame(500), PHONE)

    code = scan.wait_for_submit()

    assert code == DECLARATION
    assert scan.page.evaluate("() => giamsatCamera.lastPath()") == "wasm"
    assert scan.page.evaluate("() => window.__tracks[0].readyState") == "ended"
    assert scan.page.is_hidden("[data-camera-overlay]") and scan.page.is_hidden("[data-camera-torch]")
    browsing.assert_clean()
