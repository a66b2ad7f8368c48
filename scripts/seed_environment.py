"""Seed a running environment through its API: sign in as an admin, start `generateDataset`,
and follow the job with a progress bar until it ends.

    python scripts/seed_environment.py --url http://127.0.0.1:8000/graphql \\
        --admin-email ops@example.in --admin-password '...' --users 100 --days 720 --seed 42 \\
        --password 'Password-for-generated-users'

Exits 0 when the job succeeds, 1 when it fails or is cancelled, 2 on bad arguments or an API
error (printed with its code).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
START = """mutation($i: GenerateDatasetInput!) { generateDataset(input: $i) {
  id status usersRequested } }"""
FOLLOW = """query($id: ID!) { generationJob(id: $id) {
  id status usersRequested usersDone transactionsWritten error } }"""
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
console = Console()


class ApiFailure(Exception):
    pass


def call(client: httpx.Client, query: str, variables: dict[str, Any], token: str | None = None):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    try:
        body = response.json()
    except ValueError:
        raise ApiFailure(f"HTTP {response.status_code} from {response.url}") from None
    if body.get("errors"):
        error = body["errors"][0]
        code = error.get("extensions", {}).get("code", "?")
        raise ApiFailure(f"{code}: {error['message']}")
    return body["data"]


def seed(args: argparse.Namespace) -> int:
    with httpx.Client(base_url=args.url.removesuffix("/graphql"), timeout=30) as client:
        token = call(client, LOGIN, {"e": args.admin_email, "p": args.admin_password})["login"][
            "accessToken"
        ]
        job = call(
            client,
            START,
            {
                "i": {
                    "users": args.users,
                    "days": args.days,
                    "seed": str(args.seed),
                    "password": args.password,
                    **({"patterns": args.patterns.split(",")} if args.patterns else {}),
                }
            },
            token,
        )["generateDataset"]
        columns = (
            TextColumn(f"job {job['id']}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rows]:,} transactions"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("seed", total=job["usersRequested"], rows=0)
            while job["status"] not in TERMINAL:
                time.sleep(args.poll)
                job = call(client, FOLLOW, {"id": job["id"]}, token)["generationJob"]
                progress.update(task, completed=job["usersDone"], rows=job["transactionsWritten"])
    if job["status"] != "SUCCEEDED":
        console.print(f"[red]job {job['id']} {job['status'].lower()}: {job['error']}")
        return 1
    console.print(
        f"job {job['id']}: {job['usersDone']:,} users, {job['transactionsWritten']:,} transactions"
    )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("API_URL", "http://127.0.0.1:8000/graphql"))
    parser.add_argument("--admin-email", default=os.environ.get("ADMIN_EMAIL"), required=False)
    parser.add_argument("--admin-password", default=os.environ.get("ADMIN_PASSWORD"))
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--days", type=int, default=720)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--patterns", help="comma-separated, e.g. stable,volatile")
    parser.add_argument("--password", help="for the generated users (asked for when left out)")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between progress reads")
    args = parser.parse_args()
    if not args.admin_email:
        parser.error("--admin-email (or ADMIN_EMAIL) is required")
    args.admin_password = args.admin_password or getpass.getpass("Admin password: ")
    args.password = args.password or getpass.getpass("Password for generated users: ")
    try:
        sys.exit(seed(args))
    except ApiFailure as exc:
        console.print(f"[red]{exc}")
        sys.exit(2)
    except httpx.HTTPError as exc:
        console.print(f"[red]cannot reach {args.url}: {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
