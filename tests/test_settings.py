"""Settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.settings import SettingsError, load_settings


def test_settings_defaults_to_sqlite_under_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path)})

    assert settings.database.kind == "sqlite"
    assert settings.database.sqlite_path == tmp_path / "giamsat.db"
    assert settings.web.origin == "http://localhost:8000"
    assert settings.web.rp_id == "localhost"
    assert settings.web.secure_cookies is False


def test_settings_secret_key_is_created_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path)}).secret_key
    second = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path)}).secret_key

    assert len(first) >= 40 and first == second
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0  # readable by the owner only


def test_settings_postgres_url_and_https_origin(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "GIAMSAT_DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql://giamsat@db:5432/giamsat",
            "GIAMSAT_ORIGIN": "https://giamsat.example.gov.vn/",
            "GIAMSAT_SECRET_KEY": "k",
        }
    )

    assert settings.database.kind == "postgresql"
    assert settings.web.origin == "https://giamsat.example.gov.vn"
    assert settings.web.rp_id == "giamsat.example.gov.vn"
    assert settings.web.secure_cookies is True
    assert settings.secret_key == "k"


def test_settings_demo_refused_off_localhost(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GIAMSAT_DEMO"):
        load_settings({"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_DEMO": "1", "GIAMSAT_ORIGIN": "https://giamsat.vn"})


def test_settings_demo_allowed_on_localhost(tmp_path: Path) -> None:
    settings = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_DEMO": "1", "GIAMSAT_ORIGIN": "http://localhost:9000"})

    assert settings.web.demo is True
