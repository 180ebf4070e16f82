"""Jinja, with gettext from lib/i18n so every page is translated into the request's language."""

from __future__ import annotations

import json
from datetime import datetime

from litestar.plugins.jinja import JinjaTemplateEngine

from backend import __version__
from backend.journal.registry import COMMANDS, is_signed
from backend.lib import i18n
from backend.officers.tables import role_label


def local_time(moment: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Vietnam time (UTC+7, no daylight saving) for display; the database keeps UTC."""
    if moment is None:
        return ""
    from datetime import timedelta, timezone

    return moment.astimezone(timezone(timedelta(hours=7))).strftime(fmt)


def configure_jinja(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.autoescape = True
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        # Which command types the device must sign with a passkey (journal/registry.py), for base.html's meta.
        signed_commands=lambda: sorted(name for name in COMMANDS if is_signed(name)),
        # Command types as people name them, in the page's language: the device lists its queue with them.
        command_labels=lambda: json.dumps(
            {name: i18n.gettext(spec.label) for name, spec in sorted(COMMANDS.items()) if spec.label}, ensure_ascii=False
        ),
        languages=i18n.LANGUAGES,
        current_language=i18n.current_language.get,
        app_version=__version__,
    )
    env.filters["local_time"] = local_time
    env.filters["role_label"] = role_label
