"""Canonical JSON: the exact bytes a device signs, written the same way in Python and in the browser.

A signed command's challenge covers `canonical_json(...)` of what the device sent. The device writes it
with `canonicalJSON()` in service_worker/serialize.js, so both sides must agree byte for byte:

- object keys sorted by UTF-16 code units (JavaScript's default sort; the same as code points for every
  key below U+D800, which covers every key giamsat uses), no whitespace;
- strings as `JSON.stringify` writes them: `"`, `\\`, `\\b \\f \\n \\r \\t` escaped short, other control
  characters as `\\u00XX`, lone surrogates as `\\uDXXX`, everything else (Vietnamese included) as UTF-8;
- numbers as JavaScript's `Number.prototype.toString` writes them (`1`, not `1.0`; `1e+21`);
- `true`, `false`, `null`.

This is RFC 8785 (JSON Canonicalization Scheme) for every value a command carries. Python's `json` module
differs on floats, so it is written out here rather than borrowed.
"""

from __future__ import annotations

import math
from typing import Any

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def canonical_json(value: Any) -> str:
    """The canonical text of a JSON value (dicts, lists, str, int, float, bool, None)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def canonical_bytes(value: Any) -> bytes:
    # A lone surrogate was already escaped by _string, so plain UTF-8 can encode every character left.
    return canonical_json(value).encode("utf-8")


def _write(value: Any, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, int):
        parts.append(_number(float(value)) if abs(value) >= 2**53 else str(value))
    elif isinstance(value, float):
        parts.append(_number(value))
    elif isinstance(value, dict):
        parts.append("{")
        for index, key in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
            if index:
                parts.append(",")
            parts.append(_string(key))
            parts.append(":")
            _write(value[key], parts)
        parts.append("}")
    elif isinstance(value, (list, tuple)):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number(number: float) -> str:
    """JavaScript's Number#toString for a finite double (ECMA-262 Number::toString)."""
    if not math.isfinite(number):
        raise ValueError("NaN and Infinity are not JSON")
    if number == 0:
        return "0"
    if number < 0:
        return "-" + _number(-number)
    # repr gives the shortest digits that round-trip, as JavaScript does; only the layout differs.
    mantissa, _, exponent = repr(number).partition("e")
    digits_part, _, fraction = mantissa.partition(".")
    digits = (digits_part + fraction).lstrip("0")
    point = len(digits_part) + (int(exponent) if exponent else 0)  # decimal point position
    if not digits_part.strip("0"):  # 0.000123 -> digits after leading zeros
        stripped = fraction.lstrip("0")
        point = -(len(fraction) - len(stripped)) + (int(exponent) if exponent else 0)
        digits = stripped
    digits = digits.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    exp = n - 1
    sign = "+" if exp >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{head}e{sign}{abs(exp)}"
