"""Translations: Vietnamese by default, English selectable.

Message ids are English. Catalogs are gettext `.po` files under `backend/locale/<lang>/LC_MESSAGES/`,
kept with Babel (`make messages` extracts and updates them). They are compiled in memory at start-up,
so no `.mo` file has to be built or committed. The language of the current request lives in a
context variable set by `LanguageMiddleware`; templates and Python code both read it.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "gs_lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():  # English is the source language: no catalog needed
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick_language(cookie_value: str | None) -> str:
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE


def gettext(message: str, **params: Any) -> str:
    text = translations(current_language.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = translations(current_language.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


def translate_in(language: str, message: str, **params: Any) -> str:
    token = current_language.set(pick_language(language))
    try:
        return gettext(message, **params)
    finally:
        current_language.reset(token)


_ = gettext


class Deferred:
    """A message translated when it is formatted, e.g. as a parameter of another message: it is then worded in
    the language of whoever reads it (`"%(role)s" % {"role": Deferred(msgid)}` calls `str()` at that moment)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)


class LanguageMiddleware:
    """Sets `current_language` from the language cookie for the whole request, error pages included."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        language = DEFAULT_LANGUAGE
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    if key == LANGUAGE_COOKIE:
                        language = pick_language(val)
        token = current_language.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(token)
