"""Base msgspec Struct for the API: unknown fields are refused, so a typo in a client is an error, not data loss."""

from typing import Annotated, Any

import msgspec


class Struct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every API error: a stable `error` code for programs and a `message` in the caller's language."""

    error: str
    message: str
    detail: dict | None = None


# The largest integer a device can write exactly: JavaScript numbers are doubles. A command's payload is signed as
# the device wrote it (lib/canonical.py), so a larger one could never have been signed faithfully; nothing giamsat
# counts comes near it.
MAX_SAFE_INTEGER = 2**53 - 1
# Row ids are PostgreSQL `integer` (Piccolo's Serial): an id outside it names no row and must not reach the
# database, where it is an error rather than "not found". Inside it, the domain says what is not found.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, msgspec.Meta(ge=-(2**31), le=MAX_ROW_ID)]


def first_unsafe_integer(value: Any) -> int | None:
    """The first integer in a decoded JSON value beyond ±MAX_SAFE_INTEGER, or None when there is none."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if abs(item) > MAX_SAFE_INTEGER:
                return item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
