"""ISO 6346 container numbers: check digits, normalizing what officers type, and hints for likely typos."""

from __future__ import annotations

import pytest

from backend.barcodes.iso6346 import check, check_digit, hints, is_valid, normalize


@pytest.mark.parametrize(
    "number",
    ["CSQU3054383", "MSKU9070323", "TGHU1234567", "MAEU1234567", "TCLU4567890"[:10] + str(check_digit("TCLU456789"))],
)
def test_iso6346_valid_numbers_pass(number: str) -> None:
    assert is_valid(number) and check(number).valid and check(number).problem is None


@pytest.mark.parametrize(
    ("typed", "problem", "meant"),
    [
        ("CSQU3054384", "check_digit", "CSQU3054383"),  # wrong check digit
        ("CSQU305438", "shape", "CSQU3054383"),  # check digit left out
        ("CSUQ3054383", "shape", "CSQU3054383"),  # two neighbours swapped
        ("CSQU3O54383", "shape", "CSQU3054383"),  # letter O typed for zero
        ("CSQU3045383", "check_digit", "CSQU3054383"),  # digits swapped in the serial
    ],
)
def test_iso6346_typo_is_refused_with_the_likely_number(typed: str, problem: str, meant: str) -> None:
    verdict = check(typed)

    assert not verdict.valid and verdict.problem == problem
    assert meant in verdict.hints


def test_iso6346_normalizes_what_officers_type() -> None:
    assert normalize(" csqu 305438-3 ") == "CSQU3054383"
    assert check("csqu 305438-3").valid


def test_iso6346_category_must_be_u_j_or_z_and_hints_stay_valid() -> None:
    assert not is_valid("CSQX3054383")
    assert all(is_valid(hint) for hint in hints("CSQU3054384") + hints("ABCU0000000"))
    assert check("").problem == "shape" and check("").hints == ()
