"""Email addresses as accounts know them: one spelling per address, and one account per look.

`ａｄｍｉｎ@example.com` (fullwidth) is the same text as `admin@example.com` once NFKC-folded,
so it is stored folded. `аdmin@example.com` (a Cyrillic а) is another address, but one a
person cannot tell from the first: its skeleton (every character that looks like an ASCII
one replaced by it, after Unicode's confusables list) is the same, and the unique skeleton
column refuses the second account, whichever registration commits first.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables
from email_validator import EmailNotValidError, validate_email

from gql_server.errors import BadUserInput

MAX_EMAIL_LENGTH = 254


def normalize_email(email: str) -> str:
    """The address as stored and looked up: NFKC-folded, valid, lower-cased."""
    folded = unicodedata.normalize("NFKC", email).strip()
    if len(folded) > MAX_EMAIL_LENGTH or len(email) > 4 * MAX_EMAIL_LENGTH:
        raise BadUserInput(f"email must be at most {MAX_EMAIL_LENGTH} characters", field="email")
    try:
        normalized = validate_email(folded, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BadUserInput(f"email is not valid: {exc}", field="email") from None
    return normalized.lower()


@lru_cache(maxsize=4096)
def _ascii_lookalike(character: str) -> str:
    found = confusables.is_confusable(character, greedy=True, preferred_aliases=["latin"]) or []
    lookalikes = {
        glyph["c"]
        for entry in found
        for glyph in entry["homoglyphs"]
        if len(glyph["c"]) == 1 and glyph["c"].isascii()
    }
    return min(lookalikes).lower() if lookalikes else character


def email_skeleton(normalized_email: str) -> str:
    """What the address looks like: equal skeletons are addresses a person confuses. An
    ASCII address is its own skeleton (bob1 and bobl are different people's addresses)."""
    if normalized_email.isascii():
        return normalized_email
    # Decomposed first, as TR39's skeleton is, so an accent stays a difference.
    decomposed = unicodedata.normalize("NFD", normalized_email)
    return "".join(c if c.isascii() else _ascii_lookalike(c) for c in decomposed)
