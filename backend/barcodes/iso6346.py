"""ISO 6346 container numbers: owner code (3 letters), category (U, J or Z), 6-digit serial, check digit.

The check digit catches most typing mistakes at the gate (domain.md: "reject a wrong check digit at entry").
When a number fails, `hints()` proposes the numbers one keystroke away that pass, most likely first, so the
officer can see at a glance which container was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CATEGORIES = "UJZ"
_SHAPE = re.compile(r"^[A-Z]{3}[UJZ]\d{7}$")

# Letter values skip multiples of 11 (11, 22, 33), as the standard says.
_LETTER_VALUES: dict[str, int] = {}
_value = 10
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _value % 11 == 0:
        _value += 1
    _LETTER_VALUES[_letter] = _value
    _value += 1

# Characters officers confuse when reading a worn container door or typing fast.
_LOOKALIKES = {"0": "O", "O": "0", "1": "I", "I": "1", "5": "S", "S": "5", "8": "B", "B": "8", "2": "Z", "Z": "2"}


def normalize(text: str) -> str:
    """Upper case without spaces, dashes or dots: "tghu 123456-7" -> "TGHU1234567"."""
    return re.sub(r"[\s\-./]", "", text or "").upper()


def check_digit(first_ten: str) -> int:
    """The check digit of the first 10 characters (owner, category, serial)."""
    total = 0
    for position, char in enumerate(first_ten):
        value = _LETTER_VALUES[char] if char.isalpha() else int(char)
        total += value * (2**position)
    return total % 11 % 10


def is_valid(number: str) -> bool:
    number = normalize(number)
    return bool(_SHAPE.match(number)) and check_digit(number[:10]) == int(number[10])


@dataclass(frozen=True)
class Verdict:
    number: str  # normalized
    valid: bool
    problem: str | None  # "shape" | "check_digit" | None
    expected_check_digit: int | None
    hints: tuple[str, ...]


def check(text: str) -> Verdict:
    """Whether a container number is well formed with the right check digit, and if not, likely meant numbers."""
    number = normalize(text)
    if not _SHAPE.match(number):
        return Verdict(number, False, "shape", None, hints(number))
    expected = check_digit(number[:10])
    if expected == int(number[10]):
        return Verdict(number, True, None, expected, ())
    return Verdict(number, False, "check_digit", expected, hints(number))


def hints(number: str, limit: int = 3) -> tuple[str, ...]:
    """Valid numbers one mistake away: a look-alike character, two neighbours swapped, or a wrong check digit."""
    number = normalize(number)
    found: list[str] = []

    def consider(candidate: str) -> None:
        if candidate != number and candidate not in found and is_valid(candidate):
            found.append(candidate)

    for index, char in enumerate(number):  # look-alikes first: the commonest reading mistake
        if char in _LOOKALIKES:
            consider(number[:index] + _LOOKALIKES[char] + number[index + 1 :])
    for index in range(len(number) - 1):  # two neighbours typed the wrong way round
        consider(number[:index] + number[index + 1] + number[index] + number[index + 2 :])
    if len(number) == 11 and _SHAPE.match(number[:10] + "0"):  # only the check digit was mistyped
        consider(number[:10] + str(check_digit(number[:10])))
    if len(number) == 10 and _SHAPE.match(number + "0"):  # the check digit was left out
        consider(number + str(check_digit(number)))
    return tuple(found[:limit])
