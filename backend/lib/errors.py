"""Typed errors. Messages are English msgids, translated when they are shown (see lib/i18n.py)."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Marks a message for translation without translating it now (pybabel extracts N_)."""
    return message


class DomainError(Exception):
    """A refusal the user can understand: `code` for programs, `message` (a msgid) for people."""

    status_code = 400

    def __init__(self, code: str, message: str, /, **params: Any) -> None:
        # Positional-only, so that a message parameter may itself be called `code` or `message`.
        super().__init__(code)
        self.code = code
        self.message = message
        self.params = params


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403
