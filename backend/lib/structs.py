"""Base msgspec Struct for the API: unknown fields are refused, so a typo in a client is an error, not data loss."""

import msgspec


class Struct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every API error: a stable `error` code for programs and a `message` in the caller's language."""

    error: str
    message: str
    detail: dict | None = None
