"""Standard Webhooks signatures (https://www.standardwebhooks.com, the symmetric `v1` scheme).

The secret is `whsec_` + base64 of 24 to 64 random bytes; the signature is
HMAC-SHA256(key, f"{msg_id}.{timestamp}.{body}") sent as `webhook-signature: v1,<base64>`
next to `webhook-id` and `webhook-timestamp` (unix seconds). The HMAC itself is computed by
the spec's reference library, so what we send is what its verifiers in every language check.
Timestamps are wall-clock time, never the ledger's pinned clock: they guard against replay.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks import Webhook

# The spec's marker for a symmetric key, not a credential.
SECRET_PREFIX = "whsec_"  # noqa: S105
SECRET_BYTES = 32
_MIN_KEY_BYTES, _MAX_KEY_BYTES = 24, 64
# Unix seconds as ASCII digits; `int()` alone would also take "1_000", " 12" or "١٢".
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def new_secret() -> str:
    """A fresh signing secret, `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    # Stricter than the reference library (which pads and skips stray characters): a secret
    # that is not what `new_secret` makes is a configuration error, better raised than signed.
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook secret is not whsec_ followed by base64") from None
    if not _MIN_KEY_BYTES <= len(key) <= _MAX_KEY_BYTES:
        raise ValueError("webhook secret must hold 24 to 64 bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value (`v1,<base64>`) for one delivery attempt."""
    return Webhook(_key(secret)).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The request headers of one attempt: the three Standard Webhooks headers and the JSON
    content type. Every retry keeps `msg_id` (receivers deduplicate on it) and signs anew with
    the attempt's own timestamp."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, tolerance_s: float = 300) -> bool:
    """Whether `body` and `headers` carry a valid signature by `secret` made within
    `tolerance_s` seconds of now. The header may list several space-separated signatures
    (secret rotation); one match is enough."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not msg_id or not signatures or not _TIMESTAMP.fullmatch(stamp):
        return False
    timestamp = int(stamp)
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    expected = sign(secret, msg_id, timestamp, body).encode()
    # Constant-time comparison: a verifier that answers faster for a closer guess is an oracle.
    return any(hmac.compare_digest(expected, given.encode()) for given in signatures.split(" "))
