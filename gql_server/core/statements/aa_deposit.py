"""Account Aggregator FI data for deposit accounts (ReBIT FI schema 'deposit'), JSON or XML.

Shape: `Account` (type="deposit", maskedAccNumber, linkedAccRef) -> `Profile`, `Summary`
(currentBalance, currency, balanceDateTime, ...) and `Transactions` (startDate, endDate) ->
`Transaction` with type CREDIT/DEBIT, mode (CASH, ATM, CARD, UPI, FT, OTHERS), amount,
currentBalance, transactionTimestamp, valueDate, txnId, narration, reference. Sources: ReBIT's
deposit schema as modelled in DeviPrasad/sammati, `src/common/deposit.rs` (citing
specifications.rebit.org.in/api_schema/account_aggregator/documentation/deposit_v1.2.html and
examples/Deposit_v1.2.xml); XML documents in the namespace http://api.rebit.org.in/FISchema/
deposit carry every field as an attribute; JSON documents carry the same names as keys, either
the Account itself, under an "Account" key, or inside an FIU response (fiObjects).

XML is parsed with defusedxml and DTDs forbidden: no entity expansion, no external fetches,
so a billion-laughs document is refused at its DOCTYPE instead of hanging the worker. Lines are
numbered by position in the Transactions list. The booked date is the transactionTimestamp's
date in India (valueDate when there is no timestamp)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gql_server.core.statements.balances import check_balances
from gql_server.core.statements.records import (
    ParsedStatement,
    RowProblem,
    StatementError,
    StatementFormat,
    StatementLine,
)
from gql_server.core.statements.tables import MAX_CELL_CHARS, MAX_ROWS, decode_text
from gql_server.core.statements.values import parse_amount, parse_date

INDIA = timezone(timedelta(hours=5, minutes=30))
_MAX_NODES = 100_000  # a bound on the search for the Account in a JSON document

Record = Mapping[str, object]


def parse_aa_json(data: bytes, file_name: str) -> ParsedStatement:
    """A deposit account's FI data as JSON."""
    try:
        document = json.loads(decode_text(data), parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise StatementError(f"{file_name} is not valid JSON") from exc
    account = _json_account(document)
    if account is None:
        raise StatementError(
            f"{file_name} is JSON but not Account Aggregator deposit data "
            "(no Account with Transactions)"
        )
    transactions = _keys(account["Transactions"])
    listed = transactions.get("Transaction", [])
    records = [_keys(item) for item in (listed if isinstance(listed, list) else [listed])]
    summary = _keys(account.get("Summary", {}))
    return _statement(StatementFormat.AA_DEPOSIT_JSON, records, summary, file_name)


def parse_aa_xml(data: bytes, file_name: str) -> ParsedStatement:
    """A deposit account's FI data as XML, parsed without DTDs or entities."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise StatementError(
            f"{file_name} declares a DTD or entities, which are refused "
            "(Account Aggregator data never needs them)"
        ) from exc
    except ParseError as exc:
        raise StatementError(f"{file_name} is not well-formed XML: {exc}") from exc
    account = next((el for el in root.iter() if _local(el.tag) == "Account"), root)
    listing = _child(account, "Transactions")
    if listing is None:
        raise StatementError(
            f"{file_name} is XML but not Account Aggregator deposit data "
            "(no Account with Transactions)"
        )
    records = [_attributes(el) for el in listing if _local(el.tag) == "Transaction"]
    summary = _child(account, "Summary")
    return _statement(
        StatementFormat.AA_DEPOSIT_XML,
        records,
        {} if summary is None else _attributes(summary),
        file_name,
    )


def _statement(
    fmt: StatementFormat, records: Sequence[Record], summary: Record, file_name: str
) -> ParsedStatement:
    if len(records) > MAX_ROWS:
        raise StatementError(f"{file_name} has more than {MAX_ROWS:,} transactions")
    lines: list[StatementLine] = []
    problems: list[RowProblem] = []
    for position, record in enumerate(records, start=1):
        try:
            lines.append(_line(position, record))
        except ValueError as exc:
            problems.append(RowProblem(position, str(exc)))
    if problems and not lines:
        first = problems[0]
        raise StatementError(
            f"none of the transactions in {file_name} could be read; "
            f"transaction {first.row}: {first.message}"
        )
    check = check_balances(lines, None, None)
    closing = check.closing if check.closing is not None else _summary_balance(summary)
    return ParsedStatement(
        format=fmt,
        lines=tuple(lines),
        problems=tuple(sorted(problems + list(check.problems), key=lambda p: p.row)),
        opening_balance=check.opening,
        closing_balance=closing,
    )


def _summary_balance(summary: Record) -> Decimal | None:
    """Summary.currentBalance is the balance at balanceDateTime; used only without lines."""
    try:
        return parse_amount(_text(summary, "currentBalance"))
    except ValueError:
        return None


def _line(position: int, record: Record) -> StatementLine:
    kind = _text(record, "type").upper()
    if kind not in ("CREDIT", "DEBIT"):
        raise ValueError(f"type '{kind}' is neither CREDIT nor DEBIT")
    amount = parse_amount(_text(record, "amount"))
    if amount is None or amount <= 0:
        raise ValueError(f"amount '{_text(record, 'amount')}' is not a positive amount")
    booked, at = _booked(record)
    narration = _text(record, "narration")
    if len(narration) > MAX_CELL_CHARS:
        raise ValueError(f"narration is longer than {MAX_CELL_CHARS:,} characters")
    balance_text = _text(record, "currentBalance")
    return StatementLine(
        row=position,
        booked_on=booked,
        amount=amount,
        credit=kind == "CREDIT",
        narration=narration,
        reference=_text(record, "txnId") or _text(record, "reference") or None,
        balance=parse_amount(balance_text) if balance_text else None,
        at=at,
    )


def _booked(record: Record) -> tuple[date, time | None]:
    stamp = _text(record, "transactionTimestamp")
    if stamp:
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError as exc:
            raise ValueError(f"transactionTimestamp '{stamp}' is not a timestamp") from exc
        if moment.tzinfo is not None:
            moment = moment.astimezone(INDIA)
        return moment.date(), moment.time()
    value_date = _text(record, "valueDate")
    if not value_date:
        raise ValueError("the transaction has neither a transactionTimestamp nor a valueDate")
    return parse_date(value_date), None


def _text(record: Record, key: str) -> str:
    value = record.get(key)
    return "" if value is None else str(value).strip()


def _keys(value: object) -> dict[str, object]:
    """A JSON object with attribute prefixes from XML-to-JSON converters ('@type', '_type')
    removed; anything else is an empty record."""
    if not isinstance(value, dict):
        return {}
    return {str(key).lstrip("@_"): item for key, item in value.items()}


def _json_account(document: object) -> dict[str, object] | None:
    """The first object (breadth-first) holding a Transactions object."""
    for count, node in enumerate(_walk(document)):
        if count > _MAX_NODES:
            return None
        record = _keys(node)
        if isinstance(record.get("Transactions"), dict):
            return record
    return None


def _walk(document: object) -> Iterator[object]:
    queue = deque([document])
    while queue:
        node = queue.popleft()
        yield node
        if isinstance(node, dict):
            queue.extend(item for item in node.values() if isinstance(item, dict | list))
        elif isinstance(node, list):
            queue.extend(item for item in node if isinstance(item, dict | list))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _attributes(element: Element) -> dict[str, object]:
    return {_local(key): value for key, value in element.attrib.items()}
