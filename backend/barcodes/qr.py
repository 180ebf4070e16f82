"""QR codes for printed lists: SVG for the A4 print pages, PNG for files and for tests.

Error correction M (15 % of the code may be lost: a crease, a smudge, a staple) is the usual choice for paper
handled at a gate; a payload (docs/barcodes.md) then fits a version 2 or 3 code. Printed at 1 mm a module
(about 33-37 mm wide with the quiet zone) a phone reads it from 10-40 cm and a handheld scanner at once.

Pages show the SVG as `<img src="data:image/svg+xml;base64,...">` (qr_img_tag): the app's CSP allows
`img-src 'self' data:` and an SVG shown as an image runs no script and loads nothing, whereas SVG markup
inlined in the page would be subject to `style-src 'self'` and would put generated markup in the document.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup, escape

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4  # modules of white around the code, as the standard asks
PNG_MODULE_PX = 10  # 10 px a module: sharp when printed at 1 mm a module (254 dpi)


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, box_size=PNG_MODULE_PX)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_version(text: str) -> int:
    """The QR version (1-40; size 17 + 4 x version modules) that `text` needs at error correction M."""
    return _code(text).version


def qr_svg(text: str) -> str:
    """A standalone SVG document of the code, one black path on no background, sized in millimetres
    (1 mm a module). No script, no style, no external reference: only svg and path elements."""
    image = _code(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def qr_png(text: str) -> bytes:
    """A black-on-white PNG of the code, 10 px a module with the quiet zone."""
    image = _code(text).make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_data_uri(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text).encode()).decode("ascii")


def qr_img_tag(text: str, alt: str, css_class: str = "qr") -> Markup:
    """An `<img>` showing the code, safe to put in a template as is (the CSP allows data: images)."""
    return Markup('<img class="{}" src="{}" alt="{}">').format(css_class, qr_data_uri(text), escape(alt))
