"""All Tortoise models. The migration tool reads this module; every change here needs a migration.

Model docstrings become table comments, and Tortoise 1.1's SQLite migration runner splits
statements on ";" even inside comments: keep semicolons and backticks out of them.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class User(Model):
    id = fields.IntField(primary_key=True)
    # Stored lower-cased, which is what makes the unique index case-insensitive.
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    full_name = fields.CharField(max_length=120)
    city = fields.CharField(max_length=60, null=True)
    occupation = fields.CharField(max_length=80, null=True)
    income_pattern = fields.CharField(max_length=20, null=True)
    currency = fields.CharField(max_length=3, default="INR")
    timezone = fields.CharField(max_length=40, default="Asia/Kolkata")
    role = fields.CharEnumField(Role, max_length=10, default=Role.USER)
    is_active = fields.BooleanField(default=True)
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
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_token"


class RateLimitCounter(Model):
    """Attempts per key in a fixed time window, shared by every server process."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=300)
    window = fields.BigIntField()
    count = fields.IntField(default=0)

    class Meta:
        table = "rate_limit_counter"
        unique_together = (("key", "window"),)
