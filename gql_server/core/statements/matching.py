"""Exactly once: which statement lines the ledger already holds, which confirm a row the
person entered by hand, and which are new.

Three passes, strictest first, each existing row used at most once (beancount's beangulp and
hledger's `import` both match this way: a bank's own id when there is one, otherwise the
row's content, counted, so that two identical rows in one file both stay):
1. the bank's reference (UTR, RRN, AA txnId) with the same amount and direction;
2. (day, amount, direction, narration) among rows earlier imports added, with occurrence
   counts: the k-th identical line is a duplicate only if the ledger holds k such rows;
3. a row entered by hand (no import) with the same amount and direction within two days and
   a similar counterparty is linked: the statement's details are added to it, not a second row
   (a row linked before is a duplicate the next time).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher

LINK_DAYS = 2
SIMILAR = 0.6  # difflib ratio of two counterparty names that are taken to be the same


@dataclass(frozen=True)
class Incoming:
    """A statement line as the ledger would hold it."""

    day: date
    amount: Decimal
    credit: bool
    narration: str
    reference: str | None
    counterparty: str
    vpa: str | None = None


@dataclass(frozen=True)
class Existing:
    """A ledger row near the statement's dates."""

    id: int
    day: date
    amount: Decimal
    credit: bool
    narration: str  # the row's description: an imported row keeps the statement's narration
    reference: str | None
    counterparty: str  # the row's merchant
    imported: bool  # added by an earlier import (rows entered by hand are not)
    vpa: str | None = None
    confirmed: bool = False  # entered by hand and already linked to a statement line


@dataclass(frozen=True)
class Matches:
    added: tuple[int, ...]  # positions of the incoming lines to add
    duplicates: tuple[int, ...]  # positions already in the ledger
    links: tuple[tuple[int, int], ...]  # (position, id of the row entered by hand)


_NOT_WORD = re.compile(r"[^0-9a-z]+")


def narration_key(text: str) -> str:
    """A narration compared across downloads of one statement: case, spacing and punctuation
    differ between a bank's CSV and its XLS, the words do not."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def _tokens(name: str) -> set[str]:
    return {t for t in _NOT_WORD.split(name.lower()) if len(t) > 1}


def similar_counterparty(line: Incoming, row: Existing) -> bool:
    """Whether a row entered by hand names the same other side as a statement line: the same
    UPI address, one name's words inside the other's, or names spelled nearly alike."""
    if line.vpa and row.vpa and line.vpa.lower() == row.vpa.lower():
        return True
    mine = row.counterparty or row.narration
    theirs = [line.counterparty, line.vpa.split("@")[0] if line.vpa else ""]
    a = _tokens(mine)
    for name in theirs:
        b = _tokens(name)
        if not a or not b:
            continue
        if a <= b or b <= a:
            return True
        if SequenceMatcher(None, " ".join(sorted(a)), " ".join(sorted(b))).ratio() >= SIMILAR:
            return True
    return False


def match_lines(incoming: list[Incoming], existing: list[Existing]) -> Matches:
    """Decide for each incoming line: duplicate, link to a row entered by hand, or add."""
    used: set[int] = set()
    decided: dict[int, tuple[str, int]] = {}
    by_reference: dict[tuple[str, Decimal, bool], list[Existing]] = defaultdict(list)
    by_content: dict[tuple[date, Decimal, bool, str], list[Existing]] = defaultdict(list)
    for row in sorted(existing, key=lambda r: r.id):
        if row.reference:
            by_reference[row.reference, row.amount, row.credit].append(row)
        if row.imported:
            by_content[row.day, row.amount, row.credit, narration_key(row.narration)].append(row)

    def take(candidates: list[Existing]) -> Existing | None:
        for row in candidates:
            if row.id not in used:
                used.add(row.id)
                return row
        return None

    for position, line in enumerate(incoming):
        if line.reference and take(by_reference[line.reference, line.amount, line.credit]):
            decided[position] = ("duplicate", 0)
    for position, line in enumerate(incoming):
        key = (line.day, line.amount, line.credit, narration_key(line.narration))
        if position not in decided and take(by_content[key]):
            decided[position] = ("duplicate", 0)
    # Rows entered by hand, by (amount, direction): a line is compared only with its few
    # candidates, not with every such row (50,000 lines against thousands of rows).
    by_hand: dict[tuple[Decimal, bool], list[Existing]] = defaultdict(list)
    for row in existing:
        if not row.imported:
            by_hand[row.amount, row.credit].append(row)
    for position, line in enumerate(incoming):
        if position in decided:
            continue
        nearest = _nearest_by_hand(line, by_hand[line.amount, line.credit], used)
        if nearest is not None:
            used.add(nearest.id)
            decided[position] = ("duplicate", 0) if nearest.confirmed else ("link", nearest.id)
    return Matches(
        added=tuple(p for p in range(len(incoming)) if p not in decided),
        duplicates=tuple(p for p, (kind, _) in sorted(decided.items()) if kind == "duplicate"),
        links=tuple((p, row_id) for p, (kind, row_id) in sorted(decided.items()) if kind == "link"),
    )


def _nearest_by_hand(line: Incoming, rows: list[Existing], used: set[int]) -> Existing | None:
    """Among the rows entered by hand with the line's amount and direction, the unused one
    it confirms, the closest in date."""
    best: Existing | None = None
    for row in rows:
        if row.id in used:
            continue
        gap = abs((row.day - line.day).days)
        if gap > LINK_DAYS or not similar_counterparty(line, row):
            continue
        if best is None or gap < abs((best.day - line.day).days):
            best = row
    return best
