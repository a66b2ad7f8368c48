"""Every setting, read once from the environment (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from starlette.config import Config
from starlette.datastructures import CommaSeparatedStrings

from gql_server.mail import parse_smtp_url

ENVIRONMENTS = ("development", "test", "production")

# Secrets that have been published (this one shipped as the development default in early
# versions): anyone can forge tokens with them, so no environment accepts them.
PUBLISHED_JWT_SECRETS = frozenset({"development-only-secret-change-me-0123456789abcdef"})
MIN_PRODUCTION_SECRET_LENGTH = 32
# Without JWT_SECRET, development and test use a random secret kept in this file beside the
# default SQLite database, made once and reused (so tokens survive a restart, and every
# process started in the folder agrees).
LOCAL_SECRET_FILE = ".gql-server-jwt-secret"  # noqa: S105 - a file name


class SettingsError(Exception):
    """The configuration is unsafe or malformed; the message names the variable to fix."""


def default_database_url() -> str:
    return f"sqlite://{Path.cwd() / 'gql_server.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    database_url: str = field(default_factory=default_database_url)
    # A fresh random secret unless one is given: a Settings() built in code can never sign
    # with a secret known to anyone else.
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    cors_origins: tuple[str, ...] = ()
    db_pool_size: int = 10
    forecast_pool_size: int = 2
    # "process" (a local process pool of FORECAST_POOL_SIZE), "thread" (for tests and tiny
    # deployments: fits share the GIL with the server), or a Dask scheduler's address
    # (tcp://host:8786) to run fits on a cluster (pip install '.[dask]').
    forecast_executor: str = "process"
    forecast_timeout_s: float = 30.0
    # Fits waiting for or in the pool at once, per server process; more wait their turn.
    forecast_max_in_flight: int = 8
    # Fits of one user running at once, across all server processes (leases in the
    # database): one user's what-ifs queue behind each other instead of taking the pool.
    forecast_jobs_per_user: int = 1
    # Readers of an outlook that a write made stale wait this long for the fresh one, then
    # get the previous one marked stale while background refits (at most REFIT_WORKERS at once
    # per process) catch up: a write asks for one REFIT_DEBOUNCE_MS later, each further write
    # pushes it back, never past REFIT_MAX_DELAY_MS after the first.
    outlook_read_budget_ms: int = 25
    refit_workers: int = 2
    refit_debounce_ms: int = 1_000
    refit_max_delay_ms: int = 10_000
    # What one request may ask for, in cost units (graphql/costs.py: a what-if forecast or a
    # refit costs 10, a possibly cold outlook 5, any other field 0); more is BAD_USER_INPUT.
    max_request_cost: int = 40
    # Transactions one user may keep: every outlook and what-if reads the whole ledger.
    max_ledger_transactions: int = 100_000  # ledger.MAX_TRANSACTIONS_PER_USER
    max_body_bytes: int = 256 * 1024
    # A statement upload (multipart request): a few years of a busy account's statements as
    # XLSX is a few MB; this is the whole request, file and operation.
    max_upload_bytes: int = 20 * 1024 * 1024
    max_query_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2_000
    max_page_size: int = 100
    # Sign-in limits per window, checked in this order (a refused client counts no further):
    # all attempts from one address; failed guesses from one address at one account (what
    # stops a guesser); failed guesses at one account from everywhere, which refuses only
    # addresses the owner has not signed in from lately, so a guesser cannot lock them out.
    login_attempts_per_address: int = 100
    login_attempts_per_account_address: int = 10
    login_attempts_per_account: int = 50
    login_window: timedelta = timedelta(minutes=15)
    # A query checks its token against this process's copy of the caller's account for this
    # long after reading it (auth/caller_cache.py): a revocation made by another process
    # takes effect within it. 0 reads the account on every request.
    token_check_ms: int = 2_000
    registrations_per_address: int = 20
    # Password reset by mail: the SMTP server (smtp://host:587 or smtps://user:pass@host:465;
    # unset, development and test log mails instead), the sender, the link mailed (a template
    # with {token}; unset, the mail carries the token as a code to paste), how long a link
    # works, and requests per LOGIN_WINDOW for one email (counted whether or not it has an
    # account) and from one address (requests and attempts to use a link).
    smtp_url: str = ""
    mail_from: str = "GigCash <no-reply@gigcash.in>"
    password_reset_url: str = ""
    password_reset_ttl: timedelta = timedelta(minutes=30)
    password_resets_per_email: int = 5
    password_resets_per_address: int = 20
    # Peers (addresses or networks, or "*") whose X-Forwarded-For names the client: a reverse
    # proxy in front of the server. Nobody's by default: a client cannot choose its address.
    forwarded_allow_ips: tuple[str, ...] = ()
    generation_max_users: int = 10_000
    generation_chunk_users: int = 25
    # Where chunks are generated while the event loop writes: "process" (a worker process,
    # about a second to start, no GIL contention), "thread", or "auto": a thread for jobs of
    # up to AUTO_PROCESS_FROM users, a process above (measured in bench/generator.py).
    generation_workers: str = "auto"
    # A running job whose heartbeat is older than this lost its server: any process fails it.
    generation_stale_after: timedelta = timedelta(seconds=30)
    # Freezes the ledger's clock (gql_server/clock.py) for a reproducible demo or a test
    # server; refused in production, where "today" must be today.
    ledger_now: datetime | None = None
    demo_email: str = "demo@gigcash.in"
    demo_password: str = "Chai-and-invoices-2026"  # noqa: S105
    # "text" for a terminal, "json" (one object per line, with the request id) for a log
    # pipeline.
    log_format: str = "text"
    # When set, GET /metrics asks for "Authorization: Bearer <METRICS_TOKEN>"; unset, anyone
    # who reaches it may read it (in production, let the proxy keep it internal).
    metrics_token: str = ""
    # Webhook deliveries: the waits between attempts (seconds; the default spans about a
    # day), and whether private and loopback addresses may be targets (None: only in
    # development and test, where receivers run on this machine).
    webhook_retry_seconds: tuple[float, ...] = (
        5,
        30,
        120,
        600,
        1800,
        3600,
        7200,
        14400,
        28800,
        43200,
    )
    webhook_allow_private: bool | None = None
    # How often each process looks for outlooks a new day made stale (their alerts depend on
    # the date: a bill comes due, a payment becomes late).
    daily_roll_seconds: int = 900

    @property
    def webhooks_may_reach_private(self) -> bool:
        if self.webhook_allow_private is not None:
            return self.webhook_allow_private
        return self.app_env in ("development", "test")

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def is_development(self) -> bool:
        return self.app_env == "development"

    def validate(self) -> Settings:
        if self.app_env not in ENVIRONMENTS:
            raise SettingsError(
                f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.app_env!r}"
            )
        if self.jwt_secret in PUBLISHED_JWT_SECRETS:
            raise SettingsError(
                "JWT_SECRET is a secret published in this project's source; set a random one "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))") or unset it '
                "outside production"
            )
        if self.is_production and len(self.jwt_secret) < MIN_PRODUCTION_SECRET_LENGTH:
            raise SettingsError(
                "JWT_SECRET must be set to a random string of at least "
                f"{MIN_PRODUCTION_SECRET_LENGTH} characters when APP_ENV=production "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if self.is_production and self.ledger_now is not None:
            raise SettingsError("LEDGER_NOW must not be set when APP_ENV=production")
        if self.ledger_now is not None and self.ledger_now.tzinfo is None:
            raise SettingsError("LEDGER_NOW needs an offset, e.g. 2026-11-25T12:00:00+05:30")
        if not self.database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise SettingsError(
                "DATABASE_URL must start with sqlite://, postgres:// or postgresql://"
            )
        if self.forecast_executor not in (
            "process",
            "thread",
        ) and not self.forecast_executor.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            raise SettingsError(
                "FORECAST_EXECUTOR must be 'process', 'thread' or a Dask scheduler address "
                "such as tcp://scheduler:8786"
            )
        if self.log_format not in ("text", "json"):
            raise SettingsError("LOG_FORMAT must be 'text' or 'json'")
        if self.generation_workers not in ("auto", "process", "thread"):
            raise SettingsError("GENERATION_WORKERS must be 'auto', 'process' or 'thread'")
        for name, field_name in _INTEGER_SETTINGS.items():
            if getattr(self, field_name) < 1:
                raise SettingsError(f"{name} must be a positive integer")
        if self.login_window <= timedelta(0):
            raise SettingsError("LOGIN_WINDOW_MINUTES must be positive")
        if self.smtp_url:
            try:
                parse_smtp_url(self.smtp_url)
            except ValueError as exc:
                raise SettingsError(str(exc)) from None
        if self.password_reset_url and (
            "{token}" not in self.password_reset_url
            or not self.password_reset_url.startswith(("https://", "http://"))
        ):
            raise SettingsError(
                "PASSWORD_RESET_URL must be an http(s) link with {token} in it, e.g. "
                "https://app.gigcash.in/reset?token={token}"
            )
        if self.is_production and self.password_reset_url.startswith("http://"):
            raise SettingsError("PASSWORD_RESET_URL must be an https:// link in production")
        if not 0 <= self.token_check_ms <= 60_000:
            raise SettingsError("TOKEN_CHECK_MS must be between 0 and 60000")
        if self.password_reset_ttl <= timedelta(0):
            raise SettingsError("PASSWORD_RESET_TTL_MINUTES must be positive")
        for network in self.forwarded_allow_ips:
            if network != "*":
                try:
                    ipaddress.ip_network(network, strict=False)
                except ValueError:
                    raise SettingsError(
                        f"FORWARDED_ALLOW_IPS: {network!r} is not an address or a network"
                    ) from None
        return self


def _minutes(config: Config, name: str, default: timedelta) -> timedelta:
    return timedelta(minutes=config(name, cast=float, default=default.total_seconds() / 60))


def _jwt_secret(config: Config, app_env: str) -> str:
    given = config("JWT_SECRET", default="")
    if given or app_env == "production":
        return given  # production without one is refused by validate()
    return local_secret(Path.cwd() / LOCAL_SECRET_FILE)


def local_secret(path: Path) -> str:
    """The secret stored at `path`, made (readable by its owner only) the first time. Two
    processes starting at once agree: only one can create the file, the other reads it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written it yet
            secret = path.read_text().strip()
            if secret:
                return secret
            time.sleep(0.02)
        raise SettingsError(f"{path} is empty; delete it or set JWT_SECRET") from None
    secret = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    return secret


def _flag(value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text not in ("true", "false", "1", "0"):
        raise ValueError(f"a flag is true or false, not {value!r}")
    return text in ("true", "1")


def _retry_seconds(config: Config, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = config("WEBHOOK_RETRY_SECONDS", default="")
    if not raw.strip():
        return default
    waits = tuple(float(part) for part in raw.split(","))
    if not waits or any(not 0 <= wait <= 7 * 24 * 3600 for wait in waits):
        raise ValueError("WEBHOOK_RETRY_SECONDS: comma-separated waits of 0 s to a week")
    return waits


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Every limit a deployment may need to change, by its environment variable.
_INTEGER_SETTINGS = {
    "DB_POOL_SIZE": "db_pool_size",
    "FORECAST_POOL_SIZE": "forecast_pool_size",
    "FORECAST_MAX_IN_FLIGHT": "forecast_max_in_flight",
    "FORECAST_JOBS_PER_USER": "forecast_jobs_per_user",
    "OUTLOOK_READ_BUDGET_MS": "outlook_read_budget_ms",
    "REFIT_WORKERS": "refit_workers",
    "REFIT_DEBOUNCE_MS": "refit_debounce_ms",
    "REFIT_MAX_DELAY_MS": "refit_max_delay_ms",
    "MAX_REQUEST_COST": "max_request_cost",
    "MAX_LEDGER_TRANSACTIONS": "max_ledger_transactions",
    "MAX_BODY_BYTES": "max_body_bytes",
    "MAX_UPLOAD_BYTES": "max_upload_bytes",
    "MAX_QUERY_DEPTH": "max_query_depth",
    "MAX_ALIASES": "max_aliases",
    "MAX_QUERY_TOKENS": "max_tokens",
    "MAX_PAGE_SIZE": "max_page_size",
    "LOGIN_ATTEMPTS_PER_ADDRESS": "login_attempts_per_address",
    "LOGIN_ATTEMPTS_PER_ACCOUNT_ADDRESS": "login_attempts_per_account_address",
    "LOGIN_ATTEMPTS_PER_ACCOUNT": "login_attempts_per_account",
    "REGISTRATIONS_PER_ADDRESS": "registrations_per_address",
    "PASSWORD_RESETS_PER_EMAIL": "password_resets_per_email",
    "PASSWORD_RESETS_PER_ADDRESS": "password_resets_per_address",
    "GENERATION_MAX_USERS": "generation_max_users",
    "GENERATION_CHUNK_USERS": "generation_chunk_users",
    "DAILY_ROLL_SECONDS": "daily_roll_seconds",
}


def load_settings(env_file: str | os.PathLike[str] | None = ".env") -> Settings:
    """Read the environment once; raise SettingsError naming the variable that is wrong."""
    env_path = Path(env_file) if env_file else None
    config = Config(env_path if env_path and env_path.is_file() else None)
    defaults = Settings()
    app_env = config("APP_ENV", default=defaults.app_env).strip().lower()
    try:
        integers = {
            field_name: config(name, cast=int, default=getattr(defaults, field_name))
            for name, field_name in _INTEGER_SETTINGS.items()
        }
        settings = Settings(
            app_env=app_env,
            database_url=config("DATABASE_URL", default=defaults.database_url),
            jwt_secret=_jwt_secret(config, app_env),
            access_token_ttl=_minutes(
                config, "ACCESS_TOKEN_TTL_MINUTES", defaults.access_token_ttl
            ),
            refresh_token_ttl=_minutes(
                config, "REFRESH_TOKEN_TTL_MINUTES", defaults.refresh_token_ttl
            ),
            login_window=_minutes(config, "LOGIN_WINDOW_MINUTES", defaults.login_window),
            cors_origins=tuple(config("CORS_ORIGINS", cast=CommaSeparatedStrings, default="")),
            forwarded_allow_ips=tuple(
                config("FORWARDED_ALLOW_IPS", cast=CommaSeparatedStrings, default="")
            ),
            forecast_executor=config("FORECAST_EXECUTOR", default=defaults.forecast_executor),
            forecast_timeout_s=config(
                "FORECAST_TIMEOUT_SECONDS", cast=float, default=defaults.forecast_timeout_s
            ),
            generation_workers=config("GENERATION_WORKERS", default=defaults.generation_workers),
            generation_stale_after=timedelta(
                seconds=config(
                    "GENERATION_STALE_SECONDS",
                    cast=float,
                    default=defaults.generation_stale_after.total_seconds(),
                )
            ),
            ledger_now=config("LEDGER_NOW", cast=_instant, default=None),
            log_format=config("LOG_FORMAT", default=defaults.log_format).strip().lower(),
            metrics_token=config("METRICS_TOKEN", default=""),
            webhook_retry_seconds=_retry_seconds(config, defaults.webhook_retry_seconds),
            webhook_allow_private=config("WEBHOOK_ALLOW_PRIVATE", cast=_flag, default=None),
            token_check_ms=config("TOKEN_CHECK_MS", cast=int, default=defaults.token_check_ms),
            smtp_url=config("SMTP_URL", default=""),
            mail_from=config("MAIL_FROM", default=defaults.mail_from),
            password_reset_url=config("PASSWORD_RESET_URL", default=""),
            password_reset_ttl=_minutes(
                config, "PASSWORD_RESET_TTL_MINUTES", defaults.password_reset_ttl
            ),
            **integers,
        )
    except ValueError as exc:
        raise SettingsError(f"A setting has the wrong type: {exc}") from None
    return settings.validate()
