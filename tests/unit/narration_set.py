"""The labelled narration set and per-field accuracy over it, for the tests and the bench.

`tests/unit/data/narrations.csv` holds real-shaped narrations of HDFC, ICICI, SBI and Axis,
each with the fields a correct decoder reads from it. An empty cell means None (or "" for the
counterparty); p2m and credit are "true", "false" or empty.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from gql_server.core.statements.narration import Narration, PaymentMode, decode_narration

NARRATIONS_CSV = Path(__file__).parent / "data" / "narrations.csv"
FIELDS: tuple[str, ...] = ("mode", "counterparty", "vpa", "bank", "reference", "p2m", "credit")


@dataclass(frozen=True)
class LabelledNarration:
    statement_bank: str
    narration: str
    mode: PaymentMode
    counterparty: str
    vpa: str | None
    bank: str | None
    reference: str | None
    p2m: bool | None
    credit: bool | None

    def expected(self, field: str) -> object:
        return getattr(self, field)


def _optional(cell: str) -> str | None:
    return cell or None


def _flag(cell: str) -> bool | None:
    return {"true": True, "false": False, "": None}[cell.strip().lower()]


def load_rows(path: Path = NARRATIONS_CSV) -> list[LabelledNarration]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            LabelledNarration(
                statement_bank=row["statement_bank"],
                narration=row["narration"],
                mode=PaymentMode(row["mode"]),
                counterparty=row["counterparty"],
                vpa=_optional(row["vpa"]),
                bank=_optional(row["bank"]),
                reference=_optional(row["reference"]),
                p2m=_flag(row["p2m"]),
                credit=_flag(row["credit"]),
            )
            for row in csv.DictReader(handle)
        ]


def decoded_field(narration: Narration, field: str) -> object:
    """The decoder's value for a label column (p2m is `person_to_merchant`)."""
    return narration.person_to_merchant if field == "p2m" else getattr(narration, field)


def field_misses(
    rows: Iterable[LabelledNarration],
    decode: Callable[[str], Narration] = decode_narration,
) -> list[tuple[LabelledNarration, str, object]]:
    """(row, field, decoded value) for every labelled field the decoder got wrong."""
    misses: list[tuple[LabelledNarration, str, object]] = []
    for row in rows:
        decoded = decode(row.narration)
        for field in FIELDS:
            got = decoded_field(decoded, field)
            if got != row.expected(field):
                misses.append((row, field, got))
    return misses


def field_accuracy(
    rows: Iterable[LabelledNarration],
    decode: Callable[[str], Narration] = decode_narration,
) -> dict[str, float]:
    """Share of rows whose decoded field equals the label, per field, plus "all" (every field
    of every row). Rows are decoded once per call."""
    listed = list(rows)
    if not listed:
        return {field: 1.0 for field in (*FIELDS, "all")}
    wrong: dict[str, int] = dict.fromkeys(FIELDS, 0)
    for _, field, _ in field_misses(listed, decode):
        wrong[field] += 1
    accuracy = {field: 1 - wrong[field] / len(listed) for field in FIELDS}
    accuracy["all"] = 1 - sum(wrong.values()) / (len(listed) * len(FIELDS))
    return accuracy
