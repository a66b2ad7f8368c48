"""The gql-server command as an operator runs it: real processes, clear errors, no tracebacks."""

from __future__ import annotations

import os
import re
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


def test_generate_then_validate_on_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "gen.sqlite3"
    env = {"DATABASE_URL": f"sqlite://{database}", "GENERATION_CHUNK_USERS": "3"}

    generated = run_cli(
        "generate",
        "--users",
        "5",
        "--days",
        "90",
        "--seed",
        "11",
        "--password",
        STRONG_PASSWORD,
        env=env,
        cwd=tmp_path,
    )
    assert generated.returncode == 0, generated.stderr
    assert "transactions per user" in generated.stdout
    # Each outlook's fit gives its lease back from the pool's thread: that once ran without
    # the database (a traceback per user).
    assert "Traceback" not in generated.stderr, generated.stderr
    assert "could not give back" not in generated.stderr
    validated = run_cli("validate", env=env, cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "FAIL" not in validated.stdout

    # A corrupted balance is caught, and the exit code says so.
    connection = sqlite3.connect(database)
    connection.execute("UPDATE ledger_transaction SET balance_after = '1.23' WHERE id = 7")
    connection.commit()
    broken = run_cli("validate", env=env, cwd=tmp_path)
    assert broken.returncode == 1
    assert "FAIL" in broken.stdout


def test_generate_refuses_bad_arguments_with_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite://{tmp_path / 'gen.sqlite3'}"}
    done = run_cli("generate", "--users", "0", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "users must be between" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_a_statement_from_the_command_line(tmp_path: Path) -> None:
    from tests.integration.test_statements import MARCH, statement

    env = {"DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}"}
    email = "ops@example.in"
    made = run_cli("create-admin", "--email", email, "--password", STRONG_PASSWORD,
                   env=env, cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    (tmp_path / "march.csv").write_bytes(statement(*MARCH))

    dry = run_cli("import", "--email", email, "march.csv", "--dry-run", env=env, cwd=tmp_path)
    done = run_cli("import", "--email", email, "march.csv", env=env, cwd=tmp_path)
    again = run_cli("import", "--email", email, "march.csv", "--format", "AXIS",
                    env=env, cwd=tmp_path)  # fmt: skip
    nobody = run_cli("import", "--email", "no@example.in", "march.csv", env=env, cwd=tmp_path)

    assert dry.returncode == 0, dry.stderr
    assert "Dry run" in dry.stdout
    assert done.returncode == 0, done.stderr
    assert "reconciled" in done.stdout
    rows = sqlite3.connect(tmp_path / "cli.sqlite3").execute(
        "SELECT COUNT(*) FROM ledger_transaction"
    )
    assert rows.fetchone() == (4,)
    assert again.returncode == 1
    assert "not an Axis Bank statement" in again.stderr
    assert "Traceback" not in again.stderr
    assert nobody.returncode == 1
    assert "no account" in nobody.stderr


def test_delete_user_erases_a_generated_account_from_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "cli.sqlite3"
    env = {"DATABASE_URL": f"sqlite://{database}"}
    generated = run_cli("generate", "--users", "2", "--days", "30", "--seed", "3",
                        "--password", STRONG_PASSWORD, env=env, cwd=tmp_path)  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    connection = sqlite3.connect(database)
    (erased, erased_email), (kept, _) = connection.execute(
        "SELECT id, email FROM app_user ORDER BY id"
    ).fetchall()
    ledger = "SELECT COUNT(*) FROM ledger_transaction WHERE user_id = ?"
    kept_rows = connection.execute(ledger, (kept,)).fetchone()
    erased_rows = connection.execute(ledger, (erased,)).fetchone()[0]

    done = run_cli("delete-user", "--email", erased_email.upper(), env=env, cwd=tmp_path)
    again = run_cli("delete-user", "--email", erased_email, env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert erased_email in done.stdout
    assert re.search(rf"ledger_transaction +{erased_rows:,}\n", done.stdout), done.stdout
    tables_with_user_id = [
        name
        for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if any(
            column[1] == "user_id" for column in connection.execute(f"PRAGMA table_info({name})")
        )
    ]
    assert "ledger_transaction" in tables_with_user_id
    for table in tables_with_user_id:
        assert connection.execute(
            f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (erased,)
        ).fetchone() == (0,), table
    assert connection.execute("SELECT COUNT(*) FROM app_user").fetchone() == (1,)
    assert connection.execute(ledger, (kept,)).fetchone() == kept_rows
    ((requested_by, rows),) = connection.execute(
        "SELECT requested_by, rows FROM account_erasure"
    ).fetchall()
    assert requested_by == "ADMIN"
    assert erased_email not in rows
    assert again.returncode == 1
    assert "no account" in again.stderr
    assert "Traceback" not in again.stderr
