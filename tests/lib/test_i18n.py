"""The Vietnamese catalog: it covers every message the code and templates show, keeps their placeholders,
compiles, and is what `translate_in` answers with. No database.

When a test here fails because of a new string, run `make messages` and translate the new entries of
backend/locale/vi/LC_MESSAGES/messages.po (no fuzzy entries: the catalog loader skips them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from babel.support import Translations

from backend.lib import i18n
from backend.officers.tables import ROLE_LABELS, Role

REPO = Path(__file__).resolve().parents[2]
VI_PO = REPO / "backend" / "locale" / "vi" / "LC_MESSAGES" / "messages.po"

# %(name)s style, or a bare %s / %d; "%%" is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")


def placeholders(text: str) -> list[str]:
    """The placeholders of a message, sorted: names for %(name)s, the conversion for a bare %s."""
    found = []
    for name, conversion in PLACEHOLDER.findall(text):
        if conversion == "%":
            continue
        found.append(f"%({name}){conversion}" if name else f"%{conversion}")
    return sorted(found)


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=True)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A fresh extraction with the same configuration and keywords as `make messages`."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    status = CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(REPO / "babel.cfg"), "-k", "N_", "--no-location",
         "--sort-output", "-o", str(pot), str(REPO)]
    )
    assert status in (0, None), f"pybabel extract failed with status {status}"
    return read_catalog(pot)


@pytest.fixture(scope="module")
def vi_catalog() -> Catalog:
    return read_catalog(VI_PO, locale="vi")


def test_extraction_finds_python_and_template_messages(extracted: Catalog) -> None:
    ids = {message.id for message in extracted if message.id}

    assert "Sign in" in ids  # frontend/templates/auth/signin.html
    assert "This account is not active." in ids  # N_() in backend/auth/services.py
    assert "Sign in first." in ids  # gettext() in backend/app.py
    assert "Hello, %(name)s" in ids  # newstyle gettext with a keyword argument


def test_catalog_translates_every_extracted_message(extracted: Catalog, vi_catalog: Catalog) -> None:
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = vi_catalog.get(message.id, message.context)
        if translated is None or not translated.string or translated.fuzzy:
            missing.append(message.id)

    assert not missing, "Untranslated in vi/messages.po (run `make messages`, then translate):\n" + "\n".join(
        f"  {msgid!r}" for msgid in missing
    )


def test_catalog_has_no_fuzzy_or_empty_entries(vi_catalog: Catalog) -> None:
    problems = [message.id for message in vi_catalog if message.id and (message.fuzzy or not message.string)]

    assert problems == []


def test_translations_keep_their_placeholders(vi_catalog: Catalog) -> None:
    mismatched = {
        message.id: message.string
        for message in vi_catalog
        if message.id and message.string and placeholders(message.id) != placeholders(message.string)
    }
    babel_errors = {message.id: [str(error) for error in errors] for message, errors in vi_catalog.check()}

    assert mismatched == {}
    assert babel_errors == {}


def test_placeholders_helper_reads_named_and_bare_forms() -> None:
    assert placeholders("Added %(when)s by %(who)s, 100%% done, %d left") == ["%(when)s", "%(who)s", "%d"]


def test_translate_in_vietnamese_differs_from_english() -> None:
    assert i18n.translate_in("vi", "Sign in") == "Đăng nhập"
    assert i18n.translate_in("vi", "Logbook") == "Sổ theo dõi"
    assert i18n.translate_in("vi", "Hello, %(name)s", name="Nguyễn Văn An") == "Xin chào, Nguyễn Văn An"


def test_translate_in_english_returns_the_msgid() -> None:
    assert i18n.translate_in("en", "Sign in") == "Sign in"
    assert i18n.translate_in("en", "Hello, %(name)s", name="An") == "Hello, An"


def test_translate_in_unknown_language_falls_back_to_vietnamese() -> None:
    assert i18n.translate_in("fr", "Sign out") == i18n.translate_in("vi", "Sign out") == "Đăng xuất"


def test_vietnamese_catalog_compiles_to_every_translation(vi_catalog: Catalog) -> None:
    i18n.translations.cache_clear()

    compiled = i18n.translations("vi")

    assert isinstance(compiled, Translations)
    wrong = {
        message.id: compiled.gettext(message.id)
        for message in vi_catalog
        if message.id and compiled.gettext(message.id) != message.string
    }
    assert wrong == {}


def test_every_role_has_a_translated_label() -> None:
    labels = {role: i18n.translate_in("vi", ROLE_LABELS[role]) for role in Role}

    assert labels == {
        Role.OFFICER: "Công chức giám sát",
        Role.SUPERVISOR: "Lãnh đạo Chi cục/Đội",
        Role.WAREHOUSE: "Nhân viên kho, bãi, CFS",
        Role.ADMIN: "Quản trị hệ thống",
    }
