"""All Tortoise models. The migration tool reads this module; every change here needs a migration.

Model docstrings become table comments, and Tortoise 1.1's SQLite migration runner splits
statements on ";" even inside comments: keep semicolons and backticks out of them.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, overload

from tortoise import fields
from tortoise.models import Model as TortoiseModel
from tortoise.models import ModelMeta

from gql_server.core.known_money.items import Cadence
from gql_server.core.tax.payments import PaymentKind
from gql_server.core.tax.rules import Regime, Scheme


class _Meta(ModelMeta):
    """Tortoise's metaclass, told that no field has a "#:" comment to read: it looks for them
    with inspect.getsource, which on Python 3.11 parses this whole module again for each
    model. That was 0.4-0.7 s of every process's start (a server, a CLI command, a forecast
    worker) for nothing: fields here are described in docstrings and plain comments."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> _Meta:
        attrs.setdefault("_no_comments", True)
        return super().__new__(mcs, name, bases, attrs)  # type: ignore[return-value]


class Model(TortoiseModel, metaclass=_Meta):
    class Meta:
        abstract = True


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class Direction(StrEnum):
    INCOME = "income"
    EXPENSE = "expense"


class IncomeKind(StrEnum):
    PLATFORM = "platform"
    CLIENT = "client"
    EMPLOYER = "employer"
    OTHER = "other"


class IncomeFrequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    PER_PROJECT = "per_project"
    IRREGULAR = "irregular"


@overload
def money_field(*, null: Literal[False] = False, **kwargs: Any) -> fields.DecimalField[Decimal]: ...


@overload
def money_field(*, null: Literal[True], **kwargs: Any) -> fields.DecimalField[Decimal | None]: ...


def money_field(*, null: bool = False, **kwargs: Any) -> fields.DecimalField[Any]:
    """Rupees with paise: NUMERIC on PostgreSQL, exact text on SQLite, never a float."""
    if null:
        return fields.DecimalField(max_digits=16, decimal_places=2, null=True, **kwargs)
    return fields.DecimalField(max_digits=16, decimal_places=2, **kwargs)


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BufferEntryKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class User(Model):
    id = fields.IntField(primary_key=True)
    # Stored lower-cased, which is what makes the unique index case-insensitive.
    email = fields.CharField(max_length=254, unique=True)
    # What the address looks like (gql_server/auth/emails.py): unique, so an address a person
    # cannot tell from an existing one gets no second account, even from a racing request.
    email_skeleton = fields.CharField(max_length=1024, unique=True, null=True)
    password_hash = fields.CharField(max_length=255)
    full_name = fields.CharField(max_length=120)
    city = fields.CharField(max_length=60, null=True)
    occupation = fields.CharField(max_length=80, null=True)
    income_pattern = fields.CharField(max_length=20, null=True)
    # The generation job that made this user (null for people who registered).
    generation_job_id = fields.IntField(null=True)
    currency = fields.CharField(max_length=3, default="INR")
    timezone = fields.CharField(max_length=40, default="Asia/Kolkata")
    role = fields.CharEnumField(Role, max_length=10, default=Role.USER)
    is_active = fields.BooleanField(default=True)
    # The balance before the first transaction: running balances start from here.
    opening_balance = money_field(default=Decimal("0.00"), db_default=Decimal("0.00"))
    # Every token carries the version it was issued under; bumping it revokes them all.
    token_version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "app_user"


class RefreshToken(Model):
    """One issued refresh token, usable once (rotation): used_at is set when it is spent."""

    jti = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)
    # The session it belongs to: a sign-in starts one, each refresh continues it with a new
    # token (the family); its start and the client that last used it, for `sessions`.
    session_id = fields.UUIDField(null=True, db_index=True)
    session_started_at = fields.DatetimeField(null=True)
    user_agent = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "refresh_token"


class RateLimitCounter(Model):
    """Attempts per key in a fixed time window, shared by every server process."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=300)
    window = fields.BigIntField()
    count = fields.IntField(default=0)
    # Unix seconds after which the window is over and the row may be deleted by anyone.
    expires_at = fields.BigIntField(default=0, db_index=True)

    class Meta:
        table = "rate_limit_counter"
        unique_together = (("key", "window"),)


class SignInAddress(Model):
    """An address the owner signed in from lately. Guesses at an account from elsewhere
    cannot lock the owner out from here."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sign_in_addresses", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    address = fields.CharField(max_length=64)
    last_signed_in_at = fields.DatetimeField()

    class Meta:
        table = "sign_in_address"
        unique_together = (("user_id", "address"),)


class ForecastLease(Model):
    """A fit of one user's running in the forecast pool, held until the fit ends (not when
    its request gives up: a worker cannot be stopped mid-fit). Every server process counts
    the same leases, so one user has at most FORECAST_JOBS_PER_USER fits at once anywhere."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="forecast_leases", on_delete=fields.CASCADE
    )
    slot = fields.SmallIntField()
    holder = fields.CharField(max_length=32)
    # Unix seconds after which a lease whose holder died may be taken by anyone.
    expires_at = fields.BigIntField()

    class Meta:
        table = "forecast_lease"
        unique_together = (("user_id", "slot"),)


class IncomeSource(Model):
    """A client, platform or employer the user earns from."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="income_sources", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(IncomeKind, max_length=12, default=IncomeKind.CLIENT)
    frequency = fields.CharEnumField(
        IncomeFrequency, max_length=12, default=IncomeFrequency.IRREGULAR
    )
    expected_monthly_amount = money_field(null=True)
    # The share of each fee a client withholds as TDS (194J, 194C, 194-O): what arrives is the
    # rest, so the gross receipt of a credited amount a is a / (1 - tds_percent / 100).
    tds_percent = fields.DecimalField(max_digits=5, decimal_places=2, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "income_source"
        indexes = (("user_id", "id"),)


class Transaction(Model):
    """One money movement, with the user's balance right after it (kept exact on every change)."""

    id = fields.BigIntField(primary_key=True)
    # No per-row FOREIGN KEY: checking one per row halves bulk COPY speed (bench/generator.py).
    # Migration 0004 enforces the same rule with a statement-level trigger (one set-based
    # check per INSERT or COPY) and cascades a user's deletion to their transactions.
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="transactions",
        on_delete=fields.CASCADE,
        db_index=False,
        db_constraint=False,
    )
    user_id: int  # the column behind user
    occurred_at = fields.DatetimeField()
    amount = money_field()
    direction = fields.CharEnumField(Direction, max_length=7)
    category = fields.CharField(max_length=40)
    merchant = fields.CharField(max_length=120, default="")
    description = fields.CharField(max_length=500, default="")
    income_source: fields.ForeignKeyNullableRelation[IncomeSource] = fields.ForeignKeyField(
        "models.IncomeSource",
        related_name="transactions",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=False,
    )
    income_source_id: int | None  # the column behind income_source
    balance_after = money_field(default=Decimal("0.00"))
    # The user's word on the forecast's baseline: true keeps the row out (a one-off), false
    # keeps it in even when the outlier rule would not, null lets the rule decide.
    exclude_from_forecast = fields.BooleanField(null=True)
    # What a bank statement said of the row (null for rows entered by hand): the rail it
    # moved on (core.statements.narration.PaymentMode), the UPI address of the other side and
    # the bank's own reference (UTR, RRN, cheque number), which re-imports match first.
    mode = fields.CharField(max_length=12, null=True)
    counterparty_vpa = fields.CharField(max_length=120, null=True)
    reference = fields.CharField(max_length=64, null=True)
    # The statement import that added the row or linked it to a row entered by hand. No
    # foreign key, as for user: the bulk paths write without a per-row check.
    import_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ledger_transaction"
        # Serves every read: a user's rows newest first, keyset pages and date ranges.
        indexes = (("user_id", "occurred_at", "id"),)


class GenerationJob(Model):
    """A bulk generation run. Its status, progress, cancel request and heartbeat are rows,
    so any server process can report on it, cancel it, or fail it when its runner died."""

    id = fields.IntField(primary_key=True)
    status = fields.CharEnumField(JobStatus, max_length=10, default=JobStatus.PENDING)
    users_requested = fields.IntField()
    days = fields.IntField()
    seed = fields.BigIntField()
    patterns = fields.CharField(max_length=200)
    # Histories end on this day (India); null means the day the job ran.
    end_date = fields.DateField(null=True)
    # The hash of the password every generated user gets (hashed once per job).
    password_hash = fields.CharField(max_length=255)
    users_done = fields.IntField(default=0)
    # After the rows are written, each generated user's outlook is computed.
    forecasts_done = fields.IntField(default=0, db_default=0)
    transactions_written = fields.BigIntField(default=0)
    cancel_requested = fields.BooleanField(default=False)
    error = fields.CharField(max_length=1000, null=True)
    runner = fields.CharField(max_length=120, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="generation_jobs", null=True, on_delete=fields.SET_NULL
    )
    requested_by_id: int | None  # the column behind requested_by
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "generation_job"
        indexes = (("status", "heartbeat_at"),)


class StoredOutlook(Model):
    """The latest outlook of a user (features, forecasts of every horizon, risks), kept until
    the ledger it was computed from changes (compared by fingerprint)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="forecast", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    fingerprint = fields.CharField(max_length=64)
    as_of = fields.DateField()
    model = fields.CharField(max_length=60)
    outflow_model = fields.CharField(max_length=60, default="")
    backtest_mase = fields.FloatField(null=True)
    interval_coverage = fields.FloatField(null=True)
    low_confidence = fields.BooleanField(default=False)
    # {name: number or null}; and one object per horizon, money as exact decimal strings.
    features: fields.JSONField[dict[str, float | None]] = fields.JSONField()
    horizons: fields.JSONField[list[dict[str, Any]]] = fields.JSONField()
    # Ids of the transactions kept out of the model's baseline as one-offs.
    baseline_excluded: fields.JSONField[list[int] | None] = fields.JSONField(null=True)
    # The evaluation's models and calibration (core.forecasting.choice.choice_as_json), which
    # what-ifs forecast with instead of redoing the evaluation; null before 0019.
    choice: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    generated_at = fields.DatetimeField()

    class Meta:
        table = "user_forecast"


# The core's cadence is the column's: one enum, so detection and storage cannot drift apart.
RecurringCadence = Cadence


class RecurringSource(StrEnum):
    DETECTED = "DETECTED"
    DECLARED = "DECLARED"


class RecurringStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DISMISSED = "DISMISSED"


class RecurringItem(Model):
    """Money that comes or goes on a schedule (rent, an EMI, a retainer). Detected items are
    rewritten with each outlook, declared ones only by the user. A dismissed item stays, so the
    counterparty is not detected again."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recurring_items", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    merchant = fields.CharField(max_length=120)
    # The merchant with spaces collapsed and case folded: how two spellings are matched.
    counterparty = fields.CharField(max_length=120)
    category = fields.CharField(max_length=40)
    direction = fields.CharEnumField(Direction, max_length=7)
    amount = money_field()
    cadence = fields.CharEnumField(RecurringCadence, max_length=12)
    interval_days = fields.IntField(null=True)
    day_of_month = fields.IntField(null=True)
    next_date = fields.DateField()
    last_date = fields.DateField(null=True)
    occurrences = fields.IntField(default=0)
    confidence = fields.FloatField(default=1.0)
    source = fields.CharEnumField(RecurringSource, max_length=8)
    status = fields.CharEnumField(RecurringStatus, max_length=9, default=RecurringStatus.ACTIVE)
    income_source: fields.ForeignKeyNullableRelation[IncomeSource] = fields.ForeignKeyField(
        "models.IncomeSource",
        related_name="recurring_items",
        null=True,
        on_delete=fields.SET_NULL,
    )
    income_source_id: int | None  # the column behind income_source
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "recurring_item"
        indexes = (("user_id", "next_date"), ("user_id", "counterparty"))


class Buffer(Model):
    """A user's income-smoothing pot: its balance (never below zero) and settings."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="buffer", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    balance = money_field(default=Decimal("0.00"))
    total_deposited = money_field(default=Decimal("0.00"))
    total_withdrawn = money_field(default=Decimal("0.00"))
    # The user's choices; null means "as the smoothing rule recommends".
    target_months = fields.FloatField(null=True)
    paycheck_override = money_field(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "buffer"


class BufferEntry(Model):
    """One deposit or withdrawal, with the balance after it. The idempotency key is unique per
    buffer, so a retried request is applied once."""

    id = fields.BigIntField(primary_key=True)
    buffer: fields.ForeignKeyRelation[Buffer] = fields.ForeignKeyField(
        "models.Buffer", related_name="entries", on_delete=fields.CASCADE
    )
    buffer_id: int  # the column behind buffer
    kind = fields.CharEnumField(BufferEntryKind, max_length=10)
    amount = money_field()
    balance_after = money_field()
    note = fields.CharField(max_length=200, default="")
    idempotency_key = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "buffer_entry"
        unique_together = (("buffer_id", "idempotency_key"),)
        indexes = (("buffer_id", "id"),)


class Insight(Model):
    """A plain statement about the user's money with the numbers it rests on, recomputed with
    the outlook whenever the data behind it changes."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="insights", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    kind = fields.CharField(max_length=40)
    severity = fields.CharField(max_length=10)
    title = fields.CharField(max_length=200)
    message = fields.CharField(max_length=1000)
    # {name: number, string or null}, as gql_server.core.insight_base.Metric.
    metrics: fields.JSONField[dict[str, float | int | str | None]] = fields.JSONField()
    period_start = fields.DateField(null=True)
    period_end = fields.DateField(null=True)
    importance = fields.FloatField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "insight"
        indexes = (("user_id", "importance"),)


class StatementImport(Model):
    """One bank statement or Account Aggregator file brought into a user's ledger, with what
    it added, what it found already there and whether the balances agree afterwards. Dry runs
    write nothing, this row included."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="statement_imports", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    format = fields.CharField(max_length=20)
    file_name = fields.CharField(max_length=255)
    file_sha256 = fields.CharField(max_length=64)
    rows_read = fields.IntField()
    added = fields.IntField()
    duplicates = fields.IntField()
    linked = fields.IntField()
    skipped = fields.IntField()
    first_date = fields.DateField(null=True)
    last_date = fields.DateField(null=True)
    statement_closing_balance = money_field(null=True)
    ledger_closing_balance = money_field(null=True)
    reconciled = fields.BooleanField()
    opening_balance_set = money_field(null=True)
    # [{"row": int, "message": str}], the rows that could not be read (capped).
    problems: fields.JSONField[list[dict[str, Any]]] = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "statement_import"
        indexes = (("user_id", "id"),)


class CategoryRule(Model):
    """One of a user's own rules, in their order: conditions on a transaction (narration text,
    UPI address, amount range, direction) and what to set (merchant, category, income source)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="category_rules", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    position = fields.IntField()
    narration_contains = fields.CharField(max_length=120, null=True)
    vpa = fields.CharField(max_length=120, null=True)
    min_amount = money_field(null=True)
    max_amount = money_field(null=True)
    direction = fields.CharEnumField(Direction, max_length=7, null=True)
    set_merchant = fields.CharField(max_length=120, null=True)
    set_category = fields.CharField(max_length=40, null=True)
    set_income_source: fields.ForeignKeyNullableRelation[IncomeSource] = fields.ForeignKeyField(
        "models.IncomeSource", related_name="category_rules", null=True, on_delete=fields.SET_NULL
    )
    set_income_source_id: int | None  # the column behind set_income_source
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "category_rule"
        indexes = (("user_id", "position"),)


class RefitRequest(Model):
    """A user's outlook waiting to be recomputed in the background, shared by every server
    process: a write asks for it a little later (writes in quick succession push it back, up
    to a limit), a reader that found the outlook stale asks for it now, and one process at a
    time claims it."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="refit_request", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    # Milliseconds since the epoch: compared in SQL the same way on both databases.
    first_requested_ms = fields.BigIntField()
    due_ms = fields.BigIntField(db_index=True)
    version = fields.IntField(default=1)  # grows with each request: a claim sees if it moved
    claimed_by = fields.CharField(max_length=32, null=True)
    claimed_until_ms = fields.BigIntField(null=True)

    class Meta:
        table = "refit_request"


class TaxProfile(Model):
    """How the user is taxed. Without a row the tax outlook uses the defaults and the forecast
    leaves tax out: instalments become known outflows once the user has said how they are
    taxed (a wrong guess would put lakhs of rupees of invented outflows in the forecast)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="tax_profile", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    regime = fields.CharEnumField(Regime, max_length=3, default=Regime.NEW)
    scheme = fields.CharEnumField(Scheme, max_length=13, default=Scheme.SECTION_44ADA)
    deductions = money_field(default=Decimal("0.00"))
    business_expense_categories: fields.JSONField[list[str]] = fields.JSONField(default=list)
    receipt_categories: fields.JSONField[list[str] | None] = fields.JSONField(null=True)
    gst_registered = fields.BooleanField(default=False)
    state = fields.CharField(max_length=40, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tax_profile"


class TaxPayment(Model):
    """Tax the user paid (advance or self-assessment) or a client withheld (TDS), recorded by
    the user for the financial year it counts towards."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tax_payments", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    financial_year = fields.CharField(max_length=7)
    kind = fields.CharEnumField(PaymentKind, max_length=15)
    amount = money_field()
    paid_on = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tax_payment"
        indexes = (("user_id", "financial_year"),)


# A model docstring's first line goes into the DDL as the table's comment: on SQLite an
# apostrophe or a semicolon in it breaks the migration.
class AlertPreferences(Model):
    """The alert settings of a user, as core.alerts.settings.AlertSettings holds them (no row
    means the defaults)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="alert_preferences", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    shortfall_threshold_7 = fields.FloatField()
    shortfall_threshold_30 = fields.FloatField()
    low_balance_below = money_field()
    income_overdue_days = fields.IntField()
    enabled_kinds: fields.JSONField[list[str]] = fields.JSONField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "alert_settings"


class Alert(Model):
    """A condition the forecast saw (`key`), from when it fired until it cleared. At most one
    open alert per user and key: it fires again only after it cleared."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="alerts", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    key = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=30)
    severity = fields.CharField(max_length=10)
    title = fields.CharField(max_length=200)
    message = fields.CharField(max_length=1000)
    metrics: fields.JSONField[dict[str, Any]] = fields.JSONField()
    created_at = fields.DatetimeField()
    cleared_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alert"
        indexes = (("user_id", "cleared_at"), ("user_id", "id"))


class Webhook(Model):
    """An endpoint the alerts of a user are delivered to (Standard Webhooks). The secret signs
    every delivery; the API shows it once, when the endpoint is created."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhooks", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    url = fields.CharField(max_length=1000)
    kinds: fields.JSONField[list[str]] = fields.JSONField()  # empty: every kind
    description = fields.CharField(max_length=200, default="")
    secret = fields.CharField(max_length=120)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Since when every delivery has failed (None: the last one succeeded); a day of it
    # disables the endpoint.
    failing_since = fields.DatetimeField(null=True)
    disabled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook"
        indexes = (("user_id", "id"),)


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookDelivery(Model):
    """The outbox: one event for one endpoint, written with the alert it carries, delivered
    at least once by whichever server process claims it, under one `message_id` (the
    webhook-id header) for every attempt."""

    id = fields.BigIntField(primary_key=True)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    webhook_id: int  # the column behind webhook
    message_id = fields.CharField(max_length=40, unique=True)
    event_type = fields.CharField(max_length=20)
    body = fields.TextField()  # the exact bytes every attempt sends (UTF-8 JSON)
    status = fields.CharEnumField(DeliveryStatus, max_length=9, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_ms = fields.BigIntField(db_index=True)
    claimed_by = fields.CharField(max_length=32, null=True)
    claimed_until_ms = fields.BigIntField(null=True)
    last_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        indexes = (("webhook_id", "id"), ("status", "next_attempt_ms"))


class PasswordResetToken(Model):
    """A password reset link mailed to a user: only its SHA-256 is kept (the link is the
    secret), usable once before it expires."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="password_reset_tokens", on_delete=fields.CASCADE
    )
    user_id: int  # the column behind user
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_reset_token"


class AccountErasure(Model):
    """That an account was erased, when, and how much: nothing that identifies the person
    (the record of erasure the DPDP Rules ask a data fiduciary to keep)."""

    id = fields.BigIntField(primary_key=True)
    erased_at = fields.DatetimeField()
    # Who asked: SELF (deleteAccount) or ADMIN (the command line).
    requested_by = fields.CharField(max_length=10)
    # {table: rows erased}: what the erasure covered, without any of it.
    rows: fields.JSONField[dict[str, int]] = fields.JSONField()

    class Meta:
        table = "account_erasure"
