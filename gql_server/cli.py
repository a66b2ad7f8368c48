"""The `gql-server` command: serve, migrate, create-admin, delete-user, generate, import,
validate, export-schema, and seed (a client of a running server)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from gql_server import clock, db
from gql_server.errors import ApiError
from gql_server.log_format import configure_logging, logging_config
from gql_server.settings import Settings, SettingsError, load_settings


class CommandError(Exception):
    """A failure to report in one line, without a traceback."""


def _run_with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    async def runner() -> Any:
        try:
            await db.apply_migrations(settings.database_url)
            await db.open_database(settings.database_url, pool_size=2)
            try:
                return await work()
            finally:
                await db.close_database()
        except (TimeoutError, OSError) as exc:
            raise CommandError(
                f"cannot reach the database at {db.describe(settings.database_url)}: {exc}"
            ) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("asyncpg", "tortoise", "sqlite3", "aiosqlite")):
                raise CommandError(
                    f"database error at {db.describe(settings.database_url)}: {exc}"
                ) from None
            raise

    return asyncio.run(runner())


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> None:
    _run_with_database(settings, _noop)
    print(f"Database at {db.describe(settings.database_url)} is up to date.")


async def _noop() -> None:
    return None


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> None:
    from gql_server.services.accounts import create_admin

    password = args.password or getpass.getpass("Password for the admin: ")
    user = _run_with_database(settings, lambda: create_admin(args.email, password))
    print(f"{user.email} is an admin.")


def cmd_delete_user(settings: Settings, args: argparse.Namespace) -> None:
    from gql_server.auth.emails import normalize_email
    from gql_server.errors import NotFound
    from gql_server.models import User
    from gql_server.services.erasure import ADMIN, erase_user

    email = normalize_email(args.email)

    async def erase() -> dict[str, int]:
        user = await User.get_or_none(email=email)
        if user is None:
            raise NotFound(f"no account with the email {email}")
        return await erase_user(user.id, ADMIN)

    counts = _run_with_database(settings, erase)
    print(f"Erased the account of {email} and every row of theirs:")
    width = max(len(name) for name in counts)
    for name, rows in counts.items():
        print(f"  {name:<{width}}  {rows:>9,}")
    print("Kept: a record that an account was erased (when, by an admin, these counts).")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from gql_server.metrics import clear_multiprocess_dir
    from gql_server.services.demo import ensure_demo_data

    if args.demo and settings.is_production:
        raise CommandError("--demo is refused when APP_ENV=production (its password is public)")
    _run_with_database(settings, lambda: ensure_demo_data(settings) if args.demo else _noop())
    url = f"http://{args.host}:{args.port}"
    print(f"Database: {db.describe(settings.database_url)} (migrations applied)")
    if not settings.is_production:
        print(f"GraphiQL: {url}/graphql  (probes: {url}/livez, {url}/readyz; {url}/metrics)")
    if args.demo:
        print(
            f'Log in:   mutation {{ login(email: "{settings.demo_email}", '
            f'password: "{settings.demo_password}") {{ accessToken }} }}\n'
            "          then send the header  Authorization: Bearer <accessToken>"
        )
    clear_multiprocess_dir()  # before the workers start writing theirs
    uvicorn.run(
        "gql_server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        proxy_headers=False,
        server_header=False,  # no banner naming the server software to an attacker
        # A websocket message is an operation, as a request body is: the same limit (uvicorn's
        # default is 16 MiB per message).
        ws_max_size=settings.max_body_bytes,
        # As JSON, uvicorn's own lines (the access log) take the same format as the app's.
        log_config=logging_config(settings)
        if settings.log_format == "json"
        else uvicorn.config.LOGGING_CONFIG,
    )


def cmd_generate(settings: Settings, args: argparse.Namespace) -> None:
    from gql_server.cli_reports import run_generation

    if settings.is_production and not args.password:
        # The default is the demo password printed in the README: fine on a laptop, an open
        # door for every generated account on a real server.
        raise CommandError("--password is required when APP_ENV=production")
    password = args.password or settings.demo_password
    request_args = {
        "users": args.users,
        "days": args.days,
        "seed": args.seed,
        "patterns": tuple(args.patterns.split(",")) if args.patterns else None,
        "password": password,
        "statements": Path(args.statements) if args.statements else None,
    }
    _run_with_database(settings, lambda: run_generation(settings, request_args))


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    from gql_server.cli_imports import run_import
    from gql_server.core.statements.records import StatementFormat

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"{args.file}: no such file")
    if path.stat().st_size > settings.max_upload_bytes:
        raise CommandError(
            f"{args.file} is larger than MAX_UPLOAD_BYTES ({settings.max_upload_bytes:,} bytes)"
        )
    fmt = None if args.format == "AUTO" else StatementFormat(args.format)
    _run_with_database(settings, lambda: run_import(settings, args.email, path, fmt, args.dry_run))


def cmd_validate(settings: Settings, _: argparse.Namespace) -> None:
    from gql_server.cli_reports import run_validation

    if not _run_with_database(settings, run_validation):
        raise SystemExit(1)


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from gql_server.graphql.schema import create_schema

    text = create_schema(settings).as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(f"Wrote {args.output}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gql-server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="create a demo user with data")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply pending migrations and exit")
    migrate.set_defaults(handler=cmd_migrate)

    admin = commands.add_parser("create-admin", help="create an admin or promote an account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", help="prompted for when left out")
    admin.set_defaults(handler=cmd_create_admin)

    delete = commands.add_parser(
        "delete-user", help="erase an account and every row of it (generated ones too)"
    )
    delete.add_argument("--email", required=True)
    delete.set_defaults(handler=cmd_delete_user)

    generate = commands.add_parser("generate", help="bulk-generate users with a progress bar")
    generate.add_argument("--users", type=int, default=100)
    generate.add_argument("--days", type=int, default=720)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--password", help="for every generated user (default: the demo one)")
    generate.add_argument("--patterns", help="comma-separated, e.g. stable,volatile")
    generate.add_argument(
        "--statements",
        metavar="DIR",
        help="also write each user's history into DIR as a statement file per bank and AA format",
    )
    generate.set_defaults(handler=cmd_generate)

    formats = ["AUTO", "HDFC", "ICICI", "SBI", "AXIS", "AA_DEPOSIT_JSON", "AA_DEPOSIT_XML"]
    load = commands.add_parser("import", help="import a bank statement into a user's ledger")
    load.add_argument("--email", required=True, help="the account whose ledger it is")
    load.add_argument("file", help="CSV, XLS or XLSX statement, or AA deposit JSON/XML")
    load.add_argument("--format", default="AUTO", choices=formats)
    load.add_argument("--dry-run", action="store_true", help="report, write nothing")
    load.set_defaults(handler=cmd_import)

    validate = commands.add_parser(
        "validate", help="print the dataset's statistics and checks; exit 1 when one fails"
    )
    validate.set_defaults(handler=cmd_validate)

    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", default="schema.graphql", help="a path, or - for stdout")
    export.set_defaults(handler=cmd_export_schema)

    from gql_server import cli_seed  # here: it imports CommandError from this module

    cli_seed.add_parser(commands)
    return parser


class _WithoutTraceback(logging.Filter):
    """One line per record: asyncpg's pool logs a full traceback for every failed reconnect
    while the database is down, which buries the log in an outage that is already known."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.getLogger("asyncpg.pool").addFilter(_WithoutTraceback())
    try:
        if not getattr(args, "needs_settings", True):
            # `seed` talks to a server over HTTP: the local environment's settings (and the
            # JWT secret file they would create here) have no part in it.
            args.handler(args)
            return
        settings = load_settings()
        configure_logging(settings)
        if settings.ledger_now is not None:
            clock.pin(settings.ledger_now)
        if getattr(args, "workers", 1) < 1:
            raise CommandError("--workers must be at least 1")
        args.handler(settings, args)
    except (SettingsError, CommandError, ApiError) as exc:
        print(f"gql-server: error: {exc}", file=sys.stderr)
        raise SystemExit(2 if isinstance(exc, SettingsError) else 1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
