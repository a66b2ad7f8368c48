"""A real `gql-server serve` process on a free port, for tests that need one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from tests.conftest import TEST_NOW, free_port


class Server:
    """One `gql-server serve` process; with `keep_log`, its log is kept in `workdir` for
    `log_text()`."""

    def __init__(
        self, database_url: str, workdir: Path, *, keep_log: bool = False, **env: str
    ) -> None:
        self.log: Path | None = None
        self._sink: IO[str] | None = None
        if keep_log:
            self.log = workdir / f"server-{time.monotonic_ns()}.log"
            self._sink = self.log.open("w")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gql_server", "serve", "--port", str(self.port)],
            env={
                **os.environ,
                "APP_ENV": "test",
                "DATABASE_URL": database_url,
                "JWT_SECRET": "scale-out-secret-" + "s" * 40,
                "FORECAST_EXECUTOR": "thread",
                "LEDGER_NOW": TEST_NOW.isoformat(),
                "OUTLOOK_READ_BUDGET_MS": "120000",
                "TOKEN_CHECK_MS": "0",
                **env,
            },
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=self._sink if self._sink is not None else subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start")

    def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )
        return response.json()

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the process with `sig` and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        if self._sink is not None:
            self._sink.close()
        return self.process.returncode

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""
