"""Accounts: registration, sign-in with rotation of refresh tokens, revocation, admins."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from gql_server.auth import passwords, rate_limits, tokens
from gql_server.auth.emails import email_skeleton, normalize_email
from gql_server.errors import BadUserInput, Conflict, NotFound, Unauthenticated
from gql_server.models import PasswordResetToken, RefreshToken, Role, SignInAddress, User
from gql_server.services.erasure import SELF, erase_user
from gql_server.settings import Settings

BAD_CREDENTIALS = "email or password is incorrect"
TAKEN = "an account with this email already exists"
LOOKALIKE = "an account with an email that looks the same already exists"
# An address the owner signed in from within this long is theirs for the account-wide limit.
KNOWN_ADDRESS_FOR = timedelta(days=30)
# A refresh token spent this recently is honoured once more: two tabs refreshing together.
GRACE_SECONDS = 10
MAX_SESSIONS_LISTED = 100


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


def _bounded_text(value: str | None, field: str, max_length: int, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise BadUserInput(f"{field} must not be empty", field=field)
        return None
    if len(text) > max_length:
        raise BadUserInput(f"{field} must be at most {max_length} characters", field=field)
    return text


async def register(
    settings: Settings, form: Registration, client_address: str, user_agent: str | None = None
) -> Session:
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
    skeleton = email_skeleton(email)
    await _refuse_taken(email, skeleton)
    password_hash = await passwords.hash_password(form.password)
    try:
        user = await User.create(
            email=email,
            email_skeleton=skeleton,
            password_hash=password_hash,
            full_name=full_name,
            city=city,
            occupation=occupation,
        )
    except IntegrityError:  # a concurrent registration won the race for this address's look
        await _refuse_taken(email, skeleton)
        raise Conflict(TAKEN, field="email") from None
    await _remember_address(user, client_address)
    return await _start_session(settings, user, user_agent=user_agent)


async def _refuse_taken(email: str, skeleton: str) -> None:
    if await User.filter(email=email).exists():
        raise Conflict(TAKEN, field="email")
    if await User.filter(email_skeleton=skeleton).exists():
        raise Conflict(LOOKALIKE, field="email")


async def login(
    settings: Settings,
    email: str,
    password: str,
    client_address: str,
    user_agent: str | None = None,
) -> Session:
    """Sign in, counted (before the password is checked, so parallel guesses all count) under
    three limits, each checked only if the one before let the attempt through: the address,
    the address at this account, and the account from addresses its owner has not used
    lately. A guesser is stopped; the owner, at home, is not."""
    email = normalize_email(email)
    window = settings.login_window
    address_key = f"login:address:{client_address}"
    pair_key = f"login:account-address:{email}:{client_address}"
    account_key = f"login:account:{email}"
    await rate_limits.hit(address_key, settings.login_attempts_per_address, window)
    await rate_limits.hit(pair_key, settings.login_attempts_per_account_address, window)
    user = await User.get_or_none(email=email)
    counted = [address_key, pair_key]
    if user is None or not await _known_address(user, client_address):
        await rate_limits.hit(account_key, settings.login_attempts_per_account, window)
        counted.append(account_key)
    valid = await passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        raise Unauthenticated(BAD_CREDENTIALS)
    for key in counted:
        await rate_limits.release(key, window)
    await _remember_address(user, client_address)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
        await user.save(update_fields=["password_hash"])
    return await _start_session(settings, user, user_agent=user_agent)


async def _known_address(user: User, address: str) -> bool:
    since = datetime.now(UTC) - KNOWN_ADDRESS_FOR
    return await SignInAddress.filter(
        user_id=user.id, address=address, last_signed_in_at__gt=since
    ).exists()


async def _remember_address(user: User, address: str) -> None:
    now = datetime.now(UTC)
    stale = now - KNOWN_ADDRESS_FOR
    await SignInAddress.filter(user_id=user.id, last_signed_in_at__lte=stale).delete()
    updated = await SignInAddress.filter(user_id=user.id, address=address).update(
        last_signed_in_at=now
    )
    if not updated:
        # The same owner signing in twice at once: the other one remembered it.
        with contextlib.suppress(IntegrityError):
            await SignInAddress.create(user_id=user.id, address=address, last_signed_in_at=now)


async def refresh(settings: Settings, refresh_token: str, user_agent: str | None = None) -> Session:
    """A new pair for a refresh token, which is spent (rotation), in the same session. A token
    spent within the last GRACE_SECONDS is honoured once more (two tabs refreshing at the same
    moment must not sign the user out everywhere); one spent earlier than that leaked: every
    session of the user ends."""
    claims = tokens.decode_token(settings, refresh_token, "refresh")
    now = datetime.now(UTC)
    # One conditional UPDATE: of two concurrent refreshes with the same token, one wins.
    used = await RefreshToken.filter(
        jti=claims.jti, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    row = await RefreshToken.get_or_none(jti=claims.jti)
    if not used:
        if row is None or row.used_at is None or row.expires_at <= now:
            raise Unauthenticated("refresh token is invalid or expired")
        grace = timedelta(seconds=GRACE_SECONDS)
        # Once: the grace is taken by moving the spend back past it (one conditional UPDATE,
        # so of two late tabs one gets it); a token replayed again within the seconds counts
        # as leaked like any later one.
        if now - row.used_at > grace or not await RefreshToken.filter(
            jti=claims.jti, used_at=row.used_at
        ).update(used_at=row.used_at - grace - timedelta(seconds=1)):
            # A used token presented again means it leaked: end every session of the user.
            await sign_out_everywhere(claims.user_id)
            raise Unauthenticated("refresh token was already used; every session was signed out")
    assert row is not None  # spent just now by this request, or within the grace
    user = await User.get_or_none(id=claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise Unauthenticated("refresh token was revoked; sign in again")
    return await _start_session(
        settings,
        user,
        session_id=row.session_id,
        started_at=row.session_started_at,
        user_agent=user_agent or row.user_agent,
    )


async def logout(user: User) -> None:
    await sign_out_everywhere(user.id)


async def sign_out_everywhere(user_id: int, connection: BaseDBAsyncClient | None = None) -> None:
    """Every access token (through the version) and refresh token of the user stops working
    (within `connection`'s transaction when one is given)."""
    await User.filter(id=user_id).using_db(connection).update(token_version=F("token_version") + 1)
    await RefreshToken.filter(user_id=user_id).using_db(connection).delete()
    # A reset link mailed before (the owner changed the password, an operator re-credentialed
    # the account) must not undo it.
    await (
        PasswordResetToken.filter(user_id=user_id, used_at__isnull=True)
        .using_db(connection)
        .delete()
    )


async def change_password(
    settings: Settings,
    user: User,
    current_password: str,
    new_password: str,
    user_agent: str | None = None,
) -> Session:
    """A new password, after the current one: every other session ends (access tokens by the
    version, refresh tokens deleted) and the caller gets fresh tokens. Wrong guesses at the
    current password count like failed sign-ins at the account, so a stolen access token
    cannot be used to find the password; nothing changes on any refusal."""
    key = f"password-change:{user.id}"
    await rate_limits.hit(key, settings.login_attempts_per_account_address, settings.login_window)
    if not await passwords.verify_password(user.password_hash, current_password):
        raise BadUserInput(
            "the current password is not right", field="currentPassword", reason="WRONG_PASSWORD"
        )
    await rate_limits.release(key, settings.login_window)
    if new_password == current_password:
        raise BadUserInput(
            "the new password must differ from the current one",
            field="newPassword",
            reason="SAME_PASSWORD",
        )
    problem = passwords.password_problem(new_password, user_inputs=(user.email, user.full_name))
    if problem:
        raise BadUserInput(problem, field="newPassword", reason="WEAK_PASSWORD")
    password_hash = await passwords.hash_password(new_password)
    await User.filter(id=user.id).update(password_hash=password_hash)
    await sign_out_everywhere(user.id)
    fresh = await User.get(id=user.id)
    return await _start_session(settings, fresh, user_agent=user_agent)


async def delete_account(settings: Settings, user: User, password: str) -> None:
    """Erases the account once its password is given (services/erasure): every row of the
    user goes, the user's included, so every token of theirs is refused from then on. Wrong
    guesses count like changePassword's: a stolen access token can neither erase the account
    nor find its password. A refusal changes nothing."""
    key = f"account-delete:{user.id}"
    await rate_limits.hit(key, settings.login_attempts_per_account_address, settings.login_window)
    if not await passwords.verify_password(user.password_hash, password):
        raise BadUserInput("the password is not right", field="password", reason="WRONG_PASSWORD")
    await erase_user(user.id, SELF)  # the counter under `key` goes with the rest


async def authenticate(settings: Settings, access_token: str) -> User:
    claims = tokens.decode_token(settings, access_token, "access")
    user = await User.get_or_none(id=claims.user_id)
    if user is None or not user.is_active or user.token_version != claims.version:
        raise Unauthenticated("token was revoked; sign in again")
    return user


async def authenticate_live_session(settings: Settings, access_token: str) -> User:
    """`authenticate`, and the token's session must not have been ended: an access token of a
    session ended by revokeSession lives out its ACCESS_TOKEN_TTL for ordinary reads, but not
    for taking all of the account's data or erasing it."""
    user = await authenticate(settings, access_token)
    session = tokens.decode_token(settings, access_token, "access").session
    if session is not None and not await session_is_live(user.id, session):
        raise Unauthenticated("this session was ended; sign in again")
    return user


async def session_is_live(user_id: int, session_id: uuid.UUID) -> bool:
    return await RefreshToken.filter(user_id=user_id, session_id=session_id).exists()


async def create_admin(email: str, password: str, full_name: str = "Administrator") -> User:
    """Create an admin, or promote (and reset the password of) an existing account."""
    email = normalize_email(email)
    passwords.check_password_policy(password, user_inputs=(email,))
    password_hash = await passwords.hash_password(password)
    user = await User.get_or_none(email=email)
    if user is None:
        skeleton = email_skeleton(email)
        if await User.filter(email_skeleton=skeleton).exists():
            raise Conflict(LOOKALIKE, field="email")
        return await User.create(
            email=email,
            email_skeleton=skeleton,
            password_hash=password_hash,
            full_name=full_name,
            role=Role.ADMIN,
        )
    user.role = Role.ADMIN
    user.password_hash = password_hash
    user.is_active = True
    await user.save(update_fields=["role", "password_hash", "is_active"])
    # Sessions opened under the old password and role end: the account's new holder signs in.
    await sign_out_everywhere(user.id)
    return await User.get(id=user.id)


async def _start_session(
    settings: Settings,
    user: User,
    *,
    session_id: uuid.UUID | None = None,
    started_at: datetime | None = None,
    user_agent: str | None = None,
) -> Session:
    """A new access and refresh token: of a new session (a sign-in), or of `session_id` (a
    refresh continues it)."""
    session = session_id or uuid.uuid4()
    access = tokens.issue_token(settings, user.id, user.token_version, "access", session)
    refresh_claims = tokens.issue_token(settings, user.id, user.token_version, "refresh", session)
    await RefreshToken.create(
        jti=refresh_claims.jti,
        user_id=user.id,
        issued_at=refresh_claims.issued_at,
        expires_at=refresh_claims.expires_at,
        session_id=session,
        session_started_at=started_at or refresh_claims.issued_at,
        user_agent=(user_agent or "")[:200] or None,
    )
    return Session(
        access_token=tokens.encode_token(settings, access),
        refresh_token=tokens.encode_token(settings, refresh_claims),
        expires_at=access.expires_at,
        user=user,
    )


@dataclass(frozen=True)
class SignedInSession:
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime  # its last sign-in or refresh
    user_agent: str | None


async def sessions(user: User) -> list[SignedInSession]:
    """The user's sessions that can still refresh, the most recently used first."""
    now = datetime.now(UTC)
    live = await RefreshToken.filter(
        user_id=user.id, used_at__isnull=True, expires_at__gt=now, session_id__isnull=False
    ).order_by("-issued_at")
    found: dict[uuid.UUID, SignedInSession] = {}
    for row in live:
        if row.session_id is not None and row.session_id not in found:
            found[row.session_id] = SignedInSession(
                id=row.session_id,
                created_at=row.session_started_at or row.issued_at,
                last_used_at=row.issued_at,
                user_agent=row.user_agent,
            )
    return list(found.values())[:MAX_SESSIONS_LISTED]


async def revoke_session(user: User, session_id: str) -> None:
    """Ends one of the user's sessions: its refresh tokens go, so it cannot refresh; its
    access token lapses within ACCESS_TOKEN_TTL (access tokens are checked by the account's
    token version, which would end every session). Someone else's is NOT_FOUND."""
    try:
        wanted = uuid.UUID(session_id)
    except ValueError:
        raise NotFound("session not found", field="id") from None
    removed = await RefreshToken.filter(user_id=user.id, session_id=wanted).delete()
    if not removed:
        raise NotFound("session not found", field="id")
