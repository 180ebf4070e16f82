"""QR codes for print pages (backend/barcodes/qr.py), read back by the server's photo decoder. No database."""

from __future__ import annotations

import base64
import io
import re

from PIL import Image

from backend.barcodes import payload, qr
from backend.barcodes.decode import decode_photo
from backend.barcodes.payload import DocumentKind, Keyring

KEYRING = Keyring.from_secrets({"A": "deployment secret"}, "A")
LONGEST = payload.encode(KEYRING, "999999999999", 999_999, DocumentKind.TRANSIT_NOTICE)


def test_qr_png_decodes_back_to_the_payload() -> None:
    text = payload.encode(KEYRING, "305123456789", 3, DocumentKind.GOODS_LIST)

    assert decode_photo(qr.qr_png(text), "image/png") == [text]


def test_qr_png_is_black_on_white_ten_pixels_a_module_with_quiet_zone() -> None:
    text = payload.encode(KEYRING, "305123456789", 3, DocumentKind.GOODS_LIST)

    image = Image.open(io.BytesIO(qr.qr_png(text))).convert("L")

    size = (17 + 4 * qr.qr_version(text) + 2 * qr.QUIET_ZONE) * qr.PNG_MODULE_PX
    assert image.size == (size, size)
    assert image.getpixel((0, 0)) == 255 and image.getpixel((45, 45)) == 0  # quiet zone, then a finder pattern


def test_qr_longest_payload_fits_a_small_code() -> None:
    assert len(LONGEST) == 43
    assert qr.qr_version(LONGEST) <= 3  # 29 x 29 modules: about 37 mm printed at 1 mm a module


def test_qr_svg_has_only_svg_and_path_elements_and_no_script_or_style() -> None:
    svg = qr.qr_svg(LONGEST)

    assert svg.startswith("<svg") and 'width="37mm"' in svg
    assert set(re.findall(r"<(\w+)", svg)) == {"svg", "path"}
    assert "script" not in svg.lower() and "style" not in svg.lower() and "href" not in svg.lower()


def test_qr_img_tag_is_a_data_uri_the_csp_allows_and_escapes_alt() -> None:
    tag = qr.qr_img_tag(LONGEST, 'List "A" <1>')

    match = re.fullmatch(r'<img class="qr" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">', str(tag))
    assert match is not None
    assert base64.b64decode(match.group(1)).decode() == qr.qr_svg(LONGEST)
    assert match.group(2) == "List &#34;A&#34; &lt;1&gt;"


def test_qr_img_tag_is_allowed_by_the_apps_content_security_policy() -> None:
    from backend.app import CONTENT_SECURITY_POLICY

    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))

    assert "data:" in directives["img-src"].split()
