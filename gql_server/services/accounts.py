"""Accounts: registration, sign-in with rotation of refresh tokens, revocation, admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from gql_server.auth import passwords, rate_limits, tokens
from gql_server.errors import BadUserInput, Conflict, Unauthenticated
from gql_server.models import RefreshToken, Role, User
from gql_server.settings import Settings

BAD_CREDENTIALS = "email or password is incorrect"


@dataclass(frozen=True)
class Session:
    access_token: str
    refresh_token: str
    expires_at: datetime
    user: User


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    full_name: str
    city: str | None = None
    occupation: str | None = None


def normalize_email(email: str) -> str:
    """Lower-case a syntactically valid address; raise BAD_USER_INPUT otherwise."""
    if len(email) > 254:
        raise BadUserInput("email must be at most 254 characters", field="email")
    try:
        normalized = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BadUserInput(f"email is not valid: {exc}", field="email") from None
    return normalized.lower()


def _bounded_text(value: str | None, field: str, max_length: int, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise BadUserInput(f"{field} must not be empty", field=field)
        return None
    if len(text) > max_length:
        raise BadUserInput(f"{field} must be at most {max_length} characters", field=field)
    return text


async def register(settings: Settings, form: Registration, client_address: str) -> Session:
    email = normalize_email(form.email)
    full_name = _bounded_text(form.full_name, "fullName", 120, required=True)
    city = _bounded_text(form.city, "city", 60, required=False)
    occupation = _bounded_text(form.occupation, "occupation", 80, required=False)
    passwords.check_password_policy(form.password, user_inputs=(email, full_name or ""))
    await rate_limits.hit(
        f"register:address:{client_address}",
        settings.registrations_per_address,
        settings.login_window,
    )
    if await User.filter(email=email).exists():
        raise Conflict("an account with this email already exists", field="email")
    password_hash = await passwords.hash_password(form.password)
    try:
        user = await User.create(
            email=email,
            password_hash=password_hash,
            full_name=full_name,
            city=city,
            occupation=occupation,
        )
    except IntegrityError:  # a concurrent registration won the race for this email
        raise Conflict("an account with this email already exists", field="email") from None
    return await _start_session(settings, user)


async def login(settings: Settings, email: str, password: str, client_address: str) -> Session:
    email = normalize_email(email)
    account_key = f"login:account:{email}"
    address_key = f"login:address:{client_address}"
    # Counted before the password is checked, so parallel guesses are all counted.
    await rate_limits.hit(account_key, settings.login_attempts_per_account, settings.login_window)
    await rate_limits.hit(address_key, settings.login_attempts_per_address, settings.login_window)
    user = await User.get_or_none(email=email)
    valid = await passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        raise Unauthenticated(BAD_CREDENTIALS)
    await rate_limits.release(account_key, settings.login_window)
    await rate_limits.release(address_key, settings.login_window)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
        await user.save(update_fields=["password_hash"])
    return await _start_session(settings, user)


async def refresh(settings: Settings, refresh_token: str) -> Session:
    claims = tokens.decode_token(settings, refresh_token, "refresh")
    now = datetime.now(UTC)
    # One conditional UPDATE: of two concurrent refreshes with the same token, one wins.
    used = await RefreshToken.filter(
        jti=claims.jti, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not used:
        if await RefreshToken.filter(jti=claims.jti, used_at__isnull=False).exists():
            # A used token presented again means it leaked: end every session of the user.
            await _bump_token_version(claims.user_id)
            raise Unauthenticated("refresh token was already used; every session was signed out")
        raise Unauthenticated("refresh token is invalid or expired")
    user = await User.get_or_none(id=claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise Unauthenticated("refresh token was revoked; sign in again")
    return await _start_session(settings, user)


async def logout(user: User) -> None:
    await _bump_token_version(user.id)
    await RefreshToken.filter(user_id=user.id).delete()


async def authenticate(settings: Settings, access_token: str) -> User:
    claims = tokens.decode_token(settings, access_token, "access")
    user = await User.get_or_none(id=claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise Unauthenticated("token was revoked; sign in again")
    return user


async def create_admin(email: str, password: str, full_name: str = "Administrator") -> User:
    """Create an admin, or promote (and reset the password of) an existing account."""
    email = normalize_email(email)
    passwords.check_password_policy(password, user_inputs=(email,))
    password_hash = await passwords.hash_password(password)
    user = await User.get_or_none(email=email)
    if user is None:
        return await User.create(
            email=email, password_hash=password_hash, full_name=full_name, role=Role.ADMIN
        )
    user.role = Role.ADMIN
    user.password_hash = password_hash
    user.is_active = True
    await user.save(update_fields=["role", "password_hash", "is_active"])
    return user


async def _bump_token_version(user_id: int) -> None:
    await User.filter(id=user_id).update(token_version=F("token_version") + 1)


async def _start_session(settings: Settings, user: User) -> Session:
    access = tokens.issue_token(settings, user.id, user.token_version, "access")
    refresh_claims = tokens.issue_token(settings, user.id, user.token_version, "refresh")
    await RefreshToken.create(
        jti=refresh_claims.jti,
        user_id=user.id,
        issued_at=refresh_claims.issued_at,
        expires_at=refresh_claims.expires_at,
    )
    return Session(
        access_token=tokens.encode_token(settings, access),
        refresh_token=tokens.encode_token(settings, refresh_claims),
        expires_at=access.expires_at,
        user=user,
    )
