"""A row of one user's in every table that relates to a user: what the tests of the data
export and of the erasure need, so that both cover the same tables."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal

import orjson

from gql_server.core.known_money.items import Cadence
from gql_server.core.tax.payments import PaymentKind
from gql_server.models import (
    Alert,
    AlertPreferences,
    Buffer,
    BufferEntry,
    BufferEntryKind,
    CategoryRule,
    DeliveryStatus,
    Direction,
    ForecastLease,
    GenerationJob,
    Insight,
    PasswordResetToken,
    RecurringItem,
    RecurringSource,
    RefitRequest,
    SignInAddress,
    StatementImport,
    StoredOutlook,
    TaxPayment,
    TaxProfile,
    User,
    Webhook,
    WebhookDelivery,
)
from tests.factories import make_source, make_transactions

FAR_FUTURE_MS = 4_000_000_000_000  # 2096: no worker of a running app claims these rows


async def fill_every_table(
    user_id: int, tag: str, now: datetime, *, queued: bool = False
) -> dict[str, str]:
    """A row of `user_id`'s in every table that relates to a user (beyond what registering
    and signing in wrote), its text marked with `tag` (a word, distinct per user); the
    credentials among them, which no export may show. `queued` adds the rows that say work is
    waiting or running (a refit request, a forecast lease), due in 2096 so that no worker of
    the running app claims them."""
    source = await make_source(user_id, f"{tag} Client")
    await make_transactions(user_id, 9, source_ids=[source.id])
    await RecurringItem.create(
        user_id=user_id,
        merchant=f"{tag} Rent",
        counterparty=f"{tag.lower()} rent",
        category="Rent",
        direction=Direction.EXPENSE,
        amount=Decimal("15000.00"),
        cadence=Cadence.MONTHLY,
        day_of_month=5,
        next_date=date(2026, 12, 5),
        source=RecurringSource.DECLARED,
        income_source_id=source.id,
    )
    buffer = await Buffer.create(user_id=user_id, balance=Decimal("500.00"))
    await BufferEntry.create(
        buffer_id=buffer.id,
        kind=BufferEntryKind.DEPOSIT,
        amount=Decimal("500.00"),
        balance_after=Decimal("500.00"),
        note=f"{tag} deposit",
        idempotency_key=f"{tag}-1",
    )
    await StoredOutlook.create(
        user_id=user_id,
        fingerprint=f"{tag}-fingerprint",
        as_of=now.date(),
        model="ets",
        features={"incomeCv": 0.4},
        horizons=[{"days": 30, "p50": "1200.50"}],
        generated_at=now,
    )
    await Insight.create(
        user_id=user_id,
        kind="INCOME_CONCENTRATION",
        severity="info",
        title=f"{tag} insight",
        message="Most income comes from one client.",
        metrics={"share": 0.8},
        period_start=date(2026, 8, 1),
        importance=0.7,
        created_at=now,
    )
    await StatementImport.create(
        user_id=user_id,
        format="HDFC_CSV",
        file_name=f"{tag}.csv",
        file_sha256="0" * 64,
        rows_read=3,
        added=3,
        duplicates=0,
        linked=0,
        skipped=0,
        reconciled=True,
        statement_closing_balance=Decimal("10.10"),
        problems=[{"row": 4, "message": "no date"}],
    )
    await CategoryRule.create(
        user_id=user_id, position=1, narration_contains=f"{tag.lower()} cafe", set_category="Food"
    )
    await TaxProfile.create(
        user_id=user_id, deductions=Decimal("150000.00"), business_expense_categories=["Software"]
    )
    await TaxPayment.create(
        user_id=user_id,
        financial_year="2026-27",
        kind=PaymentKind.ADVANCE_TAX,
        amount=Decimal("12345.67"),
        paid_on=date(2026, 9, 15),
    )
    await AlertPreferences.create(
        user_id=user_id,
        shortfall_threshold_7=0.2,
        shortfall_threshold_30=0.3,
        low_balance_below=Decimal("1000.00"),
        income_overdue_days=3,
        enabled_kinds=["SHORTFALL_RISK"],
    )
    await Alert.create(
        user_id=user_id,
        key=f"{tag}-low",
        kind="LOW_BALANCE_AHEAD",
        severity="warning",
        title=f"{tag} alert",
        message="Low balance ahead.",
        metrics={"lowest": "-200.00"},
        created_at=now,
    )
    secret = f"whsec_{tag}{hashlib.sha256(tag.encode()).hexdigest()[:24]}"
    webhook = await Webhook.create(
        user_id=user_id, url=f"https://{tag.lower()}.example.in/hook", kinds=[], secret=secret
    )
    # Delivered already, so the app's delivery worker leaves it alone.
    await WebhookDelivery.create(
        webhook_id=webhook.id,
        message_id=f"msg_{tag}",
        event_type="alert.fired",
        body=orjson.dumps({"type": "alert.fired", "data": {"title": f"{tag} alert"}}).decode(),
        status=DeliveryStatus.DELIVERED,
        attempts=1,
        next_attempt_ms=0,
        delivered_at=now,
    )
    reset_hash = hashlib.sha256(f"reset-{tag}".encode()).hexdigest()
    await PasswordResetToken.create(
        user_id=user_id,
        token_hash=reset_hash,
        created_at=now,
        expires_at=now + timedelta(minutes=30),
    )
    job_hash = f"$argon2id$v=19$m=65536,t=3,p=4$job{tag}"
    job = await GenerationJob.create(
        users_requested=1,
        days=30,
        seed=7,
        patterns="gig",
        password_hash=job_hash,
        requested_by_id=user_id,
    )
    await User.filter(id=user_id).update(generation_job_id=job.id)
    await SignInAddress.get_or_create(
        user_id=user_id, address="198.51.100.9", defaults={"last_signed_in_at": now}
    )
    if queued:
        await RefitRequest.create(
            user_id=user_id, first_requested_ms=FAR_FUTURE_MS, due_ms=FAR_FUTURE_MS
        )
        await ForecastLease.create(user_id=user_id, slot=0, holder=tag, expires_at=FAR_FUTURE_MS)
    return {"webhook secret": secret, "reset token hash": reset_hash, "job hash": job_hash}
