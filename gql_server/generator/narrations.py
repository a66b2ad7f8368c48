"""What a bank prints for a generated row: the rail the money moved on, the narration in that
bank's own style, and the references the rail stamps on it.

The rail follows the row's category, as it does in life: clients and employers pay by NEFT
(platforms' weekly partner payouts by IMPS), lenders collect EMIs by NACH, cash comes from an
ATM, shopping, fuel and subscriptions go on the debit card, interest is the bank's own entry,
and everything else is UPI. Each bank's layout is the one `core.statements.narration` reads
(and documents with its sources): HDFC `UPI-<name>-<vpa>-<ifsc>-<rrn>-<note>`, ICICI
`UPI/<rrn>/<note>/<vpa>/<bank>/<txn id>`, SBI `TO TRANSFER-UPI/DR/<rrn>/<name>/<bank>/<vpa>/
<note>--`, Axis `UPI/P2M/<rrn>/<name>/<note>/<bank>`, and so on.

Everything is a pure function of the user and the row's position and local time: RRNs and
UTRs come from the row index, a merchant's UPI address from its name (crc32, not `hash`,
which Python salts per process), so writing a statement twice gives the same bytes, and the
same row carries the same references in every bank's file and in the AA data.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gql_server.core.statements.narration import PaymentMode
from gql_server.core.statements.records import StatementFormat
from gql_server.generator.records import GeneratedUser

# Rails by category; UPI for everything not named.
_INCOME_RAILS = {
    "Freelance income": PaymentMode.NEFT,
    "Salary": PaymentMode.NEFT,
    "Platform payout": PaymentMode.NEFT,
    "Interest": PaymentMode.INTEREST,
}
_EXPENSE_RAILS = {
    "EMI": PaymentMode.NACH,
    "Cash withdrawal": PaymentMode.ATM,
    "Shopping": PaymentMode.CARD,
    "Fuel": PaymentMode.CARD,
    "Subscriptions": PaymentMode.CARD,
}
# (UPI handle, the IFSC banks print for it, the bank's name as ICICI and Axis print it).
_MERCHANT_HANDLES = (
    ("ybl", "YESB0YBLUPI", "YES BANK LIMITED"),
    ("axisbank", "UTIB0000100", "AXIS BANK"),
    ("hdfcbank", "HDFC0MERUPI", "HDFC BANK LTD"),
    ("icici", "ICIC0DC0099", "ICICI Bank"),
    ("paytm", "PYTM0123456", "PAYTM PAYMENTS BANK"),
)
_PERSON_HANDLES = (
    ("okaxis", "UTIB0000553", "AXIS BANK"),
    ("oksbi", "SBIN0001234", "State Bank Of India"),
    ("okhdfcbank", "HDFC0000001", "HDFC BANK LTD"),
    ("okicici", "ICIC0000011", "ICICI Bank"),
    ("ybl", "YESB0YBLUPI", "YES BANK LIMITED"),
    ("paytm", "PYTM0123456", "PAYTM PAYMENTS BANK"),
)
# Banks clients pay from: (IFSC, name).
_PAYER_BANKS = (
    ("HDFC0000001", "HDFC BANK"),
    ("ICIC0000104", "ICICI BANK"),
    ("CITI0100000", "CITIBANK"),
    ("SBIN0001234", "STATE BANK OF INDIA"),
    ("UTIB0000100", "AXIS BANK"),
    ("KKBK0000958", "KOTAK MAHINDRA BANK"),
)
_PERSON_PREFIXES = ("UPI to ", "UPI from ", "Rent - ")
_TITLES = frozenset({"mr", "mrs", "ms", "dr"})
_NOT_PRINTED = re.compile(r"[^A-Z0-9&. ]+")
_NOT_NOTE = re.compile(r"[^A-Za-z0-9 ]+")
_PARENTHESES = re.compile(r"\(.*?\)")
_MONTH_DAYS = 30


@dataclass(frozen=True)
class Holder:
    """The account holder as the bank prints them."""

    name: str  # upper case
    account: str  # the full account number
    card: str  # the debit card, masked as printed: 416021XXXXXX1234
    city: str  # upper case: where the ATMs and shops are


@dataclass(frozen=True)
class Narrated:
    """One row as a bank prints it, and what the writer meant by it (for tests and AA)."""

    text: str
    reference: str | None  # the bank's reference column (HDFC Chq./Ref.No.; AA txnId)
    mode: PaymentMode
    vpa: str | None  # the UPI address written in the text, when the bank prints one
    rail_reference: str | None  # the RRN (UPI, IMPS, card, ATM), UTR (NEFT) or NACH reference


@dataclass(frozen=True)
class Party:
    name: str  # as printed: upper case, no separators
    vpa: str
    ifsc: str
    bank: str
    merchant: bool  # P2M rather than P2P


@dataclass(frozen=True)
class RowFacts:
    """The bank-independent facts of a row that every bank's narration is made from."""

    mode: PaymentMode
    credit: bool
    party: Party
    note: str
    rrn: str  # 12 digits
    utr: str  # NEFT UTR or NACH reference
    serial: int  # 6 digits, unique per row
    day: date


def crc(text: str) -> int:
    return zlib.crc32(text.encode())


def printed(text: str) -> str:
    """A name as banks print it: upper case, no parentheses, hyphens or slashes."""
    text = _PARENTHESES.sub(" ", text).replace("'", "")
    return " ".join(_NOT_PRINTED.sub(" ", text.upper()).split())


def holder(user: GeneratedUser, account: str) -> Holder:
    last4 = f"{crc(user.email) % 10_000:04d}"
    return Holder(printed(user.full_name), account, f"416021XXXXXX{last4}", printed(user.city))


def rail(category: str, credit: bool, description: str) -> PaymentMode:
    """The rail a row of this category moves on."""
    if credit:
        if category == "Platform payout" and "partner" in description:
            return PaymentMode.IMPS  # delivery and ride platforms settle partners instantly
        return _INCOME_RAILS.get(category, PaymentMode.UPI)
    return _EXPENSE_RAILS.get(category, PaymentMode.UPI)


def _party(merchant: str, category: str, credit: bool) -> Party:
    """Who is on the other side: a person (name.surname@okaxis), a street shop (a PhonePe or
    Paytm QR address) or a business (swiggy@ybl), each with a fixed address."""
    person, shop = False, merchant.startswith("Local ") or merchant == "Auto rickshaw"
    name = merchant
    for prefix in _PERSON_PREFIXES:
        if merchant.startswith(prefix):
            name = merchant[len(prefix) :]
            person, shop = name[:1].isupper(), not name[:1].isupper()
    if name.endswith(" EMI"):
        name = name[: -len(" EMI")]
    person = person or (credit and category == "Other income")
    shown = printed(name) or "UPI"
    key = crc(shown)
    if person:
        handle, ifsc, bank = _PERSON_HANDLES[key % len(_PERSON_HANDLES)]
        words = [w for w in re.findall(r"[a-z]+", shown.lower()) if w not in _TITLES]
        return Party(shown, f"{'.'.join(words[:2]) or 'payee'}@{handle}", ifsc, bank, False)
    if shop:
        vpa = f"q{key % 10**9:09d}@ybl" if key % 2 else f"paytmqr{key:08x}@paytm"
        handle = vpa.split("@")[1]
        ifsc, bank = next((i, b) for h, i, b in _MERCHANT_HANDLES if h == handle)
        return Party(shown, vpa, ifsc, bank, True)
    handle, ifsc, bank = _MERCHANT_HANDLES[key % len(_MERCHANT_HANDLES)]
    slug = re.sub(r"[^a-z0-9]", "", shown.lower())[:20] or "merchant"
    return Party(shown, f"{slug}@{handle}", ifsc, bank, True)


def _payer(party: Party) -> Party:
    """A client or platform paying by bank transfer, from its own bank."""
    ifsc, bank = _PAYER_BANKS[crc(party.name) % len(_PAYER_BANKS)]
    return Party(party.name, party.vpa, ifsc, bank, party.merchant)


def _note(description: str) -> str:
    return " ".join(_NOT_NOTE.sub(" ", description).split())[:30].strip()


def facts(user: GeneratedUser, row: int, at: datetime) -> RowFacts:
    """The facts of row `row` (0-based) booked at local time `at`."""
    credit = bool(user.is_income[row])
    category, description = str(user.category[row]), str(user.description[row])
    mode = rail(category, credit, description)
    party = _party(str(user.merchant[row]), category, credit)
    if mode in (PaymentMode.NEFT, PaymentMode.IMPS, PaymentMode.NACH):
        party = _payer(party)
    # Unique per row for any history under a million rows: 7919 is prime to 10**6.
    serial = (row * 7919 + user.index * 104_729 + 1) % 1_000_000
    doy = at.timetuple().tm_yday
    rrn = f"{at.year % 10}{doy:03d}{at.hour:02d}{serial:06d}"
    rail_code = "7" if mode is PaymentMode.NACH else "N"
    utr = f"{party.ifsc[:4]}{rail_code}{at.year % 100:02d}{doy:03d}{serial:06d}"
    return RowFacts(mode, credit, party, _note(description), rrn, utr, serial, at.date())


def narrate(fmt: StatementFormat, who: Holder, f: RowFacts) -> Narrated:
    """Row facts as bank `fmt` prints them."""
    make = _STYLES[fmt]
    return make(who, f)


# -- HDFC ------------------------------------------------------------------------------------


def _hdfc(who: Holder, f: RowFacts) -> Narrated:
    p, ref = f.party, f"0000{f.rrn}"
    if f.mode is PaymentMode.UPI:
        note = f.note.upper() or ("PAYMENT FROM PHONE" if p.merchant else "UPI")
        text = f"UPI-{p.name}-{p.vpa}-{p.ifsc}-{f.rrn}-{note}"
        return Narrated(text, ref, f.mode, p.vpa, f.rrn)
    if f.mode is PaymentMode.NEFT:
        text = f"NEFT CR-{p.ifsc}-{p.name}-{who.name}-{f.utr}"
        return Narrated(text, f.utr, f.mode, None, f.utr)
    if f.mode is PaymentMode.IMPS:
        masked = f"XXXXXXX{f.serial % 10_000:04d}"
        text = f"IMPS-{f.rrn}-{p.name}-{p.ifsc[:4]}-{masked}-{f.note or 'IMPS'}"
        return Narrated(text, ref, f.mode, None, f.rrn)
    if f.mode is PaymentMode.NACH:
        return Narrated(f"ACH D- {p.name}-{f.utr}", f.utr, f.mode, None, f.utr)
    if f.mode is PaymentMode.ATM:
        code = "NWD" if p.name.startswith("HDFC") else "ATW"
        text = f"{code}-{who.card}-S1AW{f.serial % 10_000:04d}-{who.city}"
        return Narrated(text, ref, f.mode, None, f.rrn)
    if f.mode is PaymentMode.CARD:
        kind = "ME DC SI" if f.note.startswith("Monthly") else "POS"
        return Narrated(f"{kind} {who.card} {p.name}", ref, f.mode, None, f.rrn)
    return Narrated("CREDIT INTEREST CAPITALISED", ref, f.mode, None, None)


# -- ICICI -----------------------------------------------------------------------------------


def _icici(who: Holder, f: RowFacts) -> Narrated:
    p = f.party
    if f.mode is PaymentMode.UPI:
        note = f.note[:15].strip() or "Payment from Ph"
        text = f"UPI/{f.rrn}/{note}/{p.vpa}/{p.bank}/ICI{crc(f.rrn):08x}"
        return Narrated(text, None, f.mode, p.vpa, f.rrn)
    if f.mode is PaymentMode.NEFT:
        text = f"NEFT-{f.utr}-{p.name}-{f.note.upper() or 'PAYMENT'}"
        return Narrated(text, None, f.mode, None, f.utr)
    if f.mode is PaymentMode.IMPS:
        text = f"MMT/IMPS/{f.rrn}/{f.note or 'IMPS'}/{p.name}/{p.ifsc}"
        return Narrated(text, None, f.mode, None, f.rrn)
    if f.mode is PaymentMode.NACH:
        return Narrated(f"ACH/{p.name}/{f.utr}", None, f.mode, None, f.utr)
    if f.mode is PaymentMode.ATM:
        text = f"ATM/CASH WDL/XXXX{who.card[-4:]}/{who.city}"
        return Narrated(text, None, f.mode, None, f.rrn)
    if f.mode is PaymentMode.CARD:
        return Narrated(f"VIN/{p.name}/{who.card}/{f.rrn}", None, f.mode, None, f.rrn)
    return Narrated(f"{who.account}:Int.Pd:{_quarter(f.day)}", None, f.mode, None, None)


def _quarter(day: date) -> str:
    start = day - timedelta(days=3 * _MONTH_DAYS)
    return f"{start:%d-%m-%Y} to {day - timedelta(days=1):%d-%m-%Y}"


# -- SBI -------------------------------------------------------------------------------------


def _sbi(who: Holder, f: RowFacts) -> Narrated:
    p = f.party
    wrapper, transfer = ("BY", "FROM") if f.credit else ("TO", "TO")
    reference = f"TRANSFER {transfer} {4897690000000 + f.serial * 7 % 10**7}"
    if f.mode is PaymentMode.UPI:
        marker, note = ("CR" if f.credit else "DR"), f.note[:12].strip() or "Payment"
        name = p.name[:8].strip()  # SBI cuts payees' names to about eight letters
        text = f"{wrapper} TRANSFER-UPI/{marker}/{f.rrn}/{name}/{p.ifsc[:4]}/{p.vpa}/{note}--"
        return Narrated(text, reference, f.mode, p.vpa, f.rrn)
    if f.mode is PaymentMode.NEFT:
        text = f"BY TRANSFER-NEFT*{p.ifsc}*{f.utr}*{p.name}--"
        return Narrated(text, reference, f.mode, None, f.utr)
    if f.mode is PaymentMode.IMPS:
        text = f"BY TRANSFER-IMPS/P2A/{f.rrn}/{p.name}/{p.ifsc[:4]}--"
        return Narrated(text, reference, f.mode, None, f.rrn)
    if f.mode is PaymentMode.NACH:
        return Narrated(f"DEBIT-ACHDr {f.utr} {p.name}", None, f.mode, None, f.utr)
    if f.mode is PaymentMode.ATM:
        text = f"ATM WDL-ATM CASH {f.serial % 10_000:04d} {who.city}"
        return Narrated(text, None, f.mode, None, f.rrn)
    if f.mode is PaymentMode.CARD:
        return Narrated(f"POS {who.card} {p.name}", None, f.mode, None, f.rrn)
    return Narrated("CREDIT INTEREST--", None, f.mode, None, None)


# -- Axis ------------------------------------------------------------------------------------


def _axis(who: Holder, f: RowFacts) -> Narrated:
    p = f.party
    if f.mode is PaymentMode.UPI:
        kind = "P2M" if p.merchant else "P2A"
        text = f"UPI/{kind}/{f.rrn}/{p.name}/{f.note or 'UPI'}/{p.bank}"
        return Narrated(text, None, f.mode, None, f.rrn)  # Axis prints no UPI address
    if f.mode is PaymentMode.NEFT:
        return Narrated(f"NEFT/{f.utr}/{p.name}/{p.bank}", None, f.mode, None, f.utr)
    if f.mode is PaymentMode.IMPS:
        text = f"IMPS/P2A/{f.rrn}/{p.name}/{p.ifsc[:4]}/{f.note or 'IMPS'}"
        return Narrated(text, None, f.mode, None, f.rrn)
    if f.mode is PaymentMode.NACH:
        return Narrated(f"NACH-DR-{p.name}-{f.utr}", None, f.mode, None, f.utr)
    if f.mode is PaymentMode.ATM:
        text = f"ATM-CASH/{who.city}/XXXX{who.card[-4:]}"
        return Narrated(text, None, f.mode, None, f.rrn)
    if f.mode is PaymentMode.CARD:
        kind = "ECOM PUR" if f.note.startswith("Monthly") else "POS"
        return Narrated(f"{kind}/{p.name}/{who.city}", None, f.mode, None, f.rrn)
    text = f"SB:{who.account}:Int.Pd:{_quarter(f.day)}"
    return Narrated(text, None, f.mode, None, None)


_STYLES = {
    StatementFormat.HDFC: _hdfc,
    StatementFormat.ICICI: _icici,
    StatementFormat.SBI: _sbi,
    StatementFormat.AXIS: _axis,
}
