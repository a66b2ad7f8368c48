"""The gql-server command as an operator runs it: real processes, clear errors, no tracebacks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import STRONG_PASSWORD


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gql_server", *args],
        env={**os.environ, "APP_ENV": "test", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_then_create_admin_on_sqlite(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}"}
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0

    done = run_cli(
        "create-admin",
        "--email",
        "Ops@Example.in",
        "--password",
        STRONG_PASSWORD,
        env=env,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    rows = (
        sqlite3.connect(tmp_path / "cli.sqlite3")
        .execute("SELECT email, role FROM app_user")
        .fetchall()
    )
    assert rows == [("ops@example.in", "admin")]


def test_create_admin_refuses_a_weak_password(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}"}
    done = run_cli(
        "create-admin",
        "--email",
        "ops@example.in",
        "--password",
        "admin12345",
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "password" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    done = run_cli(
        "migrate", env={"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none"}, cwd=tmp_path
    )
    assert done.returncode == 1
    assert "cannot reach the database" in done.stderr
    assert "Traceback" not in done.stderr


def test_production_without_a_secret_refuses_to_serve(tmp_path: Path) -> None:
    done = run_cli("serve", env={"APP_ENV": "production", "JWT_SECRET": ""}, cwd=tmp_path)
    assert done.returncode == 2
    assert "JWT_SECRET" in done.stderr
    assert "Traceback" not in done.stderr
