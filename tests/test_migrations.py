"""The checked-in migrations describe exactly the tables in the code (no forgotten `migrations new --auto`)."""

from __future__ import annotations

import importlib

import pytest

from backend.domains import DOMAINS
from tests.conftest import run_async


@pytest.mark.parametrize("domain", DOMAINS)
def test_migrations_match_tables(domain: str) -> None:
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    app_config = importlib.import_module(f"backend.{domain}.piccolo_app").APP_CONFIG

    statements = run_async(AutoMigrationManager().get_alter_statements(app_config))

    pending = [line for alter in statements for line in alter.statements]
    assert pending == [], f"run: PICCOLO_CONF=backend.piccolo_conf piccolo migrations new {domain} --auto"
