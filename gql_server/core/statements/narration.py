"""Decoding Indian bank narrations: which rail moved the money, who the other side is, and the
references the rail stamped on it.

A narration is a delimited record whose layout depends on the bank and the rail. The layouts
below were taken from public statement samples, parsers and their test fixtures:

- HDFC: ``UPI-<name>-<vpa>-<ifsc>-<rrn>-<remark>``, ``NEFT CR-<ifsc>-<sender>-<beneficiary>-
  <utr>``, ``IMPS-<rrn>-<name>-<bank>-<masked a/c>-<remark>``, ``ACH D- <creditor>-<ref>``
  (docs.juspay.io, LotusPay "ACH Debit customer bank statement references"), ``NWD-``/``ATW-``/
  ``EAW-`` ATM codes, ``POS <card> <merchant>``, ``ME DC SI <card> <merchant>``,
  ``IB BILLPAY DR-``, ``<a/c>-TPT-<remark>-<party>``, ``CREDIT INTEREST CAPITALISED``.
- ICICI: ``UPI/<rrn>/<remark>/<vpa>/<bank>/<txn id>`` and the newer ``UPI/<vpa>/<remark>/
  <bank>/<rrn>/<txn id>``, ``MMT/IMPS/<rrn>/<remark>/<name>/<bank>``, ``NEFT-<utr>-<name>-...``,
  ``BIL/ONL/<ref>/<biller>``, ``INF/INFT/...``, ``ACH/<creditor>/<ref>``, ``VIN/`` card,
  ``ATM/CASH WDL/``.
- SBI: ``TO TRANSFER-UPI/DR/<rrn>/<name>/<bank>/<vpa>/<remark>--`` (names cut to about eight
  letters, VPAs often cut before or after the '@'), ``BY TRANSFER-NEFT*<ifsc>*<utr>*<name>--``,
  ``TO TRANSFER-INB IMPS/P2A/<rrn>/<name>/<bank>--``, ``DEBIT-ACHDr <ref> <creditor>``,
  ``ATM WDL-ATM CASH ...``.
- Axis: ``UPI/P2M|P2A/<rrn>/<name>/<remark>/<bank name>``, ``NEFT/<utr>/<name>``,
  ``IMPS/P2A/<rrn>/<name>/<bank>/<remark>``, ``ATM-CASH/...``, ``POS/<merchant>/...``,
  ``ECS/NACH``.

Sources: mybankstatementanalysis.com "UPI, NEFT, IMPS & RTGS codes on Indian bank
statements"; convertstatement.online "How to read an HDFC bank statement"; terra-insight.com
"Bank statement narration patterns in India" (UTR layout: bank code, then rail letter, then
digits); NishantGhanate/ExpenseBoard ``StatementParser/app/common/constants.py`` (rail
prefixes, ATW/ATL ATM codes); Zarwebcoders/Ind6TokenVendor ``UPI_VPA_SETUP_GUIDE.md``
(``paytmqr...@paytm`` merchant addresses); and narration fixtures in public statement parsers
on GitHub (SBI ``UPI/DR`` rows with cut VPAs, ICICI ``Payment from Ph`` rows, Axis
``UPI/P2A``/``P2M`` rows with bank names). Nothing here reads a file or a clock: text in,
`Narration` out, and every input gives one (unknown text decodes to mode OTHER).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from gql_server.core.statements.merchants import MERCHANT_VPA, clean_merchant, known_merchant


class PaymentMode(StrEnum):
    UPI = "UPI"
    NEFT = "NEFT"
    IMPS = "IMPS"
    RTGS = "RTGS"
    NACH = "NACH"
    ATM = "ATM"
    CARD = "CARD"
    REMITTANCE = "REMITTANCE"
    CHEQUE = "CHEQUE"
    INTEREST = "INTEREST"
    CHARGES = "CHARGES"
    OTHER = "OTHER"


@dataclass(frozen=True)
class Narration:
    """What a narration states. Optional fields are None when the narration does not say."""

    mode: PaymentMode
    counterparty: str = ""  # display name: "Swiggy", "Ravi Kumar"; "" when none
    vpa: str | None = None  # UPI address, lower case
    bank: str | None = None  # the counterparty's bank: IFSC prefix, code or name as printed
    reference: str | None = None  # UPI/IMPS RRN, NEFT/RTGS UTR, NACH reference, cheque number
    person_to_merchant: bool | None = None  # UPI only: True P2M, False P2P
    credit: bool | None = None  # money in, when the narration says which way it went
    foreign_currency: str | None = None  # inward remittance: "USD"
    foreign_amount: Decimal | None = None
    rate: Decimal | None = None
    note: str = ""  # the payer's remark, without app boilerplate


Decoder = Callable[[re.Match[str]], Narration]

# SBI wraps every transfer: "TO TRANSFER-" (debit) or "BY TRANSFER-" (credit); older rows say
# "DEP TFR" / "WDL TFR". The wrapper is peeled off and its direction kept.
SBI_WRAPPER = re.compile(r"^(?P<dir>TO|BY)\s+TRANSFER\s*-\s*|^(?P<tfr>DEP|WDL)\s+TFR\s+", re.I)
# An IFSC: four letters, a zero, six letters or digits (YESB0YBLUPI, HDFC0000001).
IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")
# A UPI address: user part, '@', handle (swiggy@ybl, kavita-1@paytm, 9876543210@ybl).
VPA = re.compile(r"^[a-z0-9][a-z0-9._\-]*@[a-z][a-z0-9.]{1,}$", re.I)
# A NEFT/RTGS UTR or similar bank reference: 10-22 letters and digits with a run of six
# digits (N123456789012345, CITIN52024051512345, HDFCR52024051512345678, 002984487856).
UTR = re.compile(r"^(?=[A-Z0-9]*\d{6})[A-Z0-9]{10,22}$")
# The bank a UTR names: its first four letters when a rail letter and digits follow.
UTR_BANK = re.compile(r"^([A-Z]{4})[A-Z]{1,2}\d")
# Only ASCII digits make an RRN (str.isdigit also accepts "²" and other scripts' digits).
ASCII_DIGITS = re.compile(r"^[0-9]+$")
# A masked account or card number (XXXXXXX1234, 4XXXXXXXXXXX1234, xxxxxxxxxxx6216).
MASKED = re.compile(r"^\d{0,6}[X*]{3,}\d{0,6}$", re.I)
# A bank printed by name ("YES BANK LIMITED", "State Ban", "Citibank", "HDFC BANK").
BANK_NAME = re.compile(r"BANK|\bBAN$|\bBK\b", re.I)
# Four-letter bank codes printed on their own (the IFSC prefixes of the common banks).
BANK_CODES = frozenset(
    (
        "HDFC", "ICIC", "SBIN", "UTIB", "KKBK", "PUNB", "BARB", "CNRB", "IOBA", "IDIB", "IDFB",
        "YESB", "INDB", "FDRL", "RATN", "AUBL", "BKID", "MAHB", "UBIN", "CBIN", "PYTM", "AIRP",
        "JIOP", "SIBL", "TMBL", "KVBL", "DBSS", "SCBL", "CITI", "HSBC", "UCBA", "PSIB", "KARB",
        "CIUB", "DLXB", "ESFB", "UJVN", "NSPB", "FINO", "IPOS", "USFB", "AXIS",
    )
)  # fmt: skip
# Remarks UPI apps fill in by themselves, not words the payer typed.
NOTE_BOILERPLATE = re.compile(
    r"^(?:UPI|NA|N/A|NIL|NO REMARKS?|PAY|PAYM|PAYME|PAYMEN|PAYMENT|PAYMENT FROM PH\w*"
    r"|PAYMENT FOR ORD\w*|PAYMENT ON CRED|SENT (?:USING|VIA|FROM) .*|PAID VIA .*|COLLECT"
    r"|COLLECT REQ\w*|UPI ?INTENT|UPIIN\w*|REQUEST|TRANSFER|\d*)$",
    re.I,
)
# Words in a payee's name that make it a business rather than a person.
BUSINESS_WORD = re.compile(
    r"\b(?:STORES?|MART|ENTERPRISES?|TRADERS?|TRADING|PVT|LTD|LIMITED|LLP|SERVICES|RETAIL|"
    r"FOODS?|CAFE|RESTAURANT|HOTEL|BAKERY|BAKERS|SWEETS|KIRANA|MEDICAL|MEDICALS|PHARMA\w*|"
    r"AGENC(?:Y|IES)|SOLUTIONS|TECHNOLOGIES|TECH|HOSPITAL|CLINIC|PETROL|FUELS?|CENTRE|"
    r"CENTER|SHOP|SUPERMARKET|COMPANY|INDUSTRIES|MOTORS|TRAVELS|GENERAL|DAIRY|MERCHANT)\b",
    re.I,
)


def decode_narration(text: str) -> Narration:
    """The rail, counterparty and references a narration states. Never raises: text that
    matches no known layout decodes to mode OTHER with whatever merchant it names."""
    flat = " ".join(text.split())
    body, wrapper_credit = _peel_sbi_wrapper(flat)
    body = body.rstrip("- ")
    result = _decode_body(body)
    if result.credit is None and wrapper_credit is not None:
        result = replace(result, credit=wrapper_credit)
    return result


def _peel_sbi_wrapper(text: str) -> tuple[str, bool | None]:
    match = SBI_WRAPPER.match(text)
    if not match:
        return text, None
    word = (match.group("dir") or match.group("tfr")).upper()
    return text[match.end() :], word in ("BY", "DEP")


def _decode_body(body: str) -> Narration:
    for pattern, decoder in _DECODERS:
        match = pattern.match(body)
        if match:
            return decoder(match)
    return _decode_by_keyword(body)


# -- shared pieces ---------------------------------------------------------------------------


def _tidy(part: str) -> str:
    return part.strip(" .,:;")


def _has_letters(part: str) -> bool:
    return any(c.isalpha() for c in part)


def _bank_of(part: str) -> str | None:
    """The bank a narration token names: an IFSC's prefix, a bank code, or a bank's name."""
    token = _tidy(part)
    upper = token.upper()
    if IFSC.match(upper):
        return upper[:4]
    if upper in BANK_CODES or (BANK_NAME.search(token) and "@" not in token):
        return token
    return None


def _is_name(part: str) -> bool:
    """A token that can be a person's or firm's name (not a code, number or address)."""
    token = _tidy(part)
    upper = token.upper()
    return (
        _has_letters(token)
        and "@" not in token
        and not MASKED.match(token)
        and not IFSC.match(upper)
        and not (UTR.match(upper) and " " not in token)
        and upper not in BANK_CODES
    )


def _vpa(part: str | None) -> str | None:
    token = _tidy(part or "")
    return token.lower() if VPA.match(token) else None


def _note(part: str) -> str:
    token = _tidy(part)
    return "" if NOTE_BOILERPLATE.match(token) else token


def _digits(part: str) -> str | None:
    token = _tidy(part)
    return token if ASCII_DIGITS.match(token) else None


def _credit_word(word: str | None) -> bool | None:
    if not word:
        return None
    first = word[:1].upper()
    return True if first == "C" else False if first == "D" else None


# -- UPI -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UpiParts:
    """The tokens of a UPI narration once each has been placed."""

    name: str = ""
    vpa_token: str = ""
    bank: str | None = None
    rrn: str = ""
    note: str = ""
    marker: str = ""  # DR, CR, P2M, P2A, P2P


def _upi(parts: _UpiParts) -> Narration:
    vpa = _vpa(parts.vpa_token)
    counterparty = clean_merchant(parts.name, vpa)
    return Narration(
        mode=PaymentMode.UPI,
        counterparty=counterparty,
        vpa=vpa,
        bank=parts.bank,
        reference=_digits(parts.rrn),
        person_to_merchant=_person_to_merchant(parts, vpa, counterparty),
        credit=_credit_word(parts.marker if parts.marker in ("DR", "CR") else None),
        note=_note(parts.note),
    )


def _person_to_merchant(parts: _UpiParts, vpa: str | None, counterparty: str) -> bool | None:
    """P2M when the bank says so, the address is a merchant's, or the payee is a known or
    evidently commercial name; P2P when there is a payee and none of that holds."""
    if parts.marker in ("P2A", "P2P"):
        return False
    if parts.marker == "P2M":
        return True
    if vpa and MERCHANT_VPA.match(vpa):
        return True
    if counterparty and (known_merchant(counterparty) or BUSINESS_WORD.search(parts.name)):
        return True
    return False if (vpa or _is_name(parts.name) or parts.vpa_token) else None


# HDFC: UPI-<name>-<vpa>-<ifsc>-<rrn>-<remark>; names and VPAs may themselves hold hyphens.
UPI_HDFC = re.compile(r"^UPI-(?P<body>.+)$", re.I)


def _decode_upi_hdfc(match: re.Match[str]) -> Narration:
    parts = match.group("body").split("-")
    at = next((i for i, p in enumerate(parts) if "@" in p), None)
    if at is None or at == 0:
        return _upi_from_tokens(parts)
    start = at
    while start > 1 and " " not in parts[start - 1] and not parts[start - 1].isupper():
        start -= 1  # "kavita-1@paytm": the lower-case piece before belongs to the VPA
    after = parts[at + 1 :]
    rrn_at = next((i for i, p in enumerate(after) if _digits(p)), None)
    head = after[:rrn_at] if rrn_at is not None else after[:1]
    return _upi(
        _UpiParts(
            name="-".join(parts[:start]),
            vpa_token="-".join(parts[start : at + 1]),
            bank=next((b for b in map(_bank_of, head) if b), None),
            rrn=after[rrn_at] if rrn_at is not None else "",
            note="-".join(after[rrn_at + 1 :]) if rrn_at is not None else "",
        )
    )


def _upi_from_tokens(tokens: list[str]) -> Narration:
    """Any other UPI layout, read by the shape of each token."""
    vpa_token = next((t for t in tokens if "@" in t), "")
    rrn = next((t for t in tokens if _digits(t) and len(_tidy(t)) >= 9), "")
    name = next((t for t in tokens if _is_name(t) and not _bank_of(t)), "")
    bank = next((b for b in map(_bank_of, tokens) if b), None)
    return _upi(_UpiParts(name=name, vpa_token=vpa_token, bank=bank, rrn=rrn))


# Everyone else: UPI/<fields separated by '/'>; the first field may be DR/CR (SBI) or
# P2M/P2A (Axis).
UPI_SLASH = re.compile(r"^UPI\s*/\s*(?P<body>.*)$", re.I)


def _decode_upi_slash(match: re.Match[str]) -> Narration:
    tokens = match.group("body").split("/")
    marker = _tidy(tokens[0]).upper()
    if marker in ("DR", "CR"):
        return _upi(_sbi_upi(tokens[1:], marker))
    if marker in ("P2M", "P2A", "P2P"):
        return _upi(_axis_upi(tokens[1:], marker))
    rrn_at = next((i for i, t in enumerate(tokens) if _digits(t) and len(_tidy(t)) >= 9), None)
    if rrn_at == 0:
        return _upi(_icici_upi(tokens))
    if rrn_at is not None:
        return _upi(_rrn_later_upi(tokens, rrn_at))
    return _upi_from_tokens(tokens)


def _at(tokens: list[str], index: int) -> str:
    return tokens[index] if index < len(tokens) else ""


def _sbi_upi(tokens: list[str], marker: str) -> _UpiParts:
    """<rrn>/<name>/<bank>/<vpa>/<remark> (SBI; Bank of Baroda prints the same)."""
    return _UpiParts(
        rrn=_at(tokens, 0),
        name=_at(tokens, 1),
        bank=_bank_of(_at(tokens, 2)),
        vpa_token=_at(tokens, 3),
        note="/".join(tokens[4:]),
        marker=marker,
    )


def _axis_upi(tokens: list[str], marker: str) -> _UpiParts:
    """<rrn>/<name>/then remark and bank name, in either order (Axis)."""
    rest = tokens[2:]
    bank = next((b for b in map(_bank_of, rest) if b), None)
    note = next((t for t in rest if not _bank_of(t) and _tidy(t)), "")
    vpa_token = next((t for t in rest if "@" in t), "")
    return _UpiParts(
        rrn=_at(tokens, 0), name=_at(tokens, 1), bank=bank, note=note, vpa_token=vpa_token,
        marker=marker,
    )  # fmt: skip


def _icici_upi(tokens: list[str]) -> _UpiParts:
    """<rrn>/<remark>/<vpa or name>/<bank>/<txn id> (ICICI)."""
    party = _at(tokens, 2)
    return _UpiParts(
        rrn=tokens[0],
        note=_at(tokens, 1),
        vpa_token=party if "@" in party else "",
        name="" if "@" in party else party,
        bank=_bank_of(_at(tokens, 3)),
    )


def _rrn_later_upi(tokens: list[str], rrn_at: int) -> _UpiParts:
    """<party>/.../<rrn>/... : ICICI's newer <vpa>/<remark>/<bank>/<rrn>/<txn id> (the bank
    printed just before the RRN, often cut: "AIRTEL PAYMENTS BA") and Kotak's
    <name>/<rrn>/<remark>; the party comes first."""
    party, between = tokens[0], [t for t in tokens[1:rrn_at] if _tidy(t)]
    after = [t for t in tokens[rrn_at + 1 :] if _tidy(t) and not UTR.match(_tidy(t).upper())]
    if len(between) >= 2:
        bank: str | None = _bank_of(between[-1]) or _tidy(between[-1])
        remarks = between[:-1]
    else:
        bank = next((b for b in map(_bank_of, between) if b), None)
        remarks = [t for t in between if not _bank_of(t)]
    remarks += after
    return _UpiParts(
        name="" if "@" in party else party,
        vpa_token=party if "@" in party else "",
        bank=bank,
        rrn=tokens[rrn_at],
        note=remarks[0] if remarks else "",
    )


# -- NEFT / RTGS -----------------------------------------------------------------------------


def _transfer(mode: PaymentMode, parts: list[str], credit: bool | None) -> Narration:
    """NEFT/RTGS fields placed by shape: IFSC -> bank, UTR -> reference, the first name -> the
    counterparty, a name after the UTR (when the name came first) -> the remark."""
    bank: str | None = None
    reference: str | None = None
    names: list[tuple[int, str]] = []
    reference_at = -1
    for index, raw in enumerate(parts):
        part = _tidy(raw)
        upper = part.upper()
        if IFSC.match(upper) or (upper in BANK_CODES and bank is None):
            bank = bank or upper[:4]
        elif reference is None and UTR.match(upper):
            reference, reference_at = upper, index
        elif _is_name(part):
            names.append((index, part))
    if bank is None and reference and UTR_BANK.match(reference):
        bank = reference[:4]
    name_at, name = names[0] if names else (-1, "")
    remark = ""
    if 0 <= name_at < reference_at:  # HDFC "NEFT DR-<ifsc>-<name>-<branch>-<utr>-<remark>"
        remark = next((p for i, p in names[1:] if i > reference_at), "")
    return Narration(
        mode=mode, counterparty=clean_merchant(name), bank=bank, reference=reference,
        credit=credit, note=_note(remark),
    )  # fmt: skip


# HDFC "NEFT CR-", "RTGS DR-", ICICI "NEFT-": fields separated by '-'.
TRANSFER_HYPHEN = re.compile(r"^(?P<mode>NEFT|RTGS)\s*(?P<dir>CR|DR)?\s*[-:]\s*(?P<body>.*)$", re.I)
# Axis "NEFT/<utr>/<name>", ICICI corporate "INF/NEFT/...": fields separated by '/'.
TRANSFER_SLASH = re.compile(r"^(?:INF/)?(?P<mode>NEFT|RTGS)\s*/\s*(?P<body>.*)$", re.I)
# SBI "NEFT*<ifsc>*<utr>*<name>": fields separated by '*'.
TRANSFER_STAR = re.compile(r"^(?P<mode>NEFT|RTGS)\s*\*\s*(?P<body>.*)$", re.I)
# Axis "NEFT AXISCN1389928147 RAZORPAY PAYMENTS PVT LTD": reference, then the name.
TRANSFER_SPACED = re.compile(r"^(?P<mode>NEFT|RTGS)\s+(?P<utr>[A-Z0-9]{10,22})\s+(?P<body>.+)$")


def _decode_transfer_split(separator: str) -> Decoder:
    def decode(match: re.Match[str]) -> Narration:
        mode = PaymentMode(match.group("mode").upper())
        credit = _credit_word(match.groupdict().get("dir"))  # only the hyphen layout has one
        return _transfer(mode, match.group("body").split(separator), credit)

    return decode


def _decode_transfer_spaced(match: re.Match[str]) -> Narration:
    mode = PaymentMode(match.group("mode").upper())
    return _transfer(mode, [match.group("utr"), match.group("body")], None)


# -- IMPS ------------------------------------------------------------------------------------


def _imps(rrn: str, name: str, others: list[str], credit: bool | None = None) -> Narration:
    bank = next((b for b in map(_bank_of, others) if b), None)
    remark = next((t for t in others if not _bank_of(t) and not MASKED.match(_tidy(t))), "")
    return Narration(
        mode=PaymentMode.IMPS, counterparty=clean_merchant(name), bank=bank,
        reference=_digits(rrn), credit=credit, note=_note(remark),
    )  # fmt: skip


# HDFC: IMPS-<rrn>-<name>-<bank>-<masked a/c>-<remark>
IMPS_HDFC = re.compile(r"^IMPS-(?P<rrn>\d{6,})-(?P<body>.*)$", re.I)


def _decode_imps_hdfc(match: re.Match[str]) -> Narration:
    parts = match.group("body").split("-")
    return _imps(match.group("rrn"), parts[0], [p for p in parts[1:] if _tidy(p)])


# ICICI: MMT/IMPS/<rrn>/<remark>/<name>/<bank>, or MMT/IMPS/<rrn>/<name>/<bank>
IMPS_ICICI = re.compile(r"^MMT/IMPS/(?P<rrn>\d+)/(?P<body>.*)$", re.I)


def _decode_imps_icici(match: re.Match[str]) -> Narration:
    tokens = match.group("body").split("/")
    if len(tokens) >= 3:
        remark, name, rest = tokens[0], tokens[1], tokens[2:]
    else:
        remark, name, rest = "", _at(tokens, 0), tokens[1:]
    return _imps(match.group("rrn"), name, [*rest, remark] if remark else rest)


# Axis, SBI ("INB IMPS/P2A/..."): IMPS/[P2A/]<rrn>/<name>/<bank>/<remark>
IMPS_SLASH = re.compile(r"^(?:INB\s+)?IMPS/(?:(?:P2A|P2P|P2M)/)?(?P<rrn>\d+)/(?P<body>.*)$", re.I)


def _decode_imps_slash(match: re.Match[str]) -> Narration:
    tokens = match.group("body").split("/")
    return _imps(match.group("rrn"), tokens[0], [t for t in tokens[1:] if _tidy(t)])


# -- NACH ------------------------------------------------------------------------------------

# HDFC "ACH D- <creditor>-<ref>", "ACH C- ...", SBI "DEBIT-ACHDr <ref> <creditor>", ICICI
# "ACH/<creditor>/<ref>", Axis "ECS/NACH ...", "NACH-DR-...", "NACH DR ICCL ...".
NACH = re.compile(
    r"^(?:(?P<side>DEBIT|CREDIT)[\s-]*)?(?:ECS|N?ACH)(?:\s*[/-]?\s*(?:ECS|N?ACH))?"
    r"(?:\s*[/-]?\s*(?P<dir>DR|CR|D|C)\b)?\s*[-/]?\s*(?P<body>.*)$",
    re.I,
)
# Payment aggregators printed ahead of the creditor ("TP ACH BAJAJFIN": TechProcess).
NACH_AGGREGATOR = re.compile(r"^(?:TP|TPSL|BD|RAZ|CF)\s+(?:N?ACH\s+)?|^N?ACH\s+", re.I)


# A reference printed after the creditor's name with a space ("BAJAJ FINANCE LTD 1234567").
NACH_TRAILING_REFERENCE = re.compile(r"\s+([A-Z0-9]*\d{6}[A-Z0-9]*)$", re.I)


def _decode_nach(match: re.Match[str]) -> Narration:
    body = match.group("body")
    credit = _credit_word(match.group("dir") or match.group("side"))
    words = body.split(" ", 1)
    if len(words) == 2 and "/" not in body and "-" not in body and UTR.match(words[0].upper()):
        reference, name = words[0], words[1]  # SBI: the reference comes first
    else:
        parts = [_tidy(p) for p in re.split(r"[-/]", body) if _tidy(p)]
        refs = [
            p for p in parts[1:] if " " not in p and (any(c.isdigit() for c in p) or len(p) >= 6)
        ]
        reference = refs[-1] if refs else None
        name = next((p for p in parts if _is_name(p)), "")
    name = NACH_AGGREGATOR.sub("", name)
    trailing = NACH_TRAILING_REFERENCE.search(name)
    if trailing and reference is None:
        reference, name = trailing.group(1), name[: trailing.start()]
    return Narration(
        mode=PaymentMode.NACH, counterparty=clean_merchant(name), reference=reference,
        credit=credit,
    )  # fmt: skip


# -- cash, cards, cheques, interest, charges, remittances -----------------------------------

# At the start: HDFC NWD-/ATW-/EAW- (withdrawals at HDFC's, other banks' and ... ATMs), ICICI
# "ATM/CASH WDL", SBI "ATM WDL-", Axis "ATM-CASH/", or a bare "CASH WDL".
ATM = re.compile(r"^(?:NWD|ATW|EAW|ATL|ATM|CWDR?|CASH\s+WDL)\b", re.I)


def _decode_atm(match: re.Match[str]) -> Narration:
    deposit = "DEP" in match.string.upper()
    return Narration(mode=PaymentMode.ATM, counterparty="ATM", credit=deposit)


# HDFC "POS <card> <merchant>", "ME DC SI <card> <merchant>", ICICI "VIN/<merchant>/<card>",
# Axis "POS/<merchant>/...", "ECOM PUR/<merchant>/..."
CARD = re.compile(
    r"^(?P<kind>POS(?:\s+REF)?|ME\s+DC(?:\s+SI)?|VIN|VPS|MPS|IPS|PCD|ECOM(?:\s+PUR)?|PUR"
    r"|DC\s+INTL\s+POS)\b[\s/:-]*(?P<body>.*)$",
    re.I,
)


def _decode_card(match: re.Match[str]) -> Narration:
    pieces = [_tidy(p) for p in match.group("body").split("/")]
    name = next((p for p in pieces if _is_name(p)), "")
    refund = "REF" in match.group("kind").upper() or bool(re.search(r"\bREFUND\b", name, re.I))
    return Narration(
        mode=PaymentMode.CARD, counterparty=clean_merchant(name), credit=True if refund else None
    )


# ICICI "BIL/ONL/<ref>/<biller>", HDFC "IB BILLPAY DR-<code>-<biller>": bill payments.
BILL_PAY = re.compile(
    r"^(?:BIL/\w+/(?P<ref>\w+)/|IB\s+BILLPAY\s+(?:DR|CR)?-[^-]*-)(?P<body>.*)$", re.I
)


def _decode_bill_pay(match: re.Match[str]) -> Narration:
    name = next((p for p in match.group("body").split("/") if _is_name(p)), "")
    return Narration(
        mode=PaymentMode.OTHER, counterparty=clean_merchant(name), reference=match.group("ref"),
        credit=False,
    )  # fmt: skip


# HDFC third-party transfer within the bank: "<a/c>-TPT-<remark>-<party>".
TPT = re.compile(r"^(?:\d{6,}-)?TPT-(?P<body>.*)$", re.I)


def _decode_tpt(match: re.Match[str]) -> Narration:
    parts = [p for p in match.group("body").split("-") if _tidy(p)]
    party = parts[-1] if parts else ""
    return Narration(
        mode=PaymentMode.OTHER, counterparty=clean_merchant(party),
        note=_note("-".join(parts[:-1])),
    )  # fmt: skip


_DECODERS: tuple[tuple[re.Pattern[str], Decoder], ...] = (
    (UPI_HDFC, _decode_upi_hdfc),
    (UPI_SLASH, _decode_upi_slash),
    (IMPS_HDFC, _decode_imps_hdfc),
    (IMPS_ICICI, _decode_imps_icici),
    (IMPS_SLASH, _decode_imps_slash),
    (TRANSFER_HYPHEN, _decode_transfer_split("-")),
    (TRANSFER_SLASH, _decode_transfer_split("/")),
    (TRANSFER_STAR, _decode_transfer_split("*")),
    (TRANSFER_SPACED, _decode_transfer_spaced),
    (NACH, _decode_nach),
    (ATM, _decode_atm),
    (CARD, _decode_card),
    (BILL_PAY, _decode_bill_pay),
    (TPT, _decode_tpt),
)


# -- narrations read by keyword --------------------------------------------------------------

# Foreign money coming in (or going out): HDFC/ICICI "INW REMIT", "INWARD REMITTANCE",
# "FOREIGN INWARD", "IRM" (inward remittance message), "FIRC"; "OUTWARD REMITTANCE".
REMITTANCE = re.compile(
    r"\b(?:(?P<inward>INW(?:ARD)?[\s.]*REMIT\w*|FOREIGN\s+INWARD\w*|INWARD\s+SWIFT|IRM|FIRC"
    r"|FIRA|SWIFT\s+INW\w*)|(?P<outward>OUTWARD\s+REMIT\w*|FOREIGN\s+OUTWARD\w*|OUTWARD\s+TT))\b",
    re.I,
)
# A foreign amount: "USD 1,200.00", "USD1200", "1,200.00 USD".
FOREIGN_AMOUNT = re.compile(
    r"\b(?P<ccy>USD|EUR|GBP|AUD|CAD|SGD|AED|CHF|JPY|NZD|HKD|SEK)\s*(?P<amount>\d[\d,]*(?:\.\d+)?)"
    r"|\b(?P<amount2>\d[\d,]*(?:\.\d+)?)\s*(?P<ccy2>USD|EUR|GBP|AUD|CAD|SGD|AED|CHF|JPY|NZD)\b",
    re.I,
)
# The conversion rate: "@ 83.25", "RATE 83.25", "EX RATE: 83.25", "RT 83.2500".
RATE = re.compile(
    r"(?:@|\bEX\.?\s*RATE\b|\bRATE\b|\bRT\b)\s*[:=]?\s*(?:INR\s*)?(\d{1,4}(?:\.\d+)?)", re.I
)
# Words of a remittance narration that are not the remitter's name.
REMITTANCE_WORDS = re.compile(
    r"^(?:INW\w*|INWARD\w*|REMIT\w*|FOREIGN\w*|OUTWARD\w*|SWIFT|IRM|FIRC|FIRA|TT|FROM|BY ORDER OF"
    r"|P\d{4}|PURPOSE.*|REF.*|[A-Z]{3})(?:\s+(?:REMIT\w*|INW\w*|SWIFT|TT))*$",
    re.I,
)
# Interest the bank pays (or, with DR/COLL, charges): "CREDIT INTEREST CAPITALISED",
# "xxxx:Int.Pd:01-04-2024 to 30-06-2024", "INTEREST CREDIT", "SB INT".
INTEREST = re.compile(
    r"\bINT(?:EREST)?\b\.?\s*(?:PD|PAID|CR|CREDIT|CAPITALI[SZ]ED)?|\bINT\.PD\b|\bSB\s*INT\b", re.I
)
# Bank charges and their GST: "SMS CHARGES", "CONSOLIDATED CHARGES", "DC ANNUAL FEE", "MIN BAL".
CHARGES = re.compile(
    r"\b(?:CHARGES?|CHRGS?|CHGS?|FEES?|GST|IGST|CGST|SGST|PENALTY|MIN\.?\s*BAL\w*|NON\s*MAINT\w*"
    r"|AMB\s+CHRG|CONSOLIDATED)\b",
    re.I,
)
# Cheques and clearing: "CHQ DEP", "CHQ PAID-MICR CTS-...", "CLG", "TO CLEARING", "CTS".
CHEQUE = re.compile(r"\b(?:CHQ|CHEQUE|CLG|CLEARING|MICR|CTS|INWARD\s+CLG|OUTWARD\s+CLG)\b", re.I)
# A cheque number: six digits on their own.
CHEQUE_NUMBER = re.compile(r"(?<![\d])(\d{6})(?![\d])")
# A rail named inside a longer narration ("/UPI/AXIS BANK UPI/P2M/...", "BIL/ONL/NEFT-...").
EMBEDDED_RAIL = re.compile(
    r"(?<=[\s/\-*])(?:UPI[-/]|MMT/IMPS/|IMPS[-/]|NEFT[-/*\s]|RTGS[-/*\s])", re.I
)


def _decode_by_keyword(body: str) -> Narration:
    embedded = list(EMBEDDED_RAIL.finditer(body))
    if embedded:  # the innermost record is the last one
        return _decode_body(body[embedded[-1].start() :])
    if REMITTANCE.search(body):
        return _remittance(body)
    if INTEREST.search(body) and not CHARGES.search(body):
        debit = re.search(r"\b(?:DR|DEBIT|COLL\w*|CHARGED)\b", body, re.I)
        return Narration(mode=PaymentMode.INTEREST, counterparty="Interest", credit=not debit)
    if CHARGES.search(body):
        reversal = re.search(r"\bREV\w*\b|\bREFUND\b", body, re.I)
        return Narration(
            mode=PaymentMode.CHARGES, counterparty="Bank charges", credit=bool(reversal)
        )
    if CHEQUE.search(body):
        return _cheque(body)
    return Narration(mode=PaymentMode.OTHER, counterparty=known_merchant(body) or "")


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _remittance(body: str) -> Narration:
    """Currency, foreign amount and rate where the bank prints them; the remitter is the first
    field that is neither a remittance keyword, an amount nor a reference."""
    marker = REMITTANCE.search(body)
    amount = FOREIGN_AMOUNT.search(body)
    rate = RATE.search(body)
    rest = FOREIGN_AMOUNT.sub(" ", RATE.sub(" ", body))
    fields = [_tidy(f) for f in re.split(r"[-/*]| {2,}", rest)]
    names = [f for f in fields if _is_name(f) and not REMITTANCE_WORDS.match(f)]
    references = [f.upper() for f in fields if UTR.match(f.upper())]
    currency = (amount.group("ccy") or amount.group("ccy2")).upper() if amount else None
    return Narration(
        mode=PaymentMode.REMITTANCE,
        counterparty=clean_merchant(names[0]) if names else "",
        reference=references[0] if references else None,
        credit=marker is not None and marker.group("outward") is None,
        foreign_currency=currency,
        foreign_amount=_decimal(amount.group("amount") or amount.group("amount2"))
        if amount
        else None,
        rate=_decimal(rate.group(1)) if rate else None,
    )


def _cheque(body: str) -> Narration:
    fields = [_tidy(f) for f in re.split(r"[-/*]", body)]
    names = [f for f in fields if _is_name(f) and not CHEQUE.search(f)]
    number = CHEQUE_NUMBER.search(body)
    upper = body.upper()
    credit = True if re.search(r"\b(?:DEP\w*|BY\s+CLG|CLG\s+CR|BY\s+CLEARING)\b", upper) else None
    if re.search(r"\b(?:PAID|TO\s+CLG|TO\s+CLEARING|ISSUED|WDL)\b", upper):
        credit = False
    return Narration(
        mode=PaymentMode.CHEQUE, counterparty=clean_merchant(names[0]) if names else "",
        reference=number.group(1) if number else None, credit=credit,
    )  # fmt: skip
