"""QR codes for enrollment links: SVG for pages (no inline style, so the CSP holds) and text for the terminal."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # drop the XML declaration so it can sit inside HTML


def qr_terminal(data: str) -> str:
    code = qrcode.QRCode(border=1)
    code.add_data(data)
    buffer = io.StringIO()
    code.print_ascii(out=buffer, invert=True)
    return buffer.getvalue()
