"""Generated users' histories as statement files on disk (`gql-server generate --statements`).

Each user is generated again from the job's own arguments (seed, index, days, end, patterns):
`synth.generate_user` is deterministic in them, so the files hold exactly the rows the job
wrote to the database, and one user at a time is in memory however many the job made."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from gql_server.generator.statements import KINDS, statement_file_name, write_statement
from gql_server.generator.synth import generate_user

GENERATED_TIMEZONE = "Asia/Kolkata"  # every generated user's (see generator.payloads)


def export_statements(
    directory: Path,
    *,
    seed: int,
    users: int,
    days: int,
    end: datetime,
    patterns: Sequence[str],
    on_user: Callable[[int], None] | None = None,
) -> int:
    """Write users 0 .. users - 1 of the job, one file per statement format each (named
    user-<index>-<bank>.<ext>), into `directory`; the number of files written. `on_user` is
    told how many users are done after each."""
    directory.mkdir(parents=True, exist_ok=True)
    period = statement_period(end, days)
    written = 0
    for index in range(users):
        user = generate_user(seed, index, days, end, patterns)
        for fmt in KINDS:
            data = write_statement(user, fmt, timezone=GENERATED_TIMEZONE, period=period)
            (directory / statement_file_name(user, fmt)).write_bytes(data)
            written += 1
        if on_user is not None:
            on_user(index + 1)
    return written


def statement_period(end: datetime, days: int) -> tuple[date, date]:
    """The local days a history of `days` days ending (exclusive) at `end` covers: what each
    statement's preamble states, quiet days at either end included."""
    zone = ZoneInfo(GENERATED_TIMEZONE)
    first = (end - timedelta(days=days)).astimezone(zone).date()
    return first, (end - timedelta(microseconds=1)).astimezone(zone).date()
