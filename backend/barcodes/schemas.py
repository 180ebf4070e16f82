"""What the barcodes API answers."""

from __future__ import annotations

import msgspec

from backend.barcodes.payload import Payload


class CodeError(msgspec.Struct, frozen=True, kw_only=True):
    """Why a code that was read is not a good list barcode: a stable code and a message in the caller's language."""

    error: str
    message: str


class DecodedCode(msgspec.Struct, frozen=True, kw_only=True):
    """One code found in a photo: its text, and either what it says or why it was refused."""

    text: str
    payload: Payload | None
    error: CodeError | None


class DecodedPhoto(msgspec.Struct, frozen=True, kw_only=True):
    codes: list[DecodedCode]
