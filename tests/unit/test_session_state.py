"""Pool connections go back without asyncpg's reset query (db.PooledConnection), which is safe
only while the server leaves no session state on a connection. This keeps it so: a session
advisory lock, a LISTEN, a SET outside a transaction or a WITH HOLD cursor in the server's
code fails here, before it can leak from one request's connection into another's."""

from __future__ import annotations

import re
from pathlib import Path

import gql_server
from gql_server import db

SESSION_STATE = re.compile(
    r"pg_advisory_lock|pg_try_advisory_lock\(|\bLISTEN\b|\bSET\s+(SESSION|search_path|ROLE)\b"
    r"|set_config\(|WITH\s+HOLD|add_listener\(",
    re.IGNORECASE,
)


def test_the_server_leaves_no_session_state_on_a_connection() -> None:
    root = Path(gql_server.__file__).parent
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if SESSION_STATE.search(line) and path.name != "db.py"
    ]
    assert found == []


def test_postgres_connections_skip_the_reset_query() -> None:
    config = db.tortoise_config("postgres://u@127.0.0.1:5432/cash", pool_size=7)
    credentials = config["connections"]["default"]["credentials"]
    assert credentials["connection_class"] is db.PooledConnection
    assert (credentials["minsize"], credentials["maxsize"]) == ("1", "7")
    assert db.PooledConnection.get_reset_query(None) == ""  # type: ignore[arg-type]
    # SQLite keeps its URL.
    assert db.tortoise_config("sqlite://:memory:")["connections"]["default"] == "sqlite://:memory:"
