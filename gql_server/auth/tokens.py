"""JWT access and refresh tokens: HS256 pinned, typed, tied to the user's token version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import jwt

from gql_server.errors import Unauthenticated
from gql_server.settings import Settings

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]
REQUIRED_CLAIMS = ["exp", "iat", "sub", "typ", "ver", "jti"]


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_type: TokenType
    version: int
    jti: uuid.UUID
    issued_at: datetime
    expires_at: datetime
    # The session (refresh-token family) the token belongs to; None in tokens issued before
    # sessions were kept.
    session: uuid.UUID | None = None


def issue_token(
    settings: Settings,
    user_id: int,
    version: int,
    token_type: TokenType,
    session: uuid.UUID | None = None,
) -> TokenClaims:
    now = datetime.now(UTC).replace(microsecond=0)
    ttl = settings.access_token_ttl if token_type == "access" else settings.refresh_token_ttl  # noqa: S105 - a token kind, not a secret
    return TokenClaims(
        user_id=user_id,
        token_type=token_type,
        version=version,
        jti=uuid.uuid4(),
        issued_at=now,
        expires_at=now + ttl,
        session=session,
    )


def encode_token(settings: Settings, claims: TokenClaims) -> str:
    payload = {
        "sub": str(claims.user_id),
        "typ": claims.token_type,
        "ver": claims.version,
        "jti": str(claims.jti),
        "iat": claims.issued_at,
        "exp": claims.expires_at,
    }
    if claims.session is not None:
        payload["sid"] = str(claims.session)
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM)


def decode_token(settings: Settings, token: str, expected_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, expiry and type; raise UNAUTHENTICATED otherwise."""
    try:
        payload = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token has expired; sign in again or refresh it") from None
    except jwt.PyJWTError:
        raise Unauthenticated("token is invalid") from None
    if payload.get("typ") != expected_type:
        raise Unauthenticated(f"an {expected_type} token is required here")
    try:
        return TokenClaims(
            user_id=int(payload["sub"]),
            token_type=expected_type,
            version=int(payload["ver"]),
            jti=uuid.UUID(str(payload["jti"])),
            issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
            session=uuid.UUID(str(payload["sid"])) if "sid" in payload else None,
        )
    except (TypeError, ValueError):
        raise Unauthenticated("token is invalid") from None


def bearer_token(authorization: str) -> str | None:
    """The token of an "Authorization: Bearer <token>" header's value (None for any other)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
