"""The `giamsat` command line, run as a real process against SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import giamsat


def test_cli_demo_prints_a_link_per_role_and_can_run_twice(app_env: dict[str, str]) -> None:
    first = giamsat(app_env, "demo")
    second = giamsat(app_env, "demo")

    for output in (first.stdout, second.stdout):
        links = [line for line in output.splitlines() if "/enroll/" in line]
        assert len(links) == 7  # one of each role at the port, the border gate's officer and head, the CFS's staff member
        assert {line.split()[0] for line in links} == {"officer", "supervisor", "warehouse", "admin"}
        assert {line.split()[1] for line in links} == {"CB001", "GS001", "KHO001", "ADMIN", "CB101", "GS101", "CFS001"}
        assert all("http://localhost:8000/enroll/" in line for line in links)
    # The officers' signed transit steps (backend/transit/demo.py), applied as the app applies commands; once.
    assert "Demo transit lots taken to later states: 10 of 10" in first.stdout
    assert "0 of 10 (all there already)" in second.stdout
    assert "Demo CFS consolidation list submitted by CFS001" in first.stdout  # backend/cfs/demo.py; once
    assert "Demo CFS consolidation list: there already." in second.stdout
    assert "Journal intact" in giamsat(app_env, "audit", "verify").stdout


def test_cli_officer_add_prints_qr_and_single_link(app_env: dict[str, str]) -> None:
    giamsat(app_env, "branch", "add", "--code", "B9", "--name", "Chi cục Chín")

    result = giamsat(app_env, "officer", "add", "--code", "CB9", "--name", "Đỗ Văn Chín", "--role", "officer", "--branch", "B9")

    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("http://localhost:8000/enroll/")
    assert any("█" in line for line in lines)  # the QR code drawn in the terminal


def test_cli_officer_add_refuses_unknown_branch_and_duplicate_code(app_env: dict[str, str]) -> None:
    giamsat(app_env, "branch", "add", "--code", "B9", "--name", "Chi cục Chín")
    giamsat(app_env, "officer", "add", "--code", "CB9", "--name", "A", "--role", "officer", "--branch", "B9")

    unknown = giamsat(app_env, "officer", "add", "--code", "CB8", "--name", "B", "--role", "officer", "--branch", "NOPE", check=False)
    duplicate = giamsat(app_env, "officer", "add", "--code", "CB9", "--name", "C", "--role", "officer", "--branch", "B9", check=False)

    assert unknown.returncode == 2 and "Unknown branch: NOPE" in unknown.stderr
    assert duplicate.returncode == 2 and "CB9 already exists" in duplicate.stderr


def test_cli_db_upgrade_is_idempotent(app_env: dict[str, str]) -> None:
    result = giamsat(app_env, "db", "upgrade")

    assert result.returncode == 0


def test_cli_audit_verify_on_empty_journal(app_env: dict[str, str]) -> None:
    result = giamsat(app_env, "audit", "verify")

    assert "0 rows" in result.stdout
