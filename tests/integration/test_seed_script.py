"""scripts/seed_environment.py against a real server process, as an operator would run it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import STRONG_PASSWORD, TEST_NOW, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_seed_script_generates_through_the_api(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": f"sqlite://{tmp_path / 'seed.sqlite3'}",
        "LEDGER_NOW": TEST_NOW.isoformat(),
    }
    cli = [sys.executable, "-m", "gql_server"]
    subprocess.run(
        [*cli, "create-admin", "--email", "ops@example.in", "--password", STRONG_PASSWORD],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        seeded = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "seed_environment.py"),
                "--url",
                f"http://127.0.0.1:{port}/graphql",
                "--admin-email",
                "ops@example.in",
                "--admin-password",
                STRONG_PASSWORD,
                "--users",
                "3",
                "--days",
                "60",
                "--seed",
                "5",
                "--password",
                STRONG_PASSWORD,
                "--poll",
                "0.1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        refused = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "seed_environment.py"),
                "--url",
                f"http://127.0.0.1:{port}/graphql",
                "--admin-email",
                "ops@example.in",
                "--admin-password",
                STRONG_PASSWORD,
                "--users",
                "0",
                "--password",
                STRONG_PASSWORD,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "3 users" in seeded.stdout
    assert refused.returncode == 2
    assert "BAD_USER_INPUT" in refused.stdout
