"""Password reset by mail: a request mails a single-use link, the link sets a new password once.

A request answers the same whatever the email: it counts the attempt (under limits that count
every email alike, whether it has an account or not), and everything that depends on the
account (looking it up, making a token, mailing it) runs after the answer, in the background.
Only the token's SHA-256 is stored: someone who reads the database cannot use a pending link.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from gql_server.auth import passwords, rate_limits
from gql_server.auth.emails import normalize_email
from gql_server.errors import BadUserInput
from gql_server.mail import Mailer
from gql_server.models import PasswordResetToken, User
from gql_server.services import accounts
from gql_server.settings import Settings

logger = logging.getLogger("gql_server.accounts")

# A link is 32 random bytes: guessing one is hopeless; the rate limits are for floods.
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 200
# Links not yet used, per account: a few requests in a row all work until one is used.
MAX_PENDING_PER_USER = 5

SUBJECT = "Reset your GigCash password"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_counter_key(email: str) -> str:
    # The counter's key holds a digest, not the address: counters are kept for every address
    # asked about, with or without an account.
    return "password-reset:email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def use_counter_key(user_id: int) -> str:
    return f"password-reset-use:user:{user_id}"


async def request_reset(
    settings: Settings, mailer: Mailer, email: str, client_address: str
) -> None:
    """Count the request, then mail a link in the background if the email has an account.
    A malformed email is BAD_USER_INPUT (that says nothing about any account); too many
    requests for one email or from one address are RATE_LIMITED, whether or not it exists."""
    try:
        normalized = normalize_email(email)
    except BadUserInput as exc:
        raise BadUserInput(exc.message, field="email", reason="INVALID_EMAIL") from None
    window = settings.login_window
    await rate_limits.hit(
        f"password-reset:address:{client_address}", settings.password_resets_per_address, window
    )
    await rate_limits.hit(email_counter_key(normalized), settings.password_resets_per_email, window)
    mailer.later(_mail_link(settings, mailer, normalized), "a password reset mail")


async def _mail_link(settings: Settings, mailer: Mailer, email: str) -> None:
    user = await User.get_or_none(email=email)
    if user is None or not user.is_active:
        return  # nothing is mailed to an address without an account
    now = datetime.now(UTC)
    await PasswordResetToken.filter(user_id=user.id, expires_at__lte=now).delete()
    pending = await PasswordResetToken.filter(user_id=user.id, used_at__isnull=True).count()
    if pending >= MAX_PENDING_PER_USER:
        return  # the rate limit allows a few more; their mails would only pile up
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = await PasswordResetToken.create(
        user_id=user.id,
        token_hash=_digest(token),
        created_at=now,
        expires_at=now + settings.password_reset_ttl,
    )
    try:
        await mailer.send(mailer.message(user.email, SUBJECT, _body(settings, user, token)))
    except BaseException:
        # Nobody has the link: it must not count against MAX_PENDING_PER_USER once the SMTP
        # server is back.
        await PasswordResetToken.filter(id=row.id).delete()
        raise


def _body(settings: Settings, user: User, token: str) -> str:
    minutes = round(settings.password_reset_ttl.total_seconds() / 60)
    if settings.password_reset_url:
        step = f"Open this link to choose a new password:\n\n{settings.password_reset_url}"
        step = step.replace("{token}", token)
    else:
        step = f"Paste this reset code in the app to choose a new password:\n\n{token}"
    return (
        f"Hello {user.full_name},\n\n"
        "someone (we hope you) asked to reset the password of your GigCash account.\n"
        f"{step}\n\n"
        f"It works once, for the next {minutes} minutes. Every device signed in to your "
        "account will be signed out.\n\n"
        "If you did not ask, ignore this mail: your password stays as it is.\n"
    )


async def reset_password(
    settings: Settings, token: str, new_password: str, client_address: str
) -> None:
    """Set a new password with a mailed token, once; every session of the account ends.
    Refusals change nothing: the token still works after a weak password was refused."""
    # Its own key: requests from a shared address (a carrier's NAT) must not block finishing
    # a reset there.
    await rate_limits.hit(
        f"password-reset-use:address:{client_address}",
        settings.password_resets_per_address,
        settings.login_window,
    )
    row = None
    if 0 < len(token) <= MAX_TOKEN_LENGTH:
        row = await PasswordResetToken.get_or_none(token_hash=_digest(token))
    if row is None:
        raise BadUserInput("the reset link is not valid", field="token", reason="INVALID_TOKEN")
    if row.used_at is not None:
        raise BadUserInput(
            "the reset link was already used; ask for a new one", field="token", reason="USED_TOKEN"
        )
    now = datetime.now(UTC)
    if row.expires_at <= now:
        raise BadUserInput(
            "the reset link has expired; ask for a new one", field="token", reason="EXPIRED_TOKEN"
        )
    user = await User.get_or_none(id=row.user_id)
    if user is None or not user.is_active:
        raise BadUserInput("the reset link is not valid", field="token", reason="INVALID_TOKEN")
    # Per account, from every address: refusals leave the link usable, and SAME_PASSWORD
    # answers whether a guess is the current password, so whoever holds a link gets a few
    # tries, not one per address.
    await rate_limits.hit(
        use_counter_key(user.id), settings.password_resets_per_email, settings.login_window
    )
    problem = passwords.password_problem(new_password, user_inputs=(user.email, user.full_name))
    if problem:
        raise BadUserInput(problem, field="newPassword", reason="WEAK_PASSWORD")
    if await passwords.verify_password(user.password_hash, new_password):
        raise BadUserInput(
            "the new password must differ from the current one",
            field="newPassword",
            reason="SAME_PASSWORD",
        )
    password_hash = await passwords.hash_password(new_password)
    async with in_transaction() as connection:
        # One conditional UPDATE: of two requests with the same link, one sets the password.
        spent = (
            await PasswordResetToken.filter(id=row.id, used_at__isnull=True)
            .using_db(connection)
            .update(used_at=now)
        )
        if not spent:
            raise BadUserInput(
                "the reset link was already used; ask for a new one",
                field="token",
                reason="USED_TOKEN",
            )
        await User.filter(id=user.id).using_db(connection).update(password_hash=password_hash)
        # The account's other links go too: one of them may be what the attacker holds.
        await (
            PasswordResetToken.filter(user_id=user.id, used_at__isnull=True)
            .using_db(connection)
            .delete()
        )
        await accounts.sign_out_everywhere(user.id, connection)
    logger.info("password reset for user %s", user.id)
