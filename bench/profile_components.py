"""Where a server's CPU goes, by component, from a py-spy profile (bench.api_load --profile).

py-spy samples the server's Python stacks while a phase runs (`py-spy record --format raw`:
one line per distinct stack, "frame;frame;...;leaf count", idle threads left out). Each sample
is charged to one component: walking from the leaf towards the root, the first frame whose
file belongs to a known package names it (time inside asyncpg called from Tortoise is the
driver's; time in graphql-core's executor running our resolver's own lines is ours). Native
code (orjson, argon2, the C parts of asyncpg) has no Python frame of its own, so it is charged
to the Python frame that called it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

# (pattern in a frame's file path, component), first match wins, checked leaf first. py-spy
# writes paths relative to sys.path ("graphql/execution/execute.py"); a "/" is put in front.
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("/gql_server/", "gql_server"),
    ("/asyncpg/", "asyncpg (driver)"),
    ("/pypika", "Tortoise ORM (queries, model objects)"),
    ("/tortoise/", "Tortoise ORM (queries, model objects)"),
    ("/graphql/language/", "graphql-core: parse"),
    ("/graphql/validation/", "graphql-core: validate"),
    ("/graphql/execution/", "graphql-core: execute"),
    ("/graphql/", "graphql-core: other"),
    ("/strawberry/", "Strawberry"),
    ("/jwt/", "JWT"),
    ("/prometheus_client/", "metrics (prometheus-client)"),
    ("/logging/", "logging"),
    ("/pythonjsonlogger/", "logging"),
    ("/starlette/", "HTTP (uvicorn, Starlette)"),
    ("/uvicorn/", "HTTP (uvicorn, Starlette)"),
    ("/httptools/", "HTTP (uvicorn, Starlette)"),
    ("/zoneinfo/", "datetime and zones"),
    ("/_strptime", "datetime and zones"),
    ("/decimal", "decimal"),
    ("/asyncio/", "asyncio and uvloop"),
    ("/uvloop/", "asyncio and uvloop"),
)
_FRAME = re.compile(r"\((?P<file>[^():]+)(?::\d+)?\)\s*$")


def component_of(frame: str) -> str | None:
    match = _FRAME.search(frame)
    if match is None:
        return None
    path = "/" + match.group("file").lstrip("/")
    for pattern, name in COMPONENTS:
        if pattern in path:
            if name == "gql_server":
                return "gql_server/" + path.split("/gql_server/", 1)[1]
            return name
    if path.startswith("/<frozen") or path.count("/") < 2:
        return None  # the standard library's top-level modules: charged to their caller
    return "other: " + path.split("/")[1]


def components(raw_profile: str) -> Counter[str]:
    """Samples per component, from py-spy's raw (collapsed) output."""
    found: Counter[str] = Counter()
    for line in raw_profile.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        name = next(
            (c for c in (component_of(f) for f in reversed(frames)) if c is not None), "other"
        )
        found[name] += int(count)
    return found


def read_profile(path: Path) -> Counter[str]:
    return components(path.read_text(errors="replace")) if path.exists() else Counter()
