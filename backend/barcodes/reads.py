"""What a code read from a photo is taken for (issue 17): checked as the officer's typed number is.

A Code 128 on a list carries the bare 12-digit declaration number. When the scanner cannot read the list the officer
types that number (Decision 1966, Art 35.2.c; Art 36.2.d for exports), and `payload.decode` accepts exactly 12 ASCII
digits (spaces ignored) as a typed number — the same rule the gate applies to the typed field. A code read from a photo
is held to that rule: a read of digits that are not 12 of them (another number's barcode, a code cut off by the photo's
edge, a misread) is refused as `barcode_not_a_number`, naming what was read, and never offered as a declaration number;
anything else that is no giamsat payload stays `barcode_unknown_format` (a container's or a seal's own barcode).
"""

from __future__ import annotations

import re

from backend.barcodes import payload
from backend.barcodes.payload import BarcodeError, Keyring, Payload
from backend.lib.errors import N_

# Digits, possibly grouped by spaces, dots, dashes or slashes: a number, though not (necessarily) of 12 digits.
_NUMBER_LIKE = re.compile(r"^[0-9]+(?:[ .\-/][0-9]+)*$")


def not_a_number(text: str) -> BarcodeError:
    return BarcodeError(
        "barcode_not_a_number",
        N_("The code read from the photo (%(text)s) is not a 12-digit declaration number. Type the number printed on the list (Decision 1966, Art 35.2.c)."),
        text=text[:40],
    )


def decode_read(keyring: Keyring, text: str) -> Payload:
    """What a code read from a photo says (payload.decode); a number that is not a declaration number is
    refused as `barcode_not_a_number` (Art 35.2.c: the typed number's rule), other refusals as decode() says."""
    try:
        return payload.decode(keyring, text)
    except BarcodeError as error:
        if error.code == "barcode_unknown_format" and _NUMBER_LIKE.match(text.strip()):
            raise not_a_number(text.strip()) from None
        raise
