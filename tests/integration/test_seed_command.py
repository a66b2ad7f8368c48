"""`gql-server seed` as an operator runs it: from a virtual environment holding only the
runtime install (`pip install .`, no test extra), against a real server process."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gql_server import cli_seed
from tests.conftest import STRONG_PASSWORD, free_port
from tests.live_server import Server

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "ops@example.in"
MEMBER = "asha@example.in"
REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"""
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment's variables without the ones that would let the runtime environment
    import from the checkout or from this virtual environment."""
    hidden = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {**{k: v for k, v in os.environ.items() if k not in hidden}, **extra}


@pytest.fixture(scope="module")
def runtime_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ of a new virtual environment with `pip install <checkout>` (not editable) and
    nothing else. This environment's pip installs into it (`--python`), so the new one needs no
    pip of its own; `--no-compile` skips byte-compiling numpy, pandas and the rest, which is
    most of an install's time. What gets installed is pip's own resolution of pyproject's
    runtime dependencies (from its cache of downloads when it has them)."""
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    installed = subprocess.run(
        [*pip, "install", "--no-compile", "--quiet", str(ROOT)],
        env=_clean_env(),
        cwd=venv,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-4000:]
    # The test extra's (httpx is a runtime dependency now: outbound webhooks).
    for extra in ("pytest", "asgi_lifespan"):
        probe = subprocess.run([python, "-c", f"import {extra}"], capture_output=True, check=False)
        assert probe.returncode != 0, f"{extra} is in the runtime environment"
    yield venv / "bin"
    shutil.rmtree(venv)  # ~400 MB, and pytest keeps the last three runs' temporary folders


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """A server on an SQLite file with an admin and an ordinary member."""
    workdir = tmp_path_factory.mktemp("seed-server")
    database = workdir / "seed.sqlite3"
    admin = ["create-admin", "--email", ADMIN, "--password", STRONG_PASSWORD]
    subprocess.run(
        [sys.executable, "-m", "gql_server", *admin],
        env={**os.environ, "APP_ENV": "test", "DATABASE_URL": f"sqlite://{database}"},
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=120,
    )
    live = Server(f"sqlite://{database}", workdir)
    registered = live.post(
        REGISTER, {"i": {"email": MEMBER, "password": STRONG_PASSWORD, "fullName": "Asha"}}
    )
    assert registered.get("data"), registered
    yield live, database
    live.stop()


def seed(bin_dir: Path, url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "gql-server"), "seed", "--url", url, *args],
        env=_clean_env(**env),
        cwd=bin_dir.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_seed_generates_users_from_a_runtime_only_install(
    runtime_bin: Path, server: tuple[Server, Path]
) -> None:
    live, database = server
    common = ("--admin-email", ADMIN, "--users", "3", "--days", "60", "--seed", "5")

    seeded = seed(
        runtime_bin,
        f"{live.url}/graphql",
        *common,
        "--password",
        STRONG_PASSWORD,
        "--poll",
        "0.1",
        SEED_ADMIN_PASSWORD=STRONG_PASSWORD,
    )
    again = seed(
        runtime_bin,
        live.url,  # the server's bare address works as well
        *common,
        "--admin-password",
        STRONG_PASSWORD,
        SEED_USER_PASSWORD=STRONG_PASSWORD,
    )

    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "3 users" in seeded.stdout
    with sqlite3.connect(database) as connection:
        generated = connection.execute(
            "SELECT email FROM app_user WHERE email NOT IN (?, ?)", (ADMIN, MEMBER)
        ).fetchall()
        (status,) = connection.execute("SELECT status FROM generation_job").fetchone()
    assert len(generated) == 3
    assert status == "succeeded"
    signed_in = live.post(LOGIN, {"e": generated[0][0], "p": STRONG_PASSWORD})
    assert signed_in.get("data"), signed_in
    # The same seed again: the server refuses to create the same users twice.
    assert again.returncode == 1
    assert _one_line(again.stderr).startswith("gql-server: error: cannot start a generation job")
    assert "CONFLICT" in again.stderr


def test_following_a_job_signs_in_again_when_the_token_expires(
    server: tuple[Server, Path],
) -> None:
    live, _ = server
    endpoint = f"{live.url}/graphql"

    def sign_in() -> str:
        sign_ins.append(ADMIN)
        return cli_seed.post(endpoint, LOGIN, {"e": ADMIN, "p": STRONG_PASSWORD})["login"][
            "accessToken"
        ]

    sign_ins: list[str] = []
    request = {"users": 1, "days": 60, "seed": "77", "password": STRONG_PASSWORD}
    job = cli_seed.post(endpoint, cli_seed.START, {"i": request}, sign_in())["generateDataset"]

    done = cli_seed.follow(endpoint, job, sign_in, "an-expired-token", poll_s=0.1)

    assert done["status"] == "SUCCEEDED"
    assert len(sign_ins) == 2


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong password", f"cannot sign in as {ADMIN}: UNAUTHENTICATED"),
        ("not an admin", f"{MEMBER} is not an admin: FORBIDDEN"),
        ("unreachable", "cannot reach http://127.0.0.1:"),
    ],
)
def test_seed_failures_are_one_line(
    runtime_bin: Path, server: tuple[Server, Path], case: str, expected: str
) -> None:
    live, _ = server
    email, password, url = {
        "wrong password": (ADMIN, "Not-the-password-77", live.url),
        "not an admin": (MEMBER, STRONG_PASSWORD, live.url),
        "unreachable": (ADMIN, STRONG_PASSWORD, f"http://127.0.0.1:{free_port()}"),
    }[case]

    done = seed(
        runtime_bin,
        url,
        "--admin-email",
        email,
        "--admin-password",
        password,
        "--password",
        STRONG_PASSWORD,
        "--users",
        "1",
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert _one_line(done.stderr).startswith(f"gql-server: error: {expected}")
    assert done.stdout == ""


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]
