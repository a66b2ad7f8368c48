"""Merchant names as a person reads them, from the names and UPI addresses banks print.

A bank prints whatever the payee registered: the legal entity ("BUNDL TECHNOLOGIES PVT LTD"
is Swiggy), a truncated brand ("AMAZON PAY I"), a UPI address ("zomato@hdfcbank") or a person
in capitals. `clean_merchant` turns each into the name the product knows, so that
`core.categories.categorize` files it under the right category.

The known names are those of `gql_server.generator.merchants` (copied, because the core must
not import the generator), each with the legal names and handles it appears under on Indian
statements. Legal names were checked against the counterparties printed in the public
statement fixtures and parsers cited in `narration.py`.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Display name -> upper-case aliases as printed in narrations. The display name itself
# (upper-cased) is always an alias too. Longer aliases win, so "SWIGGY INSTAMART" (Groceries)
# beats "SWIGGY" (Food delivery) and "ICICI LOMBARD" beats "ICICI BANK".
KNOWN_MERCHANTS: dict[str, tuple[str, ...]] = {
    "BigBasket": ("BIG BASKET", "SUPERMARKET GROCERY SUPPLIES", "INNOVATIVE RETAIL CONCEPTS"),
    "Blinkit": ("BLINK COMMERCE", "GROFERS"),
    "Zepto": ("KIRANAKART", "ZEPTO MARKETPLACE", "ZEPTONOW"),
    "DMart": ("D MART", "AVENUE SUPERMARTS", "AVENUE E COMMERCE"),
    "Swiggy Instamart": ("INSTAMART", "SWIGGYINSTAMART"),
    "JioMart": ("JIO MART",),
    "Reliance Fresh": (),
    "More Supermarket": ("MORE RETAIL",),
    "Nature's Basket": ("NATURES BASKET",),
    "Spencer's": ("SPENCERS RETAIL", "SPENCERS"),
    "Zomato": ("ZOMATO MEDIA", "ZOMATO ONLINE", "ETERNAL LTD", "ETERNAL LIMITED"),
    "Swiggy": ("BUNDL TECHNOLOGIES", "BUNDL TECH"),
    "EatSure": ("EAT SURE", "REBEL FOODS"),
    "Domino's": ("DOMINOS", "JUBILANT FOODWORKS"),
    "Box8": (),
    "Chaayos": ("SUNSHINE TEAHOUSE",),
    "Starbucks": ("TATA STARBUCKS",),
    "Haldiram's": ("HALDIRAMS", "HALDIRAM"),
    "McDonald's": ("MCDONALDS", "HARDCASTLE RESTAURANTS", "CONNAUGHT PLAZA RESTAURANTS"),
    "KFC": ("DEVYANI INTERNATIONAL", "SAPPHIRE FOODS"),
    "Barbeque Nation": ("BARBEQUE NATION HOSPITALITY",),
    "Ola": ("OLA CABS", "OLACABS", "ANI TECHNOLOGIES"),
    "Uber": ("UBER INDIA", "UBER INDIA SYSTEMS", "UBERRIDES"),
    "Rapido": ("ROPPEN TRANSPORTATION", "RAPIDO BIKE"),
    "Indian Oil": ("IOCL", "INDIAN OIL CORPORATION"),
    "Bharat Petroleum": ("BPCL", "BHARAT PETROLEUM CORPORATION"),
    "HP Petrol Pump": ("HPCL", "HINDUSTAN PETROLEUM"),
    "Shell": ("SHELL INDIA", "SHELL INDIA MARKETS"),
    "Amazon": ("AMAZON PAY", "AMAZON PAY I", "AMAZON SELLER SERVICES", "AMAZON INDIA", "AMZN"),
    "Flipkart": ("FLIPKART INTERNET", "FKRT"),
    "Myntra": ("MYNTRA DESIGNS",),
    "Ajio": ("RELIANCE RETAIL AJIO",),
    "Meesho": ("FASHNEAR TECHNOLOGIES",),
    "Nykaa": ("FSN E COMMERCE", "NYKAA E RETAIL"),
    "Decathlon": ("DECATHLON SPORTS",),
    "Croma": ("INFINITI RETAIL",),
    "Tata CLiQ": ("TATA CLIQ", "TATACLIQ"),
    "Reliance Digital": ("RELIANCE DIGITAL RETAIL",),
    "Apollo Pharmacy": ("APOLLO PHARMACIES", "APOLLO 247"),
    "PharmEasy": ("PHARM EASY", "AXELIA SOLUTIONS"),
    "Tata 1mg": ("1MG", "TATA 1MG"),
    "MedPlus": ("MED PLUS", "OPTIVAL HEALTH"),
    "Netmeds": ("NETMEDS MARKETPLACE",),
    "Practo": ("PRACTO TECHNOLOGIES",),
    "BookMyShow": ("BOOK MY SHOW", "BIGTREE ENTERTAINMENT"),
    "PVR INOX": ("PVR", "INOX", "PVR CINEMAS"),
    "Steam": ("STEAMGAMES", "STEAM GAMES"),
    "Urban Company": ("URBANCLAP", "URBAN CLAP", "URBANCOMPANY"),
    "Lakme Salon": ("LAKME",),
    "IRCTC": ("INDIAN RAILWAY CATERING", "IRCTC UTS"),
    "redBus": ("RED BUS",),
    "IndiGo": ("INTERGLOBE AVIATION", "INDIGO AIRLINES"),
    "OYO": ("ORAVEL STAYS", "OYO ROOMS"),
    "MakeMyTrip": ("MAKE MY TRIP",),
    "Goibibo": ("IBIBO GROUP",),
    "ixigo": ("LE TRAVENUES",),
    "Udemy": (),
    "Coursera": (),
    "upGrad": ("UPGRAD EDUCATION",),
    "Unacademy": ("SORTING HAT TECHNOLOGIES",),
    "Jio": ("RELIANCE JIO", "JIO PREPAID", "RELIANCE JIO INFOCOMM"),
    "Airtel": ("BHARTI AIRTEL", "AIRTEL PAYMENTS BANK"),
    "Vodafone Idea": ("VODAFONE", "VODAFONEIDEA", "VI PREPAID", "VI POSTPAID"),
    "ACT Fibernet": ("ATRIA CONVERGENCE", "ACT BROADBAND"),
    "Hathway Broadband": ("HATHWAY", "HATHWAY CABLE"),
    "Excitel Broadband": ("EXCITEL",),
    "Netflix": ("NETFLIX ENTERTAINMENT", "NETFLIX COM"),
    "Spotify": ("SPOTIFY INDIA",),
    "Disney+ Hotstar": ("HOTSTAR", "NOVI DIGITAL", "DISNEY HOTSTAR"),
    "Prime Video": ("AMAZON PRIME", "PRIMEVIDEO"),
    "YouTube Premium": ("YOUTUBE", "GOOGLE YOUTUBE"),
    "SonyLIV": ("SONY LIV", "CULVER MAX"),
    "ZEE5": ("ZEE 5",),
    "JioCinema": ("JIO CINEMA", "VIACOM18"),
    "GitHub": ("GITHUB COM",),
    "ChatGPT Plus": ("OPENAI", "CHATGPT"),
    "Notion": ("NOTION LABS", "NOTION SO"),
    "Adobe": ("ADOBE SYSTEMS", "ADOBE CREATIVE CLOUD"),
    "Canva": ("CANVA PTY", "CANVA PRO"),
    "Figma": (),
    "Google Workspace": ("GSUITE", "GOOGLE WORKSPACE"),
    "Indane Gas": ("INDANE",),
    "HP Gas": ("HPGAS",),
    "Bharat Gas": ("BHARATGAS",),
    "HDFC ERGO": ("HDFC ERGO GENERAL",),
    "Star Health": ("STAR HEALTH AND ALLIED",),
    "ICICI Lombard": ("ICICI LOMBARD GENERAL",),
    "Acko": ("ACKO GENERAL",),
    "LIC": ("LIFE INSURANCE CORPORATION", "LIC OF INDIA"),
    "NoBroker Rent Pay": ("NOBROKER", "NOBROKER TECHNOLOGIES"),
    "Bajaj Finserv": ("BAJAJ FINANCE", "BAJAJFIN", "BAJAJ FINSERV"),
    "Tata Capital": ("TATA CAPITAL FINANCIAL",),
    "KreditBee": ("KREDITBEE", "FINNOVATION TECH"),
    "MoneyView": ("MONEY VIEW", "WHIZDM"),
    "Navi": ("NAVI FINSERV", "NAVI TECHNOLOGIES"),
    "Fibe": ("EARLYSALARY", "SOCIAL WORTH TECHNOLOGIES"),
    "PaySense": ("PAYSENSE SERVICES",),
    "Upwork": ("UPWORK ESCROW", "UPWORK GLOBAL"),
    "Fiverr": ("FIVERR INTERNATIONAL",),
    "Payoneer": ("PAYONEER INDIA", "PAYONEER PRIVATE"),
    "Google Pay": ("GOOGLEPAY", "GPAY"),
    "Paytm": ("ONE97 COMMUNICATIONS", "PAYTM PAYMENTS"),
    "PhonePe": ("PHONE PE",),
    "CRED": ("DREAMPLUG", "CRED CLUB"),
    "BESCOM": ("BANGALORE ELECTRICITY",),
    "MSEDCL": ("MAHARASHTRA STATE ELE", "MAHAVITARAN"),
    "Tata Power": ("TATA POWER DDL", "TATA POWER COMPANY"),
    "Adani Electricity": ("ADANI ELECTRICITY MUMBAI",),
    "HDFC Bank": ("HDFC BANK LTD", "HDFC BANK LIMITED"),
    "ICICI Bank": ("ICICI BANK LTD", "ICICI BANK LIMITED"),
    "SBI": ("STATE BANK OF INDIA", "STATE BANK OF IND"),
    "Axis Bank": ("AXIS BANK LTD", "AXIS BANK LIMITED"),
    "Kotak Mahindra Bank": ("KOTAK MAHINDRA BANK LTD", "KOTAK BANK"),
}

# Words that end a legal name and say nothing about who it is ("ACME TECH PVT LTD").
LEGAL_SUFFIX = re.compile(
    r"(?:\s+(?:PRIVATE|PVT\.?)(?:\s*(?:LIMITED|LTD\.?|LIMI\w*|L))?"  # PVT LTD, PVT L(truncated)
    r"|\s+P\.?\s*LTD\.?"  # P LTD, P. LTD.
    r"|\s+(?:LIMITED|LTD\.?|LLP|INC\.?|CORP(?:ORATION)?|INDIA|CO\.?|OPC|PL|PV))+$",
    re.IGNORECASE,
)
# A letter left over after a legal suffix when the bank cut the name ("PVT LTD P").
CUT_AFTER_SUFFIX = re.compile(r"(\b(?:PVT|PRIVATE|LTD|LIMITED))\s+[A-Z]$", re.IGNORECASE)
# Courtesy titles banks keep in front of a person's name ("Mrs ADITYA", "MR. RAVI").
TITLE = re.compile(r"^(?:M/S\.?|MR\.?|MRS\.?|MS\.?|SHRI\.?|SMT\.?|KUM\.?)\s+", re.IGNORECASE)
# A masked card or account number (4XXXXXXXXXXX1234, XXXX1234, 412345******7890).
MASKED_NUMBER = re.compile(r"\b\d{0,6}[X*]{3,}\d{0,6}\b", re.IGNORECASE)
# A trailing reference: a token of five or more digits, or letters run into digits (SIP123456).
TRAILING_REFERENCE = re.compile(r"(?:[\s\-/*]+(?=[A-Z0-9]*\d{5})[A-Z0-9]{5,})+$", re.IGNORECASE)
# Anything but letters, digits, spaces, '&', "'", '+' and '.' inside a name.
NOISE_CHARACTERS = re.compile(r"[^A-Za-z0-9&'+. ]+")
# What merchants append to their name in a UPI address ("irctcupi", "jiopay", "ubereats" not).
VPA_SUFFIXES = "UPI|PAY|PG|ONLINE|APP|BILL|ORDER"
# A VPA's user part that names nobody: a phone number, a merchant QR id (q123..@ybl,
# paytmqr..., bharatpe...), or a gateway's numeric id.
ANONYMOUS_VPA = re.compile(
    r"^(?:\+?\d[\d\-.]*|q\d+|paytmqr\w*|paytm[.-]\d+|bharatpe\w*|gpay-\d+|mab\.\w+)$"
)
# UPI addresses only merchants get: PhonePe QR (q123@ybl), Paytm QR (paytmqr..., paytm-123),
# BharatPe, Razorpay (.rzp@), gateway and Google Pay for Business handles.
MERCHANT_VPA = re.compile(
    r"^(?:q\d+@ybl|paytmqr|paytm[.-]\d+@|bharatpe|gpay-\d+@|mab\.\d+@|.*\.rzp@|.*\.payu@|"
    r".*razorpay|.*billdesk|.*cashfree|.*@(?:okbizaxis|okbizicici|okbizsbi|okbizhdfc|"
    r"bharatpe|yespay|rzp|payu|cashf\w*|axb)$)",
    re.I,
)
# Words kept upper-case when a shouting name is put into title case.
ACRONYMS = frozenset({"HDFC", "ICICI", "SBI", "IDFC", "LIC", "HP", "KFC", "PVR", "IRCTC", "UPI"})


def _key(text: str) -> str:
    """Upper case, separators as single spaces: the form aliases are written in."""
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", text.upper().replace("'", "")).split())


@lru_cache(maxsize=1)
def _alias_table() -> tuple[tuple[str, str], ...]:
    """(alias key, display name), longest alias first."""
    pairs = {(_key(name), name) for name in KNOWN_MERCHANTS}
    pairs |= {(_key(a), name) for name, aliases in KNOWN_MERCHANTS.items() for a in aliases}
    return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair[0])))


# A statement names the same few hundred merchants thousands of times: the lookups below
# scan every alias, so their answers are kept (pure functions of the text).
@lru_cache(maxsize=8192)
def known_merchant(name: str) -> str | None:
    """The known merchant whose alias appears as whole words in `name`, else None."""
    key = f" {_key(name)} "
    for alias, display in _alias_table():
        if f" {alias} " in key:
            return display
    return _truncated_known(key.strip())


@lru_cache(maxsize=1)
def _compact_aliases() -> tuple[tuple[str, str], ...]:
    return tuple((alias.replace(" ", ""), display) for alias, display in _alias_table())


def _truncated_known(key: str) -> str | None:
    """SBI cuts names to eight letters ("Makemytr"): a long enough prefix of one alias counts."""
    compact = key.replace(" ", "")
    if len(compact) < 6 or not compact.isalpha():
        return None
    hits = {d for a, d in _compact_aliases() if a.startswith(compact)}
    return hits.pop() if len(hits) == 1 else None


@lru_cache(maxsize=8192)
def merchant_from_vpa(vpa: str) -> str | None:
    """The known merchant a UPI address belongs to (swiggy@ybl, zomato-order@hdfcbank,
    bundl.technologies@axisbank), else None. An alias of five letters or fewer must be the
    whole user part or end at a separator or digit, so "uber" does not match "uberoi.k"."""
    local = vpa.split("@", 1)[0].upper()
    compact = re.sub(r"[^A-Z0-9]", "", local)
    for alias, display in _alias_table():
        tight = alias.replace(" ", "")
        if len(tight) < 3 or (not compact.startswith(tight) and len(tight) < 6):
            continue
        if len(tight) >= 6 and tight in compact:
            return display
        if len(tight) < 6 and re.match(rf"{re.escape(tight)}(?:$|[^A-Z]|{VPA_SUFFIXES})", local):
            return display
    return None


def title_case(name: str) -> str:
    """'RAVI KUMAR' -> 'Ravi Kumar', word by word: words already in mixed case and the
    acronyms people write in capitals (HDFC, LIC) stay as they are."""
    words = name.split()
    return " ".join(
        w[:1] + w[1:].lower() if w.isupper() and w not in ACRONYMS else w for w in words
    )


def _strip_noise(name: str) -> str:
    text = MASKED_NUMBER.sub(" ", name)
    text = TRAILING_REFERENCE.sub("", text.strip())
    text = NOISE_CHARACTERS.sub(" ", text)
    text = " ".join(text.split()).strip(" .")
    text = TITLE.sub("", text)
    text = CUT_AFTER_SUFFIX.sub(r"\1", text)
    for _ in range(3):  # "ACME PVT LTD INDIA": suffixes come stacked
        shorter = LEGAL_SUFFIX.sub("", text).strip(" .")
        if shorter == text or not shorter:
            break
        text = shorter
    return text


def _anonymous(vpa: str) -> bool:
    return ANONYMOUS_VPA.match(vpa.split("@", 1)[0].lower()) is not None


def _name_from_vpa(vpa: str) -> str:
    """A person's name spelled in their UPI address (ravi.kumar@okaxis -> Ravi Kumar)."""
    if _anonymous(vpa) or MERCHANT_VPA.match(vpa):
        return ""
    local = vpa.split("@", 1)[0].lower()
    words = re.findall(r"[a-z]+", local)
    return " ".join(w.capitalize() for w in words)


def clean_merchant(name: str, vpa: str | None = None) -> str:
    """The display name for a printed counterparty: a known merchant's own name when the
    name or the UPI address is one of its aliases, else the name without legal suffixes,
    masked numbers and trailing references, in title case; "" when nothing names anyone."""
    stripped = _strip_noise(name)
    if stripped:
        known = known_merchant(stripped) or known_merchant(name)
        if known:
            return known
    if vpa and "@" in vpa and not _anonymous(vpa):  # paytm-6467@paytm names Paytm, not the shop
        known = merchant_from_vpa(vpa)
        if known:
            return known
    if stripped and any(c.isalpha() for c in stripped):
        return title_case(stripped)
    return _name_from_vpa(vpa) if vpa and "@" in vpa else ""
