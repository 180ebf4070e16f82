"""What transit seals (Decision 1966, Art 41.1.c.1.1: "số hiệu container/toa tàu/kiện hàng"), and how each kind of
sealing unit is named.

- **container**: an ISO 6346 container number, its check digit verified (backend/barcodes/iso6346.py), as before.
- **wagon** (toa tàu): the number painted on the rail wagon. Railways write it in different ways: Vietnam Railways a
  type code and a serial ("GG 31234"), China Railway a type code and 7 digits ("C70 1234567"), UIC railways 12
  digits with a check digit ("31 80 665 0 123-6"). We accept letters and digits, written with spaces or hyphens
  anywhere, which we drop: the officer at the destination compares the number painted on the wagon with the one
  recorded (41.2.a.1-a.2), and "GG 31234", "GG-31234" and "gg31234" are the same wagon. Kept: 4 to 16 letters and
  digits, at least 3 of them digits (every railway's wagon number has its serial). Refused: other characters, too
  short or too long, an ISO 6346 container number (a container on a flat wagon is sealed as a container), and 12
  digits whose UIC check digit is wrong (the one railway numbering with a check digit: it catches a mistyped digit).
- **package** (kiện hàng): its marks and number as written on it ("ký mã hiệu"), 1 to 64 characters; spaces
  collapsed and upper case, so that the destination's reading compares equal; anything else as written.

Every refusal names the clause (41.1.c.1.1) and says what is accepted.
"""

from __future__ import annotations

import re

from backend.barcodes import iso6346
from backend.lib.errors import N_, DomainError
from backend.seals.tables import UnitKind

WAGON_MIN, WAGON_MAX = 4, 16
PACKAGE_MAX = 64
_WAGON_INPUT = re.compile(r"^[A-Z0-9 \-]+$")
_CONTAINER_SHAPE = re.compile(r"^[A-Z]{3}[UJZ][0-9]{7}$")


def uic_check_digit(eleven: str) -> int:
    """The UIC wagon number's self-check digit (UIC leaflet 920-1): the 11 digits multiplied by 2, 1, 2, ... from
    the left, the digits of the products summed, the check digit brings the sum to a multiple of 10."""
    total = 0
    for position, char in enumerate(eleven):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def wagon_number(raw: str) -> str:
    """A rail wagon's number as recorded: letters and digits, spaces and hyphens dropped (module docstring)."""
    text = " ".join((raw or "").split()).upper()
    shown = text[:40]
    if not text or not _WAGON_INPUT.match(text):
        raise DomainError(
            "wagon_invalid",
            N_("%(value)s is not a rail wagon number: write the letters and digits painted on the wagon (spaces and hyphens are allowed) (Decision 1966, Art 41.1.c.1.1)."),
            value=shown or "-",
        )
    number = text.replace(" ", "").replace("-", "")
    digits = sum(char.isdigit() for char in number)
    if not WAGON_MIN <= len(number) <= WAGON_MAX or digits < 3:
        raise DomainError(
            "wagon_invalid",
            N_("%(value)s is not a rail wagon number: it has %(min)d to %(max)d letters and digits, at least 3 of them digits (Decision 1966, Art 41.1.c.1.1)."),
            value=shown, min=WAGON_MIN, max=WAGON_MAX,
        )
    if _CONTAINER_SHAPE.match(number):
        raise DomainError(
            "wagon_is_container",
            N_("%(value)s is a container number: seal it as a container (Decision 1966, Art 41.1.c.1.1)."),
            value=number,
        )
    if number.isdigit() and len(number) == 12 and uic_check_digit(number[:11]) != int(number[11]):
        raise DomainError(
            "wagon_check_digit",
            N_("%(value)s: the check digit of a 12-digit (UIC) wagon number should be %(digit)d. Read the number on the wagon again (Decision 1966, Art 41.1.c.1.1)."),
            value=number, digit=uic_check_digit(number[:11]),
        )
    return number


def package_marks(raw: str) -> str:
    """A package's marks and number as written on it: spaces collapsed, upper case (module docstring)."""
    marks = " ".join((raw or "").split()).upper()
    if not marks or not any(char.isalnum() for char in marks) or len(marks) > PACKAGE_MAX:
        raise DomainError(
            "package_invalid",
            N_("Write the package's marks and number as written on it, 1 to %(max)d characters (Decision 1966, Art 41.1.c.1.1)."),
            max=PACKAGE_MAX,
        )
    return marks


def container_number(raw: str) -> str:
    verdict = iso6346.check(raw)
    if not verdict.valid:
        raise DomainError(
            "container_invalid",
            N_("%(number)s is not an ISO 6346 container number. Did you mean: %(hints)s?"),
            number=(raw or "").strip()[:20],
            hints=", ".join(verdict.hints) or "-",
        )
    return verdict.number


def unit_id(kind: UnitKind | str, raw: str) -> str:
    """The identifier of a sealing unit of this kind, as recorded; a typed refusal (DomainError) otherwise."""
    kind = UnitKind(kind)
    if kind is UnitKind.CONTAINER:
        return container_number(raw)
    if kind is UnitKind.WAGON:
        return wagon_number(raw)
    return package_marks(raw)


UNIT_LABELS: dict[str, str] = {
    UnitKind.CONTAINER: N_("Container"),
    UnitKind.WAGON: N_("Wagon"),
    UnitKind.PACKAGE: N_("Package"),
}
