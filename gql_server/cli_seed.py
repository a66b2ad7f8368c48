"""`gql-server seed`: generate users on a running server through its API. Signs in as an
admin, starts `generateDataset` and follows the job with a progress bar until it ends.

A client of the server, not a part of it: it reads no settings and opens no database, and it
speaks HTTP with the standard library's urllib, so the runtime install (`pip install .`) is
enough to run it against any environment. A handful of JSON POSTs needs neither connection
pooling nor async (httpx, a runtime dependency for outbound webhooks, would buy nothing here).
"""

from __future__ import annotations

import argparse
import getpass
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from gql_server.cli import CommandError

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
START = """mutation($i: GenerateDatasetInput!) { generateDataset(input: $i) {
  id status usersRequested usersDone forecastsDone transactionsWritten error } }"""
FOLLOW = """query($id: ID!) { generationJob(id: $id) {
  id status usersRequested usersDone forecastsDone transactionsWritten error } }"""
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
TIMEOUT_S = 30.0


class GraphQLFailure(CommandError):
    """The server answered with a GraphQL error: its `extensions.code` and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def add_parser(commands: Any) -> None:
    """The `seed` subcommand on `gql-server`'s subparsers."""
    seed = commands.add_parser(
        "seed", help="generate users on a running server through its API, as an admin"
    )
    seed.add_argument("--url", required=True, help="the server's address or its /graphql endpoint")
    seed.add_argument("--admin-email", required=True)
    seed.add_argument("--admin-password", help="else SEED_ADMIN_PASSWORD, else prompted for")
    seed.add_argument("--users", type=int, default=100)
    seed.add_argument("--days", type=int, default=720)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--patterns", help="comma-separated, e.g. stable,volatile")
    seed.add_argument(
        "--password", help="for every generated user; else SEED_USER_PASSWORD, else prompted for"
    )
    seed.add_argument("--poll", type=float, default=0.5, help="seconds between progress reads")
    seed.set_defaults(handler=run_seed, needs_settings=False)


def run_seed(args: argparse.Namespace) -> None:
    endpoint = graphql_endpoint(args.url)
    admin_password = _secret(
        args.admin_password, "SEED_ADMIN_PASSWORD", "--admin-password", "Admin password: "
    )
    user_password = _secret(
        args.password, "SEED_USER_PASSWORD", "--password", "Password for generated users: "
    )

    def sign_in() -> str:
        try:
            login = post(endpoint, LOGIN, {"e": args.admin_email, "p": admin_password})
        except GraphQLFailure as exc:
            raise CommandError(f"cannot sign in as {args.admin_email}: {exc}") from None
        token: str = login["login"]["accessToken"]
        return token

    token = sign_in()
    request = {
        "users": args.users,
        "days": args.days,
        "seed": str(args.seed),
        "password": user_password,
        **({"patterns": args.patterns.split(",")} if args.patterns else {}),
    }
    try:
        job = post(endpoint, START, {"i": request}, token)["generateDataset"]
    except GraphQLFailure as exc:
        if exc.code == "FORBIDDEN":
            raise CommandError(f"{args.admin_email} is not an admin: {exc}") from None
        raise CommandError(f"cannot start a generation job: {exc}") from None
    try:
        job = follow(endpoint, job, sign_in, token, args.poll)
    except KeyboardInterrupt:
        print(
            f"Stopped following job {job['id']}; it goes on on the server "
            "(cancelGenerationJob stops it).",
            file=sys.stderr,
        )
        raise
    if job["status"] != "SUCCEEDED":
        raise CommandError(f"job {job['id']} {job['status'].lower()}: {job['error']}")
    print(
        f"Job {job['id']}: {job['usersDone']:,} users, {job['transactionsWritten']:,} "
        f"transactions and {job['forecastsDone']:,} outlooks (features, forecasts, risk)"
    )


def follow(
    endpoint: str, job: dict[str, Any], sign_in: Callable[[], str], token: str, poll_s: float
) -> dict[str, Any]:
    """Poll the job until it ends, with a bar for users written and one for outlooks. A job of
    thousands of users outlasts an access token (15 minutes): then sign in again."""
    # Imported here: every `gql-server` command builds this module's parser.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("[bold]{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        writing = progress.add_task("users", total=job["usersRequested"], detail="")
        outlooks = progress.add_task(
            "outlooks", total=job["usersRequested"], detail="features, forecasts, risk"
        )
        while job["status"] not in TERMINAL:
            time.sleep(poll_s)
            try:
                job, token = _read_job(endpoint, job["id"], sign_in, token)
            except CommandError as exc:
                raise CommandError(
                    f"lost job {job['id']} (it may still be running): {exc}"
                ) from None
            detail = f"{job['transactionsWritten']:,} transactions"
            progress.update(writing, completed=job["usersDone"], detail=detail)
            progress.update(outlooks, completed=job["forecastsDone"])
    return job


def _read_job(
    endpoint: str, job_id: str, sign_in: Callable[[], str], token: str
) -> tuple[dict[str, Any], str]:
    try:
        data = post(endpoint, FOLLOW, {"id": job_id}, token)
    except GraphQLFailure as exc:
        if exc.code != "UNAUTHENTICATED":
            raise
        token = sign_in()
        data = post(endpoint, FOLLOW, {"id": job_id}, token)
    if data["generationJob"] is None:
        raise CommandError("the server no longer has it")
    return data["generationJob"], token


def graphql_endpoint(url: str) -> str:
    """`http://host:8000` or `http://host:8000/graphql` -> the latter; other schemes refused
    (urllib would also open file: and ftp: addresses)."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CommandError(f"--url {url!r}: expected http(s)://host[:port][/graphql]")
    path = parts.path.rstrip("/")
    if not path.endswith("/graphql"):
        path += "/graphql"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def post(
    endpoint: str, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """One GraphQL request; its `data`, or GraphQLFailure with the first error, or
    CommandError when no GraphQL answer came back."""
    headers = {"content-type": "application/json", "accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables}).encode()
    # S310: the scheme is http(s), checked by graphql_endpoint.
    request = urllib.request.Request(endpoint, body, headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:  # 4xx and 5xx may still carry GraphQL errors
        status, raw = exc.code, exc.read()
    except urllib.error.URLError as exc:
        raise CommandError(f"cannot reach {endpoint}: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise CommandError(f"cannot reach {endpoint}: {exc or type(exc).__name__}") from None
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not ("data" in answer or "errors" in answer):
        raise CommandError(f"HTTP {status} from {endpoint}, not a GraphQL response")
    if answer.get("errors"):
        error = answer["errors"][0]
        code = (error.get("extensions") or {}).get("code", "ERROR")
        raise GraphQLFailure(code, error.get("message", ""))
    data: dict[str, Any] = answer["data"]
    return data


def _secret(given: str | None, variable: str, option: str, prompt: str) -> str:
    value = given or os.environ.get(variable)
    if value:
        return value
    if not sys.stdin.isatty():
        raise CommandError(f"{option} (or {variable}) is required when there is no terminal")
    return getpass.getpass(prompt)
