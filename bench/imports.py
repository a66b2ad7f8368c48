"""Statement imports through the API: rows/s and peak memory for a big statement of each
format, beside the generator's COPY path for the same rows; the round trip's exactness; the
narration decoder's accuracy per bank.

    .venv/bin/python -m bench.imports [--rows 50000] [--formats HDFC:csv,AXIS:xlsx]

The statement is one busy account: the rows of several generated users (seed 42, 720 days)
merged in time order, with one running balance, cut at --rows. Each format is imported in a
fresh child process, into an empty ledger in its own scratch PostgreSQL database, as a
client would send it (a GraphQL multipart upload through the ASGI app); its peak memory is
the child's largest resident size during the import less its size just before (after a
one-row import has loaded every module; Linux's clear_refs resets the peak between the
two). Afterwards every row is compared with the
generated one: local day, amount, direction and balance after it, to the paisa.

Decoder accuracy is measured on two labelled sets: tests/unit/data/narrations.csv (written
alongside the decoder: in sample) and bench/data/narrations_holdout.csv (labelled without
looking at the decoder, never used to change it: out of sample).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
from asgi_lifespan import LifespanManager
from rich.console import Console
from rich.table import Table

from bench.common import scratch_database
from gql_server import db
from gql_server.app import create_app
from gql_server.core.statements.records import StatementFormat
from gql_server.generator.records import GeneratedUser
from gql_server.generator.statements import KINDS, write_statement
from gql_server.generator.synth import generate_user
from gql_server.settings import Settings

console = Console(width=150)
PASSWORD = "Bench-statement-imports-2026"  # noqa: S105 - throwaway users
SEED, DAYS = 42, 720
END = datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Kolkata"))
IMPORT = """mutation($file: Upload!) { importStatement(file: $file) {
  rowsRead added duplicates skipped reconciled statementClosingBalance ledgerClosingBalance } }"""
REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"""
HOLDOUT = Path(__file__).parent / "data" / "narrations_holdout.csv"


def busy_account(rows: int) -> GeneratedUser:
    """Generated users' rows merged in time order as one account, first `rows` of them."""
    users: list[GeneratedUser] = []
    while sum(u.transaction_count for u in users) < rows:
        users.append(generate_user(SEED, len(users), DAYS, END.astimezone(UTC)))
    first = users[0]
    columns = ("occurred_at", "amount_paise", "is_income", "category", "merchant", "description",
               "source_index", "recurring_key")  # fmt: skip
    merged: dict[str, Any] = {
        name: np.concatenate([getattr(u, name) for u in users]) for name in columns
    }
    order = np.argsort(merged["occurred_at"], kind="stable")[:rows]
    merged = {name: values[order] for name, values in merged.items()}
    merged["source_index"] = np.full(rows, -1, dtype=np.int8)
    signed = np.where(merged["is_income"], merged["amount_paise"], -merged["amount_paise"])
    opening = int(first.opening_balance * 100)
    balance = opening + np.cumsum(signed, dtype=np.int64)
    return replace(first, sources=(), balance_paise=balance, **merged)


def _status_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (the peak since the last reset) of this process, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets the peak resident size (VmHWM) to the current
    one, so the peak read afterwards is the import's, not the set-up's."""
    Path("/proc/self/clear_refs").write_text("5")


async def _upload(client: httpx.AsyncClient, token: str, name: str, data: bytes) -> dict:
    form = {
        "operations": json.dumps({"query": IMPORT, "variables": {"file": None}}),
        "map": json.dumps({"0": ["variables.file"]}),
    }
    response = await client.post(
        "/graphql",
        data=form,
        files={"0": (name, data)},
        headers={"authorization": f"Bearer {token}"},
        timeout=600,
    )
    return response.json()


async def _register(client: httpx.AsyncClient, email: str) -> str:
    body = await client.post(
        "/graphql",
        json={"query": REGISTER, "variables": {"i": {"email": email, "password": PASSWORD,
                                                     "fullName": "Bench Importer"}}},
    )  # fmt: skip
    return body.json()["data"]["register"]["accessToken"]


async def _exact(user: GeneratedUser, email: str) -> tuple[int, int]:
    """(rows compared, rows that differ) between the ledger and the generated account."""
    from gql_server.models import Transaction, User

    owner = await User.get(email=email)
    zone = ZoneInfo("Asia/Kolkata")
    held = await Transaction.filter(user_id=owner.id).order_by("occurred_at", "id").values_list(
        "occurred_at", "amount", "direction", "balance_after"
    )  # fmt: skip
    days = user.occurred_at.astype("datetime64[us]").astype(datetime)
    wanted = [
        (moment.replace(tzinfo=UTC).astimezone(zone).date(), Decimal(int(paise)) / 100,
         "income" if income else "expense", Decimal(int(balance)) / 100)
        for moment, paise, income, balance in zip(
            days, user.amount_paise, user.is_income, user.balance_paise, strict=True)
    ]  # fmt: skip
    got = [
        (moment.astimezone(zone).date(), amount, str(direction), balance)
        for moment, amount, direction, balance in held
    ]
    differ = sum(a != b for a, b in zip(sorted(got), sorted(wanted), strict=False))
    return len(got), differ + abs(len(got) - len(wanted))


async def import_in_child(rows: int, fmt: str, kind: str) -> dict:
    user = busy_account(rows)
    data = write_statement(user, StatementFormat(fmt), kind)
    small = write_statement(busy_account(1), StatementFormat(fmt), kind)
    async with scratch_database() as url:
        settings = Settings(database_url=url, app_env="test", max_ledger_transactions=rows + 1)
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                warm = await _register(client, "warm@example.in")
                await _upload(client, warm, f"warm.{kind}", small)
                token = await _register(client, "busy@example.in")
                _reset_peak()
                before = _status_mb("VmRSS")
                started = time.perf_counter()
                body = await _upload(client, token, f"statement.{kind}", data)
                seconds = time.perf_counter() - started
                peak = _status_mb("VmHWM") - before
                compared, differ = await _exact(user, "busy@example.in")
    result = body.get("data", {}) and body["data"]["importStatement"]
    return {"format": f"{fmt} {kind}", "bytes": len(data), "seconds": seconds, "rows": rows,
            "result": result, "errors": body.get("errors"), "peak_mb": peak,
            "compared": compared, "differ": differ}  # fmt: skip


async def copy_in_child(rows: int) -> dict:
    """The generator's own bulk path for the same rows: encoded as COPY text and written with
    COPY into one user's ledger (what `generate` does per chunk)."""
    from gql_server.generator.payloads import (
        ChunkPayload,
        ChunkRequest,
        _copy_lines,
        _transaction_rows,
        _user_row,
    )
    from gql_server.generator.writers import reserve_ids, write_chunk

    user = busy_account(rows)
    async with scratch_database() as url:
        await db.open_database(url, 2)
        try:
            user_ids, source_ids = await reserve_ids(1)
            request = ChunkRequest(
                seed=SEED, first=0, count=1, days=DAYS, end=END, patterns=(),
                user_ids=user_ids, source_ids=source_ids, password_hash="x",  # noqa: S106
                job_id=None, created_at=datetime.now(UTC), dialect="postgres",
            )  # fmt: skip
            started = time.perf_counter()
            payload = ChunkPayload(
                _copy_lines([_user_row(user, user_ids[0], request)]),
                b"",
                _transaction_rows(user, user_ids[0], (), request, str(request.created_at)),
                1,
                rows,
                (),
            )
            await write_chunk(payload)
            seconds = time.perf_counter() - started
        finally:
            await db.close_database()
    return {"format": "generator COPY", "rows": rows, "seconds": seconds}


def child(args: argparse.Namespace) -> None:
    if args.child == "copy":
        result = asyncio.run(copy_in_child(args.rows))
    else:
        fmt, kind = args.child.split(":")
        result = asyncio.run(import_in_child(args.rows, fmt, kind))
    print(json.dumps(result, default=str))


def run_child(rows: int, what: str) -> dict:
    out = subprocess.run(  # noqa: S603 - this very script
        [sys.executable, "-c", "from bench.imports import main; main()", "--child", what,
         "--rows", str(rows)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"{what} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed_table(results: list[dict], copy: dict) -> None:
    table = Table(title=f"{copy['rows']:,}-row statement into an empty ledger, through the API")
    for column in ("format", "file MB", "seconds", "rows/s", "vs COPY", "peak MB more",
                   "added", "reconciled", "rows differing"):  # fmt: skip
        table.add_column(column, justify="left" if column == "format" else "right")
    copy_rate = copy["rows"] / copy["seconds"]
    table.add_row("generator COPY (baseline)", "", f"{copy['seconds']:.1f}",
                  f"{copy_rate:,.0f}", "1.00", "", "", "", "")  # fmt: skip
    for r in results:
        rate = r["rows"] / r["seconds"]
        done = r["result"] or {}
        table.add_row(
            r["format"], f"{r['bytes'] / 1e6:.1f}", f"{r['seconds']:.1f}", f"{rate:,.0f}",
            f"{rate / copy_rate:.2f}", f"{r['peak_mb']:.0f}", str(done.get("added", "-")),
            str(done.get("reconciled", r["errors"])), f"{r['differ']} of {r['compared']:,}",
        )  # fmt: skip
    table.caption = "target: a 50,000-row file needs no more than about 100 MB more"
    console.print(table)


def accuracy_table() -> None:
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from tests.unit.narration_set import FIELDS, field_misses, load_rows

    table = Table(title="Narration decoder: share of labelled fields right")
    for column in ("set", "bank", "UPI rows", "UPI fields right", "other rows", "other right"):
        table.add_column(column, justify="left" if column in ("set", "bank") else "right")
    for label, path in (("in sample", None), ("held out", HOLDOUT)):
        rows = load_rows(path) if path else load_rows()
        wrong: dict[tuple[str, bool], int] = defaultdict(int)
        for row, _, _ in field_misses(rows):
            wrong[row.statement_bank, row.mode == "UPI"] += 1
        for bank in [*sorted({r.statement_bank for r in rows}), "all"]:
            cells = []
            for upi in (True, False):
                chosen = [r for r in rows if (bank in ("all", r.statement_bank))
                          and (r.mode == "UPI") == upi]  # fmt: skip
                misses = sum(v for (b, u), v in wrong.items() if u == upi and bank in ("all", b))
                total = len(chosen) * len(FIELDS)
                cells += [str(len(chosen)), f"{1 - misses / total:.1%}" if total else "-"]
            table.add_row(label, bank, *cells)
    table.caption = "target: 95% of UPI fields right"
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--formats", help="e.g. HDFC:csv,AXIS:xlsx (default: every one)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    chosen = ([tuple(p.split(":")) for p in args.formats.split(",")] if args.formats else
              [(fmt.value, kind) for fmt, kinds in KINDS.items() for kind in kinds])  # fmt: skip
    copy = run_child(args.rows, "copy")
    results = []
    for fmt, kind in chosen:
        console.print(f"importing {args.rows:,} rows as {fmt} {kind} ...")
        results.append(run_child(args.rows, f"{fmt}:{kind}"))
    speed_table(results, copy)
    accuracy_table()


if __name__ == "__main__":
    main()
